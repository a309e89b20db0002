package value

import (
	"encoding/binary"
	"errors"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pgwal/pgwal/codec"
)

// Stand-ins for int4 (23) and text (25), the element types the container
// tests use, registered only when the real scalar families are not in the
// package: this file's init runs after theirs, so Lookup sees them first.
func init() {
	if _, ok := Lookup(23); !ok {
		register(&Type{OID: 23, Name: "int4", Category: CategoryNumeric, Array: 1007,
			BinaryToText: func(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
				if len(src) != 4 {
					return dst, malformed(t, "binary to text", "length %d", len(src))
				}
				return strconv.AppendInt(dst, int64(int32(binary.BigEndian.Uint32(src))), 10), nil
			},
			Decode: func(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
				if kind == codec.ColumnText {
					v, err := strconv.ParseInt(string(src), 10, 32)
					if err != nil {
						return nil, malformed(t, "decode", "%v", err)
					}
					return int32(v), nil
				}
				if len(src) != 4 {
					return nil, malformed(t, "decode", "length %d", len(src))
				}
				return int32(binary.BigEndian.Uint32(src)), nil
			}})
	}
	if _, ok := Lookup(25); !ok {
		register(&Type{OID: 25, Name: "text", Category: CategoryString, Array: 1009,
			BinaryToText: func(dst []byte, _ *Type, _ int32, src []byte) ([]byte, error) {
				return append(dst, src...), nil
			},
			Decode: func(_ *Type, _ codec.ColumnKind, _ int32, src []byte) (any, error) {
				return string(src), nil
			}})
	}
}

func int4b(v int32) codec.Column {
	return codec.Column{Kind: codec.ColumnBinary, Data: binary.BigEndian.AppendUint32(nil, uint32(v))}
}

func textb(s string) codec.Column { return codec.Column{Kind: codec.ColumnBinary, Data: []byte(s)} }

var null = codec.Column{Kind: codec.ColumnNull}

var arrayCases = []struct {
	name  string
	elem  uint32
	dims  []Dim
	elems []codec.Column
	text  string
}{
	{"int4", 23, nil, []codec.Column{int4b(1), int4b(2), null}, "{1,2,NULL}"},
	{"empty", 23, nil, nil, "{}"},
	{"2d", 23, []Dim{{2, 1}, {2, 1}}, []codec.Column{int4b(1), int4b(2), int4b(3), int4b(4)}, "{{1,2},{3,4}}"},
	{"3d", 23, []Dim{{2, 1}, {1, 1}, {3, 1}}, []codec.Column{int4b(1), int4b(2), int4b(3), int4b(4), int4b(5), int4b(6)}, "{{{1,2,3}},{{4,5,6}}}"},
	{"lower bound", 23, []Dim{{3, 0}}, []codec.Column{int4b(1), int4b(2), int4b(3)}, "[0:2]={1,2,3}"},
	{"lower bounds 2d", 23, []Dim{{2, 1}, {1, 0}}, []codec.Column{int4b(7), null}, "[1:2][0:0]={{7},{NULL}}"},
	{"negative bound", 23, []Dim{{2, -5}}, []codec.Column{int4b(-1), int4b(-2)}, "[-5:-4]={-1,-2}"},
	{"quoting", 25, nil, []codec.Column{textb(""), textb("null"), textb("NULL"), textb("NuLl"), textb("nulls"), textb("a,b"), textb(`a\b`), textb(`a"b`), textb(" a"), textb("a\vb"), textb("{x}"), textb("a;b"), textb("é")},
		`{"","null","NULL","NuLl",nulls,"a,b","a\\b","a\"b"," a","a` + "\v" + `b","{x}",a;b,é}`},
}

func TestArrayBinaryToText(t *testing.T) {
	for _, c := range arrayCases {
		t.Run(c.name, func(t *testing.T) {
			bin, err := AppendArrayBinary(nil, c.elem, c.dims, c.elems)
			if err != nil {
				t.Fatal(err)
			}
			ty, _ := Lookup(c.elem)
			got, err := AppendText([]byte("x"), ty.Array, -1, bin)
			if err != nil || string(got) != "x"+c.text {
				t.Fatalf("AppendText = %q, %v; want %q", got, err, c.text)
			}
			got, err = AppendArrayText(nil, c.elem, c.dims, c.elems)
			if err != nil || string(got) != c.text {
				t.Fatalf("AppendArrayText = %q, %v; want %q", got, err, c.text)
			}
			// Both forms read back to the same elements and dimensions.
			for _, form := range []struct {
				kind codec.ColumnKind
				src  []byte
			}{{codec.ColumnBinary, bin}, {codec.ColumnText, []byte(c.text)}} {
				a, err := ArrayOf(ty.Array, form.kind, form.src, nil)
				if err != nil {
					t.Fatalf("ArrayOf %c: %v", form.kind, err)
				}
				wantDims := c.dims
				if wantDims == nil && len(c.elems) > 0 {
					wantDims = []Dim{{int32(len(c.elems)), 1}}
				}
				if d := cmp.Diff(wantDims, a.Dims(), cmp.Comparer(func(a, b []Dim) bool { return len(a) == len(b) && (len(a) == 0 || cmp.Equal(a, b)) })); d != "" {
					t.Errorf("%c dims: %s", form.kind, d)
				}
				var got []string
				for _, e := range a.Slice(nil) {
					got = append(got, elemString(t, c.elem, e))
				}
				var want []string
				for _, e := range c.elems {
					want = append(want, elemString(t, c.elem, e))
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("%c elements: %s", form.kind, d)
				}
			}
		})
	}
}

// elemString is an element's text, or "<NULL>".
func elemString(t *testing.T, oid uint32, c codec.Column) string {
	switch c.Kind {
	case codec.ColumnNull:
		return "<NULL>"
	case codec.ColumnText:
		return string(c.Data)
	}
	b, err := AppendText(nil, oid, -1, c.Data)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestArrayBinaryHostile(t *testing.T) {
	hdr := func(ndim, flags, elem uint32, dims ...int32) []byte {
		b := binary.BigEndian.AppendUint32(nil, ndim)
		b = binary.BigEndian.AppendUint32(b, flags)
		b = binary.BigEndian.AppendUint32(b, elem)
		for _, d := range dims {
			b = binary.BigEndian.AppendUint32(b, uint32(d))
		}
		return b
	}
	for name, src := range map[string][]byte{
		"short":          {0, 0, 0},
		"ndim 7":         hdr(7, 0, 23, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
		"ndim negative":  hdr(0xffffffff, 0, 23),
		"flags":          hdr(0, 2, 23),
		"truncated dims": hdr(2, 0, 23, 1, 1),
		"negative len":   hdr(1, 0, 23, -1, 1),
		"upper overflow": hdr(1, 0, 23, 2, 0x7fffffff),
		"product":        hdr(6, 0, 23, 1000, 1, 1000, 1, 1000, 1, 1000, 1, 1000, 1, 1000, 1),
		"count vs bytes": hdr(1, 0, 23, 1000000, 1),
		"elem len":       append(hdr(1, 0, 23, 1, 1), 0, 0, 0, 9, 1),
		"elem len -2":    append(hdr(1, 0, 23, 1, 1), 0xff, 0xff, 0xff, 0xfe),
		"trailing":       append(hdr(1, 0, 23, 1, 1), 0xff, 0xff, 0xff, 0xff, 0),
		"wrong elem":     append(hdr(1, 0, 25, 1, 1), 0xff, 0xff, 0xff, 0xff),
		"empty trailing": append(hdr(0, 0, 23), 1),
	} {
		_, err := AppendText(nil, 1007, -1, src)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := ArrayOf(1007, codec.ColumnBinary, src, nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("ArrayOf %s: %v", name, err)
		}
	}
}

func TestArrayTextParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		dims []Dim
		want []string
	}{
		{` { 1 , 2 } `, []Dim{{2, 1}}, []string{"1", "2"}},
		{`{a b,"c d" , e\,f , g\ ,NULL,"NULL",nUlL}`, []Dim{{7, 1}}, []string{"a b", "c d", "e,f", "g ", "<NULL>", "NULL", "<NULL>"}},
		{`[2:3]={x,y}`, []Dim{{2, 2}}, []string{"x", "y"}},
		{`[3] = {x,y,z}`, []Dim{{3, 1}}, []string{"x", "y", "z"}},
		{`{{"a\"b",\\},{"",c}}`, []Dim{{2, 1}, {2, 1}}, []string{`a"b`, `\`, "", "c"}},
		{`{}`, nil, nil},
	} {
		a, err := ArrayOf(1009, codec.ColumnText, []byte(c.in), make([]byte, 0, len(c.in)))
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		var got []string
		for {
			e, ok := a.Next()
			if !ok {
				break
			}
			got = append(got, elemString(t, 25, e))
		}
		if !cmp.Equal(c.want, got) || len(a.Dims()) != len(c.dims) || (len(c.dims) > 0 && !cmp.Equal(c.dims, a.Dims())) {
			t.Errorf("%s: %q %v", c.in, got, a.Dims())
		}
	}
	for _, in := range []string{``, `{`, `{1,}`, `{,1}`, `{{1},2}`, `{1,{2}}`, `{{1},{2,3}}`, `{{}}`, `{1} x`, `{"a}`, `{a"b}`, `[1:3]={1,2}`, `[1:2]{1,2}`,
		`{{{{{{{1}}}}}}}`, `[1:2][1:2]={1,2}`, `{a\`, `[1:0]={}`, `{"a" b}`} {
		if _, err := ArrayOf(1009, codec.ColumnText, []byte(in), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", in, err)
		}
	}
}
