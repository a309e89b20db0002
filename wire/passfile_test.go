package wire

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestLookupPassFile(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "pgpass", []byte(strings.Join([]string{
		"# comment",
		"",
		"db.example:5432:app:bob:first",
		"db.example:5432:app:bob:second (first match wins)",
		`db\:colon:*:*:*:esc\:aped\\pw`,
		"localhost:6000:*:alice:sock\r",
		`\*:*:*:star:literal star host`,
		"*:*:*:carol:wild:extra:fields",
		"short:line",
		"*:*:*:*",
	}, "\n")), 0o600)
	for _, tc := range []struct {
		host, port, db, user, want string
	}{
		{"db.example", "5432", "app", "bob", "first"},
		{"db.example", "5433", "app", "bob", ""},
		{"db:colon", "1", "x", "y", `esc:aped\pw`},
		{"localhost", "6000", "d", "alice", "sock"},
		{"*", "1", "d", "star", "literal star host"},
		{"other", "1", "d", "star", ""},
		{"any", "1", "d", "carol", "wild"},
		{"any", "1", "d", "nobody", ""},
	} {
		got, err := lookupPassFile(file, tc.host, tc.port, tc.db, tc.user)
		if err != nil || got != tc.want {
			t.Errorf("lookup(%s:%s:%s:%s) = %q, %v; want %q", tc.host, tc.port, tc.db, tc.user, got, err, tc.want)
		}
	}
	if got, err := lookupPassFile(filepath.Join(dir, "missing"), "h", "1", "d", "u"); got != "" || err != nil {
		t.Errorf("missing file: %q, %v", got, err)
	}
	if err := os.Chmod(file, 0o640); err != nil {
		t.Fatal(err)
	}
	got, err := lookupPassFile(file, "db.example", "5432", "app", "bob")
	if got != "" || err == nil || !strings.Contains(err.Error(), "group or world access") {
		t.Errorf("group-readable file: %q, %v; want it ignored with an error", got, err)
	}
}

func TestPassFileHost(t *testing.T) {
	for in, want := range map[string]string{
		"": "localhost", "/tmp": "localhost", "/var/run/postgresql/": "localhost", "/run/postgresql": "localhost",
		"/srv/sock": "/srv/sock", "db": "db", "127.0.0.1": "127.0.0.1",
	} {
		if got := passFileHost(in); got != want {
			t.Errorf("passFileHost(%q) = %q, want %q", in, got, want)
		}
	}
}

// The password file answers a password request when no password is given,
// and only then; a group-readable file is ignored, and the error says so.
func TestAuthPassFile(t *testing.T) {
	dir := t.TempDir()
	run := func(t *testing.T, cfg *Config, s *authServer) (string, error) {
		var got string
		s.script = func(s *authServer) error {
			s.auth(3, nil)
			_, body, err := s.recv()
			if err != nil {
				return nil
			}
			got = strings.TrimSuffix(string(body), "\x00")
			s.ok()
			return s.drain()
		}
		s.start()
		return got, connectAuth(t, s, cfg)
	}
	t.Run("used", func(t *testing.T) {
		s := newAuthServer(t, nil)
		cfg := s.config()
		cfg.PassFile = writeFile(t, dir, "ok", []byte("127.0.0.1:"+strconv.Itoa(int(cfg.Port))+":d:u:from file\n"), 0o600)
		got, err := run(t, cfg, s)
		if err != nil || got != "from file" {
			t.Fatalf("password %q, %v", got, err)
		}
	})
	t.Run("given password wins", func(t *testing.T) {
		s := newAuthServer(t, nil)
		cfg := s.config()
		cfg.Password = "given"
		cfg.PassFile = writeFile(t, dir, "ok2", []byte("*:*:*:*:from file\n"), 0o600)
		got, err := run(t, cfg, s)
		if err != nil || got != "given" {
			t.Fatalf("password %q, %v", got, err)
		}
	})
	t.Run("insecure file ignored", func(t *testing.T) {
		s := newAuthServer(t, nil)
		cfg := s.config()
		cfg.PassFile = writeFile(t, dir, "open", []byte("*:*:*:*:from file\n"), 0o644)
		_, err := run(t, cfg, s)
		if err == nil || !strings.Contains(err.Error(), "none was given") || !strings.Contains(err.Error(), "group or world access") {
			t.Fatalf("err %v: want no password, naming the ignored file", err)
		}
		var se *ServerError
		if errors.As(err, &se) {
			t.Fatalf("err %v is a server error", err)
		}
	})
}
