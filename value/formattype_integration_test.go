package value

import (
	"strings"
	"testing"

	"github.com/pgwal/pgwal/internal/pgserver"
)

// TestFormatTypeOnServer checks the built-in type table and FormatType
// against each server's pg_type and format_type: every type in the table
// is the server's, with its name, and every built-in type a column can have
// (base, range and multirange types, their arrays, and the pseudo and
// catalog row types pgoutput can name) is in the table; FormatType without
// a typmod prints what format_type does, and so it does for columns of
// every type that takes a typmod. The categories are the server's too.
func TestFormatTypeOnServer(t *testing.T) {
	eachServer(t, func(t *testing.T, s *pgserver.Server) {
		var types []struct {
			OID              uint32
			Name, Cat, Typed string
			Column           bool
		}
		queryJSON(t, s, `SELECT json_agg(json_build_object('oid', t.oid::int8, 'name', t.typname, 'cat', t.typcategory,
				'typed', format_type(t.oid, -1),
				'column', t.typtype IN ('b', 'r', 'm') AND t.typcategory <> 'A' AND t.typname <> 'cstring'
					OR e.typtype IN ('b', 'r', 'm', 'p') AND t.typcategory = 'A' AND t.typname <> '_cstring'
					OR t.oid IN (2249, 2287, 2275, 1263, 705, 71, 75, 81, 83, 210, 270, 272, 273)))
			FROM pg_catalog.pg_type t LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem WHERE t.oid < 10000`, &types)
		onServer := map[uint32]bool{}
		columns := 0
		for _, st := range types {
			onServer[st.OID] = true
			ty, ok := Lookup(st.OID)
			switch {
			case !ok && st.Column:
				t.Errorf("%s (OID %d): not in the table", st.Name, st.OID)
				continue
			case !ok:
				continue
			}
			columns++
			// PostgreSQL 15 moved "char" and the catalog-internal types
			// from category S to Z; the table has 15's.
			if cat := string(ty.Category); cat != st.Cat && !(s.Major() == 14 && cat == "Z" && st.Cat == "S") {
				t.Errorf("%s (OID %d): category %s, server %s", st.Name, st.OID, cat, st.Cat)
			}
			if ty.Name != st.Name {
				t.Errorf("OID %d: named %q, server %q", st.OID, ty.Name, st.Name)
			}
			if got, _ := FormatType(st.OID, -1); got != st.Typed {
				t.Errorf("%s (OID %d): FormatType %q, server %q", st.Name, st.OID, got, st.Typed)
			}
		}
		for oid, ty := range builtin {
			if ty != nil && !onServer[uint32(oid)] {
				t.Errorf("%s (OID %d) in the table is not a built-in type of the server", ty.Name, oid)
			}
		}
		if columns < 150 {
			t.Fatalf("only %d types compared", columns)
		}

		cols := []string{"varchar(40)", "char(6)", "varchar(1)", "numeric(12,4)", "numeric(5)", "numeric(1000,999)",
			"time(3)", "timetz(0)", "timestamp(6)", "timestamptz(2)", "interval year", "interval month", "interval day",
			"interval hour", "interval minute", "interval second", "interval second(2)", "interval year to month",
			"interval day to hour", "interval day to minute", "interval day to second(3)", "interval hour to minute",
			"interval hour to second", "interval minute to second(0)", "interval(4)", "bit(5)", "varbit(9)", "bit varying",
			"varchar(3)[]", "numeric(4,1)[][]", "timestamptz(1)[]", "char(2)[]", `"char"`, `"char"[]`, "bit(1)[]", "int4[]", "text"}
		if s.Major() >= 15 {
			cols = append(cols, "numeric(3,-2)", "numeric(2,5)") // a scale below 0 or above the precision
		}
		var ddl strings.Builder
		ddl.WriteString("CREATE TEMP TABLE pg_temp.formattype_t (")
		for i, c := range cols {
			if i > 0 {
				ddl.WriteString(", ")
			}
			ddl.WriteString("c" + string(rune('a'+i/26)) + string(rune('a'+i%26)) + " " + c)
		}
		ddl.WriteString(");\n")
		var attrs []struct {
			OID    uint32
			Typmod int32
			Typed  string
		}
		queryJSON(t, s, ddl.String()+`SELECT json_agg(json_build_object('oid', atttypid::int8, 'typmod', atttypmod, 'typed', format_type(atttypid, atttypmod)) ORDER BY attnum)
			FROM pg_catalog.pg_attribute WHERE attrelid = 'pg_temp.formattype_t'::regclass AND attnum > 0`, &attrs)
		if len(attrs) != len(cols) {
			t.Fatalf("%d columns, want %d", len(attrs), len(cols))
		}
		for i, a := range attrs {
			if got, ok := FormatType(a.OID, a.Typmod); !ok || got != a.Typed {
				t.Errorf("%s (OID %d, typmod %d): FormatType %q, %v; server %q", cols[i], a.OID, a.Typmod, got, ok, a.Typed)
			}
		}
	})
}
