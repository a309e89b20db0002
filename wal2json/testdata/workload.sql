-- The comparison workload (compare_integration_test.go), run after
-- value/testdata/types.sql and wal2json-extra.sql under the pinned
-- settings, each statement in its own transaction unless BEGIN says
-- otherwise. Tables and publications exist before the slots.
INSERT INTO public.t_default VALUES (1, 'a', 1.5, 'x'), (2, 'b', NULL, 'y');
BEGIN;
UPDATE public.t_default SET name = 'bb', amount = 'NaN' WHERE id = 2;
UPDATE public.t_default SET id = 3 WHERE id = 1;
DELETE FROM public.t_default WHERE id = 2;
COMMIT;
INSERT INTO public.t_full VALUES (1, 'f', NULL), (2, 'g', 'h');
UPDATE public.t_full SET name = 'ff' WHERE id = 1;
DELETE FROM public.t_full WHERE id = 1;
DELETE FROM public.t_full WHERE id = 2;
INSERT INTO public.t_index VALUES (1, 'c1', 10), (2, 'c2', 20);
UPDATE public.t_index SET val = 11 WHERE id = 1;
UPDATE public.t_index SET code = 'c3' WHERE id = 2;
DELETE FROM public.t_index WHERE id = 1;
INSERT INTO other.t_nothing VALUES (1, 'n');
UPDATE other.t_nothing SET v = 'm';
DELETE FROM other.t_nothing;
INSERT INTO public.t_toast VALUES (1, repeat('0123456789', 1000), 1);
UPDATE public.t_toast SET small = 2 WHERE id = 1;
UPDATE public.t_toast SET big = 'short' WHERE id = 1;
DELETE FROM public.t_toast WHERE id = 1;
INSERT INTO public.t_dom VALUES (1, 5, true);
UPDATE public.t_dom SET d = 6;
BEGIN;
INSERT INTO public.t_default VALUES (10, 'm', 2, 'z');
SELECT pg_logical_emit_message(true, 'a', 'tx "msg"');
SELECT pg_logical_emit_message(false, 'b', E'non-tx\tmsg');
INSERT INTO public.t_default VALUES (11, 'n', -3.25, 'w');
COMMIT;
SELECT pg_logical_emit_message(false, 'b', 'after a transaction of three');
SELECT pg_logical_emit_message(true, 'c', 'alone');
TRUNCATE public.t_trunc, public.t_default;
TRUNCATE public.t_full RESTART IDENTITY CASCADE;
INSERT INTO other."Odd ""Name""" VALUES (1, 'q');
INSERT INTO public.t_trunc VALUES (1);
