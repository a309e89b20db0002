package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

func (c *Conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.conn.Write(b)
	if err != nil {
		return fmt.Errorf("wire: write: %w", err)
	}
	return nil
}

// writeCtx sends b with a write deadline from ctx. Only the write deadline
// is touched, never the read one.
func (c *Conn) writeCtx(ctx context.Context, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	dl, _ := ctx.Deadline()
	c.conn.SetWriteDeadline(dl)
	_, err := c.conn.Write(b)
	if err != nil {
		if ctxErr := contextCause(ctx, err, dl); ctxErr != nil {
			err = ctxErr
		}
		// Part of a message may have gone out: the session is unusable.
		c.fail(err)
		return fmt.Errorf("wire: write: %w", err)
	}
	return nil
}

// readMsg returns the next backend message, honouring ctx through the read
// deadline only. A message already buffered costs no system call and no
// allocation.
func (c *Conn) readMsg(ctx context.Context) (byte, []byte, error) { return c.read(ctx, false) }

// readStreamMsg is readMsg for a running stream: with Config.Batching on,
// a read waits at most the batching delay for MinBytes, then takes what is
// there.
func (c *Conn) readStreamMsg(ctx context.Context) (byte, []byte, error) { return c.read(ctx, true) }

func (c *Conn) read(ctx context.Context, stream bool) (byte, []byte, error) {
	if c.hasMessage() {
		return c.rd.next()
	}
	b := c.batch
	batched := stream && b != nil && b.on
	if !batched {
		b.stop() // only a running stream batches its reads
	}
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	c.watch(ctx)
	dl, _ := ctx.Deadline()
	rdl := dl
	if batched {
		if wait := time.Now().Add(b.delay); dl.IsZero() || wait.Before(dl) {
			rdl = wait
		}
	}
	err := c.setReadDeadline(ctx, rdl)
	var typ byte
	var body []byte
	if err == nil {
		typ, body, err = c.rd.next()
	}
	if batched && !rdl.Equal(dl) && err != nil && ctx.Err() == nil && errors.Is(err, os.ErrDeadlineExceeded) {
		// Fewer than MinBytes within the delay: take what has arrived,
		// or wait for the next byte.
		b.stop()
		if err = c.setReadDeadline(ctx, dl); err == nil {
			typ, body, err = c.rd.next()
		}
		b.start()
	}
	if err != nil {
		if ctxErr := contextCause(ctx, err, dl); ctxErr != nil {
			// The bytes read so far stay buffered: the next call resumes.
			return 0, nil, ctxErr
		}
		return 0, nil, c.readErr(err)
	}
	return typ, body, nil
}

// setReadDeadline sets the socket's read deadline and reports ctx's error
// if ctx ended meanwhile: its callback's deadline may have been
// overwritten.
func (c *Conn) setReadDeadline(ctx context.Context, t time.Time) error {
	c.conn.SetReadDeadline(t)
	return ctx.Err()
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

// hasMessage reports whether a whole message is buffered, so reading it
// needs no system call.
func (c *Conn) hasMessage() bool {
	if c.rd.buffered() < 5 {
		return false
	}
	n := int(binary.BigEndian.Uint32(c.rd.buf[c.rd.start+1:]))
	return n >= 4 && c.rd.buffered() >= 1+n
}

// readErr turns a transport error into what the caller should see, and
// marks the connection broken.
func (c *Conn) readErr(err error) error {
	if errors.Is(err, ErrMessageTooLarge) || errors.Is(err, ErrProtocol) {
		c.fail(err)
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
		err = fmt.Errorf("%w: %v", ErrConnectionLost, err)
	} else {
		err = fmt.Errorf("wire: read: %w", err)
	}
	c.fail(err)
	return err
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && strings.Contains(ne.Err.Error(), "reset")
}
