package capture

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error a Reader or Writer returns about the data
// (not the underlying io.Reader or io.Writer) is an *Error wrapping one of
// these, so callers can test the cause with errors.Is and read the
// position with errors.As.
var (
	// ErrNotCapture: the input does not start with a capture magic line.
	ErrNotCapture = errors.New("not a pgwal capture file")
	// ErrVersion: a capture of a format version this package does not
	// know ("# pgwal capture v3").
	ErrVersion = errors.New("unsupported capture format version")
	// ErrHeader: a header line is malformed, or a well-known key has a
	// value it cannot have (proto_version 9).
	ErrHeader = errors.New("bad capture header")
	// ErrTruncated: the input ends inside the header or a record.
	ErrTruncated = errors.New("input ends inside a record")
	// ErrTooLarge: a record (or a header) declares more bytes than the
	// reader's limit. It is reported before anything is allocated for it.
	ErrTooLarge = errors.New("record larger than the limit")
	// ErrRecord: a record is malformed: an unknown kind, a bad length, a
	// payload that is not a server CopyData message, or a text line that
	// is not "<lsn> <xid> <hex>". The *Error's Err also wraps the cause
	// (a *codec.DecodeError for a bad payload).
	ErrRecord = errors.New("malformed record")
)

// An Error reports where reading or writing a capture failed.
type Error struct {
	// Record is the 1-based number of the record; 0 in the header.
	Record int
	// Offset is the byte offset in the file where the record (or header
	// line) starts.
	Offset int64
	// Line is the 1-based line number in a text (v1) capture or in the
	// header of a binary one; 0 for binary records.
	Line int
	// Err is the cause: one of the sentinel errors above, possibly
	// together with a more specific one (errors.Is finds both).
	Err error
}

func (e *Error) Error() string {
	where := ""
	switch {
	case e.Line > 0:
		where = fmt.Sprintf("line %d", e.Line)
	case e.Record > 0:
		where = fmt.Sprintf("record %d at byte offset %d", e.Record, e.Offset)
	default:
		where = fmt.Sprintf("byte offset %d", e.Offset)
	}
	return "capture: " + where + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// wrap joins a sentinel and a detail into one cause that errors.Is matches
// for both (when detail is an error) and that reads as "sentinel: detail".
func wrap(sentinel error, detail any) error {
	switch d := detail.(type) {
	case nil:
		return sentinel
	case error:
		return fmt.Errorf("%w: %w", sentinel, d)
	default:
		return fmt.Errorf("%w: %v", sentinel, d)
	}
}
