package value

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
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
				a, err := DecodeArray(ty.Array, form.kind, form.src, nil)
				if err != nil {
					t.Fatalf("DecodeArray %c: %v", form.kind, err)
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
		if _, err := DecodeArray(1007, codec.ColumnBinary, src, nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeArray %s: %v", name, err)
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
		a, err := DecodeArray(1009, codec.ColumnText, []byte(c.in), make([]byte, 0, len(c.in)))
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
		if _, err := DecodeArray(1009, codec.ColumnText, []byte(in), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", in, err)
		}
	}
}

// Awkward strings for properties: every byte array_out, record_out and
// range_out treat specially, and NULL in its spellings.
func genAwkward() gopter.Gen {
	piece := gen.OneConstOf("a", "Z", "0", " ", "\t", "\n", "\v", "\r", "\f", `"`, `\`, "{", "}", ",", ";", "(", ")", "[", "]", "é", "日", "N", "u", "l", "L")
	return gen.OneGenOf(
		gen.OneConstOf("", "NULL", "null", "nULl", "empty"),
		gen.SliceOf(piece).Map(func(p []string) string { return strings.Join(p, "") }),
	)
}

type genArray struct {
	dims  []Dim
	elems []*string
}

// genArrays: one to three dimensions of one to three elements, lower
// bounds around 1, NULLs among awkward strings; sometimes empty.
func genArrays() gopter.Gen {
	dims := gen.SliceOfN(3, gen.Struct(reflect.TypeOf(Dim{}), map[string]gopter.Gen{
		"Len": gen.Int32Range(1, 3), "Lower": gen.OneGenOf(gen.Const(int32(1)), gen.Int32Range(-3, 3)),
	}))
	return gopter.CombineGens(gen.IntRange(0, 3), dims).FlatMap(func(v any) gopter.Gen {
		vs := v.([]any)
		d := vs[1].([]Dim)[:vs[0].(int)]
		n := 1
		for _, x := range d {
			n *= int(x.Len)
		}
		if len(d) == 0 {
			n = 0
		}
		return gen.SliceOfN(n, gen.PtrOf(genAwkward())).Map(func(e []*string) genArray { return genArray{d, e} })
	}, reflect.TypeOf(genArray{}))
}

// modelArrayOut is array_out written plainly, as its source reads.
func modelArrayOut(dims []Dim, elems []*string) string {
	if len(elems) == 0 {
		return "{}"
	}
	var b strings.Builder
	for _, d := range dims {
		if d.Lower != 1 {
			for _, d := range dims {
				fmt.Fprintf(&b, "[%d:%d]", d.Lower, d.Lower+d.Len-1)
			}
			b.WriteByte('=')
			break
		}
	}
	var level func(dims []Dim, elems []*string)
	level = func(dims []Dim, elems []*string) {
		b.WriteByte('{')
		chunk := len(elems) / int(dims[0].Len)
		for i := 0; i < int(dims[0].Len); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			if len(dims) > 1 {
				level(dims[1:], elems[i*chunk:(i+1)*chunk])
				continue
			}
			s := elems[i]
			switch {
			case s == nil:
				b.WriteString("NULL")
			case *s == "" || strings.EqualFold(*s, "NULL") || strings.ContainsAny(*s, "{},\"\\ \t\n\r\v\f"):
				b.WriteString(`"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(*s) + `"`)
			default:
				b.WriteString(*s)
			}
		}
		b.WriteByte('}')
	}
	level(dims, elems)
	return b.String()
}

func textColumns(elems []*string) []codec.Column {
	cols := make([]codec.Column, len(elems))
	for i, e := range elems {
		if e == nil {
			cols[i] = null
		} else {
			cols[i] = textb(*e)
		}
	}
	return cols
}

func TestArrayProperties(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 2000
	props := gopter.NewProperties(params)
	props.Property("binary renders as array_out prints", prop.ForAll(func(a genArray) string {
		bin, err := AppendArrayBinary(nil, 25, a.dims, textColumns(a.elems))
		if err != nil {
			return err.Error()
		}
		got, err := AppendText(nil, 1009, -1, bin)
		if want := modelArrayOut(a.dims, a.elems); err != nil || string(got) != want {
			return fmt.Sprintf("got %q, %v; want %q", got, err, want)
		}
		return ""
	}, genArrays()))
	props.Property("text reads back to the same elements and dimensions", prop.ForAll(func(a genArray) string {
		text := modelArrayOut(a.dims, a.elems)
		r, err := DecodeArray(1009, codec.ColumnText, []byte(text), make([]byte, 0, len(text)))
		if err != nil {
			return err.Error()
		}
		if len(a.elems) > 0 && !cmp.Equal(r.Dims(), a.dims) || r.Len() != len(a.elems) {
			return fmt.Sprintf("%q: dims %v", text, r.Dims())
		}
		for _, want := range a.elems {
			e, _ := r.Next()
			if (want == nil) != (e.Kind == codec.ColumnNull) || want != nil && string(e.Data) != *want {
				return fmt.Sprintf("%q: element %q, want %v", text, e.Data, want)
			}
		}
		return ""
	}, genArrays()))
	props.TestingRun(t)
}

// Rendering into a reused buffer and iterating allocate nothing.
func TestContainerAllocs(t *testing.T) {
	i4, _ := AppendArrayBinary(nil, 23, []Dim{{2, 1}, {3, 0}}, []codec.Column{int4b(1), null, int4b(-3), int4b(4), int4b(5), int4b(6)})
	tx, _ := AppendArrayBinary(nil, 25, nil, []codec.Column{textb("plain"), textb("a b"), textb(`q"\`), null, textb("")})
	txt, _ := AppendText(nil, 1009, -1, tx)
	rng := AppendRangeBinary(nil, RawRange{Flags: RangeLowerInc, Lower: int4bytes(1), Upper: int4bytes(5)})
	multi := AppendMultirangeBinary(nil, []RawRange{{Flags: RangeLowerInc, Lower: int4bytes(1), Upper: int4bytes(5)}, {Flags: RangeEmpty}})
	rec, _ := AppendRecordBinary(nil, []Field{{OID: 23, Column: int4b(1)}, {OID: 25, Column: textb("a b")}, {OID: 25, Column: null}, {OID: 1007, Column: textb(string(i4))}})
	rtext := []byte(`(1,"a ""b",,"{1,2}")`)
	buf := make([]byte, 0, 256)
	scratch := make([]byte, 0, 256)
	var sink int
	for name, f := range map[string]func(){
		"int4[] to text":    func() { buf, _ = AppendText(buf[:0], 1007, -1, i4) },
		"text[] to text":    func() { buf, _ = AppendText(buf[:0], 1009, -1, tx) },
		"int4range to text": func() { buf, _ = AppendText(buf[:0], 3904, -1, rng) },
		"int4multirange":    func() { buf, _ = AppendText(buf[:0], 4451, -1, multi) },
		"record to text":    func() { buf, _ = RecordBinaryToText(buf[:0], rec) },
		"iterate binary array": func() {
			a, _ := DecodeArray(1007, codec.ColumnBinary, i4, nil)
			sink += len(a.Dims())
			for c, ok := a.Next(); ok; c, ok = a.Next() {
				sink += len(c.Data)
			}
		},
		"iterate text array": func() {
			a, _ := DecodeArray(1009, codec.ColumnText, txt, scratch)
			for c, ok := a.Next(); ok; c, ok = a.Next() {
				sink += len(c.Data)
			}
		},
		"parse range text": func() {
			r, _ := DecodeRange(3904, codec.ColumnText, []byte(`["a""b",c)`), scratch)
			sink += len(r.Lower)
		},
		"iterate record text": func() {
			r, _ := DecodeRecord(recordOID, codec.ColumnText, rtext, scratch)
			for f, ok := r.Next(); ok; f, ok = r.Next() {
				sink += len(f.Data)
			}
		},
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs/op", name, n)
		}
	}
	_ = sink
}

func BenchmarkArrayBinaryToText(b *testing.B) {
	i4, _ := AppendArrayBinary(nil, 23, nil, []codec.Column{int4b(1), int4b(22), null, int4b(-333), int4b(4444), int4b(5), int4b(6), int4b(7), int4b(8), int4b(9)})
	tx, _ := AppendArrayBinary(nil, 25, nil, []codec.Column{textb("plain"), textb("a b"), textb(`q"\`), null, textb(""), textb("NULL")})
	for _, c := range []struct {
		name string
		oid  uint32
		src  []byte
	}{{"int4-10", 1007, i4}, {"text-6", 1009, tx}} {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			b.SetBytes(int64(len(c.src)))
			for i := 0; i < b.N; i++ {
				buf, _ = AppendText(buf[:0], c.oid, -1, c.src)
			}
		})
	}
}

func BenchmarkArrayIterate(b *testing.B) {
	tx, _ := AppendArrayBinary(nil, 25, nil, []codec.Column{textb("plain"), textb("a b"), textb(`q"\`), null, textb(""), textb("NULL")})
	txt, _ := AppendText(nil, 1009, -1, tx)
	scratch := make([]byte, 0, len(txt))
	b.Run("binary-text6", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			a, _ := DecodeArray(1009, codec.ColumnBinary, tx, nil)
			for _, ok := a.Next(); ok; _, ok = a.Next() {
			}
		}
	})
	b.Run("text-text6", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			a, _ := DecodeArray(1009, codec.ColumnText, txt, scratch)
			for _, ok := a.Next(); ok; _, ok = a.Next() {
			}
		}
	})
}

func TestArrayDecode(t *testing.T) {
	one, _ := Decode(23, codec.ColumnBinary, -1, int4bytes(1))
	two, _ := Decode(23, codec.ColumnBinary, -1, int4bytes(2))
	for _, c := range []struct {
		dims  []Dim
		elems []codec.Column
		want  []any
	}{
		{nil, []codec.Column{int4b(1), null, int4b(2)}, []any{one, nil, two}},
		{nil, nil, []any{}},
		{[]Dim{{2, 0}, {1, 1}}, []codec.Column{int4b(1), int4b(2)}, []any{[]any{one}, []any{two}}},
	} {
		bin, _ := AppendArrayBinary(nil, 23, c.dims, c.elems)
		text, _ := AppendText(nil, 1007, -1, bin)
		for _, form := range []struct {
			kind codec.ColumnKind
			src  []byte
		}{{codec.ColumnBinary, bin}, {codec.ColumnText, text}} {
			got, err := Decode(1007, form.kind, -1, form.src)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("%s %c: %s", text, form.kind, d)
			}
		}
	}
	got, err := Decode(1009, codec.ColumnText, -1, []byte(`{"a\"b",NULL,c}`))
	if d := cmp.Diff([]any{`a"b`, nil, "c"}, got); err != nil || d != "" {
		t.Errorf("text[]: %v %s", err, d)
	}
}

func TestArrayEncodeArgs(t *testing.T) {
	two := []codec.Column{int4b(1), int4b(2)}
	for name, dims := range map[string][]Dim{
		"count":    {{3, 1}},
		"no dims":  {},
		"seven":    {{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {2, 1}},
		"negative": {{-2, 1}},
		"overflow": {{2, math.MaxInt32}},
	} {
		if _, err := AppendArrayBinary(nil, 23, dims, two); !errors.Is(err, ErrRange) {
			t.Errorf("binary %s: %v", name, err)
		}
		if _, err := AppendArrayText(nil, 23, dims, two); !errors.Is(err, ErrRange) {
			t.Errorf("text %s: %v", name, err)
		}
	}
	if _, err := AppendArrayBinary(nil, 23, []Dim{{2, 1}}, nil); !errors.Is(err, ErrRange) {
		t.Errorf("dimensions without elements: %v", err)
	}
	if b, err := AppendArrayBinary(nil, 23, []Dim{{0, 1}}, nil); err != nil || len(b) != 12 {
		t.Errorf("an empty dimension: %x, %v", b, err)
	}
	if _, err := AppendArrayText(nil, 999999, nil, []codec.Column{textb("x")}); !errors.Is(err, ErrUnknownType) {
		t.Errorf("binary element of an unknown type: %v", err)
	}
	if _, err := DecodeArray(999999, codec.ColumnText, []byte("{}"), nil); !errors.Is(err, ErrUnknownType) {
		t.Errorf("text of an unknown array type: %v", err)
	}
	if _, err := DecodeArray(1007, codec.ColumnNull, nil, nil); !errors.Is(err, ErrWrongType) {
		t.Errorf("a NULL: %v", err)
	}
	// A user's array type: the binary form names its element.
	bin, _ := AppendArrayBinary(nil, 23, nil, two)
	if a, err := DecodeArray(70000, codec.ColumnBinary, bin, nil); err != nil || a.Elem() != 23 || a.Len() != 2 {
		t.Errorf("a user array type: %v", err)
	}
}
func ExampleDecodeArray() {
	// The binary form of '[0:1]={7,NULL}'::int4[], as pgoutput sends it.
	src, _ := AppendArrayBinary(nil, 23, []Dim{{Len: 2, Lower: 0}},
		[]codec.Column{{Kind: codec.ColumnBinary, Data: []byte{0, 0, 0, 7}}, {Kind: codec.ColumnNull}})

	text, _ := AppendText(nil, 1007, -1, src)
	fmt.Println(string(text))

	a, _ := DecodeArray(1007, codec.ColumnBinary, src, nil)
	fmt.Println(a.Dims())
	for e, ok := a.Next(); ok; e, ok = a.Next() {
		if e.Kind == codec.ColumnNull {
			fmt.Println("NULL")
			continue
		}
		v, _ := AppendText(nil, a.Elem(), -1, e.Data)
		fmt.Println(string(v))
	}
	// Output:
	// [0:1]={7,NULL}
	// [{2 0}]
	// 7
	// NULL
}

// AppendInt64s reads what Next and Int64 read, element by element, in both
// forms, for every integer element type, from the start or part-way, and
// stops with Int64's error at a NULL or a bad element width.
func TestArrayAppendInt64s(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	enc := map[uint32]func(int64) []byte{
		21: func(v int64) []byte { return binary.BigEndian.AppendUint16(nil, uint16(v)) },
		23: func(v int64) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) },
		20: func(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) },
		26: func(v int64) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) },
	}
	arrOID := map[uint32]uint32{21: 1005, 23: 1007, 20: 1016, 26: 1028}
	for elem, e := range enc {
		for trial := 0; trial < 50; trial++ {
			n := rng.Intn(40)
			var elems []codec.Column
			var want []int64
			for i := 0; i < n; i++ {
				v := rng.Int63() >> uint(rng.Intn(63))
				if rng.Intn(2) == 0 {
					v = -v
				}
				if elem == 26 && v < 0 {
					v = -v
				}
				switch elem {
				case 21:
					v = int64(int16(v))
				case 23:
					v = int64(int32(v))
				case 26:
					v = int64(uint32(v))
				}
				elems = append(elems, codec.Column{Kind: codec.ColumnBinary, Data: e(v)})
				want = append(want, v)
			}
			bin, err := AppendArrayBinary(nil, elem, nil, elems)
			if err != nil {
				t.Fatal(err)
			}
			text, err := AppendText(nil, arrOID[elem], -1, bin)
			if err != nil {
				t.Fatal(err)
			}
			for _, form := range []struct {
				kind codec.ColumnKind
				src  []byte
			}{{codec.ColumnBinary, bin}, {codec.ColumnText, text}} {
				skip := 0
				if n > 0 {
					skip = rng.Intn(n)
				}
				a, err := DecodeArray(arrOID[elem], form.kind, form.src, nil)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < skip; i++ {
					a.Next()
				}
				got, err := a.AppendInt64s([]int64{-7})
				if err != nil {
					t.Fatalf("%s %c: %v", text, form.kind, err)
				}
				if d := cmp.Diff(append([]int64{-7}, want[skip:]...), got); d != "" {
					t.Errorf("%s %c from %d: %s", text, form.kind, skip, d)
				}
				if _, more := a.Next(); more {
					t.Errorf("%s %c: elements left after AppendInt64s", text, form.kind)
				}
			}
		}
	}
	// A NULL stops it with the values before it and Int64's error.
	bin, _ := AppendArrayBinary(nil, 23, nil, []codec.Column{int4b(1), null, int4b(2)})
	a, _ := DecodeArray(1007, codec.ColumnBinary, bin, nil)
	got, err := a.AppendInt64s(nil)
	if !errors.Is(err, ErrMalformed) || !cmp.Equal(got, []int64{1}) {
		t.Errorf("NULL element: %v, %v", got, err)
	}
	// Not an integer array: Int64's wrong-type error.
	tb, _ := AppendArrayBinary(nil, 25, nil, []codec.Column{{Kind: codec.ColumnBinary, Data: []byte("x")}})
	a, _ = DecodeArray(1009, codec.ColumnBinary, tb, nil)
	if _, err := a.AppendInt64s(nil); !errors.Is(err, ErrWrongType) {
		t.Errorf("text[]: %v, want ErrWrongType", err)
	}
	two, _ := AppendArrayBinary(nil, 23, nil, []codec.Column{int4b(1), int4b(2)})
	buf := make([]int64, 0, 2)
	if n := testing.AllocsPerRun(100, func() {
		a, _ := DecodeArray(1007, codec.ColumnBinary, two, nil)
		buf, _ = a.AppendInt64s(buf[:0])
	}); n != 0 {
		t.Errorf("into a reused slice: %v allocs", n)
	}
}
