-- Tables for workload.sql, created before the slots. other.t_nothing is
-- published for inserts and truncates only: a REPLICA IDENTITY NOTHING
-- table cannot be updated while a publication publishes its updates.
CREATE SCHEMA other;
CREATE TABLE public.t_default (id int PRIMARY KEY, name text, amount numeric(12,4), note varchar(40));
CREATE TABLE public.t_full (id int, name text, big text);
ALTER TABLE public.t_full REPLICA IDENTITY FULL;
CREATE TABLE public.t_index (id int PRIMARY KEY, code text NOT NULL, val int);
CREATE UNIQUE INDEX t_index_code ON public.t_index (code);
ALTER TABLE public.t_index REPLICA IDENTITY USING INDEX t_index_code;
CREATE TABLE other.t_nothing (id int PRIMARY KEY, v text);
ALTER TABLE other.t_nothing REPLICA IDENTITY NOTHING;
CREATE TABLE public.t_toast (id int PRIMARY KEY, big text, small int);
ALTER TABLE public.t_toast ALTER big SET STORAGE EXTERNAL;
CREATE DOMAIN public.posint AS int CHECK (VALUE > 0);
CREATE TABLE public.t_dom (id int PRIMARY KEY, d public.posint, b bool);
CREATE TABLE public.t_trunc (id int);
CREATE TABLE other."Odd ""Name""" (id int PRIMARY KEY, v text);
CREATE PUBLICATION w2j_main FOR TABLES IN SCHEMA public;
CREATE PUBLICATION w2j_other FOR TABLE other."Odd ""Name""";
CREATE PUBLICATION w2j_nothing FOR TABLE other.t_nothing WITH (publish = 'insert, truncate');
