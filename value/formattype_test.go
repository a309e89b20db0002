package value

import "testing"

// TestFormatType checks format_type's rules without a server
// (TestFormatTypeOnServer holds every type against the servers').
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
		{1042, -1, "bpchar"}, {1042, vc(6), "character(6)"}, {1014, vc(1), "character(1)[]"}, {1042, 4, "character"},
		{1700, -1, "numeric"}, {1700, num(12, 4), "numeric(12,4)"}, {1700, num(3, -2), "numeric(3,-2)"}, {1231, num(5, 0), "numeric(5,0)[]"},
		{1083, -1, "time without time zone"}, {1083, 3, "time(3) without time zone"}, {1266, 0, "time(0) with time zone"},
		{1114, -1, "timestamp without time zone"}, {1184, -1, "timestamp with time zone"}, {1184, 2, "timestamp(2) with time zone"},
		{1185, -1, "timestamp with time zone[]"},
		{1186, -1, "interval"}, {1186, iv(imYear, 0xffff), "interval year"}, {1186, iv(imDay|imHour|imMinute|imSecond, 3), "interval day to second(3)"},
		{1186, iv(0x7fff, 4), "interval(4)"}, {1186, iv(imMinute|imSecond, 0xffff), "interval minute to second"},
		{1186, iv(imHour|imMinute|imSecond, 2), "interval hour to second(2)"},
		{1560, -1, `"bit"`}, {1560, 5, "bit(5)"}, {1561, 1, "bit(1)[]"}, {1562, -1, "bit varying"}, {1562, 9, "bit varying(9)"},
		{1007, -1, "integer[]"}, {1009, -1, "text[]"}, {3802, -1, "jsonb"}, {22, -1, "int2vector"}, {600, -1, "point"},
		{4451, -1, "int4multirange"}, {6150, -1, "int4multirange[]"}, {3904, -1, "int4range"},
		{2287, -1, "record[]"}, {1790, -1, "refcursor"}, {2201, -1, "refcursor[]"}, {194, -1, "pg_node_tree"},
		{25, 7, "text(7)"}, // a typmod on a type without typmodout: in parentheses
	}
	for _, c := range cases {
		if got, ok := FormatType(c.oid, c.typmod); !ok || got != c.want {
			t.Errorf("FormatType(%d, %d) = %q, %v, want %q", c.oid, c.typmod, got, ok, c.want)
		}
	}
	for _, oid := range []uint32{0, 16385, maxBuiltinOID, 1 << 31} {
		if got, ok := FormatType(oid, -1); ok || got != "" {
			t.Errorf("FormatType(%d, -1) = %q, %v, want not built in", oid, got, ok)
		}
	}
	if got, ok := AppendFormatType([]byte("x "), 16385, -1); ok || string(got) != "x " {
		t.Errorf("AppendFormatType of a user type: %q, %v", got, ok)
	}
}

// TestAppendFormatTypeName: a type named by a Type message, built in or not.
func TestAppendFormatTypeName(t *testing.T) {
	cases := []struct {
		schema, name string
		typmod       int32
		want         string
	}{
		{"public", "mood", -1, "public.mood"},
		{"public", "_mood", -1, "public.mood[]"},
		{"My Schema", "Odd\"T", -1, `"My Schema"."Odd""T"`},
		{"s", "user", -1, `s."user"`},
		{"", "int4", -1, "integer"},
		{"pg_catalog", "varchar", 44, "character varying(40)"}, // a domain over varchar(40)
		{"", "_numeric", 12<<16 | 2 + 4, "numeric(12,2)[]"},
		{"", "not_builtin", 5, "not_builtin"},
		{"public", "int4", 5, "public.int4"}, // a user type that shares a built-in name
	}
	for _, c := range cases {
		if got := string(AppendFormatTypeName(nil, c.schema, c.name, c.typmod)); got != c.want {
			t.Errorf("AppendFormatTypeName(%q, %q, %d) = %q, want %q", c.schema, c.name, c.typmod, got, c.want)
		}
	}
}

func TestLookupName(t *testing.T) {
	for _, name := range []string{"int4", "_text", "timestamptz", "record", "pg_snapshot"} {
		ty, ok := LookupName(name)
		if !ok || ty.Name != name {
			t.Errorf("LookupName(%q) = %+v, %v", name, ty, ok)
			continue
		}
		if byOID, _ := Lookup(ty.OID); byOID != ty {
			t.Errorf("LookupName(%q) is OID %d, which Lookup gives as %+v", name, ty.OID, byOID)
		}
	}
	if ty, ok := LookupName("integer"); ok {
		t.Errorf("LookupName(\"integer\") = %+v: that is format_type's spelling, not a typname", ty)
	}
}
