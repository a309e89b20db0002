// Command capture regenerates pgwal's captured-corpus testdata: for each
// PostgreSQL major version (14..18) it starts a throwaway server with
// internal/pgserver, runs the SQL workload in testdata/workload, peeks the
// pgoutput messages with pg_logical_slot_peek_binary_changes for every
// protocol version and option set that changes the bytes, writes one capture
// file per (version, proto, option set), then verifies every file with
// codec.Decoder and codec.AppendMessage.
//
//	go run ./internal/capture -out testdata/pgoutput [-versions 14,15,16,17,18]
//	go run ./internal/capture -out testdata/pgoutput -verify   # check existing files only
//
// The file format is described in testdata/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
)

func main() {
	out := flag.String("out", "testdata/pgoutput", "output directory (one pg<major> subdirectory per server version)")
	workload := flag.String("workload", "", "directory of the workload SQL files (default: <out>/../workload)")
	versions := flag.String("versions", "14,15,16,17,18", "comma-separated server major versions")
	verifyOnly := flag.Bool("verify", false, "only verify the capture files already in -out")
	jobs := flag.Int("j", 2, "servers run at the same time")
	verbose := flag.Bool("v", false, "log server progress")
	flag.Parse()
	if *workload == "" {
		*workload = filepath.Join(filepath.Dir(filepath.Clean(*out)), "workload")
	}
	if err := run(*out, *workload, *versions, *verifyOnly, *jobs, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "capture:", err)
		os.Exit(1)
	}
}

func run(out, workload, versionList string, verifyOnly bool, jobs int, verbose bool) error {
	var majors []int
	for _, f := range strings.Split(versionList, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 14 || v > 18 {
			return fmt.Errorf("bad version %q (want 14..18)", f)
		}
		majors = append(majors, v)
	}
	if verifyOnly {
		return verifyDir(out, majors)
	}
	files, err := workloadFiles(workload)
	if err != nil {
		return err
	}
	avail := map[int]bool{}
	for _, v := range pgserver.Available() {
		avail[v] = true
	}
	for _, v := range majors {
		if !avail[v] {
			return fmt.Errorf("PostgreSQL %d is not available (pgserver.Available() = %v); run `make postgres`", v, pgserver.Available())
		}
	}
	if jobs < 1 {
		jobs = 1
	}
	start := time.Now()
	errs := make([]error, len(majors))
	sem := make(chan struct{}, jobs)
	var wg sync.WaitGroup
	for i, v := range majors {
		wg.Add(1)
		go func(i, v int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			t0 := time.Now()
			errs[i] = captureVersion(v, out, files, verbose)
			fmt.Fprintf(os.Stderr, "pg%d: captured in %.1fs (err=%v)\n", v, time.Since(t0).Seconds(), errs[i])
		}(i, v)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("PostgreSQL %d: %w", majors[i], err)
		}
	}
	fmt.Fprintf(os.Stderr, "captured %v in %.1fs\n", majors, time.Since(start).Seconds())
	return verifyDir(out, majors)
}

type sqlFile struct {
	name string
	sql  string
}

// workloadFiles reads the workload: NN-*.sql in name order. 01-* runs before
// the slots are created, the rest after.
func workloadFiles(dir string) ([]sqlFile, error) {
	names, err := filepath.Glob(filepath.Join(dir, "[0-9][0-9]-*.sql"))
	if err != nil {
		return nil, err
	}
	if len(names) < 2 {
		return nil, fmt.Errorf("workload %s: want at least 01-*.sql and 02-*.sql, found %v", dir, names)
	}
	sort.Strings(names)
	var files []sqlFile
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		files = append(files, sqlFile{filepath.Base(n), string(b)})
	}
	if !strings.HasPrefix(files[0].name, "01-") {
		return nil, fmt.Errorf("workload %s: first file must be 01-*.sql (schema), got %s", dir, files[0].name)
	}
	return files, nil
}

const (
	slotPlain    = "pgwal_slot"
	slotTwoPhase = "pgwal_slot_2pc"
)

func captureVersion(major int, out string, files []sqlFile, verbose bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := pgserver.Config{
		Version: major,
		Settings: map[string]string{
			"max_prepared_transactions": "10",
			"logical_decoding_work_mem": "64kB",
		},
	}
	if verbose {
		cfg.Logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	}
	s, err := pgserver.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Stop()
	db := pgserver.Database
	exec := func(what, sql string) (string, error) {
		res, err := s.ExecDB(ctx, db, sql)
		if err != nil {
			return res, fmt.Errorf("%s: %w", what, err)
		}
		return res, nil
	}
	// Schema and publication first, so the slots know every relation.
	if _, err := exec(files[0].name, files[0].sql); err != nil {
		return err
	}
	// Two slots: a plain one for every option set without two_phase, and a
	// two-phase-capable one (15+) for the two_phase option sets. A slot
	// created with two_phase decodes prepared transactions at PREPARE
	// whatever the session asks for, so it cannot serve the others.
	slots := "SELECT 1 FROM pg_create_logical_replication_slot('" + slotPlain + "', 'pgoutput');\n"
	if major >= 15 {
		slots += "SELECT 1 FROM pg_create_logical_replication_slot('" + slotTwoPhase + "', 'pgoutput', false, true);\n"
	}
	if _, err := exec("create slots", slots); err != nil {
		return err
	}
	for _, f := range files[1:] {
		if _, err := exec(f.name, f.sql); err != nil {
			return err
		}
	}
	ver, err := exec("version", "SHOW server_version;\nSHOW server_version_num;")
	if err != nil {
		return err
	}
	vl := strings.Split(ver, "\n")
	if len(vl) != 2 {
		return fmt.Errorf("unexpected version output %q", ver)
	}
	serverVersion := strings.Fields(vl[0])[0]
	serverVersionNum := strings.TrimSpace(vl[1])

	dir := filepath.Join(out, fmt.Sprintf("pg%d", major))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "v*-*.txt"))
	for _, f := range old {
		os.Remove(f)
	}
	for _, spec := range plan(major) {
		slot := slotPlain
		if spec.TwoPhase {
			slot = slotTwoPhase
		}
		args := []string{pgserver.QuoteLiteral(slot), "NULL", "NULL"}
		for _, o := range spec.options() {
			args = append(args, pgserver.QuoteLiteral(o[0]), pgserver.QuoteLiteral(o[1]))
		}
		q := ""
		if spec.Immediate {
			q = "SET debug_logical_replication_streaming = immediate;\n"
		}
		q += "SELECT lsn, xid, encode(data, 'hex') FROM pg_logical_slot_peek_binary_changes(" + strings.Join(args, ", ") + ");"
		res, err := exec(spec.fileName(), q)
		if err != nil {
			return err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "# pgwal capture v1\n")
		fmt.Fprintf(&b, "# server_version: %s\n", serverVersion)
		fmt.Fprintf(&b, "# server_version_num: %s\n", serverVersionNum)
		fmt.Fprintf(&b, "# proto_version: %d\n", spec.Proto)
		fmt.Fprintf(&b, "# options: %s\n", spec.optionsText())
		fmt.Fprintf(&b, "# streaming: %s\n", spec.Streaming)
		fmt.Fprintf(&b, "# slot: %s\n", slotKind(spec.TwoPhase))
		if spec.Immediate {
			fmt.Fprintf(&b, "# session: SET debug_logical_replication_streaming = immediate\n")
		}
		fmt.Fprintf(&b, "# expect: %s\n", spaced(spec.expectTypes()))
		fmt.Fprintf(&b, "# expect-tuple: %s\n", spaced(spec.expectTuple()))
		n := 0
		for _, line := range strings.Split(res, "\n") {
			if line == "" {
				continue
			}
			f := strings.Split(line, "|")
			if len(f) != 3 {
				return fmt.Errorf("%s: bad peek row %q", spec.fileName(), line)
			}
			fmt.Fprintf(&b, "%s %s %s\n", f[0], f[1], f[2])
			n++
		}
		if n == 0 {
			return fmt.Errorf("%s: peek returned nothing", spec.fileName())
		}
		if err := os.WriteFile(filepath.Join(dir, spec.fileName()), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func slotKind(twoPhase bool) string {
	if twoPhase {
		return "two_phase"
	}
	return "plain"
}

func spaced(s string) string {
	return strings.Join(strings.Split(s, ""), " ")
}
