package wire

import (
	"context"
	"sync"
	"time"
)

// ctxWatch interrupts a connection's reads when a context is cancelled, by
// moving the read deadline into the past. One registration serves every
// read with the same context (same Done channel), so waiting for the
// server allocates nothing per read.
type ctxWatch struct {
	interrupt func() // moves the read deadline into the past

	mu    sync.Mutex
	done  <-chan struct{} // the watched context's Done channel
	stop  func() bool
	fired chan struct{} // closed once the callback has run
}

// watch makes sure a cancellation of ctx interrupts the next read.
func (w *ctxWatch) watch(ctx context.Context) {
	done := ctx.Done()
	w.mu.Lock()
	defer w.mu.Unlock()
	if done == w.done {
		return
	}
	w.unwatchLocked()
	if done == nil {
		return
	}
	fired := make(chan struct{})
	interrupt := w.interrupt
	w.stop = context.AfterFunc(ctx, func() {
		interrupt()
		close(fired)
	})
	w.done, w.fired = done, fired
}

// unwatch drops the registration, waiting for a callback already running
// so it cannot move the deadline of a later read.
func (w *ctxWatch) unwatch() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.unwatchLocked()
}

func (w *ctxWatch) unwatchLocked() {
	if w.stop != nil && !w.stop() {
		<-w.fired
	}
	w.done, w.stop, w.fired = nil, nil, nil
}

// past is a deadline that has passed: setting it interrupts a blocked read
// or write at once.
var past = time.Unix(1, 0)
