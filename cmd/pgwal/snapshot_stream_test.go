package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/internal/recvlogical"
	"github.com/pgwal/pgwal/lsn"
)

// A replayed is one line of pgwal stream's output as a row operation on
// a two-column table (key, value), whatever the --format.
type replayed struct {
	op         string // snapshot, insert, update, delete, prepared-*, commit_prepared, rollback_prepared, end, skip
	table, gid string
	key, val   string // raw JSON of the first and second column
}

type lineParser func(t *testing.T, line string) []replayed

type col struct {
	Name  string
	Value json.RawMessage
}

func kv(cols []col) (string, string) {
	if len(cols) < 2 {
		return string(cols[0].Value), ""
	}
	return string(cols[0].Value), string(cols[1].Value)
}

// parsePgwalLine reads --format pgwal's one change per line.
func parsePgwalLine(t *testing.T, line string) []replayed {
	var o struct {
		Op, Table, Unit, GID, Prefix string
		New, Old                     []col
	}
	if err := json.Unmarshal([]byte(line), &o); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	r := replayed{op: o.Op, table: o.Table, gid: o.GID}
	switch o.Op {
	case "snapshot", "insert", "update":
		r.key, r.val = kv(o.New)
		if old, _ := kv(append(o.Old, col{})); o.Op == "update" && len(o.Old) > 0 && old != r.key {
			// A key change: the row under the old key goes.
			del := replayed{op: "delete", table: o.Table, gid: o.GID, key: old}
			ins := r
			ins.op = "insert"
			if o.Unit == "prepared" {
				del.op, ins.op = "prepared-delete", "prepared-insert"
			}
			return []replayed{del, ins}
		}
	case "delete":
		r.key, _ = kv(o.Old)
	case "message":
		if o.Prefix != "end" {
			return nil
		}
		r.op = "end"
	case "commit_prepared", "rollback_prepared":
	default:
		return nil
	}
	if o.Unit == "prepared" {
		r.op = "prepared-" + r.op
	}
	return []replayed{r}
}

// parseW2J2Line reads wal2json's format 2 (run with include-xids=1: a
// copied row has xid 0).
func parseW2J2Line(t *testing.T, line string) []replayed {
	var o struct {
		Action, Table, Prefix string
		Xid                   *uint32
		Columns, Identity     []col
	}
	if err := json.Unmarshal([]byte(line), &o); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	r := replayed{table: o.Table}
	switch o.Action {
	case "I":
		if o.Xid == nil {
			t.Fatalf("no xid (run with include-xids=1): %s", line)
		}
		r.op = "insert"
		if *o.Xid == 0 {
			r.op = "snapshot"
		}
		r.key, r.val = kv(o.Columns)
	case "U":
		r.op = "update"
		r.key, r.val = kv(o.Columns)
		if k, _ := kv(o.Identity); len(o.Identity) > 0 && k != r.key {
			t.Fatalf("a key change, which the workload does not make: %s", line)
		}
	case "D":
		r.op = "delete"
		r.key, _ = kv(o.Identity)
	case "M":
		if o.Prefix != "end" {
			return nil
		}
		r.op = "end"
	default:
		return nil
	}
	return []replayed{r}
}

// parseW2J1Line reads wal2json's format 1 (include-xids=1).
func parseW2J1Line(t *testing.T, line string) []replayed {
	var o struct {
		Xid    *uint32
		Change []struct {
			Kind, Table, Prefix string
			ColumnValues        []json.RawMessage
			OldKeys             struct{ KeyValues []json.RawMessage }
		}
	}
	if err := json.Unmarshal([]byte(line), &o); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	var rs []replayed
	for _, c := range o.Change {
		r := replayed{op: c.Kind, table: c.Table}
		switch c.Kind {
		case "insert", "update":
			if c.Kind == "insert" && o.Xid != nil && *o.Xid == 0 {
				r.op = "snapshot"
			}
			r.key, r.val = string(c.ColumnValues[0]), string(c.ColumnValues[1])
		case "delete":
			r.key = string(c.OldKeys.KeyValues[0])
		case "message":
			if c.Prefix != "end" {
				continue
			}
			r.op = "end"
		default:
			continue
		}
		rs = append(rs, r)
	}
	return rs
}

// replay applies the output to empty tables: copied rows first, each
// once; then the streamed changes, each to a row in the state it must be
// in (an insert of a row not held, an update or delete of one held), a
// prepared transaction's at its COMMIT PREPARED. It returns the tables,
// the number of copied rows and of streamed changes.
func replay(t *testing.T, out string, parse lineParser) (map[string]map[string]string, int, int) {
	t.Helper()
	tables := map[string]map[string]string{}
	prepared := map[string][]replayed{}
	snapRows, changes, ended := 0, 0, false
	var apply func(r replayed, line string)
	apply = func(r replayed, line string) {
		tab := tables[r.table]
		if tab == nil && r.table != "" {
			tab = map[string]string{}
			tables[r.table] = tab
		}
		switch r.op {
		case "snapshot":
			if changes > 0 || ended {
				t.Fatalf("a copied row after the stream began: %s", line)
			}
			snapRows++
			if _, dup := tab[r.key]; dup {
				t.Fatalf("row %s of %s copied twice: %s", r.key, r.table, line)
			}
			tab[r.key] = r.val
		case "insert":
			changes++
			if _, dup := tab[r.key]; dup {
				t.Fatalf("insert of a row already held (copied and streamed?): %s", line)
			}
			tab[r.key] = r.val
		case "update":
			changes++
			if _, ok := tab[r.key]; !ok {
				t.Fatalf("update of a row not held: %s", line)
			}
			tab[r.key] = r.val
		case "delete":
			changes++
			if _, ok := tab[r.key]; !ok {
				t.Fatalf("delete of a row not held: %s", line)
			}
			delete(tab, r.key)
		case "commit_prepared":
			for _, p := range prepared[r.gid] {
				apply(p, line)
			}
			delete(prepared, r.gid)
		case "rollback_prepared":
			delete(prepared, r.gid)
		case "end":
			ended = true
		default:
			if op, ok := strings.CutPrefix(r.op, "prepared-"); ok {
				r.op = op
				prepared[r.gid] = append(prepared[r.gid], r)
				return
			}
			t.Fatalf("op %q: %s", r.op, line)
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		for _, r := range parse(t, line) {
			apply(r, line)
		}
	}
	if !ended {
		t.Fatal("the stream did not reach the end of the workload")
	}
	if len(prepared) > 0 {
		t.Errorf("prepared transactions never resolved: %v", prepared)
	}
	return tables, snapRows, changes
}

// snapshotRun is one pgwal stream --snapshot run against a workload.
type snapshotRun struct {
	setup string               // the tables and the publications
	pubs  string               // the publications streamed; "" is pub
	work  func(i int) []string // the statements of step i (one psql call each)
	steps int                  // how many steps
	want  string               // SQL: table|key|json value, one row per line
	args  []string             // --format and its options
	parse lineParser
	// streamSlot, if set, is a slot made before the setup: streamed
	// alone (no snapshot) to the end of the workload, it replays to the
	// tables too.
	streamSlot string
}

// run starts the workload, then pgwal stream --snapshot while it runs; it
// replays the output and compares it with the tables at the end.
func (sr snapshotRun) run(t *testing.T, s *pgserver.Server, slot string) {
	t.Helper()
	f := newFixture(s, 30*time.Second)
	pubs := sr.pubs
	if pubs == "" {
		pubs = "pub"
	}
	if sr.streamSlot != "" {
		if code, _, stderr := runPgwal(t, "--dsn", f.dsn, "-S", sr.streamSlot, "--create-slot"); code != 0 {
			t.Fatalf("create slot: exit %d: %s", code, stderr)
		}
	}
	f.sql(t, sr.setup+`
GRANT SELECT ON ALL TABLES IN SCHEMA public TO `+pgserver.QuoteIdent(pgserver.ReplicationUser)+";")
	out := t.TempDir() + "/out"
	work := concurrentWorkload(s, 2*time.Minute, sr.steps, 5*time.Millisecond, sr.work)
	time.Sleep(100 * time.Millisecond)
	p := startPgwal(t, append([]string{"--dsn", f.dsn, "-S", slot, "--create-slot", "--start", "--snapshot", "--snapshot-jobs", "2",
		"--publication", pubs, "--messages", "-f", out}, sr.args...)...)
	if err := <-work; err != nil {
		t.Fatal(err)
	}
	// Every format prints the marker message's prefix so.
	waitUntil(t, "the end of the workload in the output", p, func() bool {
		b, _ := os.ReadFile(out)
		return strings.Contains(string(b), `"prefix":"end"`)
	})
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d: %s", code, p.stderr.String())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	snapRows, changes := compareReplay(t, f, string(raw), sr.parse, sr.want)
	if slices.Contains(sr.args, "--two-phase") {
		if tp := f.sql(t, "SELECT two_phase FROM pg_replication_slots WHERE slot_name = "+pgserver.QuoteLiteral(slot)); tp != "t" {
			t.Errorf("--snapshot --two-phase made a slot with two_phase %q", tp)
		}
		if strings.Count(string(raw), `"unit":"prepared"`) == 0 && slices.Contains(sr.args, "pgwal") {
			t.Error("--format pgwal --two-phase printed no prepared transaction at its PREPARE")
		}
	}
	if snapRows == 0 || changes == 0 {
		t.Errorf("%d copied rows, %d streamed changes: want both", snapRows, changes)
	}
	t.Logf("--snapshot: %d copied rows, %d streamed changes", snapRows, changes)
	if sr.streamSlot == "" {
		return
	}
	end := f.lsnOf(t, "SELECT pg_current_wal_insert_lsn()")
	code, stdout, stderr := runPgwal(t, append([]string{"--dsn", f.dsn, "-S", sr.streamSlot, "--start", "--publication", pubs, "--messages",
		"-E", end.String(), "-f", "-"}, sr.args...)...)
	if code != 0 {
		t.Fatalf("streaming %s: exit %d: %s", sr.streamSlot, code, stderr)
	}
	snapRows, changes = compareReplay(t, f, stdout, sr.parse, sr.want)
	if snapRows != 0 || changes == 0 {
		t.Errorf("streaming alone: %d copied rows, %d streamed changes", snapRows, changes)
	}
	t.Logf("streaming alone: %d changes", changes)
}

// compareReplay replays out and compares the result with the rows the
// want query lists (table|key|json value).
func compareReplay(t *testing.T, f *fixture, out string, parse lineParser, wantSQL string) (snapRows, changes int) {
	t.Helper()
	got, snapRows, changes := replay(t, out, parse)
	want := map[string]map[string]string{}
	for _, line := range strings.Split(f.sql(t, wantSQL), "\n") {
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			t.Fatalf("want query row %q", line)
		}
		if want[parts[0]] == nil {
			want[parts[0]] = map[string]string{}
		}
		want[parts[0]][parts[1]] = parts[2]
	}
	for tab := range got {
		if len(got[tab]) == 0 && want[tab] == nil {
			delete(got, tab) // a table emptied by the workload
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("replayed output differs from the tables (-tables +replay):\n%s", d)
	}
	return snapRows, changes
}

const snapshotTables = `CREATE TABLE public.t (id int PRIMARY KEY, note text);
CREATE TABLE public.u (id int PRIMARY KEY, n bigint);
INSERT INTO public.t SELECT g, 'seed ' || g FROM generate_series(1, 5000) g;
INSERT INTO public.u SELECT g, g * 10 FROM generate_series(1, 300) g;
CREATE PUBLICATION pub FOR TABLE public.t, public.u;`

const snapshotWant = `SELECT 't|' || id || '|' || to_json(note) FROM public.t UNION ALL SELECT 'u|' || id || '|' || to_json(n) FROM public.u`

// snapshotWork: inserts, updates and deletes; with twoPhase, every
// third step in a prepared transaction, committed one step later, and
// every ninth rolled back.
func snapshotWork(twoPhase bool) func(i int) []string {
	return func(i int) []string {
		body := fmt.Sprintf(`INSERT INTO public.t VALUES (%d, 'new'); UPDATE public.t SET note = 'upd %d' WHERE id = %d;
DELETE FROM public.t WHERE id = %d; UPDATE public.u SET n = n + 1 WHERE id = %d;`, 30000+i, i, 1+i*23, 2+i*19, 1+i%300)
		if !twoPhase || i%3 != 0 {
			qs := []string{body}
			if twoPhase && i%3 == 1 {
				end := "COMMIT"
				if i%9 == 1 {
					end = "ROLLBACK"
				}
				qs = append(qs, fmt.Sprintf("%s PREPARED 'g%d'", end, i-1))
			}
			return qs
		}
		return []string{"BEGIN; " + body + fmt.Sprintf(" PREPARE TRANSACTION 'g%d';", i)}
	}
}

// --snapshot with --format wal2json (formats 1 and 2, and 2 with
// --two-phase), on Debian's 15: copied rows and streamed changes replayed
// equal the tables.
func TestStreamSnapshotWal2JSON(t *testing.T) {
	s := wal2jsonServer(t)
	for i, tc := range []struct {
		name  string
		args  []string
		parse lineParser
		two   bool
	}{
		{"format 2", []string{"-o", "format-version=2", "-o", "include-xids=1"}, parseW2J2Line, false},
		{"format 1", []string{"-o", "format-version=1", "-o", "include-xids=1", "-o", "include-lsn=1"}, parseW2J1Line, false},
		{"format 2 two-phase", []string{"-o", "format-version=2", "-o", "include-xids=1", "--two-phase", "--state-dir", t.TempDir() + "/state"}, parseW2J2Line, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			schema := "DROP PUBLICATION IF EXISTS pub; DROP TABLE IF EXISTS public.t, public.u;\n"
			snapshotRun{setup: schema + snapshotTables, work: snapshotWork(tc.two), steps: 90, want: snapshotWant,
				args: append([]string{"--format", "wal2json"}, tc.args...), parse: tc.parse}.run(t, s, fmt.Sprintf("snapw2j_%d", i))
		})
	}
}

// --snapshot --two-phase with --format pgwal: a prepared transaction's
// changes are printed at PREPARE, applied at COMMIT PREPARED.
func TestStreamSnapshotTwoPhase(t *testing.T) {
	s := pgserver.StartT(t, pgserver.Config{Settings: map[string]string{"max_prepared_transactions": "10"}})
	t.Logf("PostgreSQL %d", s.Major())
	snapshotRun{setup: snapshotTables, work: snapshotWork(true), steps: 90, want: snapshotWant,
		args: []string{"--format", "pgwal", "--two-phase"}, parse: parsePgwalLine}.run(t, s, "snap2pc")
}

// A copied row in --format wal2json is printed as the wal2json plugin
// prints the INSERT of that row, byte for byte: the plugin's output for
// one INSERT statement per table (at most snapshotTxnRows rows: one
// synthetic transaction each; types built in and an enum, a domain, an
// array of the enum and a composite) equals pgwal's snapshot output, but for
// what no transaction of the copy has: xid 0, lsn and nextlsn the
// consistent point, timestamp the slot's creation.
func TestStreamSnapshotWal2JSONMatchesPlugin(t *testing.T) {
	s := wal2jsonServer(t)
	f := newFixture(s, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f.sql(t, `CREATE TABLE public.a_typed (id int PRIMARY KEY, big bigint, small smallint, n numeric(10,3), f float8, r real, ok bool,
  ts timestamptz, d date, doc jsonb, raw bytea, tags text[], u uuid, v varchar(12), iv interval, note text);
CREATE TABLE public.b_plain (id int, note text);
ALTER TABLE public.b_plain REPLICA IDENTITY FULL;
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN public.posint AS int CHECK (VALUE > 0);
CREATE TYPE public.pair AS (a int, b text);
CREATE TABLE public.c_user (id int PRIMARY KEY, m public.mood, p public.posint, moods public.mood[], pr public.pair);
GRANT SELECT ON ALL TABLES IN SCHEMA public TO `+pgserver.QuoteIdent(pgserver.ReplicationUser)+`;
CREATE PUBLICATION pub FOR ALL TABLES;`)
	runs := [][]string{
		{"format-version=1"},
		{"format-version=1", "include-xids=1", "include-lsn=1", "include-timestamp=1", "include-typmod=0", "pretty-print=1"},
		{"format-version=2", "include-types=1", "include-typmod=1", "include-pk=1", "include-type-oids=1"},
		{"format-version=2", "include-xids=1", "include-lsn=1", "include-timestamp=1"},
	}
	for i := range runs {
		if err := recvlogical.CreateSlot(ctx, s, recvlogical.Options{Slot: fmt.Sprintf("w2j_seed_%d", i), Plugin: "wal2json"}); err != nil {
			t.Fatal(err)
		}
	}
	f.sql(t, `INSERT INTO public.a_typed SELECT g, g * 100000000000, g % 300, g * 1.125, g / 7.0, g / 3.0, g % 2 = 0,
  '2024-02-29 23:59:59.5+00'::timestamptz + g * interval '1 day 1.25 second', '2000-01-01'::date + g,
  jsonb_build_object('g', g, 's', 'q"' || g), decode(md5(g::text), 'hex'), ARRAY['a' || g, NULL, 'b c'],
  md5(g::text)::uuid, 'v' || g, g * interval '1 hour 2 minutes', CASE WHEN g % 4 = 0 THEN NULL ELSE E'line\n"' || g || E'"\t\\' END
FROM generate_series(1, 700) g;
INSERT INTO public.b_plain SELECT g, 'é ' || g FROM generate_series(1, 300) g;
INSERT INTO public.c_user SELECT g, (ARRAY['sad', 'ok', 'happy'])[1 + g % 3]::public.mood, g, ARRAY['ok', 'sad']::public.mood[],
  ROW(g, 'p "' || g || '"')::public.pair FROM generate_series(1, 50) g;`)
	end := f.lsnOf(t, "SELECT pg_current_wal_insert_lsn()")
	fieldRE := regexp.MustCompile(`"(xid|lsn|nextlsn|timestamp)":\s*("[^"]*"|[0-9]+)`)
	for i, opts := range runs {
		t.Run(strings.Join(opts, ","), func(t *testing.T) {
			want, err := recvlogical.Stream(ctx, s, recvlogical.Options{Slot: fmt.Sprintf("w2j_seed_%d", i), PluginOptions: opts, EndPos: end, Env: []string{w2jEnv}})
			if err != nil {
				t.Fatal(err)
			}
			slot := fmt.Sprintf("snapw2jcmp_%d", i)
			before := f.lsnOf(t, "SELECT pg_current_wal_insert_lsn()")
			args := []string{"stream", "--dsn", f.dsn, "-S", slot, "--create-slot", "--start", "--snapshot", "--publication", "pub",
				"--format", "wal2json", "-E", before.String(), "-f", "-"}
			for _, o := range opts {
				args = append(args, "-o", o)
			}
			r := runSync(args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			// What the copy cannot know, checked, then set aside.
			values := map[string]map[string]bool{}
			for _, m := range fieldRE.FindAllStringSubmatch(r.stdout, -1) {
				if values[m[1]] == nil {
					values[m[1]] = map[string]bool{}
				}
				values[m[1]][m[2]] = true
			}
			for name, vs := range values {
				if len(vs) != 1 {
					t.Errorf("%s takes %d values over the copied rows, want one: %v", name, len(vs), vs)
				}
			}
			if xs := values["xid"]; xs != nil && !xs["0"] {
				t.Errorf("xid %v, want 0", xs)
			}
			for _, name := range []string{"lsn", "nextlsn"} {
				for v := range values[name] {
					at, err := lsn.Parse(strings.Trim(v, `"`))
					if err != nil || at < before {
						t.Errorf("%s %s: want the consistent point, at or after %v", name, v, before)
					}
				}
			}
			norm := func(lines []string) []string {
				out := make([]string, len(lines))
				for i, l := range lines {
					out[i] = fieldRE.ReplaceAllString(l, `"$1":"-"`)
				}
				return sortChanges(t, out)
			}
			if len(want) < 2 {
				t.Fatalf("the plugin printed %d lines", len(want))
			}
			if d := cmp.Diff(norm(want), norm(got)); d != "" {
				t.Errorf("copied rows differ from the plugin's INSERTs (-plugin +pgwal):\n%.6000s", d)
			}
			t.Logf("%d lines, %d bytes", len(got), len(r.stdout))
		})
	}
}

// sortChanges orders the changes of each transaction (COPY reads a table
// in its physical order, the plugin prints the INSERT order): format 2's
// change lines between a B and a C line, format 1's elements of a
// "change" array (one line per transaction, or with pretty-print=1 the
// lines of one change object per element).
func sortChanges(t *testing.T, lines []string) []string {
	t.Helper()
	if len(lines) > 0 && strings.HasPrefix(lines[0], `{"action"`) {
		out := slices.Clone(lines)
		from := 0
		for i, l := range out {
			switch {
			case strings.HasPrefix(l, `{"action":"B"`):
				from = i + 1
			case strings.HasPrefix(l, `{"action":"C"`):
				slices.Sort(out[from:i])
			}
		}
		return out
	}
	text := strings.Join(lines, "\n")
	var out []string
	// Each transaction is one JSON value (possibly over several lines).
	dec := json.NewDecoder(strings.NewReader(text))
	for dec.More() {
		var txn map[string]json.RawMessage
		if err := dec.Decode(&txn); err != nil {
			t.Fatalf("format 1 output: %v", err)
		}
		var changes []json.RawMessage
		if err := json.Unmarshal(txn["change"], &changes); err != nil {
			t.Fatalf("format 1 change array: %v", err)
		}
		elems := make([]string, len(changes))
		for i, c := range changes {
			elems[i] = string(c)
		}
		slices.Sort(elems)
		delete(txn, "change")
		head, _ := json.Marshal(txn)
		out = append(out, string(head))
		out = append(out, elems...)
	}
	return out
}
