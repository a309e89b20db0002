package wal2json

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
)

// TestFormatTypeServer checks FormatType and TypeName against the
// server's pg_type and format_type: every built-in base, range and
// multirange type and their arrays (OID < 10000) without a modifier, and
// columns of every type with a modifier.
func TestFormatTypeServer(t *testing.T) {
	s := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	exec := func(sql string) []string {
		out, err := s.ExecDB(ctx, pgserver.Database, sql)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(out, "\n")
	}
	rows := exec(`SELECT t.oid, t.typname, format_type(t.oid, -1) FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem
		WHERE t.oid < 10000 AND (t.typtype IN ('b', 'r', 'm') AND t.typcategory <> 'A' OR e.typtype IN ('b', 'r', 'm', 'p') AND t.typcategory = 'A')
		AND t.typname NOT IN ('_cstring', 'cstring') OR t.oid IN (2249, 2287, 2275, 1263, 705, 71, 75, 81, 83, 210, 270, 272, 273)`)
	seen := map[uint32]bool{}
	for _, r := range rows {
		f := strings.Split(r, "|")
		oid64, _ := strconv.ParseUint(f[0], 10, 32)
		oid := uint32(oid64)
		seen[oid] = true
		name, ok := TypeName(oid)
		if !ok {
			t.Errorf("type %s (OID %d) missing", f[1], oid)
			continue
		}
		if name != f[1] {
			t.Errorf("OID %d: typname %q, server %q", oid, name, f[1])
		}
		if got, _ := FormatType(oid, -1); got != f[2] {
			t.Errorf("OID %d (%s): FormatType %q, server %q", oid, f[1], got, f[2])
		}
	}
	for oid, bt := range builtinTypes {
		if !seen[oid] {
			t.Errorf("OID %d (%s) in the table is not a built-in type of the server", oid, bt.name)
		}
	}
	if len(seen) < 150 {
		t.Fatalf("only %d types compared", len(seen))
	}
	cols := []string{"varchar(40)", "char(6)", "varchar(1)", "numeric(12,4)", "numeric(5)", "numeric(3,-2)", "numeric(1000,999)",
		"time(3)", "timetz(0)", "timestamp(6)", "timestamptz(2)", "interval year", "interval month", "interval day",
		"interval hour", "interval minute", "interval second", "interval second(2)", "interval year to month",
		"interval day to hour", "interval day to minute", "interval day to second(3)", "interval hour to minute",
		"interval hour to second", "interval minute to second(0)", "interval(4)", "bit(5)", "varbit(9)", "bit varying",
		"varchar(3)[]", "numeric(4,1)[][]", "timestamptz(1)[]", "char(2)[]", "\"char\"", "\"char\"[]", "bit(1)[]", "int4[]", "text"}
	var ddl strings.Builder
	ddl.WriteString("CREATE TABLE format_t (")
	for i, c := range cols {
		if i > 0 {
			ddl.WriteString(", ")
		}
		ddl.WriteString("c" + strconv.Itoa(i) + " " + c)
	}
	ddl.WriteString(")")
	exec(ddl.String())
	for _, r := range exec("SELECT atttypid, atttypmod, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'format_t'::regclass AND attnum > 0 ORDER BY attnum") {
		f := strings.Split(r, "|")
		oid, _ := strconv.ParseUint(f[0], 10, 32)
		mod, _ := strconv.ParseInt(f[1], 10, 32)
		if got, _ := FormatType(uint32(oid), int32(mod)); got != f[2] {
			t.Errorf("OID %s typmod %s: FormatType %q, server %q", f[0], f[1], got, f[2])
		}
	}
}
