package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
)

// TestHandOff: pgconn connects, pgwal streams, every insert arrives, and
// the slot's confirmed position reaches what was acknowledged.
func TestHandOff(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	srv := pgserver.StartT(t, pgserver.Config{Settings: map[string]string{"logical_decoding_work_mem": "64kB"}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	must := func(sql string) string {
		out, err := srv.Exec(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return out
	}
	must("CREATE TABLE t (v text); CREATE PUBLICATION p FOR TABLE t")
	must("SELECT pg_create_logical_replication_slot('h', 'pgoutput')")
	must("INSERT INTO t VALUES ('a'), ('b')")
	must("INSERT INTO t SELECT repeat('x', 100) || g FROM generate_series(1, 3000) g") // streamed
	var out bytes.Buffer
	dsn := srv.DSN("", "", "postgres") + " sslmode=disable"
	acked, err := run(ctx, dsn, "h", "p", 3002, &out)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3002 || lines[0] != "insert public.t a" || lines[1] != "insert public.t b" {
		t.Fatalf("%d lines, first %q", len(lines), lines[:min(2, len(lines))])
	}
	confirmed, err := lsn.Parse(must("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'h'"))
	if err != nil || confirmed < acked || acked == 0 {
		t.Errorf("slot confirmed %v (%v), acknowledged %v", confirmed, err, acked)
	}
}
