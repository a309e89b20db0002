package main

// The child processes: each drains one slot with one client and prints a
// childReport as JSON on stdout. The parent measures their CPU time through
// rusage, so everything a client costs (runtime, GC, its goroutines) counts.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

// childEnv marks a re-executed binary as a drain child (the test binary
// re-executes itself too, so a flag alone would clash with go test's).
const childEnv = "PGWAL_DRAIN_CHILD"

// childReport is what a Go child prints on stdout.
type childReport struct {
	Client    string `json:"client"`
	Messages  int64  `json:"messages"` // pgoutput messages decoded
	Inserts   int64  `json:"inserts"`
	Commits   int64  `json:"commits"`
	Relations int64  `json:"relations"`
	Keepalive int64  `json:"keepalives"` // pglogrepl clients only (wire answers them inside Next)
	Statuses  int64  `json:"statuses"`   // status updates sent by the client code (pglogrepl clients)
	LastEnd   uint64 `json:"last_end"`   // end LSN of the last commit
	LoopNs    int64  `json:"loop_ns"`    // first Next/Receive to the final commit
	// Mallocs over the whole receive loop, and from message SteadyFrom on.
	Mallocs       uint64 `json:"mallocs"`
	SteadyFrom    int64  `json:"steady_from"`
	SteadyMsgs    int64  `json:"steady_msgs"`
	SteadyMallocs uint64 `json:"steady_mallocs"`
	NumGC         uint32 `json:"num_gc"`
	// With -countio: read and write system calls of the whole process
	// during the receive loop, and bytes read (/proc/self/io).
	Reads     int64 `json:"reads,omitempty"`
	Writes    int64 `json:"writes,omitempty"`
	ReadBytes int64 `json:"read_bytes,omitempty"`
}

// procIO is the read and write system calls and bytes of this process so
// far (/proc/self/io), for -countio.
type procIO struct{ syscr, syscw, rchar int64 }

func readProcIO() (procIO, error) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return procIO{}, err
	}
	var p procIO
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		switch k {
		case "syscr":
			p.syscr = n
		case "syscw":
			p.syscw = n
		case "rchar":
			p.rchar = n
		}
	}
	return p, nil
}

// recordIO records the system calls between two readings in r.
func recordIO(r *childReport, before procIO) {
	after, err := readProcIO()
	if err != nil {
		return
	}
	r.Reads, r.Writes, r.ReadBytes = after.syscr-before.syscr, after.syscw-before.syscw, after.rchar-before.rchar
}

func childMain(args []string) {
	fs := flag.NewFlagSet("drain-child", flag.ExitOnError)
	client := fs.String("client", "", "pgwal, pglogrepl or pglogrepl-bg")
	dsn := fs.String("dsn", "", "key=value DSN (replication=database is added)")
	slot := fs.String("slot", "", "slot to drain")
	pub := fs.String("pub", "", "publication")
	endArg := fs.String("endpos", "", "stop at the first Commit whose end LSN is >= this")
	rows := fs.Int64("rows", 0, "Inserts expected")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the drain here")
	memprofile := fs.String("memprofile", "", "write an allocation profile (MemProfileRate=1) here")
	ctxKind := fs.String("ctx", "cancel", "pgwal: context for Next: cancel (signal.NotifyContext) or background")
	batchBytes := fs.Int("batch-bytes", 64<<10, "pgwal-batched: Batching.MinBytes")
	batchDelay := fs.Duration("batch-delay", 5*time.Millisecond, "pgwal-batched: Batching.MaxDelay")
	countIO := fs.Bool("countio", false, "count the process's read and write system calls over the receive loop (/proc/self/io)")
	fs.Parse(args)

	endpos, err := lsn.Parse(*endArg)
	if err != nil {
		fatalf("-endpos: %v", err)
	}
	if *memprofile != "" {
		runtime.MemProfileRate = 1
	}
	ctx := context.Background()
	if *ctxKind == "cancel" {
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fatalf("%v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fatalf("%v", err)
		}
	}
	var r *childReport
	switch *client {
	case "pgwal":
		r, err = drainPgwal(ctx, *dsn, *slot, *pub, endpos, *countIO, wire.Batching{})
	case "pgwal-batched":
		r, err = drainPgwal(ctx, *dsn, *slot, *pub, endpos, *countIO, wire.Batching{MinBytes: *batchBytes, MaxDelay: *batchDelay, Always: true})
	case "pgwal-unbatched":
		r, err = drainPgwal(ctx, *dsn, *slot, *pub, endpos, *countIO, wire.Batching{MinBytes: -1})
	case "pglogrepl":
		r, err = drainPglogrepl(ctx, *dsn, *slot, *pub, endpos, true, *countIO)
	case "pglogrepl-bg":
		r, err = drainPglogrepl(ctx, *dsn, *slot, *pub, endpos, false, *countIO)
	default:
		err = fmt.Errorf("unknown client %q", *client)
	}
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if *memprofile != "" {
		f, ferr := os.Create(*memprofile)
		if ferr == nil {
			pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
	if err != nil {
		fatalf("%s: %v", *client, err)
	}
	r.Client = *client
	if r.Inserts != *rows {
		fatalf("%s: received %d inserts, want %d (%d commits)", *client, r.Inserts, *rows, r.Commits)
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "drain child: "+format+"\n", args...)
	os.Exit(1)
}

// steadyFrom is the message after which allocations count as steady state:
// connection set-up, the Relation message and the read buffer's growth are
// behind by then.
const steadyFrom = 10000

// drainPgwal: wire.Connect, StartReplication (protocol 1, no streaming),
// Next until the final Commit, Ack of every Commit's end (wire.AckPosition),
// Close. wire sends the acknowledged position when Next is about to wait
// for the server, in answer to keepalives and on its timer.
func drainPgwal(ctx context.Context, dsn, slot, pub string, endpos lsn.LSN, countIO bool, batch wire.Batching) (*childReport, error) {
	r := &childReport{}
	cfg, err := wire.ParseConfig(dsn + " replication=database")
	if err != nil {
		return nil, err
	}
	cfg.Batching = batch
	conn, err := wire.Connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stream, err := conn.StartReplication(ctx, slot, 0, wire.LogicalOptions{ProtoVersion: 1, Publications: []string{pub}})
	if err != nil {
		return nil, err
	}
	meter := startLoop(r, countIO)
	for {
		m, err := stream.Next(ctx)
		if err != nil {
			return r, err
		}
		r.Messages++
		switch m := m.(type) {
		case *codec.Insert:
			r.Inserts++
		case *codec.Relation:
			r.Relations++
		case *codec.Commit:
			r.Commits++
			r.LastEnd = uint64(m.EndLSN)
		}
		if pos, ok := wire.AckPosition(m, stream.WALStart()); ok {
			stream.Ack(pos)
			if c, ok := m.(*codec.Commit); ok && c.EndLSN >= endpos {
				break
			}
		}
		meter.counted()
	}
	meter.finish()
	if err := stream.Close(ctx); err != nil {
		return r, fmt.Errorf("close: %w", err)
	}
	return r, nil
}

// loopMeter measures a receive loop: its time, its allocations (all, and
// from message steadyFrom on), its GCs and, with -countio, its system calls.
type loopMeter struct {
	r       *childReport
	countIO bool
	m0, m1  runtime.MemStats
	io0     procIO
	start   time.Time
}

func startLoop(r *childReport, countIO bool) *loopMeter {
	l := &loopMeter{r: r, countIO: countIO}
	r.SteadyFrom = steadyFrom
	runtime.ReadMemStats(&l.m0)
	l.m1 = l.m0
	l.io0, _ = readProcIO()
	l.start = time.Now()
	return l
}

// counted is called after each message has been counted in r.Messages.
func (l *loopMeter) counted() {
	if l.r.Messages == l.r.SteadyFrom {
		runtime.ReadMemStats(&l.m1)
	}
}

func (l *loopMeter) finish() {
	r := l.r
	r.LoopNs = int64(time.Since(l.start))
	if l.countIO {
		recordIO(r, l.io0)
	}
	var m2 runtime.MemStats
	runtime.ReadMemStats(&m2)
	r.Mallocs = m2.Mallocs - l.m0.Mallocs
	r.NumGC = m2.NumGC - l.m0.NumGC
	if r.Messages > r.SteadyFrom {
		r.SteadyMsgs = r.Messages - r.SteadyFrom
		r.SteadyMallocs = m2.Mallocs - l.m1.Mallocs
	}
}

// drainPglogrepl is pglogrepl's README client (example/pglogrepl_demo):
// pgconn.Connect with replication=database, pglogrepl.StartReplication,
// ReceiveMessage → ParseXLogData → pglogrepl.Parse, a status update when a
// keepalive asks for one and every 10 s, and, for the same acknowledgement
// policy as the pgwal client, a status update with each Commit's end.
// withDeadline: each ReceiveMessage gets a context.WithDeadline up to the
// next status update, as the README does; otherwise context.Background()
// (pgconn then sets up no context watcher: the cheapest way to call it).
func drainPglogrepl(ctx context.Context, dsn, slot, pub string, endpos lsn.LSN, withDeadline, countIO bool) (*childReport, error) {
	r := &childReport{}
	pcfg, err := pgconn.ParseConfig(dsn + " replication=database")
	if err != nil {
		return nil, err
	}
	conn, err := pgconn.ConnectConfig(ctx, pcfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	err = pglogrepl.StartReplication(ctx, conn, slot, 0, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names '" + pub + "'"},
	})
	if err != nil {
		return nil, err
	}
	relations := map[uint32]*pglogrepl.RelationMessage{}
	const standbyTimeout = 10 * time.Second
	nextStatus := time.Now().Add(standbyTimeout)
	var acked pglogrepl.LSN
	sendStatus := func() error {
		r.Statuses++
		nextStatus = time.Now().Add(standbyTimeout)
		return pglogrepl.SendStandbyStatusUpdate(ctx, conn, pglogrepl.StandbyStatusUpdate{WALWritePosition: acked})
	}
	meter := startLoop(r, countIO)
	for done := false; !done; {
		if time.Now().After(nextStatus) {
			if err := sendStatus(); err != nil {
				return r, err
			}
		}
		var raw pgproto3.BackendMessage
		if withDeadline {
			rctx, cancel := context.WithDeadline(ctx, nextStatus)
			raw, err = conn.ReceiveMessage(rctx)
			cancel()
		} else {
			raw, err = conn.ReceiveMessage(context.Background())
		}
		if err != nil {
			if pgconn.Timeout(err) && ctx.Err() == nil {
				continue
			}
			return r, err
		}
		var data []byte
		switch msg := raw.(type) {
		case *pgproto3.CopyData:
			data = msg.Data
		case *pgproto3.ErrorResponse:
			return r, fmt.Errorf("server error: %s: %s", msg.Code, msg.Message)
		default:
			return r, fmt.Errorf("unexpected %T", raw)
		}
		switch data[0] {
		case pglogrepl.PrimaryKeepaliveMessageByteID:
			pkm, err := pglogrepl.ParsePrimaryKeepaliveMessage(data[1:])
			if err != nil {
				return r, err
			}
			r.Keepalive++
			if pkm.ReplyRequested {
				nextStatus = time.Time{}
			}
		case pglogrepl.XLogDataByteID:
			xld, err := pglogrepl.ParseXLogData(data[1:])
			if err != nil {
				return r, err
			}
			if len(xld.WALData) == 0 {
				continue
			}
			lm, err := pglogrepl.Parse(xld.WALData)
			if err != nil {
				return r, err
			}
			r.Messages++
			switch lm := lm.(type) {
			case *pglogrepl.RelationMessage:
				r.Relations++
				relations[lm.RelationID] = lm
			case *pglogrepl.InsertMessage:
				if _, ok := relations[lm.RelationID]; !ok {
					return r, fmt.Errorf("insert for unknown relation %d", lm.RelationID)
				}
				r.Inserts++
			case *pglogrepl.CommitMessage:
				r.Commits++
				r.LastEnd = uint64(lm.TransactionEndLSN)
				acked = lm.TransactionEndLSN
				if err := sendStatus(); err != nil {
					return r, err
				}
				done = lsn.LSN(lm.TransactionEndLSN) >= endpos
			}
			meter.counted()
		}
	}
	meter.finish()
	if _, err := pglogrepl.SendStandbyCopyDone(ctx, conn); err != nil && !errors.Is(err, context.Canceled) {
		return r, fmt.Errorf("copy done: %w", err)
	}
	return r, nil
}
