-- pgwal capture workload, part 3: a transaction with a replication origin
-- (-> Origin message; origin 'none' filters the transaction out on 16+).
-- Session state matters: the whole file runs in one psql session.
SELECT pg_replication_origin_create('pgwal_origin');
SELECT pg_replication_origin_session_setup('pgwal_origin');
BEGIN;
SELECT pg_replication_origin_xact_setup('0/ABCDEF', now());
INSERT INTO app.events VALUES ('2001-02-03 04:05:06+00', 'from origin');
COMMIT;
SELECT pg_replication_origin_session_reset();
