package codec

import (
	"errors"
	"strconv"
)

// Sentinel errors. A decoding failure is always a *DecodeError whose Err is
// one of these, so callers can test the cause with errors.Is and read the
// message, field and offset with errors.As.
var (
	// ErrTruncated: the input ends inside the field. pgoutput and CopyData
	// messages are delimited by their frame, so any input that stops short
	// of a complete message matches it, including the two more precise
	// forms ErrCountTooLarge and ErrUnterminatedString.
	ErrTruncated = errors.New("input ends inside the field")
	// ErrTrailingBytes: bytes are left over after the last field. pgoutput
	// and CopyData messages are delimited by their frame, so this means the
	// frame and the message disagree.
	ErrTrailingBytes = errors.New("bytes left over after the message")
	// ErrUnknownType: the first byte names no message this layer defines.
	ErrUnknownType = errors.New("unknown message type")
	// ErrColumnKind: a tuple column kind other than 'n', 'u', 't' or 'b'.
	ErrColumnKind = errors.New("unknown tuple column kind")
	// ErrNegativeLength: a signed length field is below zero.
	ErrNegativeLength = errors.New("negative length")
	// ErrCountTooLarge: a count promises more items than the remaining
	// bytes could possibly hold. It is reported before anything is
	// allocated for the items. The input ends before the items it counts,
	// so the error matches ErrTruncated too; test ErrCountTooLarge first to
	// tell a hostile count from a short frame.
	ErrCountTooLarge error = &truncation{"count larger than the remaining input can hold"}
	// ErrUnterminatedString: a String field runs to the end of the input
	// without its NUL. It matches ErrTruncated too.
	ErrUnterminatedString error = &truncation{"string has no terminating NUL"}
	// ErrInvalidValue: a field holds a value its definition rules out, such
	// as a boolean byte other than 0 or 1 or an unknown tuple marker.
	ErrInvalidValue = errors.New("invalid value")
	// ErrUnexpected: the message is well formed but cannot occur in the
	// decoder's state: a type the negotiated protocol version does not have,
	// or a stream control message out of order.
	ErrUnexpected = errors.New("message not valid here")
	// ErrEmpty: the payload is empty, not even a type byte. PostgreSQL 10
	// to 14 can send an XLogData with no pgoutput message after a Begin
	// whose origin could not be looked up; a consumer skips such payloads.
	// Like every other cause it arrives inside a *DecodeError (offset 0,
	// Type 0).
	ErrEmpty = errors.New("empty message")
)

// truncation is a sentinel that says more precisely how the input ends
// early; errors.Is also matches it to ErrTruncated.
type truncation struct{ msg string }

func (e *truncation) Error() string        { return e.msg }
func (e *truncation) Is(target error) bool { return target == ErrTruncated }

// A DecodeError reports where decoding failed: which message, which field,
// at which byte offset, and why (Err, one of the sentinel errors above).
type DecodeError struct {
	// Message names the message being decoded, e.g. "Insert" or
	// "XLogData"; "pgoutput" or "CopyData" when the type byte itself was the
	// problem.
	Message string
	// Type is the message's type byte (0 for an empty input).
	Type byte
	// Field names the field, e.g. "relation OID" or "new tuple column 3 length".
	Field string
	// Offset is the byte offset of the field from the start of the message
	// (the type byte is at offset 0).
	Offset int
	// Err is the cause.
	Err error
}

func (e *DecodeError) Error() string {
	b := make([]byte, 0, 96)
	b = append(b, "codec: "...)
	b = append(b, e.Message...)
	if e.Type != 0 {
		b = append(b, " ("...)
		b = strconv.AppendQuoteRune(b, rune(e.Type))
		b = append(b, ')')
	}
	b = append(b, ": "...)
	if e.Field != "" {
		b = append(b, e.Field...)
		b = append(b, ' ')
	}
	b = append(b, "at offset "...)
	b = strconv.AppendInt(b, int64(e.Offset), 10)
	b = append(b, ": "...)
	if e.Err != nil {
		b = append(b, e.Err.Error()...)
	}
	return string(b)
}

// Unwrap returns the cause, so errors.Is(err, ErrTruncated) works.
func (e *DecodeError) Unwrap() error { return e.Err }

// emptyInput is the error for a payload without even a type byte. The
// field is the one the type byte would have been.
func emptyInput(l layer) error {
	field := "tag"
	if l == layerPgoutput {
		field = "type"
	}
	return &DecodeError{Message: messageName(l, 0), Field: field, Err: ErrEmpty}
}
