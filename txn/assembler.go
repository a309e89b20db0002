package txn

import (
	"math"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// DefaultMemoryBudget is the memory budget when Options.MemoryBudget is 0:
// PostgreSQL's default logical_decoding_work_mem.
const DefaultMemoryBudget = 64 << 20

// Unlimited is a MemoryBudget that never spills.
const Unlimited = math.MaxInt64

// Options configure an Assembler. The zero value buffers streamed
// transactions within DefaultMemoryBudget, spilling to os.TempDir.
type Options struct {
	// MemoryBudget bounds the memory that streamed changes take across
	// all open streamed transactions (counted in the 64 KiB chunks they
	// are kept in); past it the largest one spills to a file. 0 means DefaultMemoryBudget; a negative value
	// means none: every streamed change goes to disk. Unlimited never
	// spills.
	MemoryBudget int64
	// SpillDir is where spill files go; "" is os.TempDir().
	SpillDir string
	// Immediate hands streamed chunks on as they arrive (KindStreamChunk
	// units, then KindAbort / streamed KindTransaction / KindPrepared
	// units without changes), for consumers that apply tentatively and
	// roll back on abort. Nothing is buffered or spilled then.
	Immediate bool
	// AllowUnknownGID accepts a Commit Prepared or Rollback Prepared whose
	// Prepare this Assembler never saw. Set it when resuming with a new
	// Assembler: the server does not resend a PREPARE already
	// acknowledged, only its COMMIT or ROLLBACK PREPARED.
	AllowUnknownGID bool
	// ResumeAfter drops the units that end at or before it: see Reset.
	ResumeAfter lsn.LSN
	// FillUnchanged, when set, is asked for the current value of column
	// col of c.New when the server sent it as unchanged TOAST and no full
	// old row can supply it (e.g. from the consumer's own copy of the row,
	// found by c.Old's or c.New's key). It is called when the column is
	// first read with c.New.At, at most once per column and change, and
	// not at all for columns never read. Returning ok = false leaves the
	// column Unchanged. A returned Data must stay valid until the next
	// Next or Push.
	FillUnchanged func(c *Change, col int) (v Value, ok bool)
}

// stream is one open streamed transaction.
type stream struct {
	xid       uint32
	st        store  // buffered records (not Immediate)
	overlay   schema // Immediate: its Relation and Type messages so far
	origin    []byte
	originLSN lsn.LSN
}

// An Assembler turns pgoutput messages into units of work. See the package
// documentation. It is not safe for concurrent use.
type Assembler struct {
	opts   Options
	budget int64
	base   schema
	gids   map[string]struct{}

	streams map[uint32]*stream
	block   *stream // the open Stream Start … Stream Stop block
	memory  int64   // bytes of records held in memory, all streams

	// The open Begin … Commit or Begin Prepare … Prepare transaction.
	open      Kind
	headerOut bool // its EventBegin has been queued
	skip      bool // the open unit ends before the resume point

	lastEnd lsn.LSN
	resume  lsn.LSN

	unit   Unit
	change Change
	queue  [3]EventKind
	qi, qn int

	replaying bool
	rp        replay
	rpOverlay schema
	rpSkip    bool

	originBuf, gidBuf []byte
	fill              filler
	pool              chunkPool
	truncBuf          []*codec.RelationInfo
	last, prev        *codec.RelationInfo // base's relations of the last two changes' tables; nil when base changed
}

// New returns an Assembler.
func New(opts Options) *Assembler {
	a := &Assembler{opts: opts, resume: opts.ResumeAfter, lastEnd: opts.ResumeAfter, streams: map[uint32]*stream{}}
	a.fill.c, a.fill.hook = &a.change, opts.FillUnchanged
	switch {
	case opts.MemoryBudget == 0:
		a.budget = DefaultMemoryBudget
	case opts.MemoryBudget < 0:
		a.budget = 0
	default:
		a.budget = opts.MemoryBudget
	}
	return a
}

// Buffered returns the memory streamed changes hold now (the chunks they
// are kept in), the figure kept within the memory budget.
func (a *Assembler) Buffered() int64 { return a.memory }

// Open returns the number of streamed transactions begun and not ended.
func (a *Assembler) Open() int { return len(a.streams) }

// Reset prepares for a new replication session after a reconnect: it
// discards partially received streamed transactions (the server sends
// them again from their first block) and removes their spill files,
// forgets any open transaction and undrained events, and from now on
// drops units that end at or before resumeAfter (the position stored with
// the last applied unit; 0 for none). It forgets the schema too: a new
// session describes every relation again before its first use. The GIDs
// of prepared transactions are kept. The returned error is from removing
// files.
func (a *Assembler) Reset(resumeAfter lsn.LSN) error {
	err := a.dropStreams()
	a.block, a.open, a.headerOut, a.skip = nil, 0, false, false
	a.qi, a.qn = 0, 0
	a.replaying = false
	a.rpOverlay.clear()
	a.base.clear()
	a.last, a.prev = nil, nil
	a.resume, a.lastEnd = resumeAfter, resumeAfter
	return err
}

// Close removes every spill file. The Assembler can be used again after a
// Reset.
func (a *Assembler) Close() error { return a.Reset(a.resume) }

func (a *Assembler) dropStreams() error {
	var first error
	for xid, s := range a.streams {
		if err := s.st.discard(&a.pool); err != nil && first == nil {
			first = &Error{Err: ErrSpill, Xid: xid, Cause: err}
		}
		delete(a.streams, xid)
	}
	a.memory = 0
	a.pool.drain()
	return first
}

func (a *Assembler) emit(kinds ...EventKind) {
	a.qn = copy(a.queue[:], kinds)
	a.qi = 0
}

// Next returns the next event: EventNone when the caller must Push the
// next message. What it returns is valid until the next Next or Push.
// After an error, Reset before going on.
func (a *Assembler) Next() (Event, error) {
	if a.qi < a.qn {
		k := a.queue[a.qi]
		a.qi++
		ev := Event{Kind: k, Unit: &a.unit}
		if k == EventChange {
			ev.Change = &a.change
		}
		return ev, nil
	}
	if a.replaying {
		return a.replayNext()
	}
	return Event{}, nil
}

// Push hands the Assembler the next decoded message and the WALStart of
// the XLogData that carried it. The message is read during the call and
// until its events are drained, so decode the next one only after Next
// returned EventNone. Messages the Assembler has no use for (nil, or a
// type it does not know) are ignored.
func (a *Assembler) Push(m codec.Message, at lsn.LSN) error {
	if a.qi < a.qn || a.replaying {
		return &Error{Err: ErrNotDrained, LSN: at}
	}
	a.qn, a.qi = 0, 0
	// The changes of plain transactions first, by direct type checks: they
	// are most messages, and a type switch of this size costs a search.
	if a.block == nil && a.open != 0 && !a.skip {
		if x, ok := m.(*codec.Insert); ok && !x.InStream {
			return a.changed(a.buildInsert(x, a.unit.Xid, at, nil))
		}
		if x, ok := m.(*codec.Update); ok && !x.InStream {
			return a.changed(a.buildUpdate(x, a.unit.Xid, at, nil))
		}
		if x, ok := m.(*codec.Delete); ok && !x.InStream {
			return a.changed(a.buildDelete(x, a.unit.Xid, at, nil))
		}
	}
	// Then what frames them.
	if x, ok := m.(*codec.Begin); ok {
		return a.begin(KindTransaction, x.Xid, x.FinalLSN, 0, x.CommitTime, nil, codec.TypeBegin)
	}
	if x, ok := m.(*codec.Commit); ok {
		return a.commit(x, at)
	}
	switch m := m.(type) {
	case *codec.BeginPrepare:
		return a.begin(KindPrepared, m.Xid, m.PrepareLSN, m.EndLSN, m.PrepareTime, m.GID, codec.TypeBeginPrepare)
	case *codec.Prepare:
		return a.prepare(m, at)
	case *codec.Origin:
		return a.origin(m, at)
	case *codec.Relation:
		return a.schemaMessage(m, m.InStream, at)
	case *codec.Type:
		return a.schemaMessage(m, m.InStream, at)
	case *codec.Insert:
		return a.row(m, m.InStream, m.Xid, at)
	case *codec.Update:
		return a.row(m, m.InStream, m.Xid, at)
	case *codec.Delete:
		return a.row(m, m.InStream, m.Xid, at)
	case *codec.Truncate:
		return a.row(m, m.InStream, m.Xid, at)
	case *codec.LogicalMessage:
		if !m.Transactional() && a.block == nil && a.open == 0 && !m.InStream {
			return a.message(m, at)
		}
		if !m.Transactional() {
			return fail(ErrOutOfOrder, codec.TypeLogicalMessage, at, m.Xid)
		}
		return a.row(m, m.InStream, m.Xid, at)
	case *codec.StreamStart:
		return a.streamStart(m, at)
	case *codec.StreamStop:
		return a.streamStop(at)
	case *codec.StreamCommit:
		return a.streamEnd(KindTransaction, m.Xid, m.CommitLSN, m.EndLSN, m.CommitTime, nil, codec.TypeStreamCommit)
	case *codec.StreamPrepare:
		return a.streamEnd(KindPrepared, m.Xid, m.PrepareLSN, m.EndLSN, m.PrepareTime, m.GID, codec.TypeStreamPrepare)
	case *codec.StreamAbort:
		return a.streamAbort(m, at)
	case *codec.CommitPrepared:
		return a.twoPhaseEnd(KindCommitPrepared, m.Xid, m.GID, m.CommitLSN, m.EndLSN, m.CommitTime, 0, codec.TypeCommitPrepared)
	case *codec.RollbackPrepared:
		return a.twoPhaseEnd(KindRollbackPrepared, m.Xid, m.GID, 0, m.RollbackEndLSN, m.RollbackTime, m.PrepareEndLSN, codec.TypeRollbackPrepared)
	}
	return nil
}

// idle reports whether no transaction and no stream block is open, where
// the control messages of other units may come.
func (a *Assembler) idle() bool { return a.open == 0 && a.block == nil }

// skipped reports whether a unit ending at end was applied before the
// resume point.
func (a *Assembler) skipped(end lsn.LSN) bool { return a.resume != 0 && end <= a.resume }

// checkEnd enforces that units end in WAL order.
func (a *Assembler) checkEnd(end lsn.LSN, t codec.MessageType, xid uint32) error {
	if end != 0 && end <= a.lastEnd {
		return fail(ErrLSNBackwards, t, end, xid)
	}
	return nil
}

func (a *Assembler) newUnit(k Kind, xid uint32) {
	a.unit = Unit{Kind: k, Xid: xid}
}

func (a *Assembler) begin(k Kind, xid uint32, at, end lsn.LSN, t lsn.Timestamp, gid []byte, typ codec.MessageType) error {
	if !a.idle() {
		return fail(ErrOutOfOrder, typ, at, xid)
	}
	// Skip by where the final record starts: it starts before the resume
	// point exactly when the unit ends at or before it, the server's own
	// rule for what to send again.
	skip := a.resume != 0 && at < a.resume
	if !skip && at != 0 && at < a.lastEnd {
		return fail(ErrLSNBackwards, typ, at, xid)
	}
	a.newUnit(k, xid)
	a.unit.LSN, a.unit.End, a.unit.Time = at, end, t
	if gid != nil {
		a.gidBuf = append(a.gidBuf[:0], gid...)
		a.unit.GID = a.gidBuf
	}
	a.open, a.headerOut, a.skip = k, false, skip
	return nil
}

// header queues the open unit's EventBegin if it is not out yet; the
// Begin waits for a possible Origin.
func (a *Assembler) header(then ...EventKind) {
	if a.skip {
		return
	}
	if !a.headerOut {
		a.headerOut = true
		a.queue[0] = EventBegin
		a.qn = 1 + copy(a.queue[1:], then)
		a.qi = 0
		return
	}
	a.emit(then...)
}

func (a *Assembler) commit(m *codec.Commit, at lsn.LSN) error {
	if a.open != KindTransaction || a.block != nil {
		return fail(ErrNoTransaction, codec.TypeCommit, m.CommitLSN, a.unit.Xid)
	}
	if m.CommitLSN != a.unit.LSN {
		return fail(ErrLSNMismatch, codec.TypeCommit, m.CommitLSN, a.unit.Xid)
	}
	if !a.skip {
		if err := a.checkEnd(m.EndLSN, codec.TypeCommit, a.unit.Xid); err != nil {
			return err
		}
		a.lastEnd = max(a.lastEnd, m.EndLSN)
	}
	a.unit.End, a.unit.Ack = m.EndLSN, m.EndLSN
	a.header(EventEnd)
	a.open = 0
	return nil
}

func (a *Assembler) prepare(m *codec.Prepare, at lsn.LSN) error {
	if a.open != KindPrepared || a.block != nil {
		return fail(ErrNoTransaction, codec.TypePrepare, m.PrepareLSN, m.Xid)
	}
	if m.PrepareLSN != a.unit.LSN {
		return fail(ErrLSNMismatch, codec.TypePrepare, m.PrepareLSN, m.Xid)
	}
	if !a.skip {
		if err := a.checkEnd(m.EndLSN, codec.TypePrepare, m.Xid); err != nil {
			return err
		}
		a.lastEnd = max(a.lastEnd, m.EndLSN)
	}
	a.rememberGID(m.GID)
	a.unit.End, a.unit.AckAfterStoringPrepared = m.EndLSN, m.EndLSN
	a.header(EventEnd)
	a.open = 0
	return nil
}

func (a *Assembler) rememberGID(gid []byte) {
	if a.gids == nil {
		a.gids = make(map[string]struct{})
	}
	a.gids[string(gid)] = struct{}{}
}

func (a *Assembler) origin(m *codec.Origin, at lsn.LSN) error {
	switch {
	case a.block != nil:
		s := a.block
		s.origin = append(s.origin[:0], m.Name...)
		s.originLSN = m.CommitLSN
		if a.opts.Immediate && !a.headerOut {
			a.unit.Origin, a.unit.OriginLSN = s.origin, s.originLSN
		}
	case a.open != 0 && !a.headerOut:
		a.originBuf = append(a.originBuf[:0], m.Name...)
		a.unit.Origin, a.unit.OriginLSN = a.originBuf, m.CommitLSN
	case a.open != 0:
		return fail(ErrOutOfOrder, codec.TypeOrigin, at, a.unit.Xid)
	default:
		return fail(ErrNoTransaction, codec.TypeOrigin, at, 0)
	}
	return nil
}

func (a *Assembler) schemaMessage(m codec.Message, inStream bool, at lsn.LSN) error {
	if inStream != (a.block != nil) {
		return fail(ErrOutOfOrder, m.MessageType(), at, 0)
	}
	if a.block == nil {
		a.base.apply(m, nil)
		a.last, a.prev = nil, nil
		return nil
	}
	if a.opts.Immediate {
		a.block.overlay.apply(m, &a.base)
		return nil
	}
	return a.buffer(a.block, m, at)
}

// changed queues the event of a change built on Push's path for plain
// transactions (not skipped, queue emptied).
func (a *Assembler) changed(err error) error {
	if err != nil {
		return err
	}
	if a.headerOut { // past the first change: header's work, without its checks
		a.queue[0], a.qn = EventChange, 1
		return nil
	}
	a.header(EventChange)
	return nil
}

func (a *Assembler) row(m codec.Message, inStream bool, xid uint32, at lsn.LSN) error {
	if a.block != nil {
		if !inStream {
			return fail(ErrOutOfOrder, m.MessageType(), at, a.block.xid)
		}
		if !a.opts.Immediate {
			return a.buffer(a.block, m, at)
		}
		if err := a.build(m, xid, at, &a.block.overlay); err != nil {
			return err
		}
		a.header(EventChange)
		return nil
	}
	if a.open == 0 || inStream {
		return fail(ErrNoTransaction, m.MessageType(), at, xid)
	}
	if a.skip {
		return nil
	}
	if err := a.build(m, a.unit.Xid, at, nil); err != nil {
		return err
	}
	a.header(EventChange)
	return nil
}

// message makes a non-transactional message its own unit. Its Ack is the
// message's LSN, as codec.UnitEnd says: pgoutput sends the end of the
// message's WAL record, and the server skips a message whose record starts
// before the confirmed position, so confirming the LSN is enough for it
// not to come again. One past it would not be safe: the next WAL record
// starts exactly there, and a transaction whose commit record that is
// would be skipped after a restart without having been delivered.
func (a *Assembler) message(m *codec.LogicalMessage, at lsn.LSN) error {
	end := m.LSN
	if a.skipped(end) {
		return nil
	}
	if err := a.checkEnd(end, codec.TypeLogicalMessage, 0); err != nil {
		return err
	}
	a.lastEnd = end
	a.newUnit(KindMessage, 0)
	a.unit.LSN, a.unit.End, a.unit.Ack = m.LSN, end, end
	if err := a.build(m, 0, at, nil); err != nil {
		return err
	}
	a.emit(EventBegin, EventChange, EventEnd)
	return nil
}

func (a *Assembler) streamStart(m *codec.StreamStart, at lsn.LSN) error {
	if !a.idle() {
		return fail(ErrOutOfOrder, codec.TypeStreamStart, at, m.Xid)
	}
	s := a.streams[m.Xid]
	switch {
	case m.FirstSegment && s != nil:
		return fail(ErrOutOfOrder, codec.TypeStreamStart, at, m.Xid)
	case !m.FirstSegment && s == nil:
		return fail(ErrUnknownStream, codec.TypeStreamStart, at, m.Xid)
	case s == nil:
		s = &stream{xid: m.Xid}
		a.streams[m.Xid] = s
	}
	a.block = s
	if a.opts.Immediate {
		a.newUnit(KindStreamChunk, m.Xid)
		a.unit.Streamed, a.unit.FirstSegment = true, m.FirstSegment
		a.unit.Origin, a.unit.OriginLSN = s.origin, s.originLSN
		a.headerOut, a.skip = false, false
	}
	return nil
}

func (a *Assembler) streamStop(at lsn.LSN) error {
	if a.block == nil {
		return fail(ErrOutOfOrder, codec.TypeStreamStop, at, 0)
	}
	a.block = nil
	if a.opts.Immediate {
		a.header(EventEnd)
	}
	return nil
}

func (a *Assembler) streamEnd(k Kind, xid uint32, at, end lsn.LSN, t lsn.Timestamp, gid []byte, typ codec.MessageType) error {
	if !a.idle() {
		return fail(ErrOutOfOrder, typ, at, xid)
	}
	s := a.streams[xid]
	if s == nil {
		return fail(ErrUnknownStream, typ, at, xid)
	}
	skip := a.skipped(end)
	if !skip {
		if err := a.checkEnd(end, typ, xid); err != nil {
			return err
		}
		a.lastEnd = end
	}
	a.newUnit(k, xid)
	u := &a.unit
	u.Streamed, u.LSN, u.End, u.Time = true, at, end, t
	u.Origin, u.OriginLSN = s.origin, s.originLSN
	if k == KindPrepared {
		a.gidBuf = append(a.gidBuf[:0], gid...)
		u.GID, u.AckAfterStoringPrepared = a.gidBuf, end
		a.rememberGID(gid)
	} else {
		u.Ack = end
	}
	if a.opts.Immediate {
		s.overlay.mergeInto(&a.base)
		a.last, a.prev = nil, nil
		delete(a.streams, xid)
		if !skip {
			a.emit(EventBegin, EventEnd)
		}
		return nil
	}
	// Replay lazily from Next; the Begin goes first.
	a.replaying, a.rpSkip = true, skip
	a.rp.start(s)
	if !skip {
		a.emit(EventBegin)
	}
	return nil
}

// replayNext hands on the next change of the streamed transaction being
// replayed, and its end.
func (a *Assembler) replayNext() (Event, error) {
	s := a.rp.s
	for {
		m, at, ok, err := a.rp.next()
		if err != nil {
			a.endReplay(s)
			return Event{}, &Error{Err: ErrSpill, LSN: a.unit.LSN, Xid: s.xid, Cause: err}
		}
		if !ok {
			break
		}
		switch m.(type) {
		case *codec.Relation, *codec.Type:
			a.rpOverlay.apply(m, &a.base)
			continue
		}
		if a.rpSkip {
			continue
		}
		if err := a.build(m, s.xid, at, &a.rpOverlay); err != nil {
			a.endReplay(s)
			return Event{}, err
		}
		return Event{Kind: EventChange, Unit: &a.unit, Change: &a.change}, nil
	}
	// The transaction is over: its schema becomes the session's.
	a.rpOverlay.mergeInto(&a.base)
	a.last, a.prev = nil, nil
	err := a.endReplay(s)
	if err != nil {
		return Event{}, &Error{Err: ErrSpill, Xid: s.xid, Cause: err}
	}
	if a.rpSkip {
		return Event{}, nil
	}
	return Event{Kind: EventEnd, Unit: &a.unit}, nil
}

func (a *Assembler) endReplay(s *stream) error {
	a.replaying = false
	a.rpOverlay.clear()
	a.memory -= s.st.held
	delete(a.streams, s.xid)
	return a.discard(s)
}

// discard drops a stream's store; with no streamed transaction left
// open, the free chunks go back to the runtime.
func (a *Assembler) discard(s *stream) error {
	err := s.st.discard(&a.pool)
	if len(a.streams) == 0 {
		a.pool.drain()
	}
	return err
}

func (a *Assembler) streamAbort(m *codec.StreamAbort, at lsn.LSN) error {
	if !a.idle() {
		return fail(ErrOutOfOrder, codec.TypeStreamAbort, at, m.Xid)
	}
	s := a.streams[m.Xid]
	if s == nil {
		return fail(ErrUnknownStream, codec.TypeStreamAbort, at, m.Xid)
	}
	if m.SubXid != m.Xid {
		if a.opts.Immediate {
			a.newUnit(KindAbort, m.Xid)
			a.unit.SubXid, a.unit.Streamed, a.unit.LSN, a.unit.Time = m.SubXid, true, m.AbortLSN, m.AbortTime
			a.emit(EventBegin, EventEnd)
			return nil
		}
		before := s.st.held
		err := s.st.abortSub(m.SubXid, a.opts.SpillDir, &a.pool)
		a.memory += s.st.held - before
		if err != nil {
			return &Error{Err: ErrSpill, Message: codec.TypeStreamAbort, LSN: at, Xid: m.Xid, Cause: err}
		}
		return nil
	}
	a.memory -= s.st.held
	delete(a.streams, m.Xid)
	err := a.discard(s)
	if err != nil {
		return &Error{Err: ErrSpill, Message: codec.TypeStreamAbort, LSN: at, Xid: m.Xid, Cause: err}
	}
	if a.skipped(at) {
		return nil
	}
	if err := a.checkEnd(at, codec.TypeStreamAbort, m.Xid); err != nil {
		return err
	}
	a.lastEnd = max(a.lastEnd, at)
	a.newUnit(KindAbort, m.Xid)
	u := &a.unit
	u.SubXid, u.Streamed, u.LSN, u.End, u.Ack, u.Time = m.SubXid, true, m.AbortLSN, at, at, m.AbortTime
	a.emit(EventBegin, EventEnd)
	return nil
}

func (a *Assembler) twoPhaseEnd(k Kind, xid uint32, gid []byte, at, end lsn.LSN, t lsn.Timestamp, prepEnd lsn.LSN, typ codec.MessageType) error {
	if !a.idle() {
		return fail(ErrOutOfOrder, typ, end, xid)
	}
	if a.skipped(end) {
		delete(a.gids, string(gid))
		return nil
	}
	if _, ok := a.gids[string(gid)]; !ok && !a.opts.AllowUnknownGID {
		e := fail(ErrUnknownGID, typ, end, xid)
		e.GID = string(gid)
		return e
	}
	if err := a.checkEnd(end, typ, xid); err != nil {
		return err
	}
	a.lastEnd = end
	delete(a.gids, string(gid))
	a.newUnit(k, xid)
	a.gidBuf = append(a.gidBuf[:0], gid...)
	u := &a.unit
	u.GID, u.LSN, u.End, u.Ack, u.Time, u.PrepareEnd = a.gidBuf, at, end, end, t, prepEnd
	a.emit(EventBegin, EventEnd)
	return nil
}

// buffer keeps a message of a streamed transaction, then brings memory
// back within the budget by spilling the largest transactions.
func (a *Assembler) buffer(s *stream, m codec.Message, at lsn.LSN) error {
	a.memory += s.st.add(m, at, &a.pool)
	// A spilled transaction keeps one chunk in memory: once a record
	// needs a second, both go to the file.
	if s.st.file != nil && (len(s.st.chunks) > 1 || s.st.held > memChunk) {
		if err := a.spill(s); err != nil {
			return err
		}
	}
	for a.memory > a.budget {
		var big *stream
		for _, o := range a.streams {
			if big == nil || o.st.held > big.st.held {
				big = o
			}
		}
		if big == nil || big.st.held == 0 {
			break
		}
		if err := a.spill(big); err != nil {
			return err
		}
	}
	return nil
}

func (a *Assembler) spill(s *stream) error {
	n := s.st.held
	err := s.st.flush(a.opts.SpillDir, &a.pool)
	a.memory -= n - s.st.held
	if err != nil {
		return &Error{Err: ErrSpill, Xid: s.xid, Cause: err}
	}
	return nil
}
