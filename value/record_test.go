package value

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/pgwal/pgwal/codec"
)

func TestRecordBinaryToText(t *testing.T) {
	f := func(oid uint32, c codec.Column) Field { return Field{OID: oid, Column: c} }
	for _, c := range []struct {
		fields []Field
		text   string
	}{
		{[]Field{f(23, int4b(1)), f(25, textb("abc")), f(25, null)}, "(1,abc,)"},
		{[]Field{f(25, textb("a b")), f(25, textb("")), f(25, textb(`a"b\`)), f(25, textb("(x)")), f(25, textb("a,b")), f(25, textb("[]{}")), f(25, textb("a\vb"))},
			`("a b","","a""b\\","(x)","a,b",[]{},"a` + "\v" + `b")`},
		{nil, "()"},
		{[]Field{f(25, null)}, "()"},
		{[]Field{f(25, null), f(25, null)}, "(,)"},
	} {
		bin, err := AppendRecordBinary(nil, c.fields)
		if err != nil {
			t.Fatal(err)
		}
		for _, oid := range []uint32{recordOID, 71} {
			got, err := AppendText(nil, oid, -1, bin)
			if err != nil || string(got) != c.text {
				t.Errorf("%q: %q, %v", c.text, got, err)
			}
		}
		if got, err := RecordBinaryToText(nil, bin); err != nil || string(got) != c.text {
			t.Errorf("%q: RecordBinaryToText %q, %v", c.text, got, err)
		}
		if got, err := AppendRecordText(nil, c.fields); err != nil || string(got) != c.text {
			t.Errorf("%q: AppendRecordText %q, %v", c.text, got, err)
		}
		// The binary form reads back field for field; the text form to the
		// fields' text (except that "()" is one NULL field).
		r, err := DecodeRecord(recordOID, codec.ColumnBinary, bin, nil)
		if err != nil || r.Len() != len(c.fields) {
			t.Fatalf("%q: %v", c.text, err)
		}
		for i := 0; ; i++ {
			g, ok := r.Next()
			if !ok {
				break
			}
			if !cmp.Equal(g, c.fields[i]) {
				t.Errorf("%q field %d: %+v", c.text, i, g)
			}
		}
		r, err = DecodeRecord(recordOID, codec.ColumnText, []byte(c.text), make([]byte, 0, len(c.text)))
		if err != nil {
			t.Fatalf("%q: %v", c.text, err)
		}
		var got, want []string
		for {
			g, ok := r.Next()
			if !ok {
				break
			}
			got = append(got, elemString(t, 0, g.Column))
		}
		for _, fl := range c.fields {
			want = append(want, elemString(t, fl.OID, fl.Column))
		}
		if len(want) == 0 {
			want = []string{"<NULL>"}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%q text fields: %s", c.text, d)
		}
	}
	v, err := Decode(recordOID, codec.ColumnBinary, -1, mustRecord(t, []Field{f(23, int4b(7)), f(25, null), f(25, textb("x"))}))
	want7, _ := Decode(23, codec.ColumnBinary, -1, int4bytes(7))
	if d := cmp.Diff([]any{want7, nil, "x"}, v); err != nil || d != "" {
		t.Errorf("Decode: %v %s", err, d)
	}
}

func mustRecord(t *testing.T, fields []Field) []byte {
	b, err := AppendRecordBinary(nil, fields)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecordHostile(t *testing.T) {
	for _, in := range [][]byte{{}, {0, 0, 0}, {0xff, 0xff, 0xff, 0xff}, {0, 0, 0x10, 0}, {0, 0, 0, 1, 0, 0, 0, 23, 0, 0, 0, 5, 1}, {0, 0, 0, 0, 1},
		{0, 0, 0, 1, 0, 0, 0, 23, 0xff, 0xff, 0xff, 0xfe}} {
		if _, err := RecordBinaryToText(nil, in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%x: %v", in, err)
		}
	}
	// A field of a type nobody knows cannot be rendered.
	bin := mustRecord(t, []Field{{OID: 999999, Column: textb("x")}})
	if _, err := RecordBinaryToText(nil, bin); !errors.Is(err, ErrUnknownType) {
		t.Errorf("unknown field type: %v", err)
	}
	for _, in := range []string{"", "(", "(a", `("a)`, "(a)x", "a", `(a\`} {
		if _, err := DecodeRecord(recordOID, codec.ColumnText, []byte(in), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", in, err)
		}
	}
	r, err := DecodeRecord(recordOID, codec.ColumnText, []byte(` (a"b,c"d,,"",\)) `), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		f, ok := r.Next()
		if !ok {
			break
		}
		got = append(got, elemString(t, 0, f.Column))
	}
	if d := cmp.Diff([]string{"ab,cd", "<NULL>", "", ")"}, got); d != "" {
		t.Error(d)
	}
}

// modelQuoteBound quotes a record field as record_out does, or with rng
// a range bound as range_out does (brackets force quotes too).
func modelQuoteBound(s string, rng bool) string {
	special := "\"\\(), \t\n\r\v\f"
	if rng {
		special += "[]"
	}
	if s != "" && !strings.ContainsAny(s, special) {
		return s
	}
	return `"` + strings.NewReplacer(`"`, `""`, `\`, `\\`).Replace(s) + `"`
}

// modelRecordOut is record_out written plainly.
func modelRecordOut(fields []*string) string {
	var parts []string
	for _, f := range fields {
		if f == nil {
			parts = append(parts, "")
		} else {
			parts = append(parts, modelQuoteBound(*f, false))
		}
	}
	return "(" + strings.Join(parts, ",") + ")"
}

func TestRecordProperties(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 2000
	props := gopter.NewProperties(params)
	fields := gen.SliceOf(gen.PtrOf(genAwkward())).SuchThat(func(f []*string) bool { return len(f) > 0 })
	props.Property("binary renders as record_out prints, and the text reads back", prop.ForAll(func(fs []*string) string {
		var in []Field
		for _, c := range textColumns(fs) {
			in = append(in, Field{OID: 25, Column: c})
		}
		bin, err := AppendRecordBinary(nil, in)
		if err != nil {
			return err.Error()
		}
		got, err := RecordBinaryToText(nil, bin)
		want := modelRecordOut(fs)
		if err != nil || string(got) != want {
			return fmt.Sprintf("got %q, %v; want %q", got, err, want)
		}
		r, err := DecodeRecord(recordOID, codec.ColumnText, got, nil)
		if err != nil || r.Len() != len(fs) {
			return fmt.Sprintf("%q: %d fields, %v", got, r.Len(), err)
		}
		for _, w := range fs {
			f, _ := r.Next()
			if (w == nil) != (f.Kind == codec.ColumnNull) || w != nil && string(f.Data) != *w {
				return fmt.Sprintf("%q: field %q, want %v", got, f.Data, w)
			}
		}
		return ""
	}, fields))
	props.Property("range bounds quote as range_out's and read back", prop.ForAll(func(lo, hi *string, inc uint8) string {
		r := RawRange{Flags: RangeFlags(inc) & (RangeLowerInc | RangeUpperInc), Kind: codec.ColumnText}
		want := "("
		if r.Flags&RangeLowerInc != 0 {
			want = "["
		}
		if lo == nil {
			r.Flags = r.Flags&^RangeLowerInc | RangeLowerInf
			want = "("
		} else {
			r.Lower = []byte(*lo)
			want += modelQuoteBound(*lo, true)
		}
		want += ","
		if hi == nil {
			r.Flags = r.Flags&^RangeUpperInc | RangeUpperInf
		} else {
			r.Upper = []byte(*hi)
			want += modelQuoteBound(*hi, true)
		}
		if r.Flags&RangeUpperInc != 0 {
			want += "]"
		} else {
			want += ")"
		}
		got, err := AppendRangeText(nil, 3910, r)
		if err != nil || string(got) != want {
			return fmt.Sprintf("got %q, %v; want %q", got, err, want)
		}
		back, err := DecodeRange(3910, codec.ColumnText, got, nil)
		if err != nil || back.Flags != r.Flags || string(back.Lower) != string(r.Lower) || string(back.Upper) != string(r.Upper) {
			return fmt.Sprintf("%q: read back %+v, %v", got, back, err)
		}
		return ""
	}, gen.PtrOf(genAwkward()), gen.PtrOf(genAwkward()), gen.UInt8()))
	props.TestingRun(t)
}

// On an error the containers give dst back as it came, like the scalars.
func TestContainerErrorKeepsDst(t *testing.T) {
	bad := Field{OID: 23, Column: textb("xyz")} // not 4 bytes
	rec := mustRecord(t, []Field{{OID: 25, Column: textb("ok")}, bad})
	arr, _ := AppendArrayBinary(nil, 23, nil, []codec.Column{int4b(1), textb("xyz")})
	rng := AppendRangeBinary(nil, RawRange{Flags: RangeLowerInc, Lower: int4bytes(1), Upper: []byte{1}})
	multi := AppendMultirangeBinary(nil, []RawRange{{Flags: RangeEmpty}, {Flags: RangeLowerInc, Lower: int4bytes(1), Upper: []byte{1}}})
	for name, f := range map[string]func(dst []byte) ([]byte, error){
		"record":     func(dst []byte) ([]byte, error) { return RecordBinaryToText(dst, rec) },
		"array":      func(dst []byte) ([]byte, error) { return AppendText(dst, 1007, -1, arr) },
		"range":      func(dst []byte) ([]byte, error) { return AppendText(dst, 3904, -1, rng) },
		"multirange": func(dst []byte) ([]byte, error) { return AppendText(dst, 4451, -1, multi) },
		"array text": func(dst []byte) ([]byte, error) {
			return AppendArrayText(dst, 23, nil, []codec.Column{int4b(1), textb("xyz")})
		},
		"record text": func(dst []byte) ([]byte, error) { return AppendRecordText(dst, []Field{bad}) },
	} {
		got, err := f([]byte("keep"))
		if err == nil || string(got) != "keep" {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
}

func BenchmarkContainerToText(b *testing.B) {
	rec, _ := AppendRecordBinary(nil, []Field{{OID: 23, Column: int4b(1)}, {OID: 25, Column: textb("a b")}, {OID: 25, Column: null}, {OID: 25, Column: textb("plain")}})
	rng := AppendRangeBinary(nil, RawRange{Flags: RangeLowerInc, Lower: int4bytes(1), Upper: int4bytes(5)})
	multi := AppendMultirangeBinary(nil, []RawRange{{Flags: RangeLowerInc, Lower: int4bytes(1), Upper: int4bytes(3)}, {Flags: RangeLowerInc, Lower: int4bytes(5), Upper: int4bytes(7)}})
	for _, c := range []struct {
		name string
		oid  uint32
		src  []byte
	}{{"record-4", recordOID, rec}, {"int4range", 3904, rng}, {"int4multirange-2", 4451, multi}} {
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
