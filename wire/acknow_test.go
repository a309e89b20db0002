package wire

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// AckNow sends the status update at once (the timer would wait 20 s with
// wal_sender_timeout 60s), with the acknowledged position as flush and
// never a larger one than the rules allow.
func TestAckNow(t *testing.T) {
	begin2 := fsXLog(0x60000, &codec.Begin{FinalLSN: 0x600f8, Xid: 9}) // a transaction left open
	for _, tc := range []struct {
		name      string
		send      [][]byte // after two transactions ending at 0/40100 and 0/50100
		ack       lsn.LSN
		wantFlush lsn.LSN
	}{
		{"first of two commits", nil, 0x40100, 0x40100},
		{"second commit", nil, 0x50100, 0x50100},
		{"past what arrived: clamped", nil, 0x9000000, 0x50100},
		{"keepalive ahead, a transaction open", [][]byte{begin2, fsKeepalive(0x90000, false)}, 0x50100, 0x50100},
		{"keepalive ahead, a commit not acknowledged", [][]byte{fsKeepalive(0x90000, false)}, 0x40100, 0x40100},
		// The idle rule, as for every update: everything delivered is
		// acknowledged and no transaction is open.
		{"keepalive ahead, all acknowledged", [][]byte{fsKeepalive(0x90000, false)}, 0x50100, 0x90000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, _, s := fakeStream(t, nil)
			pump(t, fs, s, append(append(fsTxn(3, 0x40000, 0x40100), fsTxn(4, 0x50000, 0x50100)...), tc.send...)...)
			n0 := len(fs.statusUpdates())
			start := time.Now()
			if err := s.AckNow(context.Background(), tc.ack); err != nil {
				t.Fatalf("AckNow: %v", err)
			}
			u, ok := fs.waitUpdate(n0, time.Second, func(codec.StandbyStatusUpdate) bool { return true })
			if !ok {
				t.Fatalf("no status update within 1s of AckNow")
			}
			t.Logf("update %v after AckNow began", time.Since(start))
			if u.Flush != tc.wantFlush || u.Apply != tc.wantFlush {
				t.Errorf("status flush %v apply %v, want %v", u.Flush, u.Apply, tc.wantFlush)
			}
			time.Sleep(50 * time.Millisecond)
			if us := fs.statusUpdates(); len(us) != n0+1 {
				t.Errorf("%d status updates after one AckNow, want 1: %+v", len(us)-n0, us[n0:])
			}
		})
	}
}

// An AckNow that moves nothing sends nothing; after the stream ended it
// says so and sends nothing.
func TestAckNowNoChange(t *testing.T) {
	fs, _, s := fakeStream(t, nil)
	pump(t, fs, s, fsTxn(3, 0x40000, 0x40100)...)
	ctx := hostileCtx(t, 2*time.Second)
	if err := s.AckNow(ctx, 0x40100); err != nil {
		t.Fatal(err)
	}
	if _, ok := fs.waitUpdate(0, time.Second, func(u codec.StandbyStatusUpdate) bool { return u.Flush == 0x40100 }); !ok {
		t.Fatal("no update for the first AckNow")
	}
	n := len(fs.statusUpdates())
	for _, pos := range []lsn.LSN{0x40100, 0x40000} {
		if err := s.AckNow(ctx, pos); err != nil {
			t.Errorf("AckNow(%v): %v", pos, err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if got := len(fs.statusUpdates()); got != n {
		t.Errorf("%d updates for AckNows that moved nothing", got-n)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	n = len(fs.statusUpdates())
	if err := s.AckNow(ctx, 0x40100); !errors.Is(err, ErrStreamEnded) {
		t.Errorf("AckNow after Close: %v, want ErrStreamEnded", err)
	}
	time.Sleep(20 * time.Millisecond)
	if got := len(fs.statusUpdates()); got != n {
		t.Errorf("AckNow after Close sent %d updates", got-n)
	}
}

// AckNow from another goroutine while the reader delivers and the timer
// ticks: updates never go backwards and never confirm past what was
// acknowledged. Run with -race.
func TestAckNowConcurrent(t *testing.T) {
	const txns = 200
	fs, _, s := fakeStream(t, func(fs *fakeServer, cfg *Config) { cfg.StatusInterval = 5 * time.Millisecond })
	commits := make(chan lsn.LSN, txns)
	go func() {
		for i := 0; i < txns; i++ {
			base := lsn.LSN(0x100000 + i*0x100)
			fs.send(fsTxn(uint32(100+i), base, base+0x80)...)
		}
	}()
	var acked sync.Map // positions AckNow was given
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for pos := range commits {
			acked.Store(pos, true)
			if err := s.AckNow(context.Background(), pos); err != nil {
				t.Errorf("AckNow(%v): %v", pos, err)
				return
			}
		}
	}()
	ctx := hostileCtx(t, 10*time.Second)
	for i := 0; i < 3*txns; i++ {
		m, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pos, ok := AckPosition(m, s.WALStart()); ok {
			commits <- pos
		}
	}
	close(commits)
	wg.Wait()
	last := lsn.LSN(0x100000 + (txns-1)*0x100 + 0x80)
	if _, ok := fs.waitUpdate(0, time.Second, func(u codec.StandbyStatusUpdate) bool { return u.Flush == last }); !ok {
		t.Errorf("the last AckNow's position %v never reported", last)
	}
	fs.checkMonotonic(t)
	for i, u := range fs.statusUpdates() {
		if _, ok := acked.Load(u.Flush); !ok && u.Flush != 0 && u.Flush != 0x1000 {
			t.Errorf("update %d confirms %v, which was never acknowledged", i, u.Flush)
		}
	}
}
