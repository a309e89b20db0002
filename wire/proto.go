package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Backend message types used here.
const (
	msgAuthentication    = 'R'
	msgBackendKeyData    = 'K'
	msgParameterStatus   = 'S'
	msgReadyForQuery     = 'Z'
	msgErrorResponse     = 'E'
	msgNoticeResponse    = 'N'
	msgRowDescription    = 'T'
	msgDataRow           = 'D'
	msgCommandComplete   = 'C'
	msgEmptyQuery        = 'I'
	msgCopyData          = 'd'
	msgCopyDone          = 'c'
	msgCopyBothResponse  = 'W'
	msgCopyOutResponse   = 'H'
	msgCopyInResponse    = 'G'
	msgNegotiateProtocol = 'v'
	msgNotification      = 'A'
)

// DefaultMaxMessageSize bounds one backend message. PostgreSQL can send a
// CopyData of up to about 1 GB (one row with large values), so the default
// stays above that; lower it to bound memory against a hostile server.
const DefaultMaxMessageSize = 1<<30 + 64<<10

// minBuffer is the read buffer's first size; it grows only when bytes that
// have actually arrived fill it.
const minBuffer = 32 << 10

// msgReader frames backend messages from a stream into one reusable
// buffer. A message's declared length is checked against the maximum but
// never used to allocate ahead of the bytes: the buffer at most doubles
// each time received bytes fill it.
type msgReader struct {
	r          io.Reader
	buf        []byte
	start, end int // unread bytes are buf[start:end]
	max        int
	room       int // free space each read should have (batching); 0 = any
}

// next returns the next message's type and body. The body aliases the
// reader's buffer and is valid until the next call. A read error leaves the
// bytes received so far buffered, so a call after a timeout resumes.
func (m *msgReader) next() (byte, []byte, error) {
	if err := m.fill(5); err != nil {
		return 0, nil, err
	}
	typ := m.buf[m.start]
	n := int64(binary.BigEndian.Uint32(m.buf[m.start+1:]))
	if n < 4 {
		return 0, nil, fmt.Errorf("%w: message %q declares length %d", ErrProtocol, typ, n)
	}
	if n-4 > int64(m.max) {
		return 0, nil, fmt.Errorf("%w: message %q of %d bytes, limit %d", ErrMessageTooLarge, typ, n-4, m.max)
	}
	total := 1 + int(n)
	if err := m.fill(total); err != nil {
		return 0, nil, err
	}
	body := m.buf[m.start+5 : m.start+total : m.start+total]
	m.start += total
	return typ, body, nil
}

// fill makes at least n unread bytes available.
func (m *msgReader) fill(n int) error {
	for m.end-m.start < n {
		if m.start > 0 && (len(m.buf)-m.end < len(m.buf)/4 || len(m.buf)-m.end < m.room) {
			// Move the unread bytes to the front, so reads keep room to
			// take whatever has arrived.
			m.end = copy(m.buf, m.buf[m.start:m.end])
			m.start = 0
		}
		if m.end == len(m.buf) || len(m.buf)-m.end < m.room {
			// Full of bytes that really arrived: grow, at most doubling and
			// never past what this message needs.
			size := max(min(2*len(m.buf), n), minBuffer, m.end+m.room)
			nb := make([]byte, size)
			m.end = copy(nb, m.buf[:m.end])
			m.buf = nb
		}
		k, err := m.r.Read(m.buf[m.end:])
		m.end += k
		if err != nil && m.end-m.start < n {
			if err == io.EOF && m.end > m.start {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// buffered reports how many unread bytes are held.
func (m *msgReader) buffered() int { return m.end - m.start }

// Frontend message builders: each appends one complete message to dst.

// appendMessage starts a message of type typ and returns the offset of its
// length field, for finishMessage.
func appendMessage(dst []byte, typ byte) ([]byte, int) {
	dst = append(dst, typ)
	at := len(dst)
	return append(dst, 0, 0, 0, 0), at
}

func finishMessage(dst []byte, at int) []byte {
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at))
	return dst
}

func appendQuery(dst []byte, sql string) []byte {
	dst, at := appendMessage(dst, 'Q')
	dst = append(dst, sql...)
	dst = append(dst, 0)
	return finishMessage(dst, at)
}

func appendCopyDone(dst []byte) []byte {
	dst, at := appendMessage(dst, 'c')
	return finishMessage(dst, at)
}

func appendTerminate(dst []byte) []byte {
	dst, at := appendMessage(dst, 'X')
	return finishMessage(dst, at)
}

func appendPasswordMessage(dst []byte, password []byte) []byte {
	dst, at := appendMessage(dst, 'p')
	dst = append(dst, password...)
	dst = append(dst, 0)
	return finishMessage(dst, at)
}

func appendSASLInitial(dst []byte, mechanism string, data []byte) []byte {
	dst, at := appendMessage(dst, 'p')
	dst = append(dst, mechanism...)
	dst = append(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	dst = append(dst, data...)
	return finishMessage(dst, at)
}

func appendSASLResponse(dst []byte, data []byte) []byte {
	dst, at := appendMessage(dst, 'p')
	dst = append(dst, data...)
	return finishMessage(dst, at)
}

// Startup packets have no type byte.
const (
	protocolVersion30 = 196608
	sslRequestCode    = 80877103
)

func appendStartup(dst []byte, params [][2]string) []byte {
	at := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, protocolVersion30)
	for _, p := range params {
		dst = append(dst, p[0]...)
		dst = append(dst, 0)
		dst = append(dst, p[1]...)
		dst = append(dst, 0)
	}
	dst = append(dst, 0)
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at))
	return dst
}

func appendSSLRequest(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, 8)
	return binary.BigEndian.AppendUint32(dst, sslRequestCode)
}
