package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/growread"
	"github.com/pgwal/pgwal/lsn"
)

// Magic lines: the first line of every capture file.
const (
	MagicV1 = "# pgwal capture v1" // text: "<lsn> <xid> <hex>" lines
	MagicV2 = "# pgwal capture v2" // header lines, then binary CopyData records

	magicPrefix = "# pgwal capture v"
)

// DefaultMaxRecordSize bounds one record's payload unless SetMaxRecordSize
// says otherwise. PostgreSQL can send a CopyData of about 1 GB (one row
// with large values), so the default stays above that.
const DefaultMaxRecordSize = 1<<30 + 64<<10

// Limits on the header of a file, whatever the record limit.
const (
	maxHeaderLine = 64 << 10
	maxHeaderSize = 1 << 20
)

// Kind is the kind of a record: the sub-message byte of the server
// CopyData it holds.
type Kind byte

const (
	KindXLogData      Kind = Kind(codec.TagXLogData)            // 'w': XLogData (WALData) carrying one pgoutput message
	KindKeepalive     Kind = Kind(codec.TagPrimaryKeepalive)    // 'k': primary keepalive
	KindPrimaryStatus Kind = Kind(codec.TagPrimaryStatusUpdate) // 's': primary status update (PostgreSQL 19+)
)

func (k Kind) String() string {
	switch k {
	case KindXLogData:
		return "XLogData"
	case KindKeepalive:
		return "Primary Keepalive"
	case KindPrimaryStatus:
		return "Primary Status Update"
	}
	return fmt.Sprintf("Kind(%q)", byte(k))
}

// Record is one server CopyData of a capture. Exactly one of XLogData,
// Keepalive and PrimaryStatus is set, as Kind says. A Record returned by
// Reader.Next, with the byte slices in it, is valid until the next call
// to Next.
type Record struct {
	Kind          Kind
	XLogData      codec.XLogData // header and payload; Data aliases the reader's buffer
	Keepalive     codec.PrimaryKeepalive
	PrimaryStatus codec.PrimaryStatusUpdate

	Num    int    // 1-based number of the record in the file
	Offset int64  // byte offset of the record (of its line, in a v1 file)
	Line   int    // 1-based line number in a v1 file; 0 in a v2 file
	Xid    uint32 // v1 only: the xid column (0 in live captures)

	payload []byte
}

// Payload returns the CopyData payload as the server sent it: the
// sub-message byte, its header, and for XLogData the pgoutput message. A
// v1 line becomes the XLogData a live session would carry: WALStart and
// WALEnd the line's LSN, ServerTime 0.
func (r *Record) Payload() []byte { return r.payload }

// A Reader reads a capture file one record at a time into one reused
// buffer. It reads both formats: v1 text and v2 binary (see the package
// documentation). A Reader is not safe for concurrent use.
type Reader struct {
	br      *bufio.Reader
	version int
	header  Header
	max     int

	off  int64 // bytes consumed
	line int   // lines consumed (v1, and the header of v2)
	num  int   // records returned

	buf     []byte // the current record's payload
	lineBuf []byte // the current text line
	pending bool   // v1: lineBuf holds the first data line, read with the header
	pendOff int64
	pendNo  int

	hdr [5]byte // a record's type and length
	dec codec.Decoder
	rec Record
	err error
}

// NewReader reads the magic line and the header from r and returns a
// Reader positioned at the first record. The header is checked: a
// proto_version or streaming value that cannot be right is an ErrHeader
// error.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{br: bufio.NewReaderSize(r, 64<<10), max: DefaultMaxRecordSize, header: Header{}}
	line, err := rd.readLine(maxHeaderLine)
	if err == io.EOF {
		return nil, &Error{Line: 1, Err: wrap(ErrNotCapture, "empty input")}
	}
	if errors.Is(err, ErrTooLarge) {
		return nil, &Error{Line: 1, Err: wrap(ErrNotCapture, fmt.Sprintf("first line longer than %d bytes", maxHeaderLine))}
	}
	if err != nil {
		return nil, &Error{Line: 1, Err: err}
	}
	line = bytes.TrimRight(line, "\r")
	switch {
	case string(line) == MagicV1:
		rd.version = 1
		err = rd.headerV1()
	case string(line) == MagicV2:
		rd.version = 2
		err = rd.headerV2()
	case bytes.HasPrefix(line, []byte(magicPrefix)):
		return nil, &Error{Line: 1, Err: wrap(ErrVersion, fmt.Sprintf("%q (this reader knows v1 and v2)", line))}
	default:
		return nil, &Error{Line: 1, Err: wrap(ErrNotCapture, fmt.Sprintf("want %q or %q as the first line", MagicV2, MagicV1))}
	}
	if err != nil {
		return nil, err
	}
	return rd, nil
}

// Version returns the file's format version: 1 (text) or 2 (binary).
func (r *Reader) Version() int { return r.version }

// Header returns the file's header. It belongs to the Reader; copy it to
// change it.
func (r *Reader) Header() Header { return r.header }

// SetMaxRecordSize bounds the payload of one record (n <= 0: the
// default). A record declaring more is an ErrTooLarge error; below the
// limit the buffer still grows only as bytes arrive.
func (r *Reader) SetMaxRecordSize(n int) {
	if n <= 0 {
		n = DefaultMaxRecordSize
	}
	r.max = n
}

// Offset returns how many bytes of the input have been consumed.
func (r *Reader) Offset() int64 { return r.off }

// Next returns the next record, or io.EOF after the last one. The record
// is valid until the next call. Errors about the data are *Error values;
// after an error Next returns it again.
func (r *Reader) Next() (*Record, error) {
	if r.err != nil {
		return nil, r.err
	}
	var rec *Record
	var err error
	if r.version == 1 {
		rec, err = r.nextV1()
	} else {
		rec, err = r.nextV2()
	}
	if err != nil {
		r.err = err
		return nil, err
	}
	return rec, nil
}

// readLine returns the next line without its '\n', in r.lineBuf. A last
// line without '\n' is returned as well; io.EOF means no bytes were left.
// A line longer than limit is an ErrTooLarge error (nothing beyond limit
// is kept).
func (r *Reader) readLine(limit int64) ([]byte, error) {
	r.lineBuf = r.lineBuf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.off += int64(len(chunk))
		if int64(len(r.lineBuf))+int64(len(chunk)) > limit+1 {
			return nil, fmt.Errorf("%w: line longer than %d bytes", ErrTooLarge, limit)
		}
		r.lineBuf = append(r.lineBuf, chunk...)
		switch {
		case err == nil:
			r.line++
			return r.lineBuf[:len(r.lineBuf)-1], nil
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			if len(r.lineBuf) == 0 {
				return nil, io.EOF
			}
			r.line++
			return r.lineBuf, nil
		default:
			return nil, err
		}
	}
}

// headerV1 reads the header lines of a v1 file, up to its first data line
// (kept for nextV1). As in the corpus's own reader, "# key: value" lines
// before the first data line are the header, other '#' lines and empty
// lines are skipped.
func (r *Reader) headerV1() error {
	for {
		// Look before reading: the first data line is left for nextV1,
		// which reads it under the record limit.
		b, err := r.br.Peek(1)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &Error{Line: r.line + 1, Offset: r.off, Err: err}
		}
		if b[0] != '#' && b[0] != '\n' && b[0] != '\r' {
			return nil
		}
		off := r.off
		line, err := r.readLine(maxHeaderLine)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &Error{Line: r.line + 1, Offset: off, Err: err}
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			continue
		}
		if line[0] != '#' {
			r.pending, r.pendOff, r.pendNo = true, off, r.line
			return nil
		}
		k, v, ok := strings.Cut(strings.TrimSpace(string(line[1:])), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == KeyProtoVersion || k == KeyStreaming {
			if _, err := (Header{k: v}).DecoderOptions(); err != nil {
				return &Error{Line: r.line, Offset: off, Err: err}
			}
		}
		r.header[k] = v
	}
}

// lineLimit is the longest v1 line a record of r.max bytes can take.
func (r *Reader) lineLimit() int64 { return 2*int64(r.max) + 256 }

func (r *Reader) nextV1() (*Record, error) {
	for {
		var line []byte
		off, no := r.pendOff, r.pendNo
		if r.pending {
			r.pending = false
			line = r.lineBuf
		} else {
			off = r.off
			var err error
			line, err = r.readLine(r.lineLimit())
			no = r.line
			if err == io.EOF {
				return nil, io.EOF
			}
			if err != nil {
				return nil, &Error{Record: r.num + 1, Line: r.line + 1, Offset: off, Err: err}
			}
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		fail := func(detail any) (*Record, error) {
			return nil, &Error{Record: r.num + 1, Line: no, Offset: off, Err: wrap(ErrRecord, detail)}
		}
		fields := bytes.Fields(line)
		if len(fields) != 3 {
			return fail(fmt.Sprintf("want \"<lsn> <xid> <hex>\", got %d fields", len(fields)))
		}
		l, err := lsn.Parse(string(fields[0]))
		if err != nil {
			return fail(err)
		}
		x, err := strconv.ParseUint(string(fields[1]), 10, 32)
		if err != nil {
			return fail(fmt.Errorf("xid: %w", err))
		}
		h := fields[2]
		if int64(len(h))/2+codec.XLogDataHeaderSize > int64(r.max) {
			return nil, &Error{Record: r.num + 1, Line: no, Offset: off,
				Err: fmt.Errorf("%w: %d bytes of hex, limit %d bytes", ErrTooLarge, len(h), r.max)}
		}
		// The XLogData a live session would have carried, decoded in place.
		r.buf = codec.AppendXLogDataHeader(r.buf[:0], l, l, 0)
		n := codec.XLogDataHeaderSize + hex.DecodedLen(len(h))
		if cap(r.buf) < n {
			r.buf = append(r.buf, make([]byte, n-len(r.buf))...)
		}
		r.buf = r.buf[:n]
		if _, err := hex.Decode(r.buf[codec.XLogDataHeaderSize:], h); err != nil {
			return fail(fmt.Errorf("hex: %w", err))
		}
		r.num++
		r.rec = Record{
			Kind:     KindXLogData,
			XLogData: codec.XLogData{WALStart: l, WALEnd: l, Data: r.buf[codec.XLogDataHeaderSize:n:n]},
			Num:      r.num, Offset: off, Line: no, Xid: uint32(x),
			payload: r.buf,
		}
		return &r.rec, nil
	}
}

// headerV2 reads "# key: value" lines up to the empty line that ends a v2
// header.
func (r *Reader) headerV2() error {
	for {
		off := r.off
		line, err := r.readLine(maxHeaderLine)
		if err == io.EOF {
			return &Error{Line: r.line + 1, Offset: off, Err: wrap(ErrTruncated, "no empty line ends the header")}
		}
		if err != nil {
			return &Error{Line: r.line + 1, Offset: off, Err: err}
		}
		if r.off > maxHeaderSize {
			return &Error{Line: r.line, Offset: off, Err: fmt.Errorf("%w: header longer than %d bytes", ErrTooLarge, maxHeaderSize)}
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			if _, err := r.header.DecoderOptions(); err != nil {
				return &Error{Line: r.line, Offset: off, Err: err}
			}
			return nil
		}
		bad := func(detail string) error {
			return &Error{Line: r.line, Offset: off, Err: wrap(ErrHeader, detail)}
		}
		if line[0] != '#' {
			return bad("want \"# key: value\" or an empty line")
		}
		k, v, ok := strings.Cut(string(line[1:]), ":")
		if !ok {
			return bad("want \"# key: value\", no ':'")
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if err := checkKey(k); err != nil {
			return &Error{Line: r.line, Offset: off, Err: err}
		}
		if err := checkValue(k, v); err != nil {
			return &Error{Line: r.line, Offset: off, Err: err}
		}
		if _, dup := r.header[k]; dup {
			return bad(fmt.Sprintf("key %q given twice", k))
		}
		r.header[k] = v
	}
}

func (r *Reader) nextV2() (*Record, error) {
	start, num := r.off, r.num+1
	fail := func(err error) (*Record, error) {
		return nil, &Error{Record: num, Offset: start, Err: err}
	}
	hdr := r.hdr[:]
	n, err := io.ReadFull(r.br, hdr)
	r.off += int64(n)
	switch {
	case err == io.EOF:
		return nil, io.EOF
	case err == io.ErrUnexpectedEOF:
		return fail(wrap(ErrTruncated, fmt.Sprintf("%d of the 5 bytes of a record header", n)))
	case err != nil:
		return fail(err)
	}
	if hdr[0] != 'd' {
		return fail(wrap(ErrRecord, fmt.Sprintf("record type %q, want 'd' (CopyData)", hdr[0])))
	}
	length := int64(binary.BigEndian.Uint32(hdr[1:]))
	if length < 4 {
		return fail(wrap(ErrRecord, fmt.Sprintf("length %d, below the 4 of the length itself", length)))
	}
	if length-4 > int64(r.max) {
		return fail(fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, length-4, r.max))
	}
	body, err := r.readBody(int(length - 4))
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return fail(wrap(ErrTruncated, fmt.Sprintf("%d of %d payload bytes", len(body), length-4)))
		}
		return fail(err)
	}
	m, err := r.dec.DecodeServerCopyData(body)
	if err != nil {
		return fail(wrap(ErrRecord, err))
	}
	r.num = num
	r.rec = Record{Num: num, Offset: start, payload: body}
	switch m := m.(type) {
	case *codec.XLogData:
		r.rec.Kind, r.rec.XLogData = KindXLogData, *m
	case *codec.PrimaryKeepalive:
		r.rec.Kind, r.rec.Keepalive = KindKeepalive, *m
	case *codec.PrimaryStatusUpdate:
		r.rec.Kind, r.rec.PrimaryStatus = KindPrimaryStatus, *m
	}
	return &r.rec, nil
}

// readBody reads n bytes into r.buf. The buffer grows only when bytes that
// arrived fill it, at most doubling, so a declared length alone never
// allocates.
func (r *Reader) readBody(n int) ([]byte, error) {
	b, err := growread.ReadN(r.br, r.buf, n)
	r.buf, r.off = b, r.off+int64(len(b))
	return b, err
}
