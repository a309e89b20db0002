package faultproxy_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/pgwal/pgwal/internal/faultproxy"
)

// A server that answers a byte with 100 bytes, behind a proxy that cuts
// the stream down after 42 of them with an RST.
func Example() {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		// Send only once the client has spoken: the cut must not race
		// the client's connect.
		if _, err := conn.Read(make([]byte, 1)); err != nil {
			return
		}
		conn.Write(make([]byte, 100))
		io.Copy(io.Discard, conn) // until the proxy cuts
	}()

	p, err := faultproxy.New(ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer p.Close()
	p.CutAfter(faultproxy.Down, 42, faultproxy.RST) // every connection from now on

	client, err := net.Dial("tcp", p.Addr())
	if err != nil {
		panic(err)
	}
	defer client.Close()
	if _, err := client.Write([]byte{1}); err != nil {
		panic(err)
	}
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(client)
	fmt.Println(len(got), errors.Is(err, syscall.ECONNRESET))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := p.WaitConn(ctx, 0)
	if err != nil {
		panic(err)
	}
	<-c.Done()
	fmt.Printf("%+v\n", c.Stats())
	// Output:
	// 42 true
	// {Up:1 Down:42 HeldUp:0 HeldDown:0 DroppedUp:0 DroppedDown:0}
}
