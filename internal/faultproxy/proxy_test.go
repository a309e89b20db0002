package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestNewTarget(t *testing.T) {
	noLeaks(t)
	for _, tc := range []struct {
		target string
		ok     bool
	}{
		{"127.0.0.1:5432", true},
		{"127.0.0.2:5432", true},
		{"[::1]:5432", true},
		{"localhost:5432", true},
		{"10.0.0.1:5432", false},
		{"0.0.0.0:5432", false},
		{"[::]:5432", false},
		{"example.com:5432", false},
		{"127.0.0.1", false},
		{"", false},
	} {
		p, err := New(tc.target)
		if (err == nil) != tc.ok {
			t.Errorf("New(%q): %v, want ok=%v", tc.target, err, tc.ok)
		}
		if err == nil {
			if host, _, _ := net.SplitHostPort(p.Addr()); host != "127.0.0.1" {
				t.Errorf("New(%q) listens on %s, want 127.0.0.1", tc.target, p.Addr())
			}
			p.Close()
		}
	}
}

// TestForward checks plain forwarding through an echo server: every byte in
// order both ways, the counters, and a hook that sees the whole stream.
func TestForward(t *testing.T) {
	noLeaks(t)
	p := newProxy(t, newEcho(t))
	type stream struct {
		conn int
		dir  Dir
	}
	var mu sync.Mutex
	seen := map[stream]*bytes.Buffer{}
	p.SetHook(func(c *Conn, d Dir, off int64, chunk []byte) (int, CutMode) {
		mu.Lock()
		defer mu.Unlock()
		b := seen[stream{c.ID(), d}]
		if b == nil {
			b = new(bytes.Buffer)
			seen[stream{c.ID(), d}] = b
		}
		if int64(b.Len()) != off {
			t.Errorf("connection %d: %v chunk at offset %d, after %d bytes", c.ID(), d, off, b.Len())
		}
		b.Write(chunk)
		return 0, NoCut
	})
	const conns, size = 3, 300 << 10
	for i := 0; i < conns; i++ {
		cl := dial(t, p)
		data := randBytes(int64(i), size)
		werr := writeBG(cl, data)
		if got := readFull(t, cl, size); !bytes.Equal(got, data) {
			t.Fatalf("connection %d: the echo differs from what was sent", i)
		}
		if err := <-werr; err != nil {
			t.Fatal(err)
		}
		c := waitConn(t, p, i)
		if c.ID() != i {
			t.Errorf("WaitConn(%d).ID() = %d", i, c.ID())
		}
		if st := c.Stats(); st != (ConnStats{Up: size, Down: size}) {
			t.Errorf("connection %d: %+v, want %d bytes each way", i, st, size)
		}
		cl.Close()
		waitDone(t, c)
	}
	if st := p.Stats(); st != (Stats{Accepted: conns, Up: conns * size, Down: conns * size}) {
		t.Errorf("Stats = %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2*conns {
		t.Errorf("the hook saw %d streams, want %d", len(seen), 2*conns)
	}
	for s, b := range seen {
		if b.Len() != size {
			t.Errorf("the hook saw %d bytes of %+v, want %d", b.Len(), s, size)
		}
	}
	if n := len(p.Conns()); n != 0 {
		t.Errorf("%d connections open after all closed", n)
	}
}

// TestHalfClose checks that an EOF travels on its own: the client shuts
// down its writing side, the server still answers, then closes.
func TestHalfClose(t *testing.T) {
	noLeaks(t)
	_, cl, srv, c := pair(t)
	writeAll(t, cl, []byte("question"))
	if err := cl.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := readUntilErr(srv, patience)
	if string(got) != "question" || err != io.EOF {
		t.Fatalf("server read %q, %v; want the question and io.EOF", got, err)
	}
	writeAll(t, srv, []byte("answer"))
	srv.Close()
	got, err = readUntilErr(cl, patience)
	if string(got) != "answer" || err != io.EOF {
		t.Fatalf("client read %q, %v; want the answer and io.EOF", got, err)
	}
	waitDone(t, c)
}

// TestCutAfter cuts at exact offsets, both directions, FIN and RST: the
// receiving peer gets exactly the bytes before the offset, then io.EOF or
// ECONNRESET, and so does the sending one.
func TestCutAfter(t *testing.T) {
	noLeaks(t)
	rng := rand.New(rand.NewSource(7))
	type tcase struct {
		dir    Dir
		mode   CutMode
		before int // bytes that flow before CutAfter is called
		n      int64
	}
	var cases []tcase
	for _, dir := range []Dir{Up, Down} {
		for _, mode := range []CutMode{FIN, RST} {
			for _, n := range []int64{1, 4999, chunkSize, chunkSize + 1, 200_000, 1 + rng.Int63n(500_000)} {
				cases = append(cases, tcase{dir, mode, 0, n})
			}
			cases = append(cases, tcase{dir, mode, 1000, 1 + rng.Int63n(100_000)})
		}
	}
	for _, tc := range cases {
		tc := tc
		t.Run(fmt.Sprintf("%v/%v/before=%d/n=%d", tc.dir, tc.mode, tc.before, tc.n), func(t *testing.T) {
			_, cl, srv, c := pair(t)
			from, to := cl, srv
			if tc.dir == Down {
				from, to = srv, cl
			}
			data := randBytes(tc.n, tc.before+int(tc.n)+300_000)
			if tc.before > 0 {
				writeAll(t, from, data[:tc.before])
				readFull(t, to, tc.before)
			}
			c.CutAfter(tc.dir, tc.n, tc.mode)
			werr := writeBG(from, data[tc.before:])
			got, err := readUntilErr(to, patience)
			want := data[tc.before : tc.before+int(tc.n)]
			if !bytes.Equal(got, want) {
				t.Errorf("receiver got %d bytes, want exactly the %d before the offset", len(got), len(want))
			}
			wantEnd(t, "receiver", err, tc.mode)

			// After a FIN the sender's write completes (the proxy reads
			// and drops the rest); after an RST it may fail or not,
			// depending on timing, and the first of the sender's calls to
			// hear of the reset reports ECONNRESET.
			wErr := <-werr
			_, rErr := readUntilErr(from, patience)
			if tc.mode == RST {
				if !errors.Is(wErr, syscall.ECONNRESET) && !errors.Is(rErr, syscall.ECONNRESET) {
					t.Errorf("sender: write %v, read %v; want ECONNRESET from one", wErr, rErr)
				}
			} else {
				if wErr != nil {
					t.Errorf("sender: write %v after a FIN cut", wErr)
				}
				wantEnd(t, "sender", rErr, tc.mode)
			}
			cl.Close() // the peers close: the proxy's FIN drain ends
			srv.Close()
			waitDone(t, c)
			st := c.Stats()
			sent := st.Up
			if tc.dir == Down {
				sent = st.Down
			}
			if sent != int64(tc.before)+tc.n {
				t.Errorf("Stats %+v: %v forwarded %d, want %d", st, tc.dir, sent, int64(tc.before)+tc.n)
			}
		})
	}
}

// TestCutAfterBoth sets an offset in each direction: the first reached cuts.
func TestCutAfterBoth(t *testing.T) {
	noLeaks(t)
	_, cl, srv, c := pair(t)
	c.CutAfter(Both, 10, FIN)
	writeAll(t, srv, []byte("0123456")) // 7 down, below the offset
	if got := readFull(t, cl, 7); string(got) != "0123456" {
		t.Fatalf("client read %q", got)
	}
	writeAll(t, cl, []byte("abcdefghijklmnop"))
	got, err := readUntilErr(srv, patience)
	if string(got) != "abcdefghij" || err != io.EOF {
		t.Fatalf("server read %q, %v; want 10 bytes and io.EOF", got, err)
	}
	if _, err := readUntilErr(cl, patience); err != io.EOF {
		t.Fatalf("client read ended with %v, want io.EOF", err)
	}
}

// TestCutAfterEdges: offset 0 cuts at once, a negative one clears the cut.
func TestCutAfterEdges(t *testing.T) {
	noLeaks(t)
	t.Run("zero", func(t *testing.T) {
		_, cl, srv, c := pair(t)
		c.CutAfter(Down, 0, RST)
		_, err := readUntilErr(cl, patience)
		wantEnd(t, "client", err, RST)
		_, err = readUntilErr(srv, patience)
		wantEnd(t, "server", err, RST)
		waitDone(t, c)
	})
	t.Run("cleared", func(t *testing.T) {
		_, cl, srv, c := pair(t)
		c.CutAfter(Up, 3, FIN)
		c.CutAfter(Up, -1, FIN)
		writeAll(t, cl, []byte("more than three"))
		if got := readFull(t, srv, 15); string(got) != "more than three" {
			t.Fatalf("server read %q", got)
		}
	})
}

// TestHookCut cuts inside a chosen CopyData-like message, found by a hook
// that parses the stream down as it passes.
func TestHookCut(t *testing.T) {
	noLeaks(t)
	rng := rand.New(rand.NewSource(3))
	var stream []byte
	var starts []int
	for i := 0; i < 300; i++ {
		payload := randBytes(int64(i), 1+rng.Intn(3000))
		starts = append(starts, len(stream))
		stream = append(stream, 'd', 0, 0, 0, 0)
		stream[len(stream)-4] = byte((len(payload) + 4) >> 24)
		stream[len(stream)-3] = byte((len(payload) + 4) >> 16)
		stream[len(stream)-2] = byte((len(payload) + 4) >> 8)
		stream[len(stream)-1] = byte(len(payload) + 4)
		stream = append(stream, payload...)
	}
	for _, mode := range []CutMode{FIN, RST} {
		mode := mode
		const msg = 211 // cut inside this message's payload
		t.Run(mode.String(), func(t *testing.T) {
			_, cl, srv, c := pair(t)
			var seen []byte // only the down writer calls the hook with Down
			target := int64(-1)
			msgLen := 0
			c.SetHook(func(_ *Conn, d Dir, off int64, chunk []byte) (int, CutMode) {
				if d != Down {
					return 0, NoCut
				}
				seen = append(seen, chunk...)
				if target < 0 {
					// Walk the messages seen so far to the one wanted.
					pos, i := 0, 0
					for ; i < msg && pos+5 <= len(seen); i++ {
						pos += 1 + int(uint32(seen[pos+1])<<24|uint32(seen[pos+2])<<16|uint32(seen[pos+3])<<8|uint32(seen[pos+4]))
					}
					if i < msg || pos+5 > len(seen) {
						return 0, NoCut
					}
					msgLen = int(uint32(seen[pos+1])<<24 | uint32(seen[pos+2])<<16 | uint32(seen[pos+3])<<8 | uint32(seen[pos+4]))
					target = int64(pos + 5 + (msgLen-4)/2) // halfway into the payload
				}
				if end := off + int64(len(chunk)); target <= end {
					return int(target - off), mode
				}
				return 0, NoCut
			})
			werr := writeBG(srv, stream)
			got, err := readUntilErr(cl, patience)
			wantEnd(t, "client", err, mode)
			<-werr
			cl.Close()
			srv.Close()
			waitDone(t, c) // after it, the hook's variables are ours
			want := int64(starts[msg] + 5 + (msgLen-4)/2)
			if target != want {
				t.Fatalf("the hook aimed at offset %d, want %d", target, want)
			}
			if !bytes.Equal(got, stream[:want]) {
				t.Errorf("client got %d bytes, want exactly %d", len(got), want)
			}
		})
	}
}

// TestCutNow cuts an idle connection after traffic both ways.
func TestCutNow(t *testing.T) {
	noLeaks(t)
	for _, mode := range []CutMode{FIN, RST} {
		mode := mode
		t.Run(mode.String(), func(t *testing.T) {
			_, cl, srv, c := pair(t)
			writeAll(t, cl, []byte("hello"))
			readFull(t, srv, 5)
			writeAll(t, srv, []byte("world"))
			readFull(t, cl, 5)
			c.Cut(mode)
			got, err := readUntilErr(cl, patience)
			if len(got) != 0 {
				t.Errorf("client read %q after the cut", got)
			}
			wantEnd(t, "client", err, mode)
			got, err = readUntilErr(srv, patience)
			if len(got) != 0 {
				t.Errorf("server read %q after the cut", got)
			}
			wantEnd(t, "server", err, mode)
			cl.Close()
			srv.Close()
			waitDone(t, c)
			c.Cut(mode) // over: nothing happens
		})
	}
}

// TestStallResume stalls each direction in Hold and Block mode: nothing
// arrives while stalled, and after Resume every byte, in order.
func TestStallResume(t *testing.T) {
	noLeaks(t)
	for _, mode := range []StallMode{Hold, Block} {
		for _, dir := range []Dir{Up, Down, Both} {
			mode, dir := mode, dir
			t.Run(fmt.Sprintf("%v/%v", mode, dir), func(t *testing.T) {
				_, cl, srv, c := pair(t)
				// Held bytes fit the proxy's queue; blocked ones are far more
				// than the kernel buffers, so the sender must stall.
				size := 2 << 20
				if mode == Block {
					size = 8 << 20
				}
				c.Stall(dir, mode)
				up, down := randBytes(1, size), randBytes(2, size)
				upErr, downErr := writeBG(cl, up), writeBG(srv, down)
				if dir&Up != 0 {
					silent(t, srv, "server while up is stalled")
				}
				if dir&Down != 0 {
					silent(t, cl, "client while down is stalled")
				}
				for _, d := range dir.pipes() {
					held := func() int64 {
						st := c.Stats()
						return [2]int64{st.HeldUp, st.HeldDown}[d]
					}
					if mode == Hold {
						eventually(t, "the proxy to hold every byte", func() bool { return held() == int64(size) })
					} else if h := held(); h > chunkSize {
						t.Errorf("%v blocked, yet the proxy read %d bytes ahead", dirOf(d), h)
					}
				}
				if mode == Block {
					select {
					case err := <-upErr:
						if dir&Up != 0 {
							t.Errorf("the client's write returned (%v) while blocked", err)
						}
						upErr = closedWith(err)
					case err := <-downErr:
						if dir&Down != 0 {
							t.Errorf("the server's write returned (%v) while blocked", err)
						}
						downErr = closedWith(err)
					case <-time.After(50 * time.Millisecond):
					}
				}
				c.Resume(dir)
				var wg sync.WaitGroup
				var gotUp []byte
				wg.Add(1)
				go func() { defer wg.Done(); gotUp = readN(srv, size) }()
				gotDown := readN(cl, size)
				wg.Wait()
				if !bytes.Equal(gotUp, up) {
					t.Errorf("up: %d bytes, not what was sent", len(gotUp))
				}
				if !bytes.Equal(gotDown, down) {
					t.Errorf("down: %d bytes, not what was sent", len(gotDown))
				}
				if err := <-upErr; err != nil {
					t.Error(err)
				}
				if err := <-downErr; err != nil {
					t.Error(err)
				}
				if st := c.Stats(); st != (ConnStats{Up: int64(size), Down: int64(size)}) {
					t.Errorf("Stats = %+v", st)
				}
			})
		}
	}
}

// closedWith returns a channel that yields err.
func closedWith(err error) <-chan error {
	ch := make(chan error, 1)
	ch <- err
	return ch
}

// readN reads n bytes or until an error, within patience.
func readN(conn net.Conn, n int) []byte {
	conn.SetReadDeadline(time.Now().Add(patience))
	defer conn.SetReadDeadline(time.Time{})
	b := make([]byte, n)
	k, _ := io.ReadFull(conn, b)
	return b[:k]
}

// TestBlackHole: both directions dropped, the sockets open; the peers'
// reads time out; after Resume new bytes flow.
func TestBlackHole(t *testing.T) {
	noLeaks(t)
	for _, global := range []bool{false, true} {
		global := global
		t.Run(fmt.Sprintf("global=%v", global), func(t *testing.T) {
			p, cl, srv, c := pair(t)
			if global {
				p.BlackHole()
			} else {
				c.BlackHole()
			}
			writeAll(t, cl, []byte("ping"))
			writeAll(t, srv, []byte("tick!"))
			eventually(t, "the proxy to drop both", func() bool {
				st := c.Stats()
				return st.DroppedUp == 4 && st.DroppedDown == 5
			})
			silent(t, srv, "server in the black hole")
			silent(t, cl, "client in the black hole")
			if global {
				p.Resume(Both)
			} else {
				c.Resume(Both)
			}
			writeAll(t, cl, []byte("pong"))
			if got := readFull(t, srv, 4); string(got) != "pong" {
				t.Errorf("server read %q, want pong", got)
			}
			writeAll(t, srv, []byte("tock"))
			if got := readFull(t, cl, 4); string(got) != "tock" {
				t.Errorf("client read %q, want tock", got)
			}
			if st := c.Stats(); st != (ConnStats{Up: 4, Down: 4, DroppedUp: 4, DroppedDown: 5}) {
				t.Errorf("Stats = %+v", st)
			}
		})
	}
}

// TestDropHeld: a Drop stall throws away what a Hold stall held.
func TestDropHeld(t *testing.T) {
	noLeaks(t)
	_, cl, srv, c := pair(t)
	c.Stall(Up, Hold)
	writeAll(t, cl, []byte("held"))
	eventually(t, "the proxy to hold 4 bytes", func() bool { return c.Stats().HeldUp == 4 })
	c.Stall(Up, Drop)
	c.Resume(Up)
	writeAll(t, cl, []byte("new"))
	if got := readFull(t, srv, 3); string(got) != "new" {
		t.Errorf("server read %q, want new", got)
	}
	if st := c.Stats(); st.DroppedUp != 4 || st.HeldUp != 0 {
		t.Errorf("Stats = %+v", st)
	}
}

// TestRefuse: while refusing, clients connect and are reset at once; after
// Admit, or once the period is over, they are forwarded again.
func TestRefuse(t *testing.T) {
	noLeaks(t)
	p := newProxy(t, newEcho(t))
	forwarded := 0
	refused := func() bool {
		conn, err := net.DialTimeout("tcp", p.Addr(), patience)
		if err != nil { // the reset can beat connect's return
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("refused client: %v, want ECONNRESET", err)
			}
			return true
		}
		cl := conn.(*net.TCPConn)
		defer cl.Close()
		cl.SetDeadline(time.Now().Add(patience))
		if _, err := cl.Write([]byte("x")); err != nil {
			return true
		}
		b := make([]byte, 1)
		_, err = cl.Read(b)
		if err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("refused client: %v, want ECONNRESET", err)
		}
		if err == nil {
			forwarded++
		}
		return err != nil
	}
	p.Refuse()
	for i := 0; i < 3; i++ {
		if !refused() {
			t.Fatal("a client got through while refusing")
		}
	}
	p.Admit()
	if refused() {
		t.Fatal("a client was refused after Admit")
	}
	const period = 300 * time.Millisecond
	start := time.Now()
	p.RefuseFor(period)
	if !refused() && time.Since(start) < period {
		t.Error("a client got through during the refuse period")
	}
	eventually(t, "the refuse period to end", func() bool { return !refused() })
	if since := time.Since(start); since < period {
		t.Errorf("a client got through %v into a %v refuse period", since, period)
	}
	st := p.Stats()
	if st.Refused < 4 || st.Accepted != st.Refused+int64(forwarded) || st.DialFails != 0 {
		t.Errorf("Stats = %+v", st)
	}
}

// TestDialFail: a client whose server cannot be reached is reset.
func TestDialFail(t *testing.T) {
	noLeaks(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := ln.Addr().String()
	ln.Close() // nobody listens there now
	p := newProxy(t, target)
	cl, err := net.DialTimeout("tcp", p.Addr(), patience)
	if err == nil { // else the reset beat connect's return
		_, err = readUntilErr(cl, patience)
		cl.Close()
	}
	wantEnd(t, "client", err, RST)
	eventually(t, "the dial failure to count", func() bool { return p.Stats().DialFails == 1 })
}

// TestRules: faults set on the proxy apply to connections made later.
func TestRules(t *testing.T) {
	noLeaks(t)
	pe := newPeer(t)
	p := newProxy(t, pe.addr())
	p.CutAfter(Down, 6, FIN)
	p.Stall(Up, Hold)
	var hooked sync.Map
	p.SetHook(func(c *Conn, d Dir, off int64, chunk []byte) (int, CutMode) {
		hooked.Store(d, true)
		return 0, NoCut
	})
	for i := 0; i < 2; i++ {
		cl := dial(t, p)
		srv := pe.next(t)
		c := waitConn(t, p, i)
		writeAll(t, cl, []byte("up"))
		eventually(t, "the proxy to hold 2 bytes", func() bool { return c.Stats().HeldUp == 2 })
		silent(t, srv, "server while up is stalled")
		writeAll(t, srv, []byte("downstream"))
		got, err := readUntilErr(cl, patience)
		if string(got) != "downst" || err != io.EOF {
			t.Errorf("connection %d: client read %q, %v; want 6 bytes and io.EOF", i, got, err)
		}
		cl.Close()
		srv.Close()
		waitDone(t, c)
	}
	if _, ok := hooked.Load(Down); !ok {
		t.Error("the proxy's hook was not called")
	}

	// Heal clears the rules for later connections.
	p.Heal()
	cl := dial(t, p)
	srv := pe.next(t)
	writeAll(t, cl, []byte("free"))
	if got := readFull(t, srv, 4); string(got) != "free" {
		t.Errorf("server read %q", got)
	}
	writeAll(t, srv, []byte("flowing"))
	if got := readFull(t, cl, 7); string(got) != "flowing" {
		t.Errorf("client read %q", got)
	}
}

// TestHeal resumes a stalled connection and clears its cut offset.
func TestHeal(t *testing.T) {
	noLeaks(t)
	p, cl, srv, c := pair(t)
	c.CutAfter(Down, 2, RST)
	c.Stall(Up, Block)
	p.Heal()
	writeAll(t, cl, []byte("up"))
	if got := readFull(t, srv, 2); string(got) != "up" {
		t.Errorf("server read %q", got)
	}
	writeAll(t, srv, []byte("down"))
	if got := readFull(t, cl, 4); string(got) != "down" {
		t.Errorf("client read %q", got)
	}
}

// TestClose closes a proxy whose connections are in every state at once:
// it returns promptly, the clients see their connections end, and no
// goroutine is left.
func TestClose(t *testing.T) {
	noLeaks(t)
	p := newProxy(t, newEcho(t))
	var clients []*net.TCPConn
	var writes []<-chan error
	for i := 0; i < 6; i++ {
		clients = append(clients, dial(t, p))
		waitConn(t, p, i)
	}
	conns := p.Conns()
	if len(conns) != 6 {
		t.Fatalf("%d open connections, want 6", len(conns))
	}
	writeAll(t, clients[0], []byte("busy")) // 0: plain traffic
	conns[1].Stall(Both, Block)             // 1: blocked, its writer stuck
	writes = append(writes, writeBG(clients[1], make([]byte, 32<<20)))
	conns[2].BlackHole() // 2: dead path
	writeAll(t, clients[2], []byte("lost"))
	conns[3].Cut(FIN) // 3: draining after a FIN cut
	if _, err := readUntilErr(clients[3], patience); err != io.EOF {
		t.Fatalf("client 3: %v, want io.EOF", err)
	}
	conns[4].Stall(Down, Hold) // 4: holding
	writes = append(writes, writeBG(clients[4], make([]byte, 1<<20)))
	// 5: the proxy stuck writing to a client that does not read
	writes = append(writes, writeBG(clients[5], make([]byte, 32<<20)))
	eventually(t, "the proxy to be stuck writing", func() bool {
		st := conns[5].Stats()
		return st.Up > 8<<20 && st.Down > 0 && st.Down < 8<<20 && st.HeldDown >= maxQueued
	})

	start := time.Now()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %v", took)
	}
	for i, c := range conns {
		select {
		case <-c.Done():
		default:
			t.Errorf("connection %d not over after Close", i)
		}
	}
	for i, cl := range clients {
		if _, err := readUntilErr(cl, patience); errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("client %d: the connection stayed open after Close", i)
		}
	}
	for _, w := range writes {
		<-w
	}
	if _, err := p.WaitConn(context.Background(), 6); !errors.Is(err, ErrClosed) {
		t.Errorf("WaitConn after Close: %v, want ErrClosed", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestWaitConnContext(t *testing.T) {
	noLeaks(t)
	p := newProxy(t, newEcho(t))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := p.WaitConn(ctx, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitConn: %v, want context.DeadlineExceeded", err)
	}
}

// TestDeadPathHidesClose: in a black hole the server does not hear that the
// client went away, with FIN or RST; after Resume it does.
func TestDeadPathHidesClose(t *testing.T) {
	noLeaks(t)
	for _, mode := range []CutMode{FIN, RST} {
		mode := mode
		t.Run(mode.String(), func(t *testing.T) {
			_, cl, srv, c := pair(t)
			c.BlackHole()
			if mode == RST {
				cl.SetLinger(0)
			}
			cl.Close()
			silent(t, srv, "server after the client left through the black hole")
			c.Resume(Both)
			_, err := readUntilErr(srv, patience)
			wantEnd(t, "server", err, mode)
			srv.Close()
			waitDone(t, c)
		})
	}
}

// TestPeerReset: a reset by one peer reaches the other after the bytes sent
// before it.
func TestPeerReset(t *testing.T) {
	noLeaks(t)
	_, cl, srv, c := pair(t)
	writeAll(t, srv, []byte("last words"))
	srv.SetLinger(0)
	srv.Close()
	got, err := readUntilErr(cl, patience)
	if string(got) != "last words" {
		t.Errorf("client read %q, want the last words", got)
	}
	wantEnd(t, "client", err, RST)
	waitDone(t, c)
}

// TestRSTSlowReader: an RST cut waits for the forwarded bytes to reach a
// client that reads late, instead of throwing away what is still queued in
// the proxy's socket.
func TestRSTSlowReader(t *testing.T) {
	noLeaks(t)
	_, cl, srv, c := pair(t)
	const n = 2 << 20
	data := randBytes(5, n+(1<<20))
	c.CutAfter(Down, n, RST)
	werr := writeBG(srv, data)
	// The cut happens while the client is not reading: the bytes wait
	// in the kernel's buffers (a few MiB fit there on loopback).
	time.Sleep(300 * time.Millisecond)
	got, err := readUntilErr(cl, patience)
	if !bytes.Equal(got, data[:n]) {
		t.Errorf("client got %d bytes, want exactly %d", len(got), n)
	}
	wantEnd(t, "client", err, RST)
	<-werr
	waitDone(t, c)
}

// TestHoldBound: a Hold stall stops reading once it holds maxQueued bytes,
// and still delivers everything in order after Resume.
func TestHoldBound(t *testing.T) {
	noLeaks(t)
	_, cl, srv, c := pair(t)
	c.Stall(Up, Hold)
	data := randBytes(9, maxQueued+(2<<20))
	werr := writeBG(cl, data)
	eventually(t, "the proxy to hold its fill", func() bool { return c.Stats().HeldUp >= maxQueued })
	time.Sleep(50 * time.Millisecond)
	if h := c.Stats().HeldUp; h >= maxQueued+chunkSize {
		t.Errorf("holding %d bytes, the bound is %d (+ a chunk)", h, maxQueued)
	}
	c.Resume(Up)
	if got := readN(srv, len(data)); !bytes.Equal(got, data) {
		t.Errorf("server got %d bytes, not what was sent", len(got))
	}
	if err := <-werr; err != nil {
		t.Error(err)
	}
}

// TestHookCallsBack: a hook may change the faults of its own connection;
// here it stalls the direction it is watching once it sees a marker.
func TestHookCallsBack(t *testing.T) {
	noLeaks(t)
	_, cl, srv, c := pair(t)
	c.SetHook(func(c *Conn, d Dir, off int64, chunk []byte) (int, CutMode) {
		if d == Down && bytes.IndexByte(chunk, '!') >= 0 {
			c.Stall(Down, Hold) // from the next chunk on
		}
		return 0, NoCut
	})
	writeAll(t, srv, []byte("stop!"))
	if got := readFull(t, cl, 5); string(got) != "stop!" {
		t.Fatalf("client read %q", got)
	}
	writeAll(t, srv, []byte("held"))
	eventually(t, "the proxy to hold 4 bytes", func() bool { return c.Stats().HeldDown == 4 })
	silent(t, cl, "client after the marker")
	c.SetHook(nil)
	c.Resume(Down)
	if got := readFull(t, cl, 4); string(got) != "held" {
		t.Errorf("client read %q", got)
	}
}

// TestChaos toggles stalls, hooks and refusals at random, on the proxy and
// on single connections, while echo traffic flows; stalls of the Hold and
// Block kinds must never lose or reorder a byte. Under -race this is the
// test of the locking.
func TestChaos(t *testing.T) {
	noLeaks(t)
	p := newProxy(t, newEcho(t))
	const clients, size = 4, 1 << 20
	var conns []*net.TCPConn
	for i := 0; i < clients; i++ {
		conns = append(conns, dial(t, p))
		waitConn(t, p, i)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewSource(11))
		dirs := []Dir{Up, Down, Both}
		modes := []StallMode{Hold, Block}
		for {
			select {
			case <-stop:
				return
			default:
			}
			d, m := dirs[rng.Intn(3)], modes[rng.Intn(2)]
			all := p.Conns()
			c := all[rng.Intn(len(all))]
			switch rng.Intn(7) {
			case 0:
				p.Stall(d, m)
			case 1:
				p.Resume(d)
			case 2:
				c.Stall(d, m)
			case 3:
				c.Resume(d)
			case 4:
				p.SetHook(func(*Conn, Dir, int64, []byte) (int, CutMode) { return 0, NoCut })
			case 5:
				c.SetHook(nil)
			case 6:
				p.Refuse()
				p.Admit()
			}
			_ = c.Stats()
			_ = p.Stats()
			time.Sleep(time.Duration(rng.Intn(500)) * time.Microsecond)
		}
	}()
	var rw sync.WaitGroup
	bad := make([]bool, clients)
	for i, cl := range conns {
		i, cl := i, cl
		data := randBytes(int64(100+i), size)
		rw.Add(1)
		go func() {
			defer rw.Done()
			werr := writeBG(cl, data)
			got := readN(cl, size)
			bad[i] = !bytes.Equal(got, data) || <-werr != nil
		}()
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	p.Heal()
	rw.Wait()
	for i, b := range bad {
		if b {
			t.Errorf("client %d: the echo differs from what was sent", i)
		}
	}
}
