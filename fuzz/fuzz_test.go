package fuzz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

var equateEmpty = cmpopts.EquateEmpty()

// options picks decoder options from two fuzzer bytes.
func options(version, streaming uint8) codec.Options {
	return codec.Options{ProtoVersion: int(version % 5), Streaming: codec.Streaming(streaming % 4)}
}

// checkError asserts what every decoding failure must be.
func checkError(t *testing.T, err error, in []byte) {
	t.Helper()
	if errors.Is(err, codec.ErrEmpty) != (len(in) == 0) {
		t.Fatalf("%d bytes: %v", len(in), err)
	}
	var de *codec.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %T is not a *codec.DecodeError: %v", err, err)
	}
	if de.Offset < 0 || de.Offset > len(in) {
		t.Fatalf("offset %d outside the %d-byte input: %v", de.Offset, len(in), err)
	}
	if de.Err == nil || de.Error() == "" {
		t.Fatalf("error without a cause: %#v", de)
	}
}

// FuzzDecode feeds one pgoutput message to a decoder in either stream state
// with any options: it never panics, errors are well formed, and what
// decodes re-encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	for _, m := range seedMessages() {
		f.Add(codec.AppendMessage(nil, m), inStream(m), uint8(0), uint8(0))
	}
	captured, _ := capturedSeeds(f)
	for _, m := range captured {
		f.Add(m.data, m.inStream, seedVersion(m.opts), seedStreaming(m.opts))
	}
	f.Fuzz(func(t *testing.T, in []byte, open bool, version, streaming uint8) {
		opts := options(version, streaming)
		d := codec.NewDecoder(opts)
		d.SetInStream(open)
		m, err := d.Decode(in)
		// The stateless Messages applies the same rules.
		var ms codec.Messages
		m2, err2 := ms.Decode(in, opts, open)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("Decoder: %v; Messages: %v", err, err2)
		}
		if err == nil {
			if diff := cmp.Diff(m, m2, equateEmpty); diff != "" {
				t.Fatalf("Decoder and Messages differ:\n%s", diff)
			}
		}
		if err != nil {
			checkError(t, err, in)
			if m != nil {
				t.Fatalf("message and error both returned")
			}
			if d.InStream() != open {
				t.Fatalf("a failed decode changed the stream state")
			}
			return
		}
		if out := codec.AppendMessage(nil, m); !bytes.Equal(out, in) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", in, out)
		}
	})
}

// FuzzRoundTrip: whatever decodes must re-encode to bytes that decode to
// the same value, and a clone must equal the original.
func FuzzRoundTrip(f *testing.F) {
	for _, m := range seedMessages() {
		f.Add(codec.AppendMessage(nil, m), inStream(m))
	}
	captured, _ := capturedSeeds(f)
	for _, m := range captured {
		f.Add(m.data, m.inStream)
	}
	f.Fuzz(func(t *testing.T, in []byte, open bool) {
		d := codec.NewDecoder(codec.Options{})
		d.SetInStream(open)
		m, err := d.Decode(in)
		if err != nil {
			return
		}
		kept := codec.Clone(m)
		if diff := cmp.Diff(m, kept, equateEmpty); diff != "" {
			t.Fatalf("clone differs:\n%s", diff)
		}
		out := codec.AppendMessage(nil, m)
		d2 := codec.NewDecoder(codec.Options{})
		d2.SetInStream(open)
		m2, err := d2.Decode(out)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v\n in %x\nout %x", err, in, out)
		}
		if diff := cmp.Diff(kept, m2, equateEmpty); diff != "" {
			t.Fatalf("round trip changed the value:\n%s", diff)
		}
	})
}

// FuzzStream runs a sequence of messages through one stateful decoder, as a
// session would: the input is split into frames by a 2-byte length prefix.
func FuzzStream(f *testing.F) {
	var all []byte
	for _, m := range seedMessages() {
		b := codec.AppendMessage(nil, m)
		all = binary.BigEndian.AppendUint16(all, uint16(len(b)))
		all = append(all, b...)
	}
	f.Add(all, uint8(4), uint8(0))
	_, streams := capturedSeeds(f)
	for _, s := range streams {
		f.Add(s, uint8(0), uint8(0))
	}
	f.Fuzz(func(t *testing.T, in []byte, version, streaming uint8) {
		d := codec.NewDecoder(options(version, streaming))
		var rels codec.RelationCache
		for len(in) >= 2 {
			n := int(binary.BigEndian.Uint16(in))
			in = in[2:]
			if n > len(in) {
				n = len(in)
			}
			frame := in[:n]
			in = in[n:]
			before := d.InStream()
			m, err := d.Decode(frame)
			if err != nil {
				checkError(t, err, frame)
				if d.InStream() != before {
					t.Fatalf("a failed decode changed the stream state")
				}
				continue
			}
			rels.Apply(m)
			if _, err := rels.Resolve(m); err != nil &&
				!errors.Is(err, codec.ErrUnknownRelation) && !errors.Is(err, codec.ErrColumnCount) && !errors.Is(err, codec.ErrUnexpected) {
				t.Fatalf("Resolve: unexpected error %v", err)
			}
			switch m.(type) {
			case *codec.StreamStart:
				if !d.InStream() {
					t.Fatalf("Stream Start did not open a block")
				}
			case *codec.StreamStop:
				if d.InStream() {
					t.Fatalf("Stream Stop did not close the block")
				}
			}
		}
	})
}

// FuzzServerCopyData and FuzzClientCopyData cover the framing layer.
func FuzzServerCopyData(f *testing.F) {
	for _, b := range seedCopyData() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var d codec.Decoder
		m, err := d.DecodeServerCopyData(in)
		if err != nil {
			checkError(t, err, in)
			return
		}
		if out := codec.AppendReplicationMessage(nil, m); !bytes.Equal(out, in) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", in, out)
		}
		if diff := cmp.Diff(m, codec.CloneReplicationMessage(m), equateEmpty); diff != "" {
			t.Fatalf("clone differs:\n%s", diff)
		}
		if x, ok := m.(*codec.XLogData); ok {
			// Logical sessions decode the payload next.
			if _, err := d.Decode(x.Data); err != nil {
				checkError(t, err, x.Data)
			}
		}
	})
}

func FuzzClientCopyData(f *testing.F) {
	for _, b := range seedCopyData() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var d codec.Decoder
		m, err := d.DecodeClientCopyData(in)
		if err != nil {
			checkError(t, err, in)
			return
		}
		if out := codec.AppendReplicationMessage(nil, m); !bytes.Equal(out, in) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", in, out)
		}
	})
}

// lsnSyntax is pg_lsn's input syntax, as an independent oracle for Parse.
var lsnSyntax = regexp.MustCompile(`^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$`)

// FuzzLSN: Parse accepts exactly pg_lsn's syntax, never panics, and what it
// parses prints back (both forms) to the same value.
func FuzzLSN(f *testing.F) {
	for _, s := range []string{
		"0/0", "FFFFFFFF/FFFFFFFF", "16/B374D848", "0/0000ABCD", "16/b374d848",
		"", "/", "1/", "/1", "1//1", " 1/1", "1/1 ", "+1/1", "0x1/1",
		"123456789/1", "1/123456789", "g/1", "1/1/1", "١/1", "1/1\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := lsn.Parse(s)
		if match := lsnSyntax.MatchString(s); match != (err == nil) {
			t.Fatalf("Parse(%q) = %v, %v; syntax match = %v", s, l, err, match)
		}
		if err != nil {
			if !errors.Is(err, lsn.ErrSyntax) || l != 0 {
				t.Fatalf("Parse(%q) = %v, %v; want 0 and an ErrSyntax error", s, l, err)
			}
			return
		}
		for _, text := range []string{l.String(), l.Padded()} {
			if back, err := lsn.Parse(text); err != nil || back != l {
				t.Fatalf("Parse(%q) = %v; its text %q parses to %v, %v", s, l, text, back, err)
			}
		}
	})
}
