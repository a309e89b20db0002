package changejson

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/capfile"
	"github.com/pgwal/pgwal/txn"
	"github.com/pgwal/pgwal/value"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// render assembles a captured session with txn and renders it; user types
// are registered as a consumer that knows the workload's schema would.
func render(t *testing.T, file string, transactions bool) []byte {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, err := capfile.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := f.DecoderOptions()
	if err != nil {
		t.Fatal(err)
	}
	dec := codec.NewDecoder(opts)
	a := txn.New(txn.Options{MemoryBudget: 4 << 10, SpillDir: t.TempDir()})
	defer a.Close()
	var types value.Registry
	w := Writer{Transactions: transactions, Types: &types}
	var out []byte
	for _, m := range f.Messages {
		msg, err := dec.Decode(m.Data)
		if err != nil {
			t.Fatalf("%s line %d: %v", file, m.Line, err)
		}
		if ty, ok := msg.(*codec.Type); ok {
			switch name := string(ty.Namespace) + "." + string(ty.Name); name {
			case "app.mood":
				types.RegisterText(ty.TypeOID, name, value.CategoryEnum)
			case "app.point2":
				types.RegisterComposite(ty.TypeOID, name)
			default:
				types.ApplyType(ty)
			}
		}
		if err := a.Push(msg, m.LSN); err != nil {
			t.Fatalf("%s line %d: %v", file, m.Line, err)
		}
		for {
			ev, err := a.Next()
			if err != nil {
				t.Fatalf("%s line %d: %v", file, m.Line, err)
			}
			if ev.Kind == txn.EventNone {
				break
			}
			if out, err = w.AppendEvent(out, ev); err != nil {
				t.Fatalf("%s line %d: %v", file, m.Line, err)
			}
		}
	}
	return out
}

// The shapes pinned by golden files: plain transactions with every type,
// messages and origins (v1-all), binary values (v1-binary), streamed
// transactions with aborts (v2-stream), two-phase (v3-twophase), parallel
// streaming (v4-parallel); each one change per line and one object per
// transaction.
var goldenInputs = []string{"v1-all", "v1-binary", "v2-stream", "v3-twophase", "v4-parallel"}

func TestGolden(t *testing.T) {
	for _, in := range goldenInputs {
		for _, tx := range []bool{false, true} {
			name := in + ".changes"
			if tx {
				name = in + ".transactions"
			}
			t.Run(name, func(t *testing.T) {
				got := render(t, filepath.Join("..", "..", "testdata", "pgoutput", "pg17", in+".txt"), tx)
				checkLines(t, got)
				golden := filepath.Join("testdata", name+".golden.jsonl")
				if *update {
					if err := os.MkdirAll("testdata", 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (go test ./internal/changejson -update writes it)", err)
				}
				if d := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); d != "" {
					t.Errorf("%s (-want +got):\n%s", golden, d)
				}
			})
		}
	}
}

// checkLines: every line is one JSON object, and no column the server did
// not send is printed as null.
func checkLines(t *testing.T, out []byte) {
	t.Helper()
	if len(out) == 0 {
		t.Fatal("no output")
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for n := 1; sc.Scan(); n++ {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", n, err, sc.Bytes())
		}
	}
}

// A binary session prints exactly what a text session prints, on every
// version of the corpus.
func TestBinaryEqualsText(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "pgoutput", "pg*"))
	if len(dirs) == 0 {
		t.Fatal("no corpus")
	}
	for _, dir := range dirs {
		text, nt := withoutReg(t, render(t, filepath.Join(dir, "v1-plain.txt"), false))
		bin, nb := withoutReg(t, render(t, filepath.Join(dir, "v1-binary.txt"), false))
		if nt == 0 || nt != nb {
			t.Errorf("%s: %d and %d reg* values", dir, nt, nb)
		}
		if d := cmp.Diff(text, bin); d != "" {
			t.Errorf("%s: binary differs from text (-text +binary):\n%s", dir, d)
		}
	}
}

// withoutReg returns the lines of out with the values of reg* columns
// taken out, and how many it took: in binary a reg* value is a bare OID,
// whose name only the catalog knows (see package value).
func withoutReg(t *testing.T, out []byte) ([]string, int) {
	t.Helper()
	var lines []string
	n := 0
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatal(err)
		}
		for _, side := range []string{"new", "old"} {
			cols, _ := obj[side].([]any)
			for _, c := range cols {
				col := c.(map[string]any)
				if typ, _ := col["type"].(string); strings.HasPrefix(typ, "reg") {
					delete(col, "value")
					n++
				}
			}
		}
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	return lines, n
}

// Unchanged TOAST is never null; a key-only old row marks the columns it
// does not carry; a full old row fills the new row's unchanged values.
func TestColumnStates(t *testing.T) {
	rel := &codec.Relation{RelationID: 1, Namespace: []byte("public"), Name: []byte("t"), ReplicaIdentity: 'd',
		Columns: []codec.RelationColumn{{Flags: 1, Name: []byte("id"), TypeOID: 23, TypeMod: -1}, {Name: []byte("body"), TypeOID: 25, TypeMod: -1}}}
	full := *rel
	full.RelationID, full.ReplicaIdentity, full.Name = 2, 'f', []byte("f")
	msgs := []codec.Message{
		rel, &full,
		&codec.Begin{FinalLSN: 0x100, Xid: 7},
		&codec.Update{RelationID: 1, New: codec.Tuple{{Kind: codec.ColumnText, Data: []byte("1")}, {Kind: codec.ColumnUnchanged}}},
		&codec.Delete{RelationID: 1, OldKind: codec.OldKey, Old: codec.Tuple{{Kind: codec.ColumnText, Data: []byte("1")}, {Kind: codec.ColumnNull}}},
		&codec.Update{RelationID: 2, OldKind: codec.OldFull,
			Old: codec.Tuple{{Kind: codec.ColumnText, Data: []byte("2")}, {Kind: codec.ColumnText, Data: []byte("long")}},
			New: codec.Tuple{{Kind: codec.ColumnText, Data: []byte("2")}, {Kind: codec.ColumnUnchanged}}},
		&codec.Commit{CommitLSN: 0x100, EndLSN: 0x180},
	}
	out := renderMessages(t, &Writer{}, msgs)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	want := []string{
		`{"op":"update","schema":"public","table":"t","xid":7,"commit_lsn":"0/100","key":["id"],"new":[{"name":"id","type":"integer","value":1},{"name":"body","type":"text","unchanged":true}]}`,
		`{"op":"delete","schema":"public","table":"t","xid":7,"commit_lsn":"0/100","key":["id"],"old":[{"name":"id","type":"integer","value":1},{"name":"body","type":"text","absent":true}]}`,
		`{"op":"update","schema":"public","table":"f","xid":7,"commit_lsn":"0/100","key":["id"],"new":[{"name":"id","type":"integer","value":2},{"name":"body","type":"text","value":"long","filled":true}],"old":[{"name":"id","type":"integer","value":2},{"name":"body","type":"text","value":"long"}]}`,
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// TypeNames names a column's type over its Type message (pgoutput names
// a domain by its base type); types it does not list keep the Type
// message's name, and built-in types format_type's.
// (Without a registry the domain's value is a string.)
func TestTypeNames(t *testing.T) {
	msgs := []codec.Message{
		&codec.Type{TypeOID: 16500, Namespace: []byte("pg_catalog"), Name: []byte("int4")},
		&codec.Type{TypeOID: 16501, Namespace: []byte("app"), Name: []byte("mood")},
		&codec.Relation{RelationID: 1, Namespace: []byte("public"), Name: []byte("t"), ReplicaIdentity: 'd',
			Columns: []codec.RelationColumn{{Flags: 1, Name: []byte("id"), TypeOID: 23, TypeMod: -1},
				{Name: []byte("qty"), TypeOID: 16500, TypeMod: -1}, {Name: []byte("m"), TypeOID: 16501, TypeMod: -1}}},
		&codec.Begin{FinalLSN: 0x100, Xid: 7},
		&codec.Insert{RelationID: 1, New: codec.Tuple{{Kind: codec.ColumnText, Data: []byte("1")},
			{Kind: codec.ColumnText, Data: []byte("5")}, {Kind: codec.ColumnText, Data: []byte("ok")}}},
		&codec.Commit{CommitLSN: 0x100, EndLSN: 0x180},
	}
	for _, tc := range []struct {
		names map[uint32]string
		want  string
	}{
		{nil, `{"op":"insert","schema":"public","table":"t","xid":7,"commit_lsn":"0/100","key":["id"],"new":[{"name":"id","type":"integer","value":1},{"name":"qty","type":"integer","value":"5"},{"name":"m","type":"app.mood","value":"ok"}]}`},
		{map[uint32]string{16500: "app.qty"}, `{"op":"insert","schema":"public","table":"t","xid":7,"commit_lsn":"0/100","key":["id"],"new":[{"name":"id","type":"integer","value":1},{"name":"qty","type":"app.qty","value":"5"},{"name":"m","type":"app.mood","value":"ok"}]}`},
	} {
		out := renderMessages(t, &Writer{TypeNames: tc.names}, msgs)
		if d := cmp.Diff(tc.want, strings.TrimSuffix(string(out), "\n")); d != "" {
			t.Errorf("TypeNames %v (-want +got):\n%s", tc.names, d)
		}
	}
}

// BenchmarkWriter renders the changes of a captured session (decode,
// assemble and render, as pgwal decode --format pgwal does) and reports
// changes per second; the bar for the command is 1,000,000 a second.
func BenchmarkWriter(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pgoutput", "pg17", "v1-all.txt"))
	if err != nil {
		b.Fatal(err)
	}
	f, err := capfile.Read(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	opts, _ := f.DecoderOptions()
	dec := codec.NewDecoder(opts)
	var w Writer
	var out []byte
	changes := 0
	dir := b.TempDir()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := txn.New(txn.Options{SpillDir: dir})
		dec.Reset()
		for _, m := range f.Messages {
			msg, err := dec.Decode(m.Data)
			if err != nil {
				b.Fatal(err)
			}
			if err := a.Push(msg, m.LSN); err != nil {
				b.Fatal(err)
			}
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
				}
				if out, err = w.AppendEvent(out[:0], ev); err != nil {
					b.Fatal(err)
				}
			}
		}
		a.Close()
	}
	b.ReportMetric(float64(changes)/b.Elapsed().Seconds(), "changes/s")
}

// renderMessages assembles decoded messages (all at WAL position 0) and renders
// every event with w.
func renderMessages(t *testing.T, w *Writer, msgs []codec.Message) []byte {
	t.Helper()
	a := txn.New(txn.Options{SpillDir: t.TempDir()})
	defer a.Close()
	var out []byte
	for _, m := range msgs {
		if err := a.Push(m, 0); err != nil {
			t.Fatal(err)
		}
		for {
			ev, err := a.Next()
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind == txn.EventNone {
				break
			}
			if out, err = w.AppendEvent(out, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}
