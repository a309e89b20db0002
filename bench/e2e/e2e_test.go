package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
)

// TestE2ESmoke runs the whole benchmark with 2,000 changes per table, once:
// every pgwal variant's output must equal pg_recvlogical+wal2json's byte for
// byte, and wal2json must have printed every change. Skips under -short and
// without Debian's PostgreSQL 15 and wal2json, which under CI=true is a
// failure.
func TestE2ESmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no real server")
	}
	if err := checkInstall(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin, err := buildPgwal(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := pgserver.StartT(t, pgserver.Config{BinDir: debian15, Version: 15, Settings: serverSettings()})
	const changes, txn = 2000, 100
	rep, err := run(ctx, srv, options{Changes: changes, Txn: txn, Reps: 1, Tables: []string{"narrow", "wide"},
		Clients: allClients, Pgwal: bin, Dir: dir, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Tables) != 2 {
		t.Fatalf("%d tables, want 2", len(rep.Tables))
	}
	for _, tr := range rep.Tables {
		if want := [3]int64{1600, 300, 100}; tr.Changes != want {
			t.Errorf("%s: wal2json printed %v inserts, updates, deletes; want %v", tr.Table, tr.Changes, want)
		}
		if len(tr.Results) != len(allClients) {
			t.Errorf("%s: %d results, want %d", tr.Table, len(tr.Results), len(allClients))
		}
		for _, m := range tr.Results {
			if !m.Identical {
				t.Errorf("%s: %s differs from pg_recvlogical+wal2json: %s", tr.Table, m.Client, m.Diff)
			}
			if m.Bytes == 0 || m.ServerCPU < 0 || m.Wall <= 0 {
				t.Errorf("%s: %s: %d bytes, walsender CPU %v, wall %v", tr.Table, m.Client, m.Bytes, m.ServerCPU, m.Wall)
			}
		}
	}
	t.Log("\n" + rep.markdown())
}
