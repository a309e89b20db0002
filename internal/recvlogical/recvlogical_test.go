package recvlogical

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
)

func exec1(t *testing.T, s *pgserver.Server, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := s.ExecDB(ctx, pgserver.Database, sql)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func currentLSN(t *testing.T, s *pgserver.Server) lsn.LSN {
	t.Helper()
	l, err := lsn.Parse(exec1(t, s, "SELECT pg_current_wal_insert_lsn()"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCreateStreamDrop(t *testing.T) {
	s := pgserver.StartT(t, pgserver.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := Options{Slot: "rl", Plugin: "test_decoding"}
	if err := CreateSlot(ctx, s, opts); err != nil {
		t.Fatal(err)
	}
	if got := exec1(t, s, "SELECT plugin, database FROM pg_replication_slots WHERE slot_name = 'rl'"); got != "test_decoding|pgwal" {
		t.Fatalf("slot: %q, want test_decoding in pgwal", got)
	}
	exec1(t, s, "CREATE TABLE t (x int, r regclass); INSERT INTO t VALUES (1, 't'), (2, 'pg_class')")
	opts.EndPos = currentLSN(t, s)
	opts.PluginOptions = []string{"include-xids=0", "skip-empty-xacts"}
	lines, err := Stream(ctx, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	// search_path is '': a table outside pg_catalog is schema-qualified.
	want := []string{
		"BEGIN",
		"table public.t: INSERT: x[integer]:1 r[regclass]:'public.t'",
		"table public.t: INSERT: x[integer]:2 r[regclass]:'pg_class'",
		"COMMIT",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Stream:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}

	// The slot advanced: a second read has only what came after the
	// first; and Env reaches the session (the plugin prints the date in
	// the DateStyle PGOPTIONS sets).
	exec1(t, s, "CREATE TABLE d (d date); INSERT INTO d VALUES ('2020-01-02')")
	opts.EndPos = currentLSN(t, s)
	opts.Env = []string{"PGOPTIONS=-c DateStyle=SQL,DMY"}
	lines, err = Stream(ctx, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(lines, "\n"); got != "BEGIN\ntable public.d: INSERT: d[date]:'02/01/2020'\nCOMMIT" {
		t.Fatalf("second Stream: %q", got)
	}

	if err := DropSlot(ctx, s, opts); err != nil {
		t.Fatal(err)
	}
	if got := exec1(t, s, "SELECT count(*) FROM pg_replication_slots"); got != "0" {
		t.Fatalf("%s slots after DropSlot", got)
	}
}

func TestErrors(t *testing.T) {
	if _, err := Stream(context.Background(), nil, Options{Slot: "x"}); err == nil || !strings.Contains(err.Error(), "EndPos") {
		t.Errorf("Stream without EndPos: %v", err)
	}
	if err := CreateSlot(context.Background(), nil, Options{}); err == nil || !strings.Contains(err.Error(), "Slot") {
		t.Errorf("CreateSlot without a slot: %v", err)
	}
	s := pgserver.StartT(t, pgserver.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := Stream(ctx, s, Options{Slot: "missing", EndPos: currentLSN(t, s)})
	var e *Error
	var exit *exec.ExitError
	if !errors.As(err, &e) || !errors.As(err, &exit) || !strings.Contains(e.Stderr, `"missing" does not exist`) {
		t.Fatalf("Stream from a missing slot: %v, want an *Error with the server's complaint", err)
	}
	if !strings.Contains(err.Error(), "--slot=missing") || !strings.Contains(err.Error(), e.Stderr[:20]) {
		t.Errorf("error lacks the command line or stderr: %v", err)
	}
	if err := CreateSlot(ctx, s, Options{Slot: "p", Plugin: "no_such_plugin"}); err == nil || !strings.Contains(err.Error(), "no_such_plugin") {
		t.Errorf("CreateSlot with a missing plugin: %v", err)
	}
	// A position never reached: ctx ends the wait, and the error says so.
	if err := CreateSlot(ctx, s, Options{Slot: "w"}); err != nil {
		t.Fatal(err)
	}
	short, cancel2 := context.WithTimeout(ctx, time.Second)
	defer cancel2()
	_, err = Stream(short, s, Options{Slot: "w", EndPos: currentLSN(t, s).Add(1 << 30)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stream to a far EndPos: %v, want a deadline error", err)
	}
}
