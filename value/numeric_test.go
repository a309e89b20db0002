package value

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/pgwal/pgwal/codec"
)

// Binary forms as numeric_send lays them out (ndigits, weight, sign,
// dscale, base-10000 digits), and what numeric_recv then numeric_out make
// of them.
func TestNumericBinaryToText(t *testing.T) {
	for _, c := range []struct{ bin, want string }{
		{"0000 0000 0000 0002", "0.00"},
		{"0000 0000 4000 0002", "0.00"}, // a negative zero prints unsigned
		{"0000 0000 0000 0000", "0"},
		{"0001 0000 0000 0000 0001", "1"},
		{"0001 0000 4000 0000 0001", "-1"},
		{"0001 ffff 0000 0001 1388", "0.5"},
		{"0001 ffff 0000 0002 04d2", "0.12"},      // 0.1234 truncated to dscale 2
		{"0001 fffe 4000 0002 0001", "0.00"},      // -0.00000001 truncated to zero
		{"0002 0001 0000 0000 0000 0005", "5"},    // a leading zero digit
		{"0001 0002 0000 0000 0001", "100000000"}, // weight 2
		{"0003 0001 0000 0001 04d2 162e 2328", "12345678.9"},
		{"0001 0000 0000 0004 0007", "7.0000"}, // dscale beyond the digits
		{"0001 fff0 0000 0040 0001", "0.0000000000000000000000000000000000000000000000000000000000000001"},
		{"0000 0000 c000 0000", "NaN"},
		{"0000 0000 d000 0020", "Infinity"},
		{"0000 0000 f000 0020", "-Infinity"},
	} {
		bin := numHex(t, strings.ReplaceAll(c.bin, " ", ""))
		got, err := AppendText(nil, 1700, -1, bin)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: %q, %v; want %q", c.bin, got, err, c.want)
		}
		var n Numeric
		if err := DecodeNumeric(&n, 1700, codec.ColumnBinary, bin); err != nil || n.String() != c.want {
			t.Errorf("%s: DecodeNumeric %+v, %v", c.bin, n, err)
		}
	}
	for _, bad := range []string{
		"ffff 0000 0000 0000 0000", // 65535 digits claimed in 10 bytes
		"0001 0000 0000 0000",      // 1 digit claimed, none there
		"0000 0000 0000",           // a short header
		"0000 0000 8000 0000",      // no such sign
		"0001 0000 0000 0000 2710", // digit 10000
		"0000 0000 0000 4000",      // dscale beyond 14 bits
	} {
		_, err := AppendText(nil, 1700, -1, numHex(t, strings.ReplaceAll(bad, " ", "")))
		numWantErr(t, bad, err, 1700, ErrMalformed)
	}
}

func TestParseNumeric(t *testing.T) {
	for _, c := range []struct {
		in, want string
		digits   string
		exp      int32
	}{
		{"  -12.50 ", "-12.50", "1250", -2},
		{".5", "0.5", "5", -1},
		{"5.", "5", "5", 0},
		{"1e-3", "0.001", "1", -3},
		{"1.5e3", "1500", "15", 2},
		{"1.50e1", "15.0", "150", -1},
		{"1_000", "1000", "1", 3},
		{"0.00", "0.00", "", -2},
		{"-0", "0", "", 0},
		{"0e5", "0", "", 0},
		{"0.0100", "0.0100", "100", -4},
		{"+7", "7", "7", 0},
		{"1e131071", "1" + strings.Repeat("0", 131071), "1", 131071},
	} {
		n, err := ParseNumeric(c.in)
		if err != nil || n.String() != c.want || string(n.Digits) != c.digits || n.Exp != c.exp {
			t.Errorf("ParseNumeric(%q) = %+v (%q), %v; want %q", c.in, n, n.String(), err, c.want)
		}
	}
	for in, kind := range map[string]NumericKind{"NaN": NumericNaN, "nan": NumericNaN, " Infinity": NumericInf, "+inf": NumericInf, "-Infinity": NumericNegInf, "-INF": NumericNegInf} {
		if n, err := ParseNumeric(in); err != nil || n.Kind != kind {
			t.Errorf("ParseNumeric(%q) = %+v, %v", in, n, err)
		}
	}
	for _, bad := range []string{"", "abc", "1e", "1__0", "_1", "1_", "--1", "+NaN", "1.2.3", "0x1F", "1e-16384", "1e131072"} {
		_, err := ParseNumeric(bad)
		var sentinel error = ErrMalformed
		if strings.HasPrefix(bad, "1e1") || strings.HasPrefix(bad, "1e-1") {
			sentinel = ErrRange
		}
		numWantErr(t, "ParseNumeric "+bad, err, 1700, sentinel)
	}
}

func TestNumericConversions(t *testing.T) {
	n := func(s string) Numeric {
		v, err := ParseNumeric(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if r, err := n("-12.50").Rat(); err != nil || r.Cmp(big.NewRat(-25, 2)) != 0 {
		t.Errorf("Rat -12.50: %v, %v", r, err)
	}
	for s, want := range map[string]string{"1.00": "1", "1e3": "1000", "-0.000": "0", "-123456789012345678901234567890": "-123456789012345678901234567890"} {
		if i, err := n(s).Int(); err != nil || i.String() != want {
			t.Errorf("Int %s: %v, %v", s, i, err)
		}
	}
	for _, s := range []string{"12.5", "0.001", "NaN", "Infinity"} {
		_, err := n(s).Int()
		numWantErr(t, "Int "+s, err, 1700, ErrRange)
	}
	_, err := n("NaN").Rat()
	numWantErr(t, "Rat NaN", err, 1700, ErrRange)
	for s, want := range map[string]float64{"0.1": 0.1, "-1e300": -1e300, "0": 0, "123.456": 123.456, "Infinity": math.Inf(1)} {
		if f, err := n(s).Float64(); err != nil || f != want {
			t.Errorf("Float64 %s: %v, %v", s, f, err)
		}
	}
	for _, s := range []string{"1e400", "1e-400"} {
		_, err := n(s).Float64()
		numWantErr(t, "Float64 "+s, err, 1700, ErrRange)
		bin, _ := AppendNumericBinary(nil, n(s))
		_, err = Float64(1700, codec.ColumnBinary, bin)
		numWantErr(t, "Float64 binary "+s, err, 1700, ErrRange)
	}
	if _, err := AppendNumericBinary(nil, Numeric{Digits: []byte("1x")}); err == nil {
		t.Error("AppendNumericBinary takes a non-digit")
	}
	_, err = AppendNumericBinary(nil, Numeric{Digits: []byte("1"), Exp: -16384})
	numWantErr(t, "dscale 16384", err, 1700, ErrRange)
	_, err = AppendNumericBinary(nil, Numeric{Digits: []byte("1"), Exp: 131072})
	numWantErr(t, "weight 32768", err, 1700, ErrRange)
}

// numGen generates numerics over the whole range: any digits, scales up
// to the maximum, exponents up to the largest weight; a few special values.
func numGen() gopter.Gen {
	finite := gopter.CombineGens(
		gen.Bool(),
		gen.SliceOf(gen.NumChar()),
		gen.Weighted([]gen.WeightedGen{
			{Weight: 20, Gen: gen.Int32Range(-40, 40)},
			{Weight: 2, Gen: gen.Int32Range(-16383, 16383)},
			{Weight: 1, Gen: gen.OneConstOf(int32(-16383), int32(131000), int32(131072-60))},
		}),
	).Map(func(v []any) Numeric {
		d := []byte(string(v[1].([]rune)))
		if len(d) > 60 {
			d = d[:60]
		}
		return Numeric{Neg: v[0].(bool), Digits: d, Exp: v[2].(int32)}
	})
	special := gen.OneConstOf(Numeric{Kind: NumericNaN}, Numeric{Kind: NumericInf}, Numeric{Kind: NumericNegInf},
		Numeric{}, Numeric{Digits: []byte("0000"), Exp: -3}, Numeric{Neg: true, Digits: []byte("9999"), Exp: -16383})
	return gen.Weighted([]gen.WeightedGen{{Weight: 9, Gen: finite}, {Weight: 1, Gen: special}})
}

func TestNumericProperties(t *testing.T) {
	p := numProps(t)
	p.Property("numeric encode/decode", prop.ForAll(func(n Numeric) bool {
		text := n.String()
		bin, err := AppendNumericBinary(nil, n)
		if err != nil {
			// Only beyond numeric's range.
			return n.Exp+int32(len(n.Digits)) > 131072
		}
		rendered, err := AppendText(nil, 1700, -1, bin)
		if err != nil || string(rendered) != text {
			t.Logf("%+v: binary %x renders %q, want %q", n, bin, rendered, text)
			return false
		}
		var fromBin, fromText Numeric
		if DecodeNumeric(&fromBin, 1700, codec.ColumnBinary, bin) != nil || DecodeNumeric(&fromText, 1700, codec.ColumnText, []byte(text)) != nil {
			return false
		}
		if d := cmp.Diff(fromBin, fromText, cmpopts.EquateEmpty()); d != "" {
			t.Logf("%q: %s", text, d)
			return false
		}
		again, _ := AppendNumericBinary(nil, fromBin)
		if string(again) != string(bin) || fromBin.String() != text {
			return false
		}
		if n.Kind != NumericFinite {
			return true
		}
		if fromBin.Exp < -400 || fromBin.Exp > 400 {
			return true // big.Rat and float64 checks would be slow or trivial
		}
		r, err := fromBin.Rat()
		want, _ := new(big.Rat).SetString(text)
		if err != nil || r.Cmp(want) != 0 {
			return false
		}
		f, err := Float64(1700, codec.ColumnBinary, bin)
		wf, werr := strconv.ParseFloat(text, 64)
		if werr == nil && wf != 0 {
			return err == nil && f == wf
		}
		return len(fromBin.Digits) == 0 && err == nil && f == 0 || err != nil
	}, numGen()))
	p.TestingRun(t)
}

func TestNumericAllocs(t *testing.T) {
	n, _ := ParseNumeric("-123456789.123456789")
	bin, _ := AppendNumericBinary(nil, n)
	text := []byte(n.String())
	buf := make([]byte, 0, 64)
	var into Numeric
	into.Digits = make([]byte, 0, 64)
	numZeroAllocs(t, "AppendText numeric", func() { buf, _ = AppendText(buf[:0], 1700, -1, bin) })
	numZeroAllocs(t, "DecodeNumeric binary", func() { _ = DecodeNumeric(&into, 1700, codec.ColumnBinary, bin) })
	numZeroAllocs(t, "DecodeNumeric text", func() { _ = DecodeNumeric(&into, 1700, codec.ColumnText, text) })
	numZeroAllocs(t, "Float64 numeric binary", func() { _, _ = Float64(1700, codec.ColumnBinary, bin) })
	numZeroAllocs(t, "Float64 numeric text", func() { _, _ = Float64(1700, codec.ColumnText, text) })
	numZeroAllocs(t, "AppendNumericBinary", func() { buf, _ = AppendNumericBinary(buf[:0], n) })
	numZeroAllocs(t, "Numeric.AppendText", func() { buf = n.AppendText(buf[:0]) })
}

func ExampleParseNumeric() {
	n, _ := ParseNumeric("-1.50e2")
	r, _ := n.Rat()
	fmt.Println(n, r)
	m, _ := ParseNumeric("0.0100")
	fmt.Println(m, m.Scale(), string(m.Digits), m.Exp)
	// Output:
	// -150 -150/1
	// 0.0100 4 100 -4
}

func ExampleDecodeNumeric() {
	// numeric_send's form of 12345678.9: two base-10000 digits before the
	// point (weight 1), one after, display scale 1.
	bin := []byte{0, 3, 0, 1, 0, 0, 0, 1, 0x04, 0xd2, 0x16, 0x2e, 0x23, 0x28}
	var n Numeric // reuse n: its digits' memory is reused
	_ = DecodeNumeric(&n, 1700, codec.ColumnBinary, bin)
	f, _ := n.Float64()
	fmt.Println(n, f)
	// Output: 12345678.9 1.23456789e+07
}
