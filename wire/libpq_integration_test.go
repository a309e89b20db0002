package wire_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/wire"
)

const (
	lqCertUser  = "it_cert"
	lqSCRAMUser = "it_lq_scram"
	lqSCRAMPass = "lq scram pw"
	lqMD5User   = "it_lq_md5"
	lqMD5Pass   = "lq md5 pw"
)

var lqHBA = []string{
	"local all all trust",
	"hostssl all " + lqCertUser + " 127.0.0.1/32 cert",
	"host all " + lqCertUser + " 127.0.0.1/32 reject",
	"host all " + lqSCRAMUser + " 127.0.0.1/32 scram-sha-256",
	"host replication " + lqSCRAMUser + " 127.0.0.1/32 scram-sha-256",
	"host all " + lqMD5User + " 127.0.0.1/32 md5",
	"host all all 127.0.0.1/32 trust",
	"host replication all 127.0.0.1/32 trust",
}

// TestLibpqIntegration proves the libpq-compatible settings against every
// available PostgreSQL, one at a time: client certificates (pg_hba cert),
// require_auth and channel_binding, the password file, several hosts with
// target_session_attrs, direct TLS with ALPN (17+) and Cancel.
func TestLibpqIntegration(t *testing.T) {
	versions := pgserver.VersionsT(t)
	for _, v := range versions {
		v := v
		t.Run("pg"+strconv.Itoa(v), func(t *testing.T) { libpqSuite(t, v) })
	}
}

func libpqSuite(t *testing.T, version int) {
	s := pgserver.StartT(t, pgserver.Config{Version: version, TLS: true, HBA: lqHBA})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Exec(ctx, "SET password_encryption = 'scram-sha-256';\n"+
		"CREATE ROLE "+lqCertUser+" LOGIN REPLICATION;\n"+
		"CREATE ROLE "+lqSCRAMUser+" LOGIN REPLICATION PASSWORD "+pgserver.QuoteLiteral(lqSCRAMPass)+";\n"+
		"SET password_encryption = 'md5';\n"+
		"CREATE ROLE "+lqMD5User+" LOGIN PASSWORD "+pgserver.QuoteLiteral(lqMD5Pass)+";"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Setenv("PGPASSFILE", "")
	t.Setenv("PGPASSWORD", "")

	t.Run("ClientCertificate", func(t *testing.T) {
		certPEM, keyPEM, err := s.ClientCert(lqCertUser)
		if err != nil {
			t.Fatal(err)
		}
		certFile := filepath.Join(dir, "client.crt")
		keyFile := filepath.Join(dir, "client.key")
		if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		extra := []string{"sslmode=verify-full", "sslrootcert=" + s.CAFile(), "sslcert=" + certFile, "sslkey=" + keyFile, "replication=database"}
		c := itConnect(t, itConfig(t, s, lqCertUser, "", pgserver.Database, extra...))
		if _, err := c.IdentifySystem(itCtx(t)); err != nil {
			t.Fatal(err)
		}
		rs := itMustExec(t, c, "SELECT current_user, client_dn FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE pid = pg_backend_pid()")
		if got := rs[0].Value(0, "current_user"); got != lqCertUser {
			t.Errorf("current_user = %q", got)
		}
		if got := rs[0].Value(0, "client_dn"); !strings.Contains(got, "CN="+lqCertUser) {
			t.Errorf("client_dn = %q, want the certificate's CN", got)
		}
		// sslcertmode=require is satisfied: the server asks for a certificate.
		itConnect(t, itConfig(t, s, lqCertUser, "", pgserver.Database, append(extra, "sslcertmode=require")...))
		// Without the certificate the cert line rejects the session.
		_, err = wire.Connect(itCtx(t), itConfig(t, s, lqCertUser, "", pgserver.Database, "sslmode=require", "sslcertmode=disable"))
		itServerError(t, err, "28000")
	})

	t.Run("RequireAuth", func(t *testing.T) {
		for _, tc := range []struct {
			user, pass string
			extra      []string
			refused    bool
		}{
			{lqSCRAMUser, lqSCRAMPass, []string{"require_auth=scram-sha-256", "sslmode=disable"}, false},
			{lqSCRAMUser, lqSCRAMPass, []string{"require_auth=password,md5", "sslmode=disable"}, true},
			{lqMD5User, lqMD5Pass, []string{"require_auth=!md5", "sslmode=disable"}, true},
			{lqMD5User, lqMD5Pass, []string{"require_auth=md5", "sslmode=disable"}, false},
			{itTrustUser, "", []string{"require_auth=scram-sha-256", "sslmode=disable"}, true},
			{itTrustUser, "", []string{"require_auth=!none", "sslmode=disable"}, true},
			{lqSCRAMUser, lqSCRAMPass, []string{"channel_binding=require", "sslmode=require"}, false},
			{lqSCRAMUser, lqSCRAMPass, []string{"channel_binding=require", "sslmode=prefer", "replication=database"}, false},
			{lqMD5User, lqMD5Pass, []string{"channel_binding=require", "sslmode=require"}, true},
			{itTrustUser, "", []string{"channel_binding=require", "sslmode=require"}, true},
		} {
			c, err := wire.Connect(itCtx(t), itConfig(t, s, tc.user, tc.pass, pgserver.Database, tc.extra...))
			if tc.refused {
				if !errors.Is(err, wire.ErrAuthRefused) {
					t.Errorf("%s %v: %v, want ErrAuthRefused", tc.user, tc.extra, err)
				}
				if err != nil && tc.pass != "" && strings.Contains(err.Error(), tc.pass) {
					t.Errorf("error quotes the password: %v", err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s %v: %v", tc.user, tc.extra, err)
				continue
			}
			c.Close()
		}
	})

	t.Run("PassFile", func(t *testing.T) {
		pf := filepath.Join(dir, "pgpass")
		line := "127.0.0.1:" + strconv.Itoa(s.Port()) + ":*:" + lqSCRAMUser + ":" + strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(lqSCRAMPass) + "\n"
		if err := os.WriteFile(pf, []byte("# test\n*:*:*:nobody:x\n"+line), 0o600); err != nil {
			t.Fatal(err)
		}
		c := itConnect(t, itConfig(t, s, lqSCRAMUser, "", pgserver.Database, "sslmode=disable", "passfile="+pf))
		if got := itMustExec(t, c, "SELECT current_user")[0].Value(0, "current_user"); got != lqSCRAMUser {
			t.Errorf("current_user = %q", got)
		}
		// PGPASSFILE, as libpq.
		t.Setenv("PGPASSFILE", pf)
		itConnect(t, itConfig(t, s, lqSCRAMUser, "", pgserver.Database, "sslmode=require", "replication=database"))
		t.Setenv("PGPASSFILE", "")
		// Group-readable: ignored, and the error says so.
		if err := os.Chmod(pf, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := wire.Connect(itCtx(t), itConfig(t, s, lqSCRAMUser, "", pgserver.Database, "sslmode=disable", "passfile="+pf))
		if err == nil || !strings.Contains(err.Error(), "group or world access") {
			t.Errorf("group-readable password file: %v", err)
		}
	})

	t.Run("Hosts", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
		l.Close()
		up := strconv.Itoa(s.Port())
		for _, dsn := range []string{
			"host=127.0.0.1,localhost port=" + down + "," + up + " user=" + itTrustUser + " dbname=" + pgserver.Database,
			"postgres://" + itTrustUser + "@127.0.0.1:" + down + ",127.0.0.1:" + up + "/" + pgserver.Database + "?target_session_attrs=read-write",
			"host=x.invalid,db hostaddr=127.0.0.1,127.0.0.1 port=" + down + "," + up + " user=" + itTrustUser + " dbname=" + pgserver.Database + " target_session_attrs=primary replication=database sslmode=disable",
		} {
			cfg, err := wire.ParseConfig(dsn)
			if err != nil {
				t.Fatal(err)
			}
			c := itConnect(t, cfg)
			if c.ParameterStatus("in_hot_standby") != "off" {
				t.Errorf("%s: in_hot_standby = %q", dsn, c.ParameterStatus("in_hot_standby"))
			}
		}
		for _, attrs := range []string{"standby", "read-only"} {
			cfg, _ := wire.ParseConfig("host=127.0.0.1,127.0.0.1 port=" + down + "," + up + " user=" + itTrustUser + " dbname=" + pgserver.Database + " replication=database target_session_attrs=" + attrs)
			_, err := wire.Connect(itCtx(t), cfg)
			var ce *wire.ConnectError
			if !errors.As(err, &ce) || len(ce.Attempts) != 2 || !errors.Is(err, wire.ErrTargetSessionAttrs) {
				t.Errorf("%s against a primary: %v, want a ConnectError with ErrTargetSessionAttrs", attrs, err)
			}
		}
		// prefer-standby settles for the primary.
		cfg, _ := wire.ParseConfig("host=127.0.0.1 port=" + up + " user=" + itTrustUser + " dbname=" + pgserver.Database + " target_session_attrs=prefer-standby")
		itConnect(t, cfg)
	})

	t.Run("DirectTLS", func(t *testing.T) {
		if s.Major() < 17 {
			t.Skipf("PostgreSQL %d has no direct TLS", s.Major())
		}
		cfg := itConfig(t, s, lqSCRAMUser, lqSCRAMPass, pgserver.Database, "sslnegotiation=direct", "sslmode=verify-full",
			"sslrootcert="+s.CAFile(), "channel_binding=require", "replication=database")
		c := itConnect(t, cfg)
		if !c.TLS() {
			t.Fatal("TLS() = false")
		}
		if _, err := c.IdentifySystem(itCtx(t)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Cancel", func(t *testing.T) {
		for _, extra := range [][]string{
			{"sslmode=disable"},
			{"sslmode=verify-full", "sslrootcert=" + s.CAFile()},
			{"sslmode=require", "sslnegotiation=direct"},
		} {
			if s.Major() < 17 && strings.Contains(strings.Join(extra, " "), "direct") {
				continue
			}
			c := itConnect(t, itConfig(t, s, itTrustUser, "", pgserver.Database, extra...))
			errc := make(chan error, 1)
			start := time.Now()
			go func() {
				_, err := c.Exec(context.Background(), "SELECT pg_sleep(30)")
				errc <- err
			}()
			// Wait until the sleep runs, then cancel it from here.
			waitSleeping(t, s, c.PID())
			cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := c.Cancel(cctx)
			ccancel()
			if err != nil {
				t.Fatalf("%v: Cancel: %v", extra, err)
			}
			select {
			case err := <-errc:
				itServerError(t, err, "57014")
			case <-time.After(15 * time.Second):
				t.Fatalf("%v: Exec not cancelled", extra)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("cancelled after %v", d)
			}
			// The session survives the cancellation.
			if got := itMustExec(t, c, "SELECT 1 AS one")[0].Value(0, "one"); got != "1" {
				t.Errorf("after cancel: %q", got)
			}
		}
	})
}

// TestExecContextCancels: a command whose context ends is cancelled on
// the server, and the session goes on (it was broken before: the answer's
// end was unknown).
func TestExecContextCancels(t *testing.T) {
	eachVersion(t, pgserver.Config{}, func(t *testing.T, s *pgserver.Server) {
		for _, repl := range []string{"", "replication=database"} {
			extra := []string{"sslmode=disable"}
			if repl != "" {
				extra = append(extra, repl)
			}
			c := itConnect(t, itConfig(t, s, itTrustUser, "", pgserver.Database, extra...))
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			start := time.Now()
			_, err := c.Exec(ctx, "SELECT pg_sleep(30)")
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%s: Exec: %v, want the context's deadline", repl, err)
			}
			var se *wire.ServerError
			if !errors.As(err, &se) || se.Code != "57014" {
				t.Errorf("%s: Exec error %v: want the server's 57014 in the chain", repl, err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("%s: took %v", repl, d)
			}
			if got := itMustExec(t, c, "SELECT 1 AS one")[0].Value(0, "one"); got != "1" {
				t.Errorf("%s: after the abandoned command: %q", repl, got)
			}
		}
	})
}

// waitSleeping waits until backend pid runs pg_sleep.
func waitSleeping(t *testing.T, s *pgserver.Server, pid uint32) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out, err := s.Exec(itCtx(t), "SELECT wait_event FROM pg_stat_activity WHERE pid = "+strconv.Itoa(int(pid)))
		if err == nil && strings.TrimSpace(out) == "PgSleep" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("backend %d never started sleeping", pid)
}
