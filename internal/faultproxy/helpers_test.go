package faultproxy

import (
	"context"
	"errors"
	"io"
	"math/rand"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// patience bounds every wait of the tests: long enough for a loaded machine
// under -race, short enough that a broken proxy fails rather than hangs.
const patience = 10 * time.Second

// noLeaks fails t if, after every later cleanup has run, more goroutines
// are left than when it was called. Call it first in a test.
func noLeaks(t *testing.T) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(patience)
		for runtime.NumGoroutine() > base {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutines: %d at the start, %d at the end:\n%s", base, runtime.NumGoroutine(), buf)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// newProxy starts a proxy to target, closed when t ends.
func newProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// peer is a scripted server: the test holds the server side of every
// connection it accepts.
type peer struct {
	ln    *net.TCPListener
	conns chan *net.TCPConn
}

func newPeer(t *testing.T) *peer {
	t.Helper()
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	pe := &peer{ln: ln, conns: make(chan *net.TCPConn, 16)}
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		all []net.Conn
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.AcceptTCP()
			if err != nil {
				return
			}
			mu.Lock()
			all = append(all, c)
			mu.Unlock()
			select {
			case pe.conns <- c:
			default:
				c.Close()
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range all {
			c.Close()
		}
	})
	return pe
}

func (pe *peer) addr() string { return pe.ln.Addr().String() }

// next returns the server side of the next connection.
func (pe *peer) next(t *testing.T) *net.TCPConn {
	t.Helper()
	select {
	case c := <-pe.conns:
		return c
	case <-time.After(patience):
		t.Fatal("the peer accepted no connection")
		return nil
	}
}

// newEcho starts a server that echoes every byte back, closed when t ends.
func newEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		all []net.Conn
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			all = append(all, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				io.Copy(c, c)
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range all {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// dial connects a client to the proxy, closed when t ends.
func dial(t *testing.T, p *Proxy) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), patience)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// waitConn is p.WaitConn(n) within patience.
func waitConn(t *testing.T, p *Proxy, n int) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	c, err := p.WaitConn(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pair starts a proxy in front of a scripted peer and connects one client:
// it returns the client's socket, the peer's and the proxy's Conn.
func pair(t *testing.T) (p *Proxy, client, server *net.TCPConn, c *Conn) {
	t.Helper()
	pe := newPeer(t)
	p = newProxy(t, pe.addr())
	client = dial(t, p)
	server = pe.next(t)
	c = waitConn(t, p, 0)
	return p, client, server, c
}

// waitDone waits for c to be over.
func waitDone(t *testing.T, c *Conn) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(patience):
		t.Fatal("the connection did not end")
	}
}

// eventually polls cond until it holds, failing t after patience.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// readUntilErr reads from conn until an error (or the timeout) and returns
// what it read and the error.
func readUntilErr(conn net.Conn, timeout time.Duration) ([]byte, error) {
	conn.SetReadDeadline(time.Now().Add(timeout))
	defer conn.SetReadDeadline(time.Time{})
	var got []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return got, err
		}
	}
}

// readFull reads exactly n bytes from conn within patience.
func readFull(t *testing.T, conn net.Conn, n int) []byte {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(patience))
	defer conn.SetReadDeadline(time.Time{})
	b := make([]byte, n)
	if _, err := io.ReadFull(conn, b); err != nil {
		t.Fatalf("reading %d bytes: %v", n, err)
	}
	return b
}

// writeAll writes b to conn and fails t on an error.
func writeAll(t *testing.T, conn net.Conn, b []byte) {
	t.Helper()
	conn.SetWriteDeadline(time.Now().Add(patience))
	defer conn.SetWriteDeadline(time.Time{})
	if _, err := conn.Write(b); err != nil {
		t.Fatalf("writing %d bytes: %v", len(b), err)
	}
}

// writeBG writes b to conn in a goroutine; the channel yields Write's
// error when it returns.
func writeBG(conn net.Conn, b []byte) <-chan error {
	ch := make(chan error, 1)
	go func() {
		conn.SetWriteDeadline(time.Now().Add(patience))
		_, err := conn.Write(b)
		ch <- err
	}()
	return ch
}

// silent asserts that nothing arrives on conn for a while: the read times
// out with the socket still open.
func silent(t *testing.T, conn net.Conn, what string) {
	t.Helper()
	got, err := readUntilErr(conn, 100*time.Millisecond)
	if len(got) != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("%s: read %d bytes, %v; want nothing and a timeout", what, len(got), err)
	}
}

// randBytes returns n bytes from a fixed seed.
func randBytes(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// wantEnd checks the error a peer's read ended with against a cut mode.
func wantEnd(t *testing.T, who string, err error, m CutMode) {
	t.Helper()
	switch m {
	case FIN:
		if !errors.Is(err, io.EOF) {
			t.Errorf("%s: read ended with %v, want io.EOF", who, err)
		}
	case RST:
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("%s: read ended with %v, want ECONNRESET", who, err)
		}
	}
}
