package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/msgjson"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
)

// The tests here drive the pgwal binary, built once, as a user would:
// signals, kill -9, pipes and exit statuses are the real ones.

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func pgwalBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "pgwal-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "pgwal")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	code           int
}

func startPgwal(t *testing.T, args ...string) *proc {
	t.Helper()
	if !slices.Contains(args, "--format") {
		args = append([]string{"--format", "messages"}, args...)
	}
	p := &proc{cmd: exec.Command(pgwalBin(t), append([]string{"stream"}, args...)...), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("pgwal %v did not finish; stderr:\n%s", p.cmd.Args[1:], p.stderr.String())
	}
	return 0
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func runPgwal(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	p := startPgwal(t, args...)
	code := p.wait(t)
	return code, p.stdout.String(), p.stderr.String()
}

func waitUntil(t *testing.T, what string, p *proc, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if p != nil && p.exited() {
			t.Fatalf("waiting for %s: pgwal exited %d:\n%s", what, p.code, p.stderr.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// output is what a pgwal --format pgwal output holds.
type parsed struct {
	ids     []int     // the first column of each Insert, in order
	commits []lsn.LSN // each Commit's end_lsn, in order
	lines   int
}

func parseOutput(t *testing.T, text string) parsed {
	t.Helper()
	var p parsed
	for i, line := range strings.Split(text, "\n") {
		if line == "" {
			if i != len(strings.Split(text, "\n"))-1 {
				t.Fatalf("empty line %d", i+1)
			}
			continue
		}
		p.lines++
		// A line of --format messages (msgjson.Record: "type") or of
		// --format pgwal (changejson: "op"); both carry "new" values.
		var r struct {
			Type   string
			Op     string
			EndLSN string `json:"end_lsn"`
			New    []msgjson.Value
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %d does not parse (a torn write?): %v: %q", i+1, err, line)
		}
		if r.Op == "insert" {
			r.Type = "Insert"
		}
		switch r.Type {
		case "Insert":
			id, err := strconv.Atoi(strings.Trim(string(r.New[0].Value), `"`))
			if err != nil {
				t.Fatalf("line %d: id %s", i+1, r.New[0].Value)
			}
			p.ids = append(p.ids, id)
		case "Commit":
			l, err := lsn.Parse(r.EndLSN)
			if err != nil {
				t.Fatal(err)
			}
			p.commits = append(p.commits, l)
		}
	}
	return p
}

func readOutput(t *testing.T, path string) parsed {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return parseOutput(t, string(b))
}

// checkOrder checks that ids hold every id of want (the table's ids,
// sorted: commit order here) at least once, in that order, where a repeat
// only replays a tail: each id is at most the one after the highest seen
// so far. An id not in want (a commit a crashed server lost before it was
// flushed, so never sent) is an error too. It returns the repeats and the
// replays.
func checkOrder(t *testing.T, ids, want []int) (dups, rewinds int) {
	t.Helper()
	rank := map[int]int{}
	for i, id := range want {
		rank[id] = i + 1
	}
	high := 0
	for i, id := range ids {
		r, ok := rank[id]
		switch {
		case !ok:
			t.Fatalf("id %d at line %d is not in the table", id, i+1)
		case r == high+1:
			high = r
		case r <= high:
			dups++
			if i > 0 && rank[ids[i-1]] >= r {
				rewinds++
			}
		default:
			t.Fatalf("id %d at line %d follows %d: a gap (lost changes)", id, i+1, want[high-1])
		}
	}
	if high != len(want) {
		t.Fatalf("%d of %d committed ids in the output", high, len(want))
	}
	return dups, rewinds
}

func (f *fixture) lsnOf(t *testing.T, q string) lsn.LSN {
	t.Helper()
	l, err := lsn.Parse(f.sql(t, q))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (f *fixture) confirmed(t *testing.T, slot string) lsn.LSN {
	t.Helper()
	return f.lsnOf(t, "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = "+pgserver.QuoteLiteral(slot))
}

func (f *fixture) active(t *testing.T, slot string) bool {
	return f.sql(t, "SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name = "+pgserver.QuoteLiteral(slot)) == "1"
}

func (f *fixture) ids(t *testing.T, table string) []int {
	t.Helper()
	var ids []int
	for _, s := range strings.Fields(f.sql(t, "SELECT id FROM "+table+" ORDER BY id")) {
		n, _ := strconv.Atoi(s)
		ids = append(ids, n)
	}
	return ids
}

func newOpsFixture(t *testing.T, version int) *fixture {
	s := pgserver.StartT(t, pgserver.Config{Version: version})
	f := newFixture(s, 60*time.Second)
	f.sql(t, `CREATE TABLE public.t (id int PRIMARY KEY, note text);
CREATE TABLE public.other (id int PRIMARY KEY);
CREATE PUBLICATION pub FOR TABLE public.t;`)
	return f
}

// The actions alone and combined, on PostgreSQL 16 and 18 (where present).
func TestActions(t *testing.T) {
	versions := pgserver.VersionsT(t)
	var run []int
	for _, v := range versions {
		if v == 16 || v == 18 {
			run = append(run, v)
		}
	}
	if len(run) == 0 {
		run = versions[len(versions)-1:]
	}
	for _, v := range run {
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			f := newOpsFixture(t, v)
			conn := []string{"--dsn", f.dsn}
			slotInfo := func(slot string) string {
				return f.sql(t, "SELECT plugin || ' ' || two_phase FROM pg_replication_slots WHERE slot_name = "+pgserver.QuoteLiteral(slot))
			}
			// --create-slot alone.
			if code, _, stderr := runPgwal(t, append(conn, "-S", "a1", "--create-slot", "-v")...); code != 0 ||
				!strings.Contains(stderr, `replication slot "a1" created, consistent point`) {
				t.Fatalf("--create-slot: exit %d: %s", code, stderr)
			}
			if got := slotInfo("a1"); got != "pgoutput false" {
				t.Errorf("slot a1: %q", got)
			}
			// Again: exists; --if-not-exists makes that fine.
			if code, _, stderr := runPgwal(t, append(conn, "-S", "a1", "--create-slot")...); code != 1 || !strings.Contains(stderr, "42710") {
				t.Errorf("--create-slot of an existing slot: exit %d: %s", code, stderr)
			}
			if code, _, stderr := runPgwal(t, append(conn, "-S", "a1", "--create-slot", "--if-not-exists", "-v")...); code != 0 ||
				!strings.Contains(stderr, "exists already") {
				t.Errorf("--if-not-exists: exit %d: %s", code, stderr)
			}
			// -t: a two-phase slot.
			if code, _, stderr := runPgwal(t, append(conn, "-S", "a2", "--create-slot", "-t")...); code != 0 || slotInfo("a2") != "pgoutput true" {
				t.Errorf("--create-slot -t: exit %d, slot %q: %s", code, slotInfo("a2"), stderr)
			}
			// --drop-slot alone; a missing slot is an error.
			if code, _, stderr := runPgwal(t, append(conn, "-S", "a2", "--drop-slot")...); code != 0 || slotInfo("a2") != "" {
				t.Errorf("--drop-slot: exit %d, slot %q: %s", code, slotInfo("a2"), stderr)
			}
			if code, _, stderr := runPgwal(t, append(conn, "-S", "a2", "--drop-slot")...); code != 1 || !strings.Contains(stderr, "42704") {
				t.Errorf("--drop-slot of a missing slot: exit %d: %s", code, stderr)
			}
			// --create-slot --start, stopped by SIGTERM: exit 0, and the slot
			// confirms exactly the last commit written.
			out := filepath.Join(t.TempDir(), "out.jsonl")
			p := startPgwal(t, append(conn, "-S", "a3", "--create-slot", "--start", "--publication", "pub", "-f", out)...)
			waitUntil(t, "slot a3 active", p, func() bool { return f.active(t, "a3") })
			f.sql(t, "INSERT INTO t VALUES (1, 'one'); INSERT INTO other VALUES (1); INSERT INTO t VALUES (2, 'two')")
			waitUntil(t, "two commits in the file", p, func() bool { return len(readOutput(t, out).commits) == 2 })
			p.cmd.Process.Signal(syscall.SIGTERM)
			if code := p.wait(t); code != 0 {
				t.Fatalf("SIGTERM: exit %d: %s", code, p.stderr.String())
			}
			got := readOutput(t, out)
			if fmt.Sprint(got.ids) != "[1 2]" {
				t.Errorf("ids %v", got.ids)
			}
			if c := f.confirmed(t, "a3"); c != got.commits[len(got.commits)-1] {
				t.Errorf("confirmed_flush_lsn %v, last commit written ends at %v", c, got.commits[len(got.commits)-1])
			}
			// --start alone resumes after it: nothing new, then a new row.
			p = startPgwal(t, append(conn, "-S", "a3", "--start", "--publication", "pub", "-f", out)...)
			waitUntil(t, "slot a3 active again", p, func() bool { return f.active(t, "a3") })
			f.sql(t, "INSERT INTO t VALUES (3, 'three')")
			waitUntil(t, "the third commit", p, func() bool { return len(readOutput(t, out).commits) == 3 })
			p.cmd.Process.Signal(syscall.SIGINT)
			if code := p.wait(t); code != 0 {
				t.Fatalf("SIGINT: exit %d: %s", code, p.stderr.String())
			}
			if got := readOutput(t, out); fmt.Sprint(got.ids) != "[1 2 3]" {
				t.Errorf("after a second session (appending): ids %v", got.ids)
			}
		})
	}
}

// -E stops at the right place: a unit that ends at or past it is written
// whole, a unit that starts after it is not, and it stays in the slot.
func TestEndpos(t *testing.T) {
	f := newOpsFixture(t, 0)
	f.sql(t, "SELECT pg_create_logical_replication_slot('e1', 'pgoutput'); SELECT pg_create_logical_replication_slot('e2', 'pgoutput');")
	f.sql(t, "INSERT INTO t VALUES (1, 'T1')")
	mid := f.lsnOf(t, "BEGIN; INSERT INTO t VALUES (2, 'T2'); SELECT pg_current_wal_insert_lsn(); COMMIT;")
	after := f.lsnOf(t, "SELECT pg_current_wal_insert_lsn()")
	// A WAL record pgoutput does not send, so T3 starts strictly after.
	f.sql(t, "SELECT pg_logical_emit_message(false, 'gap', 'x')")
	f.sql(t, "INSERT INTO t VALUES (3, 'T3')")
	end := f.lsnOf(t, "SELECT pg_current_wal_insert_lsn()")
	conn := []string{"--dsn", f.dsn, "--start", "--publication", "pub"}

	for _, tc := range []struct {
		slot string
		e    lsn.LSN
		want string
	}{
		{"e1", mid, "[1 2]"},   // inside T2: T2 is written whole
		{"e2", after, "[1 2]"}, // between T2 and T3
		{"e1", end, "[3]"},     // T3 was not confirmed by the first run
		{"e2", end, "[3]"},
	} {
		start := time.Now()
		code, stdout, stderr := runPgwal(t, append(conn, "-S", tc.slot, "-E", tc.e.String(), "-v")...)
		got := parseOutput(t, stdout)
		if code != 0 || fmt.Sprint(got.ids) != tc.want {
			t.Fatalf("-S %s -E %v: exit %d, ids %v, want %s:\n%s", tc.slot, tc.e, code, got.ids, tc.want, stderr)
		}
		if c := f.confirmed(t, tc.slot); c < got.commits[len(got.commits)-1] || (tc.e != end && c >= end) {
			t.Errorf("-S %s -E %v: confirmed %v, last commit %v, T3 ends by %v", tc.slot, tc.e, c, got.commits[len(got.commits)-1], end)
		}
		t.Logf("-S %s -E %v: %v in %v", tc.slot, tc.e, got.ids, time.Since(start).Round(time.Millisecond))
	}
	// An -E already passed stops at once, with nothing written.
	code, stdout, stderr := runPgwal(t, append(conn, "-S", "e1", "-E", "0/1")...)
	if code != 0 || stdout != "" {
		t.Errorf("-E 0/1: exit %d, output %q: %s", code, stdout, stderr)
	}
}

// -f FILE with SIGHUP: the file is reopened, so a rotation loses nothing
// and duplicates nothing.
func TestRotation(t *testing.T) {
	f := newOpsFixture(t, 0)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.jsonl")
	p := startPgwal(t, "--dsn", f.dsn, "-S", "r", "--create-slot", "--start", "--publication", "pub", "-f", out, "-v")
	waitUntil(t, "slot active", p, func() bool { return f.active(t, "r") })
	f.sql(t, "INSERT INTO t VALUES (1, 'before')")
	waitUntil(t, "the first commit", p, func() bool { return len(readOutput(t, out).commits) == 1 })
	if err := os.Rename(out, out+".1"); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitUntil(t, "the new file", p, func() bool { _, err := os.Stat(out); return err == nil })
	f.sql(t, "INSERT INTO t VALUES (2, 'after')")
	waitUntil(t, "the second commit", p, func() bool { return len(readOutput(t, out).commits) == 1 })
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d: %s", code, p.stderr.String())
	}
	old, cur := readOutput(t, out+".1"), readOutput(t, out)
	if fmt.Sprint(old.ids) != "[1]" || fmt.Sprint(cur.ids) != "[2]" {
		t.Errorf("rotated file %v, new file %v", old.ids, cur.ids)
	}
	if !strings.Contains(p.stderr.String(), "reopened "+out) {
		t.Errorf("no reopen reported: %s", p.stderr.String())
	}
	if c := f.confirmed(t, "r"); c != cur.commits[0] {
		t.Errorf("confirmed %v, last commit %v", c, cur.commits[0])
	}
}

// kill -9 at random moments, and restart: every committed change is in the
// file at least once, in commit order; repeats only replay a tail.
func TestKill9(t *testing.T) {
	for _, format := range []string{"messages", "pgwal"} {
		t.Run(format, func(t *testing.T) { testKill9(t, format) })
	}
}

func testKill9(t *testing.T, format string) {
	f := newOpsFixture(t, 0)
	f.sql(t, "SELECT pg_create_logical_replication_slot('k', 'pgoutput')")
	out := filepath.Join(t.TempDir(), "out.jsonl")
	// 10 kills of pgwal each run a short while (100–450 ms) into a
	// stream; the workload lasts about as long as the kills take, so
	// every kill lands under traffic.
	const rows, killsWanted = 2500, 10
	work := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_, err := f.s.ExecDB(ctx, pgserver.Database, fmt.Sprintf(`DO $$ BEGIN
FOR i IN 1..%d LOOP INSERT INTO t VALUES (i, 'row ' || i); COMMIT; PERFORM pg_sleep(0.002); END LOOP; END $$;`, rows))
		work <- err
	}()
	args := []string{"--format", format, "--dsn", f.dsn, "-S", "k", "--start", "--publication", "pub", "-f", out, "-F", "0.2"}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	kills, retries := 0, 0
	var confirmed []lsn.LSN
	for kills < killsWanted {
		p := startPgwal(t, args...)
		waitUntil(t, "slot active", p, func() bool { return f.active(t, "k") })
		time.Sleep(time.Duration(100+rng.Intn(350)) * time.Millisecond)
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.wait(t)
		retries += strings.Count(p.stderr.String(), "reconnecting in")
		kills++
		if kills%2 == 0 {
			waitUntil(t, "slot released", nil, func() bool { return !f.active(t, "k") })
		} // else the next pgwal may find the slot still active (55006) and retry
		confirmed = append(confirmed, f.confirmed(t, "k"))
	}
	underTraffic := len(work) == 0 // the workload still ran at the last kill
	if err := <-work; err != nil {
		t.Fatal(err)
	}
	end := f.lsnOf(t, "SELECT pg_current_wal_insert_lsn()")
	if code, _, stderr := runPgwal(t, append(args, "-E", end.String())...); code != 0 {
		t.Fatalf("final run: exit %d: %s", code, stderr)
	}
	got := readOutput(t, out)
	dups, rewinds := checkOrder(t, got.ids, f.ids(t, "t"))
	if rewinds > kills {
		t.Errorf("%d rewinds after %d kills", rewinds, kills)
	}
	if confirmed[len(confirmed)-1] <= confirmed[0] {
		t.Errorf("the slot never advanced while pgwal ran: %v", confirmed)
	}
	t.Logf("%d kills (the last under traffic: %v), %d rows, %d lines, %d repeated rows in %d replays, %d retries of a busy slot; confirmed after each kill: %v",
		kills, underTraffic, rows, got.lines, dups, rewinds, retries, confirmed)
}

// A server restart under a running pgwal stream -f: it reconnects, resumes
// at its durable position and loses nothing.
func TestServerRestart(t *testing.T) {
	for _, format := range []string{"messages", "pgwal"} {
		t.Run(format, func(t *testing.T) { testServerRestart(t, format) })
	}
}

func testServerRestart(t *testing.T, format string) {
	f := newOpsFixture(t, 0)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	p := startPgwal(t, "--format", format, "--dsn", f.dsn, "-S", "sr", "--create-slot", "--start", "--publication", "pub", "-f", out, "-v")
	waitUntil(t, "slot active", p, func() bool { return f.active(t, "sr") })
	insert := func(from, to int) {
		f.sql(t, fmt.Sprintf("DO $$ BEGIN FOR i IN %d..%d LOOP INSERT INTO t VALUES (i, 'r'); COMMIT; END LOOP; END $$;", from, to))
	}
	insert(1, 300)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	waitUntil(t, "some output", p, func() bool { return len(readOutput(t, out).ids) > 0 })
	if err := f.s.Restart(ctx, "immediate"); err != nil {
		t.Fatal(err)
	}
	caughtUp := func() {
		want := f.ids(t, "t")
		waitUntil(t, "every row", p, func() bool {
			ids := readOutput(t, out).ids
			return len(ids) > 0 && ids[len(ids)-1] == want[len(want)-1]
		})
	}
	insert(301, 400)
	caughtUp() // streaming again after the crash
	if err := f.s.Restart(ctx, "fast"); err != nil {
		t.Fatal(err)
	}
	insert(401, 500)
	caughtUp()
	want := f.ids(t, "t")
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d: %s", code, p.stderr.String())
	}
	got := readOutput(t, out)
	dups, rewinds := checkOrder(t, got.ids, want)
	reconnects := strings.Count(p.stderr.String(), "reconnecting in")
	if reconnects < 2 {
		t.Errorf("%d reconnects for two restarts:\n%s", reconnects, p.stderr.String())
	}
	t.Logf("2 restarts, %d reconnect attempts, %d rows committed, %d in the file, %d repeated in %d replays", reconnects, len(want), len(got.ids), dups, rewinds)
}

// A closed pipe on standard output: exit 1, and nothing acknowledged that
// was not written.
func TestBrokenPipe(t *testing.T) {
	f := newOpsFixture(t, 0)
	f.sql(t, "SELECT pg_create_logical_replication_slot('bp', 'pgoutput')")
	cmd := exec.Command(pgwalBin(t), "stream", "--format", "messages", "--dsn", f.dsn, "-S", "bp", "--start", "--publication", "pub", "-f", "-")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	r, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitUntil(t, "slot active", nil, func() bool { return f.active(t, "bp") })
	f.sql(t, "INSERT INTO t VALUES (1, 'read')")
	var got []byte
	buf := make([]byte, 4096)
	for !strings.Contains(string(got), `"type":"Commit"`) {
		n, err := r.Read(buf)
		if err != nil {
			t.Fatalf("reading: %v (%s)", err, stderr.String())
		}
		got = append(got, buf[:n]...)
	}
	first := parseOutput(t, string(got))
	r.Close()
	f.sql(t, "INSERT INTO t VALUES (2, 'never read')")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("pgwal kept running after its reader went away: %s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), "broken pipe") {
		t.Errorf("exit %d (want 1): %s", code, stderr.String())
	}
	c := f.confirmed(t, "bp")
	if c < first.commits[0] {
		t.Errorf("confirmed %v: the written commit (%v) was not acknowledged", c, first.commits[0])
	}
	// The unwritten commit is still in the slot.
	end := f.lsnOf(t, "SELECT pg_current_wal_insert_lsn()")
	code, stdout, errText := runPgwal(t, "--dsn", f.dsn, "-S", "bp", "--start", "--publication", "pub", "-E", end.String())
	if next := parseOutput(t, stdout); code != 0 || fmt.Sprint(next.ids) != "[2]" {
		t.Errorf("after the broken pipe the slot gives %v (exit %d), want [2]: %s", next.ids, code, errText)
	}
}

// -s: status updates at least that often, even on an idle stream; -s 0
// leaves them to wire's own timer (a third of wal_sender_timeout: 20 s).
func TestStatusInterval(t *testing.T) {
	f := newOpsFixture(t, 0)
	f.sql(t, "SELECT pg_create_logical_replication_slot('si1', 'pgoutput'); SELECT pg_create_logical_replication_slot('si2', 'pgoutput');")
	replies := func(s string) int {
		seen := map[string]bool{}
		for end := time.Now().Add(1200 * time.Millisecond); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			seen[f.sql(t, "SELECT reply_time FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = "+pgserver.QuoteLiteral(s))] = true
		}
		return len(seen)
	}
	for _, tc := range []struct {
		slot, s string
		fast    bool
	}{{"si1", "0.2", true}, {"si2", "0", false}} {
		p := startPgwal(t, "--dsn", f.dsn, "-S", tc.slot, "--start", "--publication", "pub", "-s", tc.s)
		waitUntil(t, "slot active", p, func() bool { return f.active(t, tc.slot) })
		time.Sleep(300 * time.Millisecond) // past the start-up updates
		n := replies(tc.slot)
		if tc.fast && n < 4 || !tc.fast && n > 1 {
			t.Errorf("-s %s: %d distinct reply times in 1.2 s", tc.s, n)
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		if code := p.wait(t); code != 0 {
			t.Errorf("exit %d: %s", code, p.stderr.String())
		}
	}
}
