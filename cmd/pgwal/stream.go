package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/msgjson"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

const streamHelp = `Usage: pgwal stream [flags]

Connects to PostgreSQL as a logical replication client (pgoutput) and prints
the live changes as JSON lines, one per message, in the format of
"pgwal decode", with "lsn" the WAL position of the message. Each unit of work
(Commit, Prepare, Stream Commit, ...) is acknowledged to the server only after
its line has been written and flushed, so the slot never moves past output
that was not delivered.

Stops on Ctrl-C (SIGINT) or SIGTERM, after --for, or after --limit messages,
closing the stream cleanly (exit status 0). Errors go to standard error, with
the SQLSTATE for server errors (exit status 1).

--dsn is a postgres:// URL or key=value string; replication=database is
added when absent; unset parts come from PGHOST, PGPORT, PGUSER, PGPASSWORD,
PGDATABASE, ... The role needs the REPLICATION attribute.

Examples:
  pgwal stream --dsn postgres://repl@db/app --slot app_slot --create-slot --publication app_pub
  pgwal stream --dsn 'host=/var/run/postgresql dbname=app' --temporary --publication a,b --streaming on
  PGHOST=db PGDATABASE=app pgwal stream --slot app_slot --publication app_pub --two-phase | jq -c 'select(.type=="Insert")'
  pgwal stream --slot app_slot --publication app_pub --for 10s --limit 100 > changes.jsonl

Flags:
`

// replFlags are the connection, slot and pgoutput flags of stream and capture.
type replFlags struct {
	dsn          string
	slot         string
	createSlot   bool
	temporary    bool
	publications listFlag
	start        string
	proto        int
	binary       bool
	messages     bool
	streaming    string
	twoPhase     bool
	origin       string
	forDur       time.Duration
	limit        int
	batch        string
}

// listFlag is a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

func (f *replFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dsn, "dsn", "", "connection string: postgres:// URL or key=value (default: from the PG* environment variables)")
	fs.StringVar(&f.slot, "slot", "", "replication slot name (required unless --temporary)")
	fs.BoolVar(&f.createSlot, "create-slot", false, "create the slot (pgoutput) before streaming")
	fs.BoolVar(&f.temporary, "temporary", false, "use a temporary slot, dropped at the end (named pgwal_<pid> unless --slot)")
	fs.Var(&f.publications, "publication", "publication to stream (required; repeatable or comma-separated)")
	fs.StringVar(&f.start, "start", "0/0", "start LSN (0/0: the slot's confirmed position)")
	fs.IntVar(&f.proto, "proto-version", 0, "pgoutput proto_version (0: the highest the server supports)")
	fs.BoolVar(&f.binary, "binary", false, "binary column values (PostgreSQL 14+)")
	fs.BoolVar(&f.messages, "messages", false, "include pg_logical_emit_message messages (PostgreSQL 14+)")
	fs.StringVar(&f.streaming, "streaming", "off", "stream large in-progress transactions: off, on (14+) or parallel (16+)")
	fs.BoolVar(&f.twoPhase, "two-phase", false, "decode prepared transactions at PREPARE (PostgreSQL 15+; also set on a slot --create-slot makes)")
	fs.StringVar(&f.origin, "origin", "", "origin filter: any or none (PostgreSQL 16+; default: the server's, any)")
	fs.DurationVar(&f.forDur, "for", 0, "stop cleanly after this long (e.g. 30s; 0: run until interrupted)")
	fs.IntVar(&f.limit, "limit", 0, "stop cleanly after this many messages (0: no limit)")
	fs.StringVar(&f.batch, "batch", "auto", "read batching: auto (batches of 64 KiB while the stream is busy), off, or a duration: batch every read, holding a message at most that long (e.g. 5ms)")
}

// check validates the flags before anything is sent.
func (f *replFlags) check() error {
	if len(f.publications) == 0 {
		return errors.New("--publication is required (the publications to stream, e.g. --publication my_pub)")
	}
	if f.slot == "" && !f.temporary {
		return errors.New("--slot is required (or --temporary for a temporary slot)")
	}
	if f.temporary && f.slot == "" {
		f.slot = fmt.Sprintf("pgwal_%d", os.Getpid())
	}
	switch f.streaming {
	case "", "off", "on", "parallel":
	default:
		return fmt.Errorf("--streaming %q: want off, on or parallel", f.streaming)
	}
	switch strings.ToLower(f.origin) {
	case "", "any", "none":
	default:
		return fmt.Errorf("--origin %q: want any or none", f.origin)
	}
	if f.proto < 0 || f.proto > 4 {
		return fmt.Errorf("--proto-version %d: want 1 to 4 (0: the highest the server supports)", f.proto)
	}
	if f.limit < 0 || f.forDur < 0 {
		return errors.New("--limit and --for must not be negative")
	}
	return nil
}

// session is an open replication stream.
type session struct {
	conn   *wire.Conn
	stream *wire.Stream
	opts   codec.Options // what the stream's decoder uses
}

// openSession connects, checks the publications, creates the slot if asked
// and starts replication. Notices go to stderr.
func openSession(ctx context.Context, f *replFlags, cmd string, stderr io.Writer) (*session, error) {
	start, err := lsn.Parse(f.start)
	if err != nil {
		return nil, fmt.Errorf("--start %q: %v", f.start, err)
	}
	cfg, err := wire.ParseConfig(f.dsn)
	if err != nil {
		return nil, fmt.Errorf("--dsn: %w", err)
	}
	switch cfg.Replication {
	case wire.ReplicationOff:
		cfg.Replication = wire.ReplicationLogical
	case wire.ReplicationPhysical:
		return nil, errors.New("--dsn: replication must be \"database\" (logical), not physical")
	}
	if cfg.ApplicationName == "" {
		cfg.ApplicationName = "pgwal " + cmd
	}
	switch f.batch {
	case "auto":
	case "off":
		cfg.Batching = wire.Batching{MinBytes: -1}
	default:
		d, err := time.ParseDuration(f.batch)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--batch %s: want auto, off or a positive duration", f.batch)
		}
		cfg.Batching = wire.Batching{MaxDelay: d, Always: true}
	}
	cfg.OnNotice = func(n *wire.Notice) {
		fmt.Fprintf(stderr, "pgwal %s: server %s: %s\n", cmd, n.Severity, n.Message)
	}
	conn, err := wire.Connect(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", cfg, err)
	}
	ok := false
	defer func() {
		if !ok {
			conn.Close()
		}
	}()
	if err := checkPublications(ctx, conn, cfg.Database, f.publications); err != nil {
		return nil, err
	}
	if f.createSlot || f.temporary {
		_, err := conn.CreateReplicationSlot(ctx, f.slot, wire.SlotOptions{
			Temporary: f.temporary,
			Snapshot:  "nothing",
			TwoPhase:  f.twoPhase,
		})
		if err != nil {
			return nil, fmt.Errorf("creating slot %q: %w", f.slot, err)
		}
		if f.temporary {
			fmt.Fprintf(stderr, "pgwal %s: temporary slot %s\n", cmd, f.slot)
		}
	}
	streaming, _ := codec.ParseStreaming(f.streaming) // checked with the flags
	lo := wire.LogicalOptions{
		ProtoVersion: f.proto,
		Publications: f.publications,
		Binary:       f.binary,
		Messages:     f.messages,
		Streaming:    streaming,
		TwoPhase:     f.twoPhase,
		Origin:       f.origin,
	}
	st, err := conn.StartReplication(ctx, f.slot, start, lo)
	if err != nil {
		return nil, fmt.Errorf("starting replication from slot %q: %w", f.slot, err)
	}
	ok = true
	return &session{conn: conn, stream: st, opts: st.DecoderOptions()}, nil
}

// checkPublications fails early, and the same way on every server version,
// when a publication does not exist (PostgreSQL 18 only warns and skips it;
// older servers fail at the first change).
func checkPublications(ctx context.Context, conn *wire.Conn, db string, pubs []string) error {
	lits := make([]string, len(pubs))
	for i, p := range pubs {
		lits[i] = "'" + strings.ReplaceAll(p, "'", "''") + "'"
	}
	rs, err := conn.Exec(ctx, "SELECT p FROM unnest(ARRAY["+strings.Join(lits, ",")+"]::text[]) AS p "+
		"WHERE p NOT IN (SELECT pubname FROM pg_catalog.pg_publication)")
	if err != nil {
		return fmt.Errorf("checking publications: %w", err)
	}
	var missing []string
	for _, r := range rs {
		for _, row := range r.Rows {
			if len(row) > 0 {
				missing = append(missing, fmt.Sprintf("%q", row[0].String))
			}
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("publication %s does not exist in database %q (CREATE PUBLICATION ... first)", missing[0], db)
	}
	return fmt.Errorf("publications %s do not exist in database %q (CREATE PUBLICATION ... first)", strings.Join(missing, ", "), db)
}

// runContext is cancelled by SIGINT/SIGTERM and after --for.
func runContext(f *replFlags) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if f.forDur <= 0 {
		return ctx, stop
	}
	// Not context.WithTimeout: wire's reads take the context's deadline as
	// the socket deadline, which can expire before ctx.Err() is set, and
	// then the read fails as an i/o timeout that breaks the connection. A
	// plain cancellation goes through context.AfterFunc and is clean.
	ctx2, cancel := context.WithCancel(ctx)
	t := time.AfterFunc(f.forDur, cancel)
	return ctx2, func() { t.Stop(); cancel(); stop() }
}

// finish closes the stream and the connection. A stop by signal, --for or
// --limit is a clean end; anything else is the error to report.
func (s *session) finish(runErr error, ctx context.Context) error {
	if runErr != nil && !(ctx.Err() != nil && errors.Is(runErr, ctx.Err())) {
		s.conn.Close()
		return runErr
	}
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.stream.Close(cctx)
	s.conn.Close()
	if err != nil {
		return fmt.Errorf("closing the stream: %w", err)
	}
	return nil
}

// parseReplFlags parses args; code is the exit status when done.
func parseReplFlags(name, help string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (f *replFlags, code int, done bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f = &replFlags{}
	f.register(fs)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprint(stderr, help)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0, true
		}
		return nil, 2, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pgwal %s: unexpected arguments %q (see pgwal %s -h)\n", name, fs.Args(), name)
		return nil, 2, true
	}
	if err := f.check(); err != nil {
		fmt.Fprintf(stderr, "pgwal %s: %v\n", name, err)
		return nil, 1, true
	}
	return f, 0, false
}

func streamCmd(args []string, stdout, stderr io.Writer) int {
	f, code, done := parseReplFlags("stream", streamHelp, args, stderr, nil)
	if done {
		return code
	}
	ctx, cancel := runContext(f)
	defer cancel()
	s, err := openSession(ctx, f, "stream", stderr)
	if err != nil {
		if ctx.Err() != nil {
			return 0 // interrupted while connecting
		}
		fmt.Fprintf(stderr, "pgwal stream: %v\n", err)
		return 1
	}
	err = s.finish(streamLoop(ctx, s.stream, f.limit, stdout), ctx)
	if err != nil {
		fmt.Fprintf(stderr, "pgwal stream: %v\n", err)
		return 1
	}
	return 0
}

// streamLoop prints messages and acknowledges each unit of work once its
// line is flushed. It returns nil after limit messages.
func streamLoop(ctx context.Context, st *wire.Stream, limit int, stdout io.Writer) error {
	out := bufio.NewWriter(stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	var cat msgjson.Catalog
	for n := 0; limit == 0 || n < limit; n++ {
		m, err := st.Next(ctx)
		if err != nil {
			return err
		}
		cat.Apply(m)
		r := cat.Message(m)
		at := st.WALStart()
		if at != 0 {
			r.LSN = at.String()
		}
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		if err := out.Flush(); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		if pos, ok := wire.AckPosition(m, at); ok {
			st.Ack(pos)
		}
	}
	return nil
}
