//go:build linux

package wire

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"
)

func TestDialerSocketOptions(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	get := func(t *testing.T, cfg *Config) map[string]int {
		t.Helper()
		nc, err := newDialer(cfg).DialContext(context.Background(), "tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		rc, err := nc.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		rc.Control(func(fd uintptr) {
			for name, o := range map[string][2]int{
				"keepalive": {syscall.SOL_SOCKET, syscall.SO_KEEPALIVE},
				"idle":      {syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE},
				"interval":  {syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL},
				"count":     {syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT},
				"user":      {syscall.IPPROTO_TCP, tcpUserTimeout},
			} {
				v, err := syscall.GetsockoptInt(int(fd), o[0], o[1])
				if err != nil {
					t.Errorf("getsockopt %s: %v", name, err)
				}
				got[name] = v
			}
		})
		return got
	}
	def := get(t, &Config{})
	if def["keepalive"] != 1 || def["idle"] != 15 || def["interval"] != 15 || def["user"] != 60000 {
		t.Errorf("defaults: %v, want keepalive on, 15 s, 15 s, TCP_USER_TIMEOUT 60000 ms", def)
	}
	set := get(t, &Config{KeepalivesIdle: 30 * time.Second, KeepalivesInterval: 4 * time.Second, KeepalivesCount: 3, TCPUserTimeout: 2500 * time.Millisecond})
	if set["idle"] != 30 || set["interval"] != 4 || set["count"] != 3 || set["user"] != 2500 {
		t.Errorf("configured: %v", set)
	}
	off := get(t, &Config{KeepalivesOff: true, TCPUserTimeout: -1})
	if off["keepalive"] != 0 || off["user"] != 0 {
		t.Errorf("keepalives=0 tcp_user_timeout=0: %v, want keepalive off and the OS default (0)", off)
	}
}
