package txn

import (
	"strings"
	"testing"

	"github.com/pgwal/pgwal/codec"
)

// Spilling and replaying a streamed transaction allocates a fixed amount,
// not an amount per record: a transaction of twice the rows costs no more
// allocations (the chunks are recycled, and neither writing a record nor
// reading one back allocates).
func TestSpillAllocationsDoNotGrowWithTheTransaction(t *testing.T) {
	if testing.Short() {
		t.Skip("writes tens of MiB")
	}
	d := codec.NewDecoder(codec.Options{ProtoVersion: 2, Streaming: codec.StreamingOn})
	// Kept encoded and decoded as pushed: d reuses its message values.
	start := codec.AppendStreamStart(nil, &codec.StreamStart{Xid: 7, FirstSegment: true})
	relation := codec.AppendMessage(nil, rel(1, true, 7, "t", 'd', "id", "v"))
	insert := codec.AppendInsert(nil, &codec.Insert{InStream: true, Xid: 7, RelationID: 1, New: txt("1", strings.Repeat("v", 1000))})
	stop := codec.AppendStreamStop(nil, &codec.StreamStop{})
	commit := codec.AppendStreamCommit(nil, &codec.StreamCommit{Xid: 7, CommitLSN: 0x100, EndLSN: 0x120})
	dir := t.TempDir()
	run := func(rows int) float64 {
		return testing.AllocsPerRun(2, func() {
			a := New(Options{MemoryBudget: 1 << 20, SpillDir: dir})
			push := func(b []byte) {
				m, err := d.Decode(b)
				if err != nil {
					t.Fatal(err)
				}
				if err := a.Push(m, 1); err != nil {
					t.Fatal(err)
				}
			}
			push(start)
			push(relation)
			for i := 0; i < rows; i++ {
				push(insert)
			}
			push(stop)
			push(commit)
			n := 0
			each(t, a, func(ev Event) {
				if ev.Kind == EventChange {
					n++
				}
			})
			if n != rows {
				t.Fatalf("%d changes replayed, want %d", n, rows)
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := run(10_000), run(20_000)
	t.Logf("allocations: %.0f for 10,000 rows, %.0f for 20,000", small, large)
	if large > small+64 {
		t.Fatalf("allocations grow with the transaction: %.0f for 10,000 rows, %.0f for 20,000", small, large)
	}
}
