package wire_test

// Fault injection on real servers: a consumer follows a slot through a
// faultproxy while a producer commits plain and streamed transactions, and
// the proxy cuts, stalls and black-holes the connection at byte offsets
// chosen by a seeded RNG. The consumer uses the reconnect recipe: on a
// retryable error close, redial through the proxy, and start again from
// the slot's confirmed position (0/0), retrying 55006 with backoff.
//
// What must hold, on every version: no committed row lost, nothing applied
// that was not committed, every fault reported as a retryable error, a
// dead path detected within the receive timeout, redeliveries only of
// transactions past what the slot had confirmed (none at all when the
// consumer restarts from its own acknowledged position instead of 0/0),
// and an idle but healthy stream left alone.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/faultproxy"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

const (
	// faultWST is the servers' wal_sender_timeout, and so the streams'
	// receive timeout (Config.ReceiveTimeout 0 derives it).
	faultWST = 2 * time.Second
	// faultMargin is the slack allowed on top of the receive timeout for
	// noticing a dead path: scheduling on a busy two-core machine.
	faultMargin = time.Second
	// faultIdleFor is how long the idle stream is watched.
	faultIdleFor = 15 * time.Second
)

// TestFaults runs the fault scenarios on one server of every version; the
// versions run in parallel once their servers are up. Set
// PGWAL_FAULT_SEED to replay a run's choices.
func TestFaults(t *testing.T) {
	seed := time.Now().UnixNano()
	if v := os.Getenv("PGWAL_FAULT_SEED"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("PGWAL_FAULT_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("fault seed %d (replay with PGWAL_FAULT_SEED=%d)", seed, seed)
	cfg := pgserver.Config{Settings: map[string]string{
		"wal_sender_timeout": strconv.Itoa(int(faultWST/time.Millisecond)) + "ms",
		// pgserver's default already; the streamed transactions depend on it.
		"logical_decoding_work_mem": "64kB",
	}}
	eachVersion(t, cfg, func(t *testing.T, s *pgserver.Server) {
		t.Parallel()
		rng := rand.New(rand.NewSource(seed + int64(s.Major())))
		// The idle stream lives in a database of its own, so the other
		// scenarios' traffic does not reach it, and is watched while they
		// run.
		idle := startIdle(t, s)
		// Each kind of cut with FIN and with RST, in random order.
		cuts := func() []*fault {
			var plan []*fault
			for _, k := range []faultKind{cutDown, cutStream, cutUp} {
				for _, m := range []faultproxy.CutMode{faultproxy.FIN, faultproxy.RST} {
					plan = append(plan, &fault{kind: k, mode: m})
				}
			}
			rng.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
			return plan
		}
		t.Run("Cuts", func(t *testing.T) { runFaults(t, s, "cuts", rng, cuts(), false) })
		t.Run("Stalls", func(t *testing.T) {
			plan := []*fault{{kind: stallDown}, {kind: blackHole}}
			rng.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
			runFaults(t, s, "stalls", rng, plan, false)
		})
		// The same cuts, resuming from the consumer's own durable position
		// instead of the slot's: then nothing may come twice.
		t.Run("CutsResumeOwn", func(t *testing.T) { runFaults(t, s, "resume", rng, cuts(), true) })
		t.Run("Idle", idle.check)
	})
}

// faultKind is what the proxy does to one session.
type faultKind int

const (
	cutDown   faultKind = iota // server → client, inside a CopyData message
	cutStream                  // server → client, inside a CopyData message of a streamed transaction
	cutUp                      // client → server, inside a standby status update
	stallDown                  // server → client held back (Block) until the client gives up
	blackHole                  // both directions dropped, on the whole proxy, until the client gives up
)

func (k faultKind) String() string {
	return [...]string{"cut down", "cut in stream", "cut up", "stall down", "black hole"}[k]
}

func (k faultKind) stall() bool { return k == stallDown || k == blackHole }

// up: the fault watches the client's bytes, not the server's.
func (f *fault) up() bool { return f.kind == cutUp }

// fault is one planned fault and, once it has happened, what it did.
type fault struct {
	kind faultKind
	mode faultproxy.CutMode // for cuts

	// Chosen and set by the hook, under injector.mu.
	skip      int   // CopyData messages let through before the victim (stream: inside streamed transactions)
	cutAt     int64 // stream offset of the first byte not delivered; -1 until chosen
	frameAt   int64 // offset of the message the fault hits
	frameSize int64
	fired     time.Time // when the cut was made or the stall began

	// Set by the consumer.
	session  int
	err      error     // what Next returned
	detected time.Time // when
	lastRecv time.Time // the stream's LastReceive then
	healed   time.Time // when the proxy was healed (stalls)
}

func (f *fault) String() string {
	if f.kind.stall() {
		return fmt.Sprintf("%v at byte %d (%d messages after the start)", f.kind, f.frameAt, f.skip)
	}
	return fmt.Sprintf("%v %v at byte %d (byte %d of a %d-byte message, %d messages after the start)",
		f.kind, f.mode, f.cutAt, f.cutAt-f.frameAt, f.frameSize, f.skip)
}

// frameWatch follows the message framing of one direction of a proxied
// connection: a type byte, then a length that counts itself (the client's
// startup packet has no type byte). It keeps the first bytes of each
// message, enough to see a CopyData's XLogData header and the pgoutput
// message type after it.
type frameWatch struct {
	pos      int64 // stream offset of the next byte to read
	start    int64 // offset of the current message
	size     int64 // its length on the wire; 0 until read
	head     []byte
	untyped  bool  // the current message has no type byte
	chunkOff int64 // offset of the chunk being read: the first byte a cut can still hold back
}

// frameHead: 'd', length, 'w', WALStart, WALEnd, ServerTime, pgoutput type.
const frameHead = 1 + 4 + 1 + 3*8 + 1

func (w *frameWatch) typ() byte {
	if w.untyped {
		return 0
	}
	return w.head[0]
}

// feed reads chunk, which starts at w.pos. onLength is called for each
// message whose length becomes known, onHead once its first bytes (up to
// frameHead) are in. A length no message can have is returned as an error.
func (w *frameWatch) feed(chunk []byte, onLength, onHead func()) error {
	for len(chunk) > 0 {
		hdr := 5
		if w.untyped {
			hdr = 4
		}
		want := hdr
		if w.size > 0 {
			want = int(min(w.size, frameHead))
		}
		if len(w.head) < want {
			k := min(want-len(w.head), len(chunk))
			w.head = append(w.head, chunk[:k]...)
			chunk, w.pos = chunk[k:], w.pos+int64(k)
			if w.size == 0 && len(w.head) == hdr {
				n := binary.BigEndian.Uint32(w.head[hdr-4:])
				if n < 4 || n > 1<<30 {
					return fmt.Errorf("message %q at byte %d has length %d", w.typ(), w.start, n)
				}
				w.size = int64(hdr-4) + int64(n)
				onLength()
			}
			if w.size > 0 && len(w.head) == int(min(w.size, frameHead)) {
				onHead()
			}
		} else {
			k := min(w.start+w.size-w.pos, int64(len(chunk)))
			chunk, w.pos = chunk[k:], w.pos+k
		}
		if w.size > 0 && w.pos == w.start+w.size {
			w.start, w.size, w.head, w.untyped = w.pos, 0, w.head[:0], false
		}
	}
	return nil
}

// injector carries out a plan of faults, one per streaming session, from
// a proxy hook that watches both directions of every connection.
type injector struct {
	p *faultproxy.Proxy

	mu      sync.Mutex
	rng     *rand.Rand
	plan    []*fault // not yet armed
	cur     *fault   // armed on a streaming session, not yet resolved
	done    []*fault // fired and reported by the consumer
	watches map[*faultproxy.Conn]*connWatch
	bad     error         // framing the hook could not follow
	over    chan struct{} // closed when every fault is resolved
}

type connWatch struct {
	down, up  frameWatch
	retired   bool   // its session is over: no longer followed
	streaming bool   // the server sent CopyBothResponse
	f         *fault // the fault armed on this connection
	seen      int    // CopyData messages counted towards f.skip
	inStream  bool   // down: a streamed transaction is open
}

func newInjector(p *faultproxy.Proxy, rng *rand.Rand, plan []*fault) *injector {
	in := &injector{p: p, rng: rng, plan: plan, watches: map[*faultproxy.Conn]*connWatch{}, over: make(chan struct{})}
	if len(plan) == 0 {
		close(in.over)
	}
	p.SetHook(in.hook)
	return in
}

func (in *injector) hook(c *faultproxy.Conn, d faultproxy.Dir, off int64, chunk []byte) (int, faultproxy.CutMode) {
	in.mu.Lock()
	defer in.mu.Unlock()
	cw := in.watches[c]
	if cw == nil {
		cw = &connWatch{up: frameWatch{untyped: true}}
		in.watches[c] = cw
	}
	w := &cw.down
	if d == faultproxy.Up {
		w = &cw.up
	}
	if in.bad != nil || cw.retired {
		return 0, faultproxy.NoCut
	}
	if w.pos != off {
		in.bad = fmt.Errorf("%v chunk at byte %d, expected %d", d, off, w.pos)
		return 0, faultproxy.NoCut
	}
	w.chunkOff = off
	err := w.feed(chunk, func() { in.onLength(c, cw, d, w) }, func() { in.onHead(cw, d, w) })
	if err != nil {
		in.bad = fmt.Errorf("%v: %w", d, err)
	}
	if f := cw.f; f != nil && !f.kind.stall() && f.up() == (d == faultproxy.Up) &&
		f.cutAt >= off && f.cutAt < off+int64(len(chunk)) && f.fired.IsZero() {
		f.fired = time.Now()
		return int(f.cutAt - off), f.mode
	}
	return 0, faultproxy.NoCut
}

// onLength sees each message as soon as its type and length are known; it
// arms a fault when a session starts streaming and picks its victim.
func (in *injector) onLength(c *faultproxy.Conn, cw *connWatch, d faultproxy.Dir, w *frameWatch) {
	if !cw.streaming {
		if d == faultproxy.Down && w.typ() == 'W' {
			cw.streaming = true
			if in.cur == nil && len(in.plan) > 0 {
				in.cur, in.plan = in.plan[0], in.plan[1:]
				f := in.cur
				f.cutAt, f.fired = -1, time.Time{}
				switch f.kind {
				case cutUp:
					f.skip = in.rng.Intn(4) // status updates
				case cutStream:
					f.skip = 1 + in.rng.Intn(1000)
				default:
					f.skip = in.rng.Intn(5000)
				}
				cw.f, cw.seen = f, 0
			}
		}
		return
	}
	f := cw.f
	if f == nil || f.cutAt >= 0 || !f.fired.IsZero() || w.typ() != 'd' || f.up() != (d == faultproxy.Up) {
		return
	}
	if f.kind == cutStream && !cw.inStream {
		return
	}
	if cw.seen < f.skip {
		cw.seen++
		return
	}
	f.frameAt, f.frameSize = w.start, w.size
	if f.kind.stall() {
		f.fired = time.Now()
		if f.kind == stallDown {
			c.Stall(faultproxy.Down, faultproxy.Block)
		} else {
			in.p.BlackHole()
		}
		return
	}
	// Strictly inside the message, and not before this chunk: what came
	// earlier is already delivered.
	k := 1 + in.rng.Int63n(w.size-1)
	f.cutAt = w.start + max(k, w.chunkOff-w.start)
}

// onHead follows streamed transactions on the down direction: Stream
// Start opens one, Stream Commit or Abort ends it.
func (in *injector) onHead(cw *connWatch, d faultproxy.Dir, w *frameWatch) {
	if d != faultproxy.Down || len(w.head) < frameHead || w.head[0] != 'd' || w.head[5] != codec.TagXLogData {
		return
	}
	switch w.head[frameHead-1] {
	case 'S':
		cw.inStream = true
	case 'c', 'A':
		cw.inStream = false
	}
}

// ended is told how a streaming session ended and returns the fault that
// ended it, or nil if none had fired (a fault armed but not fired is put
// back for the next session).
func (in *injector) ended(session int, err error, lastRecv time.Time) *fault {
	now := time.Now()
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, cw := range in.watches {
		cw.retired = true // the consumer closes it and heals the proxy
	}
	f := in.cur
	if f == nil {
		return nil
	}
	in.cur = nil
	if f.fired.IsZero() {
		in.plan = append([]*fault{f}, in.plan...)
		return nil
	}
	f.session, f.err, f.detected, f.lastRecv = session, err, now, lastRecv
	in.done = append(in.done, f)
	if len(in.plan) == 0 {
		close(in.over)
	}
	return f
}

// faultSink is the consumer's store: a transaction's rows become durable
// at its commit, and only then is its position acknowledged. Interrupted
// transactions are forgotten when a session ends; they come again.
type faultSink struct {
	t       *testing.T
	rows    map[int]int      // id → times made durable
	txns    map[lsn.LSN]int  // commit end → times made durable
	open    []int            // the open plain transaction's ids
	streams map[uint32][]int // the open streamed transactions' ids, by xid
	acked   lsn.LSN          // the highest position acknowledged

	floor   lsn.LSN // the slot's confirmed position when this session began
	ackedAt lsn.LSN // acked when this session began

	commits, streamCommits, streamAborts int
	dups, dupsAcked                      int // transactions made durable again; of those, at or below the consumer's own acknowledgement

	started *xidSet // xids of the streamed transactions seen
}

func newFaultSink(t *testing.T) *faultSink {
	return &faultSink{t: t, rows: map[int]int{}, txns: map[lsn.LSN]int{}, streams: map[uint32][]int{}, started: &xidSet{m: map[uint32]bool{}}}
}

// xidSet is shared by the consumer, which adds, and the producer, which
// waits.
type xidSet struct {
	mu sync.Mutex
	m  map[uint32]bool
}

func (x *xidSet) add(xid uint32) {
	x.mu.Lock()
	x.m[xid] = true
	x.mu.Unlock()
}

func (x *xidSet) has(xid uint32) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.m[xid]
}

func (k *faultSink) session(confirmed lsn.LSN) {
	k.open = k.open[:0]
	clear(k.streams)
	k.floor, k.ackedAt = confirmed, k.acked
}

func (k *faultSink) apply(m codec.Message) {
	switch m := m.(type) {
	case *codec.Begin:
		k.open = k.open[:0]
	case *codec.StreamStart:
		k.started.add(m.Xid)
	case *codec.Insert:
		id, err := strconv.Atoi(string(m.New[0].Data))
		if err != nil {
			k.t.Errorf("insert with id %q: %v", m.New[0].Data, err)
		}
		if m.InStream {
			k.streams[m.Xid] = append(k.streams[m.Xid], id)
		} else {
			k.open = append(k.open, id)
		}
	case *codec.Commit:
		k.commit(m.EndLSN, k.open)
		k.open = k.open[:0]
		k.commits++
	case *codec.StreamCommit:
		k.commit(m.EndLSN, k.streams[m.Xid])
		delete(k.streams, m.Xid)
		k.streamCommits++
	case *codec.StreamAbort:
		if m.Xid == m.SubXid {
			delete(k.streams, m.Xid)
			k.streamAborts++
		}
	}
}

func (k *faultSink) commit(end lsn.LSN, ids []int) {
	for _, id := range ids {
		k.rows[id]++
	}
	k.txns[end]++
	if k.txns[end] == 1 {
		return
	}
	k.dups++
	if end <= k.ackedAt {
		k.dupsAcked++
	}
	if end <= k.floor {
		k.t.Errorf("transaction ending at %v delivered again although the slot had confirmed %v when the session began", end, k.floor)
	}
}

// producer commits transactions on a connection of its own (not through
// the proxy) until stop is closed and it has run at least producerMin,
// then a few more: small ones, small ones rolled back, and large ones that
// exceed logical_decoding_work_mem and so are streamed, some of them rolled
// back. Every heldEvery-th transaction is a large one held open until the
// consumer has seen it streamed, then rolled back: PostgreSQL 18 does not
// stream a transaction that has already aborted by the time it is decoded,
// so only these make every version send Stream Abort.
const (
	producerMin = 200
	heldEvery   = 60
	heldWait    = 5 * time.Second // at most, for the consumer to see a held transaction
)

type producer struct {
	done chan struct{}

	// Valid once done is closed.
	err                                                 error
	txns, rows, large, aborted, largeAborted, abortRows int
	held, heldSeen                                      int // held open until streamed; of those, seen streamed in time
}

func startProducer(ctx context.Context, t *testing.T, s *pgserver.Server, table string, seed int64, stop <-chan struct{}, started *xidSet) *producer {
	t.Helper()
	cfg, err := wire.ParseConfig(s.DSN("", "", "postgres") + " sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	c, err := wire.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := &producer{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		defer c.Close()
		rng := rand.New(rand.NewSource(seed))
		tail := 10 // after stop: so the last session carries data too
		for i := 1; tail > 0; i++ {
			select {
			case <-stop:
				if i > producerMin {
					tail--
				}
			default:
			}
			n, large, abort := 1+rng.Intn(5), false, false
			switch r := rng.Intn(100); {
			case r < 14:
				n, large = 400+rng.Intn(400), true
			case r < 20:
				n, large, abort = 400+rng.Intn(400), true, true
			case r < 28:
				abort = true
			}
			held := i%heldEvery == heldEvery/2
			if held {
				n, large, abort = 400+rng.Intn(400), true, true
			}
			sql := fmt.Sprintf("INSERT INTO %s SELECT g, repeat('x', 100) FROM generate_series(%d, %d) g", table, i*1000, i*1000+n-1)
			var err error
			switch {
			case held:
				err = p.holdAndAbort(ctx, c, sql, started)
			case abort:
				_, err = c.Exec(ctx, "BEGIN; "+sql+"; ROLLBACK")
			default:
				_, err = c.Exec(ctx, sql)
			}
			if err != nil {
				p.err = fmt.Errorf("transaction %d: %w", i, err)
				return
			}
			p.txns++
			if large {
				p.large++
			}
			if abort {
				p.aborted++
				p.abortRows += n
				if large {
					p.largeAborted++
				}
			} else {
				p.rows += n
			}
			select {
			case <-ctx.Done():
				p.err = ctx.Err()
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return p
}

// holdAndAbort runs sql in a transaction that it rolls back once the
// consumer has seen the transaction streamed, or after heldWait.
func (p *producer) holdAndAbort(ctx context.Context, c *wire.Conn, sql string, started *xidSet) error {
	rs, err := c.Exec(ctx, "BEGIN; "+sql+"; SELECT txid_current() AS xid")
	if err != nil {
		return err
	}
	full, err := strconv.ParseUint(rs[len(rs)-1].Value(0, "xid"), 10, 64)
	if err != nil {
		return fmt.Errorf("txid_current: %w", err)
	}
	xid := uint32(full) // the epoch is in the high bits
	p.held++
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.NewTimer(heldWait)
	defer giveUp.Stop()
wait:
	for !started.has(xid) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-giveUp.C:
			break wait
		case <-tick.C:
		}
	}
	if started.has(xid) {
		p.heldSeen++
	}
	_, err = c.Exec(ctx, "ROLLBACK")
	return err
}

// faultRun is one scenario: a table, a publication and a slot of their
// own, a proxy in front of the server, a producer and a consumer.
type faultRun struct {
	t          *testing.T
	slot       string
	cfg        *wire.Config // through the proxy
	admin      *wire.Conn   // direct, for SQL
	p          *faultproxy.Proxy
	in         *injector
	sink       *faultSink
	resumeOwn  bool // START_REPLICATION at the consumer's own acknowledged position, not 0/0
	sessions   int
	reconnects int
	retries    map[string]int // failed dials and starts, by SQLSTATE or "transport"
}

// runFaults runs one scenario with plan; with resumeOwn the consumer
// restarts from its own durable position rather than the slot's.
func runFaults(t *testing.T, s *pgserver.Server, name string, rng *rand.Rand, plan []*fault, resumeOwn bool) {
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := &faultRun{t: t, slot: "fault_" + name, sink: newFaultSink(t), retries: map[string]int{}, resumeOwn: resumeOwn}
	table := "fault_" + name
	mustExec(t, s, fmt.Sprintf("CREATE TABLE %[1]s (id int PRIMARY KEY, pad text); CREATE PUBLICATION %[1]s_pub FOR TABLE %[1]s;", table))
	direct := replConfig(t, s)
	c, err := wire.Connect(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateReplicationSlot(ctx, r.slot, wire.SlotOptions{Snapshot: "nothing"}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	acfg, err := wire.ParseConfig(s.DSN("", "", "postgres") + " sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	if r.admin, err = wire.Connect(ctx, acfg); err != nil {
		t.Fatal(err)
	}
	defer r.admin.Close()

	if r.p, err = faultproxy.New(s.Addr()); err != nil {
		t.Fatal(err)
	}
	defer r.p.Close()
	r.cfg = replConfig(t, s)
	r.cfg.Host, r.cfg.Port = proxyHostPort(t, r.p)
	if s.Major()%2 == 1 { // both read paths, as in the recovery tests
		r.cfg.Batching = wire.Batching{MinBytes: 64 << 10, MaxDelay: 5 * time.Millisecond}
	}
	r.in = newInjector(r.p, rand.New(rand.NewSource(rng.Int63())), plan) // its own: the hook runs on the proxy's goroutines
	prod := startProducer(ctx, t, s, table, rng.Int63(), r.in.over, r.sink.started)

	r.follow(ctx, prod, table+"_pub")
	cancel() // the producer, if the consumer gave up
	<-prod.done
	if prod.err != nil && !errors.Is(prod.err, context.Canceled) {
		t.Errorf("producer: %v", prod.err)
	}

	r.in.mu.Lock()
	done, left, bad := r.in.done, len(r.in.plan), r.in.bad
	if r.in.cur != nil {
		left++
	}
	r.in.mu.Unlock()
	if bad != nil {
		t.Errorf("the hook lost the framing: %v", bad)
	}
	if left > 0 {
		t.Errorf("%d of %d faults never happened", left, len(plan))
	}
	for _, f := range done {
		r.checkFault(f)
	}
	ids := r.tableIDs(table)
	r.checkRows(ids)
	if prod.large > prod.largeAborted && r.sink.streamCommits == 0 {
		t.Errorf("no streamed commit among %d large committed transactions", prod.large-prod.largeAborted)
	}
	if prod.heldSeen == 0 || r.sink.streamAborts == 0 {
		t.Errorf("no streamed transaction rolled back: %d of %d held transactions seen streamed, %d stream aborts", prod.heldSeen, prod.held, r.sink.streamAborts)
	}
	if resumeOwn && r.sink.dups > 0 {
		t.Errorf("%d transactions delivered again although each session started at the consumer's own acknowledged position", r.sink.dups)
	}
	t.Logf("%s: %d faults; %d transactions (%d large, %d rolled back, %d of them held until streamed), %d rows committed, %d rolled back; delivered %d commits + %d streamed commits, %d stream aborts; %d sessions, %d reconnects, retries %v; %d transactions delivered again (%d of them at or below the consumer's own acknowledgement); %v",
		name, len(done), prod.txns, prod.large, prod.aborted, prod.heldSeen, len(ids), prod.abortRows, r.sink.commits, r.sink.streamCommits, r.sink.streamAborts,
		r.sessions, r.reconnects, r.retries, r.sink.dups, r.sink.dupsAcked, time.Since(began).Round(time.Millisecond))
}

// proxyHostPort is the proxy's address as Config fields.
func proxyHostPort(t *testing.T, p *faultproxy.Proxy) (string, uint16) {
	t.Helper()
	i := strings.LastIndexByte(p.Addr(), ':')
	port, err := strconv.ParseUint(p.Addr()[i+1:], 10, 16)
	if err != nil {
		t.Fatal(err)
	}
	return p.Addr()[:i], uint16(port)
}

// follow consumes the slot through the proxy until every fault is
// resolved, the producer is done and every row it committed is durable.
func (r *faultRun) follow(ctx context.Context, prod *producer, pub string) {
	t := r.t
	backoff := 50 * time.Millisecond
	retry := func(what string, err error) {
		if !wire.IsRetryable(err) {
			t.Fatalf("%s: %v (not retryable)", what, err)
		}
		var se *wire.ServerError
		if errors.As(err, &se) {
			r.retries[se.Code]++
		} else {
			r.retries["transport"]++
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
	finished := func() bool {
		select {
		case <-prod.done:
			return prod.err == nil && len(r.sink.rows) >= prod.rows
		default:
			return false
		}
	}
	// Next waits with pctx until the producer is done, so a consumer that
	// already has everything does not wait for more.
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	go func() {
		select {
		case <-prod.done:
			pcancel()
		case <-pctx.Done():
		}
	}()
	for ctx.Err() == nil && !finished() {
		c, err := wire.Connect(ctx, r.cfg)
		if err != nil {
			retry("connect", err)
			continue
		}
		confirmed := r.confirmed()
		var start lsn.LSN // 0/0: the slot's confirmed position
		if r.resumeOwn {
			start = r.sink.acked
		}
		st, err := c.StartReplication(ctx, r.slot, start, wire.LogicalOptions{Publications: []string{pub}, Streaming: codec.StreamingOn})
		if err != nil {
			c.Close()
			if f := r.in.ended(r.sessions+1, err, time.Time{}); f != nil {
				t.Errorf("%v surfaced in START_REPLICATION: %v", f, err)
			}
			retry("START_REPLICATION", err)
			continue
		}
		backoff = 50 * time.Millisecond
		r.sessions++
		r.sink.session(confirmed)
		for {
			wctx := ctx
			if pctx.Err() == nil {
				wctx = pctx
			}
			m, err := st.Next(wctx)
			if err != nil && ctx.Err() == nil && errors.Is(err, context.Canceled) && wctx == pctx {
				if finished() {
					break
				}
				continue // the producer is done, the stream goes on
			}
			if err != nil {
				if ctx.Err() == nil {
					r.sessionEnded(err, st.LastReceive())
					r.reconnects++
				}
				break
			}
			r.sink.apply(m)
			if pos, ok := wire.AckPosition(m, st.WALStart()); ok {
				st.Ack(pos)
				r.sink.acked = max(r.sink.acked, pos)
				if finished() {
					break
				}
			}
		}
		if finished() {
			if err := st.Close(ctx); err != nil {
				t.Errorf("closing the last session: %v", err)
			}
		}
		c.Close()
	}
}

// sessionEnded handles a session's error: it must be a fault's, and the
// proxy is healed before the next dial (after a stall has outlasted
// wal_sender_timeout).
func (r *faultRun) sessionEnded(err error, lastRecv time.Time) {
	f := r.in.ended(r.sessions, err, lastRecv)
	if f == nil {
		r.t.Errorf("session %d ended with no fault injected: %v", r.sessions, err)
	} else if f.kind.stall() {
		// Not an assertion: the fault must outlast wal_sender_timeout.
		time.Sleep(time.Until(f.fired.Add(faultWST + 300*time.Millisecond)))
		f.healed = time.Now()
	}
	r.p.Heal()
	r.p.SetHook(r.in.hook) // Heal clears it
}

// checkFault asserts that f surfaced as it should.
func (r *faultRun) checkFault(f *fault) {
	t := r.t
	err := f.err
	var te *wire.TransportError
	if !wire.IsRetryable(err) || !errors.Is(err, wire.ErrConnectionLost) || !errors.As(err, &te) {
		t.Errorf("session %d, %v: Next returned %v; want a retryable *wire.TransportError (ErrConnectionLost)", f.session, f, err)
	}
	switch {
	case f.kind.stall():
		quiet := faultWST // ReceiveTimeout 0: the server's wal_sender_timeout
		took, silent := f.detected.Sub(f.fired), f.detected.Sub(f.lastRecv)
		if !errors.Is(err, wire.ErrReceiveTimeout) {
			t.Errorf("session %d, %v: Next returned %v; want ErrReceiveTimeout in the chain", f.session, f, err)
		}
		if took > quiet+faultMargin {
			t.Errorf("session %d, %v: detected after %v; want at most the receive timeout %v + %v", f.session, f, took, quiet, faultMargin)
		}
		if silent < quiet-20*time.Millisecond {
			t.Errorf("session %d, %v: gave up after %v of silence, before the receive timeout %v", f.session, f, silent, quiet)
		}
		t.Logf("session %d: %v: detected after %v (%v after the last byte; receive timeout %v), healed after %v: %v",
			f.session, f, took.Round(time.Millisecond), silent.Round(time.Millisecond), quiet, f.healed.Sub(f.fired).Round(time.Millisecond), err)
	case f.mode == faultproxy.FIN && !f.up():
		// The client is left with part of a message.
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("session %d, %v: Next returned %v; want io.ErrUnexpectedEOF in the chain", f.session, f, err)
		}
		t.Logf("session %d: %v: %v", f.session, f, err)
	case f.mode == faultproxy.FIN:
		// The server's bytes may end between messages or inside one.
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("session %d, %v: Next returned %v; want io.EOF or io.ErrUnexpectedEOF in the chain", f.session, f, err)
		}
		t.Logf("session %d: %v: %v", f.session, f, err)
	default:
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
			t.Errorf("session %d, %v: Next returned %v; want ECONNRESET or EPIPE in the chain", f.session, f, err)
		}
		t.Logf("session %d: %v: %v", f.session, f, err)
	}
}

// confirmed is the slot's confirmed_flush_lsn.
func (r *faultRun) confirmed() lsn.LSN {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rs, err := r.admin.Exec(ctx, "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '"+r.slot+"'")
	if err != nil || len(rs) != 1 {
		r.t.Fatalf("confirmed_flush_lsn: %v", err)
	}
	l, err := lsn.Parse(rs[0].Value(0, "confirmed_flush_lsn"))
	if err != nil {
		r.t.Fatalf("confirmed_flush_lsn: %v", err)
	}
	return l
}

// tableIDs reads the committed ids with SQL.
func (r *faultRun) tableIDs(table string) []int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rs, err := r.admin.Exec(ctx, "SELECT id FROM "+table+" ORDER BY id")
	if err != nil || len(rs) != 1 {
		r.t.Fatalf("reading %s: %v", table, err)
	}
	ids := make([]int, 0, len(rs[0].Rows))
	for _, row := range rs[0].Rows {
		id, err := strconv.Atoi(row[0].String)
		if err != nil {
			r.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// checkRows compares the sink with the table: nothing lost, nothing extra.
func (r *faultRun) checkRows(ids []int) {
	inTable := make(map[int]bool, len(ids))
	var lost []int
	for _, id := range ids {
		inTable[id] = true
		if r.sink.rows[id] == 0 {
			lost = append(lost, id)
		}
	}
	var extra []int
	for id := range r.sink.rows {
		if !inTable[id] {
			extra = append(extra, id)
		}
	}
	sort.Ints(extra)
	if len(lost) > 0 {
		r.t.Errorf("%d committed rows never made durable (lost), e.g. %v", len(lost), lost[:min(len(lost), 10)])
	}
	if len(extra) > 0 {
		r.t.Errorf("%d rows made durable that were never committed, e.g. %v", len(extra), extra[:min(len(extra), 10)])
	}
	if len(ids) == 0 {
		r.t.Error("no rows committed")
	}
}

// idleStream is a healthy stream through a proxy on which nothing
// happens; check watches it for faultIdleFor.
type idleStream struct {
	s     *pgserver.Server
	p     *faultproxy.Proxy
	conn  *wire.Conn
	st    *wire.Stream
	pid   string
	began time.Time
	ctx   context.Context
	next  chan idleNext // the one Next started at the beginning
}

type idleNext struct {
	m   codec.Message
	err error
	at  time.Time
}

const idleDB = "fault_idle"

func startIdle(t *testing.T, s *pgserver.Server) *idleStream {
	t.Helper()
	mustExec(t, s, "CREATE DATABASE "+idleDB)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.ExecDB(ctx, idleDB, "CREATE TABLE idle (id int PRIMARY KEY); CREATE PUBLICATION idle_pub FOR TABLE idle;"); err != nil {
		t.Fatal(err)
	}
	cfg := replConfig(t, s)
	cfg.Database = idleDB
	c, err := wire.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateReplicationSlot(ctx, "fault_idle", wire.SlotOptions{Snapshot: "nothing"}); err != nil {
		t.Fatal(err)
	}
	c.Close()

	p, err := faultproxy.New(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	cfg.Host, cfg.Port = proxyHostPort(t, p)
	sctx, scancel := context.WithCancel(context.Background())
	t.Cleanup(scancel)
	is := &idleStream{s: s, p: p, ctx: sctx, next: make(chan idleNext, 1)}
	if is.conn, err = wire.Connect(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { is.conn.Close() })
	if is.st, err = is.conn.StartReplication(ctx, "fault_idle", 0, wire.LogicalOptions{Publications: []string{"idle_pub"}, Streaming: codec.StreamingOn}); err != nil {
		t.Fatal(err)
	}
	is.began = time.Now()
	is.pid = is.activePID(t)
	if is.pid != strconv.FormatUint(uint64(is.conn.PID()), 10) {
		t.Fatalf("slot fault_idle active_pid %q; the session's backend is %d", is.pid, is.conn.PID())
	}
	go func() {
		m, err := is.st.Next(sctx)
		is.next <- idleNext{m, err, time.Now()}
	}()
	return is
}

func (is *idleStream) activePID(t *testing.T) string {
	return mustExec(t, is.s, "SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'fault_idle'")
}

// check waits out the idle period: Next must not return, the proxy must
// see no second connection, and the walsender must be the same; then a row
// must come through at once.
func (is *idleStream) check(t *testing.T) {
	wait := time.NewTimer(time.Until(is.began.Add(faultIdleFor)))
	defer wait.Stop()
	select {
	case r := <-is.next:
		t.Fatalf("Next returned %T, %v after %v on an idle stream", r.m, r.err, r.at.Sub(is.began).Round(time.Millisecond))
	case <-wait.C:
	}
	idleFor := time.Since(is.began)
	st := is.p.Stats()
	if st.Accepted != 1 {
		t.Errorf("the proxy accepted %d connections; want 1 (no reconnect)", st.Accepted)
	}
	if conns := is.p.Conns(); len(conns) != 1 {
		t.Errorf("%d proxied connections open; want 1", len(conns))
	}
	if pid := is.activePID(t); pid != is.pid {
		t.Errorf("the slot's walsender changed from %s to %q while idle", is.pid, pid)
	}
	if quiet := time.Since(is.st.LastReceive()); quiet > faultWST {
		t.Errorf("nothing received for %v on a live idle stream", quiet)
	}

	// Data still flows, and Next returns for it.
	inserted := time.Now()
	ctx, cancel := context.WithTimeout(is.ctx, 10*time.Second)
	defer cancel()
	if _, err := is.s.ExecDB(ctx, idleDB, "INSERT INTO idle VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	var first idleNext
	select {
	case first = <-is.next:
	case <-ctx.Done():
		t.Fatalf("no message %v after an insert on the idle stream", time.Since(inserted))
	}
	if first.err != nil {
		t.Fatalf("Next after the idle period: %v", first.err)
	}
	latency := first.at.Sub(inserted)
	got := false
	for m := first.m; ; {
		if ins, ok := m.(*codec.Insert); ok && string(ins.New[0].Data) == "42" {
			got = true
		}
		if pos, ok := wire.AckPosition(m, is.st.WALStart()); ok {
			is.st.Ack(pos)
			break
		}
		var err error
		if m, err = is.st.Next(ctx); err != nil {
			t.Fatalf("Next after the idle period: %v", err)
		}
	}
	if !got {
		t.Error("the transaction after the idle period did not carry the inserted row")
	}
	if err := is.st.Close(ctx); err != nil {
		t.Errorf("Close after the idle period: %v", err)
	}
	t.Logf("idle %v with wal_sender_timeout %v: 0 reconnects, walsender %s throughout, %d bytes up and %d down (status updates and keepalives); first message %v after an insert",
		idleFor.Round(time.Millisecond), faultWST, is.pid, st.Up, st.Down, latency.Round(time.Millisecond))
}
