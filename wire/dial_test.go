package wire

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// refusedPort returns a loopback port nothing listens on.
func refusedPort(t *testing.T) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return uint16(port)
}

func TestDialErrorNamesAddressOnce(t *testing.T) {
	port := refusedPort(t)
	cfg := &Config{Host: "127.0.0.1", Port: port, User: "u", SSLMode: SSLDisable}
	_, err := Connect(context.Background(), cfg)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err %v, want ECONNREFUSED", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(int(port))
	if n := strings.Count(err.Error(), addr); n != 1 || !strings.HasPrefix(err.Error(), "wire: dial tcp "+addr+": ") {
		t.Errorf("error %q names %s %d times, want once after \"wire: dial tcp\"", err, addr, n)
	}
}

// paramServer accepts any number of sessions: trust, the given
// ParameterStatus values, ReadyForQuery, then it waits for the client to
// leave. It counts the sessions.
type paramServer struct {
	ln       net.Listener
	sessions atomic.Int32
	tlsCert  *tls.Certificate // answer SSLRequest with TLS
	cancels  chan cancelSeen  // CancelRequests received
}

type cancelSeen struct {
	pid uint32
	key []byte
	tls bool
}

func newParamServer(t *testing.T, params map[string]string) *paramServer {
	return newParamServerTLS(t, params, nil)
}

func newParamServerTLS(t *testing.T, params map[string]string, cert *tls.Certificate) *paramServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ps := &paramServer{ln: ln, tlsCert: cert, cancels: make(chan cancelSeen, 10)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			ps.sessions.Add(1)
			go func() {
				defer func() { nc.Close() }()
				nc.SetDeadline(time.Now().Add(10 * time.Second))
				encrypted := false
				for {
					var hdr [8]byte
					if _, err := io.ReadFull(nc, hdr[:]); err != nil {
						return
					}
					n := int64(binary.BigEndian.Uint32(hdr[:4])) - 8
					switch binary.BigEndian.Uint32(hdr[4:]) {
					case 80877103:
						if ps.tlsCert == nil || encrypted {
							nc.Write([]byte{'N'})
							continue
						}
						nc.Write([]byte{'S'})
						tc := tls.Server(nc, &tls.Config{Certificates: []tls.Certificate{*ps.tlsCert}})
						if tc.Handshake() != nil {
							return
						}
						nc, encrypted = tc, true
						continue
					case 80877102: // CancelRequest
						body := make([]byte, n)
						io.ReadFull(nc, body)
						ps.cancels <- cancelSeen{pid: binary.BigEndian.Uint32(body), key: body[4:], tls: encrypted}
						return
					}
					io.CopyN(io.Discard, nc, n)
					break
				}
				s := &authServer{nc: nc}
				s.auth(0, nil)
				for k, v := range params {
					s.send('S', []byte(k+"\x00"+v+"\x00"))
				}
				s.send('K', []byte{0, 0, 0, 1, 0, 0, 0, 2})
				s.send('Z', []byte{'I'})
				io.Copy(io.Discard, nc)
			}()
		}
	}()
	return ps
}

func (ps *paramServer) endpoint() Endpoint {
	return Endpoint{Host: "127.0.0.1", Port: uint16(ps.ln.Addr().(*net.TCPAddr).Port)}
}

func multiConfig(eps ...Endpoint) *Config {
	return &Config{Host: eps[0].Host, Port: eps[0].Port, Fallbacks: eps[1:], User: "u", SSLMode: SSLDisable}
}

func TestConnectSeveralHosts(t *testing.T) {
	down1, down2 := refusedPort(t), refusedPort(t)
	up := newParamServer(t, nil)
	cfg := multiConfig(Endpoint{Host: "127.0.0.1", Port: down1}, Endpoint{Host: "127.0.0.1", Port: down2}, up.endpoint())
	c, err := Connect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.cfg.Port; got != up.endpoint().Port || c.cfg.Fallbacks != nil {
		t.Errorf("session config port %d, fallbacks %v: want the server that answered, alone", got, c.cfg.Fallbacks)
	}
	c.Close()

	cfg = multiConfig(Endpoint{Host: "127.0.0.1", Port: down1}, Endpoint{Host: "localhost", HostAddr: "127.0.0.1", Port: down2})
	_, err = Connect(context.Background(), cfg)
	var ce *ConnectError
	if !errors.As(err, &ce) || len(ce.Attempts) != 2 {
		t.Fatalf("err %v, want a *ConnectError with 2 attempts", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("errors.Is(%v, ECONNREFUSED) = false", err)
	}
	for _, want := range []string{
		"127.0.0.1:" + strconv.Itoa(int(down1)) + ": dial tcp",
		"localhost (127.0.0.1):" + strconv.Itoa(int(down2)) + ": dial tcp",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestConnectTargetSessionAttrs(t *testing.T) {
	primary := newParamServer(t, map[string]string{"in_hot_standby": "off", "default_transaction_read_only": "off"})
	standby := newParamServer(t, map[string]string{"in_hot_standby": "on", "default_transaction_read_only": "off"})
	roPrimary := newParamServer(t, map[string]string{"in_hot_standby": "off", "default_transaction_read_only": "on"})
	for _, tc := range []struct {
		attrs TargetSessionAttrs
		order []*paramServer
		want  *paramServer // nil: no server fits
	}{
		{TargetAny, []*paramServer{standby, primary}, standby},
		{TargetReadWrite, []*paramServer{standby, roPrimary, primary}, primary},
		{TargetReadOnly, []*paramServer{primary, roPrimary}, roPrimary},
		{TargetPrimary, []*paramServer{standby, roPrimary}, roPrimary},
		{TargetStandby, []*paramServer{primary, standby}, standby},
		{TargetStandby, []*paramServer{primary, roPrimary}, nil},
		{TargetPreferStandby, []*paramServer{primary, standby}, standby},
		{TargetPreferStandby, []*paramServer{primary, roPrimary}, primary},
	} {
		var eps []Endpoint
		for _, s := range tc.order {
			eps = append(eps, s.endpoint())
		}
		cfg := multiConfig(eps...)
		cfg.TargetSessionAttrs = tc.attrs
		c, err := Connect(context.Background(), cfg)
		if tc.want == nil {
			if !errors.Is(err, ErrTargetSessionAttrs) {
				t.Errorf("%s: err %v, want ErrTargetSessionAttrs", tc.attrs, err)
			}
			if c != nil {
				c.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.attrs, err)
			continue
		}
		if c.cfg.Port != tc.want.endpoint().Port {
			t.Errorf("%s: connected to port %d, want %d", tc.attrs, c.cfg.Port, tc.want.endpoint().Port)
		}
		c.Close()
	}
}

func TestConnectLoadBalanceHosts(t *testing.T) {
	a, b := newParamServer(t, nil), newParamServer(t, nil)
	cfg := multiConfig(a.endpoint(), b.endpoint())
	cfg.LoadBalanceHosts = true
	for i := 0; i < 40 && (a.sessions.Load() == 0 || b.sessions.Load() == 0); i++ {
		c, err := Connect(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	if a.sessions.Load() == 0 || b.sessions.Load() == 0 {
		t.Errorf("sessions %d and %d: random order never picked one of the hosts", a.sessions.Load(), b.sessions.Load())
	}
}
