package value

import (
	"bytes"
	"net"
	"net/netip"
	"strconv"
	"unsafe"

	"github.com/pgwal/pgwal/codec"
)

// inet, cidr, macaddr, macaddr8.
//
// inet_send and cidr_send write family (2 for IPv4, 3 for IPv6: AF_INET
// and AF_INET+1 whatever the platform), mask bits, an is-cidr byte, the
// address length and the address. Whether /n is printed depends on the
// type, not on that byte: inet omits /32 and /128, cidr always prints it.

const (
	strOIDInet     = 869
	strOIDCidr     = 650
	strOIDMacaddr  = 829
	strOIDMacaddr8 = 774

	strFamilyV4 = 2
	strFamilyV6 = 3
)

func init() {
	register(
		&Type{OID: strOIDInet, Name: "inet", Category: CategoryNetwork, Array: 1041, BinaryToText: strInetToText, Decode: strDecodeInet},
		&Type{OID: strOIDCidr, Name: "cidr", Category: CategoryNetwork, Array: 651, BinaryToText: strInetToText, Decode: strDecodeInet},
		&Type{OID: strOIDMacaddr, Name: "macaddr", Category: CategoryUser, Array: 1040, BinaryToText: strMacToText, Decode: strDecodeMac},
		&Type{OID: strOIDMacaddr8, Name: "macaddr8", Category: CategoryUser, Array: 775, BinaryToText: strMacToText, Decode: strDecodeMac},
	)
}

// strInetBinary reads the binary form into a prefix that keeps the host
// bits (inet 192.168.1.5/24 is not 192.168.1.0/24).
func strInetBinary(t *Type, op string, src []byte) (netip.Prefix, error) {
	if len(src) < 4 {
		return netip.Prefix{}, malformed(t, op, "%d bytes, want at least 4", len(src))
	}
	family, bits, n := src[0], int(src[1]), int(src[3])
	var a netip.Addr
	switch {
	case family == strFamilyV4 && n == 4 && len(src) == 8 && bits <= 32:
		a = netip.AddrFrom4([4]byte(src[4:]))
	case family == strFamilyV6 && n == 16 && len(src) == 20 && bits <= 128:
		a = netip.AddrFrom16([16]byte(src[4:]))
	default:
		return netip.Prefix{}, malformed(t, op, "family %d, %d bits, %d address bytes in %d", family, bits, n, len(src))
	}
	return netip.PrefixFrom(a, bits), nil
}

func strInetToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	p, err := strInetBinary(t, "binary to text", src)
	if err != nil {
		return dst, err
	}
	return AppendPrefixText(dst, p, t.OID == strOIDCidr), nil
}

// AppendPrefixText appends the valid prefix p as inet_out (cidr false) or cidr_out (cidr
// true) prints it: all four IPv4 octets; IPv6 in lower-case hex with the
// longest run of two or more zero groups as ::, and the last 32 bits as a
// dotted quad for ::a.b.c.d and ::ffff:a.b.c.d; then /bits unless an inet
// covers one host. A 16-byte p stays IPv6 (::ffff:1.2.3.4), a 4-byte one
// IPv4.
func AppendPrefixText(dst []byte, p netip.Prefix, cidr bool) []byte {
	a := p.Addr()
	if a.Is4() {
		b := a.As4()
		for i, c := range b {
			if i > 0 {
				dst = append(dst, '.')
			}
			dst = strconv.AppendUint(dst, uint64(c), 10)
		}
	} else {
		dst = strAppendIPv6(dst, a.As16())
	}
	if cidr || p.Bits() != a.BitLen() {
		dst = append(dst, '/')
		dst = strconv.AppendUint(dst, uint64(p.Bits()), 10)
	}
	return dst
}

// strAppendIPv6 is inet_net_ntop_ipv6's formatting.
func strAppendIPv6(dst []byte, b [16]byte) []byte {
	var w [8]uint16
	for i := range w {
		w[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	best, bestLen, cur, curLen := -1, 0, -1, 0
	for i, v := range w {
		if v == 0 {
			if cur < 0 {
				cur, curLen = i, 0
			}
			curLen++
			if curLen > bestLen {
				best, bestLen = cur, curLen
			}
		} else {
			cur = -1
		}
	}
	if bestLen < 2 {
		best = -1
	}
	for i := 0; i < 8; i++ {
		if best >= 0 && i >= best && i < best+bestLen {
			if i == best {
				dst = append(dst, ':')
			}
			continue
		}
		if i != 0 {
			dst = append(dst, ':')
		}
		if i == 6 && best == 0 && (bestLen == 6 || (bestLen == 7 && w[7] != 1) || (bestLen == 5 && w[5] == 0xffff)) {
			for j := 12; j < 16; j++ {
				if j > 12 {
					dst = append(dst, '.')
				}
				dst = strconv.AppendUint(dst, uint64(b[j]), 10)
			}
			return dst
		}
		dst = strconv.AppendUint(dst, uint64(w[i]), 16)
	}
	if best >= 0 && best+bestLen == 8 {
		dst = append(dst, ':')
	}
	return dst
}

// AppendPrefixBinary appends the binary form of the valid prefix p as an
// inet (cidr false) or a cidr. For a cidr the host bits of p should be
// zero; the server rejects them.
func AppendPrefixBinary(dst []byte, p netip.Prefix, cidr bool) []byte {
	a := p.Addr()
	var isCidr byte
	if cidr {
		isCidr = 1
	}
	if a.Is4() {
		b := a.As4()
		dst = append(dst, strFamilyV4, byte(p.Bits()), isCidr, 4)
		return append(dst, b[:]...)
	}
	b := a.As16()
	dst = append(dst, strFamilyV6, byte(p.Bits()), isCidr, 16)
	return append(dst, b[:]...)
}

// Prefix returns an inet or cidr value, from either form, as an address
// and mask length; the address keeps an inet's host bits.
func Prefix(oid uint32, kind codec.ColumnKind, src []byte) (netip.Prefix, error) {
	const op = "prefix"
	t, err := typeOf(oid, op)
	if err != nil {
		return netip.Prefix{}, err
	}
	if oid != strOIDInet && oid != strOIDCidr {
		return netip.Prefix{}, wrongType(t, op)
	}
	if err := strKind(t, op, kind); err != nil {
		return netip.Prefix{}, err
	}
	if kind == codec.ColumnBinary {
		return strInetBinary(t, op, src)
	}
	return strInetText(t, op, src)
}

// strInetText reads the text inet_out and cidr_out print (not every
// abbreviation inet_in accepts, such as cidr 10/8).
func strInetText(t *Type, op string, src []byte) (netip.Prefix, error) {
	s, bits := src, -1
	if i := bytes.IndexByte(src, '/'); i >= 0 {
		n, err := strconv.ParseUint(strView(src[i+1:]), 10, 8)
		if err != nil {
			return netip.Prefix{}, malformed(t, op, "bad mask length")
		}
		s, bits = src[:i], int(n)
	}
	if len(s) == 0 || bytes.IndexByte(s, '%') >= 0 {
		return netip.Prefix{}, malformed(t, op, "bad address")
	}
	a, err := netip.ParseAddr(strView(s))
	if err != nil {
		return netip.Prefix{}, malformed(t, op, "bad address")
	}
	if bits < 0 {
		bits = a.BitLen()
	}
	if bits > a.BitLen() {
		return netip.Prefix{}, malformed(t, op, "mask length %d", bits)
	}
	return netip.PrefixFrom(a, bits), nil
}

// strView is b as a string without a copy, for parsers that neither keep
// nor change their argument (netip rejects zones here before it could
// keep one; strconv keeps nothing on success and we drop its errors).
func strView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Addr returns the address of an inet or cidr value, from either form.
func Addr(oid uint32, kind codec.ColumnKind, src []byte) (netip.Addr, error) {
	p, err := Prefix(oid, kind, src)
	return p.Addr(), err
}

func strDecodeInet(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	return Prefix(t.OID, kind, src)
}

func strMacLen(oid uint32) int {
	if oid == strOIDMacaddr8 {
		return 8
	}
	return 6
}

func strMacToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	if len(src) != strMacLen(t.OID) {
		return dst, malformed(t, "binary to text", "%d bytes, want %d", len(src), strMacLen(t.OID))
	}
	return AppendHardwareAddrText(dst, src), nil
}

// AppendHardwareAddrText appends a macaddr (6 bytes) or macaddr8 (8) as
// macaddr_out and macaddr8_out print it: lower-case hex pairs and colons.
func AppendHardwareAddrText(dst []byte, a net.HardwareAddr) []byte {
	for i, c := range a {
		if i > 0 {
			dst = append(dst, ':')
		}
		dst = append(dst, strLowerHex[c>>4], strLowerHex[c&15])
	}
	return dst
}

// AppendHardwareAddrBinary appends the binary form of a macaddr or
// macaddr8: its bytes.
func AppendHardwareAddrBinary(dst []byte, a net.HardwareAddr) []byte { return append(dst, a...) }

// HardwareAddr returns a macaddr or macaddr8 value. From the binary form it
// is a view of src; from the text form it is decoded into a new slice (one
// allocation; AppendHardwareAddr avoids it).
func HardwareAddr(oid uint32, kind codec.ColumnKind, src []byte) (net.HardwareAddr, error) {
	if kind == codec.ColumnBinary {
		return AppendHardwareAddr(nil, oid, kind, src)
	}
	return AppendHardwareAddr(make([]byte, 0, 8), oid, kind, src)
}

// AppendHardwareAddr returns a macaddr or macaddr8 value: from the binary
// form a view of src (dst unused), from the text form decoded onto dst.
// The text may separate hex pairs with ':', '-' or '.' anywhere; a macaddr8
// given six bytes gets ff:fe in the middle, as macaddr8_in does.
func AppendHardwareAddr(dst []byte, oid uint32, kind codec.ColumnKind, src []byte) (net.HardwareAddr, error) {
	const op = "hardware address"
	t, err := typeOf(oid, op)
	if err != nil {
		return nil, err
	}
	if oid != strOIDMacaddr && oid != strOIDMacaddr8 {
		return nil, wrongType(t, op)
	}
	if err := strKind(t, op, kind); err != nil {
		return nil, err
	}
	want := strMacLen(oid)
	if kind == codec.ColumnBinary {
		if len(src) != want {
			return nil, malformed(t, op, "%d bytes, want %d", len(src), want)
		}
		return src, nil
	}
	n := len(dst)
	for i := 0; i < len(src); {
		switch src[i] {
		case ':', '-', '.':
			i++
			continue
		}
		if i+1 >= len(src) || len(dst)-n == want {
			return nil, malformed(t, op, "bad length")
		}
		hi, lo := strHexVal(src[i]), strHexVal(src[i+1])
		if hi < 0 || lo < 0 {
			return nil, malformed(t, op, "invalid hex digit at byte %d", i)
		}
		dst = append(dst, byte(hi<<4|lo))
		i += 2
	}
	got := dst[n:]
	if len(got) == 6 && want == 8 {
		dst = append(dst, 0, 0)
		copy(dst[n+5:], dst[n+3:n+6])
		dst[n+3], dst[n+4] = 0xff, 0xfe
		got = dst[n:]
	}
	if len(got) != want {
		return nil, malformed(t, op, "%d bytes, want %d", len(got), want)
	}
	return got, nil
}

func strDecodeMac(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	// A copy from either form: the caller may keep it past the message.
	if kind == codec.ColumnBinary {
		src = append([]byte(nil), src...)
	}
	return AppendHardwareAddr(make([]byte, 0, 8), t.OID, kind, src)
}
