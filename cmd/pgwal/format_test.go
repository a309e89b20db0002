package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/internal/recvlogical"
	"github.com/pgwal/pgwal/lsn"
)

const (
	debian15 = "/usr/lib/postgresql/15/bin"
	// w2jEnv pins pg_recvlogical's session to the settings pgwal pins.
	w2jEnv = "PGOPTIONS=-c DateStyle=ISO -c IntervalStyle=postgres -c TimeZone=UTC -c extra_float_digits=3"
)

// formatWorkload: small transactions of every operation, a non-
// transactional message, a truncate, and two transactions larger than
// logical_decoding_work_mem (streamed with --streaming on), one of them
// rolled back, one with a rolled-back savepoint.
const formatWorkload = `
INSERT INTO public.t VALUES (1, 'one', 1.50), (2, 'two', NULL);
UPDATE public.t SET note = 'uno' WHERE id = 1;
DELETE FROM public.t WHERE id = 2;
SELECT pg_logical_emit_message(false, 'fmt', 'outside');
BEGIN; INSERT INTO public.t SELECT g, repeat('x', 40), g FROM generate_series(100, 2100) g;
  SAVEPOINT s; INSERT INTO public.t SELECT g, 'gone', g FROM generate_series(5000, 6000) g; ROLLBACK TO s;
  SELECT pg_logical_emit_message(true, 'fmt', 'inside');
COMMIT;
BEGIN; INSERT INTO public.t SELECT g, 'aborted', g FROM generate_series(9000, 11000) g; ROLLBACK;
TRUNCATE public.u;
INSERT INTO public.u VALUES (1);
`

// pgwal stream --format wal2json prints what the wal2json plugin prints,
// line for line, for the same transactions, with pgoutput streaming the
// large ones (which wal2json cannot) and pgwal assembling them.
func TestFormatWal2JSONMatchesPlugin(t *testing.T) {
	s := wal2jsonServer(t)
	f := newFixture(s, 30*time.Second)
	f.sql(t, `CREATE TABLE public.t (id int PRIMARY KEY, note text, amount numeric(8,2));
CREATE TABLE public.u (id int);
ALTER TABLE public.u REPLICA IDENTITY FULL;
CREATE PUBLICATION pub FOR ALL TABLES;`)
	runs := [][]string{
		{"format-version=2", "include-lsn=1", "include-xids=1", "include-timestamp=1", "include-types=1"},
		{"format-version=1", "include-lsn=1", "include-xids=1", "include-timestamp=1"},
		{"format-version=1", "include-xids=1", "write-in-chunks=1", "include-typmod=0"},
		{"format-version=2", "include-pk=1", "actions=insert,delete"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for i := range runs {
		if err := recvlogical.CreateSlot(ctx, s, recvlogical.Options{Slot: fmt.Sprintf("w2j_%d", i), Plugin: "wal2json"}); err != nil {
			t.Fatal(err)
		}
		if r := runSync("stream", "--dsn", f.dsn, "-S", fmt.Sprintf("pw_%d", i), "--create-slot"); r.code != 0 {
			t.Fatalf("create slot: exit %d: %s", r.code, r.stderr)
		}
	}
	f.sql(t, formatWorkload)
	end, err := lsn.Parse(f.sql(t, "CHECKPOINT; SELECT pg_current_wal_insert_lsn()"))
	if err != nil {
		t.Fatal(err)
	}
	for i, opts := range runs {
		t.Run(strings.Join(opts, ","), func(t *testing.T) {
			want, err := recvlogical.Stream(ctx, s, recvlogical.Options{Slot: fmt.Sprintf("w2j_%d", i), PluginOptions: opts, EndPos: end, Env: []string{w2jEnv}})
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"stream", "--dsn", f.dsn, "-S", fmt.Sprintf("pw_%d", i), "--start", "--publication", "pub",
				"--format", "wal2json", "--streaming", "on", "--messages", "-E", end.String(), "-f", "-"}
			for _, o := range opts {
				args = append(args, "-o", o)
			}
			r := runSync(args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			if len(want) < 5 {
				t.Fatalf("wal2json printed only %d lines", len(want))
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("pgwal --format wal2json differs from the wal2json plugin (-plugin +pgwal):\n%s", d)
			}
		})
	}
}

// pgwal stream --format pgwal prints one JSON object per change with
// typed values, the streamed transaction whole and the aborted one not at
// all; -o transactions prints one object per transaction.
func TestFormatPgwal(t *testing.T) {
	s := pgserver.StartT(t, pgserver.Config{Settings: map[string]string{"logical_decoding_work_mem": "64kB"}})
	f := newFixture(s, 30*time.Second)
	f.sql(t, `CREATE TABLE public.t (id int PRIMARY KEY, note text, amount numeric(8,2));
CREATE TABLE public.u (id int);
ALTER TABLE public.u REPLICA IDENTITY FULL;
CREATE PUBLICATION pub FOR ALL TABLES;`)
	for _, slot := range []string{"pc", "pt"} {
		if r := runSync("stream", "--dsn", f.dsn, "-S", slot, "--create-slot"); r.code != 0 {
			t.Fatalf("create slot: exit %d: %s", r.code, r.stderr)
		}
	}
	f.sql(t, formatWorkload)
	end := f.sql(t, "CHECKPOINT; SELECT pg_current_wal_insert_lsn()")
	stream := func(slot string, extra ...string) []map[string]any {
		args := append([]string{"stream", "--format", "pgwal", "--dsn", f.dsn, "-S", slot, "--start", "--publication", "pub",
			"--streaming", "on", "--messages", "--binary", "-E", end, "-f", "-"}, extra...)
		r := runSync(args...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		var out []map[string]any
		for _, line := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
			var obj map[string]any
			if err := json.Unmarshal([]byte(line), &obj); err != nil {
				t.Fatalf("not a JSON object: %v: %s", err, line)
			}
			out = append(out, obj)
		}
		return out
	}
	changes := stream("pc")
	ops := map[string]int{}
	var first map[string]any
	for _, c := range changes {
		ops[fmt.Sprint(c["op"])]++
		if first == nil && c["op"] == "insert" {
			first = c
		}
		if c["op"] == "insert" && c["table"] == "t" {
			// Nothing rolled back is printed.
			cols := c["new"].([]any)
			if note := cols[1].(map[string]any)["value"]; note == "gone" || note == "aborted" {
				t.Fatalf("a rolled-back row was printed: %v", c)
			}
		}
	}
	// 2 + 2001 rows into t, 1 into u; the update, the delete, the truncate,
	// two messages (one outside any transaction).
	wantOps := map[string]int{"insert": 2004, "update": 1, "delete": 1, "truncate": 1, "message": 2}
	if d := cmp.Diff(wantOps, ops); d != "" {
		t.Errorf("changes by op (-want +got):\n%s", d)
	}
	wantFirst := []any{
		map[string]any{"name": "id", "type": "integer", "value": 1.0},
		map[string]any{"name": "note", "type": "text", "value": "one"},
		map[string]any{"name": "amount", "type": "numeric(8,2)", "value": 1.5},
	}
	if d := cmp.Diff(wantFirst, first["new"]); d != "" || first["schema"] != "public" || first["xid"] == nil || first["commit_lsn"] == nil {
		t.Errorf("first insert %v (-want +got new):\n%s", first, d)
	}
	txns := stream("pt", "--transactions")
	n := 0
	for _, tx := range txns {
		if cs, ok := tx["changes"].([]any); ok {
			n += len(cs)
		}
	}
	if n != len(changes) {
		t.Errorf("-o transactions: %d changes in %d objects, want the %d changes of the per-change shape", n, len(txns), len(changes))
	}
}

// pgwal stream --snapshot while a workload inserts, updates and deletes:
// the snapshot rows and the changes streamed after them, replayed into an
// empty copy, equal the table at the end.
func TestStreamSnapshot(t *testing.T) {
	s := pgserver.StartT(t, pgserver.Config{})
	f := newFixture(s, 30*time.Second)
	f.sql(t, `CREATE TABLE public.t (id int PRIMARY KEY, note text);
CREATE TABLE public.u (id int PRIMARY KEY, n bigint);
INSERT INTO public.t SELECT g, 'seed ' || g FROM generate_series(1, 20000) g;
INSERT INTO public.u SELECT g, g * 10 FROM generate_series(1, 300) g;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO `+pgserver.QuoteIdent(pgserver.ReplicationUser)+`;
CREATE PUBLICATION pub FOR ALL TABLES;`)
	out := t.TempDir() + "/out.jsonl"
	// The workload runs before, while and after the copy.
	work := concurrentWorkload(s, time.Minute, 200, 10*time.Millisecond, func(i int) []string {
		return []string{fmt.Sprintf(`INSERT INTO public.t VALUES (%d, 'new'); UPDATE public.t SET note = 'upd %d' WHERE id = %d;
DELETE FROM public.t WHERE id = %d; UPDATE public.u SET n = n + 1 WHERE id = %d;`, 30000+i, i, 1+i*97, 2+i*89, 1+i%300)}
	})
	time.Sleep(200 * time.Millisecond)
	_, ch := runAsync("stream", "--format", "pgwal", "--dsn", f.dsn, "-S", "snap", "--create-slot", "--start", "--snapshot", "--snapshot-jobs", "2",
		"--publication", "pub", "--messages", "-f", out, "--for", "15s")
	if err := <-work; err != nil {
		t.Fatal(err)
	}
	r := wait(t, ch)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	copyOf := map[string]map[string]string{"t": {}, "u": {}}
	snapRows, changes, marker := 0, 0, false
	for _, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		var obj struct {
			Op       string
			Table    string
			Prefix   string
			New, Old []struct {
				Name  string
				Value json.RawMessage
			}
		}
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		row := func(cols []struct {
			Name  string
			Value json.RawMessage
		}) (string, string) {
			return string(cols[0].Value), string(cols[1].Value)
		}
		tab := copyOf[obj.Table]
		switch obj.Op {
		case "snapshot":
			if marker || changes > 0 {
				t.Fatalf("a snapshot row after the stream began: %s", line)
			}
			snapRows++
			k, v := row(obj.New)
			if _, dup := tab[k]; dup {
				t.Fatalf("row %s of %s copied twice", k, obj.Table)
			}
			tab[k] = v
		case "insert":
			changes++
			k, v := row(obj.New)
			if _, dup := tab[k]; dup {
				t.Fatalf("insert of a row already held (in the snapshot and streamed): %s", line)
			}
			tab[k] = v
		case "update":
			changes++
			k, v := row(obj.New)
			if _, ok := tab[k]; !ok {
				t.Fatalf("update of a row not held: %s", line)
			}
			tab[k] = v
		case "delete":
			changes++
			k, _ := row(obj.Old)
			if _, ok := tab[k]; !ok {
				t.Fatalf("delete of a row not held: %s", line)
			}
			delete(tab, k)
		case "message":
			marker = marker || obj.Prefix == "end"
		}
	}
	if !marker {
		t.Fatal("the stream did not reach the end of the workload")
	}
	for _, tab := range []string{"t", "u"} {
		want := map[string]string{}
		for _, line := range strings.Split(f.sql(t, "SELECT id::text || '|' || to_json("+map[string]string{"t": "note", "u": "n"}[tab]+")::text FROM public."+tab), "\n") {
			k, v, _ := strings.Cut(line, "|")
			want[k] = v
		}
		if d := cmp.Diff(want, copyOf[tab]); d != "" {
			t.Errorf("table %s: replayed copy differs from the table (-table +copy):\n%s", tab, d)
		}
	}
	t.Logf("%d snapshot rows, %d streamed changes", snapRows, changes)
}

// concurrentWorkload runs steps steps of work on s's database in the
// background, pausing between them, then a non-transactional message
// 'end' that a stream reader can wait for; the channel gets the first
// error, or nil at the end.
func concurrentWorkload(s *pgserver.Server, limit time.Duration, steps int, pause time.Duration, work func(i int) []string) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		for i := 0; i < steps; i++ {
			for _, q := range work(i) {
				if _, err := s.ExecDB(ctx, pgserver.Database, q); err != nil {
					done <- err
					return
				}
			}
			time.Sleep(pause)
		}
		_, err := s.ExecDB(ctx, pgserver.Database, "SELECT pg_logical_emit_message(false, 'end', 'of workload')")
		done <- err
	}()
	return done
}
