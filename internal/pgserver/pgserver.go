// Package pgserver starts throwaway PostgreSQL servers (major versions
// 14..18) with logical replication enabled, for tests, demos and tools.
//
// Binaries are found, in this order: $PGWAL_PG<N>_BIN / $PGWAL_PG_BIN (a bin
// dir), the download cache filled by scripts/fetch-postgres.sh (see
// CacheDir), the system install /usr/lib/postgresql/<N>/bin (Debian).
//
// When running as root the server runs as the unprivileged OS user "pgwal"
// (created with useradd if missing, falling back to "nobody").
//
// SQL is run through a psql client (Exec); the npm server packages ship no
// client programs, so Debian's postgresql-client (any version >= 14 talks to
// 14..18) is used when the server's bin dir has no psql.
package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Well-known names created in every server.
const (
	SuperuserName       = "postgres"
	ReplicationUser     = "pgwal_repl"
	ReplicationPassword = "pgwal-pw"
	Database            = "pgwal"
)

// Config configures Start.
type Config struct {
	// Version is the major version wanted (14..18); 0 = newest available.
	Version int
	// BinDir, if set, is the bin dir of the install to run (it must hold
	// postgres, initdb and pg_ctl), instead of the one the finder picks;
	// for a test that needs what only that install has, such as an
	// extension. Version, if also set, must be its major version.
	BinDir string
	// Settings are extra postgresql.conf settings; they override the defaults.
	Settings map[string]string
	// HBA lines for pg_hba.conf. nil = trust for everything on loopback TCP
	// and the socket. When set, the file is: local trust lines for the
	// superuser only (so Exec keeps working), then these lines, nothing else.
	HBA []string
	// TLS generates a self-signed CA + server cert (ECDSA P-256, valid for
	// 127.0.0.1 and localhost) and turns ssl on.
	TLS bool
	// Logf, if set, receives progress messages and server log lines.
	Logf func(format string, args ...any)
}

// Server is a running throwaway PostgreSQL server.
type Server struct {
	cfg        Config
	inst       install
	user       *osUser // nil when not root
	base       string  // everything lives under here
	dataDir    string
	sockDir    string
	logFile    string
	caFile     string
	caPEM      []byte
	port       int
	versionNum int
	psql       string

	mu       sync.Mutex
	stopped  bool
	tailStop chan struct{}
	tailDone chan struct{}
}

// Start initializes and starts a new server.
func Start(ctx context.Context, cfg Config) (s *Server, err error) {
	inst, err := configInstall(cfg)
	if err != nil {
		return nil, err
	}
	u, err := serverUser()
	if err != nil {
		return nil, err
	}
	if u != nil {
		if err := u.canReach(filepath.Join(inst.BinDir, "postgres")); err != nil {
			return nil, fmt.Errorf("pgserver: server binaries in %s not usable by user %s: %v (keep them outside /root, e.g. PGWAL_PG_CACHE=/var/cache/pgwal/postgres)",
				inst.BinDir, u.name, err)
		}
	}
	psql, err := ClientBin(inst.BinDir, "psql")
	if err != nil {
		return nil, err
	}
	s = &Server{cfg: cfg, inst: inst, user: u, psql: psql}
	defer func() {
		if err != nil {
			s.Stop()
			s = nil
		}
	}()
	if err := s.makeDirs(); err != nil {
		return s, err
	}
	s.logf("pgserver: initdb PostgreSQL %d (%s, %s) in %s", inst.Major, inst.Version, inst.Source, s.dataDir)
	if out, err := s.command(ctx, true, filepath.Join(inst.BinDir, "initdb"),
		"-D", s.dataDir, "-U", SuperuserName, "-A", "trust", "-E", "UTF8", "--no-locale", "-N").CombinedOutput(); err != nil {
		return s, fmt.Errorf("pgserver: initdb failed: %v\n%s", err, tailLines(string(out), 30))
	}
	if err := s.writeConfig(); err != nil {
		return s, err
	}
	if err := s.startWithRetry(ctx); err != nil {
		return s, err
	}
	out, err := s.Exec(ctx, "SHOW server_version_num")
	if err != nil {
		return s, err
	}
	if s.versionNum, err = strconv.Atoi(strings.TrimSpace(out)); err != nil {
		return s, fmt.Errorf("pgserver: bad server_version_num %q", out)
	}
	if _, err := s.Exec(ctx, fmt.Sprintf("CREATE ROLE %s WITH REPLICATION LOGIN PASSWORD %s;\nCREATE DATABASE %s OWNER %s;",
		QuoteIdent(ReplicationUser), QuoteLiteral(ReplicationPassword), QuoteIdent(Database), QuoteIdent(SuperuserName))); err != nil {
		return s, err
	}
	s.logf("pgserver: PostgreSQL %d (%d) ready on 127.0.0.1:%d, socket %s", inst.Major, s.versionNum, s.port, s.sockDir)
	return s, nil
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

func (s *Server) makeDirs() error {
	tmp := os.TempDir()
	// unix socket paths are limited to ~107 bytes
	if len(tmp) > 60 {
		tmp = "/tmp"
	}
	reapOnce.Do(func() { reapStale(tmp, s.cfg.Logf) })
	base, err := os.MkdirTemp(tmp, "pgwal-pg")
	if err != nil {
		return fmt.Errorf("pgserver: %v", err)
	}
	s.base = base
	if err := os.WriteFile(filepath.Join(base, ownerFile), []byte(ownerRecord()), 0o644); err != nil {
		return fmt.Errorf("pgserver: %v", err)
	}
	s.dataDir = filepath.Join(base, "data")
	s.sockDir = filepath.Join(base, "sock")
	s.logFile = filepath.Join(s.dataDir, "server.log")
	if err := os.Mkdir(s.sockDir, 0o755); err != nil {
		return fmt.Errorf("pgserver: %v", err)
	}
	for _, d := range []string{base, s.sockDir} {
		if err := os.Chmod(d, 0o755); err != nil {
			return fmt.Errorf("pgserver: %v", err)
		}
		if err := s.chown(d); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) chown(path string) error {
	if s.user == nil {
		return nil
	}
	if err := os.Chown(path, int(s.user.uid), int(s.user.gid)); err != nil {
		return fmt.Errorf("pgserver: %v", err)
	}
	return nil
}

// writeFile writes a file owned by the server user.
func (s *Server) writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("pgserver: %v", err)
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("pgserver: %v", err)
	}
	return s.chown(path)
}

// command builds a command with a clean environment; asServer runs it as the
// unprivileged server user when we are root.
func (s *Server) command(ctx context.Context, asServer bool, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	env := []string{"HOME=" + s.base, "LC_ALL=C", "LANG=C", "TZ=UTC"}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG") || strings.HasPrefix(k, "LC_") || k == "LANG" || k == "HOME" || k == "TZ" {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = env
	cmd.Dir = s.base
	cmd.WaitDelay = 5 * time.Second
	if asServer && s.user != nil {
		cmd.SysProcAttr = s.user.cred()
	}
	return cmd
}

func confQuote(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(v) + "'"
}

func (s *Server) settings() map[string]string {
	m := map[string]string{
		"listen_addresses":           "127.0.0.1",
		"port":                       strconv.Itoa(s.port),
		"unix_socket_directories":    s.sockDir,
		"wal_level":                  "logical",
		"max_wal_senders":            "20",
		"max_replication_slots":      "20",
		"max_prepared_transactions":  "10",
		"logical_decoding_work_mem":  "64kB",
		"fsync":                      "off",
		"synchronous_commit":         "off",
		"full_page_writes":           "off",
		"shared_buffers":             "32MB",
		"max_connections":            "50",
		"logging_collector":          "off",
		"log_line_prefix":            "%m [%p] %q%u@%d ",
		"log_min_messages":           "warning",
		"log_connections":            "off",
		"dynamic_shared_memory_type": "posix",
		"timezone":                   "UTC",
	}
	if s.cfg.TLS {
		m["ssl"] = "on"
		m["ssl_cert_file"] = "server.crt"
		m["ssl_key_file"] = "server.key"
		m["ssl_ca_file"] = "root.crt"
	}
	for k, v := range s.cfg.Settings {
		m[k] = v
	}
	return m
}

func (s *Server) writeConfig() error {
	conf := filepath.Join(s.dataDir, "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pgserver: %v", err)
	}
	_, err = f.WriteString("\n# added by pgwal internal/pgserver\ninclude 'pgwal.conf'\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgserver: %v", err)
	}
	var hba []string
	if s.cfg.HBA == nil {
		hba = []string{
			"local all all trust",
			"host all all 127.0.0.1/32 trust",
			"local replication all trust",
			"host replication all 127.0.0.1/32 trust",
		}
	} else {
		hba = append([]string{
			"local all " + SuperuserName + " trust",
			"local replication " + SuperuserName + " trust",
		}, s.cfg.HBA...)
	}
	if err := s.writeFile(filepath.Join(s.dataDir, "pg_hba.conf"),
		[]byte("# written by pgwal internal/pgserver\n"+strings.Join(hba, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	if s.cfg.TLS {
		t, err := makeTLS()
		if err != nil {
			return fmt.Errorf("pgserver: TLS: %v", err)
		}
		s.caPEM = t.caCert
		s.caFile = filepath.Join(s.base, "ca.crt")
		for _, f := range []struct {
			name string
			data []byte
			mode os.FileMode
		}{
			{s.caFile, t.caCert, 0o644},
			{filepath.Join(s.dataDir, "root.crt"), t.caCert, 0o644},
			{filepath.Join(s.dataDir, "server.crt"), t.serverCert, 0o644},
			{filepath.Join(s.dataDir, "server.key"), t.serverKey, 0o600},
		} {
			if err := s.writeFile(f.name, f.data, f.mode); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) writePortConf() error {
	m := s.settings()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# written by pgwal internal/pgserver\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = %s\n", k, confQuote(m[k]))
	}
	return s.writeFile(filepath.Join(s.dataDir, "pgwal.conf"), []byte(b.String()), 0o600)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) startWithRetry(ctx context.Context) error {
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return fmt.Errorf("pgserver: no free port: %v", err)
		}
		s.port = port
		if err := s.writePortConf(); err != nil {
			return err
		}
		var off int64
		if fi, err := os.Stat(s.logFile); err == nil {
			off = fi.Size()
		}
		out, err := s.command(ctx, true, filepath.Join(s.inst.BinDir, "pg_ctl"),
			"start", "-D", s.dataDir, "-l", s.logFile, "-w", "-t", "60", "-s").CombinedOutput()
		if err == nil {
			s.startTail(off)
			return nil
		}
		logTail := s.logSince(off)
		lastErr = fmt.Errorf("pgserver: pg_ctl start (port %d) failed: %v: %s\nserver log (%s):\n%s",
			port, err, strings.TrimSpace(string(out)), s.logFile, tailLines(logTail, 30))
		if ctx.Err() != nil {
			return lastErr
		}
		if !strings.Contains(logTail, "already in use") && !strings.Contains(logTail, "could not bind") {
			return lastErr
		}
		s.logf("pgserver: port %d taken, retrying", port)
		// make sure nothing is left running before retrying
		s.command(context.Background(), true, filepath.Join(s.inst.BinDir, "pg_ctl"),
			"stop", "-D", s.dataDir, "-m", "immediate", "-w", "-s").Run()
	}
	return lastErr
}

func (s *Server) logSince(off int64) string {
	b, err := os.ReadFile(s.logFile)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	if off > int64(len(b)) {
		off = 0
	}
	return string(b[off:])
}

// LogTail returns the last n lines of the server log.
func (s *Server) LogTail(n int) string { return tailLines(s.logSince(0), n) }

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// startTail forwards server log lines to cfg.Logf.
func (s *Server) startTail(off int64) {
	if s.cfg.Logf == nil || s.tailStop != nil {
		return
	}
	s.tailStop = make(chan struct{})
	s.tailDone = make(chan struct{})
	go func() {
		defer close(s.tailDone)
		var partial string
		drain := func() {
			f, err := os.Open(s.logFile)
			if err != nil {
				return
			}
			defer f.Close()
			if _, err := f.Seek(off, 0); err != nil {
				return
			}
			var buf bytes.Buffer
			n, _ := buf.ReadFrom(f)
			off += n
			data := partial + buf.String()
			lines := strings.Split(data, "\n")
			partial = lines[len(lines)-1]
			for _, l := range lines[:len(lines)-1] {
				s.cfg.Logf("pg%d: %s", s.inst.Major, l)
			}
		}
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.tailStop:
				drain()
				return
			case <-t.C:
				drain()
			}
		}
	}()
}

func (s *Server) stopTail() {
	if s.tailStop != nil {
		close(s.tailStop)
		<-s.tailDone
		s.tailStop = nil
	}
}

// Host is the TCP host to connect to.
func (s *Server) Host() string { return "127.0.0.1" }

// Port is the TCP port (stays the same across Restart).
func (s *Server) Port() int { return s.port }

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.port)) }

// SocketDir is the unix socket directory.
func (s *Server) SocketDir() string { return s.sockDir }

// DataDir is the data directory.
func (s *Server) DataDir() string { return s.dataDir }

// LogFile is the server log file (inside the data dir).
func (s *Server) LogFile() string { return s.logFile }

// BinDir is the directory of the server binaries.
func (s *Server) BinDir() string { return s.inst.BinDir }

// Major is the major version (14..18).
func (s *Server) Major() int { return s.inst.Major }

// VersionNum is server_version_num, e.g. 180004.
func (s *Server) VersionNum() int { return s.versionNum }

// Superuser is the bootstrap superuser name ("postgres").
func (s *Server) Superuser() string { return SuperuserName }

// PsqlPath is the psql client used by Exec.
func (s *Server) PsqlPath() string { return s.psql }

// CACertPEM is the PEM of the CA that signed the server certificate (TLS only).
func (s *Server) CACertPEM() []byte { return s.caPEM }

// CAFile is a file holding CACertPEM (TLS only), usable as sslrootcert.
func (s *Server) CAFile() string { return s.caFile }

// DSN returns a libpq key=value DSN for loopback TCP. Empty user means the
// superuser, empty database means "postgres", empty password is left out.
// extra are appended verbatim ("sslmode=verify-full", "replication=database").
func (s *Server) DSN(user, password, database string, extra ...string) string {
	if user == "" {
		user = SuperuserName
	}
	if database == "" {
		database = "postgres"
	}
	parts := []string{"host=" + s.Host(), "port=" + strconv.Itoa(s.port), "user=" + dsnQuote(user)}
	if password != "" {
		parts = append(parts, "password="+dsnQuote(password))
	}
	parts = append(parts, "dbname="+dsnQuote(database))
	parts = append(parts, extra...)
	return strings.Join(parts, " ")
}

func dsnQuote(v string) string {
	if v != "" && !strings.ContainsAny(v, ` '\`+"\t\n\r") {
		return v
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// QuoteIdent quotes an SQL identifier.
func QuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// QuoteLiteral quotes an SQL string literal (standard_conforming_strings on).
func QuoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Exec runs SQL (one or more statements) as the superuser in database
// "postgres" through psql over the unix socket; see ExecDB.
func (s *Server) Exec(ctx context.Context, sql string) (string, error) {
	return s.ExecDB(ctx, "postgres", sql)
}

// ExecDB runs SQL as the superuser in the given database with
// psql -X -A -t -q -v ON_ERROR_STOP=1 (statements run one by one, not in a
// single transaction) and returns stdout without the trailing newline: one
// line per row, columns separated by '|'.
func (s *Server) ExecDB(ctx context.Context, database, sql string) (string, error) {
	cmd := s.command(ctx, false, s.psql, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", s.sockDir, "-p", strconv.Itoa(s.port), "-U", SuperuserName, "-d", database, "-f", "-")
	cmd.Dir = ""
	cmd.Stdin = strings.NewReader(sql)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("pgserver: psql: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimRight(stdout.String(), "\n"), nil
}

// SetPassword sets a role's password, hashed with method "md5" or
// "scram-sha-256" ("" = the server's default password_encryption).
func (s *Server) SetPassword(ctx context.Context, role, password, method string) error {
	sql := ""
	switch method {
	case "":
	case "md5", "scram-sha-256":
		sql = "SET password_encryption = " + QuoteLiteral(method) + ";\n"
	default:
		return fmt.Errorf("pgserver: unknown password method %q", method)
	}
	sql += "ALTER ROLE " + QuoteIdent(role) + " PASSWORD " + QuoteLiteral(password) + ";"
	_, err := s.Exec(ctx, sql)
	return err
}

// CreateRole creates a LOGIN role with a password hashed with method (see
// SetPassword); attrs are extra role attributes like "REPLICATION".
func (s *Server) CreateRole(ctx context.Context, role, password, method string, attrs ...string) error {
	if _, err := s.Exec(ctx, "CREATE ROLE "+QuoteIdent(role)+" LOGIN "+strings.Join(attrs, " ")+";"); err != nil {
		return err
	}
	return s.SetPassword(ctx, role, password, method)
}

// Restart restarts the server with pg_ctl restart -m mode ("fast",
// "immediate" or "smart"; "" = fast). Port and data are kept.
func (s *Server) Restart(ctx context.Context, mode string) error {
	if mode == "" {
		mode = "fast"
	}
	switch mode {
	case "fast", "immediate", "smart":
	default:
		return fmt.Errorf("pgserver: bad restart mode %q", mode)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return errors.New("pgserver: server stopped")
	}
	var off int64
	if fi, err := os.Stat(s.logFile); err == nil {
		off = fi.Size()
	}
	out, err := s.command(ctx, true, filepath.Join(s.inst.BinDir, "pg_ctl"),
		"restart", "-D", s.dataDir, "-l", s.logFile, "-m", mode, "-w", "-t", "60", "-s").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgserver: pg_ctl restart -m %s failed: %v: %s\nserver log:\n%s",
			mode, err, strings.TrimSpace(string(out)), tailLines(s.logSince(off), 30))
	}
	return nil
}

// Stop stops the server and removes everything it created. Safe to call twice.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	var firstErr error
	if s.dataDir != "" {
		if _, err := os.Stat(filepath.Join(s.dataDir, "postmaster.pid")); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			out, err := s.command(ctx, true, filepath.Join(s.inst.BinDir, "pg_ctl"),
				"stop", "-D", s.dataDir, "-m", "fast", "-w", "-t", "30", "-s").CombinedOutput()
			cancel()
			if err != nil {
				firstErr = fmt.Errorf("pgserver: pg_ctl stop failed: %v: %s", err, strings.TrimSpace(string(out)))
				s.killPostmaster()
			}
		}
	}
	s.stopTail()
	if s.base != "" {
		if err := os.RemoveAll(s.base); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("pgserver: %v", err)
		}
	}
	return firstErr
}

// killPostmaster SIGKILLs the postmaster named in postmaster.pid (last resort).
func (s *Server) killPostmaster() {
	b, err := os.ReadFile(filepath.Join(s.dataDir, "postmaster.pid"))
	if err != nil {
		return
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 1 {
		return
	}
	if syscall.Kill(pid, syscall.SIGKILL) == nil {
		for i := 0; i < 50 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	}
}
