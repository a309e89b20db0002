package wire

import (
	"context"
	"errors"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// nextAsync runs one Next in the background.
func nextAsync(s *Stream) <-chan error {
	errc := make(chan error, 1)
	go func() {
		_, err := s.Next(context.Background())
		errc <- err
	}()
	return errc
}

// A Next blocked on a silent server returns ErrWoken promptly after Wake;
// the stream goes on and the next Next delivers what comes next.
func TestWakeBlockedNext(t *testing.T) {
	fs, _, s := fakeStream(t, func(fs *fakeServer, cfg *Config) { cfg.ReceiveTimeout = -1 })
	errc := nextAsync(s)
	time.Sleep(50 * time.Millisecond)
	woke := time.Now()
	s.Wake()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrWoken) {
			t.Fatalf("woken Next: %v, want ErrWoken", err)
		}
		if IsRetryable(err) {
			t.Errorf("IsRetryable(ErrWoken) = true")
		}
		t.Logf("Next returned %v after Wake", time.Since(woke))
	case <-time.After(time.Second):
		t.Fatal("Next still blocked 1s after Wake")
	}
	fs.send(fsTxn(3, 0x40000, 0x40100)...)
	m, err := s.Next(hostileCtx(t, 2*time.Second))
	if b, ok := m.(*codec.Begin); err != nil || !ok || b.Xid != 3 {
		t.Fatalf("Next after the wake: %v, %v; want Begin of xid 3", m, err)
	}
}

// A Wake with no Next running wakes the next call, once, even with data
// waiting; the data comes with the call after.
func TestWakeBeforeNext(t *testing.T) {
	fs, _, s := fakeStream(t, nil)
	pump(t, fs, s) // the stream is reading
	fs.send(fsXLog(0x50000, &codec.Begin{FinalLSN: 0x50100, Xid: 4}))
	s.Wake()
	s.Wake() // two before a call are one
	ctx := hostileCtx(t, 2*time.Second)
	if _, err := s.Next(ctx); !errors.Is(err, ErrWoken) {
		t.Fatalf("Next after Wake: %v, want ErrWoken", err)
	}
	m, err := s.Next(ctx)
	if b, ok := m.(*codec.Begin); err != nil || !ok || b.Xid != 4 || s.WALStart() != 0x50000 {
		t.Fatalf("Next after ErrWoken: %v, %v; want Begin of xid 4 at 0/50000", m, err)
	}
}

// A Wake while half a message has arrived: the half stays buffered and
// the message comes out whole from the next Next.
func TestWakeKeepsHalfMessage(t *testing.T) {
	fs, _, s := fakeStream(t, func(fs *fakeServer, cfg *Config) { cfg.ReceiveTimeout = -1 })
	msg := fsXLog(0x90000, &codec.Begin{FinalLSN: 0x90100, Xid: 7})
	errc := nextAsync(s)
	fs.sendRaw(msg[:10])
	time.Sleep(50 * time.Millisecond)
	s.Wake()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrWoken) {
			t.Fatalf("woken Next: %v, want ErrWoken", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Next still blocked 1s after Wake")
	}
	fs.sendRaw(msg[10:])
	m, err := s.Next(hostileCtx(t, 2*time.Second))
	if b, ok := m.(*codec.Begin); err != nil || !ok || b.Xid != 7 || s.WALStart() != 0x90000 {
		t.Fatalf("Next after the wake: %v, %v; want Begin of xid 7 at 0/90000", m, err)
	}
}

// Wakes racing with arriving messages, under both read paths: every
// message comes out once, in order, and the acknowledgements stay right.
func TestWakeRacesArrival(t *testing.T) {
	for _, b := range []Batching{{MinBytes: -1}, {Always: true}} {
		t.Run(map[bool]string{false: "unbatched", true: "batched"}[b.Always], func(t *testing.T) {
			const txns = 300
			fs, _, s := fakeStream(t, func(fs *fakeServer, cfg *Config) {
				cfg.ReceiveTimeout = -1
				cfg.Batching = b
			})
			go func() {
				rng := rand.New(rand.NewSource(1))
				for i := 0; i < txns; i++ {
					base := lsn.LSN(0x100000 + i*0x100)
					msgs := fsTxn(uint32(100+i), base, base+0x80)
					var raw []byte
					for _, m := range msgs {
						raw = append(raw, m...)
					}
					// Split at a random byte, so wakes also land mid-message.
					cut := rng.Intn(len(raw))
					fs.sendRaw(raw[:cut])
					time.Sleep(time.Duration(rng.Intn(300)) * time.Microsecond)
					fs.sendRaw(raw[cut:])
				}
			}()
			var wakes atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewSource(2))
				for {
					select {
					case <-stop:
						return
					case <-time.After(time.Duration(rng.Intn(500)) * time.Microsecond):
						s.Wake()
						wakes.Add(1)
					}
				}
			}()
			ctx := hostileCtx(t, 20*time.Second)
			woken := 0
			for i := 0; i < txns; i++ {
				base := lsn.LSN(0x100000 + i*0x100)
				want := []lsn.LSN{base, base + 8, base + 0x80}
				for j := 0; j < 3; {
					m, err := s.Next(ctx)
					if errors.Is(err, ErrWoken) {
						woken++
						continue
					}
					if err != nil {
						t.Fatalf("txn %d message %d: %v", i, j, err)
					}
					if s.WALStart() != want[j] {
						t.Fatalf("txn %d message %d: %v at %v, want one at %v (a message lost or repeated)",
							i, j, m.MessageType(), s.WALStart(), want[j])
					}
					if pos, ok := AckPosition(m, s.WALStart()); ok {
						s.Ack(pos)
					}
					j++
				}
			}
			close(stop)
			wg.Wait()
			t.Logf("%d wakes sent, %d Next calls woken, %d messages all in order", wakes.Load(), woken, 3*txns)
			if woken == 0 {
				t.Errorf("no Next was woken by %d wakes", wakes.Load())
			}
			if _, flush, _ := s.Positions(); flush != lsn.LSN(0x100000+(txns-1)*0x100+0x80) {
				t.Errorf("flush %v after acknowledging every commit", flush)
			}
		})
	}
}

// Wakes racing with Close never spoil the clean shutdown, and after the
// stream ended Wake does nothing.
func TestWakeRacesClose(t *testing.T) {
	for i := 0; i < 20; i++ {
		fs, c, s := fakeStream(t, func(fs *fakeServer, cfg *Config) { cfg.ReceiveTimeout = -1 })
		reading := i%2 == 0
		var errc <-chan error
		if reading {
			errc = nextAsync(s)
		}
		s.Wake() // pending, or taken by the reader
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					s.Wake()
					time.Sleep(50 * time.Microsecond)
				}
			}
		}()
		time.Sleep(time.Millisecond)
		err := s.Close(hostileCtx(t, 5*time.Second))
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatalf("round %d (reader %v): Close with wakes around: %v", i, reading, err)
		}
		if reading {
			if err := <-errc; !errors.Is(err, ErrStreamEnded) && !errors.Is(err, ErrWoken) {
				t.Errorf("round %d: the reader's Next: %v", i, err)
			}
		}
		fs.mu.Lock()
		done := fs.clientCopyDone
		fs.mu.Unlock()
		if !done {
			t.Errorf("round %d: no CopyDone sent", i)
		}
		s.Wake()
		if _, err := s.Next(hostileCtx(t, time.Second)); !errors.Is(err, ErrStreamEnded) {
			t.Errorf("round %d: Next after Close and Wake: %v, want ErrStreamEnded", i, err)
		}
		if _, err := c.Exec(hostileCtx(t, time.Second), "SELECT 1"); err != nil {
			t.Errorf("round %d: Exec after Close: %v", i, err)
		}
	}
}

// Wakes around the server's CopyDone never cut into the reads that answer
// it: Next reports ErrStreamEnded (after any number of ErrWoken), and the
// session is ready for commands.
func TestWakeAtServerCopyDone(t *testing.T) {
	for i := 0; i < 30; i++ {
		fs, c, s := fakeStream(t, nil)
		pump(t, fs, s)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					s.Wake()
					time.Sleep(20 * time.Microsecond)
				}
			}
		}()
		fs.send(fsCopyDone())
		ctx := hostileCtx(t, 2*time.Second)
		var err error
		for err = ErrWoken; errors.Is(err, ErrWoken); {
			_, err = s.Next(ctx)
		}
		close(stop)
		wg.Wait()
		if !errors.Is(err, ErrStreamEnded) {
			t.Fatalf("round %d: Next at the server's CopyDone: %v, want ErrStreamEnded", i, err)
		}
		if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatalf("round %d: Exec after the stream ended: %v", i, err)
		}
	}
}
