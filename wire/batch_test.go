package wire

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// batchedStream starts a fake stream with Config.Batching b; it skips where
// batching does not apply.
func batchedStream(t *testing.T, b Batching) (*fakeServer, *Conn, *Stream) {
	t.Helper()
	if !lowatSupported {
		t.Skip("read batching is not supported on this platform")
	}
	fs, c, s := fakeStream(t, func(_ *fakeServer, cfg *Config) { cfg.Batching = b })
	if c.batch == nil || !c.batch.streaming {
		t.Fatalf("batching is not armed for a TCP stream (batch %+v)", c.batch)
	}
	return fs, c, s
}

// TestBatchingFewerReads: a server that sends each transaction with its own
// write, faster than MinBytes fill within MaxDelay but slower than the
// client reads, is read in a few large reads, and every message arrives in
// order.
func TestBatchingFewerReads(t *testing.T) {
	const txns = 3000
	const delay = 200 * time.Millisecond
	fs, c, s := batchedStream(t, Batching{MinBytes: 16 << 10, MaxDelay: delay, Always: true})
	var sent int
	go func() {
		for i := 0; i < txns; i++ {
			begin := lsn.LSN(0x100000 + i*0x100)
			fs.send(fsTxn(uint32(1000+i), begin, begin+0x80)...)
			if i%10 == 9 {
				time.Sleep(100 * time.Microsecond)
			}
		}
		// The tail is below MinBytes: MaxDelay must release it.
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	t0 := time.Now()
	for i := 0; i < txns; i++ {
		for j, want := range []codec.MessageType{codec.TypeBegin, codec.TypeInsert, codec.TypeCommit} {
			m, err := s.Next(ctx)
			if err != nil {
				t.Fatalf("txn %d message %d: %v", i, j, err)
			}
			if m.MessageType() != want {
				t.Fatalf("txn %d message %d: %v, want %v", i, j, m.MessageType(), want)
			}
			if b, ok := m.(*codec.Begin); ok && b.Xid != uint32(1000+i) {
				t.Fatalf("txn %d: xid %d", i, b.Xid)
			}
			sent++
		}
	}
	bytes := txns * len(concat(fsTxn(1, 0x100000, 0x100080)))
	// Without batching this client reads about once per write (3000); with
	// it, about once per 16 KiB, plus a read per MaxDelay that expired (a
	// loaded machine sends slower).
	if max := bytes/(16<<10)*2 + int(time.Since(t0)/delay) + 20; c.batch.reads > max {
		t.Errorf("%d read calls for %d bytes in %d writes, want at most %d", c.batch.reads, bytes, txns, max)
	}
	if c.batch.mark != 16<<10 {
		t.Errorf("low-water mark %d, want %d", c.batch.mark, 16<<10)
	}
	t.Logf("%d messages, %d bytes, %d read calls", sent, bytes, c.batch.reads)
}

func concat(bs [][]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// TestBatchingQuietStream: with Always, a lone message on a quiet stream
// is held for MaxDelay at most: not lost, not held until MinBytes.
func TestBatchingQuietStream(t *testing.T) {
	const delay = 300 * time.Millisecond
	fs, _, s := batchedStream(t, Batching{MinBytes: 64 << 10, MaxDelay: delay, Always: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for round := 0; round < 3; round++ {
		begin := lsn.LSN(0x200000 + round*0x100)
		fs.send(fsTxn(uint32(round+1), begin, begin+0x80)...)
		t0 := time.Now()
		m, err := s.Next(ctx)
		took := time.Since(t0)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if m.MessageType() != codec.TypeBegin {
			t.Fatalf("round %d: %v", round, m.MessageType())
		}
		// The kernel does not wake the reader below the mark, so the
		// read waits out the delay; then it takes what is there.
		if took < delay*8/10 || took > delay+2*time.Second {
			t.Errorf("round %d: first message after %v, want about %v", round, took, delay)
		}
		for i := 0; i < 2; i++ {
			t0 = time.Now()
			if _, err := s.Next(ctx); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(t0); d > delay/2 {
				t.Errorf("round %d: a buffered message took %v", round, d)
			}
		}
	}
}

// TestBatchingHangUp: the end of the connection is noticed, at most about
// MaxDelay late.
func TestBatchingHangUp(t *testing.T) {
	fs, c, s := batchedStream(t, Batching{MinBytes: 64 << 10, MaxDelay: 50 * time.Millisecond, Always: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		time.Sleep(20 * time.Millisecond)
		fs.hangUp()
	}()
	t0 := time.Now()
	_, err := s.Next(ctx)
	if !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("Next: %v, want ErrConnectionLost", err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("hang-up noticed after %v", d)
	}
	expectBroken(t, c)
}

// TestBatchingCancel: a cancelled context ends a batched wait at once, not
// after MaxDelay, and the next call resumes the stream.
func TestBatchingCancel(t *testing.T) {
	fs, _, s := batchedStream(t, Batching{MinBytes: 64 << 10, MaxDelay: 10 * time.Second, Always: true})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	t0 := time.Now()
	_, err := s.Next(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Next: %v, want context.Canceled", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	// A deadline shorter than MaxDelay wins too.
	dctx, dcancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer dcancel()
	t0 = time.Now()
	if _, err := s.Next(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("deadline took %v", d)
	}
	// More than MinBytes: delivered without waiting for MaxDelay.
	var msgs [][]byte
	for i := 0; len(concat(msgs)) < 70<<10; i++ {
		begin := lsn.LSN(0x300000 + i*0x100)
		msgs = append(msgs, fsTxn(uint32(i+1), begin, begin+0x80)...)
	}
	fs.send(msgs...)
	rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer rcancel()
	t0 = time.Now()
	m, err := s.Next(rctx)
	if err != nil {
		t.Fatalf("Next after cancellation: %v", err)
	}
	if b, ok := m.(*codec.Begin); !ok || b.Xid != 1 {
		t.Fatalf("Next after cancellation: %v", m)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("a full batch took %v", d)
	}
}

// TestBatchingOffAfterStream: after Close, commands are not batched.
func TestBatchingOffAfterStream(t *testing.T) {
	_, c, s := batchedStream(t, Batching{MinBytes: 64 << 10, MaxDelay: 10 * time.Second, Always: true})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t0 := time.Now()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatalf("Exec: %v", err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("Close and a query took %v: still batched?", d)
	}
	if c.batch.on {
		t.Errorf("batching still on after Close")
	}
}

// TestBatchingApplies: only TCP sockets batch; the zero value is the
// adaptive default, -1 and 1 are off.
func TestBatchingApplies(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	unixDir := t.TempDir()
	unix, err := net.Listen("unix", unixDir+"/s")
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close()
	on := Batching{MinBytes: 4096}
	for _, tc := range []struct {
		name string
		ln   net.Listener
		b    Batching
		want bool
	}{
		{"tcp", tcp, on, lowatSupported},
		{"tcp-zero", tcp, Batching{}, lowatSupported},
		{"tcp-off", tcp, Batching{MinBytes: -1}, false},
		{"tcp-one", tcp, Batching{MinBytes: 1}, false},
		{"unix", unix, on, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := net.Dial(tc.ln.Addr().Network(), tc.ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			b := newBatchConn(nc, tc.b)
			if (b != nil) != tc.want {
				t.Fatalf("newBatchConn: %v, want batching %v", b != nil, tc.want)
			}
			if b != nil && b.delay != DefaultBatchDelay {
				t.Errorf("delay %v, want the default %v", b.delay, DefaultBatchDelay)
			}
			// A wrapper that hides the socket cannot batch.
			if b := newBatchConn(struct{ net.Conn }{nc}, tc.b); b != nil {
				t.Errorf("batching over a wrapped net.Conn")
			}
		})
	}
}

// TestBatchingAdaptiveQuiet: by default a lone change on a quiet stream is
// not held: reads take what is there.
func TestBatchingAdaptiveQuiet(t *testing.T) {
	const delay = 300 * time.Millisecond
	fs, c, s := batchedStream(t, Batching{MaxDelay: delay})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for round := 0; round < 5; round++ {
		begin := lsn.LSN(0x200000 + round*0x100)
		t0 := time.Now()
		fs.send(fsTxn(uint32(round+1), begin, begin+0x80)...)
		for i := 0; i < 3; i++ {
			if _, err := s.Next(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if took := time.Since(t0); took > delay/3 {
			t.Errorf("round %d: a lone transaction took %v (held for a batch?)", round, took)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c.batch.busy || c.batch.on {
		t.Errorf("a quiet stream turned batching on")
	}
}

// TestBatchingAdaptiveBusy: a busy stream is read in batches, and once it
// goes quiet a lone change is not held again (beyond the one read that
// waits out the delay and notices).
func TestBatchingAdaptiveBusy(t *testing.T) {
	const txns = 3000
	const delay = 200 * time.Millisecond
	fs, c, s := batchedStream(t, Batching{MinBytes: 16 << 10, MaxDelay: delay})
	go func() {
		for i := 0; i < txns; i++ {
			begin := lsn.LSN(0x100000 + i*0x100)
			fs.send(fsTxn(uint32(1000+i), begin, begin+0x80)...)
			if i%10 == 9 {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	t0 := time.Now()
	busy := false
	for i := 0; i < 3*txns; i++ {
		if _, err := s.Next(ctx); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		busy = busy || c.batch.on
	}
	bytes := txns * len(concat(fsTxn(1, 0x100000, 0x100080)))
	if !busy {
		t.Errorf("a stream of %d bytes in %v never batched", bytes, time.Since(t0))
	}
	if max := bytes/(16<<10)*4 + int(time.Since(t0)/delay) + 200; c.batch.reads > max {
		t.Errorf("%d batched reads for %d bytes", c.batch.reads, bytes)
	}
	// Quiet now: after at most one held read, lone changes come at once.
	held := 0
	for round := 0; round < 4; round++ {
		begin := lsn.LSN(0x900000 + round*0x100)
		t1 := time.Now()
		fs.send(fsTxn(uint32(round+1), begin, begin+0x80)...)
		for i := 0; i < 3; i++ {
			if _, err := s.Next(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if time.Since(t1) > delay/2 {
			held++
		}
		time.Sleep(20 * time.Millisecond)
	}
	if held > 1 {
		t.Errorf("%d of 4 lone transactions after the burst were held for a batch, want at most 1", held)
	}
	if c.batch.busy {
		t.Errorf("still busy after the stream went quiet")
	}
}
