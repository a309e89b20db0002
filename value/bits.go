package value

import (
	"encoding/binary"

	"github.com/pgwal/pgwal/codec"
)

// bit and varbit: bit_send and varbit_send write the length in bits
// (int32) and the bits, most significant first, padded with zero bits to a
// whole byte; the text is one '0' or '1' a bit.

const (
	strOIDBit    = 1560
	strOIDVarbit = 1562
)

func init() {
	register(
		&Type{OID: strOIDBit, Name: "bit", Category: CategoryBitString, Array: 1561, BinaryToText: strBitsToText, Decode: strDecodeBits},
		&Type{OID: strOIDVarbit, Name: "varbit", Category: CategoryBitString, Array: 1563, BinaryToText: strBitsToText, Decode: strDecodeBits},
	)
}

// Bits is a bit string: Len bits, most significant first, in Bytes
// ((Len+7)/8 bytes; the pad bits of the last byte are zero).
type Bits struct {
	Len   int
	Bytes []byte
}

// Bit reports bit i (0 or 1).
func (b Bits) Bit(i int) byte { return b.Bytes[i/8] >> (7 - uint(i%8)) & 1 }

func strBitsBinary(t *Type, op string, src []byte) (Bits, error) {
	if len(src) < 4 {
		return Bits{}, malformed(t, op, "%d bytes, want at least 4", len(src))
	}
	n := int32(binary.BigEndian.Uint32(src))
	if n < 0 || int64(len(src)-4) != (int64(n)+7)/8 {
		return Bits{}, malformed(t, op, "%d bits in %d bytes", n, len(src)-4)
	}
	return Bits{Len: int(n), Bytes: src[4:]}, nil
}

func strBitsToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	b, err := strBitsBinary(t, "binary to text", src)
	if err != nil {
		return dst, err
	}
	return AppendBitsText(dst, b), nil
}

// AppendBitsText appends b as bit_out and varbit_out print it.
func AppendBitsText(dst []byte, b Bits) []byte {
	for i := 0; i < b.Len; i++ {
		dst = append(dst, '0'+b.Bit(i))
	}
	return dst
}

// AppendBitsBinary appends the binary form of b, zeroing its pad bits;
// b.Bytes must hold at least (b.Len+7)/8 bytes.
func AppendBitsBinary(dst []byte, b Bits) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(b.Len))
	n := (b.Len + 7) / 8
	dst = append(dst, b.Bytes[:n]...)
	if r := b.Len % 8; r != 0 {
		dst[len(dst)-1] &= 0xff << (8 - uint(r))
	}
	return dst
}

// AppendBits returns a bit or varbit value: from the binary form with
// Bytes a view of src (dst unused), from the text form (0s and 1s; a
// leading B for bits or X for hex digits, as bit_in accepts) with Bytes
// decoded onto dst.
func AppendBits(dst []byte, oid uint32, kind codec.ColumnKind, src []byte) (Bits, error) {
	const op = "bits"
	t, err := typeOf(oid, op)
	if err != nil {
		return Bits{}, err
	}
	if oid != strOIDBit && oid != strOIDVarbit {
		return Bits{}, wrongType(t, op)
	}
	if err := strKind(t, op, kind); err != nil {
		return Bits{}, err
	}
	if kind == codec.ColumnBinary {
		return strBitsBinary(t, op, src)
	}
	s, hex := src, false
	if len(s) > 0 && (s[0] == 'b' || s[0] == 'B') {
		s = s[1:]
	} else if len(s) > 0 && (s[0] == 'x' || s[0] == 'X') {
		s, hex = s[1:], true
	}
	n, nbits := len(dst), 0
	for _, c := range s {
		var v, w int
		if hex {
			v, w = strHexVal(c), 4
		} else if c == '0' || c == '1' {
			v, w = int(c-'0'), 1
		} else {
			v = -1
		}
		if v < 0 {
			return Bits{}, malformed(t, op, "bad digit %q", c)
		}
		for k := w - 1; k >= 0; k-- {
			if nbits%8 == 0 {
				dst = append(dst, 0)
			}
			dst[len(dst)-1] |= byte(v>>k&1) << (7 - uint(nbits%8))
			nbits++
		}
	}
	return Bits{Len: nbits, Bytes: dst[n:]}, nil
}

func strDecodeBits(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	// A copy from either form: the caller may keep it past the message.
	if kind == codec.ColumnBinary {
		src = append([]byte(nil), src...)
		return AppendBits(nil, t.OID, kind, src)
	}
	return AppendBits(make([]byte, 0, len(src)/8+1), t.OID, kind, src)
}
