package main

import "fmt"

// A decodeError says which input, and where in it, pgwal decode stopped.
// Err is the cause: a *capture.Error, a *codec.DecodeError, an
// encoding/hex error, or one wrapping capture.ErrTruncated or
// capture.ErrTooLarge for a hex or wire input cut short or too large.
type decodeError struct {
	Name    string // the file; "-" for standard input
	Line    int    // 1-based line of a hex input or a v1 capture
	Record  int    // 1-based record of a v2 capture
	Message int    // 1-based backend message of a wire input
	Offset  int64  // byte offset of the record (v2) or message (wire)
	Type    byte   // wire: the message's type byte, when HasType
	HasType bool   // false when the input ends before the type byte
	Err     error
}

func (e *decodeError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.Name, e.Line, e.Err)
	case e.Record > 0:
		return fmt.Sprintf("%s: record %d at byte offset %d: %v", e.Name, e.Record, e.Offset, e.Err)
	case e.Message > 0 && e.HasType:
		return fmt.Sprintf("%s: byte offset %d (message %d, type %q): %v", e.Name, e.Offset, e.Message, e.Type, e.Err)
	case e.Message > 0:
		return fmt.Sprintf("%s: byte offset %d (message %d): %v", e.Name, e.Offset, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Name, e.Err)
}

func (e *decodeError) Unwrap() error { return e.Err }
