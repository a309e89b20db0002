package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// cancelRequestCode is the CancelRequest "protocol version" (1234.5678).
const cancelRequestCode = 80877102

// ErrNoCancelKey: the server sent no BackendKeyData, so its commands
// cannot be cancelled (a hand-made transport or an unusual server).
var ErrNoCancelKey = errors.New("wire: the server sent no cancel key (BackendKeyData)")

// appendCancelRequest appends a CancelRequest: length, code, process ID and
// the secret key, whose length is whatever the server sent (4 bytes in
// protocol 3.0, up to 256 in 3.2).
func appendCancelRequest(dst []byte, pid uint32, key []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(12+len(key)))
	dst = binary.BigEndian.AppendUint32(dst, cancelRequestCode)
	dst = binary.BigEndian.AppendUint32(dst, pid)
	return append(dst, key...)
}

// Cancel asks the server to cancel the command this session is running,
// like libpq's cancel functions: it opens a new connection to the address
// the session is connected to, sends a CancelRequest with the session's
// process ID and secret key, and waits for the server to close that
// connection (it answers nothing). If the session is encrypted the cancel
// connection is too, with the same sslnegotiation, verification and client
// certificate, and never falls back to plain text (libpq 17+ does the
// same); otherwise it is plain. ctx bounds the whole exchange.
//
// Cancel may be called from any goroutine, also while a command runs on c.
// It is best effort: the command may finish before the server acts on the
// request, and a request arriving between commands is ignored. A cancelled
// command fails with a *ServerError with Code "57014" (query_canceled); the
// session stays usable.
func (c *Conn) Cancel(ctx context.Context) error {
	if len(c.key) == 0 {
		return ErrNoCancelKey
	}
	raddr := c.conn.RemoteAddr()
	network, addr := raddr.Network(), raddr.String()
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
	default:
		return fmt.Errorf("wire: cancel: cannot dial the session's transport (%s %s)", network, addr)
	}
	nc, err := newDialer(&c.cfg).DialContext(ctx, network, addr)
	if err != nil {
		return fmt.Errorf("wire: cancel: %w", dialError(network, addr, err))
	}
	defer nc.Close()
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	cc := &Conn{conn: nc, cfg: c.cfg}
	switch {
	case !c.tls:
		cc.cfg.SSLMode = SSLDisable
	case cc.cfg.SSLMode == SSLPrefer || cc.cfg.SSLMode == "":
		cc.cfg.SSLMode = SSLRequire // no downgrade of an encrypted session
	}
	err = cc.negotiateTLS()
	if err == nil {
		err = cc.write(appendCancelRequest(nil, c.pid, c.key))
	}
	if err == nil {
		// The server closes the connection once it has read the request.
		var b [1]byte
		_, err = io.ReadFull(cc.conn, b[:])
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			err = fmt.Errorf("waiting for the server to close the connection: %w", err)
		} else {
			err = nil
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("wire: cancel: %w (%w)", ctx.Err(), err)
		}
		return fmt.Errorf("wire: cancel: %w", err)
	}
	return nil
}
