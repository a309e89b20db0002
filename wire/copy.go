package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Frontend message types of the COPY sub-protocol that only copy.go sends.
const msgCopyFail = 'f'

// CopyFormat is the format of a COPY's data, or of one of its columns.
type CopyFormat int8

const (
	CopyText   CopyFormat = 0 // text (and CSV) COPY
	CopyBinary CopyFormat = 1 // binary COPY (FORMAT binary)
)

// CopyOutResponse is the server's announcement of a COPY TO STDOUT: the
// overall format and each column's (all equal to Format today).
type CopyOutResponse struct {
	Format        CopyFormat
	ColumnFormats []CopyFormat
}

// CopyOut runs sql, which must be one COPY … TO STDOUT, with the simple
// query protocol and hands fn each CopyData message's payload, one at a
// time: a view into the session's read buffer, valid only until fn
// returns. The server sends one message per row (a binary COPY's header
// comes in front of the first row, its trailer in a message of its own), so
// memory stays at one row: the largest message the session has read,
// bounded by Config.MaxMessageSize. It returns the row count of the
// server's CommandComplete ("COPY n").
//
// Errors leave the session usable wherever they can:
//   - an ErrorResponse, before or in the middle of the data, is a
//     *ServerError carrying the SQLSTATE, returned once the server is
//     ready again;
//   - an error from fn, or ctx ending, cancels the command as Exec does
//     (a CancelRequest, then the rest of the answer dropped) and returns
//     that error (wrapping the server's 57014 when it cancelled the
//     command);
//   - a statement that is not a COPY TO STDOUT is an error: rows of a
//     plain query are read and dropped, a COPY FROM STDIN is answered with
//     CopyFail.
//
// Only a transport failure or a protocol violation breaks the session.
func (c *Conn) CopyOut(ctx context.Context, sql string, fn func(row []byte) error) (rows int64, err error) {
	return c.CopyOutStart(ctx, sql, nil, fn)
}

// CopyOutStart is CopyOut with start called once, with the server's
// CopyOutResponse, before the first row. An error from start cancels the
// command as one from fn does.
func (c *Conn) CopyOutStart(ctx context.Context, sql string, start func(CopyOutResponse) error, fn func(row []byte) error) (rows int64, err error) {
	if err := c.acquire(); err != nil {
		return 0, err
	}
	defer c.release()
	if err := c.send(ctx, "query", AppendQuery(nil, sql)); err != nil {
		return 0, err
	}
	var (
		firstErr error // the server's, or a misuse found while reading
		copies   int   // CopyOutResponses seen
		inCopy   bool
		tagged   bool
	)
	for {
		typ, body, err := c.receive(ctx, readOpts{})
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return rows, c.abandon(err, true)
			}
			return rows, err
		}
		switch typ {
		case msgCopyOutResponse:
			var r CopyOutResponse
			if r, err = parseCopyResponse(body); err != nil {
				break
			}
			copies++
			inCopy = true
			if copies > 1 && firstErr == nil {
				firstErr = fmt.Errorf("wire: CopyOut: the query ran more than one COPY")
			}
			if start != nil && copies == 1 {
				if serr := start(r); serr != nil {
					return rows, c.abandon(serr, true)
				}
			}
		case msgCopyData:
			if !inCopy {
				err = fmt.Errorf("%w: CopyData outside COPY OUT", ErrProtocol)
				break
			}
			if copies == 1 {
				if ferr := fn(body); ferr != nil {
					return rows, c.abandon(ferr, true)
				}
			}
		case msgCopyDone:
			if !inCopy {
				err = fmt.Errorf("%w: CopyDone outside COPY OUT", ErrProtocol)
				break
			}
			inCopy = false
		case msgCommandComplete:
			if inCopy {
				err = fmt.Errorf("%w: CommandComplete before CopyDone", ErrProtocol)
				break
			}
			tag := string(trimNUL(body))
			if n, ok := copyTagRows(tag); ok && copies == 1 && !tagged {
				rows, tagged = n, true
			} else if firstErr == nil && !strings.HasPrefix(tag, "COPY") {
				firstErr = fmt.Errorf("wire: CopyOut: %q is not a COPY TO STDOUT", tag)
			}
		case msgRowDescription, msgDataRow, msgEmptyQuery:
			if firstErr == nil {
				firstErr = fmt.Errorf("wire: CopyOut: the query is not a COPY TO STDOUT")
			}
		case msgCopyInResponse:
			// COPY FROM STDIN: refuse it, so the server ends it with an
			// error and is ready again.
			if firstErr == nil {
				firstErr = fmt.Errorf("wire: CopyOut: the query is a COPY FROM STDIN")
			}
			err = c.send(ctx, "CopyFail", appendCopyFail(nil, "pgwal: CopyOut cannot send data"))
		case msgErrorResponse:
			inCopy = false // an error ends a COPY without CopyDone
			if se := c.serverError(body); firstErr == nil {
				firstErr = se
			}
		case msgReadyForQuery:
			if firstErr == nil && copies == 0 {
				firstErr = fmt.Errorf("wire: CopyOut: the query ran no COPY")
			}
			return rows, firstErr
		case msgCopyBothResponse:
			err = fmt.Errorf("%w: CopyOut cannot run a command that starts COPY BOTH (use StartReplication)", ErrProtocol)
		default:
			err = fmt.Errorf("%w: unexpected message %q in a COPY OUT", ErrProtocol, typ)
		}
		if err != nil {
			c.fail(err)
			return rows, err
		}
	}
}

// parseCopyResponse reads a CopyOutResponse (or CopyInResponse or
// CopyBothResponse): Int8 format, Int16 column count, Int16 per column.
func parseCopyResponse(b []byte) (CopyOutResponse, error) {
	if len(b) < 3 {
		return CopyOutResponse{}, fmt.Errorf("%w: CopyOutResponse of %d bytes", ErrProtocol, len(b))
	}
	r := CopyOutResponse{Format: CopyFormat(b[0])}
	n := int(binary.BigEndian.Uint16(b[1:]))
	if len(b) != 3+2*n || r.Format > CopyBinary || r.Format < CopyText {
		return CopyOutResponse{}, fmt.Errorf("%w: CopyOutResponse format %d, %d columns in %d bytes", ErrProtocol, b[0], n, len(b))
	}
	r.ColumnFormats = make([]CopyFormat, n)
	for i := range r.ColumnFormats {
		f := binary.BigEndian.Uint16(b[3+2*i:])
		if f > 1 {
			return CopyOutResponse{}, fmt.Errorf("%w: CopyOutResponse column format %d", ErrProtocol, f)
		}
		r.ColumnFormats[i] = CopyFormat(f)
	}
	return r, nil
}

// copyTagRows reads a CommandComplete tag "COPY n".
func copyTagRows(tag string) (int64, bool) {
	s, ok := strings.CutPrefix(tag, "COPY ")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// appendCopyFail appends a CopyFail message with reason.
func appendCopyFail(dst []byte, reason string) []byte {
	dst = append(dst, msgCopyFail, 0, 0, 0, 0)
	start := len(dst) - 4
	dst = append(dst, strings.ReplaceAll(reason, "\x00", "")...)
	dst = append(dst, 0)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}
