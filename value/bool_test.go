package value

import (
	"testing"

	"github.com/pgwal/pgwal/codec"
)

func TestNumBool(t *testing.T) {
	for _, c := range []struct {
		kind codec.ColumnKind
		src  string
		want bool
	}{
		{codec.ColumnBinary, "\x01", true}, {codec.ColumnBinary, "\x00", false}, {codec.ColumnBinary, "\x02", true},
		{codec.ColumnText, "t", true}, {codec.ColumnText, "f", false}, {codec.ColumnText, " TRUE ", true},
		{codec.ColumnText, "ye", true}, {codec.ColumnText, "on", true}, {codec.ColumnText, "1", true},
		{codec.ColumnText, "fa", false}, {codec.ColumnText, "No", false}, {codec.ColumnText, "off", false}, {codec.ColumnText, "0", false},
	} {
		got, err := Bool(16, c.kind, []byte(c.src))
		if err != nil || got != c.want {
			t.Errorf("Bool %q: %v, %v", c.src, got, err)
		}
	}
	for _, bad := range []string{"", "o", "truee", "2", "yess", "of f"} {
		_, err := Bool(16, codec.ColumnText, []byte(bad))
		numWantErr(t, "Bool "+bad, err, 16, ErrMalformed)
	}
	_, err := Bool(16, codec.ColumnBinary, []byte{1, 0})
	numWantErr(t, "Bool 2 bytes", err, 16, ErrMalformed)
	_, err = Bool(23, codec.ColumnBinary, []byte{1})
	numWantErr(t, "Bool of int4", err, 23, ErrWrongType)
	for _, v := range []bool{true, false} {
		text, _ := AppendText(nil, 16, -1, AppendBoolBinary(nil, v))
		if string(text) != string(AppendBoolText(nil, v)) {
			t.Errorf("%v: %q", v, text)
		}
		if got, err := Decode(16, codec.ColumnText, -1, text); err != nil || got != v {
			t.Errorf("Decode %q: %v, %v", text, got, err)
		}
	}
	buf := make([]byte, 0, 8)
	bin, text := []byte{1}, []byte("true")
	numZeroAllocs(t, "AppendText bool", func() { buf, _ = AppendText(buf[:0], 16, -1, bin) })
	numZeroAllocs(t, "Bool text", func() { _, _ = Bool(16, codec.ColumnText, text) })
}
