package value

import (
	"testing"

	"github.com/pgwal/pgwal/codec"
)

var dtFuzzOIDs = [...]uint32{dtOIDDate, dtOIDTime, dtOIDTimeTZ, dtOIDTimestamp, dtOIDTimestampTZ, dtOIDInterval}

// FuzzTimeBinary: any bytes, as any type of the family, render or fail
// cleanly; what renders reads back, from the text, as the same value.
func FuzzTimeBinary(f *testing.F) {
	for _, c := range dtTextCases {
		f.Add(c.bin, byte(0))
	}
	for _, c := range dtIntervalCases {
		f.Add(AppendIntervalBinary(nil, c.iv), byte(5))
	}
	f.Fuzz(func(t *testing.T, src []byte, which byte) {
		oid := dtFuzzOIDs[int(which)%len(dtFuzzOIDs)]
		text, err := AppendText(nil, oid, -1, src)
		if err != nil {
			return
		}
		if err := dtBothForms(oid, string(text), src); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzTimeText: any text, as any type of the family, decodes or fails
// cleanly; what decodes renders to text that decodes to the same value.
func FuzzTimeText(f *testing.F) {
	for _, c := range dtTextCases {
		f.Add(c.text, byte(0))
	}
	for _, c := range dtIntervalCases {
		f.Add(c.text, byte(5))
	}
	f.Add("+1 years +1 mons -00:00:01", byte(5))
	f.Fuzz(func(t *testing.T, s string, which byte) {
		oid := dtFuzzOIDs[int(which)%len(dtFuzzOIDs)]
		v, err := Decode(oid, codec.ColumnText, -1, []byte(s))
		if err != nil {
			return
		}
		bin, text, err := dtEncodeAny(oid, v)
		if err != nil {
			t.Fatalf("%q decodes to %#v, which does not encode: %v", s, v, err)
		}
		if err := dtBothForms(oid, string(text), bin); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
	})
}
