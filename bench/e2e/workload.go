package main

import (
	"fmt"
	"strings"
)

// A table of the benchmark: its DDL, the expressions of one inserted row
// (of g, the row's id) and the SET list of an update.
type tableSpec struct {
	Name    string
	IDType  string
	Columns []string // "name type", id first
	Insert  []string // one expression of g per column
	Update  string
}

var tables = map[string]tableSpec{
	"narrow": {
		Name:   "narrow",
		IDType: "int",
		Columns: []string{"id int PRIMARY KEY", "account_id int NOT NULL", "status text NOT NULL", "name text NOT NULL",
			"email text NOT NULL", "amount int NOT NULL", "active bool NOT NULL", "created date NOT NULL"},
		Insert: []string{"g", "g % 10007", "(ARRAY['new','active','suspended','closed'])[1 + g % 4]", "'user-' || g",
			"'user' || g || '@example.com'", "(g::bigint * 7919) % 100000", "g % 3 = 0", "date '2020-01-01' + g % 3000"},
		Update: "status = 'updated', amount = amount + 1",
	},
	"wide": {
		Name:   "wide",
		IDType: "bigint",
		Columns: []string{
			"id bigint PRIMARY KEY", "c_int int", "c_bigint bigint", "c_small smallint", "c_num numeric(12,4)",
			"c_num_free numeric", "c_text text", "c_text2 text", "c_varchar varchar(40)", "c_char char(8)",
			"c_ts timestamptz", "c_ts_local timestamp", "c_date date", "c_time time", "c_bool bool",
			"c_jsonb jsonb", "c_json json", "c_uuid uuid", "c_bytea bytea", "c_float8 float8",
			"c_float4 real", "c_tags text[]", "c_ints int[]", "c_interval interval", "c_inet inet",
			"c_note text", "c_int2 int", "c_bigint2 bigint", "c_num2 numeric(12,4)", "c_bool2 bool",
			"c_varchar2 varchar(100)", "c_nullable text", "c_ts2 timestamptz",
		},
		Insert: []string{
			"g", "(g * 7)::int % 100000", "g * 1000003", "(g % 30000)::smallint", "((g * 7919) % 100000000) / 10000.0",
			"(g % 1000) / 7.0", "'name-' || g", "'a somewhat longer text value for row ' || g || ', with some words in it'",
			"md5(g::text)", "lpad((g % 1000)::text, 8, '0')",
			"timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' + (g % 1000) * interval '1 microsecond'",
			"timestamp '2023-06-01 12:00:00' + g * interval '1 minute'", "date '2020-01-01' + (g % 3000)::int",
			"time '00:00' + (g % 86400) * interval '1 second'", "g % 2 = 0",
			"jsonb_build_object('id', g, 'tags', jsonb_build_array('a', 'b'), 'score', (g % 100) / 4.0, 'name', 'n\"' || g)",
			"json_build_object('k', g, 'v', 'x')", "md5(g::text)::uuid", "decode(md5(g::text), 'hex')",
			"g::float8 / 7", "(g % 1000)::real / 3", "ARRAY['x' || g, 'y', 'z \"q\"', NULL]", "ARRAY[(g % 1000)::int, 2, 3]",
			"(g % 1000) * interval '1 minute'", "('10.0.' || (g % 256) || '.' || (g / 256 % 256))::inet",
			"'note ' || (g % 97)", "(g % 65536)::int", "-g", "(g % 1000000) / 100.0", "g % 5 = 0",
			"'v2-' || md5((g + 1)::text)", "CASE WHEN g % 2 = 0 THEN NULL ELSE 'maybe-' || g END",
			"timestamptz '2025-03-01 08:30:00+00' - g * interval '1 second'",
		},
		Update: "c_int = c_int + 1, c_text = c_text || '-u', c_jsonb = c_jsonb || '{\"updated\": true}', " +
			"c_ts = c_ts + interval '1 day', c_bool = NOT c_bool, c_num = c_num + 0.5",
	},
}

// split is one transaction's changes: inserts, then updates and deletes of
// earlier rows, so every statement changes exactly its share of rows.
type split struct{ Ins, Upd, Del int }

func splitTxn(txn int) (split, error) {
	s := split{Upd: txn * 15 / 100, Del: txn * 5 / 100}
	s.Ins = txn - s.Upd - s.Del
	if 2*(s.Upd+s.Del) > s.Ins {
		return s, fmt.Errorf("-txn %d: too small to split into inserts, updates and deletes", txn)
	}
	return s, nil
}

// setupSQL creates the table, its publication and the loading procedure.
func (t tableSpec) setupSQL(pub string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE public.%s (\n  %s);\n", t.Name, strings.Join(t.Columns, ",\n  "))
	fmt.Fprintf(&b, "CREATE PUBLICATION %s FOR TABLE public.%s;\n", pub, t.Name)
	// Transaction k inserts ids k*ins+1 .. k*ins+ins, then updates the
	// first upd rows of transaction k-1 and deletes the del after them
	// (transaction 0 uses its own rows past the first upd+del, which
	// transaction 1 touches). Each transaction thus changes ins+upd+del rows.
	fmt.Fprintf(&b, `CREATE PROCEDURE public.load_%[1]s(ntxn int, nins int, nupd int, ndel int) LANGUAGE plpgsql AS $$
DECLARE base %[2]s; u %[2]s;
BEGIN
  FOR k IN 0..ntxn-1 LOOP
    base := k::%[2]s * nins;
    IF k = 0 THEN u := nupd + ndel; ELSE u := base - nins; END IF;
    INSERT INTO public.%[1]s SELECT %[3]s FROM generate_series(base + 1, base + nins) g;
    UPDATE public.%[1]s SET %[4]s WHERE id BETWEEN u + 1 AND u + nupd;
    DELETE FROM public.%[1]s WHERE id BETWEEN u + nupd + 1 AND u + nupd + ndel;
    COMMIT;
  END LOOP;
END $$;
`, t.Name, t.IDType, strings.Join(t.Insert, ", "), t.Update)
	return b.String()
}

func (t tableSpec) loadSQL(txns int, s split) string {
	return fmt.Sprintf("CALL public.load_%s(%d, %d, %d, %d);\n", t.Name, txns, s.Ins, s.Upd, s.Del)
}
