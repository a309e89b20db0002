package value

import (
	"github.com/pgwal/pgwal/codec"
)

// uuid: 16 bytes; uuid_out prints them as lower-case 8-4-4-4-12 hex.

const oidUUID = 2950

func init() {
	register(&Type{OID: oidUUID, Name: "uuid", Category: CategoryUser, Array: 2951, BinaryToText: strUUIDToText, Decode: strDecodeUUID})
}

func strUUIDToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	if len(src) != 16 {
		return dst, malformed(t, "binary to text", "%d bytes, want 16", len(src))
	}
	return AppendUUIDText(dst, [16]byte(src)), nil
}

// AppendUUIDText appends u as uuid_out prints it.
func AppendUUIDText(dst []byte, u [16]byte) []byte {
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, strLowerHex[c>>4], strLowerHex[c&15])
	}
	return dst
}

// AppendUUIDBinary appends the binary form of u: its 16 bytes.
func AppendUUIDBinary(dst []byte, u [16]byte) []byte { return append(dst, u[:]...) }

// UUID returns a uuid value from either form. The text form is read as
// uuid_in reads it: 32 hex digits in either case, a hyphen allowed after
// any group of four, the whole optionally in braces.
func UUID(oid uint32, kind codec.ColumnKind, src []byte) ([16]byte, error) {
	if oid == oidUUID && kind == codec.ColumnBinary && len(src) == 16 {
		return [16]byte(src), nil
	}
	return uuidOf(oid, kind, src)
}

func uuidOf(oid uint32, kind codec.ColumnKind, src []byte) ([16]byte, error) {
	const op = "uuid"
	var u [16]byte
	t, err := typeOf(oid, op)
	if err != nil {
		return u, err
	}
	if oid != oidUUID {
		return u, wrongType(t, op)
	}
	if err := strKind(t, op, kind); err != nil {
		return u, err
	}
	if kind == codec.ColumnBinary {
		if len(src) != 16 {
			return u, malformed(t, op, "%d bytes, want 16", len(src))
		}
		return [16]byte(src), nil
	}
	s := src
	if len(s) >= 2 && s[0] == '{' && s[len(s)-1] == '}' {
		s = s[1 : len(s)-1]
	}
	j := 0
	for i := 0; i < 16; i++ {
		if i > 0 && i%2 == 0 && j < len(s) && s[j] == '-' {
			j++
		}
		if j+1 >= len(s) {
			return u, malformed(t, op, "too short")
		}
		hi, lo := strHexVal(s[j]), strHexVal(s[j+1])
		if hi < 0 || lo < 0 {
			return u, malformed(t, op, "invalid hex digit at byte %d", j)
		}
		u[i] = byte(hi<<4 | lo)
		j += 2
	}
	if j != len(s) {
		return u, malformed(t, op, "trailing bytes")
	}
	return u, nil
}

func strDecodeUUID(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	return UUID(t.OID, kind, src)
}
