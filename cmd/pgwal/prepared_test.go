package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// A message and the WAL position it arrives at.
type msgAt struct {
	m  codec.Message
	at lsn.LSN
}

// feed encodes each message (codec.AppendMessage), decodes it again as the
// stream would, and writes it; it returns the last report.
func feed(t *testing.T, fm formatter, w *bytes.Buffer, ms []msgAt) (lsn.LSN, bool) {
	t.Helper()
	d := codec.NewDecoder(codec.Options{})
	var end lsn.LSN
	var complete bool
	for _, x := range ms {
		m, err := d.Decode(codec.AppendMessage(nil, x.m))
		if err != nil {
			t.Fatalf("decode %T: %v", x.m, err)
		}
		e, c, err := fm.Write(w, m, x.at)
		if err != nil {
			t.Fatalf("write %T: %v", x.m, err)
		}
		if c {
			end, complete = e, true
		}
	}
	return end, complete
}

var prepRel = &codec.Relation{RelationID: 16384, Namespace: []byte("public"), Name: []byte("t"), ReplicaIdentity: 'd',
	Columns: []codec.RelationColumn{{Flags: 1, Name: []byte("id"), TypeOID: 23, TypeMod: -1}, {Name: []byte("note"), TypeOID: 25, TypeMod: -1}}}

func prepRows(base lsn.LSN, from, n int) []msgAt {
	var ms []msgAt
	for i := 0; i < n; i++ {
		ms = append(ms, msgAt{&codec.Insert{RelationID: 16384, New: codec.Tuple{
			{Kind: codec.ColumnText, Data: []byte(fmt.Sprint(from + i))},
			{Kind: codec.ColumnText, Data: []byte(fmt.Sprintf("row %d \"q\"", from+i))}}}, base + lsn.LSN(i*64)})
	}
	return ms
}

// a prepared transaction: Begin Prepare, its rows, Prepare.
func prepared(gid string, xid uint32, base lsn.LSN, from, n int) ([]msgAt, lsn.LSN) {
	end := base + lsn.LSN(n*64) + 40
	bp := &codec.BeginPrepare{PrepareLSN: end - 40, EndLSN: end, PrepareTime: 700000000000000, Xid: xid, GID: []byte(gid)}
	ms := []msgAt{{bp, base}, {prepRel, 0}}
	ms = append(ms, prepRows(base, from, n)...)
	ms = append(ms, msgAt{&codec.Prepare{PrepareLSN: end - 40, EndLSN: end, PrepareTime: 700000000000000, Xid: xid, GID: []byte(gid)}, end - 40})
	return ms, end
}

// wal2json decodes a prepared transaction at COMMIT PREPARED as an
// ordinary one: what pgwal prints then must be what it prints for the same
// changes in a Begin … Commit with the COMMIT PREPARED record's fields.
func ordinary(t *testing.T, opts []string, xid uint32, base lsn.LSN, from, n int, cp *codec.CommitPrepared) string {
	t.Helper()
	fm := newW2J(t, opts, "")
	var out bytes.Buffer
	ms := []msgAt{{&codec.Begin{FinalLSN: cp.CommitLSN, CommitTime: cp.CommitTime, Xid: xid}, base}, {prepRel, 0}}
	ms = append(ms, prepRows(base, from, n)...)
	ms = append(ms, msgAt{&codec.Commit{CommitLSN: cp.CommitLSN, EndLSN: cp.EndLSN, CommitTime: cp.CommitTime}, cp.CommitLSN})
	feed(t, fm, &out, ms)
	return out.String()
}

func newW2J(t *testing.T, opts []string, dir string) *wal2jsonFormat {
	t.Helper()
	var po []pluginOption
	for _, o := range opts {
		name, value, ok := strings.Cut(o, "=")
		po = append(po, pluginOption{Name: name, Value: value, HasValue: ok})
	}
	fm, err := newWal2JSONFormat(po)
	if err != nil {
		t.Fatal(err)
	}
	f := fm.(*wal2jsonFormat)
	if dir != "" {
		if f.prep, err = openPreparedStore(dir); err != nil {
			t.Fatal(err)
		}
	}
	f.Reset(0)
	return f
}

func stateFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func countSuffix(names []string, suffix string) int {
	n := 0
	for _, s := range names {
		if strings.HasSuffix(s, suffix) {
			n++
		}
	}
	return n
}

// PREPARE, a simulated crash (a new formatter on the same state
// directory), COMMIT PREPARED and ROLLBACK PREPARED, in formats 1 and 2.
func TestWal2JSONTwoPhaseRestart(t *testing.T) {
	for _, opts := range [][]string{
		{"format-version=2", "include-lsn=1", "include-xids=1", "include-timestamp=1"},
		{"format-version=1", "include-lsn=1", "include-xids=1", "include-timestamp=1"},
		{"format-version=1", "write-in-chunks=1", "include-xids=1"},
	} {
		t.Run(strings.Join(opts, ","), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			var out bytes.Buffer

			// Session 1: two PREPAREs, and one cut short.
			fm := newW2J(t, opts, dir)
			ms1, end1 := prepared("g1", 700, 0x1000, 1, 3)
			if end, ok := feed(t, fm, &out, ms1); !ok || end != end1 {
				t.Fatalf("PREPARE g1: report (%v, %v), want (%v, true)", end, ok, end1)
			}
			ms2, end2 := prepared("g2 'odd'/name", 701, 0x2000, 10, 2)
			feed(t, fm, &out, ms2)
			if out.Len() != 0 {
				t.Fatalf("printed at PREPARE: %q", out.String())
			}
			if got := countSuffix(stateFiles(t, dir), preparedSuffix); got != 2 {
				t.Fatalf("%d .prepared files, want 2: %v", got, stateFiles(t, dir))
			}
			ms3, _ := prepared("g3", 702, 0x3000, 20, 2)
			feed(t, fm, &out, ms3[:3]) // Begin Prepare, Relation, one row: then the process dies

			// Session 2: a new process.
			fm = newW2J(t, opts, dir)
			if n := countSuffix(stateFiles(t, dir), ".tmp"); n != 0 {
				t.Errorf("%d .tmp files left after reopening", n)
			}
			cp := &codec.CommitPrepared{CommitLSN: 0x5000, EndLSN: 0x5030, CommitTime: 700000001000000, Xid: 700, GID: []byte("g1")}
			end, ok := feed(t, fm, &out, []msgAt{{cp, cp.CommitLSN}})
			if !ok || end != cp.EndLSN {
				t.Fatalf("COMMIT PREPARED: report (%v, %v), want (%v, true)", end, ok, cp.EndLSN)
			}
			want := ordinary(t, opts, 700, 0x1000, 1, 3, cp)
			if !strings.Contains(want, `"row 3 \"q\""`) {
				t.Fatalf("the reference printed no rows: %q", want)
			}
			if out.String() != want {
				t.Errorf("COMMIT PREPARED printed\n%s\nwant (as wal2json prints the transaction)\n%s", out.String(), want)
			}
			if got := countSuffix(stateFiles(t, dir), preparedSuffix); got != 2 {
				t.Errorf("g1's file removed before the output was durable: %v", stateFiles(t, dir))
			}
			if err := fm.outputDurable(cp.EndLSN - 1); err != nil {
				t.Fatal(err)
			}
			if got := countSuffix(stateFiles(t, dir), preparedSuffix); got != 2 {
				t.Errorf("g1's file removed with the output durable only before its COMMIT PREPARED: %v", stateFiles(t, dir))
			}
			if err := fm.outputDurable(cp.EndLSN); err != nil {
				t.Fatal(err)
			}
			if got := countSuffix(stateFiles(t, dir), preparedSuffix); got != 1 {
				t.Errorf("g1's file not removed once durable: %v", stateFiles(t, dir))
			}
			out.Reset()
			rp := &codec.RollbackPrepared{PrepareEndLSN: end2, RollbackEndLSN: 0x6030, PrepareTime: 700000000000000, RollbackTime: 700000002000000, Xid: 701, GID: []byte("g2 'odd'/name")}
			if end, ok := feed(t, fm, &out, []msgAt{{rp, 0x6000}}); !ok || end != rp.RollbackEndLSN {
				t.Fatalf("ROLLBACK PREPARED: report (%v, %v)", end, ok)
			}
			if out.Len() != 0 {
				t.Errorf("ROLLBACK PREPARED printed %q", out.String())
			}
			if got := countSuffix(stateFiles(t, dir), preparedSuffix); got != 0 {
				t.Errorf("files left after the rollback: %v", stateFiles(t, dir))
			}

			// Session 3: the server sends g1's COMMIT PREPARED again (its
			// acknowledgement was lost): printed already, skipped. One for
			// a GID never stored is an error naming it.
			fm = newW2J(t, opts, dir)
			if end, ok := feed(t, fm, &out, []msgAt{{cp, cp.CommitLSN}, {rp, 0x6000}}); !ok || end != rp.RollbackEndLSN {
				t.Fatalf("resent: report (%v, %v)", end, ok)
			}
			if out.Len() != 0 {
				t.Errorf("a COMMIT PREPARED sent again printed %q", out.String())
			}
			lost := &codec.CommitPrepared{CommitLSN: 0x7000, EndLSN: 0x7030, CommitTime: 700000003000000, Xid: 703, GID: []byte("lost-gid")}
			m, _ := codec.NewDecoder(codec.Options{}).Decode(codec.AppendMessage(nil, lost))
			if _, _, err := fm.Write(&out, m, lost.CommitLSN); err == nil || !strings.Contains(err.Error(), `"lost-gid"`) {
				t.Errorf("COMMIT PREPARED of an unknown GID: err %v, want one naming it", err)
			}
		})
	}
}

// A GID used again: the second PREPARE gets its own file, the COMMIT
// PREPARED prints the latest, and the older (stale) file goes once durable.
func TestWal2JSONTwoPhaseGIDReused(t *testing.T) {
	dir := t.TempDir()
	opts := []string{"format-version=2", "include-xids=1"}
	fm := newW2J(t, opts, dir)
	var out bytes.Buffer
	ms, _ := prepared("g", 800, 0x1000, 1, 2)
	feed(t, fm, &out, ms)
	cp1 := &codec.CommitPrepared{CommitLSN: 0x2000, EndLSN: 0x2030, Xid: 800, GID: []byte("g")}
	feed(t, fm, &out, []msgAt{{cp1, cp1.CommitLSN}})
	ms, _ = prepared("g", 801, 0x3000, 50, 1)
	feed(t, fm, &out, ms)
	cp2 := &codec.CommitPrepared{CommitLSN: 0x4000, EndLSN: 0x4030, Xid: 801, GID: []byte("g")}
	out.Reset()
	feed(t, fm, &out, []msgAt{{cp2, cp2.CommitLSN}})
	if want := ordinary(t, opts, 801, 0x3000, 50, 1, cp2); out.String() != want {
		t.Errorf("second use of the GID printed\n%s\nwant\n%s", out.String(), want)
	}
	if err := fm.outputDurable(cp2.EndLSN); err != nil {
		t.Fatal(err)
	}
	if got := countSuffix(stateFiles(t, dir), preparedSuffix); got != 0 {
		t.Errorf("files left: %v", stateFiles(t, dir))
	}
}

// Without --two-phase a prepared unit is an error, not silently dropped.
func TestWal2JSONPreparedWithoutStore(t *testing.T) {
	fm := newW2J(t, nil, "")
	ms, _ := prepared("g", 900, 0x1000, 1, 1)
	d := codec.NewDecoder(codec.Options{})
	var out bytes.Buffer
	var err error
	for _, x := range ms {
		m, _ := d.Decode(codec.AppendMessage(nil, x.m))
		if _, _, err = fm.Write(&out, m, x.at); err != nil {
			break
		}
	}
	if err == nil || !strings.Contains(err.Error(), "without --two-phase") {
		t.Errorf("err %v", err)
	}
}
