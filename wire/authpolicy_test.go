package wire

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// authServer is a scripted server for the authentication phase: it reads
// the startup packet (answering an SSLRequest with 'N', or with 'S' and a
// TLS handshake when tlsCert is set), then runs script, which writes
// authentication requests and reads the client's answers. Everything the
// client sent after the startup packet is kept in got.
type authServer struct {
	t       *testing.T
	ln      net.Listener
	tlsCert *tls.Certificate
	alpn    []string // ALPN protocols the TLS server accepts (direct TLS)
	direct  bool     // expect TLS at once, not an SSLRequest
	tlsConf func(*tls.Config)
	peer    []*x509.Certificate // the client's certificates, after TLS
	script  func(s *authServer) error
	nc      net.Conn
	got     bytes.Buffer // client messages after startup, raw
	done    chan error
}

func newAuthServer(t *testing.T, script func(s *authServer) error) *authServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &authServer{t: t, ln: ln, script: script, done: make(chan error, 1)}
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *authServer) start() *authServer {
	go func() { s.done <- s.serve() }()
	return s
}

func (s *authServer) config() *Config {
	_, port, _ := net.SplitHostPort(s.ln.Addr().String())
	cfg, err := ParseConfig("host=127.0.0.1 port=" + port + " user=u dbname=d sslmode=prefer passfile=''")
	if err != nil {
		s.t.Fatal(err)
	}
	cfg.PassFile = ""
	return cfg
}

func (s *authServer) serve() error {
	nc, err := s.ln.Accept()
	if err != nil {
		return err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	s.nc = nc
	if s.direct {
		tc := tls.Server(nc, s.serverTLS())
		if err := tc.Handshake(); err != nil {
			return err
		}
		s.nc, s.peer = tc, tc.ConnectionState().PeerCertificates
	}
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(s.nc, hdr[:]); err != nil {
			return err
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		if binary.BigEndian.Uint32(hdr[4:]) == 80877103 { // SSLRequest
			if s.tlsCert == nil {
				s.nc.Write([]byte{'N'})
				continue
			}
			s.nc.Write([]byte{'S'})
			tc := tls.Server(s.nc, s.serverTLS())
			if err := tc.Handshake(); err != nil {
				return err
			}
			s.nc, s.peer = tc, tc.ConnectionState().PeerCertificates
			continue
		}
		if _, err := io.CopyN(io.Discard, s.nc, int64(n)-8); err != nil {
			return err
		}
		break
	}
	return s.script(s)
}

func (s *authServer) serverTLS() *tls.Config {
	tc := &tls.Config{Certificates: []tls.Certificate{*s.tlsCert}, NextProtos: s.alpn}
	if s.tlsConf != nil {
		s.tlsConf(tc)
	}
	return tc
}

// send writes a backend message.
func (s *authServer) send(typ byte, body []byte) {
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(4+len(body)))
	s.nc.Write(append(b, body...))
}

func (s *authServer) auth(code uint32, data []byte) {
	s.send('R', append(binary.BigEndian.AppendUint32(nil, code), data...))
}

func (s *authServer) ok() {
	s.auth(0, nil)
	s.send('Z', []byte{'I'})
}

// recv reads one client message, recording it.
func (s *authServer) recv() (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(s.nc, hdr[:]); err != nil {
		return 0, nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(hdr[1:])-4)
	if _, err := io.ReadFull(s.nc, body); err != nil {
		return 0, nil, err
	}
	s.got.Write(hdr[:])
	s.got.Write(body)
	return hdr[0], body, nil
}

// drain records whatever the client still sends until it closes.
func (s *authServer) drain() error {
	for {
		if _, _, err := s.recv(); err != nil {
			return nil
		}
	}
}

func saslMechs(m ...string) []byte {
	var b []byte
	for _, x := range m {
		b = append(append(b, x...), 0)
	}
	return append(b, 0)
}

func connectAuth(t *testing.T, s *authServer, cfg *Config) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Connect(ctx, cfg)
	if err == nil {
		c.Close()
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("server script did not finish")
	}
	return err
}

func TestAuthPolicyRefusals(t *testing.T) {
	const pw = "s3cret-pw"
	cases := []struct {
		name        string
		requireAuth string
		cb          ChannelBinding
		script      func(s *authServer) error
		wantErr     error // nil = success
	}{
		{"trust allowed by default", "", "", func(s *authServer) error { s.ok(); return s.drain() }, nil},
		{"trust refused by a method list", "scram-sha-256", "", func(s *authServer) error { s.ok(); return s.drain() }, ErrAuthRefused},
		{"trust allowed by none", "md5,none", "", func(s *authServer) error { s.ok(); return s.drain() }, nil},
		{"trust refused by !none", "!none", "", func(s *authServer) error { s.ok(); return s.drain() }, ErrAuthRefused},
		{"cleartext refused", "scram-sha-256", "", func(s *authServer) error { s.auth(3, nil); return s.drain() }, ErrAuthRefused},
		{"cleartext refused by negation", "!password", "", func(s *authServer) error { s.auth(3, nil); return s.drain() }, ErrAuthRefused},
		{"md5 refused", "password", "", func(s *authServer) error { s.auth(5, []byte{1, 2, 3, 4}); return s.drain() }, ErrAuthRefused},
		{"cleartext allowed", "password", "", func(s *authServer) error {
			s.auth(3, nil)
			if typ, body, err := s.recv(); err != nil || typ != 'p' || string(body) != pw+"\x00" {
				return errors.New("no password message")
			}
			s.ok()
			return s.drain()
		}, nil},
		{"sasl refused", "md5", "", func(s *authServer) error { s.auth(10, saslMechs("SCRAM-SHA-256")); return s.drain() }, ErrAuthRefused},
		{"cleartext after SASL began", "", "", func(s *authServer) error {
			s.auth(10, saslMechs("SCRAM-SHA-256"))
			if typ, _, err := s.recv(); err != nil || typ != 'p' {
				return errors.New("no SASLInitialResponse")
			}
			s.auth(3, nil) // a man in the middle wants the password itself
			return s.drain()
		}, ErrAuthRefused},
		{"md5 after SASL began", "", "", func(s *authServer) error {
			s.auth(10, saslMechs("SCRAM-SHA-256"))
			s.recv()
			s.auth(5, []byte{1, 2, 3, 4})
			return s.drain()
		}, ErrAuthRefused},
		{"channel binding required: trust", "", ChannelBindingRequire, func(s *authServer) error { s.ok(); return s.drain() }, ErrAuthRefused},
		{"channel binding required: cleartext", "", ChannelBindingRequire, func(s *authServer) error { s.auth(3, nil); return s.drain() }, ErrAuthRefused},
		{"channel binding required: md5", "", ChannelBindingRequire, func(s *authServer) error { s.auth(5, []byte{1, 2, 3, 4}); return s.drain() }, ErrAuthRefused},
		{"channel binding required: SCRAM without TLS", "", ChannelBindingRequire, func(s *authServer) error {
			s.auth(10, saslMechs("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"))
			return s.drain()
		}, ErrAuthRefused},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newAuthServer(t, tc.script).start()
			cfg := s.config()
			cfg.Password, cfg.RequireAuth, cfg.ChannelBinding = pw, tc.requireAuth, tc.cb
			err := connectAuth(t, s, cfg)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Connect: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Connect: %v, want %v", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error quotes the password: %v", err)
			}
			if bytes.Contains(s.got.Bytes(), []byte(pw)) {
				t.Errorf("the password was sent to the server: %q", s.got.Bytes())
			}
		})
	}
}

// Over TLS, channel_binding=require picks SCRAM-SHA-256-PLUS, and refuses a
// server that offers only SCRAM-SHA-256 (a man in the middle hiding -PLUS).
func TestAuthChannelBindingRequireTLS(t *testing.T) {
	cert := testCert(t, nil)
	for _, tc := range []struct {
		name    string
		mechs   []string
		wantErr bool
		wantMec string
	}{
		{"plus offered", []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}, false, "SCRAM-SHA-256-PLUS"},
		{"plus hidden", []string{"SCRAM-SHA-256"}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mech string
			s := newAuthServer(t, func(s *authServer) error {
				s.auth(10, saslMechs(tc.mechs...))
				_, body, err := s.recv()
				if err != nil {
					return nil
				}
				mech, _, _ = strings.Cut(string(body), "\x00")
				return nil // hang up: the client sees EOF
			})
			s.tlsCert = &cert
			s.start()
			cfg := s.config()
			cfg.Password, cfg.SSLMode, cfg.ChannelBinding = "pw", SSLRequire, ChannelBindingRequire
			err := connectAuth(t, s, cfg)
			if tc.wantErr {
				if !errors.Is(err, ErrAuthRefused) {
					t.Fatalf("Connect: %v, want ErrAuthRefused", err)
				}
				return
			}
			// The script stops after SASLInitialResponse: the client sees EOF.
			if mech != tc.wantMec {
				t.Fatalf("mechanism %q, want %q (err %v)", mech, tc.wantMec, err)
			}
		})
	}
	// channel_binding=disable never binds, and says so with "n,,".
	var first string
	s := newAuthServer(t, func(s *authServer) error {
		s.auth(10, saslMechs("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"))
		_, body, err := s.recv()
		if err == nil {
			first = string(body)
		}
		return nil
	})
	s.tlsCert = &cert
	s.start()
	cfg := s.config()
	cfg.Password, cfg.SSLMode, cfg.ChannelBinding = "pw", SSLRequire, ChannelBindingDisable
	connectAuth(t, s, cfg)
	if !strings.HasPrefix(first, "SCRAM-SHA-256\x00") || !strings.Contains(first, "n,,n=") {
		t.Errorf("channel_binding=disable sent %q, want SCRAM-SHA-256 with GS2 header n,,", first)
	}
}
