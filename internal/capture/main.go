// Command capture regenerates pgwal's captured-corpus testdata: for each
// PostgreSQL major version (14..18) it starts a throwaway server with
// internal/pgserver, runs the SQL workload in testdata/workload
// (internal/workload), peeks the pgoutput messages with
// pg_logical_slot_peek_binary_changes for every protocol version and option
// set that changes the bytes (v<proto>-<set>.txt), streams the live option
// sets over a replication connection with package wire
// (live-v<proto>-<set>.txt), then verifies every file with codec.Decoder
// and codec.AppendMessage.
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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/internal/workload"
)

func main() {
	out := flag.String("out", "testdata/pgoutput", "output directory (one pg<major> subdirectory per server version)")
	workloadDir := flag.String("workload", "", "directory of the workload SQL files (default: <out>/../workload)")
	versions := flag.String("versions", "14,15,16,17,18", "comma-separated server major versions")
	verifyOnly := flag.Bool("verify", false, "only verify the capture files already in -out")
	jobs := flag.Int("j", 2, "servers run at the same time")
	verbose := flag.Bool("v", false, "log server progress")
	flag.Parse()
	if *workloadDir == "" {
		*workloadDir = filepath.Join(filepath.Dir(filepath.Clean(*out)), "workload")
	}
	if err := run(*out, *workloadDir, *versions, *verifyOnly, *jobs, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "capture:", err)
		os.Exit(1)
	}
}

func run(out, workloadDir, versionList string, verifyOnly bool, jobs int, verbose bool) error {
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
	files, err := workload.Load(workloadDir)
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

// liveIdle is how long a live stream must stay quiet, after reporting a
// position past the workload's end, before the capture stops reading.
const liveIdle = time.Second

func captureVersion(major int, out string, files []workload.File, verbose bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := workload.ServerConfig(major)
	if verbose {
		cfg.Logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	}
	s, err := pgserver.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Stop()
	live := workload.LivePlan(major)
	res, err := workload.Run(ctx, s, files, workload.Slots(major, live))
	if err != nil {
		return err
	}

	dir := filepath.Join(out, fmt.Sprintf("pg%d", major))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, pat := range []string{"v*-*.txt", "live-v*-*.txt"} {
		old, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, f := range old {
			os.Remove(f)
		}
	}
	for _, spec := range workload.Plan(major) {
		rows, err := workload.Peek(ctx, s, spec)
		if err != nil {
			return err
		}
		if err := writeCapture(filepath.Join(dir, spec.FileName()), res, spec, "peek", rows); err != nil {
			return err
		}
	}
	for _, spec := range live {
		rows, st, err := workload.Stream(ctx, s, spec, res.EndLSN, liveIdle)
		if err != nil {
			return err
		}
		if st.Empty > 0 && verbose {
			fmt.Fprintf(os.Stderr, "pg%d: %s: %d empty XLogData payloads skipped\n", major, spec.LiveFileName(), st.Empty)
		}
		if err := writeCapture(filepath.Join(dir, spec.LiveFileName()), res, spec, "replication", rows); err != nil {
			return err
		}
	}
	return nil
}

// writeCapture writes one capture file (format: testdata/README.md).
// source is "peek" or "replication".
func writeCapture(path string, res *workload.Result, spec workload.Spec, source string, rows []workload.Row) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# pgwal capture v1\n")
	fmt.Fprintf(&b, "# server_version: %s\n", res.ServerVersion)
	fmt.Fprintf(&b, "# server_version_num: %s\n", res.ServerVersionNum)
	fmt.Fprintf(&b, "# proto_version: %d\n", spec.Proto)
	fmt.Fprintf(&b, "# options: %s\n", spec.OptionsText())
	fmt.Fprintf(&b, "# streaming: %s\n", spec.Streaming)
	fmt.Fprintf(&b, "# slot: %s\n", spec.SlotKind())
	fmt.Fprintf(&b, "# source: %s\n", source)
	if spec.Immediate {
		fmt.Fprintf(&b, "# session: SET debug_logical_replication_streaming = immediate\n")
	}
	fmt.Fprintf(&b, "# expect: %s\n", spaced(spec.ExpectTypes()))
	fmt.Fprintf(&b, "# expect-tuple: %s\n", spaced(spec.ExpectTuple()))
	for _, r := range rows {
		fmt.Fprintf(&b, "%s %d %x\n", r.LSN, r.Xid, r.Data)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func spaced(s string) string {
	return strings.Join(strings.Split(s, ""), " ")
}
