package wire_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

// TestRawPluginStream: another output plugin (test_decoding) with its own
// options, undecoded, acknowledged by WALStart; the slot's confirmed
// position follows.
func TestRawPluginStream(t *testing.T) {
	eachVersion(t, pgserver.Config{}, func(t *testing.T, s *pgserver.Server) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		mustExec(t, s, "CREATE TABLE raw_t (id int PRIMARY KEY, v text)")
		c, err := wire.Connect(ctx, replConfig(t, s))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.CreateReplicationSlot(ctx, "raw_td", wire.SlotOptions{Plugin: "test_decoding", Snapshot: "nothing"}); err != nil {
			t.Fatal(err)
		}
		mustExec(t, s, "INSERT INTO raw_t VALUES (1, 'one'), (2, 'two')")
		st, err := c.StartReplicationRaw(ctx, "raw_td", 0, []wire.PluginOption{
			{Name: "include-xids", Value: "0"}, {Name: "skip-empty-xacts", Value: "1"}, {Name: "include-timestamp"}})
		if err != nil {
			t.Fatal(err)
		}
		if st.Kind() != wire.LogicalRaw {
			t.Errorf("kind %v", st.Kind())
		}
		var lines []string
		var acked lsn.LSN
		for !(len(lines) > 0 && strings.HasPrefix(lines[len(lines)-1], "COMMIT")) {
			x, err := st.NextRaw(ctx)
			if err != nil {
				t.Fatalf("after %q: %v", lines, err)
			}
			lines = append(lines, string(x.Data))
			acked = x.WALStart
			st.Ack(acked) // "applied": kept in lines
		}
		want := []string{"BEGIN", "table public.raw_t: INSERT: id[integer]:1 v[text]:'one'", "table public.raw_t: INSERT: id[integer]:2 v[text]:'two'"}
		if len(lines) != 4 || lines[0] != want[0] || lines[1] != want[1] || lines[2] != want[2] || !strings.HasPrefix(lines[3], "COMMIT (at ") {
			t.Fatalf("test_decoding said %q", lines)
		}
		if err := st.Close(ctx); err != nil {
			t.Fatal(err)
		}
		out := mustExec(t, s, "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'raw_td'")
		if got, err := lsn.Parse(out); err != nil || got < acked {
			t.Errorf("slot confirmed %s, acknowledged %v", out, acked)
		}
	})
}
