package wire

// Robustness tests against a hostile or broken server (see fakeserver_test.go).

import (
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

func hostileCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// frameHeader is a backend message header declaring length n.
func frameHeader(typ byte, n uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{typ}, n)
}

// expectBroken checks that the Conn refuses further commands.
func expectBroken(t *testing.T, c *Conn) {
	t.Helper()
	_, err := c.Exec(hostileCtx(t, time.Second), "SELECT 1")
	if !errors.Is(err, ErrClosed) {
		t.Errorf("Exec on a connection left in an unknown protocol state: got %v, want ErrClosed", err)
	}
}

// expectStuck checks that later Next calls return the same error.
func expectStuck(t *testing.T, s *Stream, first error) {
	t.Helper()
	for i := 0; i < 2; i++ {
		_, err := s.Next(hostileCtx(t, time.Second))
		if err != first {
			t.Errorf("later Next: %v, want the first error %v", err, first)
		}
	}
}

func TestHostileTruncatedFrameEOF(t *testing.T) {
	fs, c, s := fakeStream(t, nil)
	fs.sendRaw(append(frameHeader('d', 100), make([]byte, 20)...))
	time.Sleep(20 * time.Millisecond)
	fs.hangUp()
	_, err := s.Next(hostileCtx(t, 5*time.Second))
	if !errors.Is(err, ErrConnectionLost) || !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("Next: %v, want ErrConnectionLost mentioning EOF", err)
	}
	expectStuck(t, s, err)
	expectBroken(t, c)
}

func TestHostileOversizeSmallMax(t *testing.T) {
	fs, c, s := fakeStream(t, func(fs *fakeServer, cfg *Config) { cfg.MaxMessageSize = 1 << 20 })
	fs.sendRaw(append(frameHeader('d', 0x7fffffff), 'w', 1, 2, 3))
	start := time.Now()
	_, err := s.Next(hostileCtx(t, 5*time.Second))
	if !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("Next: %v, want ErrMessageTooLarge", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("ErrMessageTooLarge took %v: the client waited for the body", d)
	}
	if n := cap(c.rd.buf); n > 64<<10 {
		t.Errorf("read buffer grew to %d bytes", n)
	}
	expectStuck(t, s, err)
	expectBroken(t, c)
}

// With the default maximum (about 1 GiB; 0x7fffffff is above it and is
// rejected outright) a declared 1 GiB message is accepted, but the buffer
// must grow only with the bytes that really arrive.
func TestHostileOversizeDefaultMax(t *testing.T) {
	fs, c, s := fakeStream(t, nil)
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	fs.sendRaw(append(frameHeader('d', 1<<30), make([]byte, 100)...))
	time.Sleep(20 * time.Millisecond)
	fs.hangUp()
	_, err := s.Next(hostileCtx(t, 5*time.Second))
	runtime.ReadMemStats(&ms1)
	if !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("Next: %v, want ErrConnectionLost", err)
	}
	// At most double what arrived, plus the room a batched read is
	// offered (batching is on by default).
	if n := cap(c.rd.buf); n > max(minBuffer, 2*(105+c.rd.room)) {
		t.Errorf("read buffer grew to %d bytes for 105 bytes received (batch room %d)", n, c.rd.room)
	}
	if d := ms1.TotalAlloc - ms0.TotalAlloc; d > 1<<20 {
		t.Errorf("allocated %d bytes for 105 bytes received", d)
	}

	// And 0x7fffffff is above the default maximum.
	fs2, _, s2 := fakeStream(t, nil)
	fs2.sendRaw(append(frameHeader('d', 0x7fffffff), 1, 2, 3))
	if _, err := s2.Next(hostileCtx(t, 5*time.Second)); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("0x7fffffff with the default maximum: %v, want ErrMessageTooLarge", err)
	}
}

func TestHostileShortLength(t *testing.T) {
	for _, n := range []uint32{0, 3} {
		fs, c, s := fakeStream(t, nil)
		fs.sendRaw(frameHeader('d', n))
		_, err := s.Next(hostileCtx(t, 5*time.Second))
		if !errors.Is(err, ErrProtocol) {
			t.Fatalf("length %d: %v, want ErrProtocol", n, err)
		}
		expectStuck(t, s, err)
		expectBroken(t, c)
	}
}

func TestHostileUnknownBackendMessage(t *testing.T) {
	fs, c, s := fakeStream(t, nil)
	fs.send(fsMsg('Q', []byte("hi\x00")), fsKeepalive(0x9000, false))
	_, err := s.Next(hostileCtx(t, 5*time.Second))
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("Next: %v, want ErrProtocol", err)
	}
	expectStuck(t, s, err)
	expectBroken(t, c)
}

// An unknown CopyData sub-type ends the stream with ErrProtocol; the Conn
// must then be unusable: the server is still in COPY mode.
func TestHostileUnknownCopyDataType(t *testing.T) {
	fs, c, s := fakeStream(t, nil)
	fs.send(fsCopyData([]byte("x garbage")))
	_, err := s.Next(hostileCtx(t, 5*time.Second))
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("Next: %v, want ErrProtocol", err)
	}
	expectStuck(t, s, err)
	expectBroken(t, c) // BUG: stream.go next() does not call s.c.fail on this path
}

func TestHostileErrorResponseMidStream(t *testing.T) {
	fs, c, s := fakeStream(t, nil)
	fs.send(fsErrorFields('E', "FATAL", "57P01", "terminating connection due to administrator command"))
	_, err := s.Next(hostileCtx(t, 5*time.Second))
	var se *ServerError
	if !errors.As(err, &se) || se.Code != "57P01" || se.Severity != "FATAL" ||
		se.Message != "terminating connection due to administrator command" {
		t.Fatalf("Next: %#v, want *ServerError 57P01 FATAL", err)
	}
	expectStuck(t, s, err)
	expectBroken(t, c)
}

func TestHostileCommandCompleteWithoutCopyDone(t *testing.T) {
	fs, c, s := fakeStream(t, nil)
	fs.send(fsCommandComplete("START_REPLICATION"), fsReady())
	_, err := s.Next(hostileCtx(t, 5*time.Second))
	if !errors.Is(err, ErrServerShutdown) {
		t.Fatalf("Next: %v, want ErrServerShutdown", err)
	}
	expectStuck(t, s, err)
	expectBroken(t, c)
}

func TestHostileCloseDropsLateData(t *testing.T) {
	var notices atomic.Int32
	fs, c, s := fakeStream(t, func(fs *fakeServer, cfg *Config) {
		cfg.OnNotice = func(*Notice) { notices.Add(1) }
		fs.onCopyDone = func(fs *fakeServer) {
			fs.send(fsXLog(0x30000, &codec.Begin{FinalLSN: 0x30100, Xid: 9}), fsKeepalive(0x30000, true),
				fsCopyDone(),
				fsXLog(0x30008, fsInsert(1, "late")),
				fsErrorFields('N', "NOTICE", "00000", "late notice"),
				fsParam("application_name", "x"),
				fsCommandComplete("START_REPLICATION"), fsReady())
		}
	})
	ctx := hostileCtx(t, 5*time.Second)
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Next(ctx); !errors.Is(err, ErrStreamEnded) {
		t.Errorf("Next after Close: %v, want ErrStreamEnded", err)
	}
	if rs, err := c.Exec(ctx, "SHOW wal_sender_timeout"); err != nil || rs[0].Value(0, "wal_sender_timeout") != "60s" {
		t.Errorf("Exec after Close: %v %v", rs, err)
	}
	if notices.Load() != 1 {
		t.Logf("notices seen during Close: %d", notices.Load())
	}
	fs.checkMonotonic(t)
}

func TestHostileCloseGarbageAfterCopyDone(t *testing.T) {
	_, c, s := fakeStream(t, func(fs *fakeServer, cfg *Config) {
		fs.onCopyDone = func(fs *fakeServer) {
			fs.send(fsCopyDone(), fsMsg('x', []byte("junk")))
		}
	})
	start := time.Now()
	err := s.Close(hostileCtx(t, 5*time.Second))
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("Close: %v, want ErrProtocol", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("Close took %v", time.Since(start))
	}
	expectBroken(t, c) // BUG: drainToReady's protocol error does not fail the Conn
}

// pump sends msgs then a Relation marker (which touches no ack state) and
// reads up to the marker, so keepalives among msgs are processed without
// relying on a context timeout.
func pump(t *testing.T, fs *fakeServer, s *Stream, msgs ...[]byte) {
	t.Helper()
	marker := &codec.Relation{RelationID: 99, Name: []byte("marker"), ReplicaIdentity: 'd',
		Columns: []codec.RelationColumn{{Name: []byte("a"), TypeOID: 25, TypeMod: -1}}}
	fs.send(append(msgs, fsXLog(0, marker))...)
	ctx := hostileCtx(t, 5*time.Second)
	for {
		m, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("pump: %v", err)
		}
		if r, ok := m.(*codec.Relation); ok && r.RelationID == 99 {
			return
		}
	}
}

func TestHostileKeepaliveReplyIdle(t *testing.T) {
	fs, _, s := fakeStream(t, nil)
	const x = lsn.LSN(0x50000)
	sent := time.Now()
	pump(t, fs, s, fsKeepalive(x, true))
	u, ok := fs.waitUpdate(0, time.Second, func(codec.StandbyStatusUpdate) bool { return true })
	if !ok {
		t.Fatal("no status update within 1s of a keepalive asking for one")
	}
	fs.mu.Lock()
	d := fs.updateTimes[0].Sub(sent)
	fs.mu.Unlock()
	if d > time.Second {
		t.Errorf("reply after %v", d)
	}
	if u.Write != x || u.Flush != x || u.Apply != x {
		t.Errorf("idle reply %v/%v/%v, want %v for all three", u.Write, u.Flush, u.Apply, x)
	}
	fs.checkMonotonic(t)
}

func TestHostileOpenTransactionRule(t *testing.T) {
	fs, _, s := fakeStream(t, nil)
	const begin, end, x1, x2 = lsn.LSN(0x60000), lsn.LSN(0x60100), lsn.LSN(0x70000), lsn.LSN(0x80000)
	txn := fsTxn(5, begin, end)
	ctx := hostileCtx(t, 5*time.Second)
	pump(t, fs, s, txn[0], txn[1], fsKeepalive(x1, true))
	u, ok := fs.waitUpdate(0, time.Second, func(codec.StandbyStatusUpdate) bool { return true })
	if !ok {
		t.Fatal("no reply to keepalive")
	}
	if u.Flush != 0 || u.Apply != 0 {
		t.Errorf("open transaction, nothing acked: flush %v apply %v, want 0", u.Flush, u.Apply)
	}
	if u.Write > x1 {
		t.Errorf("write %v beyond the server's end %v", u.Write, x1)
	}
	n := len(fs.statusUpdates())
	fs.send(txn[2])
	m, err := s.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pos, ok := AckPosition(m, s.WALStart())
	if !ok || pos != end {
		t.Fatalf("AckPosition %v %v", pos, ok)
	}
	// Before the ack, a keepalive must not move flush past what was acked.
	pump(t, fs, s, fsKeepalive(x2-1, true))
	if u, ok := fs.waitUpdate(n, time.Second, func(codec.StandbyStatusUpdate) bool { return true }); !ok || u.Flush != 0 {
		t.Errorf("unacked commit: update %+v %v, want flush 0", u, ok)
	}
	for _, u := range fs.statusUpdates() {
		if u.Flush != 0 {
			t.Errorf("flush %v reported before anything was acked", u.Flush)
		}
	}
	n = len(fs.statusUpdates())
	s.Ack(pos)
	pump(t, fs, s, fsKeepalive(x2, true))
	u, ok = fs.waitUpdate(n, time.Second, func(u codec.StandbyStatusUpdate) bool { return u.Flush == x2 })
	if !ok || u.Flush != x2 || u.Write != x2 || u.Apply != x2 {
		t.Errorf("after Commit+Ack and keepalive %v: %+v %v", x2, u, ok)
	}
	fs.checkMonotonic(t)
}

// Several goroutines send status updates while the consumer acks: what the
// server receives must never go backwards.
func TestHostileStatusMonotonicConcurrent(t *testing.T) {
	fs, _, s := fakeStream(t, nil)
	const txns = 400
	var script [][]byte
	for i := 0; i < txns; i++ {
		b := lsn.LSN(0x100000 + i*0x100)
		script = append(script, fsTxn(uint32(i+1), b, b+0x80)...)
	}
	fs.send(script...)
	ctx := hostileCtx(t, 20*time.Second)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.SendStatus(ctx, false); err != nil {
					return
				}
			}
		}()
	}
	for i := 0; i < 3*txns; i++ {
		m, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pos, ok := AckPosition(m, s.WALStart()); ok {
			s.Ack(pos)
		}
	}
	close(stop)
	wg.Wait()
	time.Sleep(50 * time.Millisecond)
	fs.checkMonotonic(t)
}

func TestHostileMalformedPgoutput(t *testing.T) {
	fs, _, s := fakeStream(t, nil)
	const at = lsn.LSN(0xABC0000)
	fs.send(fsXLogRaw(at, []byte{'I', 0, 0})) // Insert cut inside the relation OID
	_, err := s.Next(hostileCtx(t, 5*time.Second))
	var de *codec.DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("Next: %v, want a *codec.DecodeError", err)
	}
	if !strings.Contains(err.Error(), at.String()) {
		t.Errorf("error %q does not name the WAL position %v", err, at)
	}
}

func TestHostileStatusTimerWithoutReads(t *testing.T) {
	fs, _, _ := fakeStream(t, func(fs *fakeServer, cfg *Config) { fs.walSenderTimeout = "300ms" })
	n0 := len(fs.statusUpdates())
	time.Sleep(1500 * time.Millisecond)
	if n := len(fs.statusUpdates()) - n0; n < 3 {
		t.Errorf("%d status updates in 1.5s with wal_sender_timeout 300ms, want >= 3", n)
	}
}

// A context that expires while Next waits must leave the stream resumable:
// "after ctx's error Next can be called again and resumes where it was".
func TestHostileNextTimeoutResumable(t *testing.T) {
	fs, _, s := fakeStream(t, nil)
	for i := 0; i < 200; i++ {
		_, err := s.Next(hostileCtx(t, time.Millisecond))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("iteration %d: Next: %v, want context.DeadlineExceeded (stream now dead)", i, err)
		}
	}
	// Half a message, a timeout, the rest: the message comes out whole.
	msg := fsXLog(0x90000, &codec.Begin{FinalLSN: 0x90100, Xid: 3})
	fs.sendRaw(msg[:10])
	if _, err := s.Next(hostileCtx(t, 100*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next: %v", err)
	}
	fs.sendRaw(msg[10:])
	m, err := s.Next(hostileCtx(t, 2*time.Second))
	if b, ok := m.(*codec.Begin); err != nil || !ok || b.Xid != 3 || s.WALStart() != 0x90000 {
		t.Fatalf("resumed Next: %v %v", m, err)
	}
}

// A keepalive already buffered when Next is called with an expired context:
// the reply's write must not kill the stream with a non-context error.
func TestHostileKeepaliveReplyExpiredContext(t *testing.T) {
	fs, _, s := fakeStream(t, nil)
	fs.send(fsXLog(0xA0000, &codec.Begin{FinalLSN: 0xA0100, Xid: 4}), fsKeepalive(0xA0000, true),
		fsXLog(0xA0008, fsInsert(1, "a")))
	if _, err := s.Next(hostileCtx(t, 2*time.Second)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := s.Next(expired)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next with an expired context: %v, want the context's error (stream killed)", err)
	}
	if _, err := s.Next(hostileCtx(t, 2*time.Second)); err != nil {
		t.Errorf("Next after an expired context: %v", err)
	}
}

// StartReplication whose context expires before CopyBothResponse: the
// session is mid-command and must not be handed out again.
func TestHostileStartReplicationTimeout(t *testing.T) {
	fs := newFakeServer(t)
	fs.copyBothDelay = 300 * time.Millisecond
	c := fs.connect(t, nil)
	_, err := c.StartReplication(hostileCtx(t, 150*time.Millisecond), "s1", 0, LogicalOptions{Publications: []string{"pub"}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("StartReplication: %v, want DeadlineExceeded", err)
	}
	expectBroken(t, c) // BUG: stream.go start() releases without c.fail on a read error
}

// Next with an expired context after an Ack, nothing buffered: the progress
// report Next sends before waiting must not kill the stream either.
func TestHostileAckThenExpiredContext(t *testing.T) {
	fs, _, s := fakeStream(t, nil)
	pump(t, fs, s, fsTxn(2, 0xB0000, 0xB0100)...)
	s.Ack(0xB0100)
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if _, err := s.Next(expired); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next with an expired context: %v, want the context's error", err)
	}
	fs.send(fsXLog(0xC0000, &codec.Begin{FinalLSN: 0xC0100, Xid: 5}))
	if _, err := s.Next(hostileCtx(t, 2*time.Second)); err != nil {
		t.Errorf("Next after an expired context: %v", err)
	}
}
