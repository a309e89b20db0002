package wire

import (
	"context"
	"time"
)

// ctxWatch interrupts reads when a context is cancelled. One registration
// serves every read with the same context (same Done channel), so waiting
// for the server allocates nothing per read.
type ctxWatch struct {
	done  <-chan struct{} // the watched context's Done channel
	stop  func() bool
	fired chan struct{} // closed once the callback has run
}

// watch makes sure a cancellation of ctx interrupts the next read.
func (c *Conn) watch(ctx context.Context) {
	done := ctx.Done()
	c.wlk.Lock()
	defer c.wlk.Unlock()
	if done == c.w.done {
		return
	}
	c.unwatchLocked()
	if done == nil {
		return
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.conn.SetReadDeadline(time.Unix(1, 0))
		close(fired)
	})
	c.w = ctxWatch{done: done, stop: stop, fired: fired}
}

// unwatch drops the registration, waiting for a callback already running
// so it cannot move the deadline of a later read.
func (c *Conn) unwatch() {
	c.wlk.Lock()
	defer c.wlk.Unlock()
	c.unwatchLocked()
}

func (c *Conn) unwatchLocked() {
	if c.w.stop != nil && !c.w.stop() {
		<-c.w.fired
	}
	c.w = ctxWatch{}
}
