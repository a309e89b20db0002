-- pgwal capture workload, part 1: schema and publication (runs before the
-- slots are created, so every relation is known to the slots).
CREATE SCHEMA app;

CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN app.posint AS int4 CHECK (VALUE > 0);
CREATE TYPE app.point2 AS (x int4, y int4);

-- REPLICA IDENTITY DEFAULT (primary key); every type with a binary send
-- function, user types (-> Type messages), unicode column names.
CREATE TABLE public.items (
    id       int4 PRIMARY KEY,
    "名前"    text,
    "naïve"   bool,
    ts       timestamptz,
    amount   numeric(12,3),
    doc      jsonb,
    raw      bytea,
    uid      uuid,
    mood     app.mood,
    qty      app.posint,
    pos      app.point2
);

-- REPLICA IDENTITY FULL, with an out-of-line (TOASTed) column.
CREATE TABLE app.docs (
    id    int4 NOT NULL,
    title text,
    body  text
);
ALTER TABLE app.docs ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE app.docs REPLICA IDENTITY FULL;

-- REPLICA IDENTITY DEFAULT with an out-of-line column (-> 'u' in Update).
CREATE TABLE app.blobs (
    id    int4 PRIMARY KEY,
    note  text,
    body  text
);
ALTER TABLE app.blobs ALTER COLUMN body SET STORAGE EXTERNAL;

-- REPLICA IDENTITY USING INDEX.
CREATE TABLE app.accounts (
    id    int4 NOT NULL,
    code  text NOT NULL,
    owner text
);
CREATE UNIQUE INDEX accounts_code_key ON app.accounts (code);
ALTER TABLE app.accounts REPLICA IDENTITY USING INDEX accounts_code_key;

-- REPLICA IDENTITY NOTHING (inserts only: a published table without an
-- identity refuses UPDATE/DELETE).
CREATE TABLE app.events (
    at   timestamptz,
    what text
);
ALTER TABLE app.events REPLICA IDENTITY NOTHING;

-- Two tables joined by a foreign key, for TRUNCATE ... RESTART IDENTITY CASCADE.
CREATE TABLE public.parents (
    id   serial PRIMARY KEY,
    name text
);
CREATE TABLE public.children (
    id        serial PRIMARY KEY,
    parent_id int4 REFERENCES public.parents (id),
    name      text
);

-- Not published: wide rows that push a transaction over
-- logical_decoding_work_mem (64kB) so it streams, without putting
-- thousands of rows into the captures.
CREATE TABLE public.filler (
    n   int4,
    pad text
);
ALTER TABLE public.filler ALTER COLUMN pad SET STORAGE PLAIN;

CREATE PUBLICATION pgwal_pub FOR TABLE
    public.items, app.docs, app.blobs, app.accounts, app.events,
    public.parents, public.children;
