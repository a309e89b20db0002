package value

import (
	"errors"
	"strings"
	"testing"

	"github.com/pgwal/pgwal/internal/pgserver"
)

func TestUnknownType(t *testing.T) {
	_, err := AppendText(nil, 999999, -1, []byte{1})
	var e *Error
	if !errors.As(err, &e) || e.OID != 999999 || !errors.Is(err, ErrUnknownType) || !strings.Contains(err.Error(), "999999") {
		t.Fatalf("AppendText of an unknown OID: %v", err)
	}
}

// Every registered type is where its OID says, and arrays and elements
// point at each other.
func TestRegistry(t *testing.T) {
	for oid, ty := range builtin {
		if ty == nil {
			continue
		}
		if ty.OID != uint32(oid) || ty.Name == "" || ty.Category == 0 {
			t.Errorf("OID %d: %+v", oid, ty)
		}
		if ty.Elem != 0 {
			if e, ok := Lookup(ty.Elem); ok && e.Array != ty.OID {
				t.Errorf("%s: element %s names array %d", ty.Name, e.Name, e.Array)
			}
		}
	}
}

// The real-server helper itself: the server's own text and binary forms.
func TestServerHelper(t *testing.T) {
	eachServer(t, func(t *testing.T, s *pgserver.Server) {
		var rows [][2]string
		queryJSON(t, s, "SELECT json_agg(json_build_array(v::text, encode(int4send(v), 'hex'))) FROM (VALUES (1), (-2)) t(v)", &rows)
		if len(rows) != 2 || rows[0] != [2]string{"1", "00000001"} || rows[1] != [2]string{"-2", "fffffffe"} {
			t.Fatalf("rows %q", rows)
		}
	})
}
