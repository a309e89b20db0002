package codec

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// single decodes b with the decoder of one message type, into a new value
// of typ: the Decode… functions a driver uses without a Decoder.
func single(typ MessageType, b []byte, opts Options, inStream bool) (Message, error) {
	switch typ {
	case TypeBegin:
		m := new(Begin)
		return m, DecodeBegin(m, b)
	case TypeLogicalMessage:
		m := new(LogicalMessage)
		return m, DecodeLogicalMessage(m, b, inStream)
	case TypeCommit:
		m := new(Commit)
		return m, DecodeCommit(m, b)
	case TypeOrigin:
		m := new(Origin)
		return m, DecodeOrigin(m, b)
	case TypeRelation:
		m := new(Relation)
		return m, DecodeRelation(m, b, inStream)
	case TypeType:
		m := new(Type)
		return m, DecodeType(m, b, inStream)
	case TypeInsert:
		m := new(Insert)
		return m, DecodeInsert(m, b, inStream)
	case TypeUpdate:
		m := new(Update)
		return m, DecodeUpdate(m, b, inStream)
	case TypeDelete:
		m := new(Delete)
		return m, DecodeDelete(m, b, inStream)
	case TypeTruncate:
		m := new(Truncate)
		return m, DecodeTruncate(m, b, inStream)
	case TypeStreamStart:
		m := new(StreamStart)
		return m, DecodeStreamStart(m, b)
	case TypeStreamStop:
		m := new(StreamStop)
		return m, DecodeStreamStop(m, b)
	case TypeStreamCommit:
		m := new(StreamCommit)
		return m, DecodeStreamCommit(m, b)
	case TypeStreamAbort:
		m := new(StreamAbort)
		return m, DecodeStreamAbort(m, b, opts.parallelAbort(len(b)))
	case TypeBeginPrepare:
		m := new(BeginPrepare)
		return m, DecodeBeginPrepare(m, b)
	case TypePrepare:
		m := new(Prepare)
		return m, DecodePrepare(m, b)
	case TypeCommitPrepared:
		m := new(CommitPrepared)
		return m, DecodeCommitPrepared(m, b)
	case TypeRollbackPrepared:
		m := new(RollbackPrepared)
		return m, DecodeRollbackPrepared(m, b)
	case TypeStreamPrepare:
		m := new(StreamPrepare)
		return m, DecodeStreamPrepare(m, b)
	}
	panic("no single-type decoder for " + typ.String())
}

// Messages decodes like a Decoder that was told the stream state, and
// keeps none: the same bytes decode the same way however often, in
// whatever order.
func TestMessagesDecode(t *testing.T) {
	var ms Messages
	for _, tc := range decodeCases() {
		for i := 0; i < 2; i++ {
			got, err := ms.Decode(tc.in, tc.opts, tc.inStream)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if diff := cmp.Diff(tc.want, got, cmpOpts...); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
		}
	}
	// The order rules hold for the state the caller states.
	start, stop := cat(b1('S'), b4(xid), b1(1)), b1('E')
	for _, tc := range []struct {
		in       []byte
		inStream bool
		wantErr  error
	}{
		{start, false, nil},
		{start, true, ErrUnexpected},
		{stop, true, nil},
		{stop, false, ErrUnexpected},
	} {
		_, err := ms.Decode(tc.in, Options{}, tc.inStream)
		if (err == nil) != (tc.wantErr == nil) || (err != nil && !errors.Is(err, tc.wantErr)) {
			t.Errorf("%q in stream %v: %v, want %v", tc.in[0], tc.inStream, err, tc.wantErr)
		}
	}
	// So do the option rules.
	if _, err := ms.Decode(start, Options{Streaming: StreamingOff}, false); !errors.Is(err, ErrUnexpected) {
		t.Errorf("Stream Start with streaming off: %v", err)
	}
	if _, err := ms.Decode(cat(b1('b'), b8(1), b8(2), b8(3), b4(xid), str("g")), Options{ProtoVersion: 2}, false); !errors.Is(err, ErrUnexpected) {
		t.Errorf("Begin Prepare with protocol 2: %v", err)
	}
}

// The decoder of one message type gives what Decode gives, and rejects the
// payload of any other type.
func TestSingleTypeDecoders(t *testing.T) {
	for _, tc := range decodeCases() {
		typ := MessageType(tc.in[0])
		got, err := single(typ, tc.in, tc.opts, tc.inStream)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, got, cmpOpts...); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
		// Every fault is reported as Decode reports it.
		for n := 1; n < len(tc.in); n++ {
			_, want := NewDecoder(tc.opts).msgs.Decode(tc.in[:n], tc.opts, tc.inStream)
			if _, err := single(typ, tc.in[:n], tc.opts, tc.inStream); !sameError(err, want) {
				t.Errorf("%s, %d bytes: %v; Decode says %v", tc.name, n, err, want)
			}
		}
	}
	for i := range kinds {
		k := &kinds[i]
		other := cat(b1('B'), b8(1), b8(2), b4(3))
		if k.typ == TypeBegin {
			other = cat(b1('C'), b1(0), b8(1), b8(2), b8(3))
		}
		var de *DecodeError
		_, err := single(k.typ, other, Options{}, false)
		if !errors.Is(err, ErrUnknownType) || !errors.As(err, &de) || de.Field != "type" || de.Offset != 0 || de.Type != other[0] {
			t.Errorf("%v decoder given a %q: %v; want ErrUnknownType at the type", k.typ, other[0], err)
		}
		if _, err := single(k.typ, nil, Options{}, false); !errors.Is(err, ErrEmpty) || !errors.As(err, &de) {
			t.Errorf("%v decoder given nothing: %v; want ErrEmpty", k.typ, err)
		}
	}
}

func sameError(a, b error) bool {
	var da, db *DecodeError
	if !errors.As(a, &da) || !errors.As(b, &db) {
		return a == b
	}
	return *da == *db
}

// Decoding into the same value again allocates nothing: its slices'
// capacity is reused.
func TestSingleTypeDecodersReuse(t *testing.T) {
	ins := cat(b1('I'), b4(16390), b1('N'), b2(3), text("42"), b1('n'), text("abc"))
	upd := cat(b1('U'), b4(16390), b1('K'), b2(2), text("1"), b1('n'), b1('N'), b2(2), text("2"), text("v"))
	del := cat(b1('D'), b4(16390), b1('K'), b2(2), text("9"), b1('n'))
	rel := cat(b1('R'), b4(16390), str("public"), str("items"), b1('d'), b2(1), b1(1), str("id"), b4(23), b4(0xFFFFFFFF))
	trunc := cat(b1('T'), b4(2), b1(0), b4(16390), b4(16395))
	var (
		i  Insert
		u  Update
		d  Delete
		r  Relation
		tr Truncate
	)
	for name, run := range map[string]func() error{
		"Insert":   func() error { return DecodeInsert(&i, ins, false) },
		"Update":   func() error { return DecodeUpdate(&u, upd, false) },
		"Delete":   func() error { return DecodeDelete(&d, del, false) },
		"Relation": func() error { return DecodeRelation(&r, rel, false) },
		"Truncate": func() error { return DecodeTruncate(&tr, trunc, false) },
	} {
		if err := run(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := testing.AllocsPerRun(100, func() { _ = run() }); n != 0 {
			t.Errorf("%s: %v allocations decoding into the same value", name, n)
		}
	}
}
