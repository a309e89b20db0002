package value

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/pgwal/pgwal/codec"
)

// Expected texts from PostgreSQL's regression tests (float8.out,
// float4.out, with shortest output) and from real servers.
func TestNumFloat8Text(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "-0"}, {1004.3, "1004.3"}, {-34.84, "-34.84"},
		{1.2345678901234e+200, "1.2345678901234e+200"}, {1.2345678901234e-200, "1.2345678901234e-200"},
		{1e14, "100000000000000"}, {99999999999999.9, "99999999999999.9"}, {1e15, "1e+15"},
		{123456789012345, "123456789012345"}, {1234567890123456, "1.234567890123456e+15"},
		{0.0001, "0.0001"}, {0.00012345, "0.00012345"}, {1e-5, "1e-05"}, {1.5e-7, "1.5e-07"},
		{1e21, "1e+21"}, {1e100, "1e+100"}, {5e-324, "5e-324"}, {math.MaxFloat64, "1.7976931348623157e+308"},
		{0.30000000000000004, "0.30000000000000004"}, {100, "100"}, {-1.5, "-1.5"},
		{math.NaN(), "NaN"}, {-math.NaN(), "NaN"}, {math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"},
		// A tie below a power of two, where only the odd candidate is
		// inside the (narrower) lower half of the interval.
		{math.Ldexp(1, -24), "5.960464477539063e-08"},
	} {
		if got := string(appendFloat8Text(nil, c.v)); got != c.want {
			t.Errorf("float8 %v: %q, want %q", c.v, got, c.want)
		}
		bin, _ := AppendFloat64Binary(nil, 701, c.v)
		if got, err := AppendText(nil, 701, -1, bin); err != nil || string(got) != c.want {
			t.Errorf("float8 binary %v: %q, %v", c.v, got, err)
		}
	}
}

func TestNumFloat4Text(t *testing.T) {
	for _, c := range []struct {
		v    float32
		want string
	}{
		{0, "0"}, {float32(math.Copysign(0, -1)), "-0"}, {1004.3, "1004.3"}, {-34.84, "-34.84"},
		{1.2345679e+20, "1.2345679e+20"}, {1.2345679e-20, "1.2345679e-20"},
		{100000, "100000"}, {999999, "999999"}, {1e6, "1e+06"}, {1234567, "1.234567e+06"},
		{0.0001, "0.0001"}, {1e-5, "1e-05"}, {math.MaxFloat32, "3.4028235e+38"}, {1e-45, "1e-45"},
		{float32(math.Inf(-1)), "-Infinity"}, {float32(math.NaN()), "NaN"},
		// strconv's shortest is the midpoint 7.646208e+11; the server's Ryū
		// excludes it.
		{math.Float32frombits(0x533206f4), "7.6462083e+11"},
		// Exactly between ...062 and ...063: the server rounds to even.
		{float32(math.Ldexp(1, -12)), "0.00024414062"},
	} {
		if got := string(appendFloat4Text(nil, c.v)); got != c.want {
			t.Errorf("float4 %v: %q, want %q", c.v, got, c.want)
		}
	}
}

func TestNumFloatErrors(t *testing.T) {
	_, err := AppendText(nil, 701, -1, []byte{1, 2, 3})
	numWantErr(t, "float8 3 bytes", err, 701, ErrMalformed)
	_, err = Float64(701, codec.ColumnText, []byte("1e400"))
	numWantErr(t, "float8 1e400", err, 701, ErrRange)
	for _, tiny := range []string{"1e-400", "-2e-330", "0x1p-1100"} {
		_, err = Float64(701, codec.ColumnText, []byte(tiny))
		numWantErr(t, "float8 "+tiny, err, 701, ErrRange)
	}
	_, err = Float64(700, codec.ColumnText, []byte("1e-50"))
	numWantErr(t, "float4 1e-50", err, 700, ErrRange)
	for _, zero := range []string{"0", "-0", "0.000e-999", "0x0p0"} {
		if f, err := Float64(701, codec.ColumnText, []byte(zero)); err != nil || f != 0 {
			t.Errorf("float8 %q: %v, %v", zero, f, err)
		}
	}
	_, err = Float64(701, codec.ColumnText, []byte("abc"))
	numWantErr(t, "float8 abc", err, 701, ErrMalformed)
	_, err = Float64(23, codec.ColumnText, []byte("1"))
	numWantErr(t, "Float64 of int4", err, 23, ErrWrongType)
	_, err = AppendFloat64Binary(nil, 700, 1e300)
	numWantErr(t, "float4 1e300", err, 700, ErrRange)
	for _, s := range []string{"NaN", "nan", " Infinity ", "-Infinity", "inf", "-inf", "1e-5"} {
		if _, err := Float64(701, codec.ColumnText, []byte(s)); err != nil {
			t.Errorf("float8in takes %q: %v", s, err)
		}
	}
}

// numFloatRule is the layout rule written a second way, from the decimal
// exponent alone: the text reads back as v, and uses exponents exactly
// outside [-4, fixedBelow).
func numFloatRule(text string, v float64, bits, fixedBelow int) bool {
	got, err := strconv.ParseFloat(text, bits)
	if err != nil || math.Float64bits(got) != math.Float64bits(v) {
		return false
	}
	e := strconv.FormatFloat(v, 'e', -1, bits)
	exp, _ := strconv.Atoi(e[len(e)-3:])
	if e[len(e)-4] != 'e' {
		exp, _ = strconv.Atoi(e[len(e)-4:])
	}
	if mant, exp10 := numTextDecimal(text); numOnMidpoint(v, bits, mant, exp10) {
		return false // the server never prints a midpoint
	}
	wantExp := exp < -4 || exp >= fixedBelow
	hasExp := false
	for _, c := range text {
		hasExp = hasExp || c == 'e'
	}
	return hasExp == wantExp
}

// numTextDecimal returns a float text's significant digits and the
// exponent of the first.
func numTextDecimal(text string) ([]byte, int) {
	e := 0
	if i := strings.IndexByte(text, 'e'); i >= 0 {
		e, _ = strconv.Atoi(text[i+1:])
		text = text[:i]
	}
	text = strings.TrimPrefix(text, "-")
	whole, frac, _ := strings.Cut(text, ".")
	digits := strings.TrimLeft(whole+frac, "0")
	exp10 := e - len(frac) + len(digits) - 1
	return []byte(strings.TrimRight(digits, "0")), exp10
}

func TestNumFloatProperties(t *testing.T) {
	p := numProps(t)
	edge := gen.OneConstOf(0.0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 5e-324, -5e-324,
		2.2250738585072014e-308, 2.225073858507201e-308, math.MaxFloat64, -math.MaxFloat64, 1e15, 1e15-1, 1e-4, 9.9999e-5)
	anyBits := gen.UInt64().Map(math.Float64frombits)
	everyday := gen.Float64Range(-1e16, 1e16)
	// Integers scaled by powers of two: their shortest digits are often a
	// midpoint or a tie.
	scaled := gopter.CombineGens(gen.Int64Range(0, 1<<62), gen.IntRange(-30, 30)).Map(func(v []any) float64 {
		return math.Ldexp(float64(v[0].(int64)), v[1].(int))
	})
	p.Property("float8 encode/decode and text", prop.ForAll(func(v float64) bool {
		bin, err := AppendFloat64Binary(nil, 701, v)
		if err != nil {
			return false
		}
		text, _ := AppendFloat64Text(nil, 701, v)
		rendered, _ := AppendText(nil, 701, -1, bin)
		fb, err1 := Float64(701, codec.ColumnBinary, bin)
		ft, err2 := Float64(701, codec.ColumnText, text)
		if math.IsNaN(v) {
			return string(text) == "NaN" && math.IsNaN(fb) && math.IsNaN(ft)
		}
		return string(rendered) == string(text) && err1 == nil && err2 == nil &&
			math.Float64bits(fb) == math.Float64bits(v) && math.Float64bits(ft) == math.Float64bits(v) &&
			numFloatRule(string(text), v, 64, 15)
	}, gen.OneGenOf(edge, anyBits, everyday, scaled)))
	p.Property("float4 encode/decode and text", prop.ForAll(func(u uint32) bool {
		v := float64(math.Float32frombits(u))
		bin, _ := AppendFloat64Binary(nil, 700, v)
		text, _ := AppendFloat64Text(nil, 700, v)
		rendered, _ := AppendText(nil, 700, -1, bin)
		fb, _ := Float64(700, codec.ColumnBinary, bin)
		ft, _ := Float64(700, codec.ColumnText, text)
		if math.IsNaN(v) {
			return string(text) == "NaN"
		}
		return string(rendered) == string(text) && math.Float64bits(fb) == math.Float64bits(v) &&
			math.Float64bits(ft) == math.Float64bits(v) && numFloatRule(string(text), v, 32, 6)
	}, gen.OneGenOf(gen.UInt32(), gen.UInt32Range(0, 1<<20), gen.Float32Range(-1e7, 1e7).Map(math.Float32bits))))
	p.TestingRun(t)
}

func TestNumFloatAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	bin := numHex(t, "3ff3c083126e978d")
	text := []byte("1.2345678901234e+200")
	numZeroAllocs(t, "AppendText float8", func() { buf, _ = AppendText(buf[:0], 701, -1, bin) })
	numZeroAllocs(t, "AppendText float4", func() { buf, _ = AppendText(buf[:0], 700, -1, bin[:4]) })
	numZeroAllocs(t, "Float64 binary", func() { _, _ = Float64(701, codec.ColumnBinary, bin) })
	numZeroAllocs(t, "Float64 text", func() { _, _ = Float64(701, codec.ColumnText, text) })
	numZeroAllocs(t, "AppendFloat64Text", func() { buf, _ = AppendFloat64Text(buf[:0], 701, 1e-7) })
	mid, tie := float64(math.Float32frombits(0x533206f4)), math.Ldexp(1, -24)
	numZeroAllocs(t, "AppendFloat64Text midpoint", func() { buf, _ = AppendFloat64Text(buf[:0], 700, mid) })
	numZeroAllocs(t, "AppendFloat64Text tie", func() { buf, _ = AppendFloat64Text(buf[:0], 701, tie) })
}

func ExampleAppendFloat64Binary() {
	var text []byte
	for _, v := range []float64{1e14, 1e15, 0.0001, 1.5e-7, math.Copysign(0, -1)} {
		bin, _ := AppendFloat64Binary(nil, 701, v)
		text, _ = AppendText(text[:0], 701, -1, bin)
		fmt.Println(string(text))
	}
	// Output:
	// 100000000000000
	// 1e+15
	// 0.0001
	// 1.5e-07
	// -0
}
