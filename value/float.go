package value

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"

	"github.com/pgwal/pgwal/codec"
)

// float4 and float8.
//
// With extra_float_digits > 0 (wire pins 3) the server prints the shortest
// decimal that reads back as the same float (Ryū, src/common/d2s.c and
// f2s.c), laid out by a rule of its own. Its digits are strconv's shortest
// but in two cases: it never prints the exact midpoint between two floats
// (its Ryū excludes the interval's bounds), and of two equally near
// candidates it takes the even one; both are detected exactly, in
// integers, and replaced by the correctly rounded digits the server gives. With d the decimal exponent of the first
// significant digit, it writes fixed notation when -4 <= d < 15 (float8) or
// -4 <= d < 6 (float4), padding with zeros as needed (1e14 is
// "100000000000000", 0.0001 is "0.0001"); otherwise d.ddde±XX with at least
// two exponent digits ("1e+15", "1.5e-07", "1e+100"), which is exactly
// strconv's 'e' format. strconv's 'g' does not do this: it moves to
// exponents at 21 digits. Zero keeps its sign ("-0"); the others are
// "NaN" (never signed), "Infinity" and "-Infinity".

func init() {
	register(
		&Type{OID: 700, Name: "float4", Category: CategoryNumeric, Array: 1021, BinaryToText: numFloatBinaryToText, Decode: numDecodeFloat},
		&Type{OID: 701, Name: "float8", Category: CategoryNumeric, Array: 1022, BinaryToText: numFloatBinaryToText, Decode: numDecodeFloat},
	)
}

// appendFloat8Text appends v as float8out prints it under the pinned
// settings. Other type families (geometric, ranges, arrays) print their
// floats with it.
func appendFloat8Text(dst []byte, v float64) []byte {
	return numAppendShortest(dst, v, 64, 15)
}

// appendFloat4Text is appendFloat8Text for float4.
func appendFloat4Text(dst []byte, v float32) []byte {
	return numAppendShortest(dst, float64(v), 32, 6)
}

func numAppendShortest(dst []byte, v float64, bits, fixedBelow int) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, "NaN"...)
	case math.IsInf(v, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(v, -1):
		return append(dst, "-Infinity"...)
	case v == 0:
		if math.Signbit(v) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], v, 'e', -1, bits) // [-]d[.ddd]e±XX
	i, exp := numSplitE(e)
	if numOnTie(v, bits, e[:i], exp) {
		// Two candidates of the shortest length are equally near: the
		// server takes the even one, which correct rounding at that length
		// gives, if it reads back as v (below a power of two the interval
		// is narrower on one side).
		d, nd := numDigits(e[:i])
		var alt [32]byte
		c := strconv.AppendFloat(alt[:0], v, 'e', nd-1, bits)
		ci, cexp := numSplitE(c)
		f, err := strconv.ParseFloat(string(c), bits)
		if cd, _ := numDigits(c[:ci]); cd != d && err == nil && f == v && !numOnMidpoint(v, bits, c[:ci], cexp) {
			e = append(buf[:0], c...)
			i, exp = ci, cexp
		}
	}
	if numOnMidpoint(v, bits, e[:i], exp) {
		// The server never prints the exact midpoint between two floats
		// (its Ryū is built with STRICTLY_SHORTEST 0, for readers that do
		// not round ties to even), where strconv may: take the shortest
		// correctly rounded digits that are not a midpoint.
		max := 17
		if bits == 32 {
			max = 9
		}
		nd := 0
		for _, c := range e[:i] {
			if '0' <= c && c <= '9' {
				nd++
			}
		}
		for prec := nd; prec < max; prec++ { // nd+1 digits and on
			e = strconv.AppendFloat(buf[:0], v, 'e', prec, bits)
			i, exp = numSplitE(e)
			if f, err := strconv.ParseFloat(string(e), bits); err == nil && f == v && !numOnMidpoint(v, bits, e[:i], exp) {
				break
			}
		}
	}
	if exp < -4 || exp >= fixedBelow {
		return append(dst, e...)
	}
	if e[0] == '-' {
		dst = append(dst, '-')
		e = e[1:]
		i--
	}
	// The significant digits, without the point.
	var dbuf [20]byte
	digits := append(dbuf[:0], e[0])
	if i > 1 {
		digits = append(digits, e[2:i]...)
	}
	if exp < 0 {
		dst = append(dst, "0."...)
		for k := -1; k > exp; k-- {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	if len(digits) <= exp+1 {
		dst = append(dst, digits...)
		for k := len(digits); k <= exp; k++ {
			dst = append(dst, '0')
		}
		return dst
	}
	dst = append(dst, digits[:exp+1]...)
	dst = append(dst, '.')
	return append(dst, digits[exp+1:]...)
}

// numSplitE finds the 'e' of strconv's 'e' format and the exponent after it.
func numSplitE(e []byte) (i, exp int) {
	i = len(e) - 4
	for e[i] != 'e' {
		i--
	}
	for _, c := range e[i+2:] {
		exp = exp*10 + int(c-'0')
	}
	if e[i+1] == '-' {
		exp = -exp
	}
	return i, exp
}

// numPow5 are the powers of five that fit a uint64.
var numPow5 = func() (p [28]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 5
	}
	return p
}()

// numDigits reads strconv's [-]d[.ddd] (at most 17 digits) as an integer.
func numDigits(mant []byte) (d uint64, nd int) {
	for _, c := range mant {
		if '0' <= c && c <= '9' {
			d = d*10 + uint64(c-'0')
			nd++
		}
	}
	return d, nd
}

// numDyadic writes d × 10^k as odd × 2^p; ok is false when it is not a
// dyadic rational or odd does not fit a uint64 (then it equals no float
// nor any midpoint between floats).
func numDyadic(d uint64, k int) (odd uint64, p int, ok bool) {
	if d == 0 {
		return 0, 0, false
	}
	t := bits.TrailingZeros64(d)
	odd, p = d>>t, t+k
	switch {
	case k >= 0 && k < len(numPow5):
		hi, lo := bits.Mul64(odd, numPow5[k])
		return lo, p, hi == 0
	case k < 0 && -k < len(numPow5) && odd%numPow5[-k] == 0:
		return odd / numPow5[-k], p, true
	}
	return 0, 0, false
}

// numBinary writes |v| (a float64, or a float32 when size is 32) as
// m × 2^e; pow2 reports a power of two above the smallest normal, whose
// lower neighbour is nearer than its upper one.
func numBinary(v float64, size int) (m uint64, e int, pow2 bool) {
	if size == 32 {
		b := math.Float32bits(float32(v)) &^ (1 << 31)
		m, e = uint64(b&(1<<23-1)), int(b>>23)
		pow2 = m == 0 && e > 1
		if e == 0 {
			e = 1
		} else {
			m |= 1 << 23
		}
		return m, e - 150, pow2
	}
	b := math.Float64bits(v) &^ (1 << 63)
	m, e = b&(1<<52-1), int(b>>52)
	pow2 = m == 0 && e > 1
	if e == 0 {
		e = 1
	} else {
		m |= 1 << 52
	}
	return m, e - 1075, pow2
}

// numOnMidpoint: the decimal mant × 10^exp10 (exp10 the exponent of its
// first digit) is exactly halfway between |v| and a neighbour: the upper
// midpoint is (2m+1) × 2^(e-1), the lower (2m-1) × 2^(e-1), or
// (4m-1) × 2^(e-2) below a power of two.
func numOnMidpoint(v float64, size int, mant []byte, exp10 int) bool {
	d, nd := numDigits(mant)
	odd, p, ok := numDyadic(d, exp10-(nd-1))
	if !ok {
		return false
	}
	m, e, pow2 := numBinary(v, size)
	if odd == 2*m+1 && p == e-1 {
		return true
	}
	if pow2 {
		return odd == 4*m-1 && p == e-2
	}
	return odd == 2*m-1 && p == e-1
}

// numOnTie: |v| is exactly halfway between mant × 10^exp10 and its
// neighbour of as many digits, the one case where strconv's shortest
// rounds up but the server's rounds to even.
func numOnTie(v float64, size int, mant []byte, exp10 int) bool {
	d, nd := numDigits(mant)
	m, e, _ := numBinary(v, size)
	if m == 0 {
		return false
	}
	t := bits.TrailingZeros64(m)
	m, e = m>>t, e+t
	for _, dd := range [2]uint64{10*d + 5, 10*d - 5} {
		if odd, p, ok := numDyadic(dd, exp10-nd); ok && odd == m && p == e {
			return true
		}
	}
	return false
}

func numFloatBinaryToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	if t.OID == 700 {
		if len(src) != 4 {
			return dst, malformed(t, "binary to text", "%d bytes, want 4", len(src))
		}
		return appendFloat4Text(dst, math.Float32frombits(binary.BigEndian.Uint32(src))), nil
	}
	if len(src) != 8 {
		return dst, malformed(t, "binary to text", "%d bytes, want 8", len(src))
	}
	return appendFloat8Text(dst, math.Float64frombits(binary.BigEndian.Uint64(src))), nil
}

func numDecodeFloat(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	return Float64(t.OID, kind, src)
}

// Float64 returns the value of a float4, float8 or numeric column in
// either form. A numeric becomes the nearest float64 (as numeric::float8
// does), not only an exactly representable one: use Numeric for exact
// values. One beyond float64's range, or non-zero but too small for any
// float64, is ErrRange; NaN and ±Infinity carry over. It does not
// allocate, except for a numeric of more than 48 significant digits.
func Float64(oid uint32, kind codec.ColumnKind, src []byte) (float64, error) {
	if oid == 701 && kind == codec.ColumnBinary && len(src) == 8 {
		return math.Float64frombits(binary.BigEndian.Uint64(src)), nil
	}
	return float64Of(oid, kind, src)
}

func float64Of(oid uint32, kind codec.ColumnKind, src []byte) (float64, error) {
	const op = "decode float64"
	t, err := typeOf(oid, op)
	if err != nil {
		return 0, err
	}
	if err := numKind(t, op, kind); err != nil {
		return 0, err
	}
	switch oid {
	case 700, 701:
	case 1700:
		return numNumericFloat64(t, op, kind, src)
	default:
		return 0, wrongType(t, op)
	}
	if kind == codec.ColumnBinary {
		switch {
		case oid == 700 && len(src) == 4:
			return float64(math.Float32frombits(binary.BigEndian.Uint32(src))), nil
		case oid == 701 && len(src) == 8:
			return math.Float64frombits(binary.BigEndian.Uint64(src)), nil
		}
		return 0, malformed(t, op, "%d bytes", len(src))
	}
	bits := 64
	if oid == 700 {
		bits = 32
	}
	return numParseFloat(t, op, numTrimSpace(src), bits)
}

// numParseFloat reads a float as float4in/float8in do (strconv takes the
// same spellings of NaN and Infinity, in any case). Like them, it calls a
// non-zero value that rounds to zero out of range, where strconv does not.
func numParseFloat(t *Type, op string, s []byte, bits int) (float64, error) {
	f, err := strconv.ParseFloat(string(s), bits)
	if err != nil {
		if e, ok := err.(*strconv.NumError); ok && e.Err == strconv.ErrRange {
			return 0, numRange(t, op, "%q beyond the type's range", s)
		}
		return 0, malformed(t, op, "text %q is not a number", s)
	}
	if f == 0 && numNonzeroMantissa(s) {
		return 0, numRange(t, op, "%q beyond the type's range", s)
	}
	return f, nil
}

// numNonzeroMantissa: a digit before the exponent is not zero (in hex
// floats too, whose 'x' is skipped and whose exponent starts at 'p').
func numNonzeroMantissa(s []byte) bool {
	hex := len(s) > 2 && (s[1] == 'x' || s[1] == 'X' || len(s) > 3 && (s[2] == 'x' || s[2] == 'X'))
	for i, c := range s {
		switch {
		case c == 'p' || c == 'P' || !hex && (c == 'e' || c == 'E'):
			return false
		case c == 'x' || c == 'X':
		case '1' <= c && c <= '9', hex && i > 0 && ('a' <= c|0x20 && c|0x20 <= 'f'):
			return true
		}
	}
	return false
}

// AppendFloat64Binary appends the binary form of v as a float4 or float8.
// A float4 gets the nearest float32; a finite v beyond float32's range is
// ErrRange.
func AppendFloat64Binary(dst []byte, oid uint32, v float64) ([]byte, error) {
	f32, err := numFloatCheck(oid, "encode float64", v)
	if err != nil {
		return dst, err
	}
	if oid == 700 {
		return binary.BigEndian.AppendUint32(dst, math.Float32bits(f32)), nil
	}
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(v)), nil
}

// AppendFloat64Text appends the text the server prints for v as a float4
// or float8, under the same rules as AppendFloat64Binary.
func AppendFloat64Text(dst []byte, oid uint32, v float64) ([]byte, error) {
	f32, err := numFloatCheck(oid, "encode float64", v)
	if err != nil {
		return dst, err
	}
	if oid == 700 {
		return appendFloat4Text(dst, f32), nil
	}
	return appendFloat8Text(dst, v), nil
}

func numFloatCheck(oid uint32, op string, v float64) (float32, error) {
	t, err := typeOf(oid, op)
	if err != nil {
		return 0, err
	}
	switch oid {
	case 701:
		return 0, nil
	case 700:
		f := float32(v)
		if math.IsInf(float64(f), 0) && !math.IsInf(v, 0) {
			return 0, numRange(t, op, "%g beyond float4", v)
		}
		return f, nil
	}
	return 0, wrongType(t, op)
}
