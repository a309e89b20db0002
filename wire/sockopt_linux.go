//go:build linux

package wire

import (
	"syscall"
	"time"
)

// tcpUserTimeout is TCP_USER_TIMEOUT (linux/tcp.h; the same on every
// architecture; the syscall package lacks it on some).
const tcpUserTimeout = 0x12

// goKeepAlive: the options are all set in control, so Go sets none.
func (o tcpOptions) goKeepAlive() time.Duration { return -1 }

func (o tcpOptions) needsControl() bool { return true }

// control sets SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT and
// TCP_USER_TIMEOUT on a TCP socket before it connects.
func (o tcpOptions) control(network, _ string, rc syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil
	}
	var serr error
	err := rc.Control(func(fd uintptr) { serr = o.apply(int(fd)) })
	if err != nil {
		return err
	}
	return serr
}

func (o tcpOptions) apply(fd int) error {
	set := func(level, opt, v int) error {
		if err := syscall.SetsockoptInt(fd, level, opt, v); err != nil {
			return &syscallError{op: "setsockopt", err: err}
		}
		return nil
	}
	ka := 0
	if o.keepalives {
		ka = 1
	}
	if err := set(syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, ka); err != nil {
		return err
	}
	if o.keepalives {
		if err := set(syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, secondsAtLeast1(o.idle)); err != nil {
			return err
		}
		if err := set(syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, secondsAtLeast1(o.interval)); err != nil {
			return err
		}
		if o.count > 0 {
			if err := set(syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, o.count); err != nil {
				return err
			}
		}
	}
	if o.userTimeout > 0 {
		return set(syscall.IPPROTO_TCP, tcpUserTimeout, int(o.userTimeout/time.Millisecond))
	}
	return nil
}

func secondsAtLeast1(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

type syscallError struct {
	op  string
	err error
}

func (e *syscallError) Error() string { return e.op + ": " + e.err.Error() }
func (e *syscallError) Unwrap() error { return e.err }
