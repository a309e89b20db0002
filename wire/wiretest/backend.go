package wiretest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Backend messages: each append function adds one complete message to dst.

// begin starts a message of type typ and returns where its length goes.
func begin(dst []byte, typ byte) ([]byte, int) {
	dst = append(dst, typ)
	return append(dst, 0, 0, 0, 0), len(dst)
}

// end fills in the length of the message begun at at.
func end(dst []byte, at int) []byte {
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at))
	return dst
}

func appendCString(dst []byte, s string) []byte { return append(append(dst, s...), 0) }

func appendAuthOK(dst []byte) []byte {
	dst, at := begin(dst, 'R')
	return end(binary.BigEndian.AppendUint32(dst, 0), at)
}

func appendParameterStatus(dst []byte, name, value string) []byte {
	dst, at := begin(dst, 'S')
	return end(appendCString(appendCString(dst, name), value), at)
}

func appendBackendKeyData(dst []byte, pid, key uint32) []byte {
	dst, at := begin(dst, 'K')
	dst = binary.BigEndian.AppendUint32(dst, pid)
	return end(binary.BigEndian.AppendUint32(dst, key), at)
}

// appendNegotiateProtocol says the server speaks minor version 0 and none
// of the requested protocol options.
func appendNegotiateProtocol(dst []byte) []byte {
	dst, at := begin(dst, 'v')
	dst = binary.BigEndian.AppendUint32(dst, 0)
	return end(binary.BigEndian.AppendUint32(dst, 0), at)
}

func appendReadyForQuery(dst []byte) []byte {
	dst, at := begin(dst, 'Z')
	return end(append(dst, 'I'), at)
}

func appendCommandComplete(dst []byte, tag string) []byte {
	dst, at := begin(dst, 'C')
	return end(appendCString(dst, tag), at)
}

// appendResult appends a result set of text columns: RowDescription,
// DataRows, CommandComplete (not ReadyForQuery).
func appendResult(dst []byte, r *Result) []byte {
	if len(r.Columns) > 0 {
		var at int
		dst, at = begin(dst, 'T')
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(r.Columns)))
		for _, c := range r.Columns {
			dst = appendCString(dst, c)
			dst = binary.BigEndian.AppendUint32(dst, 0)  // table OID
			dst = binary.BigEndian.AppendUint16(dst, 0)  // column number
			dst = binary.BigEndian.AppendUint32(dst, 25) // text
			dst = binary.BigEndian.AppendUint16(dst, 0xffff)
			dst = binary.BigEndian.AppendUint32(dst, 0xffffffff)
			dst = binary.BigEndian.AppendUint16(dst, 0) // text format
		}
		dst = end(dst, at)
		for _, row := range r.Rows {
			var at int
			dst, at = begin(dst, 'D')
			dst = binary.BigEndian.AppendUint16(dst, uint16(len(row)))
			for _, v := range row {
				dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
				dst = append(dst, v...)
			}
			dst = end(dst, at)
		}
	}
	tag := r.Tag
	if tag == "" {
		tag = "SELECT " + strconv.Itoa(len(r.Rows))
	}
	return appendCommandComplete(dst, tag)
}

// appendErrorResponse appends an ErrorResponse with severity, SQLSTATE and
// message fields.
func appendErrorResponse(dst []byte, e *Error) []byte {
	dst, at := begin(dst, 'E')
	sev := e.Severity
	if sev == "" {
		sev = "ERROR"
	}
	for _, f := range []struct {
		code byte
		v    string
	}{{'S', sev}, {'V', sev}, {'C', e.Code}, {'M', e.Message}} {
		dst = appendCString(append(dst, f.code), f.v)
	}
	return end(append(dst, 0), at)
}

// appendCopyBothResponse: overall text format, no columns (what a
// walsender sends).
func appendCopyBothResponse(dst []byte) []byte {
	dst, at := begin(dst, 'W')
	return end(append(dst, 0, 0, 0), at)
}

func appendCopyData(dst []byte, payload []byte) []byte {
	dst, at := begin(dst, 'd')
	return end(append(dst, payload...), at)
}

func appendCopyDone(dst []byte) []byte {
	dst, at := begin(dst, 'c')
	return end(dst, at)
}

// Startup-phase request codes (no type byte).
const (
	sslRequestCode    = 80877103
	gssEncRequestCode = 80877104
	cancelRequestCode = 80877102
)

// maxClientMessage bounds a frontend message: a replication client sends
// queries and 34-byte status updates.
const maxClientMessage = 1 << 20

var errClientMessage = errors.New("wiretest: bad frontend message")

// frontendReader reads frontend messages into one reused buffer.
type frontendReader struct {
	r   io.Reader
	hdr [5]byte
	buf []byte
}

// next returns a message's type and body, valid until the next call.
func (f *frontendReader) next() (byte, []byte, error) {
	if _, err := io.ReadFull(f.r, f.hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(f.hdr[1:]))
	if n < 4 || n-4 > maxClientMessage {
		return 0, nil, fmt.Errorf("%w: message %q with length %d", errClientMessage, f.hdr[0], n)
	}
	if cap(f.buf) < n-4 {
		f.buf = make([]byte, n-4)
	}
	f.buf = f.buf[:n-4]
	if _, err := io.ReadFull(f.r, f.buf); err != nil {
		return 0, nil, err
	}
	return f.hdr[0], f.buf, nil
}
