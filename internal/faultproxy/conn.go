package faultproxy

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

const (
	chunkSize  = 32 << 10        // most bytes read or written at once
	maxQueued  = 4 << 20         // most bytes read ahead of the writer in one direction
	drainGrace = 2 * time.Second // how long a FIN cut waits for the peers to close
	flushWait  = 2 * time.Second // how long an RST cut waits for forwarded bytes to be acknowledged
)

// end is why a connection ends; set once.
type end int

const (
	endNone   end = iota
	endFIN        // cut with FIN
	endRST        // cut with RST, or a peer reset / failed write propagated
	endNormal     // both directions saw EOF and forwarded it
	endClose      // the proxy is closing
)

func endFor(m CutMode) end {
	if m == FIN {
		return endFIN
	}
	return endRST
}

// pipe is one direction: a reader goroutine fills q from src, a writer
// goroutine empties it into dst.
type pipe struct {
	src, dst *net.TCPConn

	q         [][]byte  // chunks read, not yet forwarded, oldest first
	held      int       // bytes in q
	eof       bool      // src said EOF; forward it once q is empty
	failed    bool      // reading src failed (a reset); pass it on once q is empty
	stall     StallMode // 0: flowing
	limit     int64     // committed offset at which to cut; -1: none
	limitMode CutMode
	committed int64 // bytes taken from q to write: the offset of the next chunk
	sent      int64 // bytes written to dst
	dropped   int64
	shutWrite bool // the EOF was forwarded

	readerDone, writerDone chan struct{}
}

// Conn is one proxied connection: a client accepted by the Proxy and the
// connection the proxy dialed to the target for it. Its methods are safe
// for concurrent use; on a connection that has ended they do nothing.
type Conn struct {
	p              *Proxy
	id             int
	client, server *net.TCPConn

	mu    sync.Mutex
	cond  sync.Cond // signalled on every change below
	pipes [2]pipe
	hook  Hook
	end   end
	ended chan struct{} // closed when end is set
	done  chan struct{} // closed when both sockets are closed and every goroutine is gone
}

func newConn(p *Proxy, client, server *net.TCPConn) *Conn {
	c := &Conn{p: p, client: client, server: server, ended: make(chan struct{}), done: make(chan struct{})}
	c.cond.L = &c.mu
	c.pipes[0] = pipe{src: client, dst: server}
	c.pipes[1] = pipe{src: server, dst: client}
	for i := range c.pipes {
		c.pipes[i].limit = -1
		c.pipes[i].readerDone = make(chan struct{})
		c.pipes[i].writerDone = make(chan struct{})
	}
	return c
}

// ID is the connection's index in accept order, counting from 0, among the
// connections the proxy forwarded (refused ones are not counted); it is the
// n of WaitConn.
func (c *Conn) ID() int { return c.id }

// Done is closed once the connection is over: both sockets closed and all
// its goroutines gone.
func (c *Conn) Done() <-chan struct{} { return c.done }

// ConnStats counts one connection's bytes.
type ConnStats struct {
	Up, Down               int64 // forwarded (counted as each write begins)
	HeldUp, HeldDown       int64 // read by the proxy, not yet forwarded
	DroppedUp, DroppedDown int64 // thrown away by Drop stalls
}

// Stats returns the connection's counters.
func (c *Conn) Stats() ConnStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, d := &c.pipes[0], &c.pipes[1]
	return ConnStats{
		Up: u.sent, Down: d.sent,
		HeldUp: int64(u.held), HeldDown: int64(d.held),
		DroppedUp: u.dropped, DroppedDown: d.dropped,
	}
}

// CutAfter cuts the connection, with FIN or RST, as soon as exactly n more
// bytes have been forwarded in direction d (counted from the bytes already
// handed on when CutAfter is called): those n bytes are delivered, none
// after them. With Both each direction gets its own offset and the first
// reached cuts. n == 0 cuts at once; n < 0 or NoCut clears the offset.
func (c *Conn) CutAfter(d Dir, n int64, m CutMode) {
	m.check()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.end != endNone {
		return
	}
	for _, i := range d.pipes() {
		pp := &c.pipes[i]
		switch {
		case n < 0 || m == NoCut:
			pp.limit = -1
		case n == 0:
			c.finish(endFor(m))
			return
		default:
			pp.limit, pp.limitMode = pp.committed+n, m
		}
	}
	c.cond.Broadcast()
}

// Cut cuts the connection now, with FIN or RST. Bytes already being
// written when Cut is called are still delivered; bytes held by a stall are
// not. NoCut does nothing.
func (c *Conn) Cut(m CutMode) {
	m.check()
	if m == NoCut {
		return
	}
	c.mu.Lock()
	c.finish(endFor(m))
	c.mu.Unlock()
}

// Stall stops forwarding in direction d, in mode s, until Resume. A chunk
// already being written when Stall is called is completed.
func (c *Conn) Stall(d Dir, s StallMode) {
	s.check()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, i := range d.pipes() {
		pp := &c.pipes[i]
		pp.stall = s
		if s == Drop {
			pp.dropped += int64(pp.held)
			pp.q, pp.held = nil, 0
		}
	}
	c.cond.Broadcast()
}

// BlackHole is Stall(Both, Drop): both directions silently dropped while
// the sockets stay open, like a dead network path.
func (c *Conn) BlackHole() { c.Stall(Both, Drop) }

// Resume ends a stall in direction d; held bytes are delivered first, in
// order.
func (c *Conn) Resume(d Dir) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, i := range d.pipes() {
		c.pipes[i].stall = 0
	}
	c.cond.Broadcast()
}

// SetHook sets the hook shown each chunk from now on; nil removes it.
func (c *Conn) SetHook(h Hook) {
	c.mu.Lock()
	c.hook = h
	c.mu.Unlock()
}

// heal resumes both directions, clears the cut offsets and the hook.
func (c *Conn) heal() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.pipes {
		c.pipes[i].stall = 0
		c.pipes[i].limit = -1
	}
	c.hook = nil
	c.cond.Broadcast()
}

// apply sets the proxy's rules for a new connection (before run).
func (c *Conn) apply(r *rules) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hook = r.hook
	for i := range c.pipes {
		c.pipes[i].stall = r.stall[i]
		if r.cutAt[i] >= 0 {
			c.pipes[i].limit, c.pipes[i].limitMode = r.cutAt[i], r.cutMode[i]
			if r.cutAt[i] == 0 {
				c.finish(endFor(r.cutMode[i]))
			}
		}
	}
}

// finish records why the connection ends, if nothing did before; c.mu held.
func (c *Conn) finish(e end) {
	if c.end != endNone {
		return
	}
	c.end = e
	close(c.ended)
	c.cond.Broadcast()
}

func (c *Conn) over() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// read is pipe i's reader goroutine.
func (c *Conn) read(i int) {
	pp := &c.pipes[i]
	defer close(pp.readerDone)
	buf := make([]byte, chunkSize)
	for {
		c.mu.Lock()
		for c.end == endNone && (pp.stall == Block || pp.held >= maxQueued) {
			c.cond.Wait()
		}
		// After a FIN cut, read and discard until the peer closes, so
		// unread bytes do not turn our close into a reset.
		stop := c.end != endNone && c.end != endFIN
		c.mu.Unlock()
		if stop {
			return
		}
		n, err := pp.src.Read(buf)
		c.mu.Lock()
		if n > 0 && c.end == endNone {
			if pp.stall == Drop {
				pp.dropped += int64(n)
			} else {
				pp.q = append(pp.q, append([]byte(nil), buf[:n]...))
				pp.held += n
				c.cond.Broadcast()
			}
		}
		if err != nil {
			// A FIN or a reset travels like the bytes: after those held
			// and not before a stall ends.
			if errors.Is(err, io.EOF) {
				pp.eof = true
			} else {
				pp.failed = true
			}
			c.cond.Broadcast()
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
}

// write is pipe i's writer goroutine.
func (c *Conn) write(i int) {
	pp := &c.pipes[i]
	defer close(pp.writerDone)
	for {
		c.mu.Lock()
		for c.end == endNone && (pp.stall != 0 || (pp.held == 0 && !pp.eof && !pp.failed)) {
			c.cond.Wait()
		}
		if c.end != endNone {
			c.mu.Unlock()
			return
		}
		if pp.held == 0 && pp.failed { // src was reset: reset dst too
			c.finish(endRST)
			c.mu.Unlock()
			return
		}
		if pp.held == 0 { // EOF, and everything before it forwarded
			c.mu.Unlock()
			err := pp.dst.CloseWrite()
			c.mu.Lock()
			if err != nil {
				c.finish(endRST)
			} else {
				pp.shutWrite = true
				if c.pipes[1-i].shutWrite {
					c.finish(endNormal)
				}
			}
			c.mu.Unlock()
			return
		}
		chunk := pp.q[0]
		k := len(chunk)
		cut := NoCut
		if pp.limit >= 0 {
			left := pp.limit - pp.committed
			if left <= 0 { // not reached: CutAfter(0) cuts at once
				c.finish(endFor(pp.limitMode))
				c.mu.Unlock()
				return
			}
			if int64(k) >= left {
				k, cut = int(left), pp.limitMode
			}
		}
		if k < len(chunk) {
			pp.q[0] = chunk[k:]
		} else {
			pp.q[0] = nil
			pp.q = pp.q[1:]
		}
		chunk = chunk[:k:k]
		pp.held -= k
		off := pp.committed
		pp.committed += int64(k)
		hook := c.hook
		c.cond.Broadcast() // room in q for the reader
		c.mu.Unlock()

		if hook != nil {
			if n, hc := hook(c, dirOf(i), off, chunk); hc != NoCut {
				hc.check()
				chunk, cut = chunk[:max(0, min(n, k))], hc
			}
		}
		if len(chunk) > 0 {
			// Count first, so a peer never holds bytes the counters do not
			// show yet; take back what a failed write did not deliver.
			c.mu.Lock()
			stop := c.end != endNone
			if !stop {
				pp.sent += int64(len(chunk))
				c.p.bytes[i].Add(int64(len(chunk)))
			}
			c.mu.Unlock()
			if stop {
				return
			}
			n, err := pp.dst.Write(chunk)
			if err != nil {
				c.mu.Lock()
				pp.sent -= int64(len(chunk) - n)
				c.p.bytes[i].Add(-int64(len(chunk) - n))
				c.finish(endRST)
				c.mu.Unlock()
				return
			}
		}
		if cut != NoCut {
			c.mu.Lock()
			c.finish(endFor(cut))
			c.mu.Unlock()
			return
		}
	}
}

// run forwards until the connection ends, then tears it down. It is the
// goroutine the proxy started for the connection.
func (c *Conn) run() {
	defer c.p.wg.Done()
	for i := range c.pipes {
		go c.read(i)
		go c.write(i)
	}
	ctx := c.p.ctx
	select {
	case <-c.ended:
	case <-ctx.Done():
		c.mu.Lock()
		c.finish(endClose)
		c.mu.Unlock()
	}
	c.mu.Lock()
	e := c.end
	c.mu.Unlock()
	if e == endFIN || e == endRST {
		c.cut(ctx, e)
	}
	c.client.Close()
	c.server.Close()
	for i := range c.pipes {
		<-c.pipes[i].readerDone
		<-c.pipes[i].writerDone
	}
	c.mu.Lock()
	for i := range c.pipes {
		c.pipes[i].q, c.pipes[i].held = nil, 0
	}
	c.mu.Unlock()
	close(c.done)
}

// cut carries out a FIN or RST cut; it returns early if ctx (the proxy's)
// ends. The caller closes both sockets afterwards.
func (c *Conn) cut(ctx context.Context, e end) {
	now := time.Now()
	c.client.SetWriteDeadline(now) // unblock writes in progress
	c.server.SetWriteDeadline(now)
	if !wait(ctx, c.pipes[0].writerDone) || !wait(ctx, c.pipes[1].writerDone) {
		return
	}
	if e == endRST {
		if !flushed(ctx, c.client) || !flushed(ctx, c.server) {
			return
		}
		c.client.SetLinger(0)
		c.server.SetLinger(0)
		return
	}
	c.client.CloseWrite()
	c.server.CloseWrite()
	dl := time.Now().Add(drainGrace)
	c.client.SetReadDeadline(dl)
	c.server.SetReadDeadline(dl)
	if wait(ctx, c.pipes[0].readerDone) {
		wait(ctx, c.pipes[1].readerDone)
	}
}

// wait waits for ch to close; false if ctx ended first.
func wait(ctx context.Context, ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	}
}

// flushed waits until the kernel holds no unacknowledged bytes for conn,
// for at most flushWait; false if ctx ended first. Where the count cannot
// be had it returns at once.
func flushed(ctx context.Context, conn *net.TCPConn) bool {
	if n, ok := unsent(conn); !ok || n == 0 {
		return true
	}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	give := time.NewTimer(flushWait)
	defer give.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-give.C:
			return true
		case <-tick.C:
			if n, ok := unsent(conn); !ok || n == 0 {
				return true
			}
		}
	}
}
