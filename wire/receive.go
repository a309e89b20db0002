package wire

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// readOpts say how one read of a backend message may wait.
type readOpts struct {
	// batch: a running stream's read, which Config.Batching may hold for
	// more bytes.
	batch bool
	// quiet: a stream's receive timeout; if no byte arrives for this long,
	// counted from quietFrom, the connection is lost. 0: no such limit.
	quiet     time.Duration
	quietFrom time.Time
}

// errInterrupted: a read was cut short by interruptRead; the caller
// decides what the interruption was for.
var errInterrupted = errors.New("wire: read interrupted")

// receive returns the next backend message the caller must handle. It is
// the one receive loop of a session: ParameterStatus, NoticeResponse and
// NotificationResponse are handled here, wherever they arrive, and every
// other message goes to the caller. The body is valid until the next call.
//
// Errors: ctx's own error when ctx ended (the bytes read so far stay
// buffered, so a later call resumes); errInterrupted after interruptRead;
// otherwise the connection is marked broken and the error is ErrProtocol,
// ErrMessageTooLarge, or a *TransportError.
func (c *Conn) receive(ctx context.Context, o readOpts) (byte, []byte, error) {
	for {
		typ, body, err := c.read(ctx, o)
		if err != nil {
			return 0, nil, err
		}
		switch typ {
		case msgParameterStatus:
			c.setParam(body)
		case msgNoticeResponse:
			c.notice(body)
		case msgNotification:
			// LISTEN has no use on a replication session; dropped.
		default:
			return typ, body, nil
		}
	}
}

// read returns the next backend message, honouring ctx through the read
// deadline only. A message already buffered costs no system call and no
// allocation.
func (c *Conn) read(ctx context.Context, o readOpts) (byte, []byte, error) {
	b := c.batch
	if c.rd.HasMessage() {
		typ, body, err := c.rd.ReadMessage()
		if err != nil {
			return 0, nil, c.readErr(err)
		}
		if b != nil && !b.holdFrom.IsZero() {
			b.holdFrom = time.Time{} // the interrupted wait got its batch
		}
		return typ, body, nil
	}
	batched := o.batch && b != nil && b.streaming
	if !batched {
		b.stop() // only a running stream batches its reads
	}
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	c.watch.watch(ctx)
	dl, _ := ctx.Deadline()
	quietFrom := o.quietFrom
	waited := false // this read already waited out a batch delay
	for {
		var quietUntil time.Time
		if o.quiet > 0 {
			quietUntil = quietFrom.Add(o.quiet)
		}
		hard := earliest(dl, quietUntil) // the deadlines that end the wait
		rdl := hard
		holding := batched && b.hold() && !waited
		if holding {
			b.start()
			if b.holdFrom.IsZero() {
				b.holdFrom = time.Now()
			}
			rdl = earliest(rdl, b.holdFrom.Add(b.delay))
		} else if batched {
			b.stop()
		}
		arrived := c.rd.n
		typ, body, err := c.readUntil(ctx, rdl)
		if err == nil {
			if batched {
				b.holdFrom = time.Time{}
			}
			c.lastRecv.Store(time.Now().UnixNano())
			return typ, body, nil
		}
		if errors.Is(err, errInterrupted) {
			return 0, nil, err
		}
		if ctxErr := contextCause(ctx, err, dl); ctxErr != nil {
			// The bytes read so far stay buffered: the next call resumes.
			return 0, nil, ctxErr
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, nil, c.readErr(err)
		}
		now := time.Now()
		if c.rd.n != arrived {
			// Part of a message came: the server is there.
			quietFrom = now
			c.lastRecv.Store(now.UnixNano())
		} else if o.quiet > 0 && !now.Before(quietUntil) {
			return 0, nil, c.readErr(fmt.Errorf("%w (%v)", ErrReceiveTimeout, o.quiet))
		}
		if holding && (hard.IsZero() || rdl.Before(hard)) {
			// Fewer than MinBytes within the delay: take what has arrived,
			// or wait for the next byte; the stream is not busy now.
			b.quiet()
			b.holdFrom = time.Time{}
			waited = true
		}
		// Otherwise a stale deadline (an interruption already handled):
		// wait on with fresh ones.
	}
}

// readUntil reads one message with the read deadline t (zero: none). An
// interruption that landed before the deadline was set is not lost: the
// flag is checked after setting it.
func (c *Conn) readUntil(ctx context.Context, t time.Time) (byte, []byte, error) {
	c.conn.SetReadDeadline(t)
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	if c.intr.Load() {
		return 0, nil, errInterrupted
	}
	typ, body, err := c.rd.ReadMessage()
	if err != nil && c.intr.Load() && errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, nil, errInterrupted
	}
	return typ, body, err
}

// interruptRead makes a read blocked in another goroutine (or the next
// one) return errInterrupted. clearInterrupt resets it.
func (c *Conn) interruptRead() {
	c.intr.Store(true)
	c.conn.SetReadDeadline(past)
}

func (c *Conn) clearInterrupt() { c.intr.Store(false) }

func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// contextCause returns ctx's error when err came from ctx: cancellation, or
// the socket deadline copied from ctx, which can fire a moment before ctx
// itself reports it.
func contextCause(ctx context.Context, err error, deadline time.Time) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !deadline.IsZero() && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(deadline) {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// readErr turns a read failure into what the caller should see, and
// marks the connection broken.
func (c *Conn) readErr(err error) error {
	if b := c.brokenErr(); b == ErrClosed {
		return &brokenError{ErrClosed} // Close from another goroutine
	}
	if !errors.Is(err, ErrMessageTooLarge) && !errors.Is(err, ErrProtocol) {
		err = &TransportError{Op: "read", Err: err}
	}
	c.fail(err)
	return err
}

// write sends b during start-up, before any context but the one NewConn
// watches applies.
func (c *Conn) write(b []byte) error { return c.send(context.Background(), "start-up", b) }

// send sends b, whole, as one writer, with a write deadline from ctx (if
// it has one). Only the write deadline is touched, never the read one. A
// failed write breaks the connection: part of a message may have gone out.
func (c *Conn) send(ctx context.Context, what string, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(ctx, what, b)
}

// writeLocked is send with c.wmu held.
func (c *Conn) writeLocked(ctx context.Context, what string, b []byte) error {
	dl, _ := ctx.Deadline()
	return c.writeUntil(ctx, dl, what, b)
}

// writeUntil writes b with the write deadline dl (zero: none), c.wmu held.
// An error from ctx's own deadline or cancellation is reported as ctx's.
func (c *Conn) writeUntil(ctx context.Context, dl time.Time, what string, b []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.conn.SetWriteDeadline(dl)
	if _, err := c.conn.Write(b); err != nil {
		ctxDL, _ := ctx.Deadline()
		if ctxErr := contextCause(ctx, err, ctxDL); ctxErr != nil {
			err = fmt.Errorf("wire: %s: %w", what, ctxErr)
		} else if b := c.brokenErr(); b == ErrClosed {
			return &brokenError{ErrClosed}
		} else {
			err = &TransportError{Op: "write " + what, Err: err}
		}
		c.fail(err)
		return err
	}
	return nil
}
