package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/msgjson"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type result struct {
	code           int
	stdout, stderr string
}

// runAsync runs the command in a goroutine.
func runAsync(args ...string) (stdout *syncBuffer, done <-chan result) {
	if len(args) > 0 && args[0] == "stream" && !slices.Contains(args, "--format") {
		// These tests read the protocol view; --format pgwal and
		// wal2json have tests of their own.
		args = append([]string{"stream", "--format", "messages"}, args[1:]...)
	}
	out, errb := &syncBuffer{}, &syncBuffer{}
	ch := make(chan result, 1)
	go func() {
		code := run(args, strings.NewReader(""), out, errb)
		ch <- result{code, out.String(), errb.String()}
	}()
	return out, ch
}

func runSync(args ...string) result {
	_, ch := runAsync(args...)
	return <-ch
}

func wait(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(60 * time.Second):
		t.Fatal("command did not finish")
	}
	return result{}
}

// fixture is a test server and the replication DSN pgwal connects with.
type fixture struct {
	s       *pgserver.Server
	dsn     string
	sqlWait time.Duration // how long one sql call may take
}

func newFixture(s *pgserver.Server, sqlWait time.Duration) *fixture {
	return &fixture{s: s, dsn: s.DSN(pgserver.ReplicationUser, pgserver.ReplicationPassword, pgserver.Database), sqlWait: sqlWait}
}

func (f *fixture) sql(t *testing.T, q string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), f.sqlWait)
	defer cancel()
	out, err := f.s.ExecDB(ctx, pgserver.Database, q)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitActive waits until a walsender streams from slot.
func (f *fixture) waitActive(t *testing.T, slot string, ch <-chan result) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if f.sql(t, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = "+pgserver.QuoteLiteral(slot)+" AND active") == "1" {
			return
		}
		select {
		case r := <-ch:
			t.Fatalf("command ended early: exit %d\nstderr: %s\nstdout: %s", r.code, r.stderr, r.stdout)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("slot %s never became active", slot)
}

func parseLines(t *testing.T, out string) []msgjson.Record {
	t.Helper()
	var recs []msgjson.Record
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r msgjson.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, line)
		}
		recs = append(recs, r)
	}
	return recs
}

func TestStream(t *testing.T) {
	s := pgserver.StartT(t, pgserver.Config{})
	t.Logf("PostgreSQL %d", s.Major())
	f := newFixture(s, 30*time.Second)
	f.sql(t, `CREATE TABLE public.people (id int PRIMARY KEY, name text, note text);
CREATE TABLE public.other (id int PRIMARY KEY);
CREATE PUBLICATION pub FOR TABLE public.people;`)

	t.Run("stream and ack", func(t *testing.T) {
		_, ch := runAsync("stream", "--dsn", f.dsn, "--slot", "s_live", "--create-slot", "--start", "--publication", "pub", "--for", "3s")
		f.waitActive(t, "s_live", ch)
		f.sql(t, `INSERT INTO people VALUES (1, 'ada', 'x'), (2, 'grace', NULL);
UPDATE people SET name = 'ada l.' WHERE id = 1;
DELETE FROM people WHERE id = 2;`)
		r := wait(t, ch)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		recs := parseLines(t, r.stdout)
		var types []string
		var lastEnd lsn.LSN
		found := map[string]bool{}
		for _, rec := range recs {
			types = append(types, rec.Type)
			if rec.Type == "Insert" {
				if rec.Relation != "public.people" || len(rec.New) != 3 || rec.New[0].Name != "id" || rec.New[1].Name != "name" {
					t.Errorf("insert without column names: %+v", rec)
				} else {
					found[string(rec.New[1].Value)] = true
				}
			}
			if rec.Type == "Commit" {
				l, err := lsn.Parse(rec.EndLSN)
				if err != nil {
					t.Fatal(err)
				}
				lastEnd = l
			}
			if rec.Type != "Relation" && rec.LSN == "" {
				t.Errorf("%s without lsn", rec.Type)
			}
		}
		want := "Begin Relation Insert Insert Commit Begin Update Commit Begin Delete Commit"
		if got := strings.Join(types, " "); got != want {
			t.Errorf("types:\n got %s\nwant %s", got, want)
		}
		if !found[`"ada"`] || !found[`"grace"`] {
			t.Errorf("inserted rows missing: %v\n%s", found, r.stdout)
		}
		conf, err := lsn.Parse(f.sql(t, "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 's_live'"))
		if err != nil {
			t.Fatal(err)
		}
		if lastEnd == 0 || conf < lastEnd {
			t.Errorf("confirmed_flush_lsn %v < last commit end %v: not acknowledged", conf, lastEnd)
		}
		// The next session resumes after what was acknowledged.
		r = runSync("stream", "--dsn", f.dsn, "--slot", "s_live", "--start", "--publication", "pub", "--for", "1s")
		if r.code != 0 || strings.TrimSpace(r.stdout) != "" {
			t.Errorf("second session: exit %d, output %q, stderr %s", r.code, r.stdout, r.stderr)
		}
	})

	t.Run("capture decode round trip", func(t *testing.T) {
		f.sql(t, `SELECT pg_create_logical_replication_slot('s_a', 'pgoutput');
SELECT pg_create_logical_replication_slot('s_b', 'pgoutput');`)
		f.sql(t, `INSERT INTO people VALUES (10, 'ten', 'n');
UPDATE people SET note = 'changed' WHERE id = 10;
BEGIN;
INSERT INTO people SELECT g, 'bulk ' || g, repeat(md5(g::text), 12) FROM generate_series(100, 400) g;
COMMIT;
INSERT INTO other VALUES (1);
DELETE FROM people WHERE id = 10;`)
		file := filepath.Join(t.TempDir(), "session.bin")
		common := []string{"--dsn", f.dsn, "--publication", "pub", "--streaming", "on", "--for", "2s"}
		_, streamCh := runAsync(append([]string{"stream", "--slot", "s_a", "--start"}, common...)...)
		_, capCh := runAsync(append([]string{"capture", "--slot", "s_b", "-f", file}, common...)...)
		sr, cr := wait(t, streamCh), wait(t, capCh)
		if sr.code != 0 || cr.code != 0 {
			t.Fatalf("stream exit %d (%s), capture exit %d (%s)", sr.code, sr.stderr, cr.code, cr.stderr)
		}
		if !strings.Contains(cr.stderr, "pgwal decode "+file) {
			t.Fatalf("capture printed no decode command: %s", cr.stderr)
		}
		dr := runSync("decode", file) // proto_version and streaming from the header
		if dr.code != 0 {
			t.Fatalf("decode exit %d: %s", dr.code, dr.stderr)
		}
		if dr.stdout != sr.stdout {
			t.Errorf("decode of the capture differs from stream:\ndecode:\n%.2000s\nstream:\n%.2000s", dr.stdout, sr.stdout)
		}
		if n := strings.Count(sr.stdout, `"type":"Insert"`); n != 302 {
			t.Errorf("%d inserts, want 302", n)
		}
		if !strings.Contains(sr.stdout, `"type":"Stream Start"`) || !strings.Contains(sr.stdout, `"type":"Stream Commit"`) {
			t.Errorf("big transaction not streamed")
		}
		for _, slot := range []string{"s_a", "s_b"} {
			if got := f.sql(t, "SELECT confirmed_flush_lsn >= pg_current_wal_insert_lsn() - 1000000 FROM pg_replication_slots WHERE slot_name = '"+slot+"'"); got != "t" {
				t.Errorf("slot %s not advanced", slot)
			}
		}
		// The auto-detected format works too.
		if r := runSync("decode", "-streaming", "on", file); r.code != 0 || r.stdout != sr.stdout {
			t.Errorf("decode with detection: exit %d %s", r.code, r.stderr)
		}
	})

	t.Run("interrupt", func(t *testing.T) {
		out, ch := runAsync("stream", "--dsn", f.dsn, "--temporary", "--publication", "pub")
		f.waitActive(t, fmt.Sprintf("pgwal_%d", os.Getpid()), ch)
		f.sql(t, "INSERT INTO people VALUES (20, 'twenty', NULL)")
		for deadline := time.Now().Add(20 * time.Second); !strings.Contains(out.String(), `"type":"Commit"`); {
			if time.Now().After(deadline) {
				t.Fatal("no output")
			}
			time.Sleep(20 * time.Millisecond)
		}
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		r := wait(t, ch)
		if r.code != 0 {
			t.Fatalf("exit %d after SIGINT: %s", r.code, r.stderr)
		}
		// The server drops a temporary slot as the session's backend
		// exits, a moment after the client has gone.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			got := f.sql(t, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgwal\\_%'")
			if got == "0" {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("temporary slot left behind 5s after pgwal exited")
				break
			}
		}
	})

	t.Run("limit", func(t *testing.T) {
		f.sql(t, "SELECT pg_create_logical_replication_slot('s_lim', 'pgoutput'); INSERT INTO people VALUES (30, 'a', NULL), (31, 'b', NULL);")
		start := time.Now()
		r := runSync("stream", "--dsn", f.dsn, "--slot", "s_lim", "--start", "--publication", "pub", "--limit", "3", "--for", "20s")
		if r.code != 0 || len(parseLines(t, r.stdout)) != 3 || time.Since(start) > 10*time.Second {
			t.Errorf("--limit 3: exit %d, %d lines in %v: %s", r.code, len(parseLines(t, r.stdout)), time.Since(start), r.stderr)
		}
	})

	t.Run("batch", func(t *testing.T) {
		f.sql(t, "SELECT pg_create_logical_replication_slot('s_batch', 'pgoutput'); INSERT INTO people VALUES (40, 'a', NULL), (41, 'b', NULL);")
		start := time.Now()
		r := runSync("stream", "--dsn", f.dsn, "--slot", "s_batch", "--start", "--publication", "pub", "--batch", "5ms", "--limit", "4", "--for", "20s")
		lines := parseLines(t, r.stdout)
		if r.code != 0 || len(lines) != 4 || time.Since(start) > 10*time.Second {
			t.Fatalf("--batch 5ms --limit 4: exit %d, %d lines in %v: %s", r.code, len(lines), time.Since(start), r.stderr)
		}
		if lines[0].Type != "Begin" || lines[1].Type != "Relation" || lines[2].Type != "Insert" || lines[3].Type != "Insert" {
			t.Errorf("--batch: %v", lines)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			args []string
			code int
			want string
		}{
			{"bad dsn", []string{"--dsn", "postgres://h:notaport/db", "--slot", "x", "--start", "--publication", "pub"}, 2, `invalid port "notaport"`},
			{"refused", []string{"--dsn", "host=127.0.0.1 port=1 user=u dbname=d sslmode=disable", "--slot", "x", "--start", "--publication", "pub"}, 1, "connecting to host=127.0.0.1 port=1"},
			{"no publication flag", []string{"--dsn", f.dsn, "--slot", "x", "--start"}, 2, "--publication is required"},
			{"no slot flag", []string{"--dsn", f.dsn, "--start", "--publication", "pub"}, 2, "-S/--slot is required"},
			{"missing publication", []string{"--dsn", f.dsn, "--slot", "s_live", "--start", "--publication", "pub,nope"}, 1, `publication "nope" does not exist in database "pgwal"`},
			{"missing slot", []string{"--dsn", f.dsn, "--slot", "no_such_slot", "--start", "--publication", "pub"}, 1, "SQLSTATE 42704"},
			{"bad startpos", []string{"--dsn", f.dsn, "--slot", "x", "--start", "--publication", "pub", "-I", "zz"}, 2, `-I/--startpos "zz"`},
			{"negative batch", []string{"--dsn", f.dsn, "--slot", "x", "--start", "--publication", "pub", "--batch", "-1s"}, 2, "--batch -1s: want auto, off or a positive duration"},
		} {
			for _, cmd := range []string{"stream", "capture"} {
				args := append([]string{cmd}, tc.args...)
				if cmd == "capture" {
					args = append(args, "-f", filepath.Join(t.TempDir(), "out.bin"))
				}
				r := runSync(args...)
				if r.code != tc.code || !strings.Contains(r.stderr, tc.want) || !strings.HasPrefix(r.stderr, "pgwal "+cmd+": ") {
					t.Errorf("%s %s: exit %d, stderr %q; want exit %d and %q", cmd, tc.name, r.code, r.stderr, tc.code, tc.want)
				}
			}
		}
		if r := runSync("stream", "-h"); r.code != 0 || !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("stream -h: exit %d", r.code)
		}
		if r := runSync("help", "capture"); r.code != 0 || !strings.Contains(r.stdout, "pgwal decode session.pgwal") {
			t.Errorf("help capture: exit %d", r.code)
		}
	})
}
