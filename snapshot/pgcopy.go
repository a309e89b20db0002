package snapshot

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/pgwal/pgwal/codec"
)

// ErrBinaryCopy: the bytes are not binary COPY data (PGCOPY): a bad
// signature, an unknown critical flag, a tuple cut short or with bytes
// after it, a field count other than the table's, data after the trailer.
var ErrBinaryCopy = errors.New("snapshot: malformed binary COPY data")

// binarySignature opens every binary COPY stream.
const binarySignature = "PGCOPY\n\xff\r\n\x00"

// flagOIDs is header flag bit 16: each tuple has an OID field first (gone
// since PostgreSQL 12). Bits 17–31 are critical: a reader must stop at one
// it does not know. Bits 0–15 may be ignored.
const flagOIDs = 1 << 16

// ParseBinaryHeader reads the binary COPY header at the start of b: the
// 11-byte signature, the Int32 flags and the header extension (an Int32
// length and that many bytes, skipped). It returns the flags and the bytes
// after the header.
func ParseBinaryHeader(b []byte) (flags uint32, rest []byte, err error) {
	if len(b) < len(binarySignature)+8 || string(b[:len(binarySignature)]) != binarySignature {
		return 0, nil, fmt.Errorf("%w: no PGCOPY signature", ErrBinaryCopy)
	}
	b = b[len(binarySignature):]
	flags = binary.BigEndian.Uint32(b)
	if flags&flagOIDs != 0 {
		return 0, nil, fmt.Errorf("%w: header flags %#x: tuples with OIDs (before PostgreSQL 12)", ErrBinaryCopy, flags)
	}
	if flags&^0xffff != 0 {
		return 0, nil, fmt.Errorf("%w: header flags %#x: an unknown critical flag", ErrBinaryCopy, flags)
	}
	ext := binary.BigEndian.Uint32(b[4:])
	b = b[8:]
	if uint64(ext) > uint64(len(b)) {
		return 0, nil, fmt.Errorf("%w: header extension of %d bytes, %d left", ErrBinaryCopy, ext, len(b))
	}
	return flags, b[ext:], nil
}

// ParseBinaryTuple reads one tuple at the start of b: an Int16 field
// count, then per field an Int32 length (-1: NULL) and that many bytes.
// It returns the fields in dst (reused; grown only to the count, which
// the bytes must be able to hold), as codec.ColumnBinary views into b or
// codec.ColumnNull, and the bytes after the tuple. A field count of -1 is
// the trailer: trailer is true and t is empty.
func ParseBinaryTuple(dst codec.Tuple, b []byte) (t codec.Tuple, rest []byte, trailer bool, err error) {
	if len(b) < 2 {
		return dst[:0], nil, false, fmt.Errorf("%w: %d bytes where a field count belongs", ErrBinaryCopy, len(b))
	}
	n := int16(binary.BigEndian.Uint16(b))
	b = b[2:]
	if n == -1 {
		return dst[:0], b, true, nil
	}
	if n < 0 {
		return dst[:0], nil, false, fmt.Errorf("%w: field count %d", ErrBinaryCopy, n)
	}
	if int(n) > len(b)/4 {
		// Each field takes at least its length word: refuse before
		// allocating for fields the bytes cannot hold.
		return dst[:0], nil, false, fmt.Errorf("%w: %d fields in %d bytes", ErrBinaryCopy, n, len(b))
	}
	if cap(dst) < int(n) {
		dst = make(codec.Tuple, n)
	}
	t = dst[:n]
	for i := range t {
		if len(b) < 4 {
			return t[:0], nil, false, fmt.Errorf("%w: field %d cut short", ErrBinaryCopy, i)
		}
		l := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		switch {
		case l == -1:
			t[i] = codec.Column{Kind: codec.ColumnNull}
		case l < 0 || int64(l) > int64(len(b)):
			return t[:0], nil, false, fmt.Errorf("%w: field %d of length %d, %d bytes left", ErrBinaryCopy, i, l, len(b))
		default:
			t[i] = codec.Column{Kind: codec.ColumnBinary, Data: b[:l:l]}
			b = b[l:]
		}
	}
	return t, b, false, nil
}

// BinaryReader parses a binary COPY stream as PostgreSQL sends it, one
// CopyData message at a time (wire.Conn.CopyOut's rows): the header in
// front of the first tuple, then whole tuples, then the trailer. A tuple
// split across messages is an error (the server never splits one). It
// holds no bytes between calls: memory is one tuple's fields.
type BinaryReader struct {
	// Columns, if > 0, is the field count every tuple must have.
	Columns int
	// Flags are the header's flags, once it has been read.
	Flags uint32

	header, trailer bool
	tuple           codec.Tuple
	rows            int64
}

// Feed parses one message and calls fn for each tuple in it. The tuple
// and its Data are views into msg and into a buffer reused for the next
// tuple: valid only during the call.
func (r *BinaryReader) Feed(msg []byte, fn func(codec.Tuple) error) error {
	var err error
	if !r.header {
		if r.Flags, msg, err = ParseBinaryHeader(msg); err != nil {
			return err
		}
		r.header = true
	}
	for len(msg) > 0 {
		if r.trailer {
			return fmt.Errorf("%w: %d bytes after the trailer", ErrBinaryCopy, len(msg))
		}
		var t codec.Tuple
		var end bool
		t, msg, end, err = ParseBinaryTuple(r.tuple, msg)
		if err != nil {
			return err
		}
		if end {
			r.trailer = true
			continue
		}
		r.tuple = t
		if r.Columns > 0 && len(t) != r.Columns {
			return fmt.Errorf("%w: a tuple of %d fields, want %d", ErrBinaryCopy, len(t), r.Columns)
		}
		r.rows++
		if err := fn(t); err != nil {
			return err
		}
	}
	return nil
}

// Rows returns how many tuples Feed has handed on.
func (r *BinaryReader) Rows() int64 { return r.rows }

// End reports whether the stream was complete: the header and the trailer
// were read.
func (r *BinaryReader) End() error {
	if !r.header || !r.trailer {
		return fmt.Errorf("%w: the stream ended without its trailer", ErrBinaryCopy)
	}
	return nil
}
