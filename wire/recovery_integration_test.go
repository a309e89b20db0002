package wire_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

// eachVersion runs f as a subtest on a fresh server of every available
// major version (all of 14–18 under CI=true).
func eachVersion(t *testing.T, cfg pgserver.Config, f func(t *testing.T, s *pgserver.Server)) {
	t.Helper()
	versions := pgserver.VersionsT(t)
	for _, v := range versions {
		v := v
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			c := cfg
			c.Version = v
			f(t, pgserver.StartT(t, c))
		})
	}
}

func replConfig(t *testing.T, s *pgserver.Server) *wire.Config {
	t.Helper()
	cfg, err := wire.ParseConfig(s.DSN("", "", "postgres") + " replication=database sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func mustExec(t *testing.T, s *pgserver.Server, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := s.Exec(ctx, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// durableSink plays a CDC consumer's store: rows of a transaction become
// durable at its Commit, which is when the consumer acknowledges.
type durableSink struct {
	mu      sync.Mutex
	rows    map[int]int // id → times committed to the sink
	acked   lsn.LSN
	pending []int
	commits int
	session int               // which connection delivered what
	txns    map[lsn.LSN][]int // commit end → sessions that delivered it
	cut     map[int]lsn.LSN   // session ended by a kill → the slot's confirmed position then
}

func (d *durableSink) apply(m codec.Message) {
	switch m := m.(type) {
	case *codec.Begin:
		d.pending = d.pending[:0]
	case *codec.Insert:
		id, _ := strconv.Atoi(string(m.New[0].Data))
		d.pending = append(d.pending, id)
	case *codec.Commit:
		d.mu.Lock()
		for _, id := range d.pending {
			d.rows[id]++
		}
		d.pending = d.pending[:0]
		d.commits++
		if d.txns != nil {
			d.txns[m.EndLSN] = append(d.txns[m.EndLSN], d.session)
		}
		d.mu.Unlock()
	}
}

// consume streams slot into sink until ctx ends or want rows are in,
// reconnecting after every failure, and acknowledging each commit once
// it is in the sink. onMessage may interrupt the session (it returns the
// number of messages seen so far).
func consume(ctx context.Context, t *testing.T, cfg *wire.Config, slot string, sink *durableSink, want int, onMessage func(n int, c *wire.Conn)) (reconnects int) {
	n := 0
	for ctx.Err() == nil {
		sink.mu.Lock()
		done := len(sink.rows) >= want
		sink.mu.Unlock()
		if done {
			return reconnects
		}
		c, err := wire.Connect(ctx, cfg)
		if err != nil {
			reconnects++
			time.Sleep(200 * time.Millisecond)
			continue
		}
		st, err := c.StartReplication(ctx, slot, 0, wire.LogicalOptions{Publications: []string{"pub"}})
		if err != nil {
			// The old walsender can hold the slot for a moment (55006).
			c.Close()
			reconnects++
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if wire.BatchingArmed(c) != (cfg.Batching.MinBytes >= 0) {
			t.Errorf("batching armed: %v with %+v", wire.BatchingArmed(c), cfg.Batching)
		}
		sink.pending = sink.pending[:0] // an interrupted transaction comes again
		sink.mu.Lock()
		sink.session++
		sink.mu.Unlock()
		for {
			m, err := st.Next(ctx)
			if err != nil {
				break
			}
			n++
			sink.apply(m)
			if pos, ok := wire.AckPosition(m, st.WALStart()); ok {
				st.Ack(pos)
				sink.mu.Lock()
				sink.acked = pos
				sink.mu.Unlock()
			}
			sink.mu.Lock()
			done := len(sink.rows) >= want
			sink.mu.Unlock()
			if done {
				st.Close(ctx)
				c.Close()
				return reconnects
			}
			if onMessage != nil {
				onMessage(n, c)
			}
		}
		c.Close()
		reconnects++
	}
	return reconnects
}

func setupSlot(t *testing.T, s *pgserver.Server, slot string) *wire.Config {
	t.Helper()
	mustExec(t, s, "CREATE TABLE t (id int PRIMARY KEY, pad text); CREATE PUBLICATION pub FOR TABLE t;")
	cfg := replConfig(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := wire.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CreateReplicationSlot(ctx, slot, wire.SlotOptions{Snapshot: "nothing"}); err != nil {
		t.Fatal(err)
	}
	// The versions take turns with the read paths: batching off, always,
	// and adaptive (the default), so every recovery test covers all three.
	switch s.Major() % 3 {
	case 0:
		cfg.Batching = wire.Batching{MinBytes: -1}
	case 1:
		cfg.Batching = wire.Batching{Always: true}
	}
	t.Logf("streaming with %+v", cfg.Batching)
	return cfg
}

// startStream connects and streams slot's changes of publication pub; the
// connection closes at the end of the test.
func startStream(ctx context.Context, t *testing.T, cfg *wire.Config, slot string) *wire.Stream {
	t.Helper()
	c, err := wire.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	st, err := c.StartReplication(ctx, slot, 0, wire.LogicalOptions{Publications: []string{"pub"}})
	if err != nil {
		t.Fatal(err)
	}
	if wire.BatchingArmed(c) != (cfg.Batching.MinBytes >= 0) {
		t.Fatalf("batching armed: %v with %+v", wire.BatchingArmed(c), cfg.Batching)
	}
	return st
}

// produce commits txns transactions of per rows each (ids from 1) in the
// background, pausing between them and retrying while the server is
// unavailable; before, if not nil, runs ahead of each transaction. The
// channel closes when it is done.
func produce(ctx context.Context, s *pgserver.Server, txns, per int, pause time.Duration, before func(i int)) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < txns && ctx.Err() == nil; {
			if before != nil {
				before(i)
			}
			a := 1 + i*per
			_, err := s.Exec(ctx, fmt.Sprintf("INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(%d, %d) g", a, a+per-1))
			if err == nil || strings.Contains(err.Error(), "duplicate key") {
				i++ // a commit whose answer was lost shows as a duplicate
				time.Sleep(pause)
				continue
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	return done
}

// insertTxns commits txns transactions of rowsPer rows each.
func insertTxns(t *testing.T, s *pgserver.Server, from, txns, rowsPer int) {
	t.Helper()
	sql := ""
	for i := 0; i < txns; i++ {
		a := from + i*rowsPer
		sql += fmt.Sprintf("INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(%d, %d) g;\n", a, a+rowsPer-1)
	}
	mustExec(t, s, sql)
}

func checkSink(t *testing.T, sink *durableSink, want int) {
	t.Helper()
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for id := 1; id <= want; id++ {
		if sink.rows[id] == 0 {
			t.Errorf("row %d never arrived (a change was lost)", id)
			return
		}
	}
	if len(sink.rows) != want {
		t.Errorf("sink has %d distinct rows, want %d", len(sink.rows), want)
	}
}

// TestNoChangeLostWhenKilled kills the walsender twice while transactions
// are still being written; the consumer reconnects from the slot. Every
// committed row must arrive, and a transaction the server had confirmed
// before a kill must not come again after it.
func TestNoChangeLostWhenKilled(t *testing.T) {
	eachVersion(t, pgserver.Config{}, func(t *testing.T, s *pgserver.Server) {
		cfg := setupSlot(t, s, "slot_kill")
		const txns, per = 40, 25
		want := txns * per
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		// The producer writes in three phases and waits for a kill before
		// each of the last two: after a kill the rows the consumer still
		// needs do not exist yet, so it must reconnect to get them.
		killed := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
		produced := produce(ctx, s, txns, per, 0, func(i int) {
			switch i {
			case 10:
				<-killed[0]
			case 25:
				<-killed[1]
			}
		})
		sink := &durableSink{rows: map[int]int{}, txns: map[lsn.LSN][]int{}, cut: map[int]lsn.LSN{}}
		kills, lastKill, killedSession := 0, 0, 0
		reconnects := consume(ctx, t, cfg, "slot_kill", sink, want, func(n int, c *wire.Conn) {
			// Each kill hits a new session (the last one may still be
			// handing out what it had buffered) in the middle of a
			// transaction.
			if kills < 2 && sink.session > killedSession && n >= lastKill+80 && len(sink.pending) > 0 {
				// In the middle of a transaction: note what the server has
				// confirmed, then kill the walsender.
				confirmed, err := lsn.Parse(mustExec(t, s, "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'slot_kill'"))
				if err != nil {
					t.Error(err)
				}
				sink.mu.Lock()
				sink.cut[sink.session] = confirmed
				sink.mu.Unlock()
				mustExec(t, s, fmt.Sprintf("SELECT pg_terminate_backend(%d)", c.PID()))
				close(killed[kills])
				kills++
				lastKill, killedSession = n, sink.session
			}
		})
		for ; kills < 2; kills++ {
			close(killed[kills]) // let the producer finish before failing below
		}
		<-produced
		<-produced
		if reconnects < 2 {
			t.Fatalf("the stream was not interrupted twice (reconnects %d)", reconnects)
		}
		checkSink(t, sink, want)
		redelivered := 0
		for end, sessions := range sink.txns {
			for i := 1; i < len(sessions); i++ {
				redelivered++
				for sess := sessions[i-1]; sess < sessions[i]; sess++ {
					if confirmed, ok := sink.cut[sess]; ok && end <= confirmed {
						t.Errorf("transaction ending at %v came again after a kill although the server had confirmed %v", end, confirmed)
					}
				}
			}
		}
		t.Logf("%d rows in %d transactions, %d kills, %d reconnects, %d transactions redelivered", want, txns, kills, reconnects, redelivered)
	})
}

// TestNoChangeLostOnRestart restarts the server (fast shutdown) while the
// consumer is in the middle of the stream.
func TestNoChangeLostOnRestart(t *testing.T) {
	eachVersion(t, pgserver.Config{}, func(t *testing.T, s *pgserver.Server) {
		cfg := setupSlot(t, s, "slot_restart")
		const txns, per = 30, 20
		want := txns * per
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		// Write while the stream runs: half before the restart, half after
		// it, so the consumer must reconnect to get everything.
		restarted := make(chan error, 1)
		restartDone := make(chan struct{})
		produced := produce(ctx, s, txns, per, 0, func(i int) {
			if i == txns/2 {
				<-restartDone
			}
		})
		defer func() { <-produced }()
		sink := &durableSink{rows: map[int]int{}}
		once := false
		reconnects := consume(ctx, t, cfg, "slot_restart", sink, want, func(n int, c *wire.Conn) {
			if n >= 60 && !once {
				once = true
				go func() {
					err := s.Restart(ctx, "fast")
					close(restartDone)
					restarted <- err
				}()
				time.Sleep(300 * time.Millisecond) // keep consuming slowly while it goes down
			}
		})
		if !once {
			close(restartDone) // let the producer finish
			t.Fatal("never restarted")
		}
		if err := <-restarted; err != nil {
			t.Fatalf("restart: %v", err)
		}
		if reconnects == 0 {
			t.Errorf("the restart did not interrupt the stream")
		}
		checkSink(t, sink, want)
	})
}

// TestShutdownNotBlockedWhenIdle: a session that has acknowledged
// everything and sits idle reports the server's position, so the slot
// advances past WAL that published nothing, and a fast shutdown (which
// waits until the reported flush equals what the walsender sent) is not
// held up.
func TestShutdownNotBlockedWhenIdle(t *testing.T) {
	eachVersion(t, pgserver.Config{}, func(t *testing.T, s *pgserver.Server) {
		cfg := setupSlot(t, s, "slot_idle")
		mustExec(t, s, "CREATE TABLE unpublished (x int)")
		insertTxns(t, s, 1, 1, 5)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		st := startStream(ctx, t, cfg, "slot_idle")
		// A consumer that acknowledges every transaction it is sent
		// (PostgreSQL 14 also sends empty ones for unpublished changes).
		firstCommit := make(chan lsn.LSN, 1)
		go func() {
			for {
				m, err := st.Next(ctx)
				if err != nil {
					return
				}
				if pos, ok := wire.AckPosition(m, st.WALStart()); ok {
					st.Ack(pos)
					select {
					case firstCommit <- pos:
					default:
					}
				}
			}
		}()
		var commitEnd lsn.LSN
		select {
		case commitEnd = <-firstCommit:
		case <-ctx.Done():
			t.Fatal("no commit arrived")
		}
		// WAL that publishes nothing, written while the session is idle.
		mustExec(t, s, "INSERT INTO unpublished SELECT generate_series(1, 1000)")
		// The insert position: with synchronous_commit off the write position lags.
		target, _ := lsn.Parse(mustExec(t, s, "SELECT pg_current_wal_insert_lsn()"))
		var confirmed lsn.LSN
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			confirmed, _ = lsn.Parse(mustExec(t, s, "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'slot_idle'"))
			if confirmed >= target {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if confirmed < target || confirmed <= commitEnd {
			t.Errorf("idle slot confirmed %v; want at least %v (WAL written after the last commit %v)", confirmed, target, commitEnd)
		}
		start := time.Now()
		if err := s.Restart(ctx, "fast"); err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		if took > 15*time.Second {
			t.Errorf("fast restart took %v with an idle, fully acknowledged session", took)
		}
		t.Logf("slot advanced to %v while idle (last commit %v); restart took %v", confirmed, commitEnd, took.Round(time.Millisecond))
	})
}

// TestSlowConsumerStaysConnected: with wal_sender_timeout = 2 s, a consumer
// that spends 5 s on a message is not disconnected: the stream's timer keeps
// sending status updates without a read in progress.
func TestSlowConsumerStaysConnected(t *testing.T) {
	eachVersion(t, pgserver.Config{Settings: map[string]string{"wal_sender_timeout": "2s"}}, func(t *testing.T, s *pgserver.Server) {
		cfg := setupSlot(t, s, "slot_slow")
		insertTxns(t, s, 1, 2, 3)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		st := startStream(ctx, t, cfg, "slot_slow")
		got := 0
		slept := false
		for got < 6 {
			m, err := st.Next(ctx)
			if err != nil {
				t.Fatalf("after %d inserts (slept %v): %v", got, slept, err)
			}
			if _, ok := m.(*codec.Insert); ok {
				got++
				if got == 3 && !slept {
					slept = true
					time.Sleep(5 * time.Second) // 2.5 × wal_sender_timeout
				}
			}
			if pos, ok := wire.AckPosition(m, st.WALStart()); ok {
				st.Ack(pos)
			}
		}
		if err := st.Close(ctx); err != nil {
			t.Fatalf("Close after the slow consumer: %v", err)
		}
	})
}

var _ = errors.Is
