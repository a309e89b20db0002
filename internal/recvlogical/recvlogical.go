// Package recvlogical runs PostgreSQL's own pg_recvlogical against a
// pgserver.Server, to read a logical slot through any output plugin
// (test_decoding, wal2json, ...) the way the PostgreSQL tools do, for tests
// that compare what pgwal prints with what the server's plugins print.
//
//	opts := recvlogical.Options{Slot: "w", Plugin: "wal2json"}
//	err := recvlogical.CreateSlot(ctx, s, opts)
//	// ... run a workload, then read up to the WAL position it ended at:
//	opts.PluginOptions = []string{"format-version=2"}
//	opts.EndPos = end // SELECT pg_current_wal_insert_lsn() after the workload
//	lines, err := recvlogical.Stream(ctx, s, opts)
//
// Take the end position from pg_current_wal_insert_lsn(), not
// pg_current_wal_lsn(): pgserver runs with synchronous_commit off, so a
// commit may not be written yet, and pg_recvlogical exits at once when the
// server's keepalive says its WAL already reaches the end position.
//
// pg_recvlogical connects over the server's unix socket as the superuser
// (or Options.User) with a clean environment (no PG* variables but those
// in Options.Env). It pins an empty search_path on its connection, as wire
// does; other settings are the server's defaults (pgserver sets TimeZone
// UTC) unless Options.Env sets PGOPTIONS.
package recvlogical

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
)

// Options says what pg_recvlogical does.
type Options struct {
	// Slot is the replication slot's name (required).
	Slot string
	// Plugin is the output plugin a slot is created with (-P); "" is
	// pg_recvlogical's default, test_decoding. Only CreateSlot uses it:
	// a slot streams through the plugin it was created with.
	Plugin string
	// PluginOptions are passed to the plugin, each as -o NAME or
	// -o NAME=VALUE, in order. Only Stream uses them.
	PluginOptions []string
	// EndPos is where Stream stops (--endpos): it returns after the
	// server has sent everything up to this position (a record starting
	// exactly at EndPos is still written). Stream requires it.
	EndPos lsn.LSN
	// DBName is the database the slot belongs to; "" = pgserver.Database.
	DBName string
	// User connects as this role; "" = the server's superuser.
	User string
	// Env are extra environment variables (KEY=VALUE), e.g.
	// PGOPTIONS=-c DateStyle=ISO.
	Env []string
	// Program is the pg_recvlogical to run; "" = the one next to the
	// server's binaries, else a client install (pgserver.ClientBin).
	Program string
}

// Error is a failed pg_recvlogical run; it carries what it wrote to stderr.
type Error struct {
	Args   []string // the command line, program first
	Err    error    // from running it (an *exec.ExitError, a context error, ...)
	Stderr string
}

func (e *Error) Error() string {
	return fmt.Sprintf("recvlogical: %s: %v: %s", strings.Join(e.Args, " "), e.Err, strings.TrimSpace(e.Stderr))
}

func (e *Error) Unwrap() error { return e.Err }

// CreateSlot creates the logical slot opts.Slot with opts.Plugin
// (pg_recvlogical --create-slot).
func CreateSlot(ctx context.Context, s *pgserver.Server, opts Options) error {
	args := []string{"--create-slot"}
	if opts.Plugin != "" {
		args = append(args, "--plugin="+opts.Plugin)
	}
	_, err := run(ctx, s, opts, args)
	return err
}

// DropSlot drops the slot opts.Slot (pg_recvlogical --drop-slot).
func DropSlot(ctx context.Context, s *pgserver.Server, opts Options) error {
	_, err := run(ctx, s, opts, []string{"--drop-slot"})
	return err
}

// Stream reads the slot from where it stands up to opts.EndPos
// (pg_recvlogical --start -f - --endpos --no-loop) and returns what the
// plugin wrote, one line per message as pg_recvlogical prints them (a
// message holding newlines spans several lines). The slot's confirmed
// position advances, so a second Stream does not repeat what the first
// read. Cancel ctx to give up if EndPos is never reached.
func Stream(ctx context.Context, s *pgserver.Server, opts Options) ([]string, error) {
	if !opts.EndPos.IsValid() {
		return nil, errors.New("recvlogical: Stream needs Options.EndPos")
	}
	args := []string{"--start", "--file=-", "--no-loop", "--endpos=" + opts.EndPos.String()}
	for _, o := range opts.PluginOptions {
		args = append(args, "--option="+o)
	}
	out, err := run(ctx, s, opts, args)
	if err != nil {
		return nil, err
	}
	text := strings.TrimSuffix(string(out), "\n")
	if text == "" {
		return nil, nil
	}
	return strings.Split(text, "\n"), nil
}

func run(ctx context.Context, s *pgserver.Server, opts Options, action []string) ([]byte, error) {
	if opts.Slot == "" {
		return nil, errors.New("recvlogical: Options.Slot is empty")
	}
	prog := opts.Program
	if prog == "" {
		var err error
		if prog, err = pgserver.ClientBin(s.BinDir(), "pg_recvlogical"); err != nil {
			return nil, err
		}
	}
	db, user := opts.DBName, opts.User
	if db == "" {
		db = pgserver.Database
	}
	if user == "" {
		user = s.Superuser()
	}
	args := append([]string{
		"--host=" + s.SocketDir(), "--port=" + strconv.Itoa(s.Port()), "--username=" + user,
		"--dbname=" + db, "--no-password", "--slot=" + opts.Slot,
	}, action...)
	cmd := exec.CommandContext(ctx, prog, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, opts.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return nil, &Error{Args: append([]string{prog}, args...), Err: err, Stderr: stderr.String()}
	}
	return stdout.Bytes(), nil
}
