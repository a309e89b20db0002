package wire

// Scripted-server tests for the faults and review findings of the session
// hardening work: each one failed on the code before it.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// A message that does not decode ends the stream: nothing after it is
// delivered, and no status update confirms past it.
func TestDecodeErrorEndsStream(t *testing.T) {
	for _, tc := range []struct {
		name string
		bad  []byte
	}{
		{"truncated insert", []byte{'I', 0, 0, 0x40}},
		{"truncated stream stop", nil}, // built below: a Stream Stop with a trailing byte
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, _, s := fakeStream(t, nil)
			ctx := hostileCtx(t, 5*time.Second)
			const begin, end = lsn.LSN(0x30000), lsn.LSN(0x30100)
			script := [][]byte{fsXLog(begin, &codec.Begin{FinalLSN: end - 8, Xid: 7})}
			if tc.bad != nil {
				script = append(script, fsXLogRaw(begin+8, tc.bad))
			} else {
				script = [][]byte{
					fsXLog(begin, &codec.StreamStart{Xid: 9, FirstSegment: true}),
					fsXLogRaw(begin+8, []byte{'E', 0}), // Stream Stop has no fields
				}
			}
			script = append(script,
				fsXLog(begin+16, &codec.Insert{RelationID: 16384, New: codec.Tuple{{Kind: codec.ColumnText, Data: []byte("after")}}}),
				fsXLog(end, &codec.Commit{CommitLSN: end - 8, EndLSN: end}),
			)
			fs.send(script...)
			if _, err := s.Next(ctx); err != nil {
				t.Fatalf("first message: %v", err)
			}
			_, err := s.Next(ctx)
			var de *codec.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Next after the bad message: %v, want a *codec.DecodeError in the chain", err)
			}
			for i := 0; i < 3; i++ {
				m, err2 := s.Next(ctx)
				if m != nil || !errors.As(err2, &de) {
					t.Fatalf("Next %d after the decode error: %v, %v; want the same error and no message", i, m, err2)
				}
			}
			s.Ack(end) // a consumer that acknowledges blindly
			if err := s.SendStatus(ctx, false); !errors.Is(err, ErrStreamEnded) {
				t.Errorf("SendStatus after the stream ended: %v, want ErrStreamEnded", err)
			}
			time.Sleep(50 * time.Millisecond)
			for _, u := range fs.statusUpdates() {
				if u.Flush >= begin {
					t.Fatalf("status update %+v confirms past the undelivered message at %v", u, begin+8)
				}
			}
		})
	}
}

// A stream that ends with a decode error stops its timer goroutine.
func TestDecodeErrorStopsTimer(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 20; i++ {
		fs, c, s := fakeStream(t, nil)
		fs.send(fsXLogRaw(0x1000, []byte{'I', 0}))
		if _, err := s.Next(hostileCtx(t, 5*time.Second)); err == nil {
			t.Fatal("no error")
		}
		c.Close()
		fs.close()
	}
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before+5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+5 {
		t.Errorf("%d goroutines after 20 failed streams, %d before", n, before)
	}
}

// With both directions silently dropped, Next reports ErrConnectionLost
// within the receive timeout.
func TestBlackHoleDetected(t *testing.T) {
	const timeout = 400 * time.Millisecond
	_, _, s := fakeStream(t, func(fs *fakeServer, cfg *Config) { cfg.ReceiveTimeout = timeout })
	start := time.Now()
	_, err := s.Next(hostileCtx(t, 10*time.Second))
	took := time.Since(start)
	if !errors.Is(err, ErrConnectionLost) || !errors.Is(err, ErrReceiveTimeout) {
		t.Fatalf("Next on a silent server: %v, want ErrConnectionLost and ErrReceiveTimeout", err)
	}
	var te *TransportError
	if !errors.As(err, &te) || !IsRetryable(err) {
		t.Errorf("error %v: want a retryable *TransportError", err)
	}
	if took < timeout || took > timeout+time.Second {
		t.Errorf("detected after %v, want about %v", took, timeout)
	}
}

// A live idle server answers the stream's pings, so the stream is never
// torn down, however long it stays idle.
func TestIdleStreamStaysUp(t *testing.T) {
	const timeout = 300 * time.Millisecond
	fs, _, s := fakeStream(t, func(fs *fakeServer, cfg *Config) {
		cfg.ReceiveTimeout = timeout
		fs.answerPings = true
		fs.keepaliveEnd = 0x1000
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*timeout)
	defer cancel()
	_, err := s.Next(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next on an idle live server: %v, want the context's deadline", err)
	}
	pings := 0
	for _, u := range fs.statusUpdates() {
		if u.ReplyRequested {
			pings++
		}
	}
	if pings < 3 {
		t.Errorf("%d pings in %v of silence, want several", pings, 10*timeout)
	}
	if since := time.Since(s.LastReceive()); since > timeout {
		t.Errorf("LastReceive %v ago, want recent (keepalives arrive)", since)
	}
	// And it still works.
	fs.send(fsTxn(3, 0x40000, 0x40100)...)
	if _, err := s.Next(hostileCtx(t, 2*time.Second)); err != nil {
		t.Errorf("Next after the idle spell: %v", err)
	}
}

// A consumer that was away longer than the receive timeout is not told the
// connection died when data is waiting for it.
func TestReceiveTimeoutCountsFromNext(t *testing.T) {
	const timeout = 200 * time.Millisecond
	fs, _, s := fakeStream(t, func(fs *fakeServer, cfg *Config) { cfg.ReceiveTimeout = timeout })
	fs.send(fsTxn(3, 0x40000, 0x40100)...)
	time.Sleep(3 * timeout) // busy elsewhere; the server's pings go unanswered
	for i := 0; i < 3; i++ {
		if _, err := s.Next(hostileCtx(t, 2*time.Second)); err != nil {
			t.Fatalf("message %d after the consumer came back: %v", i, err)
		}
	}
}

// A failed status write is ErrConnectionLost, from SendStatus and then
// from Next, and wraps the system error.
func TestStatusWriteFailureIsConnectionLost(t *testing.T) {
	fs, _, s := fakeStream(t, func(fs *fakeServer, cfg *Config) { cfg.ReceiveTimeout = -1 })
	fs.wmu.Lock()
	fs.nc.(*net.TCPConn).SetLinger(0)
	fs.nc.Close() // RST
	fs.wmu.Unlock()
	time.Sleep(50 * time.Millisecond)
	var err error
	for i := 0; i < 20 && err == nil; i++ {
		err = s.SendStatus(context.Background(), false)
		time.Sleep(10 * time.Millisecond)
	}
	if !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("SendStatus on a reset connection: %v, want ErrConnectionLost", err)
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Errorf("SendStatus error %v: the system error is not in the chain", err)
	}
	_, err = s.Next(hostileCtx(t, 2*time.Second))
	if !errors.Is(err, ErrConnectionLost) {
		t.Errorf("Next after the failed write: %v, want ErrConnectionLost", err)
	}
}

// A reset under a read matches ErrConnectionLost and ECONNRESET; a later
// command says the connection is closed and why.
func TestResetChain(t *testing.T) {
	fs, c, s := fakeStream(t, nil)
	go func() {
		time.Sleep(50 * time.Millisecond)
		fs.wmu.Lock()
		fs.nc.(*net.TCPConn).SetLinger(0)
		fs.nc.Close()
		fs.wmu.Unlock()
	}()
	_, err := s.Next(hostileCtx(t, 5*time.Second))
	if !errors.Is(err, ErrConnectionLost) || !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("Next on a reset connection: %v, want ErrConnectionLost wrapping ECONNRESET", err)
	}
	_, err = c.Exec(context.Background(), "SELECT 1")
	if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrConnectionLost) {
		t.Errorf("Exec on the broken connection: %v, want ErrClosed and the cause", err)
	}
}

// Close from another goroutine while Next waits: both return promptly,
// Next with ErrStreamEnded, and the server sees a clean CopyDone. Run with
// -race: the read buffer belongs to one goroutine at a time.
func TestCloseWhileNextBlocked(t *testing.T) {
	fs, c, s := fakeStream(t, nil)
	fs.send(fsTxn(3, 0x40000, 0x40100)...)
	errc := make(chan error, 1)
	go func() {
		for {
			m, err := s.Next(context.Background())
			if err != nil {
				errc <- err
				return
			}
			if pos, ok := AckPosition(m, s.WALStart()); ok {
				s.Ack(pos)
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	ctx := hostileCtx(t, 5*time.Second)
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrStreamEnded) {
			t.Errorf("Next after Close: %v, want ErrStreamEnded", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Next still blocked 2s after Close returned")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %v", took)
	}
	fs.mu.Lock()
	done := fs.clientCopyDone
	fs.mu.Unlock()
	us := fs.statusUpdates()
	if !done || len(us) == 0 || us[len(us)-1].Flush != 0x40100 {
		t.Errorf("CopyDone sent: %v; last status %+v, want flush 0/40100", done, us)
	}
	if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
		t.Errorf("Exec after Close: %v", err)
	}
}

// Two Closes at once, with and without a reader, never panic and agree.
func TestCloseConcurrent(t *testing.T) {
	for _, reader := range []bool{false, true} {
		_, _, s := fakeStream(t, nil)
		if reader {
			go s.Next(context.Background())
			time.Sleep(20 * time.Millisecond)
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs[i] = s.Close(hostileCtx(t, 5*time.Second))
			}(i)
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("reader %v: Close %d: %v", reader, i, err)
			}
		}
	}
}

// A message read but not yet returned when Close lands is not delivered,
// and not confirmed.
func TestCloseDropsUndelivered(t *testing.T) {
	fs, _, s := fakeStream(t, nil)
	ctx := hostileCtx(t, 5*time.Second)
	fs.send(fsTxn(3, 0x40000, 0x40100)...)
	m, err := s.Next(ctx) // Begin
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(*codec.Begin); !ok {
		t.Fatalf("first message %T", m)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Next(ctx); m != nil || !errors.Is(err, ErrStreamEnded) {
		t.Errorf("Next after Close: %v %v", m, err)
	}
	for _, u := range fs.statusUpdates() {
		if u.Flush >= 0x40000 {
			t.Errorf("status %+v confirms the unacknowledged transaction", u)
		}
	}
}

// Close honours its context even when the timer is stuck in a write.
func TestCloseHonoursContext(t *testing.T) {
	fs := newFakeServer(t)
	cfg := fs.config()
	stall := &stallConn{}
	ctx := hostileCtx(t, 5*time.Second)
	nc, err := net.Dial("tcp", fs.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	stall.Conn = nc
	c, err := NewConn(ctx, stall, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fs.walSenderTimeout = "150ms"
	s, err := c.StartReplication(ctx, "s1", 0, LogicalOptions{Publications: []string{"pub"}})
	if err != nil {
		t.Fatal(err)
	}
	stall.stall() // writes block from now on, as on a full send buffer
	time.Sleep(200 * time.Millisecond)
	cctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Close(cctx)
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %v with a 200ms context", took)
	}
	if err == nil {
		t.Errorf("Close on a stalled connection: nil error")
	}
}

// stallConn's writes block, once stalled, until their deadline.
type stallConn struct {
	net.Conn
	mu      sync.Mutex
	stalled bool
	dl      time.Time
}

func (c *stallConn) stall() { c.mu.Lock(); c.stalled = true; c.mu.Unlock() }

func (c *stallConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.dl = t
	c.mu.Unlock()
	return c.Conn.SetWriteDeadline(t)
}

func (c *stallConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.dl = t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

func (c *stallConn) Write(b []byte) (int, error) {
	for {
		c.mu.Lock()
		stalled, dl := c.stalled, c.dl
		c.mu.Unlock()
		if !stalled {
			return c.Conn.Write(b)
		}
		if !dl.IsZero() && !time.Now().Before(dl) {
			return 0, &net.OpError{Op: "write", Net: "tcp", Err: errTimeout{}}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type errTimeout struct{}

func (errTimeout) Error() string   { return "i/o timeout" }
func (errTimeout) Timeout() bool   { return true }
func (errTimeout) Temporary() bool { return true }

// After the stream ends, its writers send nothing.
func TestNoWritesAfterEnd(t *testing.T) {
	fs, c, s := fakeStream(t, func(fs *fakeServer, cfg *Config) { fs.serverVersion = "19.0" })
	ctx := hostileCtx(t, 5*time.Second)
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	n := len(fs.statusUpdates())
	if err := s.SendStatus(ctx, true); !errors.Is(err, ErrStreamEnded) {
		t.Errorf("SendStatus after Close: %v", err)
	}
	if err := s.RequestPrimaryStatus(ctx); !errors.Is(err, ErrStreamEnded) {
		t.Errorf("RequestPrimaryStatus after Close: %v", err)
	}
	if _, err := c.Exec(ctx, "SELECT 1"); err != nil { // a round trip: the writes would be read by now
		t.Fatal(err)
	}
	fs.mu.Lock()
	other := len(fs.otherCopyData)
	fs.mu.Unlock()
	if len(fs.statusUpdates()) != n || other != 0 {
		t.Errorf("%d status updates and %d other CopyData written after the stream ended", len(fs.statusUpdates())-n, other)
	}
}

// Result answers with a zero-column row never panic: every command
// returns an error, and the stream's start-up query is survived.
func TestZeroColumnRows(t *testing.T) {
	zeroRow := fsMsg('D', []byte{0, 0})
	noCols := fsMsg('T', []byte{0, 0})
	fs := newFakeServer(t)
	fs.onQuery = func(fs *fakeServer, q string) bool {
		if strings.HasPrefix(q, "START_REPLICATION") || q == "SHOW wal_sender_timeout" {
			return false
		}
		fs.send(noCols, zeroRow, fsCommandComplete("X"), fsReady())
		return true
	}
	c := fs.connect(t, nil)
	ctx := hostileCtx(t, 5*time.Second)
	if _, err := c.ReadReplicationSlot(ctx, "s1"); !errors.Is(err, ErrProtocol) {
		t.Errorf("ReadReplicationSlot: %v, want ErrProtocol", err)
	}
	if _, err := c.IdentifySystem(ctx); !errors.Is(err, ErrProtocol) {
		t.Errorf("IdentifySystem: %v, want ErrProtocol", err)
	}
	if _, err := c.Show(ctx, "work_mem"); !errors.Is(err, ErrProtocol) {
		t.Errorf("Show: %v, want ErrProtocol", err)
	}
	if _, err := c.CreateReplicationSlot(ctx, "s2", SlotOptions{}); err != nil {
		// A zero-column answer names no slot; that is allowed to parse
		// to an empty Slot, but must not panic.
		t.Logf("CreateReplicationSlot: %v", err)
	}
	s, err := c.StartReplication(ctx, "s1", 0, LogicalOptions{Publications: []string{"pub"}})
	if err != nil {
		t.Fatalf("StartReplication with a zero-column confirmed_flush_lsn answer: %v", err)
	}
	s.Close(ctx)
}

// The result parsers never panic and never accept a wrong shape.
func TestResultParsers(t *testing.T) {
	ns := func(v string) sql.NullString { return sql.NullString{String: v, Valid: true} }
	for _, r := range []*Result{
		{},
		{Columns: []string{"systemid"}, Rows: [][]sql.NullString{{}}},
		{Columns: []string{"a", "b"}, Rows: [][]sql.NullString{{ns("1")}}},
		{Columns: []string{"timeline", "xlogpos"}, Rows: [][]sql.NullString{{ns("0"), ns("0/0")}}},
		{Columns: []string{"timeline", "xlogpos"}, Rows: [][]sql.NullString{{ns("-1"), ns("0/0")}}},
		{Columns: []string{"slot_type"}, Rows: [][]sql.NullString{{ns("physical")}, {ns("physical")}}},
	} {
		if _, err := ParseIdentifySystem(r); err == nil {
			t.Errorf("ParseIdentifySystem(%+v): no error", r)
		}
		ParseReadReplicationSlot(r)
		ParseCreateReplicationSlot(r)
		ParseTimelineHistory(r)
		parseShow(r)
	}
	info, err := ParseIdentifySystem(&Result{Columns: []string{"systemid", "timeline", "xlogpos", "dbname"},
		Rows: [][]sql.NullString{{ns("7"), ns("3"), ns("0/16B3748"), {}}}})
	if err != nil || info.Timeline != 3 || info.XLogPos != 0x16B3748 || info.SystemID != "7" {
		t.Errorf("ParseIdentifySystem: %+v, %v", info, err)
	}
	st, err := ParseReadReplicationSlot(&Result{Columns: []string{"slot_type", "restart_lsn", "restart_tli"},
		Rows: [][]sql.NullString{{{}, {}, {}}}})
	if err != nil || st.Exists {
		t.Errorf("ParseReadReplicationSlot of a missing slot: %+v, %v", st, err)
	}
}

// The error chains: a lost connection is matchable and keeps its cause; a
// broken Conn says it is closed and why.
func TestIsRetryable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&TransportError{Op: "read", Err: io.EOF}, true},
		{fmt.Errorf("wrapped: %w", &TransportError{Op: "write", Err: syscall.EPIPE}), true},
		{ErrServerShutdown, true},
		{&ServerError{Code: "55006"}, true},
		{&ServerError{Code: "57P01"}, true},
		{&ServerError{Code: "57P03"}, true},
		{&ServerError{Code: "08006"}, true},
		{&ServerError{Code: "42704"}, false},
		{&ServerError{Code: "28P01"}, false},
		{ErrProtocol, false},
		{ErrMessageTooLarge, false},
		{&codec.DecodeError{}, false},
		{context.Canceled, false},
		{&brokenError{&TransportError{Op: "read", Err: io.EOF}}, true},
		{ErrWoken, false},
	} {
		if got := IsRetryable(tc.err); got != tc.want {
			t.Errorf("IsRetryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// Conn.Close stops a running stream's status timer at once.
func TestConnCloseStopsTimer(t *testing.T) {
	_, c, s := fakeStream(t, nil) // wal_sender_timeout 60s: the timer ticks every 10s
	c.Close()
	select {
	case <-s.timerDone:
	case <-time.After(time.Second):
		t.Fatal("the stream's timer still runs 1s after Conn.Close")
	}
}

// A physical stream answers keepalives (it dereferenced a nil decoder).
func TestPhysicalKeepalive(t *testing.T) {
	fs := newFakeServer(t)
	c := fs.connect(t, nil)
	ctx := hostileCtx(t, 5*time.Second)
	s, err := c.StartPhysicalReplication(ctx, "", 0x1000000, 1)
	if err != nil {
		t.Fatal(err)
	}
	fs.send(fsKeepalive(0x2000000, true), fsXLogRaw(0x1000000, make([]byte, 64)))
	x, err := s.NextRaw(ctx)
	if err != nil || x.WALStart != 0x1000000 || len(x.Data) != 64 {
		t.Fatalf("NextRaw: %v %+v", err, x)
	}
	if _, ok := fs.waitUpdate(0, time.Second, func(u codec.StandbyStatusUpdate) bool { return true }); !ok {
		t.Error("no reply to a keepalive asking for one")
	}
	if err := s.SendHotStandbyFeedback(ctx, codec.HotStandbyFeedback{Xmin: 700, XminEpoch: 1}); err != nil {
		t.Errorf("SendHotStandbyFeedback: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	fs.mu.Lock()
	other := fs.otherCopyData
	fs.mu.Unlock()
	if len(other) != 1 || other[0][0] != codec.TagHotStandbyFeedback {
		t.Errorf("client CopyData other than status updates: %q, want one hot standby feedback", other)
	}
}

// Close racing the server's CopyDone: Close's interruption must not cut
// into the reader's answer to the CopyDone (it once left the session out
// of step, with "read interrupted" as the error). Close and Next end the
// stream cleanly and the session is ready for commands, whatever the
// timing.
func TestCloseAtServerCopyDone(t *testing.T) {
	for i := 0; i < 100; i++ {
		fs, c, s := fakeStream(t, nil)
		pump(t, fs, s)
		errc := make(chan error, 1)
		go func() {
			_, err := s.Next(context.Background())
			errc <- err
		}()
		fs.send(fsCopyDone())
		time.Sleep(time.Duration(i%20) * 10 * time.Microsecond)
		cerr := s.Close(hostileCtx(t, 2*time.Second))
		nerr := <-errc
		_, xerr := c.Exec(hostileCtx(t, time.Second), "SELECT 1")
		if cerr != nil || !errors.Is(nerr, ErrStreamEnded) || xerr != nil {
			t.Fatalf("round %d: Close: %v; Next: %v (want ErrStreamEnded); Exec after: %v", i, cerr, nerr, xerr)
		}
	}
}
