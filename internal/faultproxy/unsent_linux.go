//go:build linux && !386

package faultproxy

import (
	"net"
	"syscall"
	"unsafe"
)

const (
	// siocoutq is SIOCOUTQ (linux/sockios.h), which is TIOCOUTQ: for a TCP
	// socket, the bytes in the send queue not yet acknowledged by the peer.
	siocoutq = syscall.TIOCOUTQ
	// tcpClose is TCP_CLOSE (include/net/tcp_states.h): the socket was
	// reset or is fully closed, and nothing more will be acknowledged.
	tcpClose = 7
)

// unsent returns how many bytes written to conn its peer has not yet
// acknowledged; ok is false if that cannot be told or never will be.
func unsent(conn *net.TCPConn) (n int, ok bool) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, false
	}
	var (
		v       int32
		info    syscall.TCPInfo
		e1, e2  syscall.Errno
		infoLen = uint32(unsafe.Sizeof(info))
	)
	err = rc.Control(func(fd uintptr) {
		_, _, e1 = syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.SOL_TCP, syscall.TCP_INFO,
			uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&infoLen)), 0)
		_, _, e2 = syscall.Syscall(syscall.SYS_IOCTL, fd, siocoutq, uintptr(unsafe.Pointer(&v)))
	})
	if err != nil || e1 != 0 || e2 != 0 || info.State == tcpClose {
		return 0, false
	}
	return int(v), true
}
