package wire

import (
	"strconv"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// AckTracker holds the acknowledgement rules of a replication stream, with
// no connection inside: it is fed what the server sent and what the
// consumer has made durable, and says what a standby status update
// reports. Stream uses one; a driver that runs its own connection can use
// one too (see NewStream, Framer).
//
// The rules:
//   - The flush (and apply) position never exceeds what was acknowledged
//     with Ack, so a crash or a lost connection loses nothing, and a
//     restart redelivers only what was not acknowledged.
//   - When everything delivered has been acknowledged and no transaction
//     is open (logical: no Begin without its Commit, no streamed
//     transaction without its end), the server's last keepalive position
//     is reported as written and flushed. An idle slot then advances, and
//     a server shutdown, which waits until the client has confirmed all it
//     was sent, is not held up.
//   - Positions never go backwards, and never below the floor (the
//     slot's confirmed position, which the server would not go back to).
//
// The zero AckTracker is not ready; use NewAckTracker. An AckTracker is
// not safe for concurrent use.
type AckTracker struct {
	kind         StreamKind
	floor        lsn.LSN
	received     lsn.LSN // write: highest position received
	acked        lsn.LSN // highest position the consumer acknowledged
	keepaliveEnd lsn.LSN // WAL end of the latest keepalive
	pendingEnd   lsn.LSN // end of the last delivered unit of work
	openTxn      bool
	openStreams  map[uint32]struct{}
	sent         [3]lsn.LSN
}

// StreamKind says what a stream carries, which decides its
// acknowledgement rules.
type StreamKind uint8

const (
	// Logical: pgoutput messages, decoded, so transaction boundaries are
	// known: the idle rule applies between units of work.
	Logical StreamKind = iota
	// LogicalRaw: another output plugin's payloads (wal2json,
	// test_decoding, ...), not decoded: the idle rule applies only once
	// everything received has been acknowledged.
	LogicalRaw
	// Physical: WAL. A keepalive moves the write position once everything
	// received is acknowledged; flush stays what was acknowledged.
	Physical
)

func (k StreamKind) String() string {
	switch k {
	case Logical:
		return "logical"
	case LogicalRaw:
		return "logical (raw)"
	case Physical:
		return "physical"
	}
	return "StreamKind(" + strconv.Itoa(int(k)) + ")"
}

// NewAckTracker returns the rules for a stream of the given kind whose
// positions must not be reported below floor.
func NewAckTracker(kind StreamKind, floor lsn.LSN) *AckTracker {
	return &AckTracker{kind: kind, floor: floor, openStreams: map[uint32]struct{}{}}
}

// Received records an XLogData as received: its WALStart, and for a
// physical stream the end of its data.
func (a *AckTracker) Received(walStart lsn.LSN, dataLen int) {
	pos := walStart
	if a.kind == Physical {
		pos += lsn.LSN(dataLen)
	}
	a.received = max(a.received, pos)
}

// Keepalive records a primary keepalive's WAL end.
func (a *AckTracker) Keepalive(walEnd lsn.LSN) { a.keepaliveEnd = max(a.keepaliveEnd, walEnd) }

// Delivered records a decoded pgoutput message as handed to the consumer:
// transaction boundaries, and the end of each unit of work. walStart is
// its XLogData's WALStart.
func (a *AckTracker) Delivered(m codec.Message, walStart lsn.LSN) {
	switch m := m.(type) {
	case *codec.Begin, *codec.BeginPrepare:
		a.openTxn = true
	case *codec.Commit, *codec.Prepare:
		a.openTxn = false
	case *codec.StreamStart:
		a.openStreams[m.Xid] = struct{}{}
	case *codec.StreamCommit:
		delete(a.openStreams, m.Xid)
	case *codec.StreamPrepare:
		delete(a.openStreams, m.Xid)
	case *codec.StreamAbort:
		if m.Xid == m.SubXid {
			delete(a.openStreams, m.Xid)
		}
	}
	if end, ok := AckPosition(m, walStart); ok {
		if _, msg := m.(*codec.LogicalMessage); !msg || !a.openTxn {
			a.pendingEnd = max(a.pendingEnd, end)
		}
	}
}

// Ack records that everything up to pos is durable on the consumer's
// side. Positions beyond what was received (or announced by a keepalive)
// are clamped; lower ones are ignored.
func (a *AckTracker) Ack(pos lsn.LSN) {
	a.acked = max(a.acked, min(pos, max(a.received, a.keepaliveEnd)))
}

// Acked returns the highest position acknowledged so far.
func (a *AckTracker) Acked() lsn.LSN { return a.acked }

// Positions returns the write, flush and apply positions the next status
// update reports.
func (a *AckTracker) Positions() (write, flush, apply lsn.LSN) {
	p := a.positions()
	return p[0], p[1], p[2]
}

func (a *AckTracker) positions() [3]lsn.LSN {
	write, flush := a.received, a.acked
	switch {
	case a.keepaliveEnd == 0:
	case a.kind == Logical && !a.openTxn && len(a.openStreams) == 0 && a.acked >= a.pendingEnd,
		a.kind == LogicalRaw && a.acked >= a.received:
		// Caught up: report the server's position exactly, so an idle slot
		// advances and a shutdown (which waits for flush == sent) finishes.
		write = max(write, a.keepaliveEnd)
		flush = max(flush, a.keepaliveEnd)
	case a.kind == Physical && a.acked >= a.received:
		write = max(write, a.keepaliveEnd)
	}
	p := [3]lsn.LSN{write, flush, flush}
	for i := range p {
		if p[i] != 0 {
			p[i] = max(p[i], a.floor)
		}
		p[i] = max(p[i], a.sent[i]) // never backwards
	}
	return p
}

// FlushChanged reports whether the next status update would report a new
// flush position: an acknowledgement, or the idle rule catching up with a
// keepalive.
func (a *AckTracker) FlushChanged() bool { return a.positions()[1] != a.sent[1] }

// Update returns the next standby status update, and records its positions
// as sent (so later ones never go backwards).
func (a *AckTracker) Update(clientTime lsn.Timestamp, replyRequested bool) codec.StandbyStatusUpdate {
	p := a.positions()
	a.sent = p
	return codec.StandbyStatusUpdate{
		Write: p[0], Flush: p[1], Apply: p[2],
		ClientTime:     clientTime,
		ReplyRequested: replyRequested,
	}
}

// AckPosition returns the position to acknowledge once m (returned by Next
// at walStart) has been made durable, and whether m ends a unit of work:
// Commit, Prepare, Stream Commit, Stream Prepare, Commit Prepared, Rollback
// Prepared, a whole Stream Abort, or a non-transactional Message. It is
// codec.UnitEnd, here beside the rules that use it.
func AckPosition(m codec.Message, walStart lsn.LSN) (lsn.LSN, bool) {
	return codec.UnitEnd(m, walStart)
}
