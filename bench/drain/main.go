// Command drain measures draining a logical replication slot: one local
// PostgreSQL server (internal/pgserver), one table, one publication, one
// pgoutput slot per client, all created before N rows are inserted so they
// hold the same changes; then each client drains its slot in a child
// process of its own (one after the other), whose rusage gives its CPU time.
//
//	cd bench && go run ./drain                      # 1,000,000 rows, newest server, updates README.md
//	go run ./drain -rows 20000 -readme ''           # quick smoke, print only
//	go run ./drain -cpuprofile /tmp/drain -memprofile /tmp/drain
//
// Clients: pgwal (wire), pglogrepl (pgconn + pglogrepl as its README example
// does it: a context.WithDeadline per ReceiveMessage), pglogrepl-bg (the
// same with context.Background(), pgconn's cheapest call) and
// pg_recvlogical writing to /dev/null. See README.md, "Draining a slot".
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pgwal/pgwal/bench/internal/mdsection"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
)

const (
	table       = "drain"
	publication = "drain_pub"
)

// allClients is the default order of the drains.
var allClients = []string{"pgwal", "pgwal-batched", "pgwal-unbatched", "pglogrepl", "pglogrepl-bg", "pg_recvlogical"}

type options struct {
	Rows       int
	TxnRows    int
	Clients    []string
	Exe        string        // the binary to re-execute for the Go clients
	CPUProfile string        // prefix for <prefix>.<client>.pprof, Go clients
	MemProfile string        // prefix for <prefix>.<client>.allocs.pprof (MemProfileRate=1: slow)
	Ctx        string        // pgwal child's context: cancel or background
	CountIO    bool          // Go clients count their read and write system calls
	BatchBytes int           // Batching.MinBytes of the pgwal-batched client
	BatchDelay time.Duration // Batching.MaxDelay of the pgwal-batched client
	Wrap       []string      // command (and arguments) to run each Go child under
	Logf       func(format string, args ...any)
}

// serverSettings are added to pgserver's: no autovacuum (no stray
// transactions in the slots), and logical_decoding_work_mem well above one
// transaction's changes (pgserver's 64kB would spill every transaction to
// disk and time the server's spill files instead of the clients).
func serverSettings() map[string]string {
	return map[string]string{
		"autovacuum":                "off",
		"logical_decoding_work_mem": "256MB",
		"max_wal_size":              "8GB",
		"checkpoint_timeout":        "1h",
		"wal_sender_timeout":        "60s",
	}
}

func main() {
	if os.Getenv(childEnv) != "" {
		childMain(os.Args[1:])
		return
	}
	rows := flag.Int("rows", 1000000, "rows to insert (= Insert messages per slot)")
	txn := flag.Int("txn", 1000, "rows per transaction")
	version := flag.Int("version", 0, "PostgreSQL major version (0: newest available)")
	clients := flag.String("clients", strings.Join(allClients, ","), "clients to run, in this order")
	readme := flag.String("readme", "README.md", "update the drain section of this file ('' = print only)")
	cpuprofile := flag.String("cpuprofile", "", "write <prefix>.<client>.pprof CPU profiles of the Go clients")
	memprofile := flag.String("memprofile", "", "write <prefix>.<client>.allocs.pprof (MemProfileRate=1, slows the client)")
	ctxKind := flag.String("ctx", "cancel", "context the pgwal client passes to Next: cancel or background")
	batchBytes := flag.Int("batch-bytes", 64<<10, "Batching.MinBytes of the pgwal-batched client")
	batchDelay := flag.Duration("batch-delay", 5*time.Millisecond, "Batching.MaxDelay of the pgwal-batched client")
	wrap := flag.String("wrap", "", "run each Go client under this command, e.g. 'perf stat -o /tmp/x' or 'strace -f -c -o /tmp/y'")
	countIO := flag.Bool("countio", false, "Go clients count their connection's reads and writes (pgwal then uses wire.NewConn over a wrapped net.Conn)")
	verbose := flag.Bool("v", false, "log progress and the server log")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	exe, err := os.Executable()
	if err != nil {
		fail(err)
	}
	logf := func(format string, args ...any) {}
	if *verbose {
		logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	}
	progress := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "drain: "+format+"\n", args...) }
	srv, err := pgserver.Start(ctx, pgserver.Config{Version: *version, Settings: serverSettings(), Logf: logf})
	if err != nil {
		fail(err)
	}
	rep, err := run(ctx, srv, options{
		Rows: *rows, TxnRows: *txn, Clients: strings.Split(*clients, ","), Exe: exe,
		CPUProfile: *cpuprofile, MemProfile: *memprofile, Ctx: *ctxKind, CountIO: *countIO,
		BatchBytes: *batchBytes, BatchDelay: *batchDelay, Wrap: strings.Fields(*wrap), Logf: progress,
	})
	if serr := srv.Stop(); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		fail(err)
	}
	md := rep.markdown()
	fmt.Print(md)
	if *readme != "" {
		if err := mdsection.Update(*readme, markStart, markEnd, md); err != nil {
			fail(err)
		}
		fmt.Fprintf(os.Stderr, "drain: updated %s\n", *readme)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "drain:", err)
	os.Exit(1)
}

type report struct {
	Opts       options
	Server     string // server_version
	RowBytes   float64
	WALBytes   int64
	InsertTime time.Duration
	EndPos     lsn.LSN
	Results    []result
}

type result struct {
	Client    string
	Wall      time.Duration
	User, Sys time.Duration
	// Context switches: voluntary (the client waited) and involuntary.
	Nvcsw, Nivcsw int64
	Child         *childReport // Go clients
	Confirmed     lsn.LSN      // the slot's confirmed_flush_lsn afterwards
}

func (r result) cpu() time.Duration { return r.User + r.Sys }

func slotName(client string) string {
	return "drain_" + strings.NewReplacer("-", "_").Replace(client)
}

// run sets up the table, publication and slots, inserts, and drains each
// slot with its client.
func run(ctx context.Context, srv *pgserver.Server, o options) (*report, error) {
	if o.TxnRows <= 0 || o.Rows <= 0 {
		return nil, errors.New("rows and txn must be > 0")
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	exec1 := func(sql string) (string, error) { return srv.ExecDB(ctx, pgserver.Database, sql) }
	rep := &report{Opts: o}
	var setup strings.Builder
	fmt.Fprintf(&setup, `CREATE TABLE %[1]s (id bigint PRIMARY KEY, account_id int NOT NULL, status text NOT NULL,
	name text NOT NULL, email text NOT NULL, amount int NOT NULL);
CREATE PUBLICATION %[2]s FOR TABLE %[1]s;
`, table, publication)
	for _, c := range o.Clients {
		fmt.Fprintf(&setup, "SELECT 1 FROM pg_create_logical_replication_slot('%s', 'pgoutput');\n", slotName(c))
	}
	setup.WriteString("SELECT current_setting('server_version');\nSELECT pg_current_wal_insert_lsn();\n")
	out, err := exec1(setup.String())
	if err != nil {
		return nil, err
	}
	lines := strings.Split(out, "\n")
	rep.Server = lines[len(lines)-2]
	startLSN, err := lsn.Parse(lines[len(lines)-1])
	if err != nil {
		return nil, fmt.Errorf("start LSN %q: %v", out, err)
	}

	// One INSERT … SELECT generate_series per transaction. The last
	// transaction reads the insert position after its rows and before its
	// COMMIT: its Commit is then the only one ending at or past endpos, which
	// gives all clients (and pg_recvlogical --endpos, which stops at the first
	// record starting past it) the same exact stopping point.
	var ins strings.Builder
	insert := func(from, to int) {
		fmt.Fprintf(&ins, "INSERT INTO %s SELECT g, g %% 10007, (ARRAY['new','active','suspended','closed'])[1 + g %% 4], "+
			"'user-' || g, 'user' || g || '@example.com', (g * 7919) %% 100000 FROM generate_series(%d::bigint, %d) g;\n", table, from, to)
	}
	for from := 1; from <= o.Rows; from += o.TxnRows {
		to := min(from+o.TxnRows-1, o.Rows)
		if to == o.Rows {
			ins.WriteString("BEGIN;\n")
			insert(from, to)
			ins.WriteString("SELECT pg_current_wal_insert_lsn();\nCOMMIT;\n")
		} else {
			insert(from, to)
		}
	}
	o.Logf("inserting %d rows in transactions of %d into PostgreSQL %s", o.Rows, o.TxnRows, rep.Server)
	t0 := time.Now()
	out, err = exec1(ins.String())
	if err != nil {
		return nil, err
	}
	rep.InsertTime = time.Since(t0)
	if rep.EndPos, err = lsn.Parse(strings.TrimSpace(out)); err != nil {
		return nil, fmt.Errorf("end LSN %q: %v", out, err)
	}
	rep.WALBytes = int64(rep.EndPos - startLSN)
	out, err = exec1("SELECT round(avg(pg_column_size(d.*)), 1) FROM " + table + " d;")
	if err != nil {
		return nil, err
	}
	rep.RowBytes, _ = strconv.ParseFloat(out, 64)
	o.Logf("inserted in %v, %.1f MB of WAL, end position %v", rep.InsertTime.Round(time.Millisecond), float64(rep.WALBytes)/1e6, rep.EndPos)

	for _, c := range o.Clients {
		res, err := drainOne(ctx, srv, o, c, rep.EndPos)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c, err)
		}
		out, err := exec1(fmt.Sprintf("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '%s';", slotName(c)))
		if err != nil {
			return nil, err
		}
		if res.Confirmed, err = lsn.Parse(out); err != nil {
			return nil, fmt.Errorf("%s: confirmed_flush_lsn %q: %v", c, out, err)
		}
		if res.Child != nil && res.Confirmed < lsn.LSN(res.Child.LastEnd) {
			return nil, fmt.Errorf("%s: slot confirmed %v, last commit ended at %v: the final acknowledgement was lost",
				c, res.Confirmed, lsn.LSN(res.Child.LastEnd))
		}
		o.Logf("%-14s wall %v, CPU %v (user %v, sys %v), context switches %d voluntary, %d involuntary", c, res.Wall.Round(time.Millisecond), res.cpu().Round(time.Millisecond), res.User.Round(time.Millisecond), res.Sys.Round(time.Millisecond), res.Nvcsw, res.Nivcsw)
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

func drainOne(ctx context.Context, srv *pgserver.Server, o options, client string, endpos lsn.LSN) (result, error) {
	res := result{Client: client}
	dsn := srv.DSN(pgserver.ReplicationUser, pgserver.ReplicationPassword, pgserver.Database)
	var cmd *exec.Cmd
	if client == "pg_recvlogical" {
		bin, err := pgserver.ClientBin(srv.BinDir(), "pg_recvlogical")
		if err != nil {
			return res, err
		}
		cmd = exec.CommandContext(ctx, bin, "-d", dsn, "--slot", slotName(client), "--start",
			"--endpos", endpos.String(), "-f", "/dev/null", "--no-loop",
			"-o", "proto_version=1", "-o", "publication_names="+publication)
		cmd.Env = cleanEnv()
	} else {
		args := []string{"-client", client, "-dsn", dsn, "-slot", slotName(client), "-pub", publication,
			"-endpos", endpos.String(), "-rows", strconv.Itoa(o.Rows), "-ctx", o.Ctx}
		if o.CountIO {
			args = append(args, "-countio")
		}
		if client == "pgwal-batched" {
			args = append(args, "-batch-bytes", strconv.Itoa(o.BatchBytes), "-batch-delay", o.BatchDelay.String())
		}
		if o.CPUProfile != "" {
			args = append(args, "-cpuprofile", o.CPUProfile+"."+client+".pprof")
		}
		if o.MemProfile != "" {
			args = append(args, "-memprofile", o.MemProfile+"."+client+".allocs.pprof")
		}
		if len(o.Wrap) > 0 {
			cmd = exec.CommandContext(ctx, o.Wrap[0], append(append(o.Wrap[1:], o.Exe), args...)...)
		} else {
			cmd = exec.CommandContext(ctx, o.Exe, args...)
		}
		cmd.Env = append(cleanEnv(), childEnv+"=1")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	t0 := time.Now()
	err := cmd.Run()
	res.Wall = time.Since(t0)
	if err != nil {
		return res, fmt.Errorf("%v\n%s", err, strings.TrimSpace(stderr.String()))
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return res, errors.New("no rusage")
	}
	res.User = time.Duration(ru.Utime.Nano())
	res.Sys = time.Duration(ru.Stime.Nano())
	res.Nvcsw, res.Nivcsw = ru.Nvcsw, ru.Nivcsw
	if client != "pg_recvlogical" {
		res.Child = &childReport{}
		if err := json.Unmarshal(stdout.Bytes(), res.Child); err != nil {
			return res, fmt.Errorf("child report %q: %v", stdout.String(), err)
		}
		if res.Child.Inserts != int64(o.Rows) {
			return res, fmt.Errorf("received %d inserts, want %d", res.Child.Inserts, o.Rows)
		}
	}
	return res, nil
}

// cleanEnv drops PG* variables (a stray PGSSLMODE or PGPASSFILE would change
// what the clients do) but keeps GOMAXPROCS, GOGC and the like.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

func (rep *report) find(client string) *result {
	for i := range rep.Results {
		if rep.Results[i].Client == client {
			return &rep.Results[i]
		}
	}
	return nil
}

// messages is the pgoutput message count of a slot (all slots hold the
// same changes); pg_recvlogical cannot count, so it gets the Go clients'.
func (rep *report) messages() int64 {
	for _, r := range rep.Results {
		if r.Child != nil {
			return r.Child.Messages
		}
	}
	return 0
}

func (rep *report) markdown() string {
	var b strings.Builder
	o := rep.Opts
	txns := (o.Rows + o.TxnRows - 1) / o.TxnRows
	fmt.Fprintf(&b, "PostgreSQL %s on loopback TCP, %s/%s, GOMAXPROCS %d, %s; %d rows inserted in %d transactions of %d "+
		"(%.0f-byte rows, %.1f MB of WAL, inserted in %.1f s), %d pgoutput messages per slot (protocol 1), drained one client at a time in the order below.\n\n",
		rep.Server, runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.Version(), o.Rows, txns, o.TxnRows,
		rep.RowBytes, float64(rep.WALBytes)/1e6, rep.InsertTime.Seconds(), rep.messages())
	b.WriteString("| client | wall s | CPU s (user+sys) | user s | sys s | CPU ns/change | messages/s | allocs/msg (loop) | allocs/msg (steady) | GCs | context switches (voluntary) | status updates sent by the loop |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	msgs := rep.messages()
	for _, r := range rep.Results {
		allocs, steady, gcs, statuses := "—", "—", "—", "—"
		if c := r.Child; c != nil {
			allocs = fmt.Sprintf("%.3f", float64(c.Mallocs)/float64(c.Messages))
			if c.SteadyMsgs > 0 {
				steady = fmt.Sprintf("%.3f", float64(c.SteadyMallocs)/float64(c.SteadyMsgs))
			}
			gcs = strconv.Itoa(int(c.NumGC))
			if strings.HasPrefix(c.Client, "pglogrepl") {
				statuses = strconv.FormatInt(c.Statuses, 10)
			} else {
				statuses = "(inside wire)"
			}
		}
		fmt.Fprintf(&b, "| %s | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %s | %s | %s | %d | %s |\n", r.Client, r.Wall.Seconds(), r.cpu().Seconds(),
			r.User.Seconds(), r.Sys.Seconds(), float64(r.cpu().Nanoseconds())/float64(o.Rows), float64(msgs)/r.Wall.Seconds(),
			allocs, steady, gcs, r.Nvcsw, statuses)
	}
	b.WriteString("\n")
	ratio := func(name string, num, den time.Duration, bar float64, barText string) {
		v := float64(num) / float64(den)
		mark := "✓"
		if v > bar {
			mark = "✗ **missed**"
		}
		fmt.Fprintf(&b, "- %s: **%.3f** (bar %s) %s\n", name, v, barText, mark)
	}
	for _, name := range []string{"pgwal", "pgwal-batched", "pgwal-unbatched"} {
		pw := rep.find(name)
		if pw == nil {
			continue
		}
		if r := rep.find("pglogrepl"); r != nil {
			ratio(name+" CPU / pglogrepl CPU (README idiom)", pw.cpu(), r.cpu(), 1.0/3, "≤ 1/3")
		}
		if r := rep.find("pglogrepl-bg"); r != nil {
			ratio(name+" CPU / pglogrepl-bg CPU (context.Background)", pw.cpu(), r.cpu(), 1.0/3, "≤ 1/3")
		}
		if r := rep.find("pg_recvlogical"); r != nil {
			ratio(name+" wall / pg_recvlogical wall", pw.Wall, r.Wall, 1, "≤ 1")
		}
		if c := pw.Child; c != nil {
			fmt.Fprintf(&b, "- %s allocations: %d over the receive loop (%d messages), %d from message %d on (%d messages); Next's context: %s\n",
				name, c.Mallocs, c.Messages, c.SteadyMallocs, c.SteadyFrom, c.SteadyMsgs, o.Ctx)
		}
	}
	if rep.find("pgwal-batched") != nil {
		fmt.Fprintf(&b, "- pgwal: the default configuration (adaptive batching: 64 KiB batches while the stream is busy); pgwal-batched: `wire.Config.Batching{MinBytes: %d, MaxDelay: %v, Always: true}`; pgwal-unbatched: `Batching{MinBytes: -1}`\n", o.BatchBytes, o.BatchDelay)
	}
	for _, r := range rep.Results {
		if c := r.Child; c != nil && c.Reads > 0 {
			fmt.Fprintf(&b, "- %s system calls over the receive loop (-countio): %d reads (%.2f messages, %.0f bytes per read), %d writes\n",
				r.Client, c.Reads, float64(c.Messages)/float64(c.Reads), float64(c.ReadBytes)/float64(c.Reads), c.Writes)
		}
	}
	return b.String()
}

const (
	markStart = "<!-- drain:start -->"
	markEnd   = "<!-- drain:end -->"
)
