package wal2json

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseBool(t *testing.T) {
	for _, s := range []string{"t", "tr", "TRUE", "True", "y", "yes", "YE", "on", "ON", "1"} {
		if v, ok := parseBool(s); !v || !ok {
			t.Errorf("parseBool(%q) = %v, %v, want true", s, v, ok)
		}
	}
	for _, s := range []string{"f", "fa", "FALSE", "n", "no", "NO", "of", "off", "OFF", "0"} {
		if v, ok := parseBool(s); v || !ok {
			t.Errorf("parseBool(%q) = %v, %v, want false", s, v, ok)
		}
	}
	for _, s := range []string{"", "o", "truee", "nope", "onn", "offf", "10", "00", " true", "true ", "2", "x"} {
		if _, ok := parseBool(s); ok {
			t.Errorf("parseBool(%q) accepted", s)
		}
	}
}

func TestParseInt(t *testing.T) {
	good := map[string]int{"1": 1, " 2 ": 2, "+1": 1, "0x2": 2, "01": 1, "02": 2, "1.6": 2, "2.5": 2, "1e0": 1, "-0": 0}
	for s, want := range good {
		if v, ok := parseInt(s); !ok || v != want {
			t.Errorf("parseInt(%q) = %d, %v, want %d", s, v, ok, want)
		}
	}
	for _, s := range []string{"", "x", "1x", "1 2", "--1", "0b1", "1_0", "08", "9999999999", "0o1", "inf", "nan"} {
		if v, ok := parseInt(s); ok {
			t.Errorf("parseInt(%q) = %d, accepted", s, v)
		}
	}
}

func TestParseOptionsDefaults(t *testing.T) {
	o, err := ParseOptions()
	if err != nil {
		t.Fatal(err)
	}
	want := Options{FormatVersion: 1, IncludeTransaction: true, IncludeSchemas: true, IncludeTypes: true, IncludeTypmod: true,
		Actions:   Actions{true, true, true, true},
		AddTables: []TablePattern{{AnySchema: true, AnyTable: true}}}
	if d := cmp.Diff(want, o); d != "" {
		t.Fatalf("defaults (-want +got):\n%s", d)
	}
}

func TestParseOptions(t *testing.T) {
	o, err := ParseOptions("format-version", "include-xids", "include-timestamp=on", "include-lsn=1", "include-schemas=no",
		"include-types=f", "include-typmod=0", "include-type-oids=yes", "include-pk=t", "include-transaction=false",
		"numeric-data-types-as-string", "pretty-print=1", "pretty-print=0", "write-in-chunks=true",
		"actions= insert , truncate", `add-tables=public.a, *.b,s.*,\*.x\.y,o\ k.t`, "filter-tables=p.q", "filter-tables=r.s",
		`add-msg-prefixes=a,b\,c`, "filter-msg-prefixes=x", "include-not-null=false", "filter-origins=")
	if err != nil {
		t.Fatal(err)
	}
	want := Options{FormatVersion: 2, IncludeXids: true, IncludeTimestamp: true, IncludeLSN: true, IncludeTypeOIDs: true,
		IncludePK: true, NumericDataTypesAsString: true, PrettyPrint: true, WriteInChunks: true,
		Actions: Actions{Insert: true, Truncate: true},
		AddTables: []TablePattern{{Schema: "public", Table: "a"}, {Schema: "*", Table: "b", AnySchema: true},
			{Schema: "s", Table: "*", AnyTable: true}, {Schema: "*", Table: "x.y"}, {Schema: "o k", Table: "t"}},
		FilterTables:      []TablePattern{{Schema: "p", Table: "q"}, {Schema: "r", Table: "s"}},
		AddMsgPrefixes:    []string{"a", `b\,c`},
		FilterMsgPrefixes: []string{"x"},
	}
	if d := cmp.Diff(want, o); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	// add-tables replaces the default, given empty it adds nothing
	if o, _ := ParseOptions("add-tables="); len(o.AddTables) != 0 {
		t.Errorf("add-tables= leaves %v", o.AddTables)
	}
	if o, _ := ParseOptions("add-tables"); len(o.AddTables) != 0 {
		t.Errorf("add-tables leaves %v", o.AddTables)
	}
	if o, _ := ParseOptions("actions="); o.Actions != (Actions{}) {
		t.Errorf("actions= gives %+v", o.Actions)
	}
	if o, _ := ParseOptions("actions"); o.Actions != (Actions{true, true, true, true}) {
		t.Errorf("actions gives %+v", o.Actions)
	}
	if o, _ := ParseOptions("add-msg-prefixes=a", "add-msg-prefixes"); o.AddMsgPrefixes != nil {
		t.Errorf("add-msg-prefixes without a value leaves %v", o.AddMsgPrefixes)
	}
}

func TestParseOptionsErrors(t *testing.T) {
	cases := []struct {
		arg, option, value string
		err                error
	}{
		{"no-such-option=1", "no-such-option", "1", ErrUnknownOption},
		{"include-generated=1", "include-generated", "1", ErrUnknownOption},
		{"include-xids=maybe", "include-xids", "maybe", ErrInvalidValue},
		{"include-pk=", "include-pk", "", ErrInvalidValue},
		{"format-version=3", "format-version", "3", ErrInvalidValue},
		{"format-version=0", "format-version", "0", ErrInvalidValue},
		{"format-version=one", "format-version", "one", ErrInvalidValue},
		{"actions=insert,upsert", "actions", "upsert", ErrInvalidValue},
		{"actions=insert,,delete", "actions", "insert,,delete", ErrInvalidValue},
		{"actions=insert update", "actions", "insert update", ErrInvalidValue},
		{"add-tables=nodot", "add-tables", "nodot", ErrInvalidValue},
		{"filter-tables=a.b,", "filter-tables", "a.b,", ErrInvalidValue},
		{"include-not-null=1", "include-not-null", "1", ErrUnsupported},
		{"include-default", "include-default", "", ErrUnsupported},
		{"include-column-positions=true", "include-column-positions", "true", ErrUnsupported},
		{"include-origin=on", "include-origin", "on", ErrUnsupported},
		{"include-domain-data-type=1", "include-domain-data-type", "1", ErrUnsupported},
		{"partition-root=1", "partition-root", "1", ErrUnsupported},
		{"filter-origins=1,2", "filter-origins", "1,2", ErrUnsupported},
		{"include-unchanged-toast=1", "include-unchanged-toast", "1", ErrDeprecated},
	}
	for _, c := range cases {
		_, err := ParseOptions("include-xids", c.arg)
		var oe *OptionError
		if !errors.As(err, &oe) || !errors.Is(err, c.err) || oe.Option != c.option || oe.Value != c.value {
			t.Errorf("%s: %v, want an OptionError for %q = %q matching %v", c.arg, err, c.option, c.value, c.err)
			continue
		}
		if want := `"` + c.option + `"`; !contains(err.Error(), want) {
			t.Errorf("%s: %q does not name the option", c.arg, err)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestTablePatternMatch(t *testing.T) {
	ps, ok := parseTables(`public.t,*.any,s.*,\*.star`)
	if !ok {
		t.Fatal("parse")
	}
	cases := []struct {
		schema, table string
		match         []bool
	}{
		{"public", "t", []bool{true, false, false, false}},
		{"x", "any", []bool{false, true, false, false}},
		{"s", "q", []bool{false, false, true, false}},
		{"*", "star", []bool{false, false, false, true}},
		{"y", "star", []bool{false, false, false, false}},
	}
	for _, c := range cases {
		for i, p := range ps {
			if got := p.Match(c.schema, c.table); got != c.match[i] {
				t.Errorf("%+v.Match(%s, %s) = %v", p, c.schema, c.table, got)
			}
		}
	}
}
