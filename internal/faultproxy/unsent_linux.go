package faultproxy

import (
	"net"
	"syscall"
	"unsafe"
)

// siocoutq is SIOCOUTQ (linux/sockios.h), which is TIOCOUTQ: for a TCP
// socket, the bytes in the send queue not yet acknowledged by the peer.
const siocoutq = syscall.TIOCOUTQ

// unsent returns how many bytes written to conn its peer has not yet
// acknowledged; ok is false if that cannot be told.
func unsent(conn *net.TCPConn) (n int, ok bool) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, false
	}
	var v int32
	var errno syscall.Errno
	err = rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, siocoutq, uintptr(unsafe.Pointer(&v)))
	})
	if err != nil || errno != 0 {
		return 0, false
	}
	return int(v), true
}
