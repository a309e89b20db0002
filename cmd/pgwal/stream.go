package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/snapshot"
	"github.com/pgwal/pgwal/wire"
)

const streamHelp = `Usage: pgwal stream [OPTION]...

Controls a logical replication slot as pg_recvlogical does, and writes its
changes (pgoutput, decoded by pgwal) in the --format chosen. The flags are
pg_recvlogical's, with its names and meanings, plus pgwal's own; a
pg_recvlogical command line moves over by changing the program name,
replacing -P PLUGIN with --format, and naming the publication:

  pg_recvlogical -d app -S s --start -P wal2json -o include-xids=1 -f out.json
  pgwal stream   -d app -S s --start --format wal2json -o include-xids=1 --publication app_pub -f out.json

Actions (at least one; --create-slot and --start combine, --drop-slot
stands alone):
      --create-slot          create the slot (pgoutput) named by -S
      --drop-slot            drop the slot named by -S
      --start                stream from the slot named by -S
      --temporary            a temporary slot: created on each connection and
                             dropped with it (implies --create-slot --start;
                             named pgwal_<pid> without -S; no reconnection)

Options:
  -S, --slot=SLOT            the replication slot (required)
  -E, --endpos=LSN           with --start: stop cleanly (exit 0) once a unit of
                             work that ends at or past LSN is written, or the
                             server is idle at or past LSN; a transaction
                             starting after LSN is not written. Unlike
                             pg_recvlogical, never stops inside a transaction
  -f, --file=FILE            write to FILE, appending (- for standard output,
                             the default)
  -F, --fsync-interval=SECS  fsync FILE at least this often while changes
                             arrive (default 10), and whenever the stream goes
                             quiet; positions are acknowledged only after the
                             fsync that made them durable. 0: never fsync, and
                             acknowledge what was written (as pg_recvlogical:
                             a crash of the machine can lose acknowledged data)
      --if-not-exists        with --create-slot: no error if the slot exists
  -I, --startpos=LSN         with --start: where to start in an existing slot
                             (default: the slot's confirmed position)
  -n, --no-loop              exit on a lost connection instead of reconnecting
  -o, --option=NAME[=VALUE]  an option for the output format (repeatable).
                             pgoutput's own options (proto_version,
                             publication_names, binary, messages, streaming,
                             origin, two_phase) set the flags of that meaning
  -P, --plugin=PLUGIN        refused: pgwal reads pgoutput; use --format
  -s, --status-interval=SECS send a status update to the server this often
                             (default 10; 0: none but the replies the server
                             asks for). After each fsync of -f FILE the
                             position goes out at once
  -t, --two-phase            decode prepared transactions at PREPARE: set on a
                             slot --create-slot makes, and asked of pgoutput
                             (PostgreSQL 15+). pg_recvlogical 18 spells it
                             --enable-two-phase, also accepted
  -v, --verbose              progress on standard error
  -V, --version              print the version and exit
  -w, --no-password          accepted; pgwal never prompts
  -h, --help                 this help (-h alone; -h HOST is the host)

Connection (as pg_recvlogical; -h, -p, -U and -d NAME override --dsn):
  -d, --dbname=DBNAME        database name, or a connection string
  -h, --host=HOSTNAME        server host or socket directory
  -p, --port=PORT            server port
  -U, --username=NAME        user name (needs the REPLICATION attribute)
      --dsn=DSN              a postgres:// URL or key=value connection string
  Unset parts come from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE,
  PGSSLMODE, ..., and ~/.pgpass; replication=database is added.

pgwal's own:
      --publication=PUB      publications to stream (required with --start;
                             repeatable or comma-separated)
      --format=FORMAT        pgwal (default): one JSON object per change of
                             each committed transaction, typed values (-o
                             transactions or --transactions: one object per
                             transaction);
                             wal2json: as the wal2json plugin prints, -o
                             taking its options; with --two-phase a prepared
                             transaction is printed at COMMIT PREPARED, kept
                             until then in --state-dir;
                             messages: the protocol view, one object per
                             pgoutput message, as "pgwal decode" prints
      --snapshot             with --create-slot --start: first write every row
                             of the published tables as of the slot's exported
                             snapshot (COPY, binary), then stream from its
                             consistent point. --format pgwal: a row is
                             {"op":"snapshot",...}; wal2json: a row is printed
                             as wal2json prints its INSERT, in synthetic
                             transactions of up to 1000 rows of one table,
                             with xid 0, lsn and nextlsn the consistent point,
                             timestamp the slot's creation; not with --format
                             messages (copied rows are no pgoutput messages).
                             With --two-phase the slot is two-phase (15+)
      --snapshot-jobs=N      copy N tables at once, each session in the same
                             snapshot (default 1)
      --state-dir=DIR        --format wal2json --two-phase: where prepared
                             transactions wait, fsynced, for their COMMIT
                             PREPARED (default FILE.pgwal-prepared beside -f
                             FILE; required with standard output)
      --transactions         --format pgwal: one object per transaction
      --binary               binary column values (PostgreSQL 14+)
      --streaming=MODE       large transactions in progress: off (default),
                             on (14+) or parallel (16+)
      --proto-version=N      pgoutput protocol version (default: the highest
                             the server supports)
      --messages             include pg_logical_emit_message messages
      --origin=any|none      origin filter (PostgreSQL 16+)
      --batch=auto|off|DUR   read batching (default auto)
      --for=DURATION         stop cleanly after this long
      --limit=N              stop cleanly after N messages

Operation:
  Output is acknowledged to the server only once it is durable: written,
  and for a file fsynced (see -F). The position acknowledged is the end of
  the last complete unit of work (Commit, Prepare, Stream Commit, Commit
  Prepared, Rollback Prepared, a whole Stream Abort, a non-transactional
  message) in what is durable; a restart resends only what was not.

  A lost connection, a server restart or a retryable server error
  (wire.IsRetryable) reconnects after 1 s, doubling to 30 s, reset after a
  stream that ran 30 s; streaming resumes at the last durable position. -n
  exits instead.

  SIGHUP reopens FILE (for log rotation), after making what was written
  durable. SIGINT and SIGTERM stop cleanly: the output is written and
  fsynced, what is durable is acknowledged, the stream ends with CopyDone.
  A broken pipe on standard output ends pgwal with status 1, with nothing
  acknowledged that was not written.

Exit status:
  0  clean stop: the actions done, -E reached, SIGINT/SIGTERM, --for, --limit
  1  an error (connection, server, output)
  2  a bad command line

Examples:
  pgwal stream -d app -S app_slot --create-slot --if-not-exists
  pgwal stream -d app -S app_slot --start --publication app_pub -f changes.jsonl -v
  pgwal stream --dsn 'host=/var/run/postgresql dbname=app' --temporary --publication a,b --streaming on
  PGHOST=db pgwal stream -d app -S app_slot --start --publication app_pub -E 0/1A2B3C4D -f - | jq -c 'select(.type=="Insert")'
  pgwal stream -d app -S app_slot --drop-slot
`

// connect opens a replication connection; notices go to stderr.
func connect(ctx context.Context, cfg *wire.Config, cmd string, stderr io.Writer) (*wire.Conn, error) {
	return connectLogged(ctx, cfg, cmd, stderr, func(string, ...any) {})
}

// connectLogged is connect that says (-v) where it connects.
func connectLogged(ctx context.Context, cfg *wire.Config, cmd string, stderr io.Writer, logf func(string, ...any)) (*wire.Conn, error) {
	logf("connecting to %s", cfg)
	c := *cfg
	c.OnNotice = func(n *wire.Notice) {
		fmt.Fprintf(stderr, "pgwal %s: server %s: %s\n", cmd, n.Severity, n.Message)
	}
	conn, err := wire.Connect(ctx, &c)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", cfg, err)
	}
	return conn, nil
}

// createSlot runs --create-slot (or makes --temporary's slot).
func createSlot(ctx context.Context, conn *wire.Conn, f *replFlags, logf func(string, ...any)) error {
	logf("creating replication slot %q", f.slot)
	slot, err := conn.CreateReplicationSlot(ctx, f.slot, wire.SlotOptions{
		Temporary: f.temporary,
		Snapshot:  "nothing",
		TwoPhase:  f.twoPhase,
	})
	if err != nil {
		var se *wire.ServerError
		if f.ifNotExists && errors.As(err, &se) && se.Code == "42710" {
			logf("replication slot %q exists already", f.slot)
			return nil
		}
		return fmt.Errorf("creating slot %q: %w", f.slot, err)
	}
	logf("replication slot %q created, consistent point %v", slot.Name, slot.ConsistentPoint)
	return nil
}

// startStream checks the publications and starts streaming at start.
func startStream(ctx context.Context, conn *wire.Conn, f *replFlags, db string, start lsn.LSN) (*wire.Stream, error) {
	if err := checkPublications(ctx, conn, db, f.publications); err != nil {
		return nil, err
	}
	streaming, _ := codec.ParseStreaming(f.streaming) // checked with the flags
	st, err := conn.StartReplication(ctx, f.slot, start, wire.LogicalOptions{
		ProtoVersion: f.proto,
		Publications: f.publications,
		Binary:       f.binary,
		Messages:     f.messages,
		Streaming:    streaming,
		TwoPhase:     f.twoPhase,
		Origin:       f.origin,
	})
	if err != nil {
		return nil, fmt.Errorf("starting replication from slot %q: %w", f.slot, err)
	}
	return st, nil
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
	if db == "" {
		db = "(current)"
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
		return &permanentError{fmt.Errorf("publication %s does not exist in database %q (CREATE PUBLICATION ... first)", missing[0], db)}
	}
	return &permanentError{fmt.Errorf("publications %s do not exist in database %q (CREATE PUBLICATION ... first)", strings.Join(missing, ", "), db)}
}

// permanentError is not worth a reconnection.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

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
	ctx2, cancel := context.WithCancelCause(ctx)
	t := time.AfterFunc(f.forDur, func() { cancel(errForElapsed) })
	return ctx2, func() { t.Stop(); cancel(nil); stop() }
}

// errForElapsed is the cause of the run context's end after --for.
var errForElapsed = errors.New("--for elapsed")

func streamCmd(args []string, stdout, stderr io.Writer) int {
	f, cfg, code, done := parseReplFlags("stream", streamHelp, args, stdout, stderr, nil)
	if done {
		return code
	}
	// -s is wire's own status timer, as pg_recvlogical's: 0 sends no
	// periodic updates (a keepalive that asks for a reply is answered).
	cfg.StatusInterval = f.statusInterval
	if f.statusInterval <= 0 {
		cfg.StatusInterval = -1
	}
	s := &streamer{f: f, cfg: cfg, stdout: stdout, stderr: stderr}
	if f.snapshot {
		var why string
		switch {
		case !f.createSlot || !f.start:
			why = "needs --create-slot --start (the snapshot is exported when the slot is made)"
		case f.temporary:
			why = "needs a slot that outlives the copy's sessions, not --temporary"
		case f.ifNotExists:
			why = "cannot use an existing slot (--if-not-exists): its snapshot is gone"
		case f.format == "messages":
			// The protocol view shows what pgoutput sent, and no pgoutput
			// message carries a copied row: inventing Begin, Insert and
			// Commit messages would show a protocol that never happened.
			why = "cannot be shown with --format messages (the protocol view: copied rows are no pgoutput messages); use --format pgwal or wal2json"
		}
		if why != "" {
			fmt.Fprintf(stderr, "pgwal stream: --snapshot %s\n", why)
			return 2
		}
	} else if f.snapshotJobs != 0 {
		fmt.Fprintln(stderr, "pgwal stream: --snapshot-jobs needs --snapshot")
		return 2
	}
	if f.transactions {
		if f.format != "pgwal" {
			fmt.Fprintf(stderr, "pgwal stream: --transactions is for --format pgwal (not %s)\n", f.format)
			return 2
		}
		f.options = append(f.options, pluginOption{Name: "transactions"})
	}
	if f.start {
		fm, err := newFormatter(f.format, f.options)
		if err != nil {
			fmt.Fprintf(stderr, "pgwal stream: %v\n", err)
			var ue *usageError
			if errors.As(err, &ue) {
				return 2
			}
			return 1
		}
		s.fm = fm
		if err := setupTwoPhase(f, fm); err != nil {
			fmt.Fprintf(stderr, "pgwal stream: %v\n", err)
			var ue *usageError
			if errors.As(err, &ue) {
				return 2
			}
			return 1
		}
	} else if f.stateDir != "" {
		fmt.Fprintln(stderr, "pgwal stream: --state-dir needs --start")
		return 2
	}
	ctx, cancel := runContext(f)
	defer cancel()
	if err := s.run(ctx); err != nil {
		fmt.Fprintf(stderr, "pgwal stream: %v\n", err)
		return 1
	}
	return 0
}

// streamer is one run of pgwal stream.
type streamer struct {
	f      *replFlags
	cfg    *wire.Config
	stdout io.Writer
	stderr io.Writer
	fm     formatter
	out    *output
	wake   waker
	types  userTypes // a binary session's user types, loaded at each connection

	complete lsn.LSN // end of the last complete unit rendered
	durable  lsn.LSN // end of the last complete unit written (and synced): acknowledged
	open     bool    // a unit has begun and not ended
	n        int     // messages, for --limit

	lastReport time.Time
}

func (s *streamer) logf(format string, args ...any) {
	if s.f.verbose {
		fmt.Fprintf(s.stderr, "pgwal stream: "+format+"\n", args...)
	}
}

// errStop ends a session cleanly: a signal, -E, --for, --limit.
var errStop = errors.New("stop")

// run does the actions; ctx ends on SIGINT/SIGTERM and --for.
func (s *streamer) run(ctx context.Context) error {
	err := s.actions(ctx)
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil // interrupted while connecting or waiting
	}
	return err
}

func (s *streamer) actions(ctx context.Context) error {
	f := s.f
	if f.dropSlot || (f.createSlot && !f.temporary && !f.snapshot) {
		conn, err := connectLogged(ctx, s.cfg, "stream", s.stderr, s.logf)
		if err != nil {
			return err
		}
		defer conn.Close()
		if f.dropSlot {
			s.logf("dropping replication slot %q", f.slot)
			if err := conn.DropReplicationSlot(ctx, f.slot, false); err != nil {
				return fmt.Errorf("dropping slot %q: %w", f.slot, err)
			}
			return nil
		}
		if err := createSlot(ctx, conn, f, s.logf); err != nil {
			return err
		}
		conn.Close()
	}
	if !f.start {
		return nil
	}
	name := f.file
	if name == "" {
		name = "-"
	}
	out, err := openOutput(name, s.stdout, f.fsyncInterval > 0)
	if err != nil {
		return err
	}
	s.out = out
	defer out.close()
	if f.snapshot {
		if err := s.copySnapshot(ctx); err != nil {
			return err
		}
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if name == "-" {
		// Writes to a closed pipe return EPIPE instead of killing pgwal,
		// so it can say what happened and exit 1.
		pipe := make(chan os.Signal, 1)
		signal.Notify(pipe, syscall.SIGPIPE)
		defer signal.Stop(pipe)
	}
	hupDone := make(chan struct{})
	defer close(hupDone)
	go func() {
		for {
			select {
			case <-hup:
				s.wake.fire(wakeHUP)
			case <-hupDone:
				return
			}
		}
	}()
	backoff := time.Second
	for streamed := false; ; {
		var began time.Time
		err := s.session(ctx, &began)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return s.makeDurable(nil)
		}
		var oe *outputError
		if errors.As(err, &oe) {
			return err
		}
		streamed = streamed || !began.IsZero()
		// What was rendered of complete units is kept (written, synced:
		// the next session starts after it); a partial unit comes again.
		s.out.dropPartial()
		s.open = false
		if derr := s.makeDurable(nil); derr != nil {
			return derr
		}
		// Before the first stream has started, only what the server says
		// is worth a retry (55006: the slot still held by the walsender
		// of a pgwal that was just killed); a server that cannot be
		// reached at all is an error, as with pg_recvlogical.
		if f.noLoop || f.temporary || !retryable(err) || (!streamed && !serverRetry(err)) {
			return err
		}
		if !began.IsZero() && time.Since(began) >= maxBackoff {
			backoff = time.Second
		}
		fmt.Fprintf(s.stderr, "pgwal stream: %v; reconnecting in %v\n", err, backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

const maxBackoff = 30 * time.Second

// retryable says whether a reconnection may help: wire's rule, plus a
// server that cannot be reached for now (restarting).
func retryable(err error) bool {
	var pe *permanentError
	var tc *errTypesChanged
	if errors.As(err, &pe) {
		return false
	} else if errors.As(err, &tc) {
		return true
	}
	if wire.IsRetryable(err) {
		return true
	}
	var ne *net.OpError
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// serverRetry: a retryable error the server sent (55006 and the like), the
// only kind retried before the first stream has started.
func serverRetry(err error) bool {
	var se *wire.ServerError
	return errors.As(err, &se) && wire.IsRetryable(err)
}

// session is one connection: it streams until a clean stop (nil) or an
// error. began is set once streaming has started.
func (s *streamer) session(ctx context.Context, began *time.Time) error {
	conn, err := connectLogged(ctx, s.cfg, "stream", s.stderr, s.logf)
	if err != nil {
		return err
	}
	defer conn.Close()
	if s.f.temporary {
		if err := createSlot(ctx, conn, s.f, s.logf); err != nil {
			return err
		}
		if !s.f.verbose {
			fmt.Fprintf(s.stderr, "pgwal stream: temporary slot %s\n", s.f.slot)
		}
	}
	start := max(s.f.startpos, s.durable)
	// As pg_recvlogical says it (0/0: the slot's confirmed position).
	s.logf("starting log streaming at %v (slot %s)", start, s.f.slot)
	if err := s.types.load(ctx, conn, s.f, s.fm); err != nil {
		return err
	}
	st, err := startStream(ctx, conn, s.f, s.cfg.Database, start)
	if err != nil {
		return err
	}
	*began = time.Now()
	s.logf("streaming initiated")
	s.fm.Reset(start)
	s.types.register(s.fm)
	err = s.loop(ctx, st)
	if err != errStop {
		return err
	}
	switch {
	case context.Cause(ctx) == errForElapsed:
		s.logf("--for %v elapsed, exiting", s.f.forDur)
	case ctx.Err() != nil:
		s.logf("received interrupt signal, exiting")
	case s.f.limit > 0 && s.n >= s.f.limit:
		s.logf("--limit %d messages reached, exiting", s.f.limit)
	}
	if err := s.makeDurable(st); err != nil {
		return err
	}
	s.reportConfirmed()
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := st.Close(cctx); err != nil {
		return &permanentError{fmt.Errorf("closing the stream: %w", err)}
	}
	_, flush, _ := st.Positions()
	s.logf("stream closed; confirmed flush position %v", flush)
	return nil
}

// makeDurable is the one place positions are acknowledged: what was
// rendered is written, and for a file with -F > 0 fsynced; then the end of
// the last complete unit in it is acknowledged (st nil: the stream is gone;
// the next starts there).
func (s *streamer) makeDurable(st *wire.Stream) error {
	if s.out == nil {
		return nil
	}
	if err := s.out.durable(); err != nil {
		return err
	}
	if s.complete > s.durable {
		s.durable = s.complete
		if st != nil {
			if s.out.syncsLater() {
				// Just fsynced (at most once per -F): tell the server at
				// once, so that a crash now makes it resend as little as
				// possible. An error here is the stream's, and the next
				// Next returns it.
				_ = st.AckNow(context.Background(), s.durable)
			} else {
				st.Ack(s.durable)
			}
			if time.Since(s.lastReport) >= s.reportEvery() {
				s.reportConfirmed()
			}
		}
	}
	if d, ok := s.fm.(outputDurabler); ok {
		// State kept beside the output (--format wal2json --two-phase)
		// that the durable output has made redundant.
		return d.outputDurable(s.durable)
	}
	return nil
}

// reportConfirmed says (-v) what was acknowledged, as pg_recvlogical
// does at each status update: pgwal acknowledges written and flushed at
// once, and only what is durable.
func (s *streamer) reportConfirmed() {
	s.lastReport = time.Now()
	s.logf("confirming write up to %v, flush to %v (slot %s)", s.durable, s.durable, s.f.slot)
}

// reportEvery is how often -v reports acknowledgements while changes flow
// (pgwal acknowledges at each fsync, or each unit on a pipe): every status
// interval, as pg_recvlogical's status updates (10 s with -s 0).
func (s *streamer) reportEvery() time.Duration {
	if s.f.statusInterval > 0 {
		return s.f.statusInterval
	}
	return 10 * time.Second
}

// idleSync is how long the stream waits, quiet, before output that is not
// durable yet is made durable and acknowledged.
const idleSync = 100 * time.Millisecond

// loop reads, renders and acknowledges until an error or errStop.
func (s *streamer) loop(ctx context.Context, st *wire.Stream) error {
	f := s.f
	s.wake.attach(st)
	defer s.wake.attach(nil)
	idle := time.AfterFunc(time.Hour, func() { s.wake.fire(wakeIdle) })
	idle.Stop()
	defer idle.Stop()
	var lastPing time.Time
	for {
		armed := s.complete > s.durable || len(s.out.buf) > 0 || s.out.unsync || f.endpos != 0
		if armed {
			idle.Reset(idleSync)
		}
		m, err := st.Next(ctx)
		if armed {
			idle.Stop()
		}
		if err != nil {
			if ctx.Err() != nil {
				return errStop
			}
			if !errors.Is(err, wire.ErrWoken) {
				return err
			}
			flags := s.wake.take()
			if err := s.makeDurable(st); err != nil {
				return err
			}
			if flags&wakeHUP != 0 {
				if err := s.out.reopen(); err != nil {
					return err
				}
				s.logf("reopened %s", s.out.name)
			}
			if f.endpos != 0 && !s.open {
				if _, flush, _ := st.Positions(); flush >= f.endpos {
					s.logf("end position %v reached by keepalive", f.endpos)
					return errStop
				}
				if time.Since(lastPing) >= time.Second {
					// Ask for a keepalive: its position tells an idle
					// stream it has passed -E.
					lastPing = time.Now()
					st.SendStatus(context.Background(), true)
				}
			}
			continue
		}
		at := st.WALStart()
		if f.endpos != 0 && !s.open && at > f.endpos {
			s.logf("end position %v reached by WAL record at %v (the next unit of work starts there)", f.endpos, at)
			return errStop
		}
		if err := s.types.check(m, s.f, s.fm); err != nil {
			return err
		}
		end, complete, err := s.fm.Write(s.out, m, at)
		if err != nil {
			return writeError(err)
		}
		if err := s.out.endMessage(complete); err != nil {
			return err
		}
		s.open = !complete
		if complete {
			s.complete = max(s.complete, end)
			if !s.out.syncsLater() || time.Since(s.out.lastSync) >= f.fsyncInterval {
				if err := s.makeDurable(st); err != nil {
					return err
				}
			}
			if f.endpos != 0 && end >= f.endpos {
				s.logf("end position %v reached by WAL record at %v (a unit of work ending there written)", f.endpos, end)
				return errStop
			}
		}
		s.n++
		if f.limit > 0 && s.n >= f.limit {
			return errStop
		}
	}
}

const (
	wakeIdle uint32 = 1 << iota
	wakeHUP
)

// waker interrupts a blocked Next (wire's Stream.Wake) from the idle
// timer and the SIGHUP handler; the loop sees why in the flags and reads
// on. A wake while no stream runs is kept for the next one.
type waker struct {
	mu    sync.Mutex
	st    *wire.Stream
	flags uint32
}

func (w *waker) fire(flag uint32) {
	w.mu.Lock()
	w.flags |= flag
	if w.st != nil {
		w.st.Wake()
	}
	w.mu.Unlock()
}

func (w *waker) take() uint32 {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.flags
	w.flags = 0
	return f
}

// attach makes st the stream to wake (nil: none runs).
func (w *waker) attach(st *wire.Stream) {
	w.mu.Lock()
	w.st = st
	if st != nil && w.flags != 0 {
		st.Wake()
	}
	w.mu.Unlock()
}

// copySnapshot creates the slot with an exported snapshot and writes every
// row of the published tables as read in it (package snapshot), then makes
// the rows durable: streaming then starts at the slot's consistent point,
// so nothing committed before the snapshot is missed and nothing in it
// comes again. A run cut short leaves the slot: drop it to start over.
func (s *streamer) copySnapshot(ctx context.Context) error {
	sr, ok := s.fm.(snapshotRenderer)
	if !ok {
		return fmt.Errorf("--snapshot: --format %s cannot print copied rows", s.f.format)
	}
	var cache codec.RelationCache
	infos := map[*snapshot.Table]*codec.RelationInfo{}
	s.logf("creating replication slot %q with an exported snapshot and copying the published tables", s.f.slot)
	o := snapshot.Options{Publications: s.f.publications, Slot: s.f.slot, Jobs: s.f.snapshotJobs, TwoPhase: s.f.twoPhase,
		Created: func(slot wire.Slot) { sr.snapshotBegin(slot, time.Now()) }}
	res, err := snapshot.Copy(ctx, s.cfg, o, func(t *snapshot.Table, row codec.Tuple) error {
		info, ok := infos[t]
		if !ok {
			for _, ty := range t.Types() {
				cache.Apply(ty) // names the types that are not built in
			}
			cache.Apply(t.Relation())
			if info, ok = cache.Relation(t.OID); !ok {
				return fmt.Errorf("snapshot: table %s.%s", t.Schema, t.Name)
			}
			infos[t] = info
		}
		if err := sr.snapshotRow(s.out, info, row); err != nil {
			return err
		}
		return s.out.endMessage(false) // bounded: written out past a MiB
	})
	if err != nil {
		return fmt.Errorf("initial snapshot: %w", err)
	}
	res.Conn.Close()
	if err := sr.snapshotEnd(s.out); err != nil {
		return fmt.Errorf("initial snapshot: %w", err)
	}
	rows := int64(0)
	for _, t := range res.Tables {
		rows += t.Rows
	}
	if err := s.out.durable(); err != nil {
		return err
	}
	s.logf("snapshot: %d rows of %d tables written; streaming from the consistent point %v", rows, len(res.Tables), res.Slot.ConsistentPoint)
	return nil
}
