package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/internal/recvlogical"
	"github.com/pgwal/pgwal/lsn"
)

// wal2jsonServer is Debian's PostgreSQL 15 with wal2json, or a skip (a
// failure under CI=true), ready for streamed and prepared transactions.
func wal2jsonServer(t *testing.T) *pgserver.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no real server")
	}
	for _, f := range []string{debian15 + "/postgres", "/usr/lib/postgresql/15/lib/wal2json.so"} {
		if _, err := os.Stat(f); err != nil {
			msg := fmt.Sprintf("Debian's PostgreSQL 15 with wal2json is missing (%v)", err)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return pgserver.StartT(t, pgserver.Config{BinDir: debian15, Version: 15,
		Settings: map[string]string{"max_prepared_transactions": "10", "logical_decoding_work_mem": "64kB"}})
}

// twoPhaseWorkload: small and large (streamed by pgoutput) prepared
// transactions, committed and rolled back, interleaved with ordinary ones;
// one statement per psql command (COMMIT PREPARED cannot share one).
var twoPhaseWorkload = []string{
	`BEGIN; INSERT INTO public.t VALUES (1, 'one', 1.50), (2, 'two', NULL); UPDATE public.t SET note = 'uno' WHERE id = 1; PREPARE TRANSACTION 'small';`,
	`INSERT INTO public.t VALUES (3, 'between', 3);`,
	// Here, after a transaction of one change: wal2json 2.5's format 1
	// prints a stray comma before a non-transactional message after one
	// of two or more, which pgwal does not copy (package wal2json, Known
	// differences).
	`SELECT pg_logical_emit_message(false, 'fmt', 'outside');`,
	`COMMIT PREPARED 'small';`,
	`BEGIN; INSERT INTO public.t SELECT g, repeat('x', 40), g FROM generate_series(100, 2100) g;
  SAVEPOINT s; INSERT INTO public.t SELECT g, 'gone', g FROM generate_series(5000, 6000) g; ROLLBACK TO s;
  SELECT pg_logical_emit_message(true, 'fmt', 'inside'); PREPARE TRANSACTION 'large';`,
	`BEGIN; INSERT INTO public.t VALUES (7, 'rolled back', 7); PREPARE TRANSACTION 'rolled';`,
	`BEGIN; INSERT INTO public.t SELECT g, 'large rolled back', g FROM generate_series(9000, 11000) g; PREPARE TRANSACTION 'large rolled';`,
	`ROLLBACK PREPARED 'rolled';`,
	`COMMIT PREPARED 'large';`,
	`ROLLBACK PREPARED 'large rolled';`,
	`BEGIN; DELETE FROM public.t WHERE id = 2; TRUNCATE public.u; INSERT INTO public.u VALUES (1); PREPARE TRANSACTION 'trunc';`,
	`COMMIT PREPARED 'trunc';`,
}

// pgwal stream --format wal2json --two-phase prints what the wal2json
// plugin prints on a two-phase slot, byte for byte: a prepared transaction
// at its COMMIT PREPARED, a rolled-back one never.
func TestWal2JSONTwoPhaseMatchesPlugin(t *testing.T) {
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
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for i := range runs {
		// pg_recvlogical --create-slot --two-phase, in SQL.
		f.sql(t, fmt.Sprintf("SELECT 1 FROM pg_create_logical_replication_slot('w2j2pc_%d', 'wal2json', false, true)", i))
		if r := runSync("stream", "--dsn", f.dsn, "-S", fmt.Sprintf("pw2pc_%d", i), "--create-slot", "--two-phase"); r.code != 0 {
			t.Fatalf("create slot: exit %d: %s", r.code, r.stderr)
		}
	}
	for _, q := range twoPhaseWorkload {
		f.sql(t, q)
	}
	end, err := lsn.Parse(f.sql(t, "CHECKPOINT; SELECT pg_current_wal_insert_lsn()"))
	if err != nil {
		t.Fatal(err)
	}
	for i, opts := range runs {
		t.Run(strings.Join(opts, ","), func(t *testing.T) {
			want, err := recvlogical.Stream(ctx, s, recvlogical.Options{Slot: fmt.Sprintf("w2j2pc_%d", i), PluginOptions: opts, EndPos: end, Env: []string{w2jEnv}})
			if err != nil {
				t.Fatal(err)
			}
			state := filepath.Join(t.TempDir(), "state")
			args := []string{"stream", "--dsn", f.dsn, "-S", fmt.Sprintf("pw2pc_%d", i), "--start", "--publication", "pub",
				"--format", "wal2json", "--two-phase", "--state-dir", state, "--streaming", "on", "--messages", "-E", end.String(), "-f", "-"}
			for _, o := range opts {
				args = append(args, "-o", o)
			}
			r := runSync(args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			joined := strings.Join(want, "\n")
			if !strings.Contains(joined, "2100") || strings.Contains(joined, "rolled back") {
				t.Fatalf("the plugin's output is not the one expected (large committed, rolled back absent):\n%.2000s", joined)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("pgwal --format wal2json --two-phase differs from the wal2json plugin (-plugin +pgwal):\n%s", d)
			}
			if left, _ := os.ReadDir(state); len(left) != 1 || left[0].Name() != committedFile {
				t.Errorf("state directory holds %v after every prepared transaction was resolved", left)
			}
			t.Logf("%d lines, %d bytes, identical", len(got), len(r.stdout))
		})
	}
}

// SIGKILL between PREPARE (acknowledged) and COMMIT PREPARED: the restarted
// pgwal prints the transaction at COMMIT PREPARED, once, with every row.
func TestWal2JSONTwoPhaseKill(t *testing.T) {
	s := wal2jsonServer(t)
	f := newFixture(s, 60*time.Second)
	f.sql(t, `CREATE TABLE public.t (id int PRIMARY KEY, note text);
CREATE PUBLICATION pub FOR TABLE public.t;`)
	if code, _, stderr := runPgwal(t, "--dsn", f.dsn, "-S", "k2pc", "--create-slot", "--two-phase"); code != 0 {
		t.Fatalf("create slot: exit %d: %s", code, stderr)
	}
	out := filepath.Join(t.TempDir(), "out.json")
	state := out + ".pgwal-prepared"
	args := []string{"--format", "wal2json", "--two-phase", "--dsn", f.dsn, "-S", "k2pc", "--start", "--publication", "pub",
		"--streaming", "on", "--messages", "-f", out, "-F", "0.2", "-o", "format-version=2", "-o", "include-xids=1"}
	const rows = 3000
	p := startPgwal(t, args...)
	waitUntil(t, "slot active", p, func() bool { return f.active(t, "k2pc") })
	f.sql(t, "INSERT INTO t VALUES (0, 'before')")
	f.sql(t, fmt.Sprintf("BEGIN; INSERT INTO t SELECT g, 'prepared ' || g FROM generate_series(1, %d) g; PREPARE TRANSACTION 'kill me';", rows))
	mark := f.lsnOf(t, "SELECT pg_logical_emit_message(false, 'mark', 'after the prepare')")
	waitUntil(t, "the PREPARE acknowledged", p, func() bool { return f.confirmed(t, "k2pc") >= mark })
	confirmed := f.confirmed(t, "k2pc")
	stored, _ := filepath.Glob(filepath.Join(state, "*"+preparedSuffix))
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.wait(t)
	if len(stored) != 1 {
		t.Fatalf("state directory holds %v while the transaction is prepared", stored)
	}
	if b, _ := os.ReadFile(out); strings.Contains(string(b), "prepared 1\"") {
		t.Fatalf("printed at PREPARE")
	}
	waitUntil(t, "slot released", nil, func() bool { return !f.active(t, "k2pc") })
	f.sql(t, "COMMIT PREPARED 'kill me'")
	f.sql(t, "INSERT INTO t VALUES (-1, 'after')")
	end := f.lsnOf(t, "SELECT pg_current_wal_insert_lsn()")
	if code, _, stderr := runPgwal(t, append(args, "-E", end.String())...); code != 0 {
		t.Fatalf("restarted run: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	seen := map[int]int{}
	for _, m := range regexp.MustCompile(`"note","type":"text","value":"prepared (\d+)"`).FindAllStringSubmatch(text, -1) {
		n, _ := strconv.Atoi(m[1])
		seen[n]++
	}
	missing, repeated := 0, 0
	for i := 1; i <= rows; i++ {
		switch seen[i] {
		case 0:
			missing++
		case 1:
		default:
			repeated++
		}
	}
	if missing != 0 || repeated != 0 || len(seen) != rows {
		t.Errorf("prepared rows in the output: %d distinct, %d missing, %d repeated; want %d once each", len(seen), missing, repeated, rows)
	}
	if n := strings.Count(text, `"action":"B"`); n != 3 {
		t.Errorf("%d transactions printed, want 3 (before, the prepared one, after)", n)
	}
	if left, _ := filepath.Glob(filepath.Join(state, "*"+preparedSuffix)); len(left) != 0 {
		t.Errorf("state files left after the COMMIT PREPARED was made durable: %v", left)
	}
	t.Logf("killed with the PREPARE acknowledged (confirmed %v >= %v); after the restart %d prepared rows printed once each", confirmed, mark, len(seen))
}
