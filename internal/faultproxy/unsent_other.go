//go:build !linux

package faultproxy

import "net"

// unsent cannot tell the unacknowledged bytes here: an RST cut then resets
// at once, and bytes still in the send queue may be lost.
func unsent(*net.TCPConn) (n int, ok bool) { return 0, false }
