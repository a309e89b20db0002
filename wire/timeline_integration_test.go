package wire_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

// TestTimelineSwitch promotes a server to timeline 2 (restarted as a
// standby with no upstream, then pg_promote), and checks TIMELINE_HISTORY
// and the end of a historic timeline on a physical stream: streaming
// timeline 1 ends with EndOfTimeline naming timeline 2 and the switch
// point, and starting exactly at the switch point returns it at once.
func TestTimelineSwitch(t *testing.T) {
	eachVersion(t, pgserver.Config{}, func(t *testing.T, s *pgserver.Server) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		start, _ := lsn.Parse(mustExec(t, s, "SELECT pg_current_wal_insert_lsn()"))
		mustExec(t, s, "CREATE TABLE tl AS SELECT g FROM generate_series(1, 10000) g")
		if err := os.WriteFile(filepath.Join(s.DataDir(), "standby.signal"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := s.Restart(ctx, "fast"); err != nil {
			t.Fatal(err)
		}
		if out := mustExec(t, s, "SELECT pg_promote(true, 60)"); out != "t" {
			t.Fatalf("pg_promote: %q", out)
		}
		c := physicalConn(ctx, t, s)
		sys, err := c.IdentifySystem(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sys.Timeline != 2 {
			t.Fatalf("timeline after promotion = %d, want 2", sys.Timeline)
		}
		name, content, err := c.TimelineHistory(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		// "1\t0/3000098\tno recovery target specified"
		fields := strings.Fields(string(content))
		if name != "00000002.history" || len(fields) < 2 || fields[0] != "1" {
			t.Fatalf("TIMELINE_HISTORY 2 = %q, %q", name, content)
		}
		switchPoint, err := lsn.Parse(fields[1])
		if err != nil || switchPoint <= start {
			t.Fatalf("switch point %q (%v), want past %v", fields[1], err, start)
		}

		st, err := c.StartPhysicalReplication(ctx, "", start-start%8192, 1)
		if err != nil {
			t.Fatal(err)
		}
		var last lsn.LSN
		for {
			x, err := st.NextRaw(ctx)
			var end *wire.EndOfTimeline
			if errors.As(err, &end) {
				if end.NextTimeline != 2 || end.NextStart != switchPoint {
					t.Errorf("end of timeline: next %d at %v; want 2 at %v", end.NextTimeline, end.NextStart, switchPoint)
				}
				break
			}
			if err != nil {
				t.Fatalf("NextRaw after %v: %v", last, err)
			}
			last = x.WALStart + lsn.LSN(len(x.Data))
		}
		if last != switchPoint {
			t.Errorf("timeline 1 streamed up to %v, want the switch point %v", last, switchPoint)
		}
		if _, err := c.IdentifySystem(ctx); err != nil {
			t.Fatalf("session unusable after the end of a timeline: %v", err)
		}
		// Starting exactly at the end of timeline 1: no stream, just the answer.
		_, err = c.StartPhysicalReplication(ctx, "", switchPoint, 1)
		var end *wire.EndOfTimeline
		if !errors.As(err, &end) || end.NextTimeline != 2 || end.NextStart != switchPoint {
			t.Errorf("start at the switch point: %v; want EndOfTimeline(2, %v)", err, switchPoint)
		}
		if _, err := c.IdentifySystem(ctx); err != nil {
			t.Fatalf("session unusable after an immediate end of timeline: %v", err)
		}
	})
}
