package value

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/pgwal/pgwal/codec"
)

// The integer family: int2, int4, int8, and the unsigned identifiers oid,
// xid, cid, xid8 and the reg* types.
//
// The reg* types (regclass, regtype, ...) travel in binary as bare OIDs.
// Their text form is an object name, which only the catalog can supply, so
// their binary form renders as the number; that is also what the server
// prints for an OID that names nothing. OID 0 renders as the server prints
// it: "-", or "0" for regoper and regoperator.

func init() {
	n := func(oid, arr uint32, name string, cat Category, dec func(*Type, codec.ColumnKind, int32, []byte) (any, error)) *Type {
		return &Type{OID: oid, Name: name, Category: cat, Array: arr, BinaryToText: numIntBinaryToText, Decode: dec}
	}
	register(
		n(21, 1005, "int2", CategoryNumeric, numDecodeInt64),
		n(23, 1007, "int4", CategoryNumeric, numDecodeInt64),
		n(20, 1016, "int8", CategoryNumeric, numDecodeInt64),
		n(26, 1028, "oid", CategoryNumeric, numDecodeInt64),
		n(28, 1011, "xid", CategoryUser, numDecodeInt64),
		n(29, 1012, "cid", CategoryUser, numDecodeInt64),
		n(5069, 271, "xid8", CategoryUser, numDecodeUint64),
		n(24, 1008, "regproc", CategoryNumeric, numDecodeInt64),
		n(2202, 2207, "regprocedure", CategoryNumeric, numDecodeInt64),
		n(2203, 2208, "regoper", CategoryNumeric, numDecodeInt64),
		n(2204, 2209, "regoperator", CategoryNumeric, numDecodeInt64),
		n(2205, 2210, "regclass", CategoryNumeric, numDecodeInt64),
		n(2206, 2211, "regtype", CategoryNumeric, numDecodeInt64),
		n(3734, 3735, "regconfig", CategoryNumeric, numDecodeInt64),
		n(3769, 3770, "regdictionary", CategoryNumeric, numDecodeInt64),
		n(4089, 4090, "regnamespace", CategoryNumeric, numDecodeInt64),
		n(4096, 4097, "regrole", CategoryNumeric, numDecodeInt64),
		n(4191, 4192, "regcollation", CategoryNumeric, numDecodeInt64),
	)
}

// numInt describes how an integer type is stored: its binary size, whether
// it is unsigned, and for reg* types what OID 0 prints as ("" otherwise).
type numInt struct {
	size     int
	unsigned bool
	zero     string
}

func numIntOf(oid uint32) (numInt, bool) {
	switch oid {
	case 21:
		return numInt{size: 2}, true
	case 23:
		return numInt{size: 4}, true
	case 20:
		return numInt{size: 8}, true
	case 26, 28, 29:
		return numInt{size: 4, unsigned: true}, true
	case 5069:
		return numInt{size: 8, unsigned: true}, true
	case 2203, 2204:
		return numInt{size: 4, unsigned: true, zero: "0"}, true
	case 24, 2202, 2205, 2206, 3734, 3769, 4089, 4096, 4191:
		return numInt{size: 4, unsigned: true, zero: "-"}, true
	}
	return numInt{}, false
}

// min and max of the type, as int64 and uint64 bounds.
func (n numInt) bounds() (lo int64, hi uint64) {
	switch {
	case n.unsigned && n.size == 4:
		return 0, 1<<32 - 1
	case n.unsigned:
		return 0, 1<<64 - 1
	case n.size == 2:
		return -1 << 15, 1<<15 - 1
	case n.size == 4:
		return -1 << 31, 1<<31 - 1
	}
	return -1 << 63, 1<<63 - 1
}

func numRange(t *Type, op, format string, args ...any) error {
	return &Error{OID: t.OID, Type: t.Name, Op: op, Err: fmt.Errorf("%w: "+format, append([]any{ErrRange}, args...)...)}
}

// numKind rejects the column kinds that carry no value.
func numKind(t *Type, op string, kind codec.ColumnKind) error {
	switch kind {
	case codec.ColumnText, codec.ColumnBinary:
		return nil
	case codec.ColumnUnchanged:
		return &Error{OID: t.OID, Type: t.Name, Op: op, Err: ErrUnchanged}
	case codec.ColumnNull:
		return malformed(t, op, "NULL has no value")
	}
	return malformed(t, op, "column kind %q", byte(kind))
}

// numIntRaw reads an integer value: the two's complement bits as a uint64
// sign-extended for signed types (so int64(u) is the value), or the value
// for unsigned ones.
func numIntRaw(t *Type, n numInt, op string, kind codec.ColumnKind, src []byte) (uint64, error) {
	if err := numKind(t, op, kind); err != nil {
		return 0, err
	}
	if kind == codec.ColumnBinary {
		if len(src) != n.size {
			return 0, malformed(t, op, "%d bytes, want %d", len(src), n.size)
		}
		switch {
		case n.size == 2:
			return uint64(int64(int16(binary.BigEndian.Uint16(src)))), nil
		case n.size == 4 && n.unsigned:
			return uint64(binary.BigEndian.Uint32(src)), nil
		case n.size == 4:
			return uint64(int64(int32(binary.BigEndian.Uint32(src)))), nil
		}
		return binary.BigEndian.Uint64(src), nil
	}
	s := numTrimSpace(src)
	if n.zero != "" && string(s) == "-" {
		return 0, nil
	}
	neg, mag, ok := numParseDecimal(s)
	if !ok {
		if n.zero != "" {
			return 0, malformed(t, op, "text %q is not an OID (turning a name into an OID needs the catalog)", src)
		}
		return 0, malformed(t, op, "text %q is not an integer", src)
	}
	lo, hi := n.bounds()
	switch {
	case n.unsigned && n.size == 4 && neg && mag <= 1<<31:
		// oidin and xidin take negative numbers as their 32-bit complement.
		return uint64(uint32(-int64(mag))), nil
	case neg && (n.unsigned || mag > uint64(-lo)):
		return 0, numRange(t, op, "%q below the type's minimum", src)
	case neg:
		return -mag, nil
	case mag > hi:
		return 0, numRange(t, op, "%q above the type's maximum", src)
	}
	return mag, nil
}

// numParseDecimal reads [+-]digits; ok is false on a syntax error or a
// magnitude above 2^64-1.
func numParseDecimal(s []byte) (neg bool, mag uint64, ok bool) {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 {
		return false, 0, false
	}
	for i, c := range s {
		if c < '0' || c > '9' {
			return false, 0, false
		}
		d := uint64(c - '0')
		// Nineteen digits always fit in a uint64; only past them is
		// there an overflow to check (a division, so not on every digit).
		if i >= 19 && mag > (1<<64-1-d)/10 {
			return false, 0, false
		}
		mag = mag*10 + d
	}
	return neg, mag, true
}

func numTrimSpace(s []byte) []byte {
	for len(s) > 0 && numIsSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && numIsSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// numIsSpace is isspace in the C locale, which the input functions skip.
func numIsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func numIntBinaryToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	n, _ := numIntOf(t.OID)
	u, err := numIntRaw(t, n, "binary to text", codec.ColumnBinary, src)
	if err != nil {
		return dst, err
	}
	return numAppendInt(dst, n, u), nil
}

func numAppendInt(dst []byte, n numInt, u uint64) []byte {
	switch {
	case n.zero != "" && u == 0:
		return append(dst, n.zero...)
	case n.unsigned:
		return strconv.AppendUint(dst, u, 10)
	}
	return strconv.AppendInt(dst, int64(u), 10)
}

func numDecodeInt64(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	return Int64(t.OID, kind, src)
}

func numDecodeUint64(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	return Uint64(t.OID, kind, src)
}

// Int64 returns the value of an integer column (int2, int4, int8, oid,
// xid, cid, xid8, reg*) in either form. An xid8 above 2^63-1 is ErrRange.
// The text form of a reg* type is a name, which only the catalog can turn
// into an OID: it is ErrMalformed unless it is a number (or "-", OID 0).
// Text is read in decimal, as the server prints it; PostgreSQL 16's
// 0x/0o/0b and 1_000 integer input is not taken.
func Int64(oid uint32, kind codec.ColumnKind, src []byte) (int64, error) {
	// The common binary cases first, before any lookup.
	if kind == codec.ColumnBinary {
		switch {
		case oid == 20 && len(src) == 8:
			return int64(binary.BigEndian.Uint64(src)), nil
		case oid == 23 && len(src) == 4:
			return int64(int32(binary.BigEndian.Uint32(src))), nil
		}
	}
	return int64Of(oid, kind, src)
}

func int64Of(oid uint32, kind codec.ColumnKind, src []byte) (int64, error) {
	const op = "decode int64"
	t, err := typeOf(oid, op)
	if err != nil {
		return 0, err
	}
	n, ok := numIntOf(oid)
	if !ok {
		return 0, wrongType(t, op)
	}
	u, err := numIntRaw(t, n, op, kind, src)
	if err != nil {
		return 0, err
	}
	if n.unsigned && u > 1<<63-1 {
		return 0, numRange(t, op, "%d above 2^63-1", u)
	}
	return int64(u), nil
}

// Uint64 returns the value of an integer column as Int64 does; a negative
// value (of int2, int4 or int8) is ErrRange.
func Uint64(oid uint32, kind codec.ColumnKind, src []byte) (uint64, error) {
	const op = "decode uint64"
	t, err := typeOf(oid, op)
	if err != nil {
		return 0, err
	}
	n, ok := numIntOf(oid)
	if !ok {
		return 0, wrongType(t, op)
	}
	u, err := numIntRaw(t, n, op, kind, src)
	if err != nil {
		return 0, err
	}
	if !n.unsigned && int64(u) < 0 {
		return 0, numRange(t, op, "%d is negative", int64(u))
	}
	return u, nil
}

// numIntCheck finds the integer type oid and checks that v (given as its
// sign and magnitude bits) fits it.
func numIntCheck(oid uint32, op string, v uint64, neg bool) (numInt, error) {
	t, err := typeOf(oid, op)
	if err != nil {
		return numInt{}, err
	}
	n, ok := numIntOf(oid)
	if !ok {
		return n, wrongType(t, op)
	}
	lo, hi := n.bounds()
	if neg && int64(v) < lo || !neg && v > hi {
		if neg {
			return n, numRange(t, op, "%d does not fit", int64(v))
		}
		return n, numRange(t, op, "%d does not fit", v)
	}
	return n, nil
}

func numAppendIntBinary(dst []byte, n numInt, u uint64) []byte {
	switch n.size {
	case 2:
		return binary.BigEndian.AppendUint16(dst, uint16(u))
	case 4:
		return binary.BigEndian.AppendUint32(dst, uint32(u))
	}
	return binary.BigEndian.AppendUint64(dst, u)
}

// AppendInt64Binary appends the binary form of v as a value of the integer
// type oid; a v the type cannot hold is ErrRange.
func AppendInt64Binary(dst []byte, oid uint32, v int64) ([]byte, error) {
	n, err := numIntCheck(oid, "encode int64", uint64(v), v < 0)
	if err != nil {
		return dst, err
	}
	return numAppendIntBinary(dst, n, uint64(v)), nil
}

// AppendInt64Text appends the text the server prints for v as a value of
// the integer type oid (for a reg* type, the number: see the package's
// note on reg* names).
func AppendInt64Text(dst []byte, oid uint32, v int64) ([]byte, error) {
	n, err := numIntCheck(oid, "encode int64", uint64(v), v < 0)
	if err != nil {
		return dst, err
	}
	return numAppendInt(dst, n, uint64(v)), nil
}

// AppendUint64Binary is AppendInt64Binary for an unsigned v (xid8 above
// 2^63-1 needs it).
func AppendUint64Binary(dst []byte, oid uint32, v uint64) ([]byte, error) {
	n, err := numIntCheck(oid, "encode uint64", v, false)
	if err != nil {
		return dst, err
	}
	return numAppendIntBinary(dst, n, v), nil
}

// AppendUint64Text is AppendInt64Text for an unsigned v.
func AppendUint64Text(dst []byte, oid uint32, v uint64) ([]byte, error) {
	n, err := numIntCheck(oid, "encode uint64", v, false)
	if err != nil {
		return dst, err
	}
	return numAppendInt(dst, n, v), nil
}
