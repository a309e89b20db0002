//go:build linux && (amd64 || arm64 || 386 || arm || riscv64 || loong64 || s390x)

package wire

import (
	"syscall"
	"unsafe"
)

const lowatSupported = true

// fionread is FIONREAD (SIOCINQ) on these architectures.
const fionread = 0x541B

// setLowat sets fd's receive low-water mark, so that poll and epoll report
// it readable only once n bytes are queued, and returns the mark the kernel
// took (Linux caps it at half the largest receive buffer).
func setLowat(fd uintptr, n int) (int, error) {
	if err := syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, n); err != nil {
		return 0, err
	}
	return syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT)
}

// queued returns how many bytes the socket holds unread.
func queued(fd uintptr) (int, error) {
	var n int32
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, fionread, uintptr(unsafe.Pointer(&n)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// readFD is one read(2), repeated if a signal interrupts it.
func readFD(fd uintptr, p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), p)
		if err != syscall.EINTR {
			return n, err
		}
	}
}
