package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/txn"
)

// Units reads units of work (package txn) from a logical replication slot
// and survives lost connections, for a consumer that applies each unit
// exactly once.
//
//	u, err := wire.NewUnits(wire.UnitsConfig{
//		Slot:     "app",
//		Options:  wire.LogicalOptions{Publications: []string{"app"}, Streaming: codec.StreamingOn, TwoPhase: true},
//		Dial:     func(ctx context.Context) (*wire.Conn, error) { return wire.Connect(ctx, cfg) },
//		Position: func(ctx context.Context) (lsn.LSN, error) { return store.Position(ctx) },
//	})
//	defer u.Close(ctx)
//	for {
//		ev, err := u.Next(ctx) // EventBegin, EventChange or EventEnd
//		if err != nil {
//			return err // not retryable, or ctx ended
//		}
//		switch ev.Kind {
//		case txn.EventBegin:
//			tx = store.Begin()
//		case txn.EventChange:
//			tx.Apply(ev.Change)
//		case txn.EventEnd:
//			r := u.Receipt()
//			if r.Kind() == txn.KindPrepared {
//				tx.StorePrepared(r.GID(), r.End()) // durably, under GID, with End
//				err = u.PreparedStored(r)
//			} else {
//				tx.Commit(r.End()) // durably, with End as the stored position
//				err = u.Applied(r)
//			}
//		}
//	}
//
// # The exactly-once procedure
//
// The consumer stores, in the same durable transaction as each unit's
// effects, the unit's End (Receipt.End) as its position: one value, in the
// target, beside the applied data, so the two can never disagree after a
// crash. Position returns that value (0 before the first unit).
//
// On every start and restart Units calls Position and runs START_REPLICATION
// … LOGICAL P with it, and sets up its txn.Assembler to resume after P
// (txn.Options.ResumeAfter, or Reset(P) on a reconnect). The server starts
// at the larger of P and the slot's confirmed position; every unit not
// stored ends after P, so none is missed, and one stored but not yet
// acknowledged may come again.
//
// Streamed transactions received in part when the connection broke are
// discarded (Reset drops them and their spill files): a new walsender
// streams an unfinished transaction again from its first block, so keeping
// the old blocks would apply their changes twice.
//
// Units that end at or before P are dropped, not handed on (Stats.Skipped
// counts them): the server decodes a slot from its restart point, which
// may be well before P, and it sends again whatever its own, older,
// confirmed position does not exclude (the slot's confirmed position is
// written to disk only at checkpoints, so a server that crashed goes back
// to an older one; a status update lost with the connection never
// arrived). Comparing with the consumer's own durable P keeps them out.
//
// Acknowledgement: Units acknowledges a position only when the consumer
// says the unit is durably applied (Applied) or, for a prepared
// transaction, durably stored under its GID (PreparedStored); never by
// itself, never past a unit the consumer has not confirmed. A prepared
// transaction is never sent again once a position at or past its PREPARE
// is confirmed, so Applied refuses a KindPrepared receipt, and refuses any
// later receipt while an earlier prepared one is unconfirmed.
//
// A retryable error (IsRetryable, or a failed dial) closes the connection,
// waits (MinBackoff doubling up to MaxBackoff, reset by progress), and
// starts again from Position. Receipts of units handed out before that are
// stale: Applied and PreparedStored refuse them with ErrStaleReceipt, as
// what Position did not include is delivered again.
//
// A Units is not safe for concurrent use; Applied and PreparedStored are
// called from the goroutine that calls Next.
type Units struct {
	cfg UnitsConfig
	a   *txn.Assembler

	conn    *Conn
	st      *Stream
	resume  lsn.LSN // the stored position the session started from
	baseAck bool    // resume has been acknowledged on this stream

	gen       uint64 // session number
	seq       uint64 // receipts handed out
	confirmed uint64 // highest receipt seq confirmed
	prepared  []uint64
	receipt   Receipt
	inUnit    bool // an EventBegin was handed out, its EventEnd not yet

	failures int
	stats    UnitsStats
}

// UnitsConfig configures Units.
type UnitsConfig struct {
	// Slot is the logical replication slot to stream from.
	Slot string
	// Options are the pgoutput options.
	Options LogicalOptions
	// Assembler configures the txn.Assembler; ResumeAfter is set from
	// Position, and AllowUnknownGID when resuming.
	Assembler txn.Options
	// Dial opens a replication=database connection; called to start and
	// after every retryable error. Required.
	Dial func(ctx context.Context) (*Conn, error)
	// Position returns the End stored with the last applied unit (0 for
	// none), read from the consumer's durable store; called before every
	// START_REPLICATION. Required. A consumer that applies several units
	// per durable transaction commits (or drops) its open batch first:
	// what the returned position does not cover is sent again.
	Position func(ctx context.Context) (lsn.LSN, error)
	// MinBackoff and MaxBackoff bound the wait before a reconnect
	// (default 100ms and 5s).
	MinBackoff, MaxBackoff time.Duration
	// MaxFailures is the number of consecutive failed sessions (no unit
	// delivered) after which Next gives up with the last error; 0: never.
	MaxFailures int
	// OnRetry, if set, is told of each retryable error before the wait.
	OnRetry func(err error)
}

// UnitsStats counts what Units did.
type UnitsStats struct {
	Sessions int // START_REPLICATION sessions begun
	Retries  int // retryable errors answered by a reconnect
	Units    int // units handed out (EventEnd)
	// Skipped: units the server sent that end at or before the stored
	// position: already applied, dropped instead of handed out again.
	Skipped int
	// Discarded: streamed transactions received in part when a session
	// broke, dropped by Reset (the server streams them again).
	Discarded int
}

// Receipt identifies a unit handed out by Units, to confirm it once it is
// durably applied. It is a value: keep it as long as needed.
type Receipt struct {
	kind     txn.Kind
	gid      string
	end, ack lsn.LSN
	gen, seq uint64
}

// Kind is the unit's kind.
func (r Receipt) Kind() txn.Kind { return r.kind }

// End is the position to store with the unit's effects.
func (r Receipt) End() lsn.LSN { return r.end }

// GID is a two-phase unit's global transaction id.
func (r Receipt) GID() string { return r.gid }

var (
	// ErrPreparedNotStored: Applied was given a KindPrepared receipt, or a
	// receipt after a prepared one not confirmed with PreparedStored.
	ErrPreparedNotStored = errors.New("wire: a prepared transaction must be confirmed with PreparedStored once stored under its GID")
	// ErrStaleReceipt: the receipt is from a session before a reconnect;
	// its unit is sent again unless Position covered it.
	ErrStaleReceipt = errors.New("wire: receipt from an earlier replication session")
	// ErrUnitInterrupted: the session broke in the middle of a unit;
	// discard what was applied of it and call Next again.
	ErrUnitInterrupted = errors.New("wire: replication session broke in the middle of a unit (discard it: it is sent again)")
	// ErrBadReceipt: the receipt was not handed out by this Units, or is
	// confirmed already, or is not of the kind the method takes.
	ErrBadReceipt = errors.New("wire: receipt not pending")
)

// NewUnits returns a Units; nothing is sent until the first Next.
func NewUnits(cfg UnitsConfig) (*Units, error) {
	if cfg.Dial == nil || cfg.Position == nil {
		return nil, errors.New("wire: NewUnits: Dial and Position are required")
	}
	if err := checkSlotName(cfg.Slot); err != nil {
		return nil, err
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(5*time.Second, cfg.MinBackoff)
	}
	return &Units{cfg: cfg}, nil
}

// Stats returns the counters so far.
func (u *Units) Stats() UnitsStats { return u.stats }

// Stream returns the replication stream of the current session (nil
// between sessions).
func (u *Units) Stream() *Stream { return u.st }

// Conn returns the connection of the current session (nil between
// sessions).
func (u *Units) Conn() *Conn { return u.conn }

// Assembler returns the txn.Assembler (nil before the first Next), for
// its Buffered and Open figures.
func (u *Units) Assembler() *txn.Assembler { return u.a }

// Receipt returns the receipt of the unit whose EventEnd Next returned
// last.
func (u *Units) Receipt() Receipt { return u.receipt }

// Next returns the next event: EventBegin, EventChange or EventEnd (see
// txn.Assembler.Next; what it returns is valid until the next call). It
// reconnects on retryable errors. If the session broke between a unit's
// EventBegin and its EventEnd, Next returns an error matching
// ErrUnitInterrupted (and the cause) once it is ready to reconnect: drop
// what was applied of that unit and call Next again; the unit comes again
// from its EventBegin.
func (u *Units) Next(ctx context.Context) (txn.Event, error) {
	for {
		if err := ctx.Err(); err != nil {
			return txn.Event{}, err
		}
		if u.st == nil {
			if err := u.startSession(ctx); err != nil {
				if !u.retry(ctx, err) {
					return txn.Event{}, err
				}
				continue
			}
		}
		ev, err := u.next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return txn.Event{}, err
			}
			var te *txn.Error
			if errors.As(err, &te) || !u.retry(ctx, err) {
				return txn.Event{}, err
			}
			if u.inUnit {
				u.inUnit = false
				return txn.Event{}, fmt.Errorf("%w: %w", ErrUnitInterrupted, err)
			}
			continue
		}
		return ev, nil
	}
}

func (u *Units) next(ctx context.Context) (txn.Event, error) {
	for {
		ev, err := u.a.Next()
		if err != nil {
			return txn.Event{}, err
		}
		if ev.Kind != txn.EventNone {
			u.inUnit = ev.Kind != txn.EventEnd
			if ev.Kind == txn.EventEnd {
				u.endUnit(ev.Unit)
			}
			return ev, nil
		}
		m, err := u.st.Next(ctx)
		if err != nil {
			return txn.Event{}, err
		}
		at := u.st.WALStart()
		if !u.baseAck && at >= u.resume {
			// The stored position is applied; the stream clamps an
			// acknowledgement to what it received, so give it now.
			u.st.Ack(u.resume)
			u.baseAck = true
		}
		if u.resume != 0 {
			if end, ok := codec.UnitEnd(m, at); ok && end <= u.resume {
				u.stats.Skipped++
			}
		}
		if err := u.a.Push(m, at); err != nil {
			return txn.Event{}, err
		}
	}
}

func (u *Units) endUnit(un *txn.Unit) {
	u.seq++
	u.stats.Units++
	u.failures = 0
	r := Receipt{kind: un.Kind, end: un.End, ack: un.Ack, gen: u.gen, seq: u.seq}
	if un.Kind == txn.KindPrepared {
		r.ack = un.AckAfterStoringPrepared
		u.prepared = append(u.prepared, u.seq)
	}
	if un.GID != nil {
		r.gid = string(un.GID)
	}
	u.receipt = r
}

// Applied confirms that r's unit and every unit before it are durably
// applied, with r.End() stored as the position, and acknowledges it to the
// server. It refuses a KindPrepared receipt (use PreparedStored) and any
// receipt after a prepared one not yet confirmed.
func (u *Units) Applied(r Receipt) error {
	if err := u.check(r); err != nil {
		return err
	}
	if r.kind == txn.KindPrepared || (len(u.prepared) > 0 && u.prepared[0] < r.seq) {
		return ErrPreparedNotStored
	}
	u.confirm(r)
	return nil
}

// PreparedStored confirms that r's prepared transaction is durably stored
// under its GID, with r.End() as the position (and every unit before it
// applied), and acknowledges it: the server will not send it again.
func (u *Units) PreparedStored(r Receipt) error {
	if err := u.check(r); err != nil {
		return err
	}
	if r.kind != txn.KindPrepared {
		return fmt.Errorf("%w: PreparedStored on a %v unit", ErrBadReceipt, r.kind)
	}
	if u.prepared[0] != r.seq {
		return ErrPreparedNotStored // an earlier prepared one is not stored
	}
	u.confirm(r)
	return nil
}

func (u *Units) check(r Receipt) error {
	if r.seq == 0 || r.seq > u.seq {
		return ErrBadReceipt
	}
	if r.gen != u.gen || u.st == nil {
		return ErrStaleReceipt
	}
	if r.seq <= u.confirmed {
		return ErrBadReceipt
	}
	return nil
}

func (u *Units) confirm(r Receipt) {
	u.confirmed = r.seq
	for len(u.prepared) > 0 && u.prepared[0] <= r.seq {
		u.prepared = u.prepared[1:]
	}
	if r.ack != 0 {
		u.st.Ack(r.ack)
	}
}

// startSession reads the stored position and starts streaming from it.
func (u *Units) startSession(ctx context.Context) error {
	p, err := u.cfg.Position(ctx)
	if err != nil {
		return &positionError{err}
	}
	if u.a == nil {
		o := u.cfg.Assembler
		o.ResumeAfter = p
		o.AllowUnknownGID = o.AllowUnknownGID || p != 0
		u.a = txn.New(o)
	} else {
		u.stats.Discarded += u.a.Open()
		if err := u.a.Reset(p); err != nil {
			return err
		}
	}
	u.gen++
	u.prepared, u.confirmed, u.inUnit = u.prepared[:0], u.seq, false
	u.resume, u.baseAck = p, p == 0
	conn, err := u.cfg.Dial(ctx)
	if err != nil {
		return err
	}
	st, err := conn.StartReplication(ctx, u.cfg.Slot, p, u.cfg.Options)
	if err != nil {
		conn.Close()
		return err
	}
	u.conn, u.st = conn, st
	u.stats.Sessions++
	return nil
}

// positionError marks a failure of the consumer's Position: never retried.
type positionError struct{ err error }

func (e *positionError) Error() string { return "wire: Units: Position: " + e.err.Error() }
func (e *positionError) Unwrap() error { return e.err }

// retry ends the session after err and waits before the next one, or
// reports that err is not to be retried.
func (u *Units) retry(ctx context.Context, err error) bool {
	u.drop()
	var pe *positionError
	if errors.As(err, &pe) || !(IsRetryable(err) || isDialError(err)) {
		return false
	}
	u.failures++
	if u.cfg.MaxFailures > 0 && u.failures > u.cfg.MaxFailures {
		return false
	}
	u.stats.Retries++
	if u.cfg.OnRetry != nil {
		u.cfg.OnRetry(err)
	}
	d := u.cfg.MinBackoff
	for i := 1; i < u.failures && d < u.cfg.MaxBackoff; i++ {
		d *= 2
	}
	t := time.NewTimer(min(d, u.cfg.MaxBackoff))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// isDialError reports a failure to reach the server at all (refused,
// unreachable, timed out), as while it restarts.
func isDialError(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// drop closes the session's connection without waiting for the server.
func (u *Units) drop() {
	if u.conn != nil {
		u.conn.Close()
	}
	u.conn, u.st = nil, nil
}

// Close ends the session (politely, within ctx) and removes the
// Assembler's spill files. Nothing is acknowledged that was not confirmed.
func (u *Units) Close(ctx context.Context) error {
	var err error
	if u.st != nil {
		err = u.st.Close(ctx)
	}
	u.drop()
	if u.a != nil {
		if cerr := u.a.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
