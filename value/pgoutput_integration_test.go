package value

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/pgserver"
)

// TestPgoutputTextBinaryAgree streams the typed workload (../testdata/workload/
// 07-types.sql) twice from each server, with binary off and on, and checks
// that every binary column renders to exactly the text the server sent
// for it.
func TestPgoutputTextBinaryAgree(t *testing.T) {
	workload, err := os.ReadFile("../testdata/workload/07-types.sql")
	if err != nil {
		t.Fatal(err)
	}
	eachServer(t, func(t *testing.T, s *pgserver.Server) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		setup := "CREATE PUBLICATION vpub FOR ALL TABLES;\n" +
			"SELECT pg_create_logical_replication_slot('v_text', 'pgoutput');\n" +
			"SELECT pg_create_logical_replication_slot('v_bin', 'pgoutput');\n"
		if _, err := s.ExecDB(ctx, pgserver.Database, setup); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ExecDB(ctx, pgserver.Database, pinned+string(workload)); err != nil {
			t.Fatal(err)
		}
		text, rel := streamRows(ctx, t, s, "v_text", false, 4)
		bin, _ := streamRows(ctx, t, s, "v_bin", true, 4)
		if len(text) != 4 || len(bin) != 4 {
			t.Fatalf("%d and %d rows, want 4 each", len(text), len(bin))
		}
		compared := map[string]int{}
		var buf []byte
		for i := range text {
			for j, tc := range text[i] {
				col := rel.Columns[j]
				bc := bin[i][j]
				if tc.Kind == codec.ColumnNull && bc.Kind == codec.ColumnNull {
					continue
				}
				if tc.Kind != codec.ColumnText || bc.Kind != codec.ColumnBinary {
					t.Errorf("row %d %s: kinds %c and %c", i+1, col.Name, tc.Kind, bc.Kind)
					continue
				}
				buf, err = AppendText(buf[:0], col.TypeOID, col.TypeMod, bc.Data)
				if err != nil {
					t.Errorf("row %d %s (OID %d): %v", i+1, col.Name, col.TypeOID, err)
					continue
				}
				if reg := regTypeName(col.TypeOID); reg != "" {
					// A reg* value is an OID in binary; its text is a name
					// only the catalog knows: the server resolves it back.
					oid, err := s.ExecDB(ctx, pgserver.Database, "SELECT "+pgserver.QuoteLiteral(string(tc.Data))+"::"+reg+"::oid")
					if err != nil || oid != string(buf) {
						t.Errorf("row %d %s: binary renders OID %s, the server's text %q is OID %s (%v)", i+1, col.Name, buf, tc.Data, oid, err)
						continue
					}
					compared[string(col.Name)]++
					continue
				}
				if string(buf) != string(tc.Data) {
					t.Errorf("row %d %s (OID %d): binary renders %q, the server's text is %q", i+1, col.Name, col.TypeOID, buf, tc.Data)
					continue
				}
				compared[string(col.Name)]++
			}
		}
		for _, col := range rel.Columns {
			if name := string(col.Name); name != "id" && compared[name] == 0 {
				t.Errorf("column %s (OID %d): no value compared", name, col.TypeOID)
			}
		}
	})
}

// regTypeName returns the name of a reg* type, "" for others.
func regTypeName(oid uint32) string {
	switch oid {
	case 24, 2202, 2203, 2204, 2205, 2206, 3734, 3769, 4089, 4096, 4191:
		t, _ := Lookup(oid)
		return t.Name
	}
	return ""
}
