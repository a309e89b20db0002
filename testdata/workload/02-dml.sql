-- pgwal capture workload, part 2: plain DML (after the slots exist).
INSERT INTO public.items VALUES
    (1, 'ｱｲｳ 名前', true, '2024-02-29 12:34:56.789+00', 1234.5, '{"a": [1, 2, {"b": null}]}',
     '\x00ff10', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'happy', 42, ROW(1, -2)),
    (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (3, 'naïve ☃', false, '-infinity', 'NaN', '"str"', '\x', '00000000-0000-0000-0000-000000000000', 'sad', 1, ROW(NULL, 7));

-- update not touching the key: no old tuple
UPDATE public.items SET "名前" = 'changed', amount = -0.001 WHERE id = 1;
-- update changing the key of a DEFAULT-identity table: 'K' old key
UPDATE public.items SET id = 10 WHERE id = 3;
-- delete on DEFAULT identity: 'K'
DELETE FROM public.items WHERE id = 2;

-- FULL identity table, one row with an out-of-line body (> 2 kB, incompressible)
INSERT INTO app.docs VALUES
    (1, 'first', (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 100) g)),
    (2, 'second', 'short'),
    (3, NULL, NULL);
-- update on FULL: 'O' old tuple
UPDATE app.docs SET title = 'second, changed' WHERE id = 2;
UPDATE app.docs SET title = 'first, changed' WHERE id = 1;
-- delete on FULL: 'O'
DELETE FROM app.docs WHERE id = 3;

-- DEFAULT identity with an out-of-line column: updating another column
-- sends the body as 'u' (unchanged TOAST)
INSERT INTO app.blobs VALUES
    (1, 'n1', (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 100) g));
UPDATE app.blobs SET note = 'n1 changed' WHERE id = 1;

-- USING INDEX identity: update not touching the index, update changing it, delete
INSERT INTO app.accounts VALUES (1, 'AC-1', 'alice'), (2, 'AC-2', 'bob');
UPDATE app.accounts SET owner = 'alice2' WHERE code = 'AC-1';
UPDATE app.accounts SET code = 'AC-22' WHERE code = 'AC-2';
DELETE FROM app.accounts WHERE code = 'AC-1';

-- NOTHING identity: inserts only
INSERT INTO app.events VALUES ('2000-01-01 00:00:00+00', 'epoch'), (NULL, '');

-- parents/children for the truncate at the end
INSERT INTO public.parents (name) VALUES ('p1'), ('p2');
INSERT INTO public.children (parent_id, name) VALUES (1, 'c1'), (2, 'c2');

-- logical decoding messages: transactional (in its own transaction),
-- non-transactional with binary content, non-transactional empty
SELECT pg_logical_emit_message(true, 'pgwal', 'transactional');
SELECT pg_logical_emit_message(false, 'pgwal', '\x00ff'::bytea);
SELECT pg_logical_emit_message(false, 'pgwal', '');
-- a transactional and a non-transactional message inside a transaction with a change
BEGIN;
INSERT INTO app.events VALUES (NULL, 'with messages');
SELECT pg_logical_emit_message(true, 'pgwal.tx', 'in transaction');
SELECT pg_logical_emit_message(false, 'pgwal.nontx', 'ignores the transaction');
COMMIT;
