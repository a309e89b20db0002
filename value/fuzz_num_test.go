package value

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pgwal/pgwal/codec"
)

// numFuzzOIDs are the types of this family; a fuzz input's first byte
// picks one.
var numFuzzOIDs = []uint32{16, 21, 23, 20, 26, 28, 29, 5069, 2205, 2203, 700, 701, 1700, 790, 600, 601, 602, 603, 604, 628, 718}

// numMaxText bounds the text of a binary value: numeric can print
// 131072 digits before the point and 16383 after from a short input (the
// server prints the same); every other type prints a bounded number of
// bytes per input byte.
func numMaxText(oid uint32, n int) int {
	if oid == 1700 {
		return 4*(math.MaxInt16+1) + 0x3FFF + 8
	}
	return 8*n + 64
}

func numFuzzEncode(t *testing.T, v any, oid uint32) []byte {
	var enc []byte
	var err error
	switch v := v.(type) {
	case bool:
		enc = AppendBoolBinary(nil, v)
	case int64:
		enc, err = AppendInt64Binary(nil, oid, v)
	case uint64:
		enc, err = AppendUint64Binary(nil, oid, v)
	case float64:
		enc, err = AppendFloat64Binary(nil, oid, v)
	case Numeric:
		enc, err = AppendNumericBinary(nil, v)
	case Money:
		enc = AppendMoneyBinary(nil, v)
	case numGeo:
		enc, err = v.AppendBinary(nil)
	default:
		t.Fatalf("Decode gives %T", v)
	}
	if err != nil {
		t.Fatalf("%+v does not encode: %v", v, err)
	}
	return enc
}

// Bad bytes never panic, print no more than the input justifies, and
// what renders also decodes, re-encodes and renders the same.
func FuzzNumBinaryToText(f *testing.F) {
	for _, s := range []string{"\x01", "\x00\x00\x00\x01", "\x80\x00\x00\x00\x00\x00\x00\x00", "\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00",
		"\x00\x03\x00\x01\x00\x00\x00\x01\x04\xd2\x16\x2e\x23\x28", "\x00\x00\x00\x00\xd0\x00\x00\x20", "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"} {
		for i := range numFuzzOIDs {
			f.Add(byte(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, sel byte, src []byte) {
		oid := numFuzzOIDs[int(sel)%len(numFuzzOIDs)]
		text, err := AppendText(nil, oid, -1, src)
		v, derr := Decode(oid, codec.ColumnBinary, -1, src)
		if (err == nil) != (derr == nil) {
			t.Fatalf("OID %d %x: AppendText %v but Decode %v", oid, src, err, derr)
		}
		if err != nil {
			return
		}
		if len(text) > numMaxText(oid, len(src)) {
			t.Fatalf("OID %d: %d bytes of text from %d", oid, len(text), len(src))
		}
		again, err := AppendText(nil, oid, -1, numFuzzEncode(t, v, oid))
		if err != nil || string(again) != string(text) {
			t.Fatalf("OID %d %x: %q re-encodes to %q, %v", oid, src, text, again, err)
		}
	})
}

// Any text: no panic; what decodes encodes, renders, and decodes again to
// the same value.
func FuzzNumText(f *testing.F) {
	for _, s := range []string{"t", "-32768", "4294967295", "-", "1e-05", "NaN", "-Infinity", "-12.50", "1_000.5e3", "$1,234.56", "(1,2)", "[(0,0),(1,1)]", "((0,0),(1,1))", "{1,2,3}", "<(1,2),3>", "1,2,3"} {
		for i := range numFuzzOIDs {
			f.Add(byte(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, sel byte, s string) {
		oid := numFuzzOIDs[int(sel)%len(numFuzzOIDs)]
		v, err := Decode(oid, codec.ColumnText, -1, []byte(s))
		if err != nil {
			return
		}
		text, err := AppendText(nil, oid, -1, numFuzzEncode(t, v, oid))
		if err != nil {
			t.Fatalf("OID %d %q: %v", oid, s, err)
		}
		w, err := Decode(oid, codec.ColumnText, -1, text)
		if err != nil || !cmp.Equal(v, w, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()) {
			t.Fatalf("OID %d %q: %+v prints %q, which reads %+v, %v", oid, s, v, text, w, err)
		}
	})
}
