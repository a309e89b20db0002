package codec

import "encoding/binary"

// Test vectors are built field by field from the protocol's layout tables,
// independently of the encoders they check.

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func b1(v byte) []byte     { return []byte{v} }
func b2(v uint16) []byte   { return binary.BigEndian.AppendUint16(nil, v) }
func b4(v uint32) []byte   { return binary.BigEndian.AppendUint32(nil, v) }
func b8(v uint64) []byte   { return binary.BigEndian.AppendUint64(nil, v) }
func str(s string) []byte  { return append([]byte(s), 0) }
func text(s string) []byte { return cat(b1('t'), b4(uint32(len(s))), []byte(s)) }
func bin(s string) []byte  { return cat(b1('b'), b4(uint32(len(s))), []byte(s)) }
