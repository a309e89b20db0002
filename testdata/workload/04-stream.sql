-- pgwal capture workload, part 4: transactions larger than
-- logical_decoding_work_mem (64kB), streamed when the streaming option is on.
-- The bulk is in the unpublished table public.filler (100 rows of 1.5 kB);
-- the published changes around it are what the captures show.

-- large committed transaction with a subtransaction that is rolled back:
-- Stream Start (first segment), changes with xid prefixes (top-level and
-- subtransaction xids), Stream Stop, Stream Abort (subxid != xid), more
-- segments, Stream Commit
BEGIN;
INSERT INTO public.items (id, "名前") VALUES (100, 'streamed, top level');
SELECT pg_logical_emit_message(true, 'pgwal.stream', 'streamed message');
UPDATE public.items SET "名前" = 'streamed update' WHERE id = 1;
SAVEPOINT s1;
INSERT INTO public.items (id, "名前") VALUES (101, 'streamed, rolled back');
INSERT INTO public.filler SELECT g, repeat(md5(g::text), 47) FROM generate_series(1, 100) g;
ROLLBACK TO SAVEPOINT s1;
INSERT INTO public.items (id, "名前") VALUES (102, 'streamed, after rollback to savepoint');
INSERT INTO public.filler SELECT g, repeat(md5(g::text), 47) FROM generate_series(1, 100) g;
DELETE FROM public.items WHERE id = 100;
COMMIT;

-- large aborted transaction: Stream Abort with subxid = xid
BEGIN;
INSERT INTO public.items (id, "名前") VALUES (200, 'streamed, aborted');
INSERT INTO public.filler SELECT g, repeat(md5(g::text), 47) FROM generate_series(1, 100) g;
ROLLBACK;
