package value

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/pgwal/pgwal/codec"
)

// genStrPrefix: IPv4 and IPv6 prefixes with host bits, leaning on /0, full
// masks, IPv4-mapped and all-zero IPv6 addresses.
func genStrPrefix() gopter.Gen {
	v4 := gen.SliceOfN(4, gen.UInt8()).Map(func(b []byte) netip.Addr { return netip.AddrFrom4([4]byte(b)) })
	v6 := gen.SliceOfN(16, gen.OneGenOf(gen.Const(uint8(0)), gen.UInt8())).Map(func(b []byte) netip.Addr { return netip.AddrFrom16([16]byte(b)) })
	mapped := v4.Map(func(a netip.Addr) netip.Addr { return netip.AddrFrom16(a.As16()) })
	addr := gen.OneGenOf(v4, v6, mapped, gen.Const(netip.IPv6Unspecified()), gen.Const(netip.AddrFrom4([4]byte{})))
	return gopter.CombineGens(addr, gen.IntRange(0, 128), gen.IntRange(0, 3)).Map(func(v []any) netip.Prefix {
		a := v[0].(netip.Addr)
		bits := v[1].(int) % (a.BitLen() + 1)
		switch v[2].(int) {
		case 0:
			bits = 0
		case 1:
			bits = a.BitLen()
		}
		return netip.PrefixFrom(a, bits)
	})
}

func TestStrNetworkProperties(t *testing.T) {
	p := gopter.NewProperties(nil)
	p.Property("inet and cidr: binary and text decode to the prefix", prop.ForAll(func(pr netip.Prefix, cidr bool) bool {
		oid := uint32(strOIDInet)
		if cidr {
			oid, pr = strOIDCidr, pr.Masked()
		}
		bin := AppendPrefixBinary(nil, pr, cidr)
		txt := AppendPrefixText(nil, pr, cidr)
		r, err := AppendText(nil, oid, -1, bin)
		p1, err1 := Prefix(oid, codec.ColumnBinary, bin)
		p2, err2 := Prefix(oid, codec.ColumnText, txt)
		a, err3 := Addr(oid, codec.ColumnText, txt)
		if err != nil || err1 != nil || err2 != nil || err3 != nil || !bytes.Equal(r, txt) || p1 != pr || p2 != pr || a != pr.Addr() {
			t.Logf("%v: %q %v %v %v %v", pr, txt, p1, p2, err, err2)
			return false
		}
		return true
	}, genStrPrefix(), gen.Bool()))
	p.Property("IPv6 text is what netip reads back (a second formatter agrees)", prop.ForAll(func(pr netip.Prefix) bool {
		a := pr.Addr()
		txt := strAppendIPv6(nil, a.As16())
		back, err := netip.ParseAddr(string(txt))
		return err == nil && back == netip.AddrFrom16(a.As16())
	}, genStrPrefix()))
	p.Property("macaddr and macaddr8: binary and text decode to the bytes", prop.ForAll(func(b []byte) bool {
		oid := uint32(strOIDMacaddr)
		if len(b) == 8 {
			oid = strOIDMacaddr8
		}
		txt := AppendHardwareAddrText(nil, b)
		r, err := AppendText(nil, oid, -1, AppendHardwareAddrBinary(nil, b))
		h1, err1 := HardwareAddr(oid, codec.ColumnText, txt)
		h2, err2 := HardwareAddr(oid, codec.ColumnBinary, b)
		return err == nil && err1 == nil && err2 == nil && bytes.Equal(r, txt) && bytes.Equal(h1, b) && bytes.Equal(h2, b)
	}, gen.OneGenOf(gen.SliceOfN(6, gen.UInt8()), gen.SliceOfN(8, gen.UInt8()))))
	p.TestingRun(t)
}

func TestStrInetText(t *testing.T) {
	good := []struct {
		oid  uint32
		text string
		want netip.Prefix
	}{
		{strOIDInet, "192.168.1.5/24", netip.PrefixFrom(netip.MustParseAddr("192.168.1.5"), 24)},
		{strOIDInet, "10.0.0.1", netip.MustParsePrefix("10.0.0.1/32")},
		{strOIDCidr, "0.0.0.0/0", netip.MustParsePrefix("0.0.0.0/0")},
		{strOIDInet, "::ffff:1.2.3.4", netip.PrefixFrom(netip.MustParseAddr("::ffff:1.2.3.4"), 128)},
		{strOIDInet, "::4.3.2.1/24", netip.PrefixFrom(netip.MustParseAddr("::4.3.2.1"), 24)},
		{strOIDCidr, "::/0", netip.MustParsePrefix("::/0")},
	}
	for _, c := range good {
		p, err := Prefix(c.oid, codec.ColumnText, []byte(c.text))
		if err != nil || p != c.want {
			t.Errorf("%q: %v, %v; want %v", c.text, p, err, c.want)
		}
	}
	for _, bad := range []string{"", "/24", "1.2.3.4/", "1.2.3.4/33", "::/129", "fe80::1%eth0", "1.2.3", "1.2.3.4/+8", "x"} {
		if _, err := Prefix(strOIDInet, codec.ColumnText, []byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	mac := []struct {
		oid        uint32
		text, want string
	}{
		{strOIDMacaddr, "08-00-2B-01-02-03", "\x08\x00\x2b\x01\x02\x03"},
		{strOIDMacaddr, "0800.2b01.0203", "\x08\x00\x2b\x01\x02\x03"},
		{strOIDMacaddr8, "08:00:2b:01:02:03", "\x08\x00\x2b\xff\xfe\x01\x02\x03"},
	}
	for _, c := range mac {
		h, err := HardwareAddr(c.oid, codec.ColumnText, []byte(c.text))
		if err != nil || string(h) != c.want {
			t.Errorf("%q: %x, %v", c.text, h, err)
		}
	}
	for _, bad := range []string{"", "08:00:2b:01:02", "08:00:2b:01:02:03:04", "0g:00:2b:01:02:03", "0800.2b01.020"} {
		if _, err := HardwareAddr(strOIDMacaddr, codec.ColumnText, []byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func ExamplePrefix() {
	// inet_send's bytes for 192.168.1.5/24: family, bits, is-cidr, length,
	// address.
	bin := []byte{2, 24, 0, 4, 192, 168, 1, 5}
	p, _ := Prefix(869, codec.ColumnBinary, bin)
	text, _ := AppendText(nil, 869, -1, bin)
	fmt.Println(p, p.Masked(), string(text))
	// Output: 192.168.1.5/24 192.168.1.0/24 192.168.1.5/24
}
