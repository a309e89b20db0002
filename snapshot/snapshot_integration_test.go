package snapshot_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/snapshot"
	"github.com/pgwal/pgwal/value"
	"github.com/pgwal/pgwal/wire"
)

const bigRows = 50000

// setupSQL creates the published tables: typed (numeric, timestamptz,
// text[], jsonb, bytea, NULLs), big (50,000 rows), and on 15+ filtered
// (row filter region = 'eu'; the key includes region, so rows move in and
// out of the filter) and cols (column list without secret).
func setupSQL(version int) string {
	s := `
CREATE TABLE typed (id int PRIMARY KEY, n numeric, ts timestamptz, tags text[], doc jsonb, raw bytea, note text);
INSERT INTO typed SELECT g, g * 1.5, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 hour 1.5 second',
  ARRAY['a' || g, NULL, 'q"' || g], jsonb_build_object('g', g, 'l', jsonb_build_array(g, 'x')),
  decode(md5(g::text), 'hex'), CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || g END
FROM generate_series(1, 2000) g;
CREATE TABLE big (id int PRIMARY KEY, payload text);
INSERT INTO big SELECT g, repeat('x', 40) || g FROM generate_series(1, ` + fmt.Sprint(bigRows) + `) g;
`
	if version < 15 {
		return s + "CREATE PUBLICATION pub FOR TABLE typed, big;"
	}
	return s + `
CREATE TABLE filtered (id int, region text, amount numeric, PRIMARY KEY (id, region));
INSERT INTO filtered SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g FROM generate_series(1, 1000) g;
CREATE TABLE cols (id int PRIMARY KEY, visible text, secret text);
INSERT INTO cols SELECT g, 'v' || g, 's' || g FROM generate_series(1, 1000) g;
CREATE PUBLICATION pub FOR TABLE typed, big, filtered WHERE (region = 'eu'), cols (id, visible);`
}

// workload changes the tables until stop is closed, each change in its
// own transaction or a few in one; it counts the committed statements.
func workload(ctx context.Context, c *wire.Conn, version int, stop <-chan struct{}, done *atomic.Int64) error {
	rnd := rand.New(rand.NewSource(int64(version)))
	nextID := 100000
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		var stmts []string
		for k := 1 + rnd.Intn(3); k > 0; k-- {
			id := 1 + rnd.Intn(2200)
			switch op := rnd.Intn(12); {
			case op < 2:
				nextID++
				stmts = append(stmts, fmt.Sprintf(`INSERT INTO typed VALUES (%d, %d.25, now(), ARRAY['new', NULL], '{"new": true}', '\x00ff', NULL)`, nextID, nextID))
			case op < 4:
				stmts = append(stmts, fmt.Sprintf(`UPDATE typed SET n = n + 0.001, note = 'u' || %d, tags = tags || 'u'::text, doc = doc || '{"u": 1}' WHERE id = %d`, rnd.Int(), id))
			case op < 5:
				stmts = append(stmts, fmt.Sprintf(`DELETE FROM typed WHERE id = %d`, id))
			case op < 6:
				stmts = append(stmts, fmt.Sprintf(`UPDATE big SET payload = 'changed %d' WHERE id = %d`, rnd.Int(), 1+rnd.Intn(bigRows)))
			case version < 15:
				stmts = append(stmts, fmt.Sprintf(`UPDATE typed SET raw = NULL WHERE id = %d`, id))
			case op < 7:
				nextID++
				stmts = append(stmts, fmt.Sprintf(`INSERT INTO filtered VALUES (%d, '%s', 7)`, nextID, []string{"eu", "us"}[rnd.Intn(2)]))
			case op < 9:
				// Moves a row into or out of the filter (a key change).
				stmts = append(stmts, fmt.Sprintf(`UPDATE filtered SET region = CASE region WHEN 'eu' THEN 'us' ELSE 'eu' END, amount = amount + 1 WHERE id = %d`, id%1000+1))
			case op < 10:
				stmts = append(stmts, fmt.Sprintf(`DELETE FROM filtered WHERE id = %d`, id))
			case op < 11:
				nextID++
				stmts = append(stmts, fmt.Sprintf(`INSERT INTO cols VALUES (%d, 'nv', 'ns')`, nextID))
			default:
				stmts = append(stmts, fmt.Sprintf(`UPDATE cols SET visible = visible || '+', secret = 'x' WHERE id = %d`, id%1000+1))
			}
		}
		q := strings.Join(stmts, "; ")
		if len(stmts) > 1 {
			q = "BEGIN; " + q + "; COMMIT"
		}
		if _, err := c.Exec(ctx, q); err != nil {
			return err
		}
		done.Add(int64(len(stmts)))
	}
}

// replica is the in-memory copy: per table, rows keyed by their key
// columns' text, each row its columns' text ("∅" for NULL).
type replica map[string]map[string][]string

func render(oid uint32, mod int32, c codec.Column) (string, error) {
	switch c.Kind {
	case codec.ColumnNull:
		return "∅", nil
	case codec.ColumnBinary:
		b, err := value.AppendText(nil, oid, mod, c.Data)
		return string(b), err
	case codec.ColumnText:
		return string(c.Data), nil
	}
	return "", fmt.Errorf("column kind %q", c.Kind)
}

// rowOf renders a tuple; old supplies unchanged TOASTed values.
func rowOf(rel *codec.Relation, t codec.Tuple, old []string) ([]string, error) {
	if len(t) != len(rel.Columns) {
		return nil, fmt.Errorf("%s: %d columns, relation has %d", rel.Name, len(t), len(rel.Columns))
	}
	row := make([]string, len(t))
	for i, c := range t {
		if c.Kind == codec.ColumnUnchanged {
			if old == nil {
				return nil, fmt.Errorf("%s: unchanged value without an old row", rel.Name)
			}
			row[i] = old[i]
			continue
		}
		s, err := render(rel.Columns[i].TypeOID, rel.Columns[i].TypeMod, c)
		if err != nil {
			return nil, err
		}
		row[i] = s
	}
	return row, nil
}

func keyOf(rel *codec.Relation, row []string) string {
	var k []string
	for i, c := range rel.Columns {
		if c.Key() {
			k = append(k, row[i])
		}
	}
	return strings.Join(k, "|")
}

func (r replica) put(rel *codec.Relation, row []string) {
	name := string(rel.Name)
	if r[name] == nil {
		r[name] = map[string][]string{}
	}
	r[name][keyOf(rel, row)] = row
}

// apply applies one streamed change.
func (r replica) apply(rels map[uint32]*codec.Relation, m codec.Message) error {
	switch m := m.(type) {
	case *codec.Relation:
		rels[m.RelationID] = codec.Clone(m).(*codec.Relation)
	case *codec.Insert:
		rel := rels[m.RelationID]
		row, err := rowOf(rel, m.New, nil)
		if err != nil {
			return err
		}
		if _, dup := r[string(rel.Name)][keyOf(rel, row)]; dup {
			return fmt.Errorf("%s: insert of a row held (key %s)", rel.Name, keyOf(rel, row))
		}
		r.put(rel, row)
	case *codec.Update:
		rel := rels[m.RelationID]
		table := r[string(rel.Name)]
		var oldKey string
		if m.Old != nil {
			old, err := rowOf(rel, m.Old, nil)
			if err != nil {
				return err
			}
			oldKey = keyOf(rel, old)
		}
		newRow, err := rowOf(rel, m.New, nil)
		if err != nil && m.Old == nil {
			// Unchanged TOASTed values come from the row we hold.
			partial := make([]string, len(rel.Columns))
			for i, c := range m.New {
				if c.Kind != codec.ColumnUnchanged {
					partial[i], _ = render(rel.Columns[i].TypeOID, rel.Columns[i].TypeMod, c)
				}
			}
			newRow, err = rowOf(rel, m.New, table[keyOf(rel, partial)])
		}
		if err != nil {
			return err
		}
		if oldKey == "" {
			oldKey = keyOf(rel, newRow)
		}
		if _, ok := table[oldKey]; !ok {
			return fmt.Errorf("%s: update of a row not held (key %s)", rel.Name, oldKey)
		}
		delete(table, oldKey)
		r.put(rel, newRow)
	case *codec.Delete:
		rel := rels[m.RelationID]
		old, err := rowOf(rel, m.Old, nil)
		if err != nil {
			return err
		}
		k := keyOf(rel, old)
		if _, ok := r[string(rel.Name)][k]; !ok {
			return fmt.Errorf("%s: delete of a row not held (key %s)", rel.Name, k)
		}
		delete(r[string(rel.Name)], k)
	case *codec.Truncate:
		return fmt.Errorf("unexpected truncate")
	}
	return nil
}

// source reads the table as the publication publishes it, with SQL.
func source(ctx context.Context, c *wire.Conn, t *snapshot.Table) (map[string][]string, error) {
	var cols []string
	for _, col := range t.Columns {
		cols = append(cols, pgserver.QuoteIdent(col.Name))
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + t.QualifiedName()
	if t.RowFilter != "" {
		q += " WHERE " + t.RowFilter
	}
	res, err := c.Exec(ctx, q)
	if err != nil {
		return nil, err
	}
	rel := t.Relation()
	out := map[string][]string{}
	for _, r := range res[0].Rows {
		row := make([]string, len(r))
		for i, v := range r {
			row[i] = v.String
			if !v.Valid {
				row[i] = "∅"
			}
		}
		out[keyOf(rel, row)] = row
	}
	return out, nil
}

// TestSnapshotConsistency takes a snapshot of the published tables on
// every server 14–18 while a workload inserts, updates and deletes, then
// streams from the slot's consistent point, applying snapshot rows and
// changes into an in-memory copy, and checks it equals the tables as the
// server has them at the end: nothing missed, nothing applied twice (an
// insert of a row held, an update or delete of a row not held, fails).
func TestSnapshotConsistency(t *testing.T) {
	for _, v := range pgserver.VersionsT(t) {
		v := v
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			t.Parallel()
			s := pgserver.StartT(t, pgserver.Config{Version: v})
			ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
			defer cancel()
			if _, err := s.ExecDB(ctx, pgserver.Database, setupSQL(v)); err != nil {
				t.Fatal(err)
			}
			sqlDSN := s.DSN("", "", pgserver.Database)
			wl, err := wire.ConnectString(ctx, sqlDSN)
			if err != nil {
				t.Fatal(err)
			}
			defer wl.Close()
			stop := make(chan struct{})
			var changes atomic.Int64
			wlErr := make(chan error, 1)
			go func() { wlErr <- workload(ctx, wl, v, stop, &changes) }()
			for changes.Load() < 50 {
				time.Sleep(time.Millisecond)
			}

			cfg, err := wire.ParseConfig(s.DSN("", "", pgserver.Database, "replication=database"))
			if err != nil {
				t.Fatal(err)
			}
			rep := replica{}
			var mu sync.Mutex
			inFn, maxInFn := 0, 0
			var copied int64
			before := changes.Load()
			start := time.Now()
			res, err := snapshot.Copy(ctx, cfg, snapshot.Options{Publications: []string{"pub"}, Slot: "snap", Jobs: 2},
				func(tb *snapshot.Table, row codec.Tuple) error {
					mu.Lock()
					inFn++
					maxInFn = max(maxInFn, inFn)
					mu.Unlock()
					defer func() { mu.Lock(); inFn--; mu.Unlock() }()
					rel := tb.Relation()
					r, err := rowOf(rel, row, nil)
					if err != nil {
						return err
					}
					if _, dup := rep[tb.Name][keyOf(rel, r)]; dup {
						return fmt.Errorf("%s: row %s copied twice", tb.Name, keyOf(rel, r))
					}
					rep.put(rel, r)
					copied++
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Conn.Close()
			during := changes.Load() - before
			took := time.Since(start)
			time.Sleep(200 * time.Millisecond) // changes after the snapshot, too
			close(stop)
			if err := <-wlErr; err != nil {
				t.Fatal(err)
			}
			if maxInFn != 1 {
				t.Errorf("fn ran %d at once", maxInFn)
			}
			if during == 0 {
				t.Fatal("no change committed while the snapshot was taken")
			}
			wantTables := map[string]bool{"typed": true, "big": true}
			if v >= 15 {
				wantTables["filtered"], wantTables["cols"] = true, true
			}
			for _, tc := range res.Tables {
				if !wantTables[tc.Table.Name] {
					t.Errorf("table %s copied", tc.Table.Name)
				}
				delete(wantTables, tc.Table.Name)
				switch tc.Table.Name {
				case "big":
					if tc.Rows != bigRows {
						t.Errorf("big: %d rows", tc.Rows)
					}
				case "filtered":
					if tc.Table.RowFilter == "" {
						t.Errorf("filtered: no row filter")
					}
				case "cols":
					if len(tc.Table.Columns) != 2 {
						t.Errorf("cols: columns %+v", tc.Table.Columns)
					}
				}
			}
			if len(wantTables) > 0 {
				t.Fatalf("tables not copied: %v", wantTables)
			}

			// The end marker: a transactional message after the last change.
			if _, err := wl.Exec(ctx, "SELECT pg_logical_emit_message(true, 'snaptest', 'end')"); err != nil {
				t.Fatal(err)
			}
			stream, err := res.Conn.StartReplication(ctx, "snap", res.Slot.ConsistentPoint, wire.LogicalOptions{
				Publications: []string{"pub"}, Binary: true, Messages: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			rels := map[uint32]*codec.Relation{}
			streamed := 0
			for {
				m, err := stream.Next(ctx)
				if err != nil {
					t.Fatalf("stream: %v (after %d changes)", err, streamed)
				}
				if lm, ok := m.(*codec.LogicalMessage); ok && string(lm.Prefix) == "snaptest" {
					break
				}
				switch m.(type) {
				case *codec.Insert, *codec.Update, *codec.Delete:
					streamed++
				}
				if err := rep.apply(rels, m); err != nil {
					t.Fatalf("change %d: %v", streamed, err)
				}
				if pos, ok := wire.AckPosition(m, stream.WALStart()); ok {
					stream.Ack(pos)
				}
			}
			for _, tc := range res.Tables {
				want, err := source(ctx, wl, tc.Table)
				if err != nil {
					t.Fatal(err)
				}
				got := rep[tc.Table.Name]
				if d := diff(want, got); d != "" {
					t.Errorf("%s: the copy and the stream differ from the table (%d rows vs %d):\n%s", tc.Table.Name, len(got), len(want), d)
				}
			}
			t.Logf("PostgreSQL %d: %d rows copied in %v (Jobs 2) while %d changes committed; %d changes streamed from %s; tables equal",
				v, copied, took.Round(time.Millisecond), during, streamed, res.Slot.ConsistentPoint)
		})
	}
}

func diff(want, got map[string][]string) string {
	var d []string
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			d = append(d, "missing "+strings.Join(w, "|"))
		} else if strings.Join(g, "|") != strings.Join(w, "|") {
			d = append(d, "want "+strings.Join(w, "|")+"\n got "+strings.Join(g, "|"))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			d = append(d, "extra "+strings.Join(g, "|"))
		}
	}
	sort.Strings(d)
	if len(d) > 10 {
		d = append(d[:10], fmt.Sprintf("… %d more", len(d)-10))
	}
	return strings.Join(d, "\n")
}

// TestSnapshotErrors: a missing publication and a table the role may not
// read are typed errors, and the slot Copy created is dropped again.
func TestSnapshotErrors(t *testing.T) {
	s := pgserver.StartT(t, pgserver.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.ExecDB(ctx, pgserver.Database, `CREATE TABLE private (id int PRIMARY KEY);
CREATE PUBLICATION privpub FOR TABLE private;
CREATE ROLE snapuser LOGIN REPLICATION;`); err != nil {
		t.Fatal(err)
	}
	noop := func(*snapshot.Table, codec.Tuple) error { return nil }
	slots := func() string {
		out, err := s.Exec(ctx, "SELECT count(*) FROM pg_replication_slots")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	cfg, _ := wire.ParseConfig(s.DSN("", "", pgserver.Database, "replication=database"))
	_, err := snapshot.Copy(ctx, cfg, snapshot.Options{Publications: []string{"privpub", "nopub"}, Slot: "e1"}, noop)
	var pe *snapshot.PublicationError
	if !errors.Is(err, snapshot.ErrPublicationMissing) || !errors.As(err, &pe) || len(pe.Names) != 1 || pe.Names[0] != "nopub" {
		t.Fatalf("missing publication: %v", err)
	}
	if n := slots(); n != "0" {
		t.Fatalf("%s slots left behind", n)
	}

	ucfg, _ := wire.ParseConfig(s.DSN("snapuser", "", pgserver.Database, "replication=database"))
	_, err = snapshot.Copy(ctx, ucfg, snapshot.Options{Publications: []string{"privpub"}, Slot: "e2"}, noop)
	var te *snapshot.TableError
	if !errors.Is(err, snapshot.ErrPermissionDenied) || !errors.As(err, &te) || te.Name != "private" {
		t.Fatalf("permission denied: %v", err)
	}
	if n := slots(); n != "0" {
		t.Fatalf("%s slots left behind", n)
	}

	// An error from fn stops the copy and comes back as it was.
	if _, err := s.ExecDB(ctx, pgserver.Database, "INSERT INTO private SELECT generate_series(1, 10)"); err != nil {
		t.Fatal(err)
	}
	stopErr := errors.New("stop here")
	_, err = snapshot.Copy(ctx, cfg, snapshot.Options{Publications: []string{"privpub"}, Slot: "e3", Temporary: true},
		func(*snapshot.Table, codec.Tuple) error { return stopErr })
	if !errors.Is(err, stopErr) || !errors.As(err, &te) {
		t.Fatalf("callback error: %v", err)
	}
}
