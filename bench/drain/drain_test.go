package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
)

// TestMain lets the test binary serve as the drain child too.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		childMain(os.Args[1:])
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestDrainSmoke runs the whole drain with 20,000 rows: every client must
// drain every row (the children check their Insert count, run checks each
// slot's confirmed position). Skips without a server or pg_recvlogical,
// fails under CI=true.
func TestDrainSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	if _, err := pgserver.ClientBin("", "pg_recvlogical"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	srv := pgserver.StartT(t, pgserver.Config{Settings: serverSettings()})
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const rows = 20000
	rep, err := run(ctx, srv, options{Rows: rows, TxnRows: 1000, Clients: allClients, Exe: exe, Ctx: "cancel", CountIO: true,
		BatchBytes: 64 << 10, BatchDelay: 5 * time.Millisecond, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != len(allClients) {
		t.Fatalf("%d results, want %d", len(rep.Results), len(allClients))
	}
	want := int64(rows + rows/1000*2 + 1) // Inserts, Begin and Commit per transaction, one Relation
	for _, r := range rep.Results {
		if c := r.Child; c != nil {
			if c.Inserts != rows || c.Messages != want || c.Commits != rows/1000 || c.Relations != 1 {
				t.Errorf("%s: %d inserts, %d messages, %d commits, %d relations; want %d, %d, %d, 1",
					r.Client, c.Inserts, c.Messages, c.Commits, c.Relations, rows, want, rows/1000)
			}
			if c.Reads <= 0 || c.ReadBytes <= 0 {
				t.Errorf("%s: -countio counted %d reads of %d bytes", r.Client, c.Reads, c.ReadBytes)
			}
			if c.LastEnd < uint64(rep.EndPos) {
				t.Errorf("%s: stopped at %d, before endpos %v", r.Client, c.LastEnd, rep.EndPos)
			}
		}
		// pg_recvlogical stops at the final Commit without writing it, so it
		// confirms only up to the record before.
		if r.Child != nil && r.Confirmed < rep.EndPos {
			t.Errorf("%s: slot confirmed %v, before endpos %v", r.Client, r.Confirmed, rep.EndPos)
		}
	}
	t.Log("\n" + rep.markdown())
}
