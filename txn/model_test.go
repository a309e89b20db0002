package txn

import (
	"fmt"
	"math/rand"
	"os"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// The model: a simulated server turns a list of random steps into the
// pgoutput messages PostgreSQL would send for them (plain and prepared
// transactions, streamed transactions interleaved in blocks with
// savepoints and rollbacks at every level, schema changes inside and
// outside streams, logical messages), and computes, independently of the
// Assembler, the units a consumer must end up with: committed and
// prepared transactions with their surviving changes in order, each
// resolved against its own transaction's schema.

type simSub struct {
	xid      uint32
	parent   int // index in subs; -1 for the top level
	streamed bool
	aborted  bool
}

type simStream struct {
	xid     uint32
	subs    []simSub
	active  []int // the savepoint stack: indices into subs
	changes []gotChange
	view    map[uint32][]string // the transaction's own Relation messages
	sent    map[uint32]bool     // relations described in it since the last abort
	origin  string
	started bool
}

type sim struct {
	r        *rand.Rand
	parallel bool
	pos      lsn.LSN
	nextXid  uint32
	nextVal  int
	nextCol  int
	base     map[uint32][]string
	streams  []*simStream
	prepared []gotUnit // pending prepared units
	msgs     []wireMsg
	units    []gotUnit // the reference output
	first    []int     // index in msgs of each unit's first message
	curFirst int
	firstOf  map[uint32]int // index of each streamed xid's first Stream Start
	quiet    []int          // indices where no transaction or stream is open
}

func newSim(seed int64, parallel bool) *sim {
	s := &sim{r: rand.New(rand.NewSource(seed)), parallel: parallel, pos: 0x1000, nextXid: 500, base: map[uint32][]string{}}
	for id := uint32(1); id <= 3; id++ {
		s.base[id] = s.newCols()
		s.send(0, s.relation(id, false, 0, s.base[id]))
	}
	return s
}

func (s *sim) tick() lsn.LSN { s.pos += lsn.LSN(0x10 + s.r.Intn(0x40)); return s.pos }

func (s *sim) send(at lsn.LSN, m codec.Message) {
	s.msgs = append(s.msgs, wireMsg{b: codec.AppendMessage(nil, m), at: at})
}

func (s *sim) mark() { s.curFirst = len(s.msgs) }

func (s *sim) unit(u gotUnit, first int) {
	s.units = append(s.units, u)
	s.first = append(s.first, first)
}

func (s *sim) newCols() []string {
	n := 1 + s.r.Intn(4)
	cols := make([]string, n)
	for i := range cols {
		s.nextCol++
		cols[i] = fmt.Sprintf("c%d", s.nextCol)
	}
	return cols
}

func (s *sim) relation(id uint32, inStream bool, xid uint32, cols []string) *codec.Relation {
	return rel(id, inStream, xid, fmt.Sprintf("r%d", id), 'd', cols...)
}

func (s *sim) val() string { s.nextVal++; return fmt.Sprintf("v%d", s.nextVal) }

// change makes a random row change against a relation with cols: the
// message and what the consumer must see of it.
func (s *sim) change(id uint32, cols []string, inStream bool, xid uint32) (codec.Message, gotChange) {
	name := fmt.Sprintf("r%d", id)
	g := gotChange{Xid: xid, Rel: name, Cols: cols}
	n := len(cols)
	row := func() (codec.Tuple, []gotValue) {
		t, v := make(codec.Tuple, n), make([]gotValue, n)
		for i := range t {
			switch s.r.Intn(5) {
			case 0:
				t[i], v[i] = codec.Column{Kind: codec.ColumnNull}, gotValue{State: Null}
			case 1:
				d := s.val()
				t[i], v[i] = codec.Column{Kind: codec.ColumnBinary, Data: []byte(d)}, gotValue{State: Present, Binary: true, Data: d}
			default:
				d := s.val()
				t[i], v[i] = codec.Column{Kind: codec.ColumnText, Data: []byte(d)}, gotValue{State: Present, Data: d}
			}
		}
		return t, v
	}
	switch s.r.Intn(6) {
	case 0, 1:
		t, v := row()
		g.Op, g.New = OpInsert, v
		return &codec.Insert{InStream: inStream, Xid: xid, RelationID: id, New: t}, g
	case 2:
		m := &codec.Update{InStream: inStream, Xid: xid, RelationID: id}
		newT, newV := row()
		old, oldV := row()
		switch s.r.Intn(3) {
		case 0: // no old row: unchanged TOAST stays unchanged
		case 1: // key only: the other columns are placeholders
			m.OldKind = codec.OldKey
			for i := 1; i < n; i++ {
				old[i], oldV[i] = codec.Column{Kind: codec.ColumnNull}, gotValue{State: Absent}
			}
			if old[0].Kind == codec.ColumnNull {
				oldV[0] = gotValue{State: Null}
			}
			m.Old, g.Old = old, oldV
		case 2: // the full old row fills unchanged columns
			m.OldKind = codec.OldFull
			m.Old, g.Old = old, oldV
		}
		for i := range newT {
			if s.r.Intn(3) == 0 {
				newT[i], newV[i] = codec.Column{Kind: codec.ColumnUnchanged}, gotValue{State: Unchanged}
				if m.OldKind == codec.OldFull {
					newV[i] = oldV[i]
					newV[i].Filled = true
				}
			}
		}
		m.New, g.Op, g.OldKind, g.New = newT, OpUpdate, m.OldKind, newV
		return m, g
	case 3:
		old, oldV := row()
		m := &codec.Delete{InStream: inStream, Xid: xid, RelationID: id, OldKind: codec.OldFull}
		if s.r.Intn(2) == 0 {
			m.OldKind = codec.OldKey
			for i := 1; i < n; i++ {
				old[i], oldV[i] = codec.Column{Kind: codec.ColumnNull}, gotValue{State: Absent}
			}
		}
		m.Old, g.Op, g.OldKind, g.Old = old, OpDelete, m.OldKind, oldV
		return m, g
	case 4:
		m := &codec.Truncate{InStream: inStream, Xid: xid, RelationIDs: []uint32{id}}
		g = gotChange{Op: OpTruncate, Xid: xid, Truncated: []string{name}}
		return m, g
	default:
		p, c := s.val(), s.val()
		m := &codec.LogicalMessage{InStream: inStream, Xid: xid, Flags: 1, LSN: s.pos, Prefix: []byte(p), Content: []byte(c)}
		return m, gotChange{Op: OpMessage, Xid: xid, Prefix: p, Content: c}
	}
}

// plain sends a Begin … Commit (or Begin Prepare … Prepare) transaction.
func (s *sim) plain(prepared bool) {
	s.mark()
	xid := s.nextXid
	s.nextXid++
	nChanges := s.r.Intn(5)
	ats := make([]lsn.LSN, nChanges)
	for i := range ats {
		ats[i] = s.tick()
	}
	commit, end := s.tick(), s.pos+0x18
	s.pos = end
	u := gotUnit{Kind: KindTransaction, Xid: xid, LSN: commit, End: end, Ack: end}
	gid := fmt.Sprintf("gid-%d", xid)
	if prepared {
		u.Kind, u.Ack, u.PrepAck, u.GID = KindPrepared, 0, end, gid
		s.send(0, &codec.BeginPrepare{PrepareLSN: commit, EndLSN: end, Xid: xid, GID: []byte(gid)})
	} else {
		s.send(0, &codec.Begin{FinalLSN: commit, Xid: xid})
	}
	if s.r.Intn(3) == 0 {
		u.Origin = s.val()
		s.send(0, &codec.Origin{CommitLSN: 0x77, Name: []byte(u.Origin)})
	}
	for _, at := range ats {
		id := uint32(1 + s.r.Intn(3))
		if s.r.Intn(6) == 0 { // an ALTER TABLE in this transaction
			s.base[id] = s.newCols()
			s.send(0, s.relation(id, false, 0, s.base[id]))
		}
		m, g := s.change(id, s.base[id], false, 0)
		g.Xid = xid
		s.send(at, m)
		s.msgs[len(s.msgs)-1].rel, s.msgs[len(s.msgs)-1].cols = id, s.base[id]
		u.Changes = append(u.Changes, g)
	}
	if prepared {
		s.send(end, &codec.Prepare{PrepareLSN: commit, EndLSN: end, Xid: xid, GID: []byte(gid)})
		s.prepared = append(s.prepared, u)
	} else {
		s.send(end, &codec.Commit{CommitLSN: commit, EndLSN: end})
	}
	s.unit(u, s.curFirst)
}

func (s *sim) endPrepared() {
	i := s.r.Intn(len(s.prepared))
	p := s.prepared[i]
	s.prepared = append(s.prepared[:i], s.prepared[i+1:]...)
	at := s.tick()
	end := s.pos + 0x18
	s.pos = end
	s.mark()
	if s.r.Intn(2) == 0 {
		s.send(end, &codec.CommitPrepared{CommitLSN: at, EndLSN: end, Xid: p.Xid, GID: []byte(p.GID)})
		s.unit(gotUnit{Kind: KindCommitPrepared, Xid: p.Xid, GID: p.GID, LSN: at, End: end, Ack: end}, s.curFirst)
	} else {
		s.send(end, &codec.RollbackPrepared{PrepareEndLSN: p.End, RollbackEndLSN: end, Xid: p.Xid, GID: []byte(p.GID)})
		s.unit(gotUnit{Kind: KindRollbackPrepared, Xid: p.Xid, GID: p.GID, End: end, Ack: end}, s.curFirst)
	}
}

func (s *sim) message() {
	at := s.tick()
	s.mark()
	p, c := s.val(), s.val()
	s.send(at, &codec.LogicalMessage{LSN: at, Prefix: []byte(p), Content: []byte(c)})
	s.unit(gotUnit{Kind: KindMessage, LSN: at, End: at, Ack: at,
		Changes: []gotChange{{Op: OpMessage, Prefix: p, Content: c}}}, s.curFirst)
	s.pos = at + 1
}

// chunk sends one Stream Start … Stream Stop block of a streamed
// transaction, new or open.
func (s *sim) chunk() {
	var st *simStream
	if len(s.streams) == 0 || s.r.Intn(3) == 0 {
		st = &simStream{xid: s.nextXid, view: map[uint32][]string{}, sent: map[uint32]bool{}}
		s.nextXid++
		st.subs = []simSub{{xid: st.xid, parent: -1}}
		st.active = []int{0}
		s.streams = append(s.streams, st)
	} else {
		st = s.streams[s.r.Intn(len(s.streams))]
	}
	s.send(s.tick(), &codec.StreamStart{Xid: st.xid, FirstSegment: !st.started})
	if !st.started {
		st.started = true
		s.firstOf[st.xid] = len(s.msgs) - 1
		if s.r.Intn(3) == 0 {
			st.origin = s.val()
			s.send(0, &codec.Origin{Name: []byte(st.origin)})
		}
	}
	for n := 1 + s.r.Intn(6); n > 0; n-- {
		cur := &st.subs[st.active[len(st.active)-1]]
		switch k := s.r.Intn(10); {
		case k < 3: // SAVEPOINT: a new subtransaction
			st.subs = append(st.subs, simSub{xid: s.nextXid, parent: st.active[len(st.active)-1]})
			s.nextXid++
			st.active = append(st.active, len(st.subs)-1)
		case k < 4 && len(st.active) > 1: // RELEASE SAVEPOINT
			st.active = st.active[:len(st.active)-1]
		default:
			id := uint32(1 + s.r.Intn(3))
			if k == 9 || !st.sent[id] { // ALTER in the transaction, or pgoutput describing the relation
				cols := st.view[id]
				if k == 9 || cols == nil {
					if k == 9 {
						cols = s.newCols()
					} else {
						cols = s.base[id]
					}
					st.view[id] = cols
				}
				s.send(0, s.relation(id, true, cur.xid, cols))
				st.sent[id] = true
				cur.streamed = true
			}
			m, g := s.change(id, st.view[id], true, cur.xid)
			s.send(s.tick(), m)
			st.changes = append(st.changes, g)
			cur.streamed = true
		}
	}
	s.send(s.tick(), &codec.StreamStop{})
}

// rollbackTo rolls an open streamed transaction back to one of its
// savepoints: one Stream Abort per streamed subtransaction of the
// aborted subtree, inner first.
func (s *sim) rollbackTo(st *simStream) {
	if len(st.active) < 2 {
		return
	}
	k := 1 + s.r.Intn(len(st.active)-1)
	root := st.active[k]
	inSubtree := func(i int) bool {
		for ; i >= 0; i = st.subs[i].parent {
			if i == root {
				return true
			}
		}
		return false
	}
	gone := map[uint32]bool{}
	for i := len(st.subs) - 1; i >= 0; i-- { // later subtransactions are inner ones
		sub := &st.subs[i]
		if sub.aborted || !inSubtree(i) {
			continue
		}
		sub.aborted = true
		gone[sub.xid] = true
		if sub.streamed {
			m := &codec.StreamAbort{Xid: st.xid, SubXid: sub.xid}
			at := s.tick()
			if s.parallel {
				m.Parallel, m.AbortLSN = true, at-8
			}
			s.send(at, m)
		}
	}
	kept := st.changes[:0]
	for _, c := range st.changes {
		if !gone[c.Xid] {
			kept = append(kept, c)
		}
	}
	st.changes = kept
	st.active = st.active[:k]
	clear(st.sent) // pgoutput describes relations again after an abort
}

func (s *sim) endStream(i int) {
	st := s.streams[i]
	s.streams = append(s.streams[:i], s.streams[i+1:]...)
	first := s.firstOf[st.xid]
	at := s.tick()
	end := s.pos + 0x18
	s.pos = end
	switch k := s.r.Intn(5); {
	case k < 2:
		s.send(end, &codec.StreamCommit{Xid: st.xid, CommitLSN: at, EndLSN: end})
		s.unit(gotUnit{Kind: KindTransaction, Xid: st.xid, Streamed: true, Origin: st.origin, LSN: at, End: end, Ack: end, Changes: st.changes}, first)
	case k < 3:
		gid := fmt.Sprintf("sgid-%d", st.xid)
		s.send(end, &codec.StreamPrepare{PrepareLSN: at, EndLSN: end, Xid: st.xid, GID: []byte(gid)})
		u := gotUnit{Kind: KindPrepared, Xid: st.xid, Streamed: true, Origin: st.origin, GID: gid, LSN: at, End: end, PrepAck: end, Changes: st.changes}
		s.unit(u, first)
		s.prepared = append(s.prepared, u)
	default:
		m := &codec.StreamAbort{Xid: st.xid, SubXid: st.xid}
		u := gotUnit{Kind: KindAbort, Xid: st.xid, SubXid: st.xid, Streamed: true, End: end, Ack: end}
		if s.parallel {
			m.Parallel, m.AbortLSN = true, at
			u.LSN = at
		}
		s.send(end, m)
		s.unit(u, first)
		return
	}
	for id, cols := range st.view { // committed: its schema is the session's
		s.base[id] = cols
	}
}

// session plays steps and ends every open transaction.
func session(seed int64, steps []uint8, parallel bool) *sim {
	s := newSim(seed, parallel)
	s.firstOf = map[uint32]int{}
	s.quiet = []int{0}
	for _, step := range steps {
		if len(s.streams) == 0 {
			s.quiet = append(s.quiet, len(s.msgs))
		}
		switch step % 10 {
		case 0:
			s.plain(false)
		case 1:
			s.plain(true)
		case 2:
			if len(s.prepared) > 0 {
				s.endPrepared()
			} else {
				s.message()
			}
		case 3:
			s.message()
		case 4, 5, 6:
			s.chunk()
		case 7:
			for _, st := range s.streams {
				if len(st.active) > 1 {
					s.rollbackTo(st)
					break
				}
			}
		case 8, 9:
			if len(s.streams) > 0 {
				s.endStream(s.r.Intn(len(s.streams)))
			}
		}
	}
	for len(s.streams) > 0 {
		s.endStream(0)
	}
	for len(s.prepared) > 0 {
		s.endPrepared()
	}
	return s
}

// consumer plays a consumer that applies units durably and stores each
// unit's End with it; with Immediate it applies streamed chunks
// tentatively and undoes them on abort.
type consumer struct {
	t       *testing.T
	durable []gotUnit
	stored  lsn.LSN
	cur     *gotUnit
	tent    map[uint32][]gotChange // Immediate: per streamed xid
}

func (c *consumer) crash() { c.cur, c.tent = nil, map[uint32][]gotChange{} }

func (c *consumer) drain(a *Assembler) error {
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
				return fmt.Errorf("EventBegin inside a unit")
			}
			c.cur = &gotUnit{}
		case EventChange:
			if c.cur == nil {
				return fmt.Errorf("EventChange outside a unit")
			}
			c.cur.Changes = append(c.cur.Changes, changeOf(ev.Change))
		case EventEnd:
			if c.cur == nil {
				return fmt.Errorf("EventEnd outside a unit")
			}
			u := unitOf(ev.Unit)
			u.Changes = c.cur.Changes
			c.cur = nil
			switch {
			case u.Kind == KindStreamChunk:
				c.tent[u.Xid] = append(c.tent[u.Xid], u.Changes...)
				continue
			case u.Kind == KindAbort && u.SubXid != u.Xid:
				kept := c.tent[u.Xid][:0]
				for _, ch := range c.tent[u.Xid] {
					if ch.Xid != u.SubXid {
						kept = append(kept, ch)
					}
				}
				c.tent[u.Xid] = kept
				continue
			case u.Streamed && a.opts.Immediate:
				if len(u.Changes) != 0 {
					return fmt.Errorf("immediate mode: a streamed end has changes")
				}
				if u.Kind != KindAbort {
					u.Changes = c.tent[u.Xid]
				}
				delete(c.tent, u.Xid)
			}
			if u.End <= c.stored {
				return fmt.Errorf("unit delivered again: End %v ≤ stored %v", u.End, c.stored)
			}
			c.durable = append(c.durable, u)
			c.stored = u.End
		}
	}
}

// normalize makes empty and nil change lists compare equal.
func normalize(us []gotUnit) []gotUnit {
	for i := range us {
		if len(us[i].Changes) == 0 {
			us[i].Changes = nil
		}
	}
	return us
}

func TestModel(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 400
	params.MaxSize = 200
	if testing.Short() {
		params.MinSuccessfulTests = 40
	}
	budgets := []int64{-1, 1, 200, 4 << 10, 64 << 10, Unlimited}
	props := gopter.NewProperties(params)
	props.Property("assembled output equals the model, across cuts and resumes", prop.ForAll(
		func(seed int64, steps []uint8, budget int, immediate, parallel bool, cuts []uint16, fresh []bool) string {
			defer func(v int64) { compactMin = v }(compactMin)
			compactMin = 1 // compact often
			s := session(seed, steps, parallel)
			dir := t.TempDir()
			opts := Options{MemoryBudget: budgets[budget], SpillDir: dir, Immediate: immediate}
			limit := budgets[budget]
			if limit < 0 {
				limit = 0
			}
			cutAt := map[int]bool{}
			for _, c := range cuts {
				if len(s.msgs) > 0 {
					cutAt[int(c)%len(s.msgs)] = true
				}
			}
			a := New(opts)
			d := codec.NewDecoder(codec.Options{})
			c := &consumer{t: t}
			c.crash()
			described := map[uint32]bool{}
			for i := 0; i < len(s.msgs); i++ {
				if cutAt[i] {
					delete(cutAt, i)
					// Crash and resume: the server starts again from a point
					// no later than the first message of any unit not stored.
					c.crash()
					restart := i
					for u := range s.units {
						if s.units[u].End > c.stored && s.first[u] < restart {
							restart = s.first[u]
						}
					}
					if len(fresh) > 0 && fresh[0] {
						fresh = fresh[1:]
						a.Close()
						emptyOrFail := dirEntries(dir)
						if emptyOrFail != "" {
							return "after Close: " + emptyOrFail
						}
						o := opts
						o.ResumeAfter, o.AllowUnknownGID = c.stored, true
						a = New(o)
						restart = 0 // a new Assembler knows no schema: replay all
					} else {
						if len(fresh) > 0 {
							fresh = fresh[1:]
						}
						if err := a.Reset(c.stored); err != nil {
							return err.Error()
						}
						if e := dirEntries(dir); e != "" {
							return "after Reset: " + e
						}
						// The latest point where nothing was open, at or
						// before that; sometimes the session's start.
						q := 0
						for _, p := range s.quiet {
							if p <= restart && (seed&1 == 0 || p == 0) {
								q = p
							}
						}
						restart = q
					}
					d.Reset()
					described = map[uint32]bool{}
					i = restart
				}
				w := s.msgs[i]
				if w.rel != 0 && !described[w.rel] {
					// A new session describes a relation before its first use.
					m, _ := d.Decode(codec.AppendMessage(nil, s.relation(w.rel, false, 0, w.cols)))
					if err := a.Push(m, 0); err != nil {
						return err.Error()
					}
					described[w.rel] = true
				}
				m, err := d.Decode(w.b)
				if err != nil {
					return "decode: " + err.Error()
				}
				if err := a.Push(m, w.at); err != nil {
					return fmt.Sprintf("push %d: %v", i, err)
				}
				if r, ok := m.(*codec.Relation); ok && !r.InStream {
					described[r.RelationID] = true
				}
				if a.Buffered() > limit {
					return fmt.Sprintf("buffered %d > budget %d", a.Buffered(), limit)
				}
				if err := c.drain(a); err != nil {
					return fmt.Sprintf("drain %d: %v", i, err)
				}
			}
			if a.Open() != 0 {
				return fmt.Sprintf("%d streamed transactions still open", a.Open())
			}
			if e := dirEntries(dir); e != "" {
				return "at the end: " + e
			}
			a.Close()
			if diff := cmp.Diff(normalize(s.units), normalize(c.durable)); diff != "" {
				return "(-model +assembled):\n" + diff
			}
			return ""
		},
		gen.Int64(),
		gen.SliceOf(gen.UInt8()),
		gen.IntRange(0, len(budgets)-1),
		gen.Bool(),
		gen.Bool(),
		gen.SliceOfN(3, gen.UInt16()).Map(func(c []uint16) []uint16 {
			sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
			return c[:rand.Intn(4)]
		}),
		gen.SliceOfN(3, gen.Bool()),
	))
	props.TestingRun(t)
}

func dirEntries(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	if len(ents) == 0 {
		return ""
	}
	return fmt.Sprintf("%d spill files left, e.g. %s", len(ents), ents[0].Name())
}
