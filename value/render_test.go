package value

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/pgwal/pgwal/codec"
)

func TestJSONText(t *testing.T) {
	for _, tc := range []struct {
		oid   uint32
		kind  codec.ColumnKind
		in    string
		embed bool
		want  string
	}{
		{oidInt4, codec.ColumnText, "-42", false, "-42"},
		{oidNumeric, codec.ColumnText, "1.50", false, "1.50"},
		{oidNumeric, codec.ColumnText, "NaN", false, `"NaN"`},
		{oidFloat8, codec.ColumnText, "-Infinity", false, `"-Infinity"`},
		{oidFloat8, codec.ColumnText, "1e+100", false, "1e+100"},
		{oidFloat8, codec.ColumnText, "-0", false, "-0"},
		{oidBool, codec.ColumnText, "t", false, "true"},
		{oidBool, codec.ColumnText, "f", false, "false"},
		{oidJSONB, codec.ColumnText, `{"a": null}`, false, `"{\"a\": null}"`},
		{oidJSONB, codec.ColumnText, `{"a": null}`, true, `{"a": null}`},
		{25, codec.ColumnText, "tab\there \"q\" \\ \x01 é", false, `"tab\there \"q\" \\ \u0001 é"`},
		{25, codec.ColumnText, "bad \xff byte", false, `"bad \ufffd byte"`},
		{25, codec.ColumnNull, "", false, "null"},
		{999999, codec.ColumnText, "x", false, `"x"`}, // unknown types are strings of their text
	} {
		j := Renderer{EmbedJSON: tc.embed}
		got, err := j.AppendJSON(nil, tc.oid, -1, tc.kind, []byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("%d %q: %s, %v; want %s", tc.oid, tc.in, got, err, tc.want)
		}
		if !json.Valid(got) {
			t.Errorf("%d %q: %s is not valid JSON", tc.oid, tc.in, got)
		}
	}
	var j Renderer
	if _, err := j.AppendJSON(nil, 25, -1, codec.ColumnUnchanged, nil); !errors.Is(err, ErrUnchanged) {
		t.Errorf("unchanged TOAST: %v", err)
	}
	if _, err := j.AppendJSON(nil, 999999, -1, codec.ColumnBinary, []byte{1}); !errors.Is(err, ErrUnknownType) {
		t.Errorf("binary of an unknown type: %v", err)
	}
}

func TestIsJSONNumber(t *testing.T) {
	for s, want := range map[string]bool{"0": true, "-0": true, "12.5": true, "1e-7": true, "1.5E+10": true,
		"01": false, "1.": false, ".5": false, "NaN": false, "": false, "-": false, "1e": false, "$1.00": false} {
		if isJSONNumber([]byte(s)) != want {
			t.Errorf("isJSONNumber(%q) = %v", s, !want)
		}
	}
}

func FuzzJSONString(f *testing.F) {
	f.Add([]byte("a\"b\\c\x00\xff é"))
	f.Fuzz(func(t *testing.T, s []byte) {
		out := AppendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q → %s: %v", s, out, err)
		}
	})
}

func TestJSONAllocs(t *testing.T) {
	var j Renderer
	buf := make([]byte, 0, 256)
	in := []byte("some \"text\" with\tescapes")
	if n := testing.AllocsPerRun(100, func() { buf, _ = j.AppendJSON(buf[:0], 25, -1, codec.ColumnText, in) }); n != 0 {
		t.Errorf("%v allocs", n)
	}
}

func TestRegistryTypes(t *testing.T) {
	var r Registry
	r.RegisterText(50000, "mood", CategoryEnum)
	if got, err := r.AppendText(nil, 50000, -1, []byte("happy")); err != nil || string(got) != "happy" {
		t.Errorf("enum: %q %v", got, err)
	}
	if err := r.RegisterDomain(50001, 50000, "mood_domain"); err != nil {
		t.Fatal(err)
	}
	if got, err := r.AppendText(nil, 50001, -1, []byte("sad")); err != nil || string(got) != "sad" {
		t.Errorf("domain: %q %v", got, err)
	}
	if err := r.RegisterDomain(50002, 777777, "x"); !errors.Is(err, ErrUnknownType) {
		t.Errorf("domain over an unknown type: %v", err)
	}
	j := Renderer{Types: &r}
	if got, err := j.AppendJSON(nil, 50001, -1, codec.ColumnBinary, []byte("ok")); err != nil || string(got) != `"ok"` {
		t.Errorf("JSON of a registered domain: %s %v", got, err)
	}
}
