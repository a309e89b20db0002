package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// What a restarting server gives a dial: nothing listens on its port, or
// (Unix socket) its socket file is gone or not accepting. Connect's error
// must match the system error and be retryable, for one server and for
// several.
func TestConnectRefusedIsRetryable(t *testing.T) {
	dir := t.TempDir()
	// A socket file nobody accepts on: bound, then the listener closed
	// without removing the file.
	stale := filepath.Join(dir, "stale")
	if err := os.Mkdir(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(stale, ".s.PGSQL.5432"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()

	for _, tc := range []struct {
		name  string
		cfg   *Config
		errno syscall.Errno
	}{
		{"one tcp host", &Config{Host: "127.0.0.1", Port: refusedPort(t)}, syscall.ECONNREFUSED},
		{"several tcp hosts", &Config{Host: "127.0.0.1", Port: refusedPort(t),
			Fallbacks: []Endpoint{{Host: "127.0.0.1", Port: refusedPort(t)}}}, syscall.ECONNREFUSED},
		{"unix socket not accepting", &Config{Host: stale, Port: 5432}, syscall.ECONNREFUSED},
		{"unix socket file missing", &Config{Host: dir, Port: 5432}, syscall.ENOENT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.User, tc.cfg.SSLMode = "u", SSLDisable
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := Connect(ctx, tc.cfg)
			if err == nil {
				c.Close()
				t.Fatal("Connect succeeded with nothing listening")
			}
			if !errors.Is(err, tc.errno) {
				t.Errorf("Connect: %v; want it to match %v", err, tc.errno)
			}
			if !IsRetryable(err) {
				t.Errorf("IsRetryable(%v) = false, want true", err)
			}
			if !IsRetryable(fmt.Errorf("reconnecting: %w", err)) {
				t.Errorf("IsRetryable of the wrapped %v = false, want true", err)
			}
		})
	}
}

// Only a dial's refusal is retryable: the same errno elsewhere, a missing
// file that is not a socket, and a ConnectError all of whose attempts
// need a person are not.
func TestDialRefusedOnlyFromDial(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	authFailed := &HostError{Host: "b:5432", Err: &ServerError{Code: "28P01"}}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"dial refused", refused, true},
		{"dial refused, windows errno", &net.OpError{Op: "dial", Net: "tcp", Err: wsaeconnrefused}, true},
		{"read refused", &net.OpError{Op: "read", Net: "udp", Err: syscall.ECONNREFUSED}, false},
		{"bare errno", syscall.ECONNREFUSED, false},
		{"tcp dial ENOENT", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ENOENT}, false},
		{"unix dial ENOENT", &net.OpError{Op: "dial", Net: "unix", Err: syscall.ENOENT}, true},
		{"missing certificate", fmt.Errorf("wire: sslrootcert: %w", syscall.ENOENT), false},
		{"some attempt refused", &ConnectError{Attempts: []*HostError{authFailed, {Host: "a:5432", Err: refused}}}, true},
		{"some attempt starting up", &ConnectError{Attempts: []*HostError{authFailed, {Host: "a:5432", Err: &ServerError{Code: "57P03"}}}}, true},
		{"every attempt needs a person", &ConnectError{Attempts: []*HostError{authFailed, authFailed}}, false},
	} {
		if got := IsRetryable(tc.err); got != tc.want {
			t.Errorf("%s: IsRetryable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
