-- pgwal capture workload, part 6: a multi-table TRUNCATE with both options
-- (Truncate flags CASCADE | RESTART IDENTITY = 3).
TRUNCATE public.parents, public.children RESTART IDENTITY CASCADE;
-- and a plain one
TRUNCATE app.events;
