package wire_test

import (
	"context"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

// TestPhysicalStream streams raw WAL from the current position: chunks are
// contiguous, acknowledgements are reported, and after Close the session
// runs commands and another physical stream.
func TestPhysicalStream(t *testing.T) {
	eachVersion(t, pgserver.Config{}, func(t *testing.T, s *pgserver.Server) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		c := physicalConn(ctx, t, s)
		if _, err := c.CreateReplicationSlot(ctx, "phys", wire.SlotOptions{Physical: true, ReserveWAL: true}); err != nil {
			t.Fatal(err)
		}
		sys, err := c.IdentifySystem(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Start at a segment-independent page boundary at or before xlogpos.
		start := sys.XLogPos - sys.XLogPos%8192
		st, err := c.StartPhysicalReplication(ctx, "phys", start, sys.Timeline)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Next(ctx); err == nil {
			t.Fatal("Next on a physical stream: want an error (raw WAL has no pgoutput messages)")
		}
		mustExec(t, s, "CREATE TABLE walgen AS SELECT g, md5(g::text) FROM generate_series(1, 20000) g")
		target, _ := lsn.Parse(mustExec(t, s, "SELECT pg_current_wal_insert_lsn()"))
		next := start
		for next < target {
			x, err := st.NextRaw(ctx)
			if err != nil {
				t.Fatalf("NextRaw at %v (target %v): %v", next, target, err)
			}
			if x.WALStart != next {
				t.Fatalf("chunk starts at %v, want %v (contiguous)", x.WALStart, next)
			}
			if len(x.Data) == 0 {
				t.Fatalf("empty WAL chunk at %v", x.WALStart)
			}
			next = x.WALStart + lsn.LSN(len(x.Data))
			st.Ack(next)
		}
		if write, flush, _ := st.Positions(); write < target || flush < target {
			t.Errorf("positions write %v flush %v, want ≥ %v", write, flush, target)
		}
		if err := st.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}
		// The slot kept what was reported before Close.
		restart, err := lsn.Parse(mustExec(t, s, "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'phys'"))
		if err != nil || restart < target {
			t.Errorf("slot restart_lsn %v (%v), want ≥ %v", restart, err, target)
		}
		// A physical session can stream again.
		st, err = c.StartPhysicalReplication(ctx, "phys", next-next%8192, sys.Timeline)
		if err != nil {
			t.Fatalf("second physical stream: %v", err)
		}
		if err := st.Close(ctx); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if _, err := c.IdentifySystem(ctx); err != nil {
			t.Fatalf("IdentifySystem after streaming: %v", err)
		}
	})
}

// physicalConn opens a physical replication session (replication=true),
// closed at the end of the test.
func physicalConn(ctx context.Context, t *testing.T, s *pgserver.Server) *wire.Conn {
	t.Helper()
	cfg, err := wire.ParseConfig(s.DSN("", "", "postgres") + " replication=true sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	c, err := wire.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
