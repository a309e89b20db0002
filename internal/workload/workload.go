// Package workload runs pgwal's capture workload (testdata/workload) on a
// throwaway PostgreSQL server and reads what pgoutput makes of it, both with
// pg_logical_slot_peek_binary_changes (Peek) and over a replication
// connection with package wire (Stream). internal/capture writes the
// results to testdata/pgoutput; tests use the same steps to reproduce a
// capture on a fresh server and compare.
//
// The steps, in order:
//
//	files, _ := workload.Load(workload.Dir())
//	srv, _ := pgserver.Start(ctx, workload.ServerConfig(major))
//	res, _ := workload.Run(ctx, srv, files, workload.Slots(major, workload.LivePlan(major)))
//	rows, _ := workload.Peek(ctx, srv, spec)                        // for each spec of Plan(major)
//	rows, _ = workload.Stream(ctx, srv, spec, res.EndLSN, time.Second) // for each spec of LivePlan(major)
//
// Run executes 01-*.sql (schema and publication) first, then creates the
// slots, so every slot sees every later change and knows every relation,
// then the other files in name order, each file in one psql session (03
// relies on session state).
package workload

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
)

// Slot names used by Peek: PlainSlot for the option sets without
// two_phase, TwoPhaseSlot (15+, created with two_phase) for the others. A
// slot created with two_phase decodes prepared transactions at PREPARE
// whatever the session asks for, so it cannot serve the others.
const (
	PlainSlot    = "pgwal_slot"
	TwoPhaseSlot = "pgwal_slot_2pc"
)

// Settings are the postgresql.conf settings the workload needs:
// two-phase commit, and a 64kB logical_decoding_work_mem so 04-stream.sql
// and 05-twophase.sql get streamed. A fresh map each call.
func Settings() map[string]string {
	return map[string]string{
		"max_prepared_transactions": "10",
		"logical_decoding_work_mem": "64kB",
	}
}

// ServerConfig is the pgserver configuration for running the workload on
// a major version (0: the newest available).
func ServerConfig(major int) pgserver.Config {
	return pgserver.Config{Version: major, Settings: Settings()}
}

// File is one workload SQL file.
type File struct {
	Name string // base name, e.g. 02-dml.sql
	SQL  string
}

// Dir is testdata/workload of this module, found from this source file's
// location (so it works from any package's tests and from go run).
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("testdata", "workload")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "workload")
}

// Load reads the workload: NN-*.sql in name order. The first must be
// 01-*.sql (schema and publication, run before the slots are created).
func Load(dir string) ([]File, error) {
	names, err := filepath.Glob(filepath.Join(dir, "[0-9][0-9]-*.sql"))
	if err != nil {
		return nil, err
	}
	if len(names) < 2 {
		return nil, fmt.Errorf("workload %s: want at least 01-*.sql and 02-*.sql, found %v", dir, names)
	}
	sort.Strings(names)
	var files []File
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		files = append(files, File{filepath.Base(n), string(b)})
	}
	if !strings.HasPrefix(files[0].Name, "01-") {
		return nil, fmt.Errorf("workload %s: first file must be 01-*.sql (schema), got %s", dir, files[0].Name)
	}
	return files, nil
}

// Slot is a logical replication slot (pgoutput) to create before the
// workload's changes.
type Slot struct {
	Name     string
	TwoPhase bool // created with two_phase (PostgreSQL 15+)
}

// Slots are the slots for major: PlainSlot, TwoPhaseSlot on 15+, and one
// LiveSlot per spec of live (two-phase when the spec uses two_phase).
func Slots(major int, live []Spec) []Slot {
	list := []Slot{{Name: PlainSlot}}
	if major >= 15 {
		list = append(list, Slot{Name: TwoPhaseSlot, TwoPhase: true})
	}
	for _, s := range live {
		list = append(list, Slot{Name: s.LiveSlot(), TwoPhase: s.TwoPhase})
	}
	return list
}

// Result is what Run reports about the server and the workload.
type Result struct {
	ServerVersion    string  // SHOW server_version, first word, e.g. "16.4"
	ServerVersionNum string  // SHOW server_version_num, e.g. "160004"
	EndLSN           lsn.LSN // pg_current_wal_insert_lsn() after the workload: every change is before it
}

// exec runs sql in the workload database in one psql session.
func exec(ctx context.Context, s *pgserver.Server, what, sql string) (string, error) {
	res, err := s.ExecDB(ctx, pgserver.Database, sql)
	if err != nil {
		return res, fmt.Errorf("%s: %w", what, err)
	}
	return res, nil
}

// Run runs the workload on s (started with ServerConfig's settings) in
// database pgserver.Database: files[0], then creates slots, then the other
// files in order, each in its own psql session. With no slots it just runs
// the files in order, so a caller can create its slots its own way:
// Run(files[:1]), create, Run(files[1:]).
func Run(ctx context.Context, s *pgserver.Server, files []File, slots []Slot) (*Result, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("workload: no files")
	}
	// Schema and publication first, so the slots know every relation.
	if _, err := exec(ctx, s, files[0].Name, files[0].SQL); err != nil {
		return nil, err
	}
	if len(slots) > 0 {
		var q strings.Builder
		for _, sl := range slots {
			fmt.Fprintf(&q, "SELECT 1 FROM pg_create_logical_replication_slot(%s, 'pgoutput'", pgserver.QuoteLiteral(sl.Name))
			if sl.TwoPhase {
				q.WriteString(", false, true")
			}
			q.WriteString(");\n")
		}
		if _, err := exec(ctx, s, "create slots", q.String()); err != nil {
			return nil, err
		}
	}
	for _, f := range files[1:] {
		if _, err := exec(ctx, s, f.Name, f.SQL); err != nil {
			return nil, err
		}
	}
	// The server runs with synchronous_commit off and a peek decodes only
	// flushed WAL: a checkpoint flushes the workload's last commits.
	if _, err := exec(ctx, s, "flush", "CHECKPOINT;"); err != nil {
		return nil, err
	}
	out, err := exec(ctx, s, "version", "SHOW server_version;\nSHOW server_version_num;\nSELECT pg_current_wal_insert_lsn();")
	if err != nil {
		return nil, err
	}
	vl := strings.Split(out, "\n")
	if len(vl) != 3 || len(strings.Fields(vl[0])) == 0 {
		return nil, fmt.Errorf("workload: unexpected version output %q", out)
	}
	r := &Result{ServerVersion: strings.Fields(vl[0])[0], ServerVersionNum: strings.TrimSpace(vl[1])}
	if r.EndLSN, err = lsn.Parse(strings.TrimSpace(vl[2])); err != nil {
		return nil, fmt.Errorf("workload: pg_current_wal_insert_lsn: %w", err)
	}
	return r, nil
}
