package value

import (
	"testing"

	"github.com/pgwal/pgwal/codec"
)

// The container fuzz targets: no input panics, every input the readers
// accept renders and reads back consistently, and output stays within a
// constant factor of the input (nothing is sized from a declared count).

// maxGrowth bounds rendered text by the bytes that justify it: an element
// costs at least 4 bytes of input (a NULL's length) and at most about 15
// bytes of output (NULL and closing and opening braces), a quoted text
// element at most twice itself plus 3.
func maxGrowth(in []byte) int { return 4*len(in) + 64 }

func containerSeeds(f *testing.F, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
}

func FuzzArrayBinaryToText(f *testing.F) {
	for _, c := range arrayCases {
		b, _ := AppendArrayBinary(nil, c.elem, c.dims, c.elems)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, oid := range []uint32{1007, 1009, 3905, 2287} {
			out, err := AppendText(nil, oid, -1, in)
			if len(out) > maxGrowth(in) {
				t.Fatalf("%d: %d bytes of text from %d", oid, len(out), len(in))
			}
			a, aerr := DecodeArray(oid, codec.ColumnBinary, in, nil)
			if aerr != nil {
				continue
			}
			elems := a.Slice(nil)
			if err != nil {
				continue // an element the element type rejects
			}
			// The text reads back to the same elements.
			at, err := DecodeArray(oid, codec.ColumnText, out, nil)
			if err != nil {
				t.Fatalf("%d: rendered %q does not read back: %v", oid, out, err)
			}
			for _, e := range elems {
				g, _ := at.Next()
				if elemString(t, a.Elem(), e) != elemString(t, at.Elem(), g) {
					t.Fatalf("%d: %q: element differs", oid, out)
				}
			}
		}
	})
}

func FuzzArrayText(f *testing.F) {
	containerSeeds(f, []byte(`{1,2,NULL}`), []byte(`[0:1]={{"a\"b",c},{"",NULL}}`), []byte(`{}`), []byte(` { a b , "c" } `))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := DecodeArray(1009, codec.ColumnText, in, make([]byte, 0, len(in)))
		if err != nil {
			return
		}
		elems := a.Slice(nil)
		if len(elems) != a.Len() {
			t.Fatalf("%q: %d elements, Len %d", in, len(elems), a.Len())
		}
		// Printing the elements again and reading that gives them back.
		out, err := AppendArrayText(nil, 25, a.Dims(), elems)
		if err != nil {
			t.Fatal(err)
		}
		b, err := DecodeArray(1009, codec.ColumnText, out, nil)
		if err != nil {
			t.Fatalf("%q printed as %q: %v", in, out, err)
		}
		for _, e := range elems {
			g, _ := b.Next()
			if e.Kind != g.Kind || string(e.Data) != string(g.Data) {
				t.Fatalf("%q printed as %q: element %q became %q", in, out, e.Data, g.Data)
			}
		}
	})
}

func FuzzRangeBinaryToText(f *testing.F) {
	for _, c := range rangeCases {
		f.Add(AppendRangeBinary(nil, c.r))
		f.Add(AppendMultirangeBinary(nil, []RawRange{c.r, c.r}))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, oid := range []uint32{3904, 4451} {
			out, err := AppendText(nil, oid, -1, in)
			if len(out) > maxGrowth(in) {
				t.Fatalf("%d: %d bytes of text from %d", oid, len(out), len(in))
			}
			if err != nil {
				continue
			}
			if oid == 3904 {
				r, _ := DecodeRange(oid, codec.ColumnBinary, in, nil)
				if rt, err := DecodeRange(oid, codec.ColumnText, out, nil); err != nil || rt.Flags != r.Flags {
					t.Fatalf("%q reads back as %+v, %v", out, rt, err)
				}
			} else if m, err := DecodeMultirange(oid, codec.ColumnText, out, nil); err != nil {
				t.Fatalf("%q does not read back: %v", out, err)
			} else {
				mb, _ := DecodeMultirange(oid, codec.ColumnBinary, in, nil)
				if m.Len() != mb.Len() {
					t.Fatalf("%q: %d ranges, binary %d", out, m.Len(), mb.Len())
				}
			}
		}
	})
}

func FuzzRangeText(f *testing.F) {
	containerSeeds(f, []byte(`[1,5)`), []byte(`empty`), []byte(`("a""b",\))`), []byte(`{[1,2),(,)}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		if r, err := DecodeRange(3910, codec.ColumnText, in, nil); err == nil {
			out, err := AppendRangeText(nil, 3910, r)
			if err != nil {
				t.Fatal(err)
			}
			back, err := DecodeRange(3910, codec.ColumnText, out, nil)
			if err != nil || back.Flags != r.Flags || string(back.Lower) != string(r.Lower) || string(back.Upper) != string(r.Upper) {
				t.Fatalf("%q printed as %q reads back as %+v, %v", in, out, back, err)
			}
		}
		if m, err := DecodeMultirange(4534, codec.ColumnText, in, nil); err == nil {
			n := 0
			for _, ok := m.Next(); ok; _, ok = m.Next() {
				n++
			}
			if n != m.Len() {
				t.Fatalf("%q: %d ranges, Len %d", in, n, m.Len())
			}
		}
	})
}

func FuzzRecordBinaryToText(f *testing.F) {
	f.Add(mustRecordF([]Field{{OID: 23, Column: int4b(1)}, {OID: 25, Column: textb("a b")}, {OID: 25, Column: null}}))
	f.Add(mustRecordF([]Field{{OID: 2249, Column: codec.Column{Kind: codec.ColumnBinary, Data: mustRecordF([]Field{{OID: 25, Column: textb(`"`)}})}}}))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := RecordBinaryToText(nil, in)
		if len(out) > maxGrowth(in) {
			t.Fatalf("%d bytes of text from %d", len(out), len(in))
		}
		if err != nil {
			return
		}
		rb, _ := DecodeRecord(recordOID, codec.ColumnBinary, in, nil)
		rt, err := DecodeRecord(recordOID, codec.ColumnText, out, nil)
		if err != nil {
			t.Fatalf("%q does not read back: %v", out, err)
		}
		if rb.Len() > 0 && rb.Len() != rt.Len() {
			t.Fatalf("%q: %d fields, binary %d", out, rt.Len(), rb.Len())
		}
	})
}

func FuzzRecordText(f *testing.F) {
	containerSeeds(f, []byte(`(1,"a b",)`), []byte(`()`), []byte(` (a"b,c"d,\)) `))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := DecodeRecord(recordOID, codec.ColumnText, in, make([]byte, 0, len(in)))
		if err != nil {
			return
		}
		var fields []Field
		for fl, ok := r.Next(); ok; fl, ok = r.Next() {
			fl.Data = append([]byte(nil), fl.Data...)
			fields = append(fields, fl)
		}
		out, err := AppendRecordText(nil, fields)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeRecord(recordOID, codec.ColumnText, out, nil)
		if err != nil || back.Len() != len(fields) {
			t.Fatalf("%q printed as %q: %v", in, out, err)
		}
		for _, w := range fields {
			g, _ := back.Next()
			if g.Kind != w.Kind || string(g.Data) != string(w.Data) {
				t.Fatalf("%q printed as %q: field %q became %q", in, out, w.Data, g.Data)
			}
		}
	})
}

func mustRecordF(fields []Field) []byte {
	b, _ := AppendRecordBinary(nil, fields)
	return b
}
