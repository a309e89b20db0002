-- pgwal capture workload, part 7: typed values. One column per built-in
-- type, edge values in every row: every binary column renders to the text
-- a text session receives (checked in package value, on the captures and
-- live). Also run alone by value's tests, without the capture's
-- publication, hence the guarded ALTER PUBLICATION.
CREATE TABLE public.types_t (
  id int PRIMARY KEY,
  c_bool bool, c_int2 int2, c_int4 int4, c_int8 int8, c_oid oid, c_xid xid, c_xid8 xid8, c_cid cid,
  c_regclass regclass, c_regtype regtype,
  c_float4 float4, c_float8 float8, c_numeric numeric, c_numeric_s numeric(12,4), c_money money,
  c_text text, c_varchar varchar(20), c_bpchar char(6), c_name name, c_char "char", c_bytea bytea,
  c_json json, c_jsonb jsonb, c_jsonpath jsonpath, c_xml xml, c_uuid uuid,
  c_inet inet, c_cidr cidr, c_macaddr macaddr, c_macaddr8 macaddr8, c_bit bit(5), c_varbit varbit,
  c_lsn pg_lsn, c_tid tid,
  c_date date, c_time time, c_timetz timetz, c_ts timestamp, c_tstz timestamptz, c_interval interval,
  c_point point, c_line line, c_lseg lseg, c_box box, c_path path, c_polygon polygon, c_circle circle,
  c_tsvector tsvector, c_tsquery tsquery, c_int2vector int2vector, c_oidvector oidvector,
  c_int4_arr int4[], c_text_arr text[], c_int8_arr2 int8[][], c_numeric_arr numeric[], c_tstz_arr timestamptz[],
  c_int4range int4range, c_numrange numrange, c_tstzrange tstzrange, c_daterange daterange, c_int8range int8range,
  c_int4multirange int4multirange
);
ALTER TABLE public.types_t REPLICA IDENTITY FULL;
DO $$ BEGIN
  IF EXISTS (SELECT FROM pg_catalog.pg_publication WHERE pubname = 'pgwal_pub') THEN
    ALTER PUBLICATION pgwal_pub ADD TABLE public.types_t;
  END IF;
END $$;

INSERT INTO public.types_t VALUES (1,
  true, -32768, -2147483648, -9223372036854775808, 0, '0', '0', '0',
  'pg_class', 'integer',
  'NaN', '-Infinity', 'NaN', 0, '-92233720368547758.08',
  '', '', '', '', '', '\x',
  'null', '{}', '$', '<a/>', '00000000-0000-0000-0000-000000000000',
  '0.0.0.0/0', '0.0.0.0/0', '00:00:00:00:00:00', '00:00:00:00:00:00:00:00', B'00000', B'',
  '0/0', '(0,0)',
  '-infinity', '00:00', '00:00+00', '-infinity', '-infinity', '-178000000 years',
  '(0,0)', '{1,-1,0}', '[(0,0),(0,0)]', '(0,0),(0,0)', '[(0,0)]', '((0,0))', '<(0,0),0>',
  '', '''a''', '', '',
  '{}', '{}', '{}', '{}', '{}',
  'empty', 'empty', 'empty', 'empty', 'empty',
  '{}');

INSERT INTO public.types_t VALUES (2,
  false, 32767, 2147483647, 9223372036854775807, 4294967295, '4294967295', '18446744073709551615', '4294967295',
  'pg_catalog.pg_type', 'timestamp with time zone',
  'Infinity', 'Infinity', 'Infinity', 12345678.1234, '92233720368547758.07',
  'tab	nl
 "quote" \back é 𝄞', 'varchar  ', 'ab', 'a_name', 'z', '\x00ff10',
  '{"b": [1, 2.5e10, "x"], "a": null}', '{"b": [1, 2.5e10, "x"], "a": {"nested": true}, "": ""}', '$.a[*] ? (@ > 1)', '<r x="1">text &amp; more</r>', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '192.168.1.5/24', '10.1.0.0/16', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05', B'10101', B'1101001',
  'FFFFFFFF/FFFFFFFF', '(4294967295,65535)',
  'infinity', '24:00:00', '23:59:59.999999-14:59', 'infinity', 'infinity', '178000000 years',
  '(1.5,-2.25)', '{1,2,3}', '[(1,2),(3,4)]', '(3,4),(1,2)', '((0,0),(1,1),(2,0))', '((0,0),(1,1),(2,0))', '<(1,2),3>',
  'a:1A fat:2B,4C cat:5D ''quoted space'':3', 'fat & (rat | ! cat) <-> sad:*A', '1 -2 3', '1 2 4294967295',
  '{1,NULL,-3}', '{"","NULL","with space","q\"uote","back\\slash",NULL,"{brace}","a,b"}', '{{1,2},{3,4}}', '{1.5,NaN,-0.001}', '{"2020-01-01 00:00:00+00",infinity}',
  '[1,10)', '(,1.5]', '["2020-01-01 00:00:00+00",)', '[2020-01-01,2021-01-01)', '[-9223372036854775808,9223372036854775807)',
  '{[1,3), [5,7)}');

INSERT INTO public.types_t VALUES (3,
  NULL, 1, -1, 1, 1, '1', '1', '1',
  'pg_namespace', '"char"',
  '-0', '-0', '-0.0000000000000000000000000000001', -0.5, '0',
  'x', 'x', 'x', 'x', E'\001', '\xdeadbeef',
  '[1, 2]', '[1, "2", [3], {"k": "v"}]', 'strict $.x', '<?xml version="1.0"?><d/>', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '::1', '::ffff:1.2.3.4/128', 'ff:ff:ff:ff:ff:ff', 'ff:ff:ff:ff:ff:ff:ff:ff', B'11111', B'1',
  '16/B374D848', '(1,1)',
  '0044-03-15 BC', '12:34:56.789', '12:34:56.789+05:30', '1999-12-31 23:59:59.999999', '2000-01-01 00:00:00+14', '1 year 2 mons 3 days 04:05:06.7',
  '(1e+300,-1e-300)', '{0,1,0}', '[(1e-10,2),(3,4e20)]', '(1,1),(0,0)', '[(1,1),(2,2),(3,3)]', '((1,1),(2,2),(3,3))', '<(1e100,-2),0.5>',
  'single', '!a', '0', '0',
  '{{{1}}}', '{a}', '{{1},{2}}', '{12345678901234567890.123456789}', '{}',
  '(1,2]', '[1.5,1.5]', '(,)', '(,2020-01-01]', '[0,1)',
  '{(,5), [10,)}');

INSERT INTO public.types_t VALUES (4,
  true, 0, 0, 0, 26, '12345', '12345678901234', '7',
  'public.types_t', 'integer[]',
  '1.17549435e-38', '5e-324', '123456789012345678901234567890.123456789012345678901234567890', 99999999.9999, '1234.5',
  repeat('long', 1000), 'é', 'é', repeat('n', 63), 'A', decode(repeat('ab', 500), 'hex'),
  '"string"', '3.14', '$."a b"', '<a>&lt;</a>', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
  '2001:db8::1/64', '2001:db8::/32', '01:23:45:67:89:ab', '01:23:45:ff:fe:67:89:ab', B'00001', repeat('10', 40)::varbit,
  '0/1', '(100,200)',
  '2000-01-01', '00:00:00.000001', '00:00:00+00:00:15', '0001-01-01 00:00:00 BC', '294276-12-31 23:59:59.999999+00', '-1 days +02:03:00',
  '(-0,0)', '{-1,0,5}', '[(-1,-1),(1,1)]', '(-1,-1),(-2,-2)', '[(0,0),(1e10,1e-10)]', '((0,0))', '<(0,0),1e-10>',
  'café:1', 'x <2> y', '-32768 32767', '',
  '[0:2]={1,2,3}', '{"é","𝄞"}', '[1:1][0:1]={{7,8}}', '{0}', '{"1999-12-31 23:59:59.5+00"}',
  '[-2147483648,2147483647)', '(-1e-20,1e20)', '(-infinity,infinity)', '[-infinity,infinity]', 'empty',
  '{[-5,-1]}');
