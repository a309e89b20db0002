package value

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/capfile"
)

// TestCorpusBinaryMatchesText: the shipped corpus holds the same workload
// peeked with binary off (v1-plain) and on (v1-binary) from every version;
// every binary column renders to the text of the same column in the same
// message of the text capture. The workload's user types are registered
// as a consumer would, from what testdata/workload/01-schema.sql says they
// are: an enum, a domain over int4 and a composite.
func TestCorpusBinaryMatchesText(t *testing.T) {
	dirs, _ := filepath.Glob("../testdata/pgoutput/pg*")
	if len(dirs) == 0 {
		t.Fatal("no corpus")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			text, _ := corpusTuples(t, filepath.Join(dir, "v1-plain.txt"))
			bin, types := corpusTuples(t, filepath.Join(dir, "v1-binary.txt"))
			// pgoutput's Type messages name the enum and the composite;
			// for the domain it sends the base type's name, which
			// ApplyType turns into the domain.
			var reg Registry
			for _, ty := range types {
				switch name := string(ty.Namespace) + "." + string(ty.Name); name {
				case "app.mood":
					reg.RegisterText(ty.TypeOID, name, CategoryEnum)
				case "app.point2":
					reg.RegisterComposite(ty.TypeOID, name)
				default:
					if !reg.ApplyType(ty) {
						t.Fatalf("a user type the workload does not say: %s (OID %d)", name, ty.TypeOID)
					}
				}
			}
			if len(text) != len(bin) || len(text) == 0 {
				t.Fatalf("%d and %d tuples", len(text), len(bin))
			}
			n := 0
			var buf []byte
			for i := range text {
				for j, tc := range text[i].cols {
					bc := bin[i].cols[j]
					if bc.Kind != codec.ColumnBinary {
						if bc.Kind != tc.Kind {
							t.Errorf("tuple %d column %d: kinds %c and %c", i, j, tc.Kind, bc.Kind)
						}
						continue
					}
					col := bin[i].rel.Columns[j]
					var err error
					buf, err = reg.AppendText(buf[:0], col.TypeOID, col.TypeMod, bc.Data)
					if regTypeName(col.TypeOID) != "" {
						// A reg* value is an OID in binary and a name in
						// text; the workload names only catalog objects,
						// whose OIDs are fixed.
						oid, known := catalogOIDs[string(tc.Data)]
						if rel := bin[i].rel; string(tc.Data) == rel.Name {
							// The workload's own table: pgoutput's
							// relation ID is its OID.
							oid, known = strconv.FormatUint(uint64(rel.ID), 10), true
						}
						if err != nil || !known || string(buf) != oid {
							t.Errorf("tuple %d %s: binary renders OID %s (%v), the text %q is OID %q", i, col.Name, buf, err, tc.Data, oid)
						}
						n++
						continue
					}
					if err != nil || !bytes.Equal(buf, tc.Data) {
						t.Errorf("tuple %d %s (OID %d): binary renders %q (%v), text is %q", i, col.Name, col.TypeOID, buf, err, tc.Data)
					}
					n++
				}
			}
			t.Logf("%d binary values agree with their text", n)
		})
	}
}

// catalogOIDs are the built-in objects the workload's reg* columns name,
// as a session with the default search_path prints them, with their OIDs
// (fixed in PostgreSQL's catalog headers).
var catalogOIDs = map[string]string{
	"pg_class": "1259", "pg_type": "1247", "pg_namespace": "2615",
	"integer": "23", "timestamp with time zone": "1184", `"char"`: "18", "integer[]": "1007",
}

type corpusTuple struct {
	rel  *codec.RelationInfo
	cols codec.Tuple
}

// corpusTuples decodes a capture and returns every row tuple, new and old,
// in order, with its relation, and the user types its Type messages named.
func corpusTuples(t *testing.T, name string) ([]corpusTuple, []*codec.Type) {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := capfile.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := f.DecoderOptions()
	if err != nil {
		t.Fatal(err)
	}
	dec := codec.NewDecoder(opts)
	var rels codec.RelationCache
	var out []corpusTuple
	var types []*codec.Type
	for _, m := range f.Messages {
		msg, err := dec.Decode(m.Data)
		if err != nil {
			t.Fatalf("%s line %d: %v", name, m.Line, err)
		}
		rels.Apply(msg)
		if ty, ok := msg.(*codec.Type); ok {
			types = append(types, codec.Clone(ty).(*codec.Type))
		}
		var tuples []codec.Tuple
		switch msg := msg.(type) {
		case *codec.Insert:
			tuples = []codec.Tuple{msg.New}
		case *codec.Update:
			tuples = []codec.Tuple{msg.Old, msg.New}
		case *codec.Delete:
			tuples = []codec.Tuple{msg.Old}
		default:
			continue
		}
		info, err := rels.Resolve(msg)
		if err != nil {
			t.Fatalf("%s line %d: %v", name, m.Line, err)
		}
		for _, tu := range tuples {
			if tu != nil {
				out = append(out, corpusTuple{info, codec.Clone(&codec.Insert{New: tu}).(*codec.Insert).New})
			}
		}
	}
	return out, types
}
