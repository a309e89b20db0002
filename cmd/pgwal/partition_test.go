package main

import (
	"fmt"
	"slices"
	"testing"

	"github.com/pgwal/pgwal/internal/pgserver"
)

// partitionTables: p, partitioned by range, with a leaf p1 and a
// partitioned p2 of two leaves, p2a and p2b.
const partitionTables = `DROP PUBLICATION IF EXISTS pub, publeaf; DROP TABLE IF EXISTS public.p;
CREATE TABLE public.p (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
CREATE TABLE public.p1 PARTITION OF public.p FOR VALUES FROM (0) TO (10000);
CREATE TABLE public.p2 PARTITION OF public.p FOR VALUES FROM (10000) TO (100000) PARTITION BY RANGE (id);
CREATE TABLE public.p2a PARTITION OF public.p2 FOR VALUES FROM (10000) TO (20000);
CREATE TABLE public.p2b PARTITION OF public.p2 FOR VALUES FROM (20000) TO (100000);
`

// partitionSeed: rows in every leaf (after the publications: a slot made
// before them decodes the rows with them).
const partitionSeed = `INSERT INTO public.p SELECT g, 'seed ' || g FROM generate_series(1, 3000) g;
INSERT INTO public.p SELECT g, 'seed ' || g FROM generate_series(10001, 12000) g;
INSERT INTO public.p SELECT g, 'seed ' || g FROM generate_series(20001, 21000) g;
`

// partitionWork changes rows in every leaf, and moves a row from p1 to
// p2b (a cross-partition update: a delete and an insert).
func partitionWork(i int) []string {
	return []string{fmt.Sprintf(`INSERT INTO public.p VALUES (%d, 'new'), (%d, 'new'), (%d, 'new');
UPDATE public.p SET v = 'upd %d' WHERE id IN (%d, %d, %d);
DELETE FROM public.p WHERE id IN (%d, %d);
UPDATE public.p SET id = id + 40000 WHERE id = %d;`,
		5000+i, 15000+i, 30000+i, i, 1+i*7, 10001+i*7, 20001+i*3, 2+i*7, 10002+i*7, 3+i*7)}
}

// A publication of a partitioned table, with publish_via_partition_root
// true (rows and changes as the root's), false (as the leaves', which
// PostgreSQL 14's pg_publication_tables lists twice when the publication
// also names a leaf), and both at once in two publications (as the
// root's: pgoutput publishes a partition via the root when any of the
// publications does): the copied rows and the changes streamed after
// them, and the changes streamed alone, replayed, equal the tables. On
// PostgreSQL 14 and the newest (15–17 list the tables as 18 does).
func TestStreamPartitioned(t *testing.T) {
	versions := []int{}
	for _, v := range []int{14, 18} {
		if slices.Contains(pgserver.Available(), v) {
			versions = append(versions, v)
		}
	}
	if len(versions) == 0 {
		versions = []int{0} // StartT skips, or fails under CI
	}
	const (
		asRoot = `'p|' || id || '|' || to_json(v) FROM public.p`
		asLeaf = `c.relname || '|' || id || '|' || to_json(v) FROM public.p JOIN pg_catalog.pg_class c ON c.oid = p.tableoid`
	)
	for _, v := range versions {
		t.Run(fmt.Sprint("PostgreSQL ", v), func(t *testing.T) {
			s := pgserver.StartT(t, pgserver.Config{Version: v})
			for i, tc := range []struct {
				name, pubs, want, pub string
			}{
				{"via root", "pub", asRoot, `CREATE PUBLICATION pub FOR TABLE public.p, public.p1 WITH (publish_via_partition_root = true);`},
				{"via leaves", "pub", asLeaf, `CREATE PUBLICATION pub FOR TABLE public.p, public.p1 WITH (publish_via_partition_root = false);`},
				{"root and leaf publications", "pub,publeaf", asRoot, `CREATE PUBLICATION pub FOR TABLE public.p WITH (publish_via_partition_root = true);
CREATE PUBLICATION publeaf FOR TABLE public.p1;`},
			} {
				t.Run(tc.name, func(t *testing.T) {
					snapshotRun{setup: partitionTables + tc.pub + partitionSeed, pubs: tc.pubs, work: partitionWork, steps: 60, want: "SELECT " + tc.want,
						args: []string{"--format", "pgwal"}, parse: parsePgwalLine, streamSlot: fmt.Sprintf("part_stream_%d", i)}.run(t, s, fmt.Sprintf("part_snap_%d", i))
				})
			}
		})
	}
}
