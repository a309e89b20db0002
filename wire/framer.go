package wire

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/pgwal/pgwal/codec"
)

// DefaultMaxMessageSize bounds one backend message. PostgreSQL can send a
// CopyData of up to about 1 GB (one row with large values), so the default
// stays above that; lower it to bound memory against a hostile server.
const DefaultMaxMessageSize = 1<<30 + 64<<10

const (
	// minBuffer is the read buffer's first size.
	minBuffer = 32 << 10
	// trustShift: a declared message length is allocated in full only once
	// 1/32 of it has arrived. Before that the buffer at most doubles as
	// bytes fill it, so a hostile length costs at most 32× the bytes sent,
	// and a real large message is copied only while it is small.
	trustShift = 5
	// shrinkAbove: a buffer grown past this for a large message is given
	// back once a message a quarter of its size or less follows.
	shrinkAbove = 1 << 20
)

// Framer reads backend messages (type byte, Int32 length, body) from an
// io.Reader into one reused buffer, and writes frontend messages to an
// io.Writer. It is the framing layer of a session, for drivers that own
// their connection and hand pgwal the bytes (see NewStream); Conn uses one
// for every message it reads.
//
// Memory follows the bytes that arrive, not the lengths they declare: the
// buffer starts at 32 KiB and grows by doubling while a message's bytes
// fill it; once 1/32 of a declared message has arrived, the buffer grows
// to the whole message at once. So one message of n bytes peaks at about
// n + n/8 (the last small buffer and the garbage before it) plus 32 KiB,
// and a message larger than the limit (SetMaxMessageSize,
// DefaultMaxMessageSize) is refused before anything is allocated for it.
// After a message larger than 1 MiB, the buffer is given back as soon as a
// much smaller message follows.
//
// A Framer is not safe for concurrent use: one goroutine reads, and writes
// must be serialised by the caller.
type Framer struct {
	r          io.Reader
	w          io.Writer
	buf        []byte
	start, end int // unread bytes are buf[start:end]
	max        int
	room       int   // free space each read should have (read batching); 0 = any
	last       int   // length of the message returned last
	n          int64 // bytes read from r so far
	wbuf       []byte
}

// NewFramer returns a Framer reading backend messages from r and writing
// frontend messages to w (either may be nil if unused).
func NewFramer(r io.Reader, w io.Writer) *Framer {
	return &Framer{r: r, w: w, max: DefaultMaxMessageSize}
}

// SetMaxMessageSize sets the largest body ReadMessage accepts; n <= 0
// restores DefaultMaxMessageSize.
func (f *Framer) SetMaxMessageSize(n int) {
	if n <= 0 {
		n = DefaultMaxMessageSize
	}
	f.max = n
}

// Buffer hands the Framer bytes already read from the reader (for example
// by another driver before it handed the connection over); they are read
// before anything from r. Call it before the first ReadMessage.
func (f *Framer) Buffer(b []byte) {
	if len(b) == 0 {
		return
	}
	f.buf = append(make([]byte, 0, max(minBuffer, len(b))), f.buf[f.start:f.end]...)
	f.buf = append(f.buf, b...)
	f.start, f.end = 0, len(f.buf)
	f.buf = f.buf[:cap(f.buf)]
}

// ReadMessage returns the next backend message's type and body. The body
// aliases the Framer's buffer and is valid until the next call. A read
// error leaves the bytes received so far buffered, so a call after a
// timeout resumes where the last one stopped. A declared length below 4 is
// an ErrProtocol error and one above the limit ErrMessageTooLarge; both
// leave the stream unusable.
func (f *Framer) ReadMessage() (typ byte, body []byte, err error) {
	if f.max == 0 {
		f.max = DefaultMaxMessageSize
	}
	f.maybeShrink()
	if err := f.fill(5); err != nil {
		return 0, nil, err
	}
	typ = f.buf[f.start]
	n := uint64(binary.BigEndian.Uint32(f.buf[f.start+1:]))
	if n < 4 {
		return 0, nil, fmt.Errorf("%w: message %q declares length %d", ErrProtocol, typ, n)
	}
	if n-4 > uint64(f.max) {
		return 0, nil, fmt.Errorf("%w: message %q of %d bytes, limit %d", ErrMessageTooLarge, typ, n-4, f.max)
	}
	total := 1 + int(n)
	if err := f.fill(total); err != nil {
		return 0, nil, err
	}
	body = f.buf[f.start+5 : f.start+total : f.start+total]
	f.start += total
	f.last = total
	return typ, body, nil
}

// maybeShrink gives back a buffer grown for a large message once a much
// smaller message has followed it. The last body is no longer valid here.
func (f *Framer) maybeShrink() {
	if len(f.buf) <= shrinkAbove || len(f.buf) <= 4*f.room || f.last > len(f.buf)/4 {
		return
	}
	if unread := f.end - f.start; unread <= minBuffer {
		nb := make([]byte, max(minBuffer, 2*f.room))
		f.end = copy(nb, f.buf[f.start:f.end])
		f.start, f.buf = 0, nb
	}
}

// fill makes at least n unread bytes available.
func (f *Framer) fill(n int) error {
	for f.end-f.start < n {
		if f.start > 0 && (len(f.buf)-f.end < len(f.buf)/4 || len(f.buf)-f.end < f.room || len(f.buf)-f.start < n) {
			// Move the unread bytes to the front, so reads keep room to
			// take whatever has arrived.
			f.end = copy(f.buf, f.buf[f.start:f.end])
			f.start = 0
		}
		if f.end == len(f.buf) || len(f.buf)-f.end < f.room {
			f.grow(n)
		}
		k, err := f.r.Read(f.buf[f.end:])
		f.end += k
		f.n += int64(k)
		if err != nil && f.end-f.start < n {
			if err == io.EOF && f.end > f.start {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// grow enlarges a buffer that bytes which really arrived have filled
// (f.start is 0 here unless the buffer still has room past it). n is what
// the message being read needs in all.
func (f *Framer) grow(n int) {
	arrived := f.end - f.start
	size := max(min(2*len(f.buf), n), minBuffer)
	if arrived >= n>>trustShift {
		// Enough of the message is here to believe its length.
		size = max(size, n)
	}
	size = max(size, f.end-f.start+f.room)
	nb := make([]byte, size)
	f.end = copy(nb, f.buf[f.start:f.end])
	f.start = 0
	f.buf = nb
}

// Buffered reports how many unread bytes are held.
func (f *Framer) Buffered() int { return f.end - f.start }

// HasMessage reports whether a whole message is buffered, so reading it
// needs no call to the reader.
func (f *Framer) HasMessage() bool {
	if f.end-f.start < 5 {
		return false
	}
	n := uint64(binary.BigEndian.Uint32(f.buf[f.start+1:]))
	return n >= 4 && uint64(f.end-f.start) >= 1+n
}

// WriteCopyData writes one CopyData message carrying payload.
func (f *Framer) WriteCopyData(payload []byte) error {
	f.wbuf = AppendCopyData(f.wbuf[:0], payload)
	return f.flush()
}

// WriteStandbyStatus writes a standby status update in a CopyData.
func (f *Framer) WriteStandbyStatus(u *codec.StandbyStatusUpdate) error {
	f.wbuf = appendStandbyStatus(f.wbuf[:0], u)
	return f.flush()
}

// WriteHotStandbyFeedback writes a hot standby feedback message in a
// CopyData (physical replication).
func (f *Framer) WriteHotStandbyFeedback(h *codec.HotStandbyFeedback) error {
	f.wbuf = appendHotStandbyFeedback(f.wbuf[:0], h)
	return f.flush()
}

// WriteCopyDone writes CopyDone, ending the client's side of CopyBoth.
func (f *Framer) WriteCopyDone() error {
	f.wbuf = AppendCopyDone(f.wbuf[:0])
	return f.flush()
}

// WriteQuery writes a simple Query message.
func (f *Framer) WriteQuery(sql string) error {
	f.wbuf = AppendQuery(f.wbuf[:0], sql)
	return f.flush()
}

func (f *Framer) flush() error {
	if f.w == nil {
		return fmt.Errorf("wire: Framer has no writer")
	}
	_, err := f.w.Write(f.wbuf)
	return err
}
