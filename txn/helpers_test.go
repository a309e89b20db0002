package txn

import (
	"errors"
	"os"
	"testing"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// A wire message: encoded with the codec's Append functions, as the server
// would send it, and the WALStart of its XLogData.
type wireMsg struct {
	b  []byte
	at lsn.LSN
	// A row change outside streams names the relation and the columns it
	// needs, so a resumed session can describe the relation first, as a
	// new walsender does before its first use.
	rel  uint32
	cols []string
}

// script builds a session's bytes.
type script struct{ msgs []wireMsg }

func (s *script) add(at lsn.LSN, m codec.Message) {
	s.msgs = append(s.msgs, wireMsg{b: codec.AppendMessage(nil, m), at: at})
}

// What the tests compare: a unit and its changes in plain values.
type gotUnit struct {
	Kind         Kind
	Xid, SubXid  uint32
	Streamed     bool
	FirstSegment bool
	GID, Origin  string
	LSN, End     lsn.LSN
	Ack, PrepAck lsn.LSN
	Changes      []gotChange
}

type gotChange struct {
	Op              Op
	Xid             uint32
	Rel             string
	Cols            []string
	OldKind         codec.OldTupleKind
	Old, New        []gotValue
	Truncated       []string
	Prefix, Content string
}

type gotValue struct {
	State  State
	Binary bool
	Data   string
	Filled bool
}

func unitOf(u *Unit) gotUnit {
	return gotUnit{Kind: u.Kind, Xid: u.Xid, SubXid: u.SubXid, Streamed: u.Streamed, FirstSegment: u.FirstSegment,
		GID: string(u.GID), Origin: string(u.Origin), LSN: u.LSN, End: u.End, Ack: u.Ack, PrepAck: u.AckAfterStoringPrepared}
}

func changeOf(c *Change) gotChange {
	g := gotChange{Op: c.Op, Xid: c.Xid, OldKind: c.OldKind, Prefix: string(c.Prefix), Content: string(c.Content)}
	if c.Relation != nil {
		g.Rel = c.Relation.Name
		for _, col := range c.Relation.Columns {
			g.Cols = append(g.Cols, col.Name)
		}
	}
	g.Old, g.New = valuesOf(c.Old), valuesOf(c.New)
	for _, r := range c.Truncated {
		g.Truncated = append(g.Truncated, r.Name)
	}
	return g
}

func valuesOf(r Row) []gotValue {
	if !r.Sent() {
		return nil
	}
	out := make([]gotValue, r.Len())
	for i := range out {
		v := r.At(i)
		out[i] = gotValue{v.State, v.Binary, string(v.Data), v.Filled}
	}
	return out
}

// collector drains an Assembler into gotUnits, checking the event grammar
// (Begin, Change*, End) as it goes.
type collector struct {
	t     testing.TB
	units []gotUnit
	cur   *gotUnit
}

func (c *collector) drain(a *Assembler) error {
	for {
		ev, err := a.Next()
		if err != nil {
			return err
		}
		switch ev.Kind {
		case EventNone:
			return nil
		case EventBegin:
			if c.cur != nil {
				c.t.Fatalf("EventBegin inside a unit: %+v", *c.cur)
			}
			u := unitOf(ev.Unit)
			c.cur = &u
		case EventChange:
			if c.cur == nil {
				c.t.Fatalf("EventChange outside a unit")
			}
			c.cur.Changes = append(c.cur.Changes, changeOf(ev.Change))
		case EventEnd:
			if c.cur == nil {
				c.t.Fatalf("EventEnd outside a unit")
			}
			u := unitOf(ev.Unit)
			u.Changes = c.cur.Changes
			c.units = append(c.units, u)
			c.cur = nil
		}
	}
}

// run decodes msgs with a codec.Decoder, pushes them and collects the
// output; it stops at the first error.
func run(t testing.TB, opts Options, msgs []wireMsg) ([]gotUnit, error) {
	t.Helper()
	a := New(opts)
	defer a.Close()
	d := codec.NewDecoder(codec.Options{})
	c := &collector{t: t}
	for _, w := range msgs {
		m, err := d.Decode(w.b)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if err := a.Push(m, w.at); err != nil {
			return c.units, err
		}
		if err := c.drain(a); err != nil {
			return c.units, err
		}
	}
	return c.units, nil
}

func mustRun(t testing.TB, opts Options, msgs []wireMsg) []gotUnit {
	t.Helper()
	units, err := run(t, opts, msgs)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return units
}

func emptyDir(t testing.TB, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("spill file left behind: %s", e.Name())
	}
}

// Message constructors for readable scripts.

func rel(id uint32, inStream bool, xid uint32, name string, ident byte, cols ...string) *codec.Relation {
	r := &codec.Relation{InStream: inStream, Xid: xid, RelationID: id, Namespace: []byte("public"), Name: []byte(name), ReplicaIdentity: ident}
	for i, c := range cols {
		var flags uint8
		if i == 0 {
			flags = 1 // the first column is the key
		}
		r.Columns = append(r.Columns, codec.RelationColumn{Flags: flags, Name: []byte(c), TypeOID: 25, TypeMod: -1})
	}
	return r
}

func txt(vals ...string) codec.Tuple {
	t := make(codec.Tuple, len(vals))
	for i, v := range vals {
		switch v {
		case "<null>":
			t[i] = codec.Column{Kind: codec.ColumnNull}
		case "<u>":
			t[i] = codec.Column{Kind: codec.ColumnUnchanged}
		default:
			t[i] = codec.Column{Kind: codec.ColumnText, Data: []byte(v)}
		}
	}
	return t
}

func isErr(err, target error) bool {
	var e *Error
	return errors.Is(err, target) && errors.As(err, &e)
}

// each pulls a's events after a Push, handing each to fn, until EventNone.
func each(t testing.TB, a *Assembler, fn func(Event)) {
	t.Helper()
	for {
		ev, err := a.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind == EventNone {
			return
		}
		fn(ev)
	}
}
