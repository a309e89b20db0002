package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/pgwal/pgwal/capture"
	"github.com/pgwal/pgwal/internal/growread"
)

// decode reads its input through one bufio.Reader of this size; package
// capture reuses it rather than adding its own (its buffer is as large).
const decodeBufSize = 64 << 10

// maxMessage bounds one pgoutput message or backend message of a hex or
// wire input, as package capture bounds a record: a declared length alone
// allocates nothing, and the buffer grows only as bytes arrive.
const maxMessage = capture.DefaultMaxRecordSize

// detectReader guesses the input format from the first bytes of br without
// consuming them. It reads no further than it must (the first line, or the
// first byte that cannot be hex), so a pipe from a live capture is decoded
// as it arrives.
func detectReader(br *bufio.Reader) (string, error) {
	want := 1
	for {
		b, err := br.Peek(want)
		if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
			return "", err
		}
		if n := br.Buffered(); n > len(b) {
			b, _ = br.Peek(n) // look at all that arrived, not only want
		}
		final := err != nil || len(b) == br.Size() // EOF, or all it can hold
		if format, ok := detectPrefix(b, final); ok {
			return format, nil
		}
		want = min(len(b)+1, br.Size()) // wait for one more byte
	}
}

const captureMagicPrefix = "# pgwal capture v"

// detectPrefix decides the format from b, the start of the input, when it
// can: final says no more bytes will be looked at.
func detectPrefix(b []byte, final bool) (string, bool) {
	t := bytes.TrimLeft(b, " \t\r\n")
	if len(t) == 0 {
		return "wire", final
	}
	if t[0] == '#' {
		if bytes.HasPrefix(t, []byte(captureMagicPrefix)) {
			return "capture", true
		}
		if !final && len(t) < len(captureMagicPrefix) && bytes.HasPrefix([]byte(captureMagicPrefix), t) {
			return "", false
		}
		return "hex", true
	}
	// Hex when the first line is all hex digits and blanks: a wire stream
	// can start with 'd', itself a hex digit, but its length bytes are not.
	line, _, found := bytes.Cut(t, []byte("\n"))
	for _, c := range bytes.TrimRight(line, "\r") {
		if !isHex(c) && c != ' ' && c != '\t' {
			return "wire", true
		}
	}
	return "hex", found || final
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// lineReader reads lines one at a time into one reused buffer.
type lineReader struct {
	br   *bufio.Reader
	line []byte
	n    int // lines read
}

// next returns the next line without its '\n' (a last line without one as
// well), or io.EOF when no bytes are left. A line longer than limit is a
// capture.ErrTooLarge error; nothing beyond the limit is kept.
func (r *lineReader) next(limit int64) ([]byte, error) {
	r.line = r.line[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if int64(len(r.line))+int64(len(chunk)) > limit+1 {
			return nil, fmt.Errorf("%w: line longer than %d bytes", capture.ErrTooLarge, limit)
		}
		r.line = append(r.line, chunk...)
		switch err {
		case nil:
			r.n++
			return r.line[:len(r.line)-1], nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			if len(r.line) == 0 {
				return nil, io.EOF
			}
			r.n++
			return r.line, nil
		default:
			return nil, err
		}
	}
}

// hexDigits strips a '#' comment and the blanks from a hex input line, in
// place, leaving the hex digits.
func hexDigits(line []byte) []byte {
	if i := bytes.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	out := line[:0]
	for i, c := range line {
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f':
		case c >= utf8.RuneSelf:
			// Other Unicode spaces separate digits too: the slow way.
			return bytes.Join(bytes.Fields(append(out, line[i:]...)), nil)
		default:
			out = append(out, c)
		}
	}
	return out
}

// decodeHex decodes hex digits into buf, reused, and returns the bytes.
func decodeHex(buf, digits []byte) ([]byte, error) {
	n := hex.DecodedLen(len(digits))
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := hex.Decode(buf, digits)
	return buf, err
}

// wireReader reads backend messages (type byte, Int32 length counting
// itself, body) one at a time into one reused buffer.
type wireReader struct {
	br  *bufio.Reader
	off int64 // bytes consumed
	num int   // messages read
	hdr [5]byte
	buf []byte
}

// next returns the next message's type and body, valid until the next
// call, or io.EOF at the end of the input. Errors are *decodeError values
// naming the message's offset and number.
func (r *wireReader) next(name string) (byte, []byte, error) {
	start := r.off
	r.num++
	fail := func(typed bool, err error) (byte, []byte, error) {
		return 0, nil, &decodeError{Name: name, Message: r.num, Offset: start, Type: r.hdr[0], HasType: typed, Err: err}
	}
	n, err := io.ReadFull(r.br, r.hdr[:])
	r.off += int64(n)
	switch {
	case err == io.EOF:
		return 0, nil, io.EOF
	case err == io.ErrUnexpectedEOF:
		return fail(false, fmt.Errorf("truncated backend message header, %d of 5 bytes: %w", n, capture.ErrTruncated))
	case err != nil:
		return fail(n > 0, err)
	}
	typ := r.hdr[0]
	length := int64(binary.BigEndian.Uint32(r.hdr[1:]))
	if length < 4 {
		return fail(true, fmt.Errorf("length %d, below the 4 of the length itself", length))
	}
	if length-4 > maxMessage {
		return fail(true, fmt.Errorf("length %d: %w (%d bytes)", length, capture.ErrTooLarge, maxMessage))
	}
	body, err := r.readBody(int(length - 4))
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fail(true, fmt.Errorf("length %d does not fit the %d bytes left: %w", length, 4+len(body), capture.ErrTruncated))
	}
	if err != nil {
		return fail(true, err)
	}
	return typ, body, nil
}

// readBody reads n bytes into r.buf, growing it only as bytes arrive (at
// most doubling), so a hostile length allocates nothing up front.
func (r *wireReader) readBody(n int) ([]byte, error) {
	b, err := growread.ReadN(r.br, r.buf, n)
	r.buf, r.off = b, r.off+int64(len(b))
	return b, err
}
