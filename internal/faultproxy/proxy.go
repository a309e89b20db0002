package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrClosed is returned by WaitConn once the proxy is closed.
var ErrClosed = errors.New("faultproxy: proxy closed")

// dialTimeout bounds the dial to the target for each accepted client.
const dialTimeout = 5 * time.Second

// Proxy accepts clients on 127.0.0.1 and forwards each to the target. Its
// fault methods apply to every current connection and set the rule for the
// connections accepted after the call; a Conn's own methods apply to that
// connection alone. All methods are safe for concurrent use.
type Proxy struct {
	ln     *net.TCPListener
	target string
	ctx    context.Context // ends when Close begins
	cancel context.CancelFunc
	wg     sync.WaitGroup // the accept loop and one goroutine per client

	bytes                        [2]atomic.Int64 // forwarded up, down
	accepted, refused, dialFails atomic.Int64

	mu          sync.Mutex
	closed      bool
	conns       []*Conn       // every forwarded connection, in accept order
	added       chan struct{} // closed (and replaced) when conns grows, closed by Close
	rules       rules         // for connections still to come
	refuse      bool
	refuseUntil time.Time
}

// rules are the faults a new connection starts with.
type rules struct {
	stall   [2]StallMode
	cutAt   [2]int64 // offset from the start; -1: none
	cutMode [2]CutMode
	hook    Hook
}

func noRules() rules { return rules{cutAt: [2]int64{-1, -1}} }

// New starts a proxy listening on 127.0.0.1 (a free port) that forwards
// every client to target, a loopback host:port ("127.0.0.1:5432",
// "[::1]:5432" or "localhost:5432"). Anything off loopback is refused,
// when given and when dialed.
func New(target string) (*Proxy, error) {
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: target %q: %w", target, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("faultproxy: target %q is not a loopback address", target)
	}
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("faultproxy: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{
		ln: ln, target: target, ctx: ctx, cancel: cancel,
		added: make(chan struct{}), rules: noRules(),
	}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the address clients dial, 127.0.0.1:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Close stops accepting, closes every connection at once (no cut, no
// draining) and returns when every goroutine of the proxy has ended.
// Calling it again does nothing.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return nil
	}
	p.closed = true
	close(p.added)
	p.mu.Unlock()
	p.cancel()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		cl, err := p.ln.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors and the like: wait a little, or for Close.
			t := time.NewTimer(10 * time.Millisecond)
			select {
			case <-p.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		p.accepted.Add(1)
		if p.refusing() {
			p.refused.Add(1)
			reset(cl)
			continue
		}
		p.wg.Add(1)
		go p.handle(cl)
	}
}

// handle dials the target for client cl and runs the connection.
func (p *Proxy) handle(cl *net.TCPConn) {
	d := net.Dialer{Timeout: dialTimeout, Control: loopbackOnly}
	sc, err := d.DialContext(p.ctx, "tcp", p.target)
	if err != nil {
		p.dialFails.Add(1)
		reset(cl)
		p.wg.Done()
		return
	}
	c := newConn(p, cl, sc.(*net.TCPConn))
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		cl.Close()
		sc.Close()
		p.wg.Done()
		return
	}
	c.id = len(p.conns)
	c.apply(&p.rules)
	p.conns = append(p.conns, c)
	close(p.added)
	p.added = make(chan struct{})
	p.mu.Unlock()
	c.run()
}

// loopbackOnly refuses to dial anything but a loopback address, whatever a
// name resolved to.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("faultproxy: %s is not a loopback address", address)
	}
	return nil
}

// reset closes conn with an RST.
func reset(conn *net.TCPConn) {
	conn.SetLinger(0)
	conn.Close()
}

func (p *Proxy) refusing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refuse || time.Now().Before(p.refuseUntil)
}

// WaitConn returns the proxy's n-th forwarded connection (counting from 0,
// in accept order; see Conn.ID), waiting for it to be accepted and dialed.
// It returns ctx's error if ctx ends first and ErrClosed if the proxy is
// closed before.
func (p *Proxy) WaitConn(ctx context.Context, n int) (*Conn, error) {
	for {
		p.mu.Lock()
		if n < len(p.conns) {
			c := p.conns[n]
			p.mu.Unlock()
			return c, nil
		}
		closed, added := p.closed, p.added
		p.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-added:
		}
	}
}

// Conns returns the connections not yet over, in accept order.
func (p *Proxy) Conns() []*Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	var open []*Conn
	for _, c := range p.conns {
		if !c.over() {
			open = append(open, c)
		}
	}
	return open
}

// each calls f for every connection; p.mu held.
func (p *Proxy) each(f func(*Conn)) {
	for _, c := range p.conns {
		f(c)
	}
}

// Stats counts a proxy's connections and bytes.
type Stats struct {
	Accepted  int64 // clients accepted, refused ones included
	Refused   int64 // reset at once while refusing
	DialFails int64 // reset at once because the target could not be dialed
	Up, Down  int64 // bytes forwarded, all connections
}

// Stats returns the proxy's counters.
func (p *Proxy) Stats() Stats {
	return Stats{
		Accepted:  p.accepted.Load(),
		Refused:   p.refused.Load(),
		DialFails: p.dialFails.Load(),
		Up:        p.bytes[0].Load(),
		Down:      p.bytes[1].Load(),
	}
}

// CutAfter is Conn.CutAfter on every current connection; every later
// connection is cut once n bytes from its start have been forwarded in
// direction d. n < 0 or NoCut clears the rule.
func (p *Proxy) CutAfter(d Dir, n int64, m CutMode) {
	m.check()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, i := range d.pipes() {
		if n < 0 || m == NoCut {
			p.rules.cutAt[i] = -1
		} else {
			p.rules.cutAt[i], p.rules.cutMode[i] = n, m
		}
	}
	p.each(func(c *Conn) { c.CutAfter(d, n, m) })
}

// Cut cuts every current connection now (Conn.Cut); later ones are not
// affected.
func (p *Proxy) Cut(m CutMode) {
	m.check()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.each(func(c *Conn) { c.Cut(m) })
}

// Stall stalls direction d of every current connection, and of every later
// one until Resume.
func (p *Proxy) Stall(d Dir, s StallMode) {
	s.check()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, i := range d.pipes() {
		p.rules.stall[i] = s
	}
	p.each(func(c *Conn) { c.Stall(d, s) })
}

// BlackHole is Stall(Both, Drop).
func (p *Proxy) BlackHole() { p.Stall(Both, Drop) }

// Resume ends the stall of direction d for every connection, current and
// later.
func (p *Proxy) Resume(d Dir) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, i := range d.pipes() {
		p.rules.stall[i] = 0
	}
	p.each(func(c *Conn) { c.Resume(d) })
}

// SetHook sets the hook of every connection, current and later; nil
// removes it.
func (p *Proxy) SetHook(h Hook) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules.hook = h
	p.each(func(c *Conn) { c.SetHook(h) })
}

// Refuse makes the proxy reset every new client as soon as it is accepted,
// like a server that is down, until Admit. The client's connect may fail
// with ECONNRESET, or succeed and its first read or write fail so.
func (p *Proxy) Refuse() {
	p.mu.Lock()
	p.refuse = true
	p.mu.Unlock()
}

// RefuseFor refuses new clients, as Refuse does, for the period d from now
// (unless Refuse or Admit is called).
func (p *Proxy) RefuseFor(d time.Duration) {
	p.mu.Lock()
	p.refuseUntil = time.Now().Add(d)
	p.mu.Unlock()
}

// Admit ends Refuse and RefuseFor: new clients are forwarded again.
func (p *Proxy) Admit() {
	p.mu.Lock()
	p.refuse = false
	p.refuseUntil = time.Time{}
	p.mu.Unlock()
}

// Heal undoes every fault still to come: it admits new clients, clears the
// rules for later connections, and resumes every current connection and
// clears its cut offsets and hook. Cuts already made stay made.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse, p.refuseUntil = false, time.Time{}
	p.rules = noRules()
	p.each(func(c *Conn) { c.heal() })
}
