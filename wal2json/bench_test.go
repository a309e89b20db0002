package wal2json

import (
	"strconv"
	"testing"

	"github.com/pgwal/pgwal/codec"
)

// benchTxn is a transaction of 100 inserts into a table of six columns.
func benchTxn() (*Begin, []Change) {
	rel := &Relation{Schema: "public", Table: "orders", ReplicaIdentity: codec.ReplicaIdentityDefault, Columns: []Column{
		{Name: "id", TypeOID: 20, TypeMod: -1, Key: true}, {Name: "customer", TypeOID: 1043, TypeMod: 44},
		{Name: "amount", TypeOID: 1700, TypeMod: 12<<16 | 2 + 4}, {Name: "paid", TypeOID: 16, TypeMod: -1},
		{Name: "note", TypeOID: 25, TypeMod: -1}, {Name: "at", TypeOID: 1184, TypeMod: -1},
	}}
	changes := make([]Change, 100)
	for i := range changes {
		changes[i] = Change{Kind: Insert, LSN: 0x1000000, Relation: rel, New: codec.Tuple{
			{Kind: codec.ColumnText, Data: []byte(strconv.Itoa(i))}, {Kind: codec.ColumnText, Data: []byte("customer \"quoted\"")},
			{Kind: codec.ColumnText, Data: []byte("1234.50")}, {Kind: codec.ColumnText, Data: []byte("t")},
			{Kind: codec.ColumnNull}, {Kind: codec.ColumnText, Data: []byte("2024-05-01 12:00:00+00")},
		}}
	}
	return &Begin{Xid: 1234, CommitLSN: 0x2000000, EndLSN: 0x2000100, CommitTime: 768000000000000}, changes
}

func writeTxn(w *Writer, b *Begin, cs []Change) error {
	if err := w.Begin(b); err != nil {
		return err
	}
	for i := range cs {
		if err := w.Change(&cs[i]); err != nil {
			return err
		}
	}
	return w.Commit()
}

func benchOptions() map[string][]string {
	return map[string][]string{
		"v1":        {"include-xids", "include-timestamp", "include-lsn", "include-pk"},
		"v1-pretty": {"pretty-print", "include-type-oids"},
		"v2":        {"format-version=2", "include-xids", "include-timestamp", "include-lsn", "include-pk"},
	}
}

func BenchmarkInserts(b *testing.B) {
	begin, cs := benchTxn()
	for name, args := range benchOptions() {
		b.Run(name, func(b *testing.B) {
			o, err := ParseOptions(args...)
			if err != nil {
				b.Fatal(err)
			}
			var out []byte
			w, _ := NewWriter(o, func(p []byte) error { out = append(out[:0], p...); return nil })
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := writeTxn(w, begin, cs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestInsertsDoNotAllocate: once its buffers have grown, a Writer prints
// a transaction of inserts without allocating.
func TestInsertsDoNotAllocate(t *testing.T) {
	begin, cs := benchTxn()
	for name, args := range benchOptions() {
		o, err := ParseOptions(args...)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		w, _ := NewWriter(o, func(p []byte) error { n += len(p); return nil })
		if err := writeTxn(w, begin, cs); err != nil {
			t.Fatal(err)
		}
		if n < 100*50 {
			t.Fatalf("%s: %d bytes printed", name, n)
		}
		if a := testing.AllocsPerRun(20, func() { _ = writeTxn(w, begin, cs) }); a != 0 {
			t.Errorf("%s: %.1f allocations per transaction", name, a)
		}
	}
}
