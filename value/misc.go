package value

import (
	"encoding/binary"
	"strconv"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// pg_lsn (8 bytes, printed %X/%X) and tid (block uint32, offset uint16,
// printed (block,offset)).

const (
	strOIDPgLSN = 3220
	strOIDTID   = 27
)

func init() {
	register(
		&Type{OID: strOIDPgLSN, Name: "pg_lsn", Category: CategoryUser, Array: 3221, BinaryToText: strLSNToText, Decode: strDecodeLSN},
		&Type{OID: strOIDTID, Name: "tid", Category: CategoryUser, Array: 1010, BinaryToText: strTIDToText, Decode: strDecodeTID},
	)
}

func strLSNToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	if len(src) != 8 {
		return dst, malformed(t, "binary to text", "%d bytes, want 8", len(src))
	}
	return AppendLSNText(dst, lsn.LSN(binary.BigEndian.Uint64(src))), nil
}

// AppendLSNText appends l as pg_lsn_out prints it on PostgreSQL 14–18
// (16/B374D848, no zero padding).
func AppendLSNText(dst []byte, l lsn.LSN) []byte {
	dst, _ = l.AppendText(dst)
	return dst
}

// AppendLSNBinary appends the binary form of l: 8 bytes, big-endian.
func AppendLSNBinary(dst []byte, l lsn.LSN) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(l))
}

// LSN returns a pg_lsn value from either form. The text form is two groups
// of 1 to 8 hex digits around a '/', as pg_lsn_in accepts (so also the
// zero-padded form PostgreSQL 19 prints).
func LSN(oid uint32, kind codec.ColumnKind, src []byte) (lsn.LSN, error) {
	const op = "lsn"
	t, err := typeOf(oid, op)
	if err != nil {
		return 0, err
	}
	if oid != strOIDPgLSN {
		return 0, wrongType(t, op)
	}
	if err := strKind(t, op, kind); err != nil {
		return 0, err
	}
	if kind == codec.ColumnBinary {
		if len(src) != 8 {
			return 0, malformed(t, op, "%d bytes, want 8", len(src))
		}
		return lsn.LSN(binary.BigEndian.Uint64(src)), nil
	}
	var halves [2]uint64
	h, digits := 0, 0
	for _, c := range src {
		v := strHexVal(c)
		switch {
		case c == '/' && h == 0 && digits > 0:
			h, digits = 1, 0
			continue
		case v < 0 || digits == 8:
			return 0, malformed(t, op, "want hex/hex")
		}
		halves[h] = halves[h]<<4 | uint64(v)
		digits++
	}
	if h != 1 || digits == 0 {
		return 0, malformed(t, op, "want hex/hex")
	}
	return lsn.LSN(halves[0]<<32 | halves[1]), nil
}

func strDecodeLSN(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	return LSN(t.OID, kind, src)
}

// TID is a tuple identifier: a block number and an item offset in it.
type TID struct {
	Block  uint32
	Offset uint16
}

// AppendTIDText appends v as tidout prints it: (block,offset).
func AppendTIDText(dst []byte, v TID) []byte {
	dst = append(dst, '(')
	dst = strconv.AppendUint(dst, uint64(v.Block), 10)
	dst = append(dst, ',')
	dst = strconv.AppendUint(dst, uint64(v.Offset), 10)
	return append(dst, ')')
}

// AppendTIDBinary appends the binary form of v: 6 bytes, big-endian.
func AppendTIDBinary(dst []byte, v TID) []byte {
	dst = binary.BigEndian.AppendUint32(dst, v.Block)
	return binary.BigEndian.AppendUint16(dst, v.Offset)
}

func strTIDToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	v, err := strTIDBinary(t, "binary to text", src)
	if err != nil {
		return dst, err
	}
	return AppendTIDText(dst, v), nil
}

func strTIDBinary(t *Type, op string, src []byte) (TID, error) {
	if len(src) != 6 {
		return TID{}, malformed(t, op, "%d bytes, want 6", len(src))
	}
	return TID{Block: binary.BigEndian.Uint32(src), Offset: binary.BigEndian.Uint16(src[4:])}, nil
}

// DecodeTID returns a tid value from either form; the text form is
// (block,offset) in decimal.
func DecodeTID(oid uint32, kind codec.ColumnKind, src []byte) (TID, error) {
	const op = "tid"
	t, err := typeOf(oid, op)
	if err != nil {
		return TID{}, err
	}
	if oid != strOIDTID {
		return TID{}, wrongType(t, op)
	}
	if err := strKind(t, op, kind); err != nil {
		return TID{}, err
	}
	if kind == codec.ColumnBinary {
		return strTIDBinary(t, op, src)
	}
	if len(src) < 5 || src[0] != '(' || src[len(src)-1] != ')' {
		return TID{}, malformed(t, op, "want (block,offset)")
	}
	in := src[1 : len(src)-1]
	comma := -1
	for i, c := range in {
		if c == ',' {
			comma = i
			break
		}
	}
	if comma < 0 {
		return TID{}, malformed(t, op, "want (block,offset)")
	}
	b, ok1 := strDecimal(in[:comma], 1<<32-1)
	o, ok2 := strDecimal(in[comma+1:], 1<<16-1)
	if !ok1 || !ok2 {
		return TID{}, malformed(t, op, "want (block,offset)")
	}
	return TID{Block: uint32(b), Offset: uint16(o)}, nil
}

// strDecimal reads 1 or more decimal digits up to max.
func strDecimal(s []byte, max uint64) (uint64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
		if v > max {
			return 0, false
		}
	}
	return v, true
}

func strDecodeTID(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	return DecodeTID(t.OID, kind, src)
}
