package value

import (
	"reflect"
	"testing"

	"github.com/pgwal/pgwal/codec"
)

// strOIDs are the types this family registers.
var strOIDs = []uint32{strOIDText, strOIDVarchar, strOIDBpchar, strOIDName, strOIDChar, strOIDUnknown, strOIDBytea, strOIDJSON, strOIDJSONB, strOIDJSONPath, strOIDXML,
	oidUUID, strOIDInet, strOIDCidr, strOIDMacaddr, strOIDMacaddr8, strOIDBit, strOIDVarbit, strOIDPgLSN, strOIDTID, strOIDTSVector, strOIDTSQuery, strOIDInt2Vector, strOIDOIDVector}

// strMaxText bounds the text any of these types renders from n binary
// bytes (a tsquery item of 2 bytes prints at most a dozen).
func strMaxText(n int) int { return 16*n + 64 }

func strFuzzSeeds(f *testing.F) {
	for _, c := range strRenderCases {
		b := strHex(f, c.bin)
		for i, oid := range strOIDs {
			if oid == c.oid {
				f.Add(uint8(i), b)
			}
		}
		f.Add(uint8(0), []byte(c.text))
	}
}

// Any bytes as any of these types' binary form: no panic; an error leaves
// dst alone; the text is bounded by the input and written without any
// allocation of its own; and what renders as text parses back, from the
// text form, to the value the binary form decodes to.
func FuzzStrBinaryToText(f *testing.F) {
	strFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, which uint8, src []byte) {
		oid := strOIDs[int(which)%len(strOIDs)]
		buf := make([]byte, 0, strMaxText(len(src)))
		var out []byte
		var err error
		allocs := testing.AllocsPerRun(1, func() { out, err = AppendText(buf, oid, -1, src) })
		if err != nil {
			if len(out) != 0 {
				t.Fatalf("OID %d: error %v with output %q", oid, err, out)
			}
			return
		}
		if len(out) > strMaxText(len(src)) || allocs != 0 {
			t.Fatalf("OID %d: %d bytes of text from %d, %v allocations", oid, len(out), len(src), allocs)
		}
		switch oid {
		case strOIDTSVector, strOIDTSQuery, strOIDJSON, strOIDJSONB, strOIDXML, strOIDJSONPath, strOIDChar:
			return // Decode from text gives the text itself, or "char" NUL
		}
		d1, err1 := Decode(oid, codec.ColumnBinary, -1, src)
		d2, err2 := Decode(oid, codec.ColumnText, -1, out)
		if err1 != nil || err2 != nil {
			t.Fatalf("OID %d %x: rendered %q; Decode %v, %v", oid, src, out, err1, err2)
		}
		if b1, ok := d1.(Bits); ok {
			// Pad bits beyond Len are not part of the value.
			b1.Bytes = AppendBitsBinary(nil, b1)[4:]
			d1 = b1
		}
		if !reflect.DeepEqual(d1, d2) {
			t.Fatalf("OID %d %x: rendered %q; binary decodes to %#v, text to %#v", oid, src, out, d1, d2)
		}
	})
}

// Any bytes as any of these types' text form: the accessors and Decode
// never panic, and an address that reads renders back to the same text's
// value.
func FuzzStrTextForm(f *testing.F) {
	strFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, which uint8, src []byte) {
		oid := strOIDs[int(which)%len(strOIDs)]
		_, _ = Decode(oid, codec.ColumnText, -1, src)
		buf := make([]byte, 0, len(src))
		_, _ = Text(oid, codec.ColumnText, src)
		_, _ = JSON(oid, codec.ColumnText, src)
		_, _ = Char(oid, codec.ColumnText, src)
		_, _ = UUID(oid, codec.ColumnText, src)
		_, _ = LSN(oid, codec.ColumnText, src)
		_, _ = DecodeTID(oid, codec.ColumnText, src)
		_, _ = AppendBytes(buf[:0], oid, codec.ColumnText, src)
		_, _ = AppendBits(buf[:0], oid, codec.ColumnText, src)
		_, _ = AppendHardwareAddr(buf[:0], oid, codec.ColumnText, src)
		if p, err := Prefix(oid, codec.ColumnText, src); err == nil {
			txt := AppendPrefixText(nil, p, oid == strOIDCidr)
			if q, err := Prefix(oid, codec.ColumnText, txt); err != nil || q != p {
				t.Fatalf("%q: %v renders %q, which reads as %v, %v", src, p, txt, q, err)
			}
		}
	})
}
