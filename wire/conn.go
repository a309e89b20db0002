package wire

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is one PostgreSQL session over a net.Conn: started up and
// authenticated, ready for simple queries and replication commands.
//
// A Conn runs one command at a time: Exec and the replication commands
// return an error if another is running. During streaming the Stream owns
// it. Close, PID, TLS, ParameterStatus and ServerVersionNum are safe from
// any goroutine at any time.
type Conn struct {
	conn net.Conn // the transport; a *tls.Conn after TLS negotiation
	cfg  Config
	rd   Framer
	tls  bool
	pid  uint32
	key  []byte

	pmu    sync.Mutex
	params map[string]string

	wmu sync.Mutex // one writer at a time (commands, status updates)

	mu     sync.Mutex
	broken error // set when the connection can no longer be used
	busy   bool  // a command or stream is running

	logicalStreamed bool // a logical stream has run on this session

	watch ctxWatch    // read-side cancellation
	intr  atomic.Bool // a read interruption was asked for (interruptRead)

	lastRecv atomic.Int64 // when a read last brought bytes (Unix ns)

	stream atomic.Pointer[Stream] // the running stream, if any

	batch *batchConn // the transport when Config.Batching applies, else nil
}

func newConn(nc net.Conn, cfg *Config) *Conn {
	c := &Conn{conn: nc, cfg: *cfg, params: map[string]string{}}
	if b := newBatchConn(nc, cfg.Batching); b != nil {
		c.batch, c.conn = b, b
	}
	c.watch.interrupt = func() { c.conn.SetReadDeadline(past) }
	c.rd = Framer{r: c.conn, max: c.maxMessageSize()}
	return c
}

func (c *Conn) maxMessageSize() int {
	if c.cfg.MaxMessageSize > 0 {
		return c.cfg.MaxMessageSize
	}
	return DefaultMaxMessageSize
}

// fail marks the connection unusable; the first cause is kept.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	if c.broken == nil {
		c.broken = err
	}
	c.mu.Unlock()
}

// brokenErr returns why the connection is unusable, or nil.
func (c *Conn) brokenErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken
}

func (c *Conn) notice(body []byte) {
	if c.cfg.OnNotice != nil {
		c.cfg.OnNotice((*Notice)(parseErrorFields(body)))
	}
}

// serverError parses an ErrorResponse; a FATAL or PANIC one means the
// server is closing the session.
func (c *Conn) serverError(body []byte) *ServerError {
	e := parseErrorFields(body)
	if e.Severity == "FATAL" || e.Severity == "PANIC" {
		c.fail(e)
	}
	return e
}

// acquire marks the connection busy for one command.
func (c *Conn) acquire() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return &brokenError{c.broken}
	}
	if c.busy {
		return fmt.Errorf("wire: connection busy: another command or a stream is running")
	}
	c.busy = true
	return nil
}

func (c *Conn) release() {
	c.mu.Lock()
	c.busy = false
	c.mu.Unlock()
}

// setParam records a ParameterStatus.
func (c *Conn) setParam(body []byte) {
	if k, v, ok := twoStrings(body); ok {
		c.pmu.Lock()
		c.params[k] = v
		c.pmu.Unlock()
	}
}

// ParameterStatus returns a server parameter reported at startup or since
// (server_version, server_encoding, integer_datetimes, …).
func (c *Conn) ParameterStatus(name string) string {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	return c.params[name]
}

// ServerVersionNum returns the server's version number, e.g. 170004, from
// the server_version parameter.
func (c *Conn) ServerVersionNum() int {
	return parseServerVersion(c.ParameterStatus("server_version"))
}

// parseServerVersion turns "17.4", "16.2 (Debian 16.2-1)", "19beta1" or
// "10.23" into 170004, 160002, 190000, 100023.
func parseServerVersion(v string) int {
	end := 0
	for end < len(v) && (v[end] == '.' || '0' <= v[end] && v[end] <= '9') {
		end++
	}
	parts := strings.Split(v[:end], ".")
	major, _ := strconv.Atoi(parts[0])
	minor := 0
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	if major >= 10 {
		return major*10000 + minor
	}
	patch := 0
	if len(parts) > 2 {
		patch, _ = strconv.Atoi(parts[2])
	}
	return major*10000 + minor*100 + patch
}

// PID is the server process ID.
func (c *Conn) PID() uint32 { return c.pid }

// TLS reports whether the session is encrypted.
func (c *Conn) TLS() bool { return c.tls }

// NetConn returns the transport (the *tls.Conn after TLS negotiation).
func (c *Conn) NetConn() net.Conn { return c.conn }

// Close sends Terminate and closes the transport. It is safe from any
// goroutine: a Next blocked on the server returns ErrClosed at once (use
// Stream.Close first for a clean end of a stream).
func (c *Conn) Close() error {
	c.mu.Lock()
	alreadyBroken := c.broken != nil
	if c.broken == nil {
		c.broken = ErrClosed
	}
	c.mu.Unlock()
	c.watch.unwatch()
	if s := c.stream.Load(); s != nil {
		s.stopOnce.Do(func() { close(s.timerStop) }) // no more status updates
	}
	if !alreadyBroken {
		if !c.wmu.TryLock() {
			// A writer is busy, perhaps blocked on a stalled connection:
			// break its write, and send no Terminate after what may be
			// half a message.
			c.conn.SetWriteDeadline(past)
			c.wmu.Lock()
		} else {
			c.conn.SetWriteDeadline(time.Now().Add(time.Second))
			c.conn.Write(appendTerminate(nil))
		}
		c.wmu.Unlock()
	}
	return c.conn.Close()
}
