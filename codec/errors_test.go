package codec

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name       string
		inStream   bool
		in         []byte
		wantErr    error
		wantMsg    string
		wantField  string
		wantOffset int
	}{
		{"unknown type", false, b1('Z'), ErrUnknownType, "pgoutput message", "type", 0},
		{"Begin truncated in xid", false, cat(b1('B'), b8(1), b8(2), []byte{0, 0}), ErrTruncated, "Begin", "xid", 17},
		{"Begin trailing byte", false, cat(b1('B'), b8(1), b8(2), b4(3), b1(0)), ErrTrailingBytes, "Begin", "", 21},
		{"Commit empty body", false, b1('C'), ErrTruncated, "Commit", "flags", 1},
		{"Origin unterminated name", false, cat(b1('O'), b8(1), []byte("abc")), ErrUnterminatedString, "Origin", "name", 9},
		{"Relation column count overflow", false, cat(b1('R'), b4(1), str(""), str("t"), b1('d'), b2(1000), b1(0)), ErrCountTooLarge, "Relation", "column count", 9},
		{"Relation column name unterminated", false, cat(b1('R'), b4(1), str(""), str("t"), b1('d'), b2(2), b1(0), str("a"), b4(23), b4(0), b1(0), []byte("bbbbbbbbbbbbbbb")), ErrUnterminatedString, "Relation", "column 1 name", 23},
		{"Insert bad marker", false, cat(b1('I'), b4(1), b1('X'), b2(0)), ErrInvalidValue, "Insert", "tuple marker", 5},
		{"Insert column count overflow", false, cat(b1('I'), b4(1), b1('N'), b2(5), b1('n')), ErrCountTooLarge, "Insert", "new tuple column count", 6},
		{"Insert bad column kind", false, cat(b1('I'), b4(1), b1('N'), b2(2), b1('n'), b1('x')), ErrColumnKind, "Insert", "new tuple column 1 kind", 9},
		{"Insert negative length", false, cat(b1('I'), b4(1), b1('N'), b2(1), b1('t'), b4(0xFFFFFFFF)), ErrNegativeLength, "Insert", "new tuple column 0 length", 9},
		{"Insert length beyond input", false, cat(b1('I'), b4(1), b1('N'), b2(1), b1('t'), b4(10), []byte("abc")), ErrTruncated, "Insert", "new tuple column 0 length", 9},
		{"Insert huge length", false, cat(b1('I'), b4(1), b1('N'), b2(1), b1('b'), b4(0x7FFFFFFF)), ErrTruncated, "Insert", "new tuple column 0 length", 9},
		{"Insert truncated length", false, cat(b1('I'), b4(1), b1('N'), b2(1), b1('t'), []byte{0, 0}), ErrTruncated, "Insert", "new tuple column 0 length", 9},
		{"Insert no column count", false, cat(b1('I'), b4(1), b1('N')), ErrTruncated, "Insert", "new tuple column count", 6},
		{"Insert trailing bytes", false, cat(b1('I'), b4(1), b1('N'), b2(1), b1('n'), b1('n')), ErrTrailingBytes, "Insert", "", 9},
		{"Update old tuple without new", false, cat(b1('U'), b4(1), b1('K'), b2(1), b1('n')), ErrTruncated, "Update", "new tuple marker", 9},
		{"Update wrong second marker", false, cat(b1('U'), b4(1), b1('K'), b2(1), b1('n'), b1('K'), b2(0)), ErrInvalidValue, "Update", "new tuple marker", 9},
		{"Update old tuple bad kind", false, cat(b1('U'), b4(1), b1('O'), b2(1), b1('?'), b1('N'), b2(0)), ErrColumnKind, "Update", "old tuple column 0 kind", 8},
		{"Delete without old tuple", false, cat(b1('D'), b4(1), b1('N'), b2(0)), ErrInvalidValue, "Delete", "tuple marker", 5},
		{"Truncate count overflow", false, cat(b1('T'), b4(0xFFFFFFFF), b1(0), b4(1)), ErrCountTooLarge, "Truncate", "relation count", 1},
		{"Truncate count overflow in stream", true, cat(b1('T'), b4(xid), b4(3), b1(0), b4(1), b4(2)), ErrCountTooLarge, "Truncate", "relation count", 5},
		{"Message negative content length", false, cat(b1('M'), b1(0), b8(1), str("p"), b4(0x80000000)), ErrNegativeLength, "Message", "content length", 12},
		{"Message content beyond input", false, cat(b1('M'), b1(0), b8(1), str("p"), b4(4), []byte("ab")), ErrTruncated, "Message", "content length", 12},
		{"Stream Start bad boolean", false, cat(b1('S'), b4(1), b1(2)), ErrInvalidValue, "Stream Start", "first segment", 5},
		{"Stream Stop with body", true, cat(b1('E'), b1(0)), ErrTrailingBytes, "Stream Stop", "", 1},
		{"Insert in stream truncated xid", true, cat(b1('I'), []byte{0, 0}), ErrTruncated, "Insert", "xid", 1},
		{"Rollback Prepared truncated GID", false, cat(b1('r'), b1(0), b8(1), b8(2), b8(3), b8(4), b4(5), []byte("g")), ErrUnterminatedString, "Rollback Prepared", "GID", 38},
		{"Stream Abort odd length, auto: a cut parallel form", false, cat(b1('A'), b4(1), b4(2), b4(3)), ErrTruncated, "Stream Abort", "abort LSN", 9},
		{"Relation alone: the first field, not the first String", false, b1('R'), ErrTruncated, "Relation", "relation OID", 1},
		{"Prepare cut in xid: not the GID after it", false, cat(b1('P'), b1(0), b8(1), b8(2), b8(3), []byte{0, 0}), ErrTruncated, "Prepare", "xid", 26},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d Decoder
			d.SetInStream(tc.inStream)
			m, err := d.Decode(tc.in)
			if err == nil {
				t.Fatalf("Decode = %#v, want error", m)
			}
			if m != nil {
				t.Errorf("Decode returned a message with the error: %#v", m)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v does not match %v", err, tc.wantErr)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DecodeError", err)
			}
			if de.Message != tc.wantMsg || de.Field != tc.wantField || de.Offset != tc.wantOffset || de.Type != tc.in[0] {
				t.Errorf("got message %q field %q offset %d type %q; want %q %q %d %q",
					de.Message, de.Field, de.Offset, de.Type, tc.wantMsg, tc.wantField, tc.wantOffset, tc.in[0])
			}
			s := err.Error()
			for _, part := range []string{tc.wantMsg, tc.wantField, tc.wantErr.Error()} {
				if !strings.Contains(s, part) {
					t.Errorf("Error() = %q, missing %q", s, part)
				}
			}
		})
	}
}

// An empty payload is a *DecodeError like every other failure, matching
// ErrEmpty, in each layer and each single-message decoder.
func TestDecodeEmpty(t *testing.T) {
	var d Decoder
	decoders := []struct {
		name, wantMsg, wantField string
		decode                   func([]byte) error
	}{
		{"Decode", "pgoutput message", "type", func(b []byte) error { _, err := d.Decode(b); return err }},
		{"DecodeServerCopyData", "server CopyData message", "tag", func(b []byte) error { _, err := d.DecodeServerCopyData(b); return err }},
		{"DecodeClientCopyData", "client CopyData message", "tag", func(b []byte) error { _, err := d.DecodeClientCopyData(b); return err }},
		{"DecodeXLogData", "server CopyData message", "tag", func(b []byte) error { _, err := DecodeXLogData(b); return err }},
		{"DecodePrimaryKeepalive", "server CopyData message", "tag", func(b []byte) error { _, err := DecodePrimaryKeepalive(b); return err }},
		{"DecodePrimaryStatusUpdate", "server CopyData message", "tag", func(b []byte) error { _, err := DecodePrimaryStatusUpdate(b); return err }},
		{"DecodeStandbyStatusUpdate", "client CopyData message", "tag", func(b []byte) error { _, err := DecodeStandbyStatusUpdate(b); return err }},
		{"DecodeHotStandbyFeedback", "client CopyData message", "tag", func(b []byte) error { _, err := DecodeHotStandbyFeedback(b); return err }},
		{"DecodePrimaryStatusRequest", "client CopyData message", "tag", func(b []byte) error { _, err := DecodePrimaryStatusRequest(b); return err }},
	}
	for _, dec := range decoders {
		for _, in := range [][]byte{nil, {}} {
			err := dec.decode(in)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Errorf("%s(%v): error %T %v is not a *DecodeError", dec.name, in, err, err)
				continue
			}
			if !errors.Is(err, ErrEmpty) || errors.Is(err, ErrTruncated) {
				t.Errorf("%s(%v): %v; want ErrEmpty only", dec.name, in, err)
			}
			if de.Message != dec.wantMsg || de.Field != dec.wantField || de.Offset != 0 || de.Type != 0 {
				t.Errorf("%s(%v): message %q field %q offset %d type %d; want %q %q 0 0",
					dec.name, in, de.Message, de.Field, de.Offset, de.Type, dec.wantMsg, dec.wantField)
			}
		}
	}
}

// checkTruncated asserts that err reports a truncation: a *DecodeError
// matching ErrTruncated that names a field inside the input.
func checkTruncated(t *testing.T, what string, in []byte, err error) {
	t.Helper()
	var de *DecodeError
	switch {
	case err == nil:
		t.Errorf("%s: decoded without error", what)
	case !errors.As(err, &de):
		t.Errorf("%s: error %T is not a *DecodeError: %v", what, err, err)
	case !errors.Is(err, ErrTruncated):
		t.Errorf("%s: %v; want ErrTruncated", what, err)
	case de.Field == "" || de.Offset < 1 || de.Offset > len(in) || de.Type != in[0]:
		t.Errorf("%s: %v; want a field within the %d bytes", what, err, len(in))
	}
}

// A message type byte and nothing else is a truncated message, whatever the
// type: the error names the first field, not a later symptom.
func TestDecodeTypeByteAlone(t *testing.T) {
	for _, typ := range []MessageType{
		TypeBegin, TypeLogicalMessage, TypeCommit, TypeOrigin, TypeRelation, TypeType,
		TypeInsert, TypeUpdate, TypeDelete, TypeTruncate, TypeStreamStart, TypeStreamCommit,
		TypeStreamAbort, TypeBeginPrepare, TypePrepare, TypeCommitPrepared,
		TypeRollbackPrepared, TypeStreamPrepare,
	} { // Stream Stop is the one message that is only its type byte.
		for _, inStream := range []bool{false, true} {
			if inStream && (typ == TypeStreamStart) {
				continue // out of order there, a different error
			}
			d := NewDecoder(Options{})
			d.SetInStream(inStream)
			in := []byte{byte(typ)}
			_, err := d.Decode(in)
			checkTruncated(t, fmt.Sprintf("%v alone (in stream %v)", typ, inStream), in, err)
			var de *DecodeError
			if errors.As(err, &de) && de.Offset != 1 {
				t.Errorf("%v alone: offset %d, want 1 (the first field)", typ, de.Offset)
			}
		}
	}
}

// Every strict prefix of a valid message is a truncated message: the error
// matches ErrTruncated and names the field the input ends in. The decoder
// stays usable afterwards.
func TestDecodeEveryPrefixFails(t *testing.T) {
	for _, tc := range decodeCases() {
		for n := 1; n < len(tc.in); n++ {
			d := NewDecoder(tc.opts)
			d.SetInStream(tc.inStream)
			m, err := d.Decode(tc.in[:n])
			// In auto mode a 9-byte Stream Abort is the other valid form.
			if tc.in[0] == 'A' && n == streamAbortSize && tc.opts.Streaming == StreamingAuto {
				if err != nil {
					t.Errorf("%s: short form: %v", tc.name, err)
				}
				continue
			}
			if err == nil {
				t.Fatalf("%s: prefix of %d bytes decoded as %#v", tc.name, n, m)
			}
			checkTruncated(t, fmt.Sprintf("%s: prefix of %d bytes", tc.name, n), tc.in[:n], err)
			d.SetInStream(tc.inStream)
			if _, err := d.Decode(tc.in); err != nil {
				t.Fatalf("%s: after a failed prefix the full message fails: %v", tc.name, err)
			}
		}
	}
}
