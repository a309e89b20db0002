package snapshot_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/snapshot"
	"github.com/pgwal/pgwal/wire"
)

// Columns of types that are not built in (an enum, a domain, an array of
// the enum, a composite) are copied as their text and come as ColumnText,
// also in a plain table published whole; Table.Types describes them as
// pgoutput's Type messages do.
func TestCopyUserTypes(t *testing.T) {
	s := pgserver.StartT(t, pgserver.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.ExecDB(ctx, pgserver.Database, `CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('sad', 'ok');
CREATE DOMAIN public.posint AS int CHECK (VALUE > 0);
CREATE TYPE public.pair AS (a int, b text);
CREATE TABLE public.u (id int PRIMARY KEY, m app.mood, p public.posint, ms app.mood[], pr public.pair);
INSERT INTO public.u VALUES (1, 'ok', 5, '{sad,ok}', ROW(1, 'x y')), (2, NULL, 7, NULL, NULL);
CREATE PUBLICATION pub FOR TABLE public.u;`); err != nil {
		t.Fatal(err)
	}
	cfg, err := wire.ParseConfig(s.DSN("", "", pgserver.Database, "replication=database"))
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	var types []*codec.Type
	res, err := snapshot.Copy(ctx, cfg, snapshot.Options{Publications: []string{"pub"}, Slot: "ut"}, func(tb *snapshot.Table, row codec.Tuple) error {
		types = tb.Types()
		var r []string
		for i, c := range row {
			switch {
			case c.Kind == codec.ColumnNull:
				r = append(r, "NULL")
			case i == 0 && c.Kind == codec.ColumnBinary:
				r = append(r, "int4")
			case i > 0 && c.Kind == codec.ColumnText:
				r = append(r, string(c.Data))
			default:
				r = append(r, "kind "+string(c.Kind))
			}
		}
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Conn.Close()
	want := [][]string{{"int4", "ok", "5", "{sad,ok}", `(1,"x y")`}, {"int4", "NULL", "7", "NULL", "NULL"}}
	if d := cmp.Diff(want, rows); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	var names []string
	for _, ty := range types {
		if ty.TypeOID < 16384 {
			t.Errorf("type %s.%s: OID %d", ty.Namespace, ty.Name, ty.TypeOID)
		}
		names = append(names, string(ty.Namespace)+"."+string(ty.Name))
	}
	if d := cmp.Diff([]string{"app.mood", "public.posint", "app._mood", "public.pair"}, names); d != "" {
		t.Errorf("Types (-want +got):\n%s", d)
	}
}
