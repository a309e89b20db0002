package bench

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/txn"
)

// BenchmarkTxnSpill streams one transaction of row changes (1 GiB, or
// PGWAL_SPILL_MIB MiB) through a txn.Assembler with a 16 MiB budget and
// replays it at its Stream Commit: MB/s is spill write plus read-back;
// peak-heap-MiB is the largest HeapInuse sampled 64 times on the way in
// and 64 times on the way out; peak-rss-MiB is the process's high-water
// mark, reset as each run starts. Then the same with the budget unlimited, to show what the bound
// saves.
func BenchmarkTxnSpill(b *testing.B) {
	total := 1 << 30
	if v, err := strconv.Atoi(os.Getenv("PGWAL_SPILL_MIB")); err == nil && v > 0 {
		total = v << 20
	}
	for _, c := range []struct {
		name   string
		budget int64
	}{{"budget=16MiB", 16 << 20}, {"unlimited", txn.Unlimited}} {
		b.Run(c.name, func(b *testing.B) { benchSpill(b, total, c.budget) })
	}
}

func benchSpill(b *testing.B, total int, budget int64) {
	value := make([]byte, 1000)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	relMsg := codec.AppendRelation(nil, &codec.Relation{InStream: true, Xid: 7, RelationID: 1,
		Namespace: []byte("public"), Name: []byte("t"), ReplicaIdentity: 'd',
		Columns: []codec.RelationColumn{{Flags: 1, Name: []byte("id"), TypeOID: 20, TypeMod: -1}, {Name: []byte("v"), TypeOID: 25, TypeMod: -1}}})
	ins := codec.AppendInsert(nil, &codec.Insert{InStream: true, Xid: 7, RelationID: 1,
		New: codec.Tuple{{Kind: codec.ColumnText, Data: []byte("1")}, {Kind: codec.ColumnText, Data: value}}})
	n := total / len(ins)
	every := max(n/64, 1)
	b.SetBytes(int64(n * len(ins)))
	var peak uint64
	var ms runtime.MemStats
	sample := func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	runtime.GC()
	resetPeakRSS()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := txn.New(txn.Options{MemoryBudget: budget, SpillDir: b.TempDir()})
		d := codec.NewDecoder(codec.Options{ProtoVersion: 2, Streaming: codec.StreamingOn})
		push := func(p []byte) {
			m, err := d.Decode(p)
			if err != nil {
				b.Fatal(err)
			}
			if err := a.Push(m, 1); err != nil {
				b.Fatal(err)
			}
		}
		push(codec.AppendStreamStart(nil, &codec.StreamStart{Xid: 7, FirstSegment: true}))
		push(relMsg)
		for j := 0; j < n; j++ {
			push(ins)
			if j%every == 0 {
				sample()
			}
		}
		push(codec.AppendStreamStop(nil, &codec.StreamStop{}))
		push(codec.AppendStreamCommit(nil, &codec.StreamCommit{Xid: 7, CommitLSN: 0x100, EndLSN: 0x120}))
		changes := 0
		for {
			ev, err := a.Next()
			if err != nil {
				b.Fatal(err)
			}
			if ev.Kind == txn.EventNone {
				break
			}
			if ev.Kind == txn.EventChange {
				changes++
				if changes%every == 0 {
					sample()
				}
			}
		}
		if changes != n {
			b.Fatalf("%d changes replayed, want %d", changes, n)
		}
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	if budget != txn.Unlimited {
		b.ReportMetric(float64(peak)/float64(budget), "peak/budget")
	}
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MiB")
	}
}

// resetPeakRSS sets the process's peak RSS back to its current RSS, so
// that what earlier benchmarks held does not count (Linux: clear_refs 5).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak resident set (VmHWM), 0 if unknown.
func peakRSS() int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
