// Package faultproxy is a TCP proxy on loopback that breaks connections on
// purpose, for tests: it cuts them at exact byte offsets or at once (FIN or
// RST), stalls either direction (holding the bytes, applying backpressure
// or dropping them like a dead network path), and refuses new clients for
// a while, like a server that is down. A test that cuts a replication
// stream in the middle of a CopyData message looks like this:
//
//	func TestCutMidMessage(t *testing.T) {
//		srv := pgserver.StartT(t, pgserver.Config{}) // or any loopback server
//		p, err := faultproxy.New(srv.Addr())          // "127.0.0.1:port"
//		if err != nil {
//			t.Fatal(err)
//		}
//		defer p.Close()
//
//		conn, err := net.Dial("tcp", p.Addr()) // the code under test dials the proxy
//		if err != nil {
//			t.Fatal(err)
//		}
//		defer conn.Close()
//		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
//		defer cancel()
//		c, err := p.WaitConn(ctx, 0) // the proxy's side of the first client
//		if err != nil {
//			t.Fatal(err)
//		}
//
//		// ... start streaming over conn, then: the client receives
//		// exactly 1000 more bytes and then ECONNRESET.
//		c.CutAfter(faultproxy.Down, 1000, faultproxy.RST)
//		<-c.Done()
//	}
//
// Directions are named from the client: Up is client → server, Down is
// server → client. Each fault can be set on one Conn, or on the Proxy, in
// which case it applies to every current connection and to those accepted
// later. A Hook sees every chunk before it is forwarded and can cut inside
// it, for tests that look for a particular message in the stream. Stats
// count accepted connections and forwarded bytes.
//
// Offsets count the bytes handed on in one direction, so "cut after n more
// bytes" is exact whatever the chunking: the peer receives exactly those n
// bytes, then io.EOF (FIN) or ECONNRESET (RST).
//
// Nothing in the proxy waits for good: a dial gives up after a few seconds,
// a FIN cut stops draining and an RST cut stops waiting for the kernel's
// queues after a couple of seconds, and Close ends everything at once: it
// closes every connection (no cut, no draining) and returns when every
// goroutine of the proxy is gone. The proxy listens on 127.0.0.1 and dials
// only loopback addresses.
package faultproxy
