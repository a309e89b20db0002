package txn

import (
	"encoding/binary"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// plainTxns encodes n transactions of perTxn 5-column inserts each.
func plainTxns(n, perTxn int) (schema []byte, msgs [][]byte) {
	r := rel(1, false, 0, "t", 'd', "id", "a", "b", "c", "d")
	schema = codec.AppendMessage(nil, r)
	pos := lsn.LSN(0x1000)
	row := txt("12345", "some text value", "42", "2026-01-01 00:00:00", "<null>")
	for i := 0; i < n; i++ {
		commit := pos + lsn.LSN(perTxn*0x40+0x40)
		msgs = append(msgs, codec.AppendBegin(nil, &codec.Begin{FinalLSN: commit, Xid: uint32(1000 + i)}))
		for j := 0; j < perTxn; j++ {
			msgs = append(msgs, codec.AppendInsert(nil, &codec.Insert{RelationID: 1, New: row}))
		}
		msgs = append(msgs, codec.AppendCommit(nil, &codec.Commit{CommitLSN: commit, EndLSN: commit + 0x20}))
		pos = commit + 0x20
	}
	return schema, msgs
}

// BenchmarkPassThrough measures plain transactions through the
// Assembler against decoding alone, per message (ns/op is per message;
// 100 inserts per transaction). The ratio of the two is the cost the
// Assembler adds.
func BenchmarkPassThrough(b *testing.B) {
	schema, msgs := plainTxns(10, 100)
	b.Run("decode-only", func(b *testing.B) {
		var d codec.Decoder
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := d.Decode(msgs[i%len(msgs)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	span := lsn.LSN(0x100000)
	b.Run("assemble", func(b *testing.B) {
		var d codec.Decoder
		a := New(Options{})
		m, _ := d.Decode(schema)
		a.Push(m, 0)
		sink := 0
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			k := i % len(msgs)
			if k == 0 && i > 0 {
				advance(msgs, span) // the next round's transactions come later in the WAL
			}
			m, err := d.Decode(msgs[k])
			if err != nil {
				b.Fatal(err)
			}
			if err := a.Push(m, 0); err != nil {
				b.Fatal(err)
			}
			for {
				ev, err := a.Next()
				if err != nil {
					b.Fatal(err)
				}
				if ev.Kind == EventNone {
					break
				}
				if ev.Kind == EventChange {
					sink += ev.Change.New.Len()
				}
			}
		}
		_ = sink
	})
}

// advance moves the Begin and Commit LSNs of msgs forward by d.
func advance(msgs [][]byte, d lsn.LSN) {
	for _, m := range msgs {
		switch codec.MessageType(m[0]) {
		case codec.TypeBegin:
			binary.BigEndian.PutUint64(m[1:], binary.BigEndian.Uint64(m[1:])+uint64(d))
		case codec.TypeCommit:
			binary.BigEndian.PutUint64(m[2:], binary.BigEndian.Uint64(m[2:])+uint64(d))
			binary.BigEndian.PutUint64(m[10:], binary.BigEndian.Uint64(m[10:])+uint64(d))
		}
	}
}

// BenchmarkSpill streams one transaction of row changes (256 MiB, or
// PGWAL_SPILL_MIB) through a 16 MiB budget and replays it: spill write
// plus read-back throughput, the peak Go heap sampled at checkpoints and
// the process's peak RSS; then the same with the budget unlimited, to show
// what the bound saves. (The peak RSS is the process's high-water mark,
// so the unlimited run comes second.)
func BenchmarkSpill(b *testing.B) {
	if testing.Short() {
		b.Skip("hundreds of MiB through the disk")
	}
	total := 256 << 20
	if v, err := strconv.Atoi(os.Getenv("PGWAL_SPILL_MIB")); err == nil && v > 0 {
		total = v << 20
	}
	for _, c := range []struct {
		name   string
		budget int64
	}{{"budget=16MiB", 16 << 20}, {"unlimited", Unlimited}} {
		b.Run(c.name, func(b *testing.B) { benchSpill(b, total, c.budget) })
	}
}

func benchSpill(b *testing.B, total int, budget int64) {
	value := make([]byte, 1000)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	ins := codec.AppendInsert(nil, &codec.Insert{InStream: true, Xid: 7, RelationID: 1,
		New: codec.Tuple{{Kind: codec.ColumnText, Data: []byte("1")}, {Kind: codec.ColumnText, Data: value}}})
	n := total / len(ins)
	b.SetBytes(int64(n * len(ins)))
	var peak uint64
	var ms runtime.MemStats
	sample := func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	for i := 0; i < b.N; i++ {
		a := New(Options{MemoryBudget: budget, SpillDir: b.TempDir()})
		d := codec.NewDecoder(codec.Options{})
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
		push(codec.AppendRelation(nil, rel(1, true, 7, "t", 'd', "id", "v")))
		for j := 0; j < n; j++ {
			push(ins)
			if j%(n/64) == 0 {
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
			if ev.Kind == EventNone {
				break
			}
			if ev.Kind == EventChange {
				changes++
				if changes%(n/64) == 0 {
					sample()
				}
			}
		}
		if changes != n {
			b.Fatalf("%d changes replayed, want %d", changes, n)
		}
		a.Close()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	if budget > 0 && budget != Unlimited {
		b.ReportMetric(float64(peak)/float64(budget), "peak/budget")
	}
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "peak-rss-MiB")
	}
}

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
