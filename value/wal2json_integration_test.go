package value

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/internal/recvlogical"
	"github.com/pgwal/pgwal/lsn"
)

// The wal2json comparison runs Debian's PostgreSQL 15, the install
// postgresql-15-wal2json puts its plugin into (.ci/run installs both).
const (
	w2jBinDir = "/usr/lib/postgresql/15/bin"
	w2jPlugin = "/usr/lib/postgresql/15/lib/wal2json.so"
)

// w2jDifference is a deliberate difference between the JSON wal2json prints
// for a value and the JSON Renderer.AppendJSON prints for it. It applies to
// a column of one of oids whose text form (as pgoutput sends it) matches;
// for such a value wal2json must print exactly wal2json(text) and pgwal
// exactly pgwal(text), as JSON tokens.
type w2jDifference struct {
	name     string
	oids     []uint32
	applies  func(text string) bool
	wal2json func(text string) string
	pgwal    func(text string) string
	why      string
}

func jsonString(text string) string { return string(AppendJSONString(nil, []byte(text))) }

// w2jDifferences is every deliberate difference; any other mismatch fails.
var w2jDifferences = []w2jDifference{
	{
		name: "non-finite numbers",
		oids: []uint32{oidFloat4, oidFloat8, oidNumeric},
		applies: func(text string) bool {
			return text == "NaN" || text == "Infinity" || text == "-Infinity"
		},
		wal2json: func(string) string { return "null" },
		pgwal:    jsonString,
		why: "JSON has no NaN or infinities; wal2json prints null, which a reader cannot tell from SQL NULL, " +
			"pgwal the string PostgreSQL prints, which keeps the value",
	},
	{
		name:     "bytea",
		oids:     []uint32{oidBytea},
		applies:  func(text string) bool { return strings.HasPrefix(text, `\x`) },
		wal2json: func(text string) string { return jsonString(strings.TrimPrefix(text, `\x`)) },
		pgwal:    jsonString,
		why: `wal2json drops the \x of bytea's hex text form; pgwal prints the text form whole, ` +
			"as for every other string-valued type, so it reads back as bytea input",
	},
}

const oidBytea = 17

// w2jPGOptions pins pg_recvlogical's session to the settings wire pins
// (see pinned), so both sides print values under the same settings.
const w2jPGOptions = "PGOPTIONS=-c DateStyle=ISO -c IntervalStyle=postgres -c TimeZone=UTC -c extra_float_digits=3"

// w2jColumn is one column of one row as wal2json prints it.
type w2jColumn struct {
	typ   string
	oid   uint32
	value json.RawMessage
}

// TestWal2JSON reads the typed workload (../testdata/workload/07-types.sql and
// testdata/wal2json-extra.sql) through the wal2json plugin, in format
// versions 1 and 2, and through pgoutput in text and in binary mode, and
// checks for every row and column that Renderer.AppendJSON prints the
// value wal2json prints, or differs from it as w2jDifferences says; and
// that the binary session prints what the text session prints.
//
// Values are compared as JSON tokens (decoded with encoding/json, numbers
// kept as their literal text): wal2json writes strings with PostgreSQL's
// escape_json, which spells U+0008 and U+000C \b and \f where pgwal writes
// \u0008 and \u000c, the same JSON. The bytes must be equal too, except
// for strings holding one of those two characters.
func TestWal2JSON(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no real server")
	}
	if _, err := os.Stat(w2jPlugin); err != nil {
		msg := fmt.Sprintf("wal2json for Debian's PostgreSQL 15 is missing (%v): apt-get install postgresql-15-wal2json", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var workload []byte
	for _, f := range []string{"../testdata/workload/07-types.sql", "testdata/wal2json-extra.sql"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		workload = append(workload, b...)
	}
	s := pgserver.StartT(t, pgserver.Config{BinDir: w2jBinDir, Version: 15})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	for _, slot := range []string{"w2j_v1", "w2j_v2"} {
		if err := recvlogical.CreateSlot(ctx, s, recvlogical.Options{Slot: slot, Plugin: "wal2json"}); err != nil {
			t.Fatal(err)
		}
	}
	setup := "CREATE PUBLICATION vpub FOR ALL TABLES;\n" +
		"SELECT pg_create_logical_replication_slot('v_text', 'pgoutput');\n" +
		"SELECT pg_create_logical_replication_slot('v_bin', 'pgoutput');\n"
	if _, err := s.ExecDB(ctx, pgserver.Database, setup); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ExecDB(ctx, pgserver.Database, pinned+string(workload)); err != nil {
		t.Fatal(err)
	}
	out, err := s.ExecDB(ctx, pgserver.Database, "SELECT pg_current_wal_insert_lsn(); SELECT count(*) FROM public.types_t")
	if err != nil {
		t.Fatal(err)
	}
	endText, countText, _ := strings.Cut(out, "\n")
	end, err := lsn.Parse(endText)
	if err != nil {
		t.Fatal(err)
	}
	nrows, err := strconv.Atoi(countText)
	if err != nil || nrows < 7 {
		t.Fatalf("types_t holds %q rows", countText)
	}

	w2j := map[string][]map[string]w2jColumn{}
	for _, v := range []string{"1", "2"} {
		lines, err := recvlogical.Stream(ctx, s, recvlogical.Options{
			Slot: "w2j_v" + v, EndPos: end, Env: []string{w2jPGOptions},
			PluginOptions: []string{"format-version=" + v, "include-types=true", "include-type-oids=true"},
		})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := parseWal2JSON(v, lines)
		if err != nil {
			t.Fatalf("format-version=%s: %v", v, err)
		}
		if len(rows) != nrows {
			t.Fatalf("format-version=%s: %d types_t inserts, want %d", v, len(rows), nrows)
		}
		w2j["format-version="+v] = rows
	}
	text, rel := streamRows(ctx, t, s, "v_text", false, nrows)
	bin, _ := streamRows(ctx, t, s, "v_bin", true, nrows)

	var r Renderer
	compared := map[string]int{} // column -> values compared with wal2json
	used := map[string]int{}     // difference -> values it explained
	regOIDs := 0
	escapes := 0
	for i := range text {
		id := string(text[i][0].Data)
		for j, col := range rel.Columns {
			name := string(col.Name)
			tc, bc := text[i][j], bin[i][j]
			where := fmt.Sprintf("row id=%s %s (OID %d)", id, name, col.TypeOID)
			tj, err := r.AppendJSON(nil, col.TypeOID, col.TypeMod, tc.Kind, tc.Data)
			if err != nil {
				t.Errorf("%s: text: %v", where, err)
				continue
			}
			bj, err := r.AppendJSON(nil, col.TypeOID, col.TypeMod, bc.Kind, bc.Data)
			if err != nil {
				t.Errorf("%s: binary: %v", where, err)
				continue
			}
			if tc.Kind != codec.ColumnNull && (tc.Kind != codec.ColumnText || bc.Kind != codec.ColumnBinary) {
				t.Errorf("%s: kinds %c and %c, want text and binary", where, tc.Kind, bc.Kind)
			}

			// binary session = text session, but for the reg* types
			if reg := regTypeName(col.TypeOID); reg != "" && tc.Kind == codec.ColumnText {
				// In binary a reg* value is a bare OID (its name needs the
				// catalog): pgwal prints it as a string of digits.
				oid, err := s.ExecDB(ctx, pgserver.Database, "SELECT "+pgserver.QuoteLiteral(string(tc.Data))+"::"+reg+"::oid")
				if err != nil || string(bj) != jsonString(oid) {
					t.Errorf("%s: binary prints %s, want the OID of %q, %q (%v)", where, bj, tc.Data, oid, err)
				}
				regOIDs++
			} else if !bytes.Equal(bj, tj) {
				t.Errorf("%s: binary session prints %s, text session %s", where, bj, tj)
			}

			for _, format := range []string{"format-version=1", "format-version=2"} {
				wc, ok := w2j[format][i][name]
				if !ok {
					t.Errorf("%s: %s has no such column", where, format)
					continue
				}
				if wc.oid != col.TypeOID {
					t.Errorf("%s: %s says type %s, OID %d", where, format, wc.typ, wc.oid)
					continue
				}
				if format == "format-version=1" && j == 0 && string(wc.value) != id {
					t.Errorf("%s: %s row is id %s", where, format, wc.value)
					continue
				}
				wantW2J, wantPgwal := string(tj), string(tj)
				if tc.Kind == codec.ColumnText {
					for _, d := range w2jDifferences {
						if containsOID(d.oids, col.TypeOID) && d.applies(string(tc.Data)) {
							wantW2J, wantPgwal = d.wal2json(string(tc.Data)), d.pgwal(string(tc.Data))
							used[d.name]++
							break
						}
					}
				}
				if err := sameJSON(tj, []byte(wantPgwal)); err != nil {
					t.Errorf("%s: pgwal prints %s, want %s: %v", where, tj, wantPgwal, err)
				}
				if err := sameJSON(wc.value, []byte(wantW2J)); err != nil {
					t.Errorf("%s: %s prints %s, pgwal %s: %v", where, format, wc.value, tj, err)
					continue
				}
				if wantW2J == string(tj) && !bytes.Equal(wc.value, tj) {
					if !strings.ContainsAny(string(tc.Data), "\b\f") {
						t.Errorf("%s: %s prints %s, pgwal %s: the same JSON spelled differently", where, format, wc.value, tj)
					}
					escapes++
				}
				compared[name]++
			}
		}
	}
	for _, col := range rel.Columns {
		// every column holds a value in some row, and NULL in the last
		if n := compared[string(col.Name)]; n != 2*nrows {
			t.Errorf("column %s (OID %d): %d values compared with wal2json, want %d", col.Name, col.TypeOID, n, 2*nrows)
		}
	}
	for _, d := range w2jDifferences {
		if used[d.name] == 0 {
			t.Errorf("difference %q explained no value: the workload lacks a case for it, or it is gone", d.name)
		}
	}
	if regOIDs == 0 || escapes == 0 {
		t.Errorf("%d reg* values, %d strings with \\b or \\f compared: the workload lacks them", regOIDs, escapes)
	}
	t.Logf("%d rows x %d columns compared with wal2json (two formats); deliberate differences: %v", nrows, len(rel.Columns), used)
}

func containsOID(oids []uint32, oid uint32) bool {
	for _, o := range oids {
		if o == oid {
			return true
		}
	}
	return false
}

// jsonScalar decodes one JSON scalar, numbers as their literal text.
func jsonScalar(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.InputOffset() != int64(len(bytes.TrimRight(b, " \t\r\n"))) {
		return nil, fmt.Errorf("trailing data after %s", b[:d.InputOffset()])
	}
	switch v.(type) {
	case nil, bool, json.Number, string:
		return v, nil
	}
	return nil, fmt.Errorf("%s is not a JSON scalar", b)
}

// sameJSON reports, as an error, whether a and b are not the same JSON
// token (one scalar each).
func sameJSON(a, b []byte) error {
	va, err := jsonScalar(a)
	if err != nil {
		return err
	}
	vb, err := jsonScalar(b)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(va, vb) {
		return fmt.Errorf("%T %#v and %T %#v differ", va, va, vb, vb)
	}
	return nil
}

// parseWal2JSON returns the public.types_t inserts in wal2json's output
// (one line per transaction in format 1, per change in format 2), each as
// its columns by name.
func parseWal2JSON(version string, lines []string) ([]map[string]w2jColumn, error) {
	var rows []map[string]w2jColumn
	for _, line := range lines {
		d := json.NewDecoder(strings.NewReader(line))
		d.DisallowUnknownFields()
		switch version {
		case "1":
			var tx struct {
				Change []struct {
					Kind, Schema, Table string
					ColumnNames         []string
					ColumnTypes         []string
					ColumnTypeOIDs      []uint32
					ColumnValues        []json.RawMessage
				}
			}
			if err := d.Decode(&tx); err != nil {
				return nil, fmt.Errorf("%v: %.300s", err, line)
			}
			for _, c := range tx.Change {
				if c.Kind != "insert" || c.Schema != "public" || c.Table != "types_t" {
					continue
				}
				n := len(c.ColumnNames)
				if len(c.ColumnTypes) != n || len(c.ColumnTypeOIDs) != n || len(c.ColumnValues) != n {
					return nil, fmt.Errorf("ragged change: %.300s", line)
				}
				row := map[string]w2jColumn{}
				for k, name := range c.ColumnNames {
					row[name] = w2jColumn{typ: c.ColumnTypes[k], oid: c.ColumnTypeOIDs[k], value: c.ColumnValues[k]}
				}
				rows = append(rows, row)
			}
		case "2":
			var ch struct {
				Action, Schema, Table string
				XID                   uint64
				Timestamp             string
				LSN                   string `json:"lsn"`
				NextLSN               string `json:"nextlsn"`
				Columns               []struct {
					Name, Type string
					TypeOID    uint32
					Value      json.RawMessage
				}
			}
			if err := d.Decode(&ch); err != nil {
				return nil, fmt.Errorf("%v: %.300s", err, line)
			}
			if ch.Action != "I" || ch.Schema != "public" || ch.Table != "types_t" {
				continue
			}
			row := map[string]w2jColumn{}
			for _, c := range ch.Columns {
				row[c.Name] = w2jColumn{typ: c.Type, oid: c.TypeOID, value: c.Value}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}
