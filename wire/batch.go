package wire

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// Batching trades a bounded delay for far fewer wake-ups while a
// replication stream is busy.
//
// A walsender sends each message as soon as the output plugin produces it,
// so a consumer that keeps up with the server wakes for a few hundred bytes
// at a time. Every wake-up costs system calls and a trip through the
// scheduler: in bench/drain that is over 90% of an unbatched client's CPU
// time, and decoding is about 1%. While batching, a stream's reads wait
// until MinBytes have arrived (the kernel does not wake the reader before:
// SO_RCVLOWAT) or MaxDelay has passed since the read began, and then take
// whatever is there.
//
// By default batching is adaptive: reads take what is there at once until
// MinBytes arrive within MaxDelay (the stream is busy: waiting for a batch
// will cost at most MaxDelay, and usually far less); from then on reads
// wait for a batch, until one waits out MaxDelay (the stream went quiet),
// and reads take what is there again. So a lone change on a quiet stream
// is not delayed, and a busy stream is read in batches: in bench/drain the
// default client used about a fifth of the CPU time of an unbatched one.
// Always batches every read of a running stream instead; MinBytes -1 turns
// batching off.
//
// A message reaches Next at most MaxDelay later than it would without
// batching. The end of the stream and connection errors are noticed up to
// MaxDelay late, too. Keepalive replies and status updates are unaffected.
//
// Batching applies to TCP connections, plain or TLS, on Linux, and only
// while a stream runs; elsewhere it is ignored, as it is when the net.Conn
// given to NewConn does not expose its socket (syscall.Conn, as
// *net.TCPConn does).
type Batching struct {
	MinBytes int           // a batch; 0 = DefaultBatchBytes; -1 (or 1) = off
	MaxDelay time.Duration // the longest a read waits for one; 0 = DefaultBatchDelay
	Always   bool          // batch every read of a stream, busy or not
}

// DefaultBatchBytes is Batching.MinBytes when left zero.
const DefaultBatchBytes = 64 << 10

// DefaultBatchDelay is Batching.MaxDelay when left zero.
const DefaultBatchDelay = 5 * time.Millisecond

// batchConn is the TCP transport under TLS (if any) when batching can
// apply. While on, Read waits for min bytes.
type batchConn struct {
	net.Conn
	raw   syscall.RawConn
	min   int
	delay time.Duration
	on    bool // the low-water mark is set and Read waits for it
	// streaming: a stream runs (startBatching); commands are never
	// batched.
	streaming bool
	mark      int // the low-water mark the kernel took (it caps min)
	reads     int // read system calls while on (tests)

	// Adaptive batching: busy once min bytes arrive within delay.
	always   bool
	busy     bool
	winStart time.Time
	winBytes int
	// holdFrom is when the wait for the current batch began. It outlives
	// a read cut short (Wake, a context's end): the next read waits only
	// for the rest of the delay, so interruptions more frequent than the
	// delay cannot keep a few queued bytes from ever being read.
	holdFrom time.Time

	// The callbacks for raw and their arguments and results, made once so
	// that a read allocates nothing.
	readFn  func(fd uintptr) bool
	lowatFn func(fd uintptr)
	p       []byte
	n, want int
	err     error
}

// newBatchConn wraps nc when cfg asks for batching and nc is a TCP socket
// that supports it; otherwise it returns nil.
func newBatchConn(nc net.Conn, cfg Batching) *batchConn {
	if cfg.MinBytes == 0 {
		cfg.MinBytes = DefaultBatchBytes
	}
	if cfg.MinBytes <= 1 || !lowatSupported || nc.LocalAddr().Network() != "tcp" {
		return nil
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	b := &batchConn{Conn: nc, raw: raw, min: cfg.MinBytes, delay: cfg.MaxDelay, always: cfg.Always}
	if b.delay <= 0 {
		b.delay = DefaultBatchDelay
	}
	b.readFn, b.lowatFn = b.readFD, b.setLowatFD
	return b
}

// setLowat sets the socket's receive low-water mark to n and returns the
// mark the kernel took.
func (b *batchConn) setLowat(n int) (int, error) {
	b.want, b.n, b.err = n, 0, nil
	if err := b.raw.Control(b.lowatFn); err != nil {
		return 0, err
	}
	return b.n, b.err
}

func (b *batchConn) setLowatFD(fd uintptr) {
	b.n, b.err = setLowat(fd, b.want)
}

// start sets the low-water mark for a stream; stop restores the default so
// commands after the stream are not delayed.
func (b *batchConn) start() {
	if b != nil && !b.on {
		mark, err := b.setLowat(b.min)
		b.on, b.mark = err == nil, mark
	}
}

func (b *batchConn) stop() {
	if b != nil && b.on {
		b.setLowat(1)
		b.on = false
	}
}

// startBatching readies batching for a stream that starts: the read
// buffer keeps room for a whole batch, so reads are not cut short.
func (c *Conn) startBatching() {
	if c.batch == nil {
		return
	}
	c.batch.streaming = true
	c.rd.room = c.batch.min
}

// hold reports whether the next read of a running stream waits for a
// batch.
func (b *batchConn) hold() bool { return b.always || b.busy }

// quiet records a batched read that waited out the delay: the stream is
// no longer busy.
func (b *batchConn) quiet() {
	b.busy = false
	b.winBytes = 0
}

// observe counts the bytes of a read that did not wait for a batch: once
// min bytes arrive within delay, the stream is busy.
func (b *batchConn) observe(n int) {
	now := time.Now()
	if b.winBytes == 0 || now.Sub(b.winStart) > b.delay {
		b.winStart, b.winBytes = now, 0
	}
	b.winBytes += n
	if b.winBytes >= b.min {
		b.busy = true
		b.winBytes = 0
	}
}

// Read reads once at least min bytes are queued. The low-water mark keeps
// the kernel from waking the reader before; the queue check skips a read
// that a stale readiness report would make return a few bytes.
func (b *batchConn) Read(p []byte) (int, error) {
	if !b.on {
		n, err := b.Conn.Read(p)
		if b.streaming && !b.always && n > 0 {
			b.observe(n)
		}
		return n, err
	}
	b.p, b.n, b.err = p, 0, nil
	rerr := b.raw.Read(b.readFn)
	b.p = nil
	n, err := b.n, b.err
	if errors.Is(rerr, os.ErrDeadlineExceeded) {
		// Expected on every quiet batch: no allocation (it is a net.Error
		// with Timeout and Temporary, as TLS expects).
		return 0, rerr
	}
	if rerr != nil {
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: b.LocalAddr(), Addr: b.RemoteAddr(), Err: rerr}
	}
	if err != nil {
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: b.LocalAddr(), Addr: b.RemoteAddr(), Err: os.NewSyscallError("read", err)}
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// readFD is raw.Read's callback: false means wait for readiness.
func (b *batchConn) readFD(fd uintptr) bool {
	if q, err := queued(fd); err == nil && q < b.mark && q < len(b.p) {
		return false // wait: the kernel wakes us at the mark
	}
	b.n, b.err = readFD(fd, b.p)
	b.reads++
	return b.err != syscall.EAGAIN
}
