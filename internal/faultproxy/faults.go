package faultproxy

import "fmt"

// Dir names one direction of a proxied connection, or both.
type Dir int

const (
	Up   Dir = 1 << iota // client → server
	Down                 // server → client
	Both = Up | Down
)

// String returns "up", "down" or "both".
func (d Dir) String() string {
	switch d {
	case Up:
		return "up"
	case Down:
		return "down"
	case Both:
		return "both"
	}
	return fmt.Sprintf("Dir(%d)", int(d))
}

// pipes returns the indexes (0 up, 1 down) of the directions d names.
func (d Dir) pipes() []int {
	switch d {
	case Up:
		return []int{0}
	case Down:
		return []int{1}
	case Both:
		return []int{0, 1}
	}
	panic(fmt.Sprintf("faultproxy: bad direction %d", int(d)))
}

// dirOf is the Dir of pipe i.
func dirOf(i int) Dir { return Dir(1 << i) }

// CutMode says how a connection is cut.
type CutMode int

const (
	// NoCut cuts nothing. As a Hook's answer it forwards the whole chunk;
	// in CutAfter it clears the offset.
	NoCut CutMode = iota
	// FIN shuts both sockets down for writing once what was forwarded is
	// queued, so each peer reads every forwarded byte and then io.EOF.
	// What the peers send afterwards is read and thrown away until they
	// close (or a few seconds pass), so no reset spoils the ending.
	FIN
	// RST waits (up to a couple of seconds) for the forwarded bytes to be
	// acknowledged by the peers' kernels, then closes both sockets with
	// SO_LINGER 0: each peer reads every forwarded byte and then
	// ECONNRESET (errors.Is(err, syscall.ECONNRESET)).
	RST
)

// String returns "none", "FIN" or "RST".
func (m CutMode) String() string {
	switch m {
	case NoCut:
		return "none"
	case FIN:
		return "FIN"
	case RST:
		return "RST"
	}
	return fmt.Sprintf("CutMode(%d)", int(m))
}

func (m CutMode) check() {
	if m != NoCut && m != FIN && m != RST {
		panic(fmt.Sprintf("faultproxy: bad cut mode %d", int(m)))
	}
}

// StallMode says what a stalled direction does with the bytes that reach
// the proxy. In every mode nothing is forwarded until Resume.
type StallMode int

const (
	// Hold keeps reading and holds the bytes (up to a few MiB a
	// direction, then it stops reading); Resume delivers them all in order.
	Hold StallMode = iota + 1
	// Block stops reading, so the sender's socket buffers fill and its
	// writes block: TCP backpressure. A read already waiting when the
	// stall begins may still take one chunk, which is held. Resume
	// delivers everything in order.
	Block
	// Drop reads and throws the bytes away (counted in ConnStats) while
	// both sockets stay open: a dead network path. Bytes held when the
	// drop begins are thrown away too. A peer's FIN or reset does not get
	// through either: the other peer hears of it only after Resume, so
	// a client that gives up leaves the server waiting, as on a real dead
	// path. After Resume new bytes flow; the
	// dropped ones are lost for good, so the stream they belonged to is
	// broken and the test is expected to abandon the connection.
	Drop
)

// String returns "hold", "block" or "drop" ("flowing" for 0, no stall).
func (s StallMode) String() string {
	switch s {
	case 0:
		return "flowing"
	case Hold:
		return "hold"
	case Block:
		return "block"
	case Drop:
		return "drop"
	}
	return fmt.Sprintf("StallMode(%d)", int(s))
}

func (s StallMode) check() {
	if s != Hold && s != Block && s != Drop {
		panic(fmt.Sprintf("faultproxy: bad stall mode %d", int(s)))
	}
}

// A Hook is shown every chunk just before it is forwarded: d is Up or Down,
// off the offset of chunk[0] in that direction's byte stream (from the start
// of the connection), and chunk is valid only during the call. Chunks come
// in stream order for each direction; the two directions call the hook
// from different goroutines, possibly at the same time.
//
// Returning NoCut forwards the whole chunk (n is ignored). Returning FIN or
// RST forwards chunk[:n] (n clamped to [0, len(chunk)]) and then cuts the
// connection that way, so a hook that parses the stream can cut at an exact
// byte of a chosen message.
//
// A hook may call the Conn's (or the Proxy's) fault methods, but not Close,
// and it must return promptly: the direction waits for it.
type Hook func(c *Conn, d Dir, off int64, chunk []byte) (n int, cut CutMode)
