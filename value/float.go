package value

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/pgwal/pgwal/codec"
)

// float4 and float8.
//
// With extra_float_digits > 0 (wire pins 3) the server prints the shortest
// decimal that reads back as the same float (Ryū, src/common/d2s.c and
// f2s.c): the digits strconv's shortest formatting gives, laid out by a
// rule of the server's own. With d the decimal exponent of the first
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
	i := len(e) - 4
	for e[i] != 'e' {
		i--
	}
	exp := 0
	for _, c := range e[i+2:] {
		exp = exp*10 + int(c-'0')
	}
	if e[i+1] == '-' {
		exp = -exp
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
// does); one beyond float64's range is ErrRange, and NaN and ±Infinity
// carry over.
func Float64(oid uint32, kind codec.ColumnKind, src []byte) (float64, error) {
	const op = "decode float64"
	t, err := numTypeOf(oid, op)
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
		return 0, numWrongType(t, op)
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
	t, err := numTypeOf(oid, op)
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
	return 0, numWrongType(t, op)
}
