package wire

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
)

// countUpdates splits the status updates the fake server got since the
// first skip into pings (reply requested) and the rest.
func countUpdates(fs *fakeServer, skip int) (pings, others int) {
	for _, u := range fs.statusUpdates()[skip:] {
		if u.ReplyRequested {
			pings++
		} else {
			others++
		}
	}
	return pings, others
}

// Config.StatusInterval: negative sends no periodic updates at all (the
// default would send one every 100 ms with wal_sender_timeout 300ms); the
// receive-timeout probe still pings when that is on.
func TestStatusIntervalNever(t *testing.T) {
	const watch = 900 * time.Millisecond
	for _, tc := range []struct {
		name           string
		receiveTimeout time.Duration
		minPings       int
		maxPings       int
	}{
		{"no probe", -1, 0, 0},
		{"probe every 100ms of silence", 300 * time.Millisecond, 3, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, _, _ := fakeStream(t, func(fs *fakeServer, cfg *Config) {
				fs.walSenderTimeout = "300ms"
				fs.answerPings = true
				cfg.StatusInterval = -1
				cfg.ReceiveTimeout = tc.receiveTimeout
			})
			n0 := len(fs.statusUpdates())
			time.Sleep(watch)
			pings, others := countUpdates(fs, n0)
			if others != 0 {
				t.Errorf("%d periodic status updates in %v with StatusInterval -1, want none", others, watch)
			}
			if pings < tc.minPings || pings > tc.maxPings {
				t.Errorf("%d pings in %v, want %d to %d", pings, watch, tc.minPings, tc.maxPings)
			}
		})
	}
}

// With no periodic updates, a keepalive asking for a reply is still
// answered, and a silent server is still detected.
func TestStatusIntervalNeverStillAnswers(t *testing.T) {
	const timeout = 400 * time.Millisecond
	fs, _, s := fakeStream(t, func(fs *fakeServer, cfg *Config) {
		cfg.StatusInterval = -1
		cfg.ReceiveTimeout = timeout
	})
	// A first keepalive moves the idle flush position, which Next reports
	// before it waits; the second, at the same position, moves nothing,
	// so an update after it is the answer it asked for.
	idle := func(what string) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := s.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Next after %s: %v, want the context's deadline", what, err)
		}
	}
	fs.send(fsKeepalive(0x5000, false))
	idle("a keepalive")
	n0 := len(fs.statusUpdates())
	fs.send(fsKeepalive(0x5000, true))
	idle("a keepalive asking for a reply")
	if u, ok := fs.waitUpdate(n0, time.Second, func(u codec.StandbyStatusUpdate) bool { return !u.ReplyRequested }); !ok {
		t.Errorf("no answer to a keepalive asking for one")
	} else if u.Flush != 0x5000 {
		t.Errorf("answer reports flush %v, want 0/5000", u.Flush)
	}
	// Nothing answers the pings now: the receive timeout ends the stream.
	start := time.Now()
	_, err := s.Next(hostileCtx(t, 10*time.Second))
	if !errors.Is(err, ErrReceiveTimeout) {
		t.Fatalf("Next on a silent server: %v, want ErrReceiveTimeout", err)
	}
	if took := time.Since(start); took > timeout+time.Second {
		t.Errorf("silence detected after %v, want about %v", took, timeout)
	}
}

// A small StatusInterval sends updates at about that rate, without
// pings when the receive timeout is off.
func TestStatusIntervalSmall(t *testing.T) {
	const interval, watch = 50 * time.Millisecond, time.Second
	fs, _, _ := fakeStream(t, func(fs *fakeServer, cfg *Config) {
		cfg.StatusInterval = interval
		cfg.ReceiveTimeout = -1
	})
	n0 := len(fs.statusUpdates())
	time.Sleep(watch)
	fs.mu.Lock()
	times := append([]time.Time(nil), fs.updateTimes[n0:]...)
	fs.mu.Unlock()
	pings, others := countUpdates(fs, n0)
	if pings != 0 {
		t.Errorf("%d pings with the receive timeout off", pings)
	}
	if others < 5 {
		t.Fatalf("%d status updates in %v with StatusInterval %v", others, watch, interval)
	}
	// The timer checks every interval/2, so a gap is interval to 1.5×.
	mean := times[len(times)-1].Sub(times[0]) / time.Duration(len(times)-1)
	t.Logf("%d updates in %v, mean gap %v", others, watch, mean)
	if mean < interval*9/10 || mean > interval*2 {
		t.Errorf("mean gap between status updates %v, want about %v", mean, interval)
	}
}

// streamTimes: Config.StatusInterval overrides the interval derived from
// wal_sender_timeout and leaves the receive timeout alone.
func TestStreamTimesStatusInterval(t *testing.T) {
	for _, tc := range []struct {
		wst, receive, status time.Duration
		interval, quiet      time.Duration
	}{
		{60 * time.Second, 0, 0, 20 * time.Second, 60 * time.Second},
		{-1, 0, 0, 10 * time.Second, DefaultReceiveTimeout},
		{60 * time.Second, 0, 2 * time.Second, 2 * time.Second, 60 * time.Second},
		{60 * time.Second, 0, -1, -1, 60 * time.Second},
		{0, -1, -1, -1, 0},
		{60 * time.Second, 5 * time.Second, time.Minute, time.Minute, 5 * time.Second},
	} {
		interval, quiet := streamTimes(tc.wst, tc.receive, tc.status)
		if interval != tc.interval || quiet != tc.quiet {
			t.Errorf("streamTimes(%v, %v, %v) = %v, %v; want %v, %v", tc.wst, tc.receive, tc.status, interval, quiet, tc.interval, tc.quiet)
		}
	}
}
