package value

import (
	"encoding/binary"
	"math"
	"math/big"
	"strconv"

	"github.com/pgwal/pgwal/codec"
)

// numeric's binary form (numeric_send): ndigits, weight, sign and dscale
// as 16-bit integers, then ndigits base-10000 digits, most significant
// first. Digit i is worth 10000^(weight-i); dscale is the number of
// decimal digits printed after the point. The server stores no leading or
// trailing zero digits, so zero is ndigits 0.
const (
	numHeaderLen  = 8
	numSignPos    = 0x0000
	numSignNeg    = 0x4000
	numSignNaN    = 0xC000
	numSignPInf   = 0xD000 // PostgreSQL 14+
	numSignNInf   = 0xF000 // PostgreSQL 14+
	numMaxDScale  = 0x3FFF // the bits dscale has in the on-disk header
	numMaxWeight  = math.MaxInt16
	numFloatStack = 48 // significant digits converted to float64 without allocating
)

var numPow10 = [4]uint16{1, 10, 100, 1000}

func init() {
	register(&Type{OID: 1700, Name: "numeric", Category: CategoryNumeric, Array: 1231,
		BinaryToText: numericBinaryToText,
		Decode: func(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
			var n Numeric
			err := DecodeNumeric(&n, t.OID, kind, src)
			return n, err
		},
	})
}

// NumericKind tells a finite numeric from the special values.
type NumericKind uint8

const (
	NumericFinite NumericKind = iota
	NumericNaN
	NumericInf    // Infinity, PostgreSQL 14+
	NumericNegInf // -Infinity, PostgreSQL 14+
)

// Numeric is an exact numeric value: (-1)^Neg × Digits × 10^Exp, where
// Digits are ASCII decimal digits, with Kind NumericFinite; or NaN or an
// infinity. A negative Exp is the display scale: Digits "12340", Exp -3
// is 12.340, printed with its trailing zero as the server prints it.
//
// The canonical form, which the decoders return: no leading zeros in
// Digits; zero is empty Digits with Neg false and Exp <= 0; a
// non-negative Exp has no trailing zeros left in Digits (1000 is "1"
// with Exp 3). The encoders accept any form.
type Numeric struct {
	Kind   NumericKind
	Neg    bool
	Digits []byte
	Exp    int32
}

// numHeader is numeric's binary header, checked: the length matches
// ndigits, the sign is one the server knows, dscale fits, every digit is
// below 10000.
type numHeader struct {
	groups []byte // ndigits big-endian uint16s
	weight int
	sign   uint16
	dscale int
}

func numParseHeader(t *Type, op string, src []byte) (numHeader, error) {
	if len(src) < numHeaderLen {
		return numHeader{}, malformed(t, op, "%d bytes, want at least %d", len(src), numHeaderLen)
	}
	nd := int(binary.BigEndian.Uint16(src))
	h := numHeader{
		weight: int(int16(binary.BigEndian.Uint16(src[2:]))),
		sign:   binary.BigEndian.Uint16(src[4:]),
		dscale: int(binary.BigEndian.Uint16(src[6:])),
		groups: src[numHeaderLen:],
	}
	// The length is checked against the claimed digit count before
	// anything is done with either.
	if len(h.groups) != 2*nd {
		return h, malformed(t, op, "%d digits in %d bytes", nd, len(src))
	}
	switch h.sign {
	case numSignPos, numSignNeg, numSignNaN, numSignPInf, numSignNInf:
	default:
		return h, malformed(t, op, "sign 0x%04x", h.sign)
	}
	if h.dscale > numMaxDScale {
		return h, malformed(t, op, "display scale %d", h.dscale)
	}
	for i := 0; i < len(h.groups); i += 2 {
		if d := binary.BigEndian.Uint16(h.groups[i:]); d >= 10000 {
			return h, malformed(t, op, "digit %d", d)
		}
	}
	return h, nil
}

// digit returns the decimal digit worth 10^p.
func (h *numHeader) digit(p int) byte {
	g := h.weight - p>>2 // >> floors, also for negative p
	if g < 0 || 2*g >= len(h.groups) {
		return 0
	}
	return byte(binary.BigEndian.Uint16(h.groups[2*g:]) / numPow10[p&3] % 10)
}

// span returns the positions of the most and the least significant
// non-zero digits that survive truncation to dscale (as numeric_recv
// truncates); ok is false when none does (the value is zero).
func (h *numHeader) span() (top, low int, ok bool) {
	n := len(h.groups) / 2
	grp := func(i int) uint16 { return binary.BigEndian.Uint16(h.groups[2*i:]) }
	first := 0
	for first < n && grp(first) == 0 {
		first++
	}
	if first == n {
		return 0, 0, false
	}
	last := n - 1
	for grp(last) == 0 {
		last--
	}
	v := grp(first)
	top = 4*(h.weight-first) + 3
	for d := uint16(1000); v < d; d /= 10 {
		top--
	}
	low = 4 * (h.weight - last)
	for v = grp(last); v%10 == 0; v /= 10 {
		low++
	}
	if low < -h.dscale {
		low = -h.dscale
		for low <= top && h.digit(low) == 0 {
			low++
		}
	}
	return top, low, low <= top
}

func numericBinaryToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	h, err := numParseHeader(t, "binary to text", src)
	if err != nil {
		return dst, err
	}
	switch h.sign {
	case numSignNaN:
		return append(dst, "NaN"...), nil
	case numSignPInf:
		return append(dst, "Infinity"...), nil
	case numSignNInf:
		return append(dst, "-Infinity"...), nil
	}
	top, _, nonzero := h.span()
	if !nonzero {
		// Zero prints unsigned, with its scale.
		top = 0
	} else if h.sign == numSignNeg {
		dst = append(dst, '-')
	}
	if top < 0 {
		top = 0
	}
	dst = h.appendDigits(dst, top, 0)
	if h.dscale > 0 {
		dst = append(dst, '.')
		dst = h.appendDigits(dst, -1, -h.dscale)
	}
	return dst, nil
}

// appendDigits appends the decimal digits worth 10^top down to 10^low.
// They are taken a base-10000 digit at a time, not by a division per
// decimal digit.
func (h *numHeader) appendDigits(dst []byte, top, low int) []byte {
	var four [4]byte
	g := math.MinInt
	for p := top; p >= low; p-- {
		if gp := h.weight - p>>2; gp != g {
			g = gp
			var v uint16
			if g >= 0 && 2*g < len(h.groups) {
				v = binary.BigEndian.Uint16(h.groups[2*g:])
			}
			four = [4]byte{byte('0' + v%10), byte('0' + v/10%10), byte('0' + v/100%10), byte('0' + v/1000)}
		}
		dst = append(dst, four[p&3])
	}
	return dst
}

// DecodeNumeric sets *n to the value of a numeric column in either form,
// in canonical form, reusing n.Digits' memory: with a reused n it does not
// allocate. The text form is what ParseNumeric reads.
func DecodeNumeric(n *Numeric, oid uint32, kind codec.ColumnKind, src []byte) error {
	const op = "decode numeric"
	t, err := typeOf(oid, op)
	if err != nil {
		return err
	}
	if oid != 1700 {
		return wrongType(t, op)
	}
	if err := numKind(t, op, kind); err != nil {
		return err
	}
	if kind == codec.ColumnText {
		v, err := numParseText(n.Digits[:0], t, op, src)
		*n = v
		return err
	}
	h, err := numParseHeader(t, op, src)
	if err != nil {
		return err
	}
	*n = Numeric{Digits: n.Digits[:0]}
	switch h.sign {
	case numSignNaN:
		n.Kind = NumericNaN
		return nil
	case numSignPInf:
		n.Kind = NumericInf
		return nil
	case numSignNInf:
		n.Kind = NumericNegInf
		return nil
	}
	top, low, nonzero := h.span()
	if !nonzero {
		n.Exp = int32(-h.dscale)
		return nil
	}
	if h.dscale > 0 {
		low = -h.dscale
	}
	n.Digits = h.appendDigits(n.Digits, top, low)
	n.Neg = h.sign == numSignNeg
	n.Exp = int32(low)
	return nil
}

// ParseNumeric reads a numeric as numeric_in does: optional white space
// and sign, digits with an optional point and exponent (e.g. "-12.50",
// ".5", "1e-3", "1_000" as PostgreSQL 16 takes it), or NaN, Infinity,
// Inf, in any case. It does not take PostgreSQL 16's 0x/0o/0b integers.
func ParseNumeric(s string) (Numeric, error) {
	t, _ := Lookup(1700)
	return numParseText(nil, t, "parse numeric", []byte(s))
}

// numParseText reads a numeric's text, its digits appended to dst.
func numParseText(dst []byte, t *Type, op string, src []byte) (Numeric, error) {
	n, err := numParseInto(dst, t, op, src)
	if err != nil {
		return Numeric{Digits: dst[:0]}, err
	}
	return n, nil
}

func numParseInto(dst []byte, t *Type, op string, src []byte) (n Numeric, err error) {
	s := numTrimSpace(src)
	n.Digits = dst[:0]
	// NaN takes no sign; the infinities do.
	if numFold(s, "nan") {
		n.Kind = NumericNaN
		return n, nil
	}
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	switch {
	case numFold(s, "infinity"), numFold(s, "inf"):
		n.Kind = NumericInf
		if neg {
			n.Kind = NumericNegInf
		}
		return n, nil
	}
	var exp int64
	seen, point := false, false
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			if c != '0' || len(n.Digits) > 0 {
				n.Digits = append(n.Digits, c)
			}
			if point {
				exp--
			}
			seen = true
			continue
		case c == '.' && !point:
			point = true
			continue
		case c == '_' && i > 0 && i+1 < len(s) && numIsDigit(s[i-1]) && numIsDigit(s[i+1]):
			continue
		}
		break
	}
	if !seen {
		return n, malformed(t, op, "text %q is not a number", src)
	}
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return n, malformed(t, op, "text %q is not a number", src)
		}
		eneg, e, ok := numParseDecimal(s[i+1:])
		if !ok || e > 1<<20 {
			return n, malformed(t, op, "exponent in %q", src)
		}
		if eneg {
			exp -= int64(e)
		} else {
			exp += int64(e)
		}
	}
	// Zeros dropped as leading zeros of the digits may have been trailing
	// zeros of a zero: 0.00 keeps its scale below.
	if len(n.Digits) == 0 {
		n.Exp = int32(min(exp, 0))
		if exp < -numMaxDScale {
			return n, numRange(t, op, "display scale of %q above %d", src, numMaxDScale)
		}
		return n, nil
	}
	for exp >= 0 && n.Digits[len(n.Digits)-1] == '0' {
		n.Digits = n.Digits[:len(n.Digits)-1]
		exp++
	}
	if exp < -numMaxDScale || exp+int64(len(n.Digits))-1 > 4*numMaxWeight+3 {
		return n, numRange(t, op, "%q beyond numeric's range", src)
	}
	n.Neg = neg
	n.Exp = int32(exp)
	return n, nil
}

func numIsDigit(c byte) bool { return '0' <= c && c <= '9' }

// numFold: s is word, in any case.
func numFold(s []byte, word string) bool {
	if len(s) != len(word) {
		return false
	}
	for i, c := range s {
		if c|0x20 != word[i] {
			return false
		}
	}
	return true
}

// numTrim returns n's digits and exponent without leading zeros and,
// where the exponent allows, trailing ones; ok is false for a zero.
func (n Numeric) numTrim() (d []byte, exp int, ok bool, err error) {
	d, exp = n.Digits, int(n.Exp)
	for len(d) > 0 && d[0] == '0' {
		d = d[1:]
	}
	for _, c := range d {
		if !numIsDigit(c) {
			return nil, 0, false, &Error{OID: 1700, Type: "numeric", Op: "encode numeric", Err: ErrMalformed}
		}
	}
	for len(d) > 0 && d[len(d)-1] == '0' && exp >= 0 {
		d = d[:len(d)-1]
		exp++
	}
	return d, exp, len(d) > 0, nil
}

// Scale is the number of digits printed after the point.
func (n Numeric) Scale() int { return max(0, -int(n.Exp)) }

// String returns the text the server prints for n.
func (n Numeric) String() string { return string(n.AppendText(nil)) }

// AppendText appends the text the server prints for n (as for a numeric
// column with no typmod). Digits that are not decimal digits print as
// they are; AppendNumericText rejects them.
func (n Numeric) AppendText(dst []byte) []byte {
	switch n.Kind {
	case NumericNaN:
		return append(dst, "NaN"...)
	case NumericInf:
		return append(dst, "Infinity"...)
	case NumericNegInf:
		return append(dst, "-Infinity"...)
	}
	d := n.Digits
	for len(d) > 0 && d[0] == '0' {
		d = d[1:]
	}
	if len(d) == 0 {
		dst = append(dst, '0')
		if n.Exp < 0 {
			dst = append(dst, '.')
			for i := int32(0); i < -n.Exp; i++ {
				dst = append(dst, '0')
			}
		}
		return dst
	}
	if n.Neg {
		dst = append(dst, '-')
	}
	if n.Exp >= 0 {
		dst = append(dst, d...)
		for i := int32(0); i < n.Exp; i++ {
			dst = append(dst, '0')
		}
		return dst
	}
	scale := int(-n.Exp)
	if len(d) > scale {
		dst = append(dst, d[:len(d)-scale]...)
		dst = append(dst, '.')
		return append(dst, d[len(d)-scale:]...)
	}
	dst = append(dst, "0."...)
	for i := len(d); i < scale; i++ {
		dst = append(dst, '0')
	}
	return append(dst, d...)
}

// numErr is an error about a Numeric value itself.
func numErr(op string, sentinel error, what string) error {
	return &Error{OID: 1700, Type: "numeric", Op: op, Err: &numWrapped{sentinel, what}}
}

type numWrapped struct {
	err  error
	what string
}

func (w *numWrapped) Error() string { return w.err.Error() + ": " + w.what }
func (w *numWrapped) Unwrap() error { return w.err }

// Rat returns n exactly; NaN and the infinities are ErrRange.
func (n Numeric) Rat() (*big.Rat, error) {
	if n.Kind != NumericFinite {
		return nil, numErr("numeric to big.Rat", ErrRange, "not finite")
	}
	d, exp, _, err := n.numTrim()
	if err != nil {
		return nil, err
	}
	var i big.Int
	if len(d) > 0 {
		i.SetString(string(d), 10)
	}
	if n.Neg {
		i.Neg(&i)
	}
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(numAbs(exp))), nil)
	if exp >= 0 {
		return new(big.Rat).SetInt(i.Mul(&i, p)), nil
	}
	return new(big.Rat).SetFrac(&i, p), nil
}

func numAbs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Int returns n as an integer; a fraction (a non-zero digit after the
// point), NaN and the infinities are ErrRange.
func (n Numeric) Int() (*big.Int, error) {
	if n.Kind != NumericFinite {
		return nil, numErr("numeric to big.Int", ErrRange, "not finite")
	}
	d, exp, _, err := n.numTrim()
	if err != nil {
		return nil, err
	}
	for exp < 0 && len(d) > 0 {
		if d[len(d)-1] != '0' {
			return nil, numErr("numeric to big.Int", ErrRange, "not an integer")
		}
		d = d[:len(d)-1]
		exp++
	}
	i := new(big.Int)
	if len(d) == 0 {
		return i, nil
	}
	i.SetString(string(d), 10)
	if exp > 0 {
		i.Mul(i, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
	}
	if n.Neg {
		i.Neg(i)
	}
	return i, nil
}

// Float64 returns the float64 nearest n (as numeric::float8 gives it);
// beyond float64's range, or a non-zero n too small for any float64, is
// ErrRange. NaN and the infinities carry over.
func (n Numeric) Float64() (float64, error) {
	switch n.Kind {
	case NumericNaN:
		return math.NaN(), nil
	case NumericInf:
		return math.Inf(1), nil
	case NumericNegInf:
		return math.Inf(-1), nil
	}
	d, exp, ok, err := n.numTrim()
	if err != nil || !ok {
		return 0, err
	}
	var buf [numFloatStack + 16]byte
	b := buf[:0]
	if len(d) > numFloatStack {
		b = make([]byte, 0, len(d)+16)
	}
	if n.Neg {
		b = append(b, '-')
	}
	b = append(b, d...)
	b = append(b, 'e')
	b = strconv.AppendInt(b, int64(exp), 10)
	t, _ := Lookup(1700)
	return numFiniteFloat(t, "numeric to float64", b)
}

// numFiniteFloat converts the text of a non-zero finite numeric.
func numFiniteFloat(t *Type, op string, b []byte) (float64, error) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f == 0 {
		return 0, numRange(t, op, "beyond float64's range")
	}
	return f, nil
}

func numNumericFloat64(t *Type, op string, kind codec.ColumnKind, src []byte) (float64, error) {
	if kind == codec.ColumnText {
		var digits [numFloatStack]byte
		n, err := numParseText(digits[:0], t, op, src)
		if err != nil {
			return 0, err
		}
		return n.Float64()
	}
	h, err := numParseHeader(t, op, src)
	if err != nil {
		return 0, err
	}
	switch h.sign {
	case numSignNaN:
		return math.NaN(), nil
	case numSignPInf:
		return math.Inf(1), nil
	case numSignNInf:
		return math.Inf(-1), nil
	}
	top, low, nonzero := h.span()
	if !nonzero {
		return 0, nil
	}
	var buf [numFloatStack + 16]byte
	b := buf[:0]
	if top-low+1 > numFloatStack {
		b = make([]byte, 0, top-low+16)
	}
	if h.sign == numSignNeg {
		b = append(b, '-')
	}
	b = h.appendDigits(b, top, low)
	b = append(b, 'e')
	b = strconv.AppendInt(b, int64(low), 10)
	return numFiniteFloat(t, op, b)
}

// AppendNumericText appends the text the server prints for n; Digits that
// are not decimal digits are ErrMalformed.
func AppendNumericText(dst []byte, n Numeric) ([]byte, error) {
	if n.Kind == NumericFinite {
		if _, _, _, err := n.numTrim(); err != nil {
			return dst, err
		}
	}
	return n.AppendText(dst), nil
}

// AppendNumericBinary appends the binary form numeric_send gives n. Digits
// that are not decimal digits are ErrMalformed; a value beyond numeric's
// range (a scale above 16383, more than 131072 digits before the point) is
// ErrRange.
func AppendNumericBinary(dst []byte, n Numeric) ([]byte, error) {
	const op = "encode numeric"
	var sign uint16
	switch n.Kind {
	case NumericNaN:
		sign = numSignNaN
	case NumericInf:
		sign = numSignPInf
	case NumericNegInf:
		sign = numSignNInf
	case NumericFinite:
	default:
		return dst, numErr(op, ErrMalformed, "unknown kind")
	}
	switch sign {
	case numSignNaN:
		return binary.BigEndian.AppendUint64(dst, uint64(sign)<<16), nil
	case numSignPInf, numSignNInf:
		// The server sends an infinity with dscale 32: the bits its
		// short on-disk header keeps for dscale, read from the sign.
		return binary.BigEndian.AppendUint64(dst, uint64(sign)<<16|32), nil
	}
	d, exp, nonzero, err := n.numTrim()
	if err != nil {
		return dst, err
	}
	dscale := max(0, -exp)
	if dscale > numMaxDScale {
		return dst, numErr(op, ErrRange, "display scale above 16383")
	}
	if !nonzero {
		return binary.BigEndian.AppendUint64(dst, uint64(dscale)), nil
	}
	// Drop the trailing zeros the scale keeps: the server stores none.
	for d[len(d)-1] == '0' {
		d = d[:len(d)-1]
		exp++
	}
	top := exp + len(d) - 1
	weight, lowg := top>>2, exp>>2
	if weight > numMaxWeight {
		return dst, numErr(op, ErrRange, "more than 131072 digits before the point")
	}
	if n.Neg {
		sign = numSignNeg
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(weight-lowg+1))
	dst = binary.BigEndian.AppendUint16(dst, uint16(int16(weight)))
	dst = binary.BigEndian.AppendUint16(dst, sign)
	dst = binary.BigEndian.AppendUint16(dst, uint16(dscale))
	for w := weight; w >= lowg; w-- {
		var g uint16
		for q := 3; q >= 0; q-- {
			g *= 10
			if j := top - (4*w + q); j >= 0 && j < len(d) {
				g += uint16(d[j] - '0')
			}
		}
		dst = binary.BigEndian.AppendUint16(dst, g)
	}
	return dst, nil
}
