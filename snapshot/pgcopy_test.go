package snapshot

import (
	"encoding/binary"
	"errors"
	"testing"
	"unsafe"

	"github.com/pgwal/pgwal/codec"
)

// pgcopyHeader is the header PostgreSQL writes: signature, flags 0, no
// extension.
func pgcopyHeader() []byte {
	return append([]byte(binarySignature), 0, 0, 0, 0, 0, 0, 0, 0)
}

// pgcopyTuple encodes fields; nil is NULL.
func pgcopyTuple(fields ...[]byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(fields)))
	for _, f := range fields {
		if f == nil {
			b = binary.BigEndian.AppendUint32(b, 0xffffffff)
			continue
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

var pgcopyTrailer = []byte{0xff, 0xff}

func TestBinaryReader(t *testing.T) {
	// As the server sends it: the header in front of the first row, the
	// trailer alone.
	msgs := [][]byte{
		append(pgcopyHeader(), pgcopyTuple([]byte{0, 0, 0, 1}, nil, []byte{})...),
		pgcopyTuple([]byte{0, 0, 0, 2}, []byte("x"), nil),
		pgcopyTrailer,
	}
	r := BinaryReader{Columns: 3}
	var got []string
	for _, m := range msgs {
		if err := r.Feed(m, func(tu codec.Tuple) error {
			s := ""
			for _, c := range tu {
				s += string(c.Kind) + ":" + string(c.Data) + ","
			}
			got = append(got, s)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.End(); err != nil {
		t.Fatal(err)
	}
	want := []string{"b:\x00\x00\x00\x01,n:,b:,", "b:\x00\x00\x00\x02,b:x,n:,"}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] || r.Rows() != 2 {
		t.Fatalf("got %q", got)
	}

	// An empty table: header and trailer in one message.
	var e BinaryReader
	if err := e.Feed(append(pgcopyHeader(), pgcopyTrailer...), func(codec.Tuple) error { t.Fatal("a row"); return nil }); err != nil || e.End() != nil {
		t.Fatalf("empty: %v %v", err, e.End())
	}
}

func TestBinaryReaderErrors(t *testing.T) {
	ext := append([]byte(binarySignature), 0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c')
	cases := map[string][][]byte{
		"signature":        {[]byte("PGCOPY\n\xff\r\n\x01\x00\x00\x00\x00\x00\x00\x00\x00")},
		"short header":     {[]byte(binarySignature)},
		"oids flag":        {append([]byte(binarySignature), 0, 1, 0, 0, 0, 0, 0, 0)},
		"critical flag":    {append([]byte(binarySignature), 0x80, 0, 0, 0, 0, 0, 0, 0)},
		"extension long":   {append([]byte(binarySignature), 0, 0, 0, 0, 0, 0, 0, 9, 1)},
		"field count":      {append(pgcopyHeader(), pgcopyTuple([]byte("a"))...)},
		"negative count":   {append(pgcopyHeader(), 0xff, 0xfe)},
		"cut field":        {append(pgcopyHeader(), 0, 2, 0, 0, 0, 1, 'a', 0, 0)},
		"length too long":  {append(pgcopyHeader(), 0, 2, 0, 0, 0, 9, 'a', 0, 0, 0, 0)},
		"negative length":  {append(pgcopyHeader(), 0, 2, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0)},
		"after trailer":    {append(pgcopyHeader(), 0xff, 0xff, 0)},
		"row after end":    {append(pgcopyHeader(), pgcopyTrailer...), pgcopyTuple(nil, nil)},
		"half field count": {append(pgcopyHeader(), 0)},
		"no trailer":       {append(ext, pgcopyTuple(nil, nil)...)},
	}
	for name, msgs := range cases {
		r := BinaryReader{Columns: 2}
		var err error
		for _, m := range msgs {
			if err = r.Feed(m, func(codec.Tuple) error { return nil }); err != nil {
				break
			}
		}
		if err == nil {
			err = r.End()
		}
		if !errors.Is(err, ErrBinaryCopy) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The header extension is skipped.
	r := BinaryReader{}
	if err := r.Feed(append(append(ext, pgcopyTuple(nil)...), pgcopyTrailer...), func(codec.Tuple) error { return nil }); err != nil || r.End() != nil || r.Rows() != 1 {
		t.Fatalf("extension: %v", err)
	}
}

func TestBinaryReaderReuses(t *testing.T) {
	msg := pgcopyTuple([]byte("abc"), nil, []byte("de"))
	r := BinaryReader{Columns: 3}
	r.Feed(append(pgcopyHeader(), msg...), func(codec.Tuple) error { return nil })
	allocs := testing.AllocsPerRun(100, func() {
		r.Feed(msg, func(codec.Tuple) error { return nil })
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per tuple", allocs)
	}
}

// FuzzBinaryCopy: whatever the bytes, the parser never panics, hands on
// only fields inside the input, and allocates no more than the input can
// justify (a field takes at least its 4-byte length word; its Column is
// 32 bytes).
func FuzzBinaryCopy(f *testing.F) {
	f.Add(append(pgcopyHeader(), pgcopyTuple([]byte("abc"), nil)...), pgcopyTrailer)
	f.Add(append(pgcopyHeader(), pgcopyTrailer...), []byte{})
	f.Add(pgcopyHeader(), pgcopyTuple(nil, []byte{1, 2, 3, 4, 5}, []byte{}))
	f.Add([]byte(binarySignature), []byte{0x7f, 0xff})
	f.Fuzz(func(t *testing.T, first, second []byte) {
		var r BinaryReader
		for _, m := range [][]byte{first, second} {
			before := cap(r.tuple)
			err := r.Feed(m, func(tu codec.Tuple) error {
				for _, c := range tu {
					if c.Kind != codec.ColumnNull && c.Kind != codec.ColumnBinary {
						t.Fatalf("kind %q", c.Kind)
					}
					if len(c.Data) > 0 && !within(c.Data, m) {
						t.Fatalf("a field outside the input")
					}
				}
				return nil
			})
			if grown := cap(r.tuple); grown > before && grown*4 > len(m) {
				t.Fatalf("a tuple of %d fields from %d bytes", grown, len(m))
			}
			if err != nil {
				if !errors.Is(err, ErrBinaryCopy) {
					t.Fatalf("error %v", err)
				}
				return
			}
		}
		r.End()
	})
}

// within reports whether sub lies inside b's memory.
func within(sub, b []byte) bool {
	if len(b) == 0 {
		return false
	}
	s, e := uintptr(unsafe.Pointer(&sub[0])), uintptr(unsafe.Pointer(&sub[len(sub)-1]))
	lo, hi := uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&b[len(b)-1]))
	return lo <= s && e <= hi
}
