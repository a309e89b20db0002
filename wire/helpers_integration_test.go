package wire_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/wire"
)

// Roles of the shared integration server, one per pg_hba method. Every role
// has REPLICATION except itNoRepl.
const (
	itTrustUser  = pgserver.ReplicationUser // falls through to the trust line
	itPwUser     = "it_password"
	itMD5User    = "it_md5"
	itSCRAMUser  = "it_scram"
	itRejectUser = "it_reject"
	itNoRepl     = "it_norepl"

	itPwPass    = "cleartext pw"
	itMD5Pass   = "md5-pw'x"
	itSCRAMPass = "scram pässwörd"
)

// itHBA: one line per method, selected by role, then trust for the rest.
var itHBA = []string{
	"local all all trust",
	"host all " + itPwUser + " 127.0.0.1/32 password",
	"host all " + itMD5User + " 127.0.0.1/32 md5",
	"host all " + itSCRAMUser + " 127.0.0.1/32 scram-sha-256",
	"host all " + itRejectUser + " 127.0.0.1/32 reject",
	"host replication " + itSCRAMUser + " 127.0.0.1/32 scram-sha-256",
	"host all all 127.0.0.1/32 trust",
	"host replication all 127.0.0.1/32 trust",
}

// TestWireIntegration starts one TLS server per available major version
// (all of 14–18 under CI=true) and runs the authentication and command
// suites against it. Versions run two at a time: a server takes ~7 s to
// start.
func TestWireIntegration(t *testing.T) {
	versions := pgserver.VersionsT(t)
	for _, v := range versions {
		v := v // go.mod says go 1.21: one v per iteration
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			t.Parallel()
			s := pgserver.StartT(t, pgserver.Config{Version: v, TLS: true, HBA: itHBA})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			setup := fmt.Sprintf(`SET password_encryption = 'scram-sha-256';
CREATE ROLE %[1]s LOGIN REPLICATION PASSWORD %[2]s;
CREATE ROLE %[3]s LOGIN REPLICATION PASSWORD %[4]s;
CREATE ROLE %[5]s LOGIN REPLICATION PASSWORD 'x';
CREATE ROLE %[6]s LOGIN;
SET password_encryption = 'md5';
CREATE ROLE %[7]s LOGIN REPLICATION PASSWORD %[8]s;`,
				itPwUser, pgserver.QuoteLiteral(itPwPass), itSCRAMUser, pgserver.QuoteLiteral(itSCRAMPass),
				itRejectUser, itNoRepl, itMD5User, pgserver.QuoteLiteral(itMD5Pass))
			if _, err := s.Exec(ctx, setup); err != nil {
				t.Fatal(err)
			}
			if out, err := s.Exec(ctx, "SELECT left(rolpassword, 3) FROM pg_authid WHERE rolname = "+pgserver.QuoteLiteral(itMD5User)); err != nil || out != "md5" {
				t.Fatalf("md5 role password not stored as md5: %q, %v", out, err)
			}
			t.Run("Auth", func(t *testing.T) { authSuite(t, s) })
			t.Run("Commands", func(t *testing.T) { commandSuite(t, s) })
		})
	}
}

// itCtx is the per-step context: nothing may hang the suite.
func itCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// itConfig parses s.DSN(user, password, db, extra...).
func itConfig(t *testing.T, s *pgserver.Server, user, password, db string, extra ...string) *wire.Config {
	t.Helper()
	cfg, err := wire.ParseConfig(s.DSN(user, password, db, extra...))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// itConnect connects and closes the Conn at the end of the test.
func itConnect(t *testing.T, cfg *wire.Config) *wire.Conn {
	t.Helper()
	c, err := wire.Connect(itCtx(t), cfg)
	if err != nil {
		t.Fatalf("connect %s: %v", cfg, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// itServerError asserts that err is a *wire.ServerError with code and a
// message, and returns it.
func itServerError(t *testing.T, err error, code string) *wire.ServerError {
	t.Helper()
	var se *wire.ServerError
	if !errors.As(err, &se) {
		t.Fatalf("got %v (%T), want a *wire.ServerError %s", err, err, code)
	}
	if se.Code != code || se.Message == "" {
		t.Fatalf("got %s code %q message %q, want code %s and a message", se.Severity, se.Code, se.Message, code)
	}
	return se
}

// itClientError asserts that err is a client-side error (not from the server).
func itClientError(t *testing.T, err error) {
	t.Helper()
	var se *wire.ServerError
	if err == nil || errors.As(err, &se) {
		t.Fatalf("got %v, want a client-side error", err)
	}
}

func itMustExec(t *testing.T, c *wire.Conn, sql string) []wire.Result {
	t.Helper()
	rs, err := c.Exec(itCtx(t), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return rs
}

// countConn counts the writes to a transport, to show that a call made no
// server round trip.
type countConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// itProxy listens on loopback and hands every accepted client to serve,
// together with a fresh TCP connection to the server. It stops with the test.
func itProxy(t *testing.T, s *pgserver.Server, serve func(client, server net.Conn) error) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			cl, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer cl.Close()
				cl.SetDeadline(time.Now().Add(20 * time.Second))
				sv, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
				if err != nil {
					return
				}
				defer sv.Close()
				sv.SetDeadline(time.Now().Add(20 * time.Second))
				serve(cl, sv)
			}()
		}
	}()
	return l.Addr().String()
}

// readSSLRequest reads the client's first packet and reports whether it is
// an SSLRequest; any other packet is returned for forwarding.
func readSSLRequest(c net.Conn) (bool, []byte, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return false, nil, err
	}
	if binary.BigEndian.Uint32(hdr[:4]) == 8 && binary.BigEndian.Uint32(hdr[4:]) == 80877103 {
		return true, nil, nil
	}
	return false, hdr[:], nil
}

// pipe copies both ways until one side ends.
func pipe(a, b net.Conn) error {
	done := make(chan error, 2)
	go func() { _, err := io.Copy(a, b); done <- err }()
	go func() { _, err := io.Copy(b, a); done <- err }()
	err := <-done
	a.Close()
	b.Close()
	<-done
	return err
}

// noTLSProxy plays a server with ssl=off: it answers an SSLRequest with 'N'
// and then forwards the plain session to the real server.
func noTLSProxy(client, server net.Conn) error {
	isSSL, first, err := readSSLRequest(client)
	if err != nil {
		return err
	}
	if isSSL {
		if _, err := client.Write([]byte{'N'}); err != nil {
			return err
		}
	} else if _, err := server.Write(first); err != nil {
		return err
	}
	return pipe(client, server)
}

// mitmProxy terminates the client's TLS with its own certificate and opens
// a separate TLS session to the server: a man in the middle that sslmode
// require (no verification) cannot see, but SCRAM channel binding can.
func mitmProxy(cert tls.Certificate) func(client, server net.Conn) error {
	return func(client, server net.Conn) error {
		isSSL, _, err := readSSLRequest(client)
		if err != nil || !isSSL {
			return fmt.Errorf("mitm: want an SSLRequest (%v)", err)
		}
		if _, err := client.Write([]byte{'S'}); err != nil {
			return err
		}
		var req [8]byte
		binary.BigEndian.PutUint32(req[:4], 8)
		binary.BigEndian.PutUint32(req[4:], 80877103)
		if _, err := server.Write(req[:]); err != nil {
			return err
		}
		var answer [1]byte
		if _, err := io.ReadFull(server, answer[:]); err != nil || answer[0] != 'S' {
			return fmt.Errorf("mitm: server answered %q (%v)", answer[0], err)
		}
		ts := tls.Client(server, &tls.Config{InsecureSkipVerify: true})
		tc := tls.Server(client, &tls.Config{Certificates: []tls.Certificate{cert}})
		return pipe(tc, ts)
	}
}

// selfSigned makes a throwaway certificate for localhost and 127.0.0.1.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// hostPort splits a proxy address into DSN overrides.
func hostPort(addr string) []string {
	h, p, _ := strings.Cut(addr, ":")
	return []string{"host=" + h, "port=" + p}
}
