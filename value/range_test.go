package value

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pgwal/pgwal/codec"
)

func int4bytes(v int32) []byte { return int4b(v).Data }

var rangeCases = []struct {
	name string
	r    RawRange
	text string
}{
	{"half open", RawRange{Flags: RangeLowerInc, Lower: int4bytes(1), Upper: int4bytes(5)}, "[1,5)"},
	{"closed", RawRange{Flags: RangeLowerInc | RangeUpperInc, Lower: int4bytes(-1), Upper: int4bytes(5)}, "[-1,5]"},
	{"empty", RawRange{Flags: RangeEmpty}, "empty"},
	{"no lower", RawRange{Flags: RangeLowerInf | RangeUpperInc, Upper: int4bytes(5)}, "(,5]"},
	{"no upper", RawRange{Flags: RangeLowerInc | RangeUpperInf, Lower: int4bytes(1)}, "[1,)"},
	{"unbounded", RawRange{Flags: RangeLowerInf | RangeUpperInf}, "(,)"},
}

func TestRangeBinaryToText(t *testing.T) {
	for _, c := range rangeCases {
		bin := AppendRangeBinary(nil, c.r)
		got, err := AppendText(nil, 3904, -1, bin)
		if err != nil || string(got) != c.text {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.text)
		}
		for _, form := range []struct {
			kind codec.ColumnKind
			src  []byte
		}{{codec.ColumnBinary, bin}, {codec.ColumnText, []byte(c.text)}} {
			r, err := DecodeRange(3904, form.kind, form.src, nil)
			if err != nil || r.Flags != c.r.Flags {
				t.Errorf("%s %c: %+v, %v", c.name, form.kind, r, err)
				continue
			}
			again, err := AppendRangeText(nil, 3904, r)
			if err != nil || string(again) != c.text {
				t.Errorf("%s %c: again %q, %v", c.name, form.kind, again, err)
			}
		}
		v, err := Decode(3904, codec.ColumnBinary, -1, bin)
		if err != nil {
			t.Fatal(err)
		}
		want := Range{Flags: c.r.Flags}
		if c.r.Flags.HasLower() {
			want.Lower, _ = Decode(23, codec.ColumnBinary, -1, c.r.Lower)
		}
		if c.r.Flags.HasUpper() {
			want.Upper, _ = Decode(23, codec.ColumnBinary, -1, c.r.Upper)
		}
		if d := cmp.Diff(want, v); d != "" {
			t.Errorf("%s Decode: %s", c.name, d)
		}
	}
}

// Bounds are quoted as range_out quotes them, and text bounds read back.
func TestRangeBoundQuoting(t *testing.T) {
	for _, c := range []struct{ lower, upper, text string }{
		{"2020-01-01 00:00:00+00", "2021-01-01 00:00:00+00", `["2020-01-01 00:00:00+00","2021-01-01 00:00:00+00")`},
		{"", "a,b", `["","a,b")`},
		{`a"b`, `c\d`, `["a""b","c\\d")`},
		{"[x]", "(y)", `["[x]","(y)")`},
		{"plain", "é", `[plain,é)`},
	} {
		r := RawRange{Flags: RangeLowerInc, Kind: codec.ColumnText, Lower: []byte(c.lower), Upper: []byte(c.upper)}
		got, err := AppendRangeText(nil, 3910, r)
		if err != nil || string(got) != c.text {
			t.Errorf("%q: %q, %v", c.text, got, err)
			continue
		}
		back, err := DecodeRange(3910, codec.ColumnText, got, make([]byte, 0, len(got)))
		if err != nil || string(back.Lower) != c.lower || string(back.Upper) != c.upper || back.Flags != RangeLowerInc {
			t.Errorf("%q: back %+v, %v", c.text, back, err)
		}
	}
	// range_in's other spellings.
	for in, want := range map[string]RawRange{
		" EMPTY ":     {Flags: RangeEmpty},
		`[a"b"c,d)`:   {Flags: RangeLowerInc, Lower: []byte("abc"), Upper: []byte("d")},
		`(a\,b,"")`:   {Lower: []byte("a,b"), Upper: []byte{}},
		`[,]`:         {Flags: RangeLowerInf | RangeUpperInf},
		` ( 1 , 2 ] `: {Flags: RangeUpperInc, Lower: []byte(" 1 "), Upper: []byte(" 2 ")},
	} {
		got, err := DecodeRange(3904, codec.ColumnText, []byte(in), nil)
		want.Kind = codec.ColumnText
		if err != nil || got.Flags != want.Flags || string(got.Lower) != string(want.Lower) || string(got.Upper) != string(want.Upper) {
			t.Errorf("%q: %+v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "emptyx", "[1,2", "[1;2)", "1,2)", `["1,2)`, `[1,2)x`, `[1\`} {
		if _, err := DecodeRange(3904, codec.ColumnText, []byte(in), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", in, err)
		}
	}
	for _, in := range [][]byte{{}, {0}, {0, 0, 0, 0, 9, 1}, {0x18, 1}, {1, 0}, {0x08, 0, 0, 0, 4, 0, 0, 0, 1, 0}} {
		if _, err := AppendText(nil, 3904, -1, in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%x: %v", in, err)
		}
	}
}

func TestMultirange(t *testing.T) {
	rs := []RawRange{
		{Flags: RangeLowerInc, Lower: int4bytes(1), Upper: int4bytes(3)},
		{Flags: RangeLowerInc, Lower: int4bytes(5), Upper: int4bytes(7)},
		{Flags: RangeLowerInc | RangeUpperInf, Lower: int4bytes(9)},
	}
	for _, c := range []struct {
		ranges []RawRange
		text   string
	}{{rs, "{[1,3),[5,7),[9,)}"}, {nil, "{}"}, {rs[:1], "{[1,3)}"}} {
		bin := AppendMultirangeBinary(nil, c.ranges)
		got, err := AppendText(nil, 4451, -1, bin)
		if err != nil || string(got) != c.text {
			t.Errorf("%q: %q, %v", c.text, got, err)
		}
		for _, form := range []struct {
			kind codec.ColumnKind
			src  []byte
		}{{codec.ColumnBinary, bin}, {codec.ColumnText, []byte(c.text)}} {
			m, err := DecodeMultirange(4451, form.kind, form.src, nil)
			if err != nil || m.Len() != len(c.ranges) {
				t.Fatalf("%q %c: %v", c.text, form.kind, err)
			}
			var again []byte
			for i := 0; ; i++ {
				r, ok := m.Next()
				if !ok {
					break
				}
				if i > 0 {
					again = append(again, ',')
				}
				again, _ = AppendRangeText(again, 4451, r)
			}
			if "{"+string(again)+"}" != c.text {
				t.Errorf("%q %c: read back %q", c.text, form.kind, again)
			}
		}
		v, err := Decode(4451, codec.ColumnText, -1, []byte(c.text))
		if rr, ok := v.([]Range); err != nil || !ok || len(rr) != len(c.ranges) {
			t.Errorf("%q Decode: %#v, %v", c.text, v, err)
		}
	}
	for _, in := range []string{"", "{", "{[1,2)", "{[1,2);[3,4)}", "{[1,2)}x", "{,}"} {
		if _, err := DecodeMultirange(4451, codec.ColumnText, []byte(in), nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", in, err)
		}
	}
	for _, in := range [][]byte{{}, {0, 0, 0, 1}, {0, 0, 0, 1, 0, 0, 0, 1, 1, 0}, {0x7f, 0, 0, 0, 0, 0, 0, 1, 1}, {0, 0, 0, 1, 0, 0, 0, 1, 0}} {
		if _, err := AppendText(nil, 4451, -1, in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%x: %v", in, err)
		}
	}
}
