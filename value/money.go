package value

import (
	"encoding/binary"

	"github.com/pgwal/pgwal/codec"
)

// money is an int64 count of the currency's smallest unit in binary. Its
// text depends on the server's lc_monetary; what is rendered here is the
// "C" locale's form, "$1,234.56" and "-$1,234.56" (two decimals, comma
// thousands separators). Other locales' symbols, separators, decimals and
// sign positions cannot be reproduced without the server's locale data:
// for them, render with numeric's rules from Money's cents, or have the
// server send text.

func init() {
	register(&Type{OID: 790, Name: "money", Category: CategoryNumeric, Array: 791,
		BinaryToText: func(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
			m, err := DecodeMoney(t.OID, codec.ColumnBinary, src)
			if err != nil {
				return dst, err
			}
			return AppendMoneyText(dst, m), nil
		},
		Decode: func(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
			return DecodeMoney(t.OID, kind, src)
		},
	})
}

// Money is an amount of money in hundredths of the currency unit (cents),
// as the binary form carries it.
type Money int64

// String returns the text the server prints for m with lc_monetary "C".
func (m Money) String() string { return string(AppendMoneyText(nil, m)) }

// AppendMoneyText appends the text the server prints for m with
// lc_monetary "C": -$1,234.56.
func AppendMoneyText(dst []byte, m Money) []byte {
	u := uint64(m)
	if m < 0 {
		dst = append(dst, '-')
		u = -u
	}
	dst = append(dst, '$')
	// At least three digits: a zero before the point, two after.
	var buf [24]byte
	i := len(buf)
	for u > 0 || i > len(buf)-3 {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
	}
	d := buf[i:]
	whole := d[:len(d)-2]
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, c)
	}
	dst = append(dst, '.')
	return append(dst, d[len(d)-2:]...)
}

// AppendMoneyBinary appends the binary form of m.
func AppendMoneyBinary(dst []byte, m Money) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(m))
}

// DecodeMoney returns the value of a money column in either form. The
// text form read is the "C" locale's, as AppendMoneyText prints it, also
// without the "$" or the separators, with at most two decimals.
func DecodeMoney(oid uint32, kind codec.ColumnKind, src []byte) (Money, error) {
	const op = "decode money"
	t, err := typeOf(oid, op)
	if err != nil {
		return 0, err
	}
	if oid != 790 {
		return 0, wrongType(t, op)
	}
	if err := numKind(t, op, kind); err != nil {
		return 0, err
	}
	if kind == codec.ColumnBinary {
		if len(src) != 8 {
			return 0, malformed(t, op, "%d bytes, want 8", len(src))
		}
		return Money(binary.BigEndian.Uint64(src)), nil
	}
	s := numTrimSpace(src)
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	if len(s) > 0 && s[0] == '$' {
		s = s[1:]
	}
	if !neg && len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	var u uint64
	digits, frac, point := 0, 0, false
	for i, c := range s {
		switch {
		case numIsDigit(c):
			if point {
				if frac == 2 {
					return 0, malformed(t, op, "text %q has more than two decimals", src)
				}
				frac++
			}
			if u > (1<<64-1)/10 {
				return 0, numRange(t, op, "%q beyond money's range", src)
			}
			u = u*10 + uint64(c-'0')
			digits++
		case c == ',' && !point && digits > 0 && i+1 < len(s):
		case c == '.' && !point:
			point = true
		default:
			return 0, malformed(t, op, "text %q is not an amount", src)
		}
	}
	if digits == 0 {
		return 0, malformed(t, op, "text %q is not an amount", src)
	}
	for ; frac < 2; frac++ {
		if u > (1<<64-1)/10 {
			return 0, numRange(t, op, "%q beyond money's range", src)
		}
		u *= 10
	}
	switch {
	case neg && u <= 1<<63:
		return Money(-u), nil
	case !neg && u < 1<<63:
		return Money(u), nil
	}
	return 0, numRange(t, op, "%q beyond money's range", src)
}
