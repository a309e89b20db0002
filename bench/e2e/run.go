package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
)

const (
	debian15   = "/usr/lib/postgresql/15/bin"
	wal2jsonSO = "/usr/lib/postgresql/15/lib/wal2json.so"
	// pgOptions pins pg_recvlogical's session to the settings pgwal pins on
	// its own (as cmd/pgwal's wal2json test does), so both print the same
	// text for dates, intervals and floats.
	pgOptions = "PGOPTIONS=-c DateStyle=ISO -c IntervalStyle=postgres -c TimeZone=UTC -c extra_float_digits=3"
	reference = "pg_recvlogical"
)

// clientSpec is one way of draining a slot.
type clientSpec struct {
	Name string
	Args []string // extra pgwal stream flags (none for pg_recvlogical)
}

var allClients = []clientSpec{
	{Name: reference},
	{Name: "pgwal"},
	{Name: "pgwal-binary", Args: []string{"--binary"}},
	{Name: "pgwal-batch-off", Args: []string{"--batch", "off"}},
}

type options struct {
	Changes int // per table, rounded down to a multiple of Txn
	Txn     int
	Reps    int
	Tables  []string
	Clients []clientSpec
	Pgwal   string // the pgwal binary
	Dir     string // output files go here (removed after comparison)
	Logf    func(format string, args ...any)
}

// checkInstall fails unless Debian's PostgreSQL 15 with wal2json is here.
func checkInstall() error {
	for _, f := range []string{debian15 + "/postgres", debian15 + "/pg_recvlogical", wal2jsonSO} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("needs Debian's PostgreSQL 15 with the wal2json plugin (apt-get install postgresql-15 postgresql-15-wal2json): %v", err)
		}
	}
	return nil
}

func serverSettings() map[string]string {
	return map[string]string{
		"autovacuum":                "off",
		"logical_decoding_work_mem": "256MB",
		"max_wal_size":              "16GB",
		"checkpoint_timeout":        "1h",
		"wal_sender_timeout":        "120s",
		"max_replication_slots":     "40",
		"max_wal_senders":           "20",
	}
}

// buildPgwal builds cmd/pgwal into dir.
func buildPgwal(ctx context.Context, dir string) (string, error) {
	out := filepath.Join(dir, "pgwal")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/pgwal/pgwal/cmd/pgwal")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build cmd/pgwal: %v\n%s", err, b)
	}
	return out, nil
}

type measurement struct {
	Client    string
	Rep       int
	Wall      time.Duration
	ClientCPU time.Duration // rusage user+sys of the child
	ServerCPU time.Duration // postmaster's reaped-children CPU over the drain
	Sampled   time.Duration // the walsender's last sampled utime+stime
	Nvcsw     int64
	Bytes     int64
	Identical bool   // output equals pg_recvlogical's (byte for byte)
	Diff      string // the first differing line, if not
}

func (m measurement) total() time.Duration { return m.ClientCPU + m.ServerCPU }

type tableReport struct {
	Table    string
	Columns  int
	Txns     int
	Split    split
	WALBytes int64
	LoadTime time.Duration
	Changes  [3]int64 // I, U, D lines in pg_recvlogical's output
	Results  []measurement
}

type report struct {
	Opts   options
	Server string
	Tables []tableReport
}

func slotName(table string, rep int, client string) string {
	return fmt.Sprintf("e2e_%s_%d_%s", table, rep, strings.ReplaceAll(client, "-", "_"))
}

func run(ctx context.Context, srv *pgserver.Server, o options) (*report, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Reps <= 0 || o.Txn <= 0 || o.Changes < o.Txn {
		return nil, errors.New("reps, txn and changes must be > 0, changes ≥ txn")
	}
	if len(o.Clients) == 0 || o.Clients[0].Name != reference {
		return nil, errors.New("the first client must be " + reference)
	}
	sp, err := splitTxn(o.Txn)
	if err != nil {
		return nil, err
	}
	pm, err := postmasterPID(srv.DataDir())
	if err != nil {
		return nil, err
	}
	exec1 := func(sql string) (string, error) { return srv.ExecDB(ctx, pgserver.Database, sql) }
	rep := &report{Opts: o}
	if rep.Server, err = exec1("SELECT current_setting('server_version');"); err != nil {
		return nil, err
	}
	for _, name := range o.Tables {
		t, ok := tables[name]
		if !ok {
			return nil, fmt.Errorf("no table %q (want narrow or wide)", name)
		}
		tr, err := runTable(ctx, srv, pm, o, t, sp, exec1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		rep.Tables = append(rep.Tables, *tr)
	}
	return rep, nil
}

func runTable(ctx context.Context, srv *pgserver.Server, pm int, o options, t tableSpec, sp split, exec1 func(string) (string, error)) (*tableReport, error) {
	pub := t.Name + "_pub"
	tr := &tableReport{Table: t.Name, Columns: len(t.Columns), Txns: o.Changes / o.Txn, Split: sp}
	var setup strings.Builder
	setup.WriteString(t.setupSQL(pub))
	for r := 0; r < o.Reps; r++ {
		for _, c := range o.Clients {
			plugin := "pgoutput"
			if c.Name == reference {
				plugin = "wal2json"
			}
			fmt.Fprintf(&setup, "SELECT 1 FROM pg_create_logical_replication_slot('%s', '%s');\n", slotName(t.Name, r, c.Name), plugin)
		}
	}
	setup.WriteString("SELECT pg_current_wal_insert_lsn();\n")
	out, err := exec1(setup.String())
	if err != nil {
		return nil, err
	}
	start, err := lsn.Parse(lastLine(out))
	if err != nil {
		return nil, fmt.Errorf("start LSN %q: %v", out, err)
	}
	o.Logf("%s: %d transactions of %d changes (%d inserts, %d updates, %d deletes)", t.Name, tr.Txns, o.Txn, sp.Ins, sp.Upd, sp.Del)
	t0 := time.Now()
	if _, err := exec1(t.loadSQL(tr.Txns, sp)); err != nil {
		return nil, err
	}
	tr.LoadTime = time.Since(t0)
	// As cmd/pgwal's wal2json test: the end is the insert position after
	// everything (and a checkpoint), so both clients stop after the last
	// commit and print every transaction.
	out, err = exec1("CHECKPOINT;\nSELECT pg_current_wal_insert_lsn();")
	if err != nil {
		return nil, err
	}
	end, err := lsn.Parse(lastLine(out))
	if err != nil {
		return nil, fmt.Errorf("end LSN %q: %v", out, err)
	}
	tr.WALBytes = int64(end - start)
	o.Logf("%s: loaded in %v, %.1f MB of WAL", t.Name, tr.LoadTime.Round(time.Millisecond), float64(tr.WALBytes)/1e6)
	warmWAL(srv.DataDir())

	dsn := srv.DSN(pgserver.ReplicationUser, pgserver.ReplicationPassword, pgserver.Database)
	var refFile string
	defer func() {
		if refFile != "" {
			os.Remove(refFile)
		}
	}()
	for r := 0; r < o.Reps; r++ {
		// The reference runs first in every repetition (its output is what
		// the others are compared with); the pgwal variants rotate.
		order := []clientSpec{o.Clients[0]}
		rest := o.Clients[1:]
		for i := range rest {
			order = append(order, rest[(i+r)%len(rest)])
		}
		for _, c := range order {
			file := filepath.Join(o.Dir, fmt.Sprintf("%s.%d.%s.json", t.Name, r, c.Name))
			os.Remove(file)
			time.Sleep(200 * time.Millisecond) // the backends of the last SQL are reaped
			m, err := drainOne(ctx, pm, o, c, dsn, slotName(t.Name, r, c.Name), pub, end, file)
			if err != nil {
				return nil, fmt.Errorf("%s (repetition %d): %w", c.Name, r+1, err)
			}
			m.Rep = r
			if c.Name == reference {
				if refFile == "" {
					refFile = file
					if tr.Changes, err = countChanges(file); err != nil {
						return nil, err
					}
					if got := tr.Changes[0] + tr.Changes[1] + tr.Changes[2]; got != int64(tr.Txns*o.Txn) {
						return nil, fmt.Errorf("wal2json printed %d changes, want %d", got, tr.Txns*o.Txn)
					}
					m.Identical = true
				}
			}
			if file != refFile {
				if m.Identical, m.Diff, err = sameFile(refFile, file); err != nil {
					return nil, err
				}
				os.Remove(file)
			}
			if _, err := exec1(fmt.Sprintf("SELECT pg_drop_replication_slot('%s');", slotName(t.Name, r, c.Name))); err != nil {
				return nil, err
			}
			o.Logf("%s rep %d %-16s wall %6.2fs client CPU %6.2fs walsender CPU %6.2fs (sampled %6.2fs) %7.1f MB identical=%v %s",
				t.Name, r+1, c.Name, m.Wall.Seconds(), m.ClientCPU.Seconds(), m.ServerCPU.Seconds(), m.Sampled.Seconds(),
				float64(m.Bytes)/1e6, m.Identical, m.Diff)
			tr.Results = append(tr.Results, m)
		}
	}
	if _, err := exec1(fmt.Sprintf("DROP TABLE public.%s; DROP PUBLICATION %s; CHECKPOINT;", t.Name, pub)); err != nil {
		return nil, err
	}
	return tr, nil
}

func drainOne(ctx context.Context, pm int, o options, c clientSpec, dsn, slot, pub string, end lsn.LSN, file string) (measurement, error) {
	m := measurement{Client: c.Name}
	var cmd *exec.Cmd
	if c.Name == reference {
		cmd = exec.CommandContext(ctx, debian15+"/pg_recvlogical", "-d", dsn, "-S", slot, "-P", "wal2json",
			"-o", "format-version=2", "--start", "-f", file, "--endpos", end.String(), "--no-loop")
		cmd.Env = append(cleanEnv(), pgOptions)
	} else {
		args := append([]string{"stream", "--dsn", dsn, "--format", "wal2json", "-o", "format-version=2",
			"-S", slot, "--start", "--publication", pub, "-f", file, "-E", end.String()}, c.Args...)
		cmd = exec.CommandContext(ctx, o.Pgwal, args...)
		cmd.Env = cleanEnv()
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = 5 * time.Second
	meter, err := startMeter(pm)
	if err != nil {
		return m, err
	}
	t0 := time.Now()
	err = cmd.Run()
	m.Wall = time.Since(t0)
	reaped, sampled, pid, merr := meter.finish(30 * time.Second)
	if err != nil {
		return m, fmt.Errorf("%v\n%s", err, strings.TrimSpace(stderr.String()))
	}
	if merr != nil {
		return m, merr
	}
	if pid == 0 {
		return m, errors.New("never saw the walsender")
	}
	m.ServerCPU, m.Sampled = reaped, sampled
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return m, errors.New("no rusage")
	}
	m.ClientCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	m.Nvcsw = ru.Nvcsw
	fi, err := os.Stat(file)
	if err != nil {
		return m, err
	}
	m.Bytes = fi.Size()
	return m, nil
}

// warmWAL reads the WAL files once so that no drain is the one that pulls
// them into the page cache.
func warmWAL(dataDir string) {
	files, _ := filepath.Glob(filepath.Join(dataDir, "pg_wal", "0*"))
	for _, f := range files {
		if fh, err := os.Open(f); err == nil {
			io.Copy(io.Discard, fh)
			fh.Close()
		}
	}
}

// countChanges counts wal2json format-version 2 lines of inserts, updates
// and deletes.
func countChanges(file string) ([3]int64, error) {
	var n [3]int64
	f, err := os.Open(file)
	if err != nil {
		return n, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	prefixes := []string{`{"action":"I"`, `{"action":"U"`, `{"action":"D"`}
	for {
		line, err := br.ReadSlice('\n')
		for i, p := range prefixes {
			if bytes.HasPrefix(line, []byte(p)) {
				n[i]++
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// sameFile compares two files byte for byte; when they differ it returns
// the first differing line of each.
func sameFile(a, b string) (bool, string, error) {
	fa, err := os.Open(a)
	if err != nil {
		return false, "", err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, "", err
	}
	defer fb.Close()
	ra, rb := bufio.NewReaderSize(fa, 1<<20), bufio.NewReaderSize(fb, 1<<20)
	for line := 1; ; line++ {
		la, ea := ra.ReadBytes('\n')
		lb, eb := rb.ReadBytes('\n')
		if !bytes.Equal(la, lb) {
			return false, fmt.Sprintf("line %d: %s %.300q, %s %.300q", line, reference, la, filepath.Base(b), lb), nil
		}
		if ea == io.EOF && eb == io.EOF {
			return true, "", nil
		}
		if ea != nil && ea != io.EOF {
			return false, "", ea
		}
		if eb != nil && eb != io.EOF {
			return false, "", eb
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// cleanEnv drops PG* variables (a stray PGSSLMODE or PGPASSFILE would change
// what the clients do).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}
