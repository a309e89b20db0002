package value

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
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
		r, err := RecordOf(recordOID, codec.ColumnBinary, bin, nil)
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
		r, err = RecordOf(recordOID, codec.ColumnText, []byte(c.text), make([]byte, 0, len(c.text)))
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
		if _, err := RecordOf(recordOID, codec.ColumnText, []byte(in), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", in, err)
		}
	}
	r, err := RecordOf(recordOID, codec.ColumnText, []byte(` (a"b,c"d,,"",\)) `), nil)
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
