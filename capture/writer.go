package capture

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/pgwal/pgwal/codec"
)

// A Writer writes a v2 capture: the header when it is created, then one
// record per call, each with a single Write to the underlying writer (wrap
// it in a bufio.Writer to batch them). After a write error every call
// returns that error. A Writer is not safe for concurrent use.
type Writer struct {
	w    io.Writer
	buf  []byte
	dec  codec.Decoder
	err  error
	off  int64
	recs int
}

// NewWriter checks h and writes the magic line and the header to w. Keys
// must be letters, digits, '_' (and '-' or '.' after the first
// character); values one line without surrounding blanks; proto_version
// and streaming, when present, valid. A header that breaks these rules is
// an ErrHeader error and nothing is written.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	b, err := appendHeader(nil, h)
	if err != nil {
		return nil, &Error{Err: err}
	}
	cw := &Writer{w: w}
	if err := cw.write(b); err != nil {
		return nil, err
	}
	return cw, nil
}

// WriteXLogData writes an XLogData record: x's header (WALStart, WALEnd,
// ServerTime) and its payload.
func (w *Writer) WriteXLogData(x *codec.XLogData) error {
	if w.err != nil {
		return w.err
	}
	if len(x.Data) > DefaultMaxRecordSize-codec.XLogDataHeaderSize {
		return w.tooLarge(codec.XLogDataHeaderSize + len(x.Data))
	}
	w.buf = append(w.buf[:0], 'd', 0, 0, 0, 0)
	w.buf = codec.AppendXLogData(w.buf, x)
	return w.record()
}

// WriteKeepalive writes a primary keepalive record.
func (w *Writer) WriteKeepalive(k *codec.PrimaryKeepalive) error {
	if w.err != nil {
		return w.err
	}
	w.buf = append(w.buf[:0], 'd', 0, 0, 0, 0)
	w.buf = codec.AppendPrimaryKeepalive(w.buf, k)
	return w.record()
}

// WriteCopyData writes the payload of a CopyData the server sent, as it
// arrived: an XLogData, a keepalive or a primary status update. Anything
// else is an ErrRecord error and is not written.
func (w *Writer) WriteCopyData(payload []byte) error {
	if w.err != nil {
		return w.err
	}
	if len(payload) > DefaultMaxRecordSize {
		return w.tooLarge(len(payload))
	}
	if _, err := w.dec.DecodeServerCopyData(payload); err != nil {
		return &Error{Record: w.recs + 1, Offset: w.off, Err: wrap(ErrRecord, err)}
	}
	w.buf = append(w.buf[:0], 'd', 0, 0, 0, 0)
	w.buf = append(w.buf, payload...)
	return w.record()
}

// Records returns how many records have been written.
func (w *Writer) Records() int { return w.recs }

// Offset returns how many bytes have been written, header included.
func (w *Writer) Offset() int64 { return w.off }

func (w *Writer) tooLarge(n int) error {
	return &Error{Record: w.recs + 1, Offset: w.off,
		Err: fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, DefaultMaxRecordSize)}
}

// record finishes the record in w.buf and writes it.
func (w *Writer) record() error {
	binary.BigEndian.PutUint32(w.buf[1:], uint32(len(w.buf)-1))
	if err := w.write(w.buf); err != nil {
		return err
	}
	w.recs++
	return nil
}

func (w *Writer) write(b []byte) error {
	n, err := w.w.Write(b)
	w.off += int64(n)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = fmt.Errorf("capture: writing record %d: %w", w.recs+1, err)
		return w.err
	}
	return nil
}
