package pgserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func versionsUnderTest(t *testing.T) []int {
	t.Helper()
	vs := Available()
	if len(vs) == 0 {
		StartT(t, Config{}) // skips (or fails under CI=true) with a hint
	}
	return vs
}

func mustExec(t *testing.T, s *Server, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := s.Exec(ctx, sql)
	if err != nil {
		t.Fatalf("Exec(%q): %v", sql, err)
	}
	return out
}

// psqlTCP runs psql against a DSN over TCP (password auth, TLS).
func psqlTCP(s *Server, dsn, sql string) (string, error) {
	cmd := exec.Command(s.PsqlPath(), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "PGCONNECT_TIMEOUT=10"}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestServer(t *testing.T) {
	for _, v := range versionsUnderTest(t) {
		v := v
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			s := StartT(t, Config{Version: v, Settings: map[string]string{"work_mem": "7MB"}})
			if s.Major() != v {
				t.Fatalf("Major() = %d, want %d", s.Major(), v)
			}
			if n := s.VersionNum(); n < v*10000 || n >= (v+1)*10000 {
				t.Fatalf("VersionNum() = %d, not a %d.x", n, v)
			}
			if out := mustExec(t, s, "SELECT version()"); !strings.HasPrefix(out, fmt.Sprintf("PostgreSQL %d.", v)) {
				t.Fatalf("version() = %q", out)
			}
			for setting, want := range map[string]string{
				"wal_level":                 "logical",
				"max_replication_slots":     "20",
				"logical_decoding_work_mem": "64kB",
				"work_mem":                  "7MB",
				"listen_addresses":          "127.0.0.1",
			} {
				if got := mustExec(t, s, "SHOW "+setting); got != want {
					t.Errorf("SHOW %s = %q, want %q", setting, got, want)
				}
			}
			if got := mustExec(t, s, "SELECT rolreplication, rolcanlogin, rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'pgwal_repl'"); got != "t|t|t" {
				t.Errorf("pgwal_repl role: %q", got)
			}
			if got := mustExec(t, s, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'pgwal'"); got != s.Superuser() {
				t.Errorf("pgwal database owner: %q", got)
			}
			// trust over TCP as the replication user, into the pgwal database
			if out, err := psqlTCP(s, s.DSN(ReplicationUser, "", Database), "SELECT current_user, current_database()"); err != nil || out != "pgwal_repl|pgwal" {
				t.Errorf("psql over TCP: %q, %v", out, err)
			}
			if os.Geteuid() == 0 {
				fi, err := os.Stat(s.DataDir())
				if err != nil {
					t.Fatal(err)
				}
				if st := fi.Sys().(*syscall.Stat_t); st.Uid == 0 || fi.Mode().Perm() != 0o700 {
					t.Errorf("data dir owned by uid %d, mode %v", st.Uid, fi.Mode().Perm())
				}
			}

			// Restart keeps port and data.
			mustExec(t, s, "CREATE TABLE t (x int); INSERT INTO t VALUES (42)")
			port := s.Port()
			ctx := context.Background()
			for _, mode := range []string{"fast", "immediate"} {
				if err := s.Restart(ctx, mode); err != nil {
					t.Fatal(err)
				}
				if s.Port() != port {
					t.Fatalf("port changed %d -> %d", port, s.Port())
				}
				if got := mustExec(t, s, "SELECT x FROM t"); got != "42" {
					t.Fatalf("after restart -m %s: %q", mode, got)
				}
			}
			if out, err := psqlTCP(s, s.DSN("", "", ""), "SELECT 1"); err != nil || out != "1" {
				t.Errorf("TCP after restart: %q %v", out, err)
			}

			// Stop removes everything; twice is fine.
			dirs := []string{s.DataDir(), s.SocketDir()}
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
			if err := s.Stop(); err != nil {
				t.Fatal(err)
			}
			for _, d := range dirs {
				if _, err := os.Stat(d); !os.IsNotExist(err) {
					t.Errorf("%s still there after Stop (%v)", d, err)
				}
			}
			if c, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
				c.Close()
				t.Errorf("server still listening on %s after Stop", s.Addr())
			}
		})
	}
}

// tlsHandshake does the PostgreSQL SSLRequest dance and a verified TLS
// handshake with Go's crypto/tls.
func tlsHandshake(s *Server, serverName string) error {
	c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var req [8]byte
	binary.BigEndian.PutUint32(req[0:4], 8)
	binary.BigEndian.PutUint32(req[4:8], 80877103)
	if _, err := c.Write(req[:]); err != nil {
		return err
	}
	var resp [1]byte
	if _, err := c.Read(resp[:]); err != nil {
		return err
	}
	if resp[0] != 'S' {
		return fmt.Errorf("SSLRequest answered %q", resp[0])
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CACertPEM()) {
		return fmt.Errorf("bad CA PEM")
	}
	tc := tls.Client(c, &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12})
	if err := tc.Handshake(); err != nil {
		return err
	}
	// the server now waits for a StartupMessage; just make sure the session works
	return tc.Close()
}

func TestTLSAndAuth(t *testing.T) {
	for _, v := range versionsUnderTest(t) {
		v := v
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			s := StartT(t, Config{Version: v, TLS: true, HBA: []string{
				"hostssl all pgwal_repl 127.0.0.1/32 scram-sha-256",
				"hostnossl all pgwal_repl 127.0.0.1/32 reject",
				"host all md5user 127.0.0.1/32 md5",
				"host all scramuser 127.0.0.1/32 scram-sha-256",
			}})
			if got := mustExec(t, s, "SHOW ssl"); got != "on" {
				t.Fatalf("SHOW ssl = %q", got)
			}
			for _, name := range []string{"127.0.0.1", "localhost"} {
				if err := tlsHandshake(s, name); err != nil {
					t.Errorf("TLS handshake (ServerName %s): %v", name, err)
				}
			}
			if b, err := os.ReadFile(s.CAFile()); err != nil || string(b) != string(s.CACertPEM()) {
				t.Errorf("CAFile: %v", err)
			}
			ctx := context.Background()
			if err := s.CreateRole(ctx, "md5user", "md5-pw", "md5"); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateRole(ctx, "scramuser", "scram-pw", "scram-sha-256"); err != nil {
				t.Fatal(err)
			}
			got := mustExec(t, s, "SELECT string_agg(rolname || ':' || left(rolpassword, 6), ',' ORDER BY rolname) FROM pg_authid WHERE rolname IN ('md5user', 'scramuser')")
			if !strings.HasPrefix(got, "md5user:md5") || !strings.Contains(got, ",scramuser:SCRAM-") {
				t.Errorf("password hashes: %q", got)
			}
			verify := []string{"sslmode=verify-full", "sslrootcert=" + s.CAFile()}
			cases := []struct {
				dsn string
				ok  bool
			}{
				{s.DSN(ReplicationUser, ReplicationPassword, Database, verify...), true},
				{s.DSN(ReplicationUser, "wrong", Database, verify...), false},
				{s.DSN(ReplicationUser, ReplicationPassword, Database, "sslmode=disable"), false},
				{s.DSN("md5user", "md5-pw", "", "sslmode=disable"), true},
				{s.DSN("md5user", "nope", "", "sslmode=disable"), false},
				{s.DSN("scramuser", "scram-pw", "", "sslmode=require"), true},
				{s.DSN("scramuser", "nope", "", "sslmode=require"), false},
				{s.DSN("", "", "", "sslmode=disable"), false}, // superuser: no TCP line
			}
			for _, c := range cases {
				out, err := psqlTCP(s, c.dsn, "SELECT current_user")
				if (err == nil) != c.ok {
					t.Errorf("psql %q: ok=%v, want %v: %s", c.dsn, err == nil, c.ok, out)
				}
			}
		})
	}
}

func TestDefaultVersionAndLogf(t *testing.T) {
	vs := versionsUnderTest(t)
	var mu = make(chan struct{}, 1)
	var lines []string
	s := StartT(t, Config{Logf: func(format string, args ...any) {
		mu <- struct{}{}
		lines = append(lines, fmt.Sprintf(format, args...))
		<-mu
	}})
	if want := vs[len(vs)-1]; s.Major() != want {
		t.Errorf("Version 0 started %d, want newest %d", s.Major(), want)
	}
	if _, err := s.Exec(context.Background(), "SELECT * FROM no_such_table"); err == nil || !strings.Contains(err.Error(), "no_such_table") {
		t.Errorf("Exec error = %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	mu <- struct{}{}
	all := strings.Join(lines, "\n")
	<-mu
	if !strings.Contains(all, "ready to accept connections") || !strings.Contains(all, "no_such_table") {
		t.Errorf("Logf did not get the server log:\n%s", all)
	}
}

func TestStartFailureShowsLog(t *testing.T) {
	vs := versionsUnderTest(t)
	_, err := Start(context.Background(), Config{Version: vs[0], Settings: map[string]string{"shared_buffers": "nonsense"}})
	if err == nil {
		t.Fatal("Start with a bad setting succeeded")
	}
	if !strings.Contains(err.Error(), "shared_buffers") {
		t.Errorf("error lacks the server log: %v", err)
	}
}

func TestLogFileReadable(t *testing.T) {
	vs := versionsUnderTest(t)
	s := StartT(t, Config{Version: vs[0]})
	f, err := os.Open(s.LogFile())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
	}
	if n == 0 {
		t.Error("empty server log")
	}
}

func TestConfigBinDirErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Start(context.Background(), Config{BinDir: dir}); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Start with an empty BinDir: %v, want an error naming %s", err, dir)
	}
	vs := versionsUnderTest(t)
	in, err := findInstall(vs[0])
	if err != nil {
		t.Fatal(err)
	}
	wrong := in.Major + 1
	if _, err := Start(context.Background(), Config{BinDir: in.BinDir, Version: wrong}); err == nil ||
		!strings.Contains(err.Error(), fmt.Sprintf("not %d", wrong)) {
		t.Errorf("Start with BinDir %s (PostgreSQL %d) and Version %d: %v", in.BinDir, in.Major, wrong, err)
	}
}

// TestConfigBinDir starts the install the finder ranks last, which for a
// version that is both cached and installed by Debian is one it would not
// pick by itself.
func TestConfigBinDir(t *testing.T) {
	versionsUnderTest(t)
	list, _ := candidates()
	last := list[len(list)-1]
	s := StartT(t, Config{BinDir: last.BinDir, Version: last.Major})
	if s.BinDir() != last.BinDir || s.Major() != last.Major {
		t.Fatalf("started %s (PostgreSQL %d), want %s (%d)", s.BinDir(), s.Major(), last.BinDir, last.Major)
	}
	if out := mustExec(t, s, "SELECT current_setting('server_version_num')::int / 10000"); out != fmt.Sprint(last.Major) {
		t.Errorf("server reports major %s, want %d", out, last.Major)
	}
	if in, _ := findInstall(last.Major); in.BinDir != last.BinDir {
		t.Logf("BinDir %s chosen over the finder's %s", last.BinDir, in.BinDir)
	}
}
