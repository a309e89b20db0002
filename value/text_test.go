package value

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/pgwal/pgwal/codec"
)

func strHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// strRenderCase: the binary form (hex) and the text the server prints
// for it (confirmed on PostgreSQL 14–18 by TestStrServer's samples, or
// taken from the regression tests' expected output).
type strRenderCase struct {
	oid  uint32
	bin  string
	text string
}

var strRenderCases = []strRenderCase{
	{strOIDText, "", ""},
	{strOIDText, "c3bc e29c93", "ü✓"},
	{strOIDVarchar, "616263", "abc"},
	{strOIDBpchar, "6162202020", "ab   "},
	{strOIDName, "70675f636c617373", "pg_class"},
	{strOIDUnknown, "78", "x"},
	{strOIDChar, "61", "a"},
	{strOIDChar, "00", ""},
	{strOIDChar, "5c", `\`},
	{strOIDChar, "e9", `\351`},
	{strOIDChar, "80", `\200`},
	{strOIDChar, "ff", `\377`},
	{strOIDBytea, "", `\x`},
	{strOIDBytea, "deadbeef00", `\xdeadbeef00`},
	{strOIDJSON, "7b2261223a317d", `{"a":1}`},
	{strOIDJSONB, "01 7b2261223a20312c202262223a205b312c20325d7d", `{"a": 1, "b": [1, 2]}`},
	{strOIDJSONPath, "01 24", `$`},
	{strOIDXML, "3c612f3e", `<a/>`},
	{oidUUID, "a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
	{oidUUID, "00000000000000000000000000000000", "00000000-0000-0000-0000-000000000000"},
	// inet.out: the default mask omitted, cidr's always printed.
	{strOIDInet, "02 18 00 04 c0a80105", "192.168.1.5/24"},
	{strOIDInet, "02 20 00 04 0a000001", "10.0.0.1"},
	{strOIDCidr, "02 20 01 04 0a000001", "10.0.0.1/32"},
	{strOIDCidr, "02 00 01 04 00000000", "0.0.0.0/0"},
	{strOIDInet, "03 80 00 10 00000000000000000000000000000001", "::1"},
	{strOIDCidr, "03 80 01 10 00000000000000000000000000000001", "::1/128"},
	{strOIDInet, "03 80 00 10 00000000000000000000000000000000", "::"},
	{strOIDCidr, "03 00 01 10 00000000000000000000000000000000", "::/0"},
	{strOIDInet, "03 80 00 10 00000000000000000000ffff01020304", "::ffff:1.2.3.4"},
	{strOIDInet, "03 80 00 10 00000000000000000000000001020304", "::1.2.3.4"},
	{strOIDInet, "03 80 00 10 00000000000000000000000000000002", "::2"},
	{strOIDInet, "03 18 00 10 00000000000000000000000004030201", "::4.3.2.1/24"},
	{strOIDInet, "03 40 00 10 001000230000000000000000000000f1", "10:23::f1/64"},
	{strOIDInet, "03 80 00 10 00010000000000010000000000000001", "1:0:0:1::1"},
	{strOIDInet, "03 80 00 10 00010002000300040005000600070008", "1:2:3:4:5:6:7:8"},
	{strOIDInet, "03 80 00 10 00010000000000000000000000000000", "1::"},
	{strOIDInet, "03 80 00 10 00000000000000000000000100000000", "::1:0:0"},
	{strOIDMacaddr, "08002b010203", "08:00:2b:01:02:03"},
	{strOIDMacaddr8, "08002bfffe010203", "08:00:2b:ff:fe:01:02:03"},
	{strOIDBit, "00000004 50", "0101"},
	{strOIDVarbit, "00000000", ""},
	{strOIDVarbit, "0000000c f0f0", "111100001111"},
	{strOIDVarbit, "00000009 ff80", "111111111"},
	{strOIDPgLSN, "00000016b374d848", "16/B374D848"},
	{strOIDPgLSN, "0000000000000000", "0/0"},
	{strOIDPgLSN, "ffffffffffffffff", "FFFFFFFF/FFFFFFFF"},
	{strOIDTID, "00000000 0001", "(0,1)"},
	{strOIDTID, "ffffffff ffff", "(4294967295,65535)"},
	{strOIDInt2Vector, "00000001 00000000 00000015 00000000 00000000", ""},
	{strOIDInt2Vector, "00000001 00000000 00000015 00000003 00000000 00000002 0001 00000002 fffe 00000002 0003", "1 -2 3"},
	{strOIDOIDVector, "00000001 00000000 0000001a 00000002 00000000 00000004 00000000 00000004 ffffffff", "0 4294967295"},
	{strOIDTSVector, "00000000", ""},
	// 'a':1A,2B 'it''s':3C 'back\\slash' 'x':4
	{strOIDTSVector, "00000004 6100 0002 c001 8002 6261636b5c736c61736800 0000 69742773 00 0001 4003 7800 0001 0004",
		`'a':1A,2B 'back\\slash' 'it''s':3C 'x':4`},
	{strOIDTSQuery, "00000000", ""},
	{strOIDTSQuery, "00000008 0202 02040002 010c01 6400 0201 010000 6300 0203 010000 6200 010000 6100",
		`( 'a' | 'b' ) & !'c' <2> 'd':*AB`},
	// !( 'a' <-> 'b' ): a phrase under NOT is parenthesised.
	{strOIDTSQuery, "00000004 0201 02040001 010000 6200 010000 6100", `!( 'a' <-> 'b' )`},
	// 'a' <-> ( 'b' <-> 'c' ): a phrase as a phrase's right operand.
	{strOIDTSQuery, "00000005 02040001 02040001 010000 6300 010000 6200 010000 6100", `'a' <-> ( 'b' <-> 'c' )`},
	{strOIDTSQuery, "00000001 010101 7800", `'x':*D`},
}

func TestStrBinaryToText(t *testing.T) {
	for _, c := range strRenderCases {
		bin := strHex(t, c.bin)
		got, err := AppendText([]byte("prefix"), c.oid, -1, bin)
		if err != nil || string(got) != "prefix"+c.text {
			ty, _ := Lookup(c.oid)
			t.Errorf("%s %s: %q, %v; want %q", ty.Name, c.bin, got, err, c.text)
		}
	}
}

// Bad binary forms are *Error matching ErrMalformed that name the type,
// and leave dst as it was.
func TestStrMalformed(t *testing.T) {
	cases := []struct {
		oid uint32
		bin string
	}{
		{strOIDChar, ""}, {strOIDChar, "6161"},
		{strOIDJSONB, ""}, {strOIDJSONB, "02 7b7d"}, {strOIDJSONPath, "00 24"},
		{oidUUID, "00"}, {oidUUID, "a0eebc999c0b4ef8bb6d6bb9bd380a1100"},
		{strOIDInet, "02200004 0a0000"}, {strOIDInet, "02210004 0a000001"}, {strOIDInet, "04200004 0a000001"},
		{strOIDInet, "03810010 00000000000000000000000000000001"}, {strOIDCidr, "03800004 0a000001"},
		{strOIDMacaddr, "08002b0102"}, {strOIDMacaddr8, "08002b010203"},
		{strOIDBit, "000000"}, {strOIDBit, "00000009 ff"}, {strOIDVarbit, "ffffffff"}, {strOIDVarbit, "00000001"},
		{strOIDPgLSN, "00"}, {strOIDTID, "0000000000"},
		{strOIDInt2Vector, "00000001 00000000 00000015 00000001 00000000"},
		{strOIDInt2Vector, "00000001 00000000 00000017 00000000 00000000"},
		{strOIDOIDVector, "00000001 00000000 0000001a 00000001 00000000 00000002 0001"},
		{strOIDTSVector, "00000001 61"}, {strOIDTSVector, "00000001 6100 0002 0001"}, {strOIDTSVector, "00000000 00"}, {strOIDTSVector, "00000002 6100 0000 62"},
		{strOIDTSQuery, "00000001 0202"}, {strOIDTSQuery, "00000002 010000 6100 010000 6200"},
		{strOIDTSQuery, "00000001 010000 61"}, {strOIDTSQuery, "00000001 011000 6100"}, {strOIDTSQuery, "00000001 0209"},
		{strOIDTSQuery, "00000000 00"}, {strOIDTSQuery, "00000002 0204ffff 010000 6100"},
	}
	for _, c := range cases {
		bin := strHex(t, c.bin)
		got, err := AppendText([]byte("x"), c.oid, -1, bin)
		var e *Error
		if !errors.As(err, &e) || e.OID != c.oid || !errors.Is(err, ErrMalformed) || string(got) != "x" {
			t.Errorf("OID %d %s: %q, %v", c.oid, c.bin, got, err)
		}
	}
}

// The text types' accessors and Decode, from both forms.
func TestStrText(t *testing.T) {
	cases := []struct {
		oid  uint32
		kind codec.ColumnKind
		src  string
		view string
		dec  any
	}{
		{strOIDText, codec.ColumnBinary, "ünï", "ünï", "ünï"},
		{strOIDText, codec.ColumnText, "", "", ""},
		{strOIDBpchar, codec.ColumnText, "ab   ", "ab   ", "ab   "},
		{strOIDJSONB, codec.ColumnBinary, "\x01[1, 2]", "[1, 2]", json.RawMessage("[1, 2]")},
		{strOIDJSONB, codec.ColumnText, "[1, 2]", "[1, 2]", json.RawMessage("[1, 2]")},
		{strOIDJSON, codec.ColumnBinary, "{ }", "{ }", json.RawMessage("{ }")},
		{strOIDJSONPath, codec.ColumnBinary, "\x01$.a", "$.a", "$.a"},
		{strOIDXML, codec.ColumnText, "<a/>", "<a/>", "<a/>"},
		{strOIDChar, codec.ColumnBinary, "\x00", "", byte(0)},
		{strOIDChar, codec.ColumnBinary, "\xe9", "\xe9", byte(0xe9)},
		{strOIDChar, codec.ColumnText, `\351`, `\351`, byte(0xe9)},
		{strOIDChar, codec.ColumnText, "", "", byte(0)},
	}
	for _, c := range cases {
		v, err := Text(c.oid, c.kind, []byte(c.src))
		if err != nil || string(v) != c.view {
			t.Errorf("Text(%d, %c, %q) = %q, %v; want %q", c.oid, c.kind, c.src, v, err, c.view)
		}
		d, err := Decode(c.oid, c.kind, -1, []byte(c.src))
		if err != nil || !reflect.DeepEqual(d, c.dec) {
			t.Errorf("Decode(%d, %c, %q) = %#v, %v; want %#v", c.oid, c.kind, c.src, d, err, c.dec)
		}
	}
	if j, err := JSON(strOIDJSONB, codec.ColumnBinary, []byte("\x01{}")); err != nil || string(j) != "{}" {
		t.Errorf("JSON jsonb: %q, %v", j, err)
	}
	for _, f := range []func() error{
		func() error { _, err := Text(oidUUID, codec.ColumnText, nil); return err },
		func() error { _, err := JSON(strOIDText, codec.ColumnText, nil); return err },
		func() error { _, err := Char(strOIDText, codec.ColumnText, nil); return err },
		func() error { _, err := AppendBytes(nil, strOIDText, codec.ColumnText, nil); return err },
		func() error { _, err := AppendTextBinary(nil, strOIDInet, nil); return err },
	} {
		if err := f(); !errors.Is(err, ErrWrongType) {
			t.Errorf("wrong type: %v", err)
		}
	}
	if _, err := Text(strOIDText, codec.ColumnUnchanged, nil); !errors.Is(err, ErrUnchanged) {
		t.Errorf("unchanged: %v", err)
	}
	if _, err := Text(strOIDText, codec.ColumnNull, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("null: %v", err)
	}
	if _, err := AppendTextBinary(nil, strOIDChar, []byte("ab")); !errors.Is(err, ErrRange) {
		t.Errorf("two-byte char: %v", err)
	}
}

func TestStrBytea(t *testing.T) {
	cases := []struct{ text, want string }{
		{`\x`, ""},
		{`\xDEADbeef`, "\xde\xad\xbe\xef"},
		{"\\xde ad\n\tbe\ref", "\xde\xad\xbe\xef"},
		{`abc`, "abc"},
		{`\\a\000\377\101`, "\\a\x00\xffA"},
		{``, ""},
	}
	for _, c := range cases {
		got, err := AppendBytes([]byte("p"), strOIDBytea, codec.ColumnText, []byte(c.text))
		if err != nil || string(got) != "p"+c.want {
			t.Errorf("%q: %q, %v", c.text, got, err)
		}
	}
	for _, bad := range []string{`\xa`, `\xgg`, `\x0`, `a\b`, `\400`, `\`, `\12`} {
		got, err := AppendBytes([]byte("p"), strOIDBytea, codec.ColumnText, []byte(bad))
		if !errors.Is(err, ErrMalformed) || string(got) != "p" {
			t.Errorf("%q: %q, %v", bad, got, err)
		}
	}
}

// genStrText: any unicode text without NUL (the server's text types cannot
// hold NUL), often empty.
func genStrText() gopter.Gen {
	return gen.OneGenOf(gen.Const(""), gen.AnyString(), gen.AlphaString(), gen.Const("naïve 名前 🙂 ' \\ \"")).
		Map(func(s string) string { return strings.ReplaceAll(s, "\x00", "") })
}

func genStrBytes() gopter.Gen {
	return gen.OneGenOf(gen.Const([]byte{}), gen.SliceOf(gen.UInt8()))
}

func TestStrTextProperties(t *testing.T) {
	p := gopter.NewProperties(nil)
	p.Property("string types: binary encode, render and decode are identity", prop.ForAll(func(s string) bool {
		for _, oid := range []uint32{strOIDText, strOIDVarchar, strOIDBpchar, strOIDName, strOIDJSON, strOIDJSONB, strOIDJSONPath, strOIDXML} {
			bin, err := AppendTextBinary(nil, oid, []byte(s))
			if err != nil {
				return false
			}
			txt, err1 := AppendText(nil, oid, -1, bin)
			view, err2 := Text(oid, codec.ColumnBinary, bin)
			if err1 != nil || err2 != nil || string(txt) != s || string(view) != s {
				return false
			}
		}
		return true
	}, genStrText()))
	p.Property("char: every byte survives binary, text and back", prop.ForAll(func(c byte) bool {
		bin, _ := AppendTextBinary(nil, strOIDChar, []byte{c})
		txt, err := AppendText(nil, strOIDChar, -1, bin)
		b1, err1 := Char(strOIDChar, codec.ColumnText, txt)
		b2, err2 := Char(strOIDChar, codec.ColumnBinary, bin)
		return err == nil && err1 == nil && err2 == nil && b1 == c && b2 == c
	}, gen.UInt8()))
	p.Property("bytea: hex text and binary decode to the bytes", prop.ForAll(func(b []byte) bool {
		txt := AppendByteaText(nil, b)
		r, err := AppendText(nil, strOIDBytea, -1, AppendByteaBinary(nil, b))
		d1, err1 := AppendBytes(nil, strOIDBytea, codec.ColumnText, txt)
		d2, err2 := Decode(strOIDBytea, codec.ColumnBinary, -1, b)
		return err == nil && err1 == nil && err2 == nil && bytes.Equal(r, txt) && bytes.Equal(d1, b) && bytes.Equal(d2.([]byte), b)
	}, genStrBytes()))
	p.TestingRun(t)
}

type strAllocCase struct {
	name string
	kind codec.ColumnKind
	src  []byte
	f    func(k codec.ColumnKind, src []byte) error
}

// Rendering every sample into a reused buffer, and every view accessor,
// allocates nothing.
func TestStrAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	for _, c := range strRenderCases {
		bin := strHex(t, c.bin)
		if n := testing.AllocsPerRun(100, func() { buf, _ = AppendText(buf[:0], c.oid, -1, bin) }); n != 0 {
			t.Errorf("AppendText %d %s: %v allocs", c.oid, c.bin, n)
		}
	}
	text := func(s string) (codec.ColumnKind, []byte) { return codec.ColumnText, []byte(s) }
	binary := func(s string) (codec.ColumnKind, []byte) { return codec.ColumnBinary, strHex(t, s) }
	var cases []strAllocCase
	add := func(name string, k codec.ColumnKind, src []byte, f func(k codec.ColumnKind, src []byte) error) {
		cases = append(cases, strAllocCase{name, k, src, f})
	}
	textOf := func(oid uint32) func(codec.ColumnKind, []byte) error {
		return func(k codec.ColumnKind, s []byte) error { _, err := Text(oid, k, s); return err }
	}
	k, s := text("héllo")
	add("Text text", k, s, textOf(strOIDText))
	k, s = binary("01 7b7d")
	add("Text jsonb", k, s, textOf(strOIDJSONB))
	add("JSON jsonb", k, s, func(k codec.ColumnKind, s []byte) error { _, err := JSON(strOIDJSONB, k, s); return err })
	k, s = text(`\351`)
	add("Char text", k, s, func(k codec.ColumnKind, s []byte) error { _, err := Char(strOIDChar, k, s); return err })
	for _, form := range []struct {
		k codec.ColumnKind
		s []byte
	}{{codec.ColumnText, []byte(`\xdeadbeef`)}, {codec.ColumnText, []byte(`a\\b\001`)}, {codec.ColumnBinary, []byte("\xde\xad")}} {
		add("AppendBytes", form.k, form.s, func(k codec.ColumnKind, s []byte) error {
			_, err := AppendBytes(buf[:0], strOIDBytea, k, s)
			return err
		})
	}
	uuid := func(k codec.ColumnKind, s []byte) error { _, err := UUID(oidUUID, k, s); return err }
	k, s = text("{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}")
	add("UUID text", k, s, uuid)
	k, s = binary("a0eebc999c0b4ef8bb6d6bb9bd380a11")
	add("UUID binary", k, s, uuid)
	prefix := func(oid uint32) func(codec.ColumnKind, []byte) error {
		return func(k codec.ColumnKind, s []byte) error { _, err := Prefix(oid, k, s); return err }
	}
	for _, v := range []string{"192.168.1.5/24", "10.0.0.1", "abcd:ef01:2345:6789:abcd:ef01:2345:6789/128", "::ffff:1.2.3.4"} {
		k, s = text(v)
		add("Prefix text "+v, k, s, prefix(strOIDInet))
	}
	k, s = binary("03 80 00 10 00000000000000000000ffff01020304")
	add("Prefix binary", k, s, prefix(strOIDInet))
	add("Addr binary", k, s, func(k codec.ColumnKind, s []byte) error { _, err := Addr(strOIDInet, k, s); return err })
	k, s = binary("08002b010203")
	add("HardwareAddr binary", k, s, func(k codec.ColumnKind, s []byte) error { _, err := HardwareAddr(strOIDMacaddr, k, s); return err })
	k, s = text("08:00:2b:01:02:03")
	add("AppendHardwareAddr text", k, s, func(k codec.ColumnKind, s []byte) error {
		_, err := AppendHardwareAddr(buf[:0], strOIDMacaddr8, k, s)
		return err
	})
	bits := func(k codec.ColumnKind, s []byte) error {
		_, err := AppendBits(buf[:0], strOIDVarbit, k, s)
		return err
	}
	k, s = text("0101110")
	add("AppendBits text", k, s, bits)
	k, s = binary("00000004 50")
	add("AppendBits binary", k, s, bits)
	lsnf := func(k codec.ColumnKind, s []byte) error { _, err := LSN(strOIDPgLSN, k, s); return err }
	k, s = text("16/B374D848")
	add("LSN text", k, s, lsnf)
	k, s = binary("00000016b374d848")
	add("LSN binary", k, s, lsnf)
	k, s = text("(12,34)")
	add("DecodeTID text", k, s, func(k codec.ColumnKind, s []byte) error { _, err := DecodeTID(strOIDTID, k, s); return err })
	for _, c := range cases {
		if err := c.f(c.kind, c.src); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if n := testing.AllocsPerRun(100, func() { _ = c.f(c.kind, c.src) }); n != 0 {
			t.Errorf("%s: %v allocs", c.name, n)
		}
	}
}

func BenchmarkStrAppendText(b *testing.B) {
	for _, c := range []struct {
		name string
		oid  uint32
		bin  string
	}{
		{"uuid", oidUUID, "a0eebc999c0b4ef8bb6d6bb9bd380a11"},
		{"inet-v6", strOIDInet, "03 40 00 10 001000230000000000000000000000f1"},
		{"bytea-16", strOIDBytea, "000102030405060708090a0b0c0d0e0f"},
		{"tsquery", strOIDTSQuery, "00000008 0202 02040002 010c01 6400 0201 010000 6300 0203 010000 6200 010000 6100"},
	} {
		bin := strHex(b, c.bin)
		buf := make([]byte, 0, 256)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				buf, _ = AppendText(buf[:0], c.oid, -1, bin)
			}
		})
	}
}

func ExampleText() {
	// jsonb_send's bytes: the version, then the server's normalised text.
	bin := append([]byte{1}, `{"a": 1, "b": [1, 2]}`...)
	j, _ := JSON(3802, codec.ColumnBinary, bin)
	b, _ := AppendBytes(nil, 17, codec.ColumnText, []byte(`\xdead`))
	fmt.Println(string(j), b)
	// Output: {"a": 1, "b": [1, 2]} [222 173]
}
