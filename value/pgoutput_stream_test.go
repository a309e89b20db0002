package value

import (
	"context"
	"testing"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/wire"
)

// streamRows reads n inserts into public.types_t from a pgoutput slot on
// publication vpub, in binary mode or not, and returns them (copies) and
// the table's Relation.
func streamRows(ctx context.Context, t *testing.T, s *pgserver.Server, slot string, binary bool, n int) ([]codec.Tuple, *codec.Relation) {
	t.Helper()
	cfg, err := wire.ParseConfig(s.DSN("", "", pgserver.Database, "replication=database", "sslmode=disable"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := wire.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	st, err := conn.StartReplication(ctx, slot, 0, wire.LogicalOptions{Publications: []string{"vpub"}, Binary: binary})
	if err != nil {
		t.Fatal(err)
	}
	var rows []codec.Tuple
	var rel *codec.Relation
	for len(rows) < n {
		m, err := st.Next(ctx)
		if err != nil {
			t.Fatalf("%s after %d rows: %v", slot, len(rows), err)
		}
		switch m := m.(type) {
		case *codec.Relation:
			if string(m.Namespace) == "public" && string(m.Name) == "types_t" {
				rel = codec.Clone(m).(*codec.Relation)
			}
		case *codec.Insert:
			if rel != nil && m.RelationID == rel.RelationID {
				rows = append(rows, codec.Clone(m).(*codec.Insert).New)
			}
		}
		if pos, ok := wire.AckPosition(m, st.WALStart()); ok {
			st.Ack(pos)
		}
	}
	st.Close(ctx)
	if rel == nil {
		t.Fatalf("%s: no Relation for public.types_t", slot)
	}
	return rows, rel
}
