package wire

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Conn is one PostgreSQL session over a net.Conn: started up and
// authenticated, ready for simple queries and replication commands.
//
// A Conn runs one command at a time. During streaming the Stream owns it;
// its writes (status updates) and reads never share a deadline.
type Conn struct {
	conn   net.Conn // the transport; a *tls.Conn after TLS negotiation
	cfg    Config
	rd     msgReader
	tls    bool
	params map[string]string
	pid    uint32
	key    []byte

	wmu sync.Mutex // one writer at a time (commands, status updates)

	mu     sync.Mutex
	broken error // set when the connection can no longer be used
	busy   bool  // a command or stream is running

	logicalStreamed bool // a logical stream has run on this session

	wlk sync.Mutex // guards w: the reader sets it, Close clears it
	w   ctxWatch   // read-side cancellation

	batch *batchConn // the transport when Config.Batching applies, else nil
}

func (c *Conn) fail(err error) {
	c.mu.Lock()
	if c.broken == nil {
		c.broken = err
	}
	c.mu.Unlock()
}

func (c *Conn) notice(body []byte) {
	if c.cfg.OnNotice != nil {
		c.cfg.OnNotice((*Notice)(parseErrorFields(body)))
	}
}

// acquire marks the connection busy for one command.
func (c *Conn) acquire() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return fmt.Errorf("%w: %v", ErrClosed, c.broken)
	}
	if c.busy {
		return errors.New("wire: connection busy: another command or a stream is running")
	}
	c.busy = true
	return nil
}

func (c *Conn) release() {
	c.mu.Lock()
	c.busy = false
	c.mu.Unlock()
}

// ParameterStatus returns a server parameter reported at startup or since
// (server_version, server_encoding, integer_datetimes, …).
func (c *Conn) ParameterStatus(name string) string { return c.params[name] }

// ServerVersionNum returns the server's version number, e.g. 170004, from
// the server_version parameter.
func (c *Conn) ServerVersionNum() int {
	return parseServerVersion(c.params["server_version"])
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

// Close sends Terminate and closes the transport.
func (c *Conn) Close() error {
	c.mu.Lock()
	alreadyBroken := c.broken != nil
	if c.broken == nil {
		c.broken = ErrClosed
	}
	c.mu.Unlock()
	c.unwatch()
	if !alreadyBroken {
		c.wmu.Lock()
		c.conn.SetWriteDeadline(time.Now().Add(time.Second))
		c.conn.Write(appendTerminate(nil))
		c.wmu.Unlock()
	}
	return c.conn.Close()
}
