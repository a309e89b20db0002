package wal2json

import (
	"testing"

	"github.com/pgwal/pgwal/value"
)

// TestFormatType checks format_type's rules, without a server (see
// TestFormatTypeServer for every type against the server's).
func TestFormatType(t *testing.T) {
	vc := func(n int32) int32 { return n + 4 }
	num := func(p, s int32) int32 { return (p<<16 | s&0x7ff) + 4 }
	iv := func(fields, prec int32) int32 { return fields<<16 | prec }
	cases := []struct {
		oid    uint32
		typmod int32
		want   string
	}{
		{20, -1, "bigint"}, {21, -1, "smallint"}, {23, -1, "integer"}, {16, -1, "boolean"}, {700, -1, "real"},
		{701, -1, "double precision"}, {25, -1, "text"}, {18, -1, `"char"`}, {1002, -1, `"char"[]`},
		{1043, -1, "character varying"}, {1043, vc(40), "character varying(40)"}, {1015, vc(3), "character varying(3)[]"},
		{1042, -1, "bpchar"}, {1042, vc(6), "character(6)"}, {1014, vc(1), "character(1)[]"},
		{1700, -1, "numeric"}, {1700, num(12, 4), "numeric(12,4)"}, {1700, num(3, -2), "numeric(3,-2)"}, {1231, num(5, 0), "numeric(5,0)[]"},
		{1083, -1, "time without time zone"}, {1083, 3, "time(3) without time zone"}, {1266, 0, "time(0) with time zone"},
		{1114, -1, "timestamp without time zone"}, {1184, -1, "timestamp with time zone"}, {1184, 2, "timestamp(2) with time zone"},
		{1185, -1, "timestamp with time zone[]"},
		{1186, -1, "interval"}, {1186, iv(imYear, 0xffff), "interval year"}, {1186, iv(imDay|imHour|imMinute|imSecond, 3), "interval day to second(3)"},
		{1186, iv(0x7fff, 4), "interval(4)"}, {1186, iv(imMinute|imSecond, 0xffff), "interval minute to second"},
		{1560, -1, `"bit"`}, {1560, 5, "bit(5)"}, {1561, 1, "bit(1)[]"}, {1562, -1, "bit varying"}, {1562, 9, "bit varying(9)"},
		{1007, -1, "integer[]"}, {1009, -1, "text[]"}, {3802, -1, "jsonb"}, {22, -1, "int2vector"}, {600, -1, "point"},
		{4451, -1, "int4multirange"}, {6150, -1, "int4multirange[]"}, {3904, -1, "int4range"},
	}
	for _, c := range cases {
		if got, ok := FormatType(c.oid, c.typmod); !ok || got != c.want {
			t.Errorf("FormatType(%d, %d) = %q, %v, want %q", c.oid, c.typmod, got, ok, c.want)
		}
	}
	if _, ok := FormatType(16385, -1); ok {
		t.Error("FormatType of a user type OID: ok")
	}
}

// TestTypeTableCoversValue: every built-in type package value knows has a
// type name here, and the same typname.
func TestTypeTableCoversValue(t *testing.T) {
	n := 0
	for oid := uint32(0); oid < 10000; oid++ {
		vt, ok := value.Lookup(oid)
		if !ok {
			continue
		}
		n++
		name, ok := TypeName(oid)
		if !ok || name != vt.Name {
			t.Errorf("OID %d: value says %q, TypeName %q, %v", oid, vt.Name, name, ok)
		}
	}
	if n < 100 {
		t.Fatalf("value knows only %d types", n)
	}
}

func TestUserType(t *testing.T) {
	cases := [][3]string{
		{"public", "mood", "public.mood"}, {"", "int4", "int4"}, {"public", "_mood", "public.mood[]"},
		{"My Schema", "Odd\"T", `"My Schema"."Odd""T"`}, {"s", "user", `s."user"`},
	}
	for _, c := range cases {
		if got := string(appendUserType(nil, c[0], c[1])); got != c[2] {
			t.Errorf("appendUserType(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}
