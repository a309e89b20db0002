package wire_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/wire"
)

type itMethod struct {
	name, user, password string
}

var itMethods = []itMethod{
	{"trust", itTrustUser, ""},
	{"password", itPwUser, itPwPass},
	{"md5", itMD5User, itMD5Pass},
	{"scram-sha-256", itSCRAMUser, itSCRAMPass},
}

// authSuite runs against a server with TLS and itHBA (see TestWireIntegration).
func authSuite(t *testing.T, s *pgserver.Server) {
	ca := "sslrootcert=" + s.CAFile()
	transports := []struct {
		name  string
		extra []string
		tls   bool
	}{
		{"disable", []string{"sslmode=disable"}, false},
		{"prefer", []string{"sslmode=prefer"}, true},
		{"require", []string{"sslmode=require"}, true},
		{"verify-ca", []string{"sslmode=verify-ca", ca}, true},
		{"verify-full-localhost", []string{"sslmode=verify-full", ca, "host=localhost"}, true},
		{"verify-full-127.0.0.1", []string{"sslmode=verify-full", ca}, true},
	}

	t.Run("Matrix", func(t *testing.T) {
		for _, m := range itMethods {
			for _, tr := range transports {
				t.Run(m.name+"/"+tr.name, func(t *testing.T) {
					extra := append([]string{"replication=database"}, tr.extra...)
					c := itConnect(t, itConfig(t, s, m.user, m.password, pgserver.Database, extra...))
					if c.TLS() != tr.tls {
						t.Errorf("TLS() = %v, want %v", c.TLS(), tr.tls)
					}
					info, err := c.IdentifySystem(itCtx(t))
					if err != nil || info.DBName != pgserver.Database {
						t.Fatalf("IdentifySystem = %+v, %v", info, err)
					}
					// The server's view: the session user and whether it is encrypted.
					rs := itMustExec(t, c, "SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
					if got := rs[0].Value(0, "current_user"); got != m.user {
						t.Errorf("current_user = %q, want %q", got, m.user)
					}
					if got, want := rs[0].Value(0, "ssl"), map[bool]string{true: "t", false: "f"}[tr.tls]; got != want {
						t.Errorf("pg_stat_ssl.ssl = %q, want %q", got, want)
					}
				})
			}
		}
	})

	t.Run("WrongPassword", func(t *testing.T) {
		for _, m := range itMethods[1:] {
			for _, mode := range []string{"disable", "require"} {
				t.Run(m.name+"/"+mode, func(t *testing.T) {
					cfg := itConfig(t, s, m.user, m.password+"x", pgserver.Database, "sslmode="+mode)
					_, err := wire.Connect(itCtx(t), cfg)
					se := itServerError(t, err, "28P01")
					if !strings.Contains(se.Message, m.user) {
						t.Errorf("message %q does not name the user", se.Message)
					}
					if strings.Contains(err.Error(), m.password) {
						t.Errorf("error quotes the password: %v", err)
					}
				})
			}
		}
	})

	t.Run("NoPasswordGiven", func(t *testing.T) {
		for _, m := range itMethods[1:] {
			cfg := itConfig(t, s, m.user, "", pgserver.Database, "sslmode=disable")
			cfg.Password = "" // whatever $PGPASSWORD says
			_, err := wire.Connect(itCtx(t), cfg)
			itClientError(t, err)
			if !strings.Contains(err.Error(), "password") {
				t.Errorf("%s: %v: want an error about the missing password", m.name, err)
			}
		}
	})

	t.Run("HBAReject", func(t *testing.T) {
		_, err := wire.Connect(itCtx(t), itConfig(t, s, itRejectUser, "x", pgserver.Database, "sslmode=disable"))
		itServerError(t, err, "28000")
	})

	t.Run("NoReplicationAttribute", func(t *testing.T) {
		cfg := itConfig(t, s, itNoRepl, "", pgserver.Database, "sslmode=disable", "replication=database")
		_, err := wire.Connect(itCtx(t), cfg)
		itServerError(t, err, "42501")
		// Without replication the same role may log in.
		cfg.Replication = wire.ReplicationOff
		itConnect(t, cfg)
	})

	t.Run("SCRAMPlus", func(t *testing.T) {
		// Direct: over TLS the server offers SCRAM-SHA-256-PLUS.
		c := itConnect(t, itConfig(t, s, itSCRAMUser, itSCRAMPass, pgserver.Database, "sslmode=require"))
		if !c.TLS() {
			t.Fatal("not TLS")
		}
		// Through a TLS man in the middle that sslmode=require cannot
		// detect: the session works without channel binding (trust, md5),
		// and SCRAM fails on the server's channel-binding check, which the
		// server only makes for SCRAM-SHA-256-PLUS.
		addr := itProxy(t, s, mitmProxy(selfSigned(t)))
		via := func(m itMethod) (*wire.Conn, error) {
			extra := append(hostPort(addr), "sslmode=require")
			return wire.Connect(itCtx(t), itConfig(t, s, m.user, m.password, pgserver.Database, extra...))
		}
		for _, m := range itMethods[:3] {
			c, err := via(m)
			if err != nil {
				t.Fatalf("%s through the MITM proxy: %v", m.name, err)
			}
			c.Close()
		}
		_, err := via(itMethods[3])
		se := itServerError(t, err, "28000")
		if !strings.Contains(se.Message, "channel binding check failed") {
			t.Fatalf("SCRAM through the MITM: %v; want the server's channel binding check to fail (SCRAM-SHA-256-PLUS)", se)
		}
		// verify-ca and verify-full see the man in the middle.
		for _, mode := range []string{"verify-ca", "verify-full"} {
			_, err := wire.Connect(itCtx(t), itConfig(t, s, itTrustUser, "", pgserver.Database,
				append(hostPort(addr), "sslmode="+mode, "sslrootcert="+s.CAFile())...))
			if err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Errorf("%s through the MITM: %v, want a certificate error", mode, err)
			}
		}
	})

	t.Run("VerifyFullWrongName", func(t *testing.T) {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(s.CACertPEM())
		cfg := itConfig(t, s, itTrustUser, "", pgserver.Database, "sslmode=verify-full")
		cfg.TLSConfig = &tls.Config{ServerName: "wrong.example", RootCAs: pool}
		_, err := wire.Connect(itCtx(t), cfg)
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("got %v, want a certificate error", err)
		}
		// The same TLSConfig with the right name works.
		cfg.TLSConfig = &tls.Config{ServerName: "localhost", RootCAs: pool}
		itConnect(t, cfg)
	})

	t.Run("ServerWithoutTLS", func(t *testing.T) {
		addr := itProxy(t, s, noTLSProxy)
		for _, mode := range []string{"require", "verify-ca", "verify-full"} {
			_, err := wire.Connect(itCtx(t), itConfig(t, s, itTrustUser, "", pgserver.Database,
				append(hostPort(addr), "sslmode="+mode, "sslrootcert="+s.CAFile())...))
			itClientError(t, err)
			if !strings.Contains(err.Error(), "does not accept TLS") {
				t.Errorf("sslmode=%s: %v, want a clear error", mode, err)
			}
		}
		for _, m := range itMethods {
			c := itConnect(t, itConfig(t, s, m.user, m.password, pgserver.Database,
				append(hostPort(addr), "sslmode=prefer", "replication=database")...))
			if c.TLS() {
				t.Errorf("%s: TLS() = true", m.name)
			}
			if _, err := c.IdentifySystem(itCtx(t)); err != nil {
				t.Errorf("%s: %v", m.name, err)
			}
		}
	})

	t.Run("DirectTLS", func(t *testing.T) {
		cfg := itConfig(t, s, itSCRAMUser, itSCRAMPass, pgserver.Database,
			"sslnegotiation=direct", "sslmode=verify-full", "sslrootcert="+s.CAFile(), "replication=database")
		ctx := itCtx(t)
		start := time.Now()
		c, err := wire.Connect(ctx, cfg)
		if s.Major() < 17 {
			if err == nil {
				c.Close()
				t.Fatal("direct TLS worked before PostgreSQL 17")
			}
			if ctx.Err() != nil || time.Since(start) > 10*time.Second {
				t.Fatalf("direct TLS against PostgreSQL %d hung until %v: %v", s.Major(), time.Since(start), err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if !c.TLS() {
			t.Error("TLS() = false")
		}
		if _, err := c.IdentifySystem(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("UnixSocket", func(t *testing.T) {
		dsn := "host=" + s.SocketDir() + " port=" + strconv.Itoa(s.Port()) + " user=" + itTrustUser + " dbname=" + pgserver.Database
		cfg, err := wire.ParseConfig(dsn + " replication=database")
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := cfg.Network(); n != "unix" {
			t.Fatalf("Network() = %q", n)
		}
		c := itConnect(t, cfg)
		if c.TLS() {
			t.Error("TLS() = true over a Unix socket")
		}
		if _, err := c.IdentifySystem(itCtx(t)); err != nil {
			t.Fatal(err)
		}
		cfg.SSLMode = wire.SSLRequire
		_, err = wire.Connect(itCtx(t), cfg)
		var se *wire.ServerError
		if err == nil || errors.As(err, &se) {
			t.Fatalf("sslmode=require over a Unix socket: %v, want a client error", err)
		}
	})
}
