package wire_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

// TestStreamControls runs the stream's consumer controls (AckNow,
// StatusInterval, LastKeepalive, Wake) and IsRetryable across a restart
// against a real server of each available version.
func TestStreamControls(t *testing.T) {
	eachVersion(t, pgserver.Config{}, func(t *testing.T, s *pgserver.Server) {
		cfg := setupSlot(t, s, "slot_ctl")
		t.Run("AckNow", func(t *testing.T) { testAckNowReal(t, s, cfg) })
		t.Run("StatusIntervalNever", func(t *testing.T) { testStatusIntervalNeverReal(t, s, cfg) })
		t.Run("LastKeepaliveAndWake", func(t *testing.T) { testKeepaliveWakeReal(t, s, cfg) })
		t.Run("RetryableAcrossRestart", func(t *testing.T) { testRetryableRestart(t, s) })
	})
}

// nextCommits reads until n commits have come and returns their ends.
func nextCommits(ctx context.Context, t *testing.T, st *wire.Stream, n int) []lsn.LSN {
	t.Helper()
	var ends []lsn.LSN
	for len(ends) < n {
		m, err := st.Next(ctx)
		if err != nil {
			t.Fatalf("after %d commits: %v", len(ends), err)
		}
		if _, ok := m.(*codec.Commit); ok {
			pos, _ := wire.AckPosition(m, st.WALStart())
			ends = append(ends, pos)
		}
	}
	return ends
}

// replicationFlush is the flush position the server has from the
// walsender whose application_name is app.
func replicationFlush(t *testing.T, s *pgserver.Server, app string) lsn.LSN {
	t.Helper()
	out := mustExec(t, s, "SELECT flush_lsn FROM pg_stat_replication WHERE application_name = "+pgserver.QuoteLiteral(app))
	if out == "" {
		return 0
	}
	l, err := lsn.Parse(out)
	if err != nil {
		t.Fatalf("flush_lsn %q: %v", out, err)
	}
	return l
}

// AckNow reaches the server at once; with StatusInterval -1 a plain Ack
// reaches it only when something else sends an update.
func testAckNowReal(t *testing.T, s *pgserver.Server, base *wire.Config) {
	cfg := *base
	cfg.ApplicationName = "ctl_acknow"
	cfg.StatusInterval = -1
	cfg.ReceiveTimeout = -1
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	insertTxns(t, s, 1, 2, 3)
	st := startStream(ctx, t, &cfg, "slot_ctl")
	ends := nextCommits(ctx, t, st, 2)
	before := replicationFlush(t, s, cfg.ApplicationName)

	start := time.Now()
	if err := st.AckNow(ctx, ends[0]); err != nil {
		t.Fatalf("AckNow: %v", err)
	}
	var flush lsn.LSN
	for time.Since(start) < 2*time.Second {
		if flush = replicationFlush(t, s, cfg.ApplicationName); flush != before {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("server's flush_lsn %v → %v, %v after AckNow(%v)", before, flush, time.Since(start).Round(time.Millisecond), ends[0])
	if flush != ends[0] {
		t.Fatalf("server's flush_lsn %v after AckNow(%v), want exactly that", flush, ends[0])
	}

	// A plain Ack, no Next, no timer: the server hears nothing of it.
	st.Ack(ends[1])
	time.Sleep(time.Second)
	if got := replicationFlush(t, s, cfg.ApplicationName); got != ends[0] {
		t.Errorf("server's flush_lsn %v a second after a plain Ack with StatusInterval -1, want still %v", got, ends[0])
	}
	if err := st.AckNow(ctx, ends[1]); err != nil {
		t.Fatalf("AckNow: %v", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for flush = replicationFlush(t, s, cfg.ApplicationName); flush != ends[1] && time.Now().Before(deadline); flush = replicationFlush(t, s, cfg.ApplicationName) {
		time.Sleep(5 * time.Millisecond)
	}
	if flush != ends[1] {
		t.Errorf("server's flush_lsn %v after AckNow(%v)", flush, ends[1])
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// With StatusInterval -1 and no receive-timeout probe, only the answers to
// the server's own keepalive requests keep the session alive: with
// wal_sender_timeout 1s it survives an idle 4 s.
func testStatusIntervalNeverReal(t *testing.T, s *pgserver.Server, base *wire.Config) {
	mustExec(t, s, "ALTER SYSTEM SET wal_sender_timeout = '1s'; SELECT pg_reload_conf();")
	defer mustExec(t, s, "ALTER SYSTEM RESET wal_sender_timeout; SELECT pg_reload_conf();")
	cfg := *base
	cfg.StatusInterval = -1
	cfg.ReceiveTimeout = -1
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if v := mustExec(t, s, "SHOW wal_sender_timeout"); v != "1s" {
		t.Fatalf("wal_sender_timeout %q: the reload did not take", v)
	}
	st := startStream(ctx, t, &cfg, "slot_ctl")
	idle, cancelIdle := context.WithTimeout(ctx, 4*time.Second)
	defer cancelIdle()
	for {
		m, err := st.Next(idle)
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatalf("idle stream with StatusInterval -1 and wal_sender_timeout 1s: %v", err)
		}
		if pos, ok := wire.AckPosition(m, st.WALStart()); ok {
			st.Ack(pos)
		}
	}
	insertTxns(t, s, 100, 1, 1)
	nextCommits(ctx, t, st, 1)
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// A status update asking for a reply brings a keepalive, which
// LastKeepalive then reports; Wake interrupts a Next waiting on the idle
// server and the stream goes on.
func testKeepaliveWakeReal(t *testing.T, s *pgserver.Server, base *wire.Config) {
	cfg := *base
	cfg.ReceiveTimeout = -1
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st := startStream(ctx, t, &cfg, "slot_ctl")
	insertTxns(t, s, 200, 1, 1)
	end := nextCommits(ctx, t, st, 1)[0]
	st.Ack(end)
	asked := time.Now()
	if err := st.SendStatus(ctx, true); err != nil {
		t.Fatal(err)
	}
	var ka codec.PrimaryKeepalive
	for ok := false; !ok && time.Since(asked) < 5*time.Second; {
		short, c := context.WithTimeout(ctx, 50*time.Millisecond)
		if _, err := st.Next(short); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
		c()
		ka, ok = st.LastKeepalive()
	}
	t.Logf("keepalive: WAL end %v, server time %v (%v after the request)", ka.WALEnd, ka.ServerTime, time.Since(asked).Round(time.Millisecond))
	if ka.WALEnd < end {
		t.Errorf("keepalive WAL end %v, before the commit %v already sent", ka.WALEnd, end)
	}
	if d := ka.ServerTime.Time().Sub(asked); d < -5*time.Second || d > 5*time.Second {
		t.Errorf("keepalive server time %v, %v from the request", ka.ServerTime, d)
	}

	errc := make(chan error, 1)
	go func() {
		_, err := st.Next(ctx)
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	woke := time.Now()
	st.Wake()
	select {
	case err := <-errc:
		if !errors.Is(err, wire.ErrWoken) {
			t.Fatalf("woken Next: %v, want ErrWoken", err)
		}
		t.Logf("woken after %v", time.Since(woke))
	case <-time.After(2 * time.Second):
		t.Fatal("Next still blocked 2s after Wake")
	}
	insertTxns(t, s, 300, 1, 1)
	nextCommits(ctx, t, st, 1)
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// What a reconnect loop meets while the server restarts is retryable: a
// smart shutdown waiting for a client refuses new sessions with 57P03,
// then nothing listens (ECONNREFUSED), then the server is back.
func testRetryableRestart(t *testing.T, s *pgserver.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	plain, err := wire.ParseConfig(s.DSN("", "", "postgres") + " sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	holder, err := wire.Connect(ctx, plain) // a session the smart shutdown waits for
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	pidLine, err := os.ReadFile(filepath.Join(s.DataDir(), "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(pidLine), "\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	postmaster, err := os.FindProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := postmaster.Signal(syscall.SIGTERM); err != nil { // pg_ctl stop -m smart
		t.Fatal(err)
	}
	restarted := false
	defer func() {
		if !restarted {
			s.Restart(context.Background(), "fast") // leave the server up for its cleanup
		}
	}()

	var se *wire.ServerError
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := wire.Connect(ctx, plain)
		if err == nil {
			c.Close() // the signal not yet handled
			continue
		}
		if !errors.As(err, &se) {
			t.Fatalf("Connect during a smart shutdown: %v, want a server error", err)
		}
		break
	}
	if se == nil || se.Code != "57P03" || !wire.IsRetryable(se) {
		t.Fatalf("Connect during a smart shutdown: %v, want a retryable 57P03", se)
	}
	t.Logf("during the smart shutdown: %v", se)

	holder.Close()
	var refused error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		c, err := wire.Connect(ctx, plain)
		if err == nil {
			c.Close()
			continue
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			refused = err
			break
		}
		if !wire.IsRetryable(err) {
			t.Fatalf("Connect while the server stops: %v, not retryable", err)
		}
	}
	if refused == nil || !wire.IsRetryable(refused) {
		t.Fatalf("Connect to the stopped server: %v, want a retryable ECONNREFUSED", refused)
	}
	t.Logf("stopped: %v", refused)

	if err := s.Restart(ctx, "fast"); err != nil {
		t.Fatal(err)
	}
	restarted = true
	c, err := wire.Connect(ctx, plain)
	if err != nil {
		t.Fatalf("Connect after the restart: %v", err)
	}
	c.Close()
}
