//go:build !linux

package wire

import (
	"syscall"
	"time"
)

// goKeepAlive: elsewhere Go's own keepalive setting carries the idle time;
// the interval, count and TCP_USER_TIMEOUT are Linux only.
func (o tcpOptions) goKeepAlive() time.Duration {
	if !o.keepalives {
		return -1
	}
	return o.idle
}

func (o tcpOptions) needsControl() bool { return false }

func (o tcpOptions) control(string, string, syscall.RawConn) error { return nil }
