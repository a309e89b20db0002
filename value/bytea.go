package value

import (
	"github.com/pgwal/pgwal/codec"
)

// bytea: the binary form is the bytes; the text form is what byteaout
// prints under the default bytea_output hex: \x and two lower-case hex
// digits a byte.

func init() {
	register(&Type{OID: strOIDBytea, Name: "bytea", Category: CategoryUser, Array: 1001, BinaryToText: strByteaToText, Decode: strDecodeBytea})
}

const strLowerHex = "0123456789abcdef"

func strByteaToText(dst []byte, _ *Type, _ int32, src []byte) ([]byte, error) {
	return AppendByteaText(dst, src), nil
}

// AppendByteaText appends the hex text form of the bytes v.
func AppendByteaText(dst []byte, v []byte) []byte {
	dst = append(dst, '\\', 'x')
	for _, c := range v {
		dst = append(dst, strLowerHex[c>>4], strLowerHex[c&15])
	}
	return dst
}

// AppendByteaBinary appends the binary form of the bytes v: v itself.
func AppendByteaBinary(dst []byte, v []byte) []byte { return append(dst, v...) }

// AppendBytes appends to dst the bytes of a bytea value from either form:
// the binary form as is; the text form decoded from hex (\x…, whitespace
// between digit pairs allowed, as byteain does) or from the escape format
// (\\ for a backslash, \ooo for any byte).
func AppendBytes(dst []byte, oid uint32, kind codec.ColumnKind, src []byte) ([]byte, error) {
	const op = "bytes"
	t, err := typeOf(oid, op)
	if err != nil {
		return dst, err
	}
	if oid != strOIDBytea {
		return dst, wrongType(t, op)
	}
	if err := strKind(t, op, kind); err != nil {
		return dst, err
	}
	if kind == codec.ColumnBinary {
		return append(dst, src...), nil
	}
	if len(src) >= 2 && src[0] == '\\' && src[1] == 'x' {
		return strHexDecode(dst, t, op, src[2:])
	}
	return strEscapeDecode(dst, t, op, src)
}

func strHexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func strHexDecode(dst []byte, t *Type, op string, s []byte) ([]byte, error) {
	n := len(dst)
	for i := 0; i < len(s); {
		switch s[i] {
		case ' ', '\n', '\t', '\r':
			i++
			continue
		}
		if i+1 >= len(s) {
			return dst[:n], malformed(t, op, "odd number of hex digits")
		}
		hi, lo := strHexVal(s[i]), strHexVal(s[i+1])
		if hi < 0 || lo < 0 {
			return dst[:n], malformed(t, op, "invalid hex digit at byte %d", i+2)
		}
		dst = append(dst, byte(hi<<4|lo))
		i += 2
	}
	return dst, nil
}

func strEscapeDecode(dst []byte, t *Type, op string, s []byte) ([]byte, error) {
	n := len(dst)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c != '\\':
			dst = append(dst, c)
			i++
		case i+1 < len(s) && s[i+1] == '\\':
			dst = append(dst, '\\')
			i += 2
		case i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' && strIsOctal(s[i+2]) && strIsOctal(s[i+3]):
			dst = append(dst, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 4
		default:
			return dst[:n], malformed(t, op, "bad escape at byte %d", i)
		}
	}
	return dst, nil
}

func strDecodeBytea(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	// A copy: the caller may keep it past the message.
	b, err := AppendBytes(make([]byte, 0, len(src)), t.OID, kind, src)
	if err != nil {
		return nil, err
	}
	return b, nil
}
