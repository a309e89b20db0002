package value

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

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
		// The string read back is s with each byte that is not UTF-8
		// replaced by U+FFFD.
		var want []rune
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRune(s[i:])
			want = append(want, r)
			i += n
		}
		if back != string(want) {
			t.Fatalf("%q → %s reads back as %q, want %q", s, out, back, string(want))
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
	// A domain over a domain over int4, and one over bool: their JSON is
	// their base type's, from either form.
	if err := r.RegisterDomain(50010, 23, "posint"); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterDomain(50011, 50010, "small_posint"); err != nil {
		t.Fatal(err)
	}
	if err := r.RegisterDomain(50012, 16, "flag"); err != nil {
		t.Fatal(err)
	}
	if typ, _ := r.Lookup(50011); typ.Base != 23 {
		t.Errorf("domain over a domain: Base %d, want 23", typ.Base)
	}
	for _, c := range []struct {
		oid  uint32
		kind codec.ColumnKind
		src  []byte
		want string
	}{
		{50011, codec.ColumnBinary, []byte{0, 0, 1, 44}, "300"},
		{50011, codec.ColumnText, []byte("300"), "300"},
		{50012, codec.ColumnBinary, []byte{1}, "true"},
		{50012, codec.ColumnText, []byte("f"), "false"},
	} {
		if got, err := j.AppendJSON(nil, c.oid, -1, c.kind, c.src); err != nil || string(got) != c.want {
			t.Errorf("domain %d %c %q: %s %v, want %s", c.oid, c.kind, c.src, got, err, c.want)
		}
	}
	// Without the registry the domain's OID is unknown: a text value is a
	// string, a binary one an error.
	var plain Renderer
	if got, err := plain.AppendJSON(nil, 50011, -1, codec.ColumnText, []byte("300")); err != nil || string(got) != `"300"` {
		t.Errorf("unregistered domain, text: %s %v", got, err)
	}
	if _, err := plain.AppendJSON(nil, 50011, -1, codec.ColumnBinary, []byte{0, 0, 1, 44}); !errors.Is(err, ErrUnknownType) {
		t.Errorf("unregistered domain, binary: %v", err)
	}
}
