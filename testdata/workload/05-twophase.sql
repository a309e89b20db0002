-- pgwal capture workload, part 5: two-phase commit (max_prepared_transactions > 0).
-- With two_phase (15+, proto 3+): Begin Prepare ... Prepare, then
-- Commit Prepared / Rollback Prepared; otherwise the transaction is decoded
-- as a normal one at COMMIT PREPARED (and not at all when rolled back).
BEGIN;
INSERT INTO public.items (id, "名前") VALUES (300, 'prepared, committed');
PREPARE TRANSACTION 'gid_commit';
COMMIT PREPARED 'gid_commit';

BEGIN;
INSERT INTO public.items (id, "名前") VALUES (301, 'prepared, rolled back');
PREPARE TRANSACTION 'gid_rollback';
ROLLBACK PREPARED 'gid_rollback';

-- large prepared transaction: with streaming and two_phase, Stream Prepare
BEGIN;
INSERT INTO public.items (id, "名前") VALUES (302, 'streamed, prepared');
INSERT INTO public.filler SELECT g, repeat(md5(g::text), 47) FROM generate_series(1, 100) g;
PREPARE TRANSACTION 'gid_stream';
COMMIT PREPARED 'gid_stream';
