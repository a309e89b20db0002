package value

import (
	"encoding/binary"
	"strconv"

	"github.com/pgwal/pgwal/codec"
)

// int2vector and oidvector send themselves with array_send: ndim (always
// 1, even when empty), a has-nulls flag (0), the element type, the length
// and lower bound (0) of the one dimension, then each element as a length
// and its binary form. Their text is the elements separated by spaces.

const (
	strOIDInt2Vector = 22
	strOIDOIDVector  = 30
	strOIDInt2       = 21
	strOIDOID        = 26
)

func init() {
	// pg_type gives both a typelem (int2, oid) and category A, but they are
	// not array types of their elements, so Elem stays 0.
	register(
		&Type{OID: strOIDInt2Vector, Name: "int2vector", Category: CategoryArray, Array: 1006, BinaryToText: strVectorToText, Decode: strDecodeVector},
		&Type{OID: strOIDOIDVector, Name: "oidvector", Category: CategoryArray, Array: 1013, BinaryToText: strVectorToText, Decode: strDecodeVector},
	)
}

// strVector checks the binary header and returns the element size, the
// count and the elements' bytes.
func strVector(t *Type, op string, src []byte) (size, n int, elems []byte, err error) {
	elem, size := uint32(strOIDInt2), 2
	if t.OID == strOIDOIDVector {
		elem, size = strOIDOID, 4
	}
	if len(src) < 20 {
		return 0, 0, nil, malformed(t, op, "%d bytes, want at least 20", len(src))
	}
	be := binary.BigEndian
	if be.Uint32(src) != 1 || be.Uint32(src[4:]) != 0 || be.Uint32(src[8:]) != elem || be.Uint32(src[16:]) != 0 {
		return 0, 0, nil, malformed(t, op, "bad array header")
	}
	count := be.Uint32(src[12:])
	elems = src[20:]
	if uint64(count)*uint64(4+size) != uint64(len(elems)) {
		return 0, 0, nil, malformed(t, op, "%d elements in %d bytes", count, len(elems))
	}
	for i := 0; i < len(elems); i += 4 + size {
		if be.Uint32(elems[i:]) != uint32(size) {
			return 0, 0, nil, malformed(t, op, "element %d: bad length", i/(4+size))
		}
	}
	return size, int(count), elems, nil
}

func strVectorToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	size, n, elems, err := strVector(t, "binary to text", src)
	if err != nil {
		return dst, err
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ' ')
		}
		e := elems[i*(4+size)+4:]
		if size == 2 {
			dst = strconv.AppendInt(dst, int64(int16(binary.BigEndian.Uint16(e))), 10)
		} else {
			dst = strconv.AppendUint(dst, uint64(binary.BigEndian.Uint32(e)), 10)
		}
	}
	return dst, nil
}

// strDecodeVector returns []int16 for int2vector and []uint32 for
// oidvector, from either form.
func strDecodeVector(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	const op = "decode"
	if err := strKind(t, op, kind); err != nil {
		return nil, err
	}
	var i2 []int16
	var oids []uint32
	add := func(v int64) bool {
		if t.OID == strOIDInt2Vector {
			if v < -1<<15 || v >= 1<<15 {
				return false
			}
			i2 = append(i2, int16(v))
		} else {
			if v < 0 || v >= 1<<32 {
				return false
			}
			oids = append(oids, uint32(v))
		}
		return true
	}
	if kind == codec.ColumnBinary {
		size, n, elems, err := strVector(t, op, src)
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i++ {
			e := elems[i*(4+size)+4:]
			if size == 2 {
				add(int64(int16(binary.BigEndian.Uint16(e))))
			} else {
				add(int64(binary.BigEndian.Uint32(e)))
			}
		}
	} else {
		for i := 0; i < len(src); {
			if src[i] == ' ' {
				i++
				continue
			}
			j := i
			for j < len(src) && src[j] != ' ' {
				j++
			}
			v, err := strconv.ParseInt(string(src[i:j]), 10, 64)
			if err != nil || !add(v) {
				return nil, malformed(t, op, "bad element %q", src[i:j])
			}
			i = j
		}
	}
	if t.OID == strOIDInt2Vector {
		if i2 == nil {
			i2 = []int16{}
		}
		return i2, nil
	}
	if oids == nil {
		oids = []uint32{}
	}
	return oids, nil
}

func strAppendVectorHeader(dst []byte, elem uint32, n int) []byte {
	be := binary.BigEndian
	dst = be.AppendUint32(dst, 1)
	dst = be.AppendUint32(dst, 0)
	dst = be.AppendUint32(dst, elem)
	dst = be.AppendUint32(dst, uint32(n))
	return be.AppendUint32(dst, 0)
}

// AppendInt2VectorBinary appends the binary form of the int2vector v.
func AppendInt2VectorBinary(dst []byte, v []int16) []byte {
	dst = strAppendVectorHeader(dst, strOIDInt2, len(v))
	for _, x := range v {
		dst = binary.BigEndian.AppendUint32(dst, 2)
		dst = binary.BigEndian.AppendUint16(dst, uint16(x))
	}
	return dst
}

// AppendOIDVectorBinary appends the binary form of the oidvector v.
func AppendOIDVectorBinary(dst []byte, v []uint32) []byte {
	dst = strAppendVectorHeader(dst, strOIDOID, len(v))
	for _, x := range v {
		dst = binary.BigEndian.AppendUint32(dst, 4)
		dst = binary.BigEndian.AppendUint32(dst, x)
	}
	return dst
}

// AppendInt2VectorText appends the text form of the int2vector v.
func AppendInt2VectorText(dst []byte, v []int16) []byte {
	for i, x := range v {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = strconv.AppendInt(dst, int64(x), 10)
	}
	return dst
}

// AppendOIDVectorText appends the text form of the oidvector v.
func AppendOIDVectorText(dst []byte, v []uint32) []byte {
	for i, x := range v {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = strconv.AppendUint(dst, uint64(x), 10)
	}
	return dst
}
