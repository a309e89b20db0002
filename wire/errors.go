package wire

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

var (
	// ErrClosed: the connection was closed, or broken by an earlier error
	// (which the returned error also wraps).
	ErrClosed = errors.New("wire: connection closed")
	// ErrMessageTooLarge: the server declared a message longer than
	// Config.MaxMessageSize.
	ErrMessageTooLarge = errors.New("wire: message larger than the maximum message size")
	// ErrProtocol: the server sent something the protocol does not allow
	// here.
	ErrProtocol = errors.New("wire: protocol violation")
	// ErrServerShutdown: the server ended the replication stream with
	// CommandComplete and no CopyDone, as a walsender does when the server
	// shuts down or a standby is promoted. Reconnect to resume.
	ErrServerShutdown = errors.New("wire: server ended the stream without CopyDone (shutdown or promotion); reconnect to resume")
	// ErrConnectionLost: the transport failed: a read or a write returned
	// an error, the server closed the connection without an error message
	// (a walsender that hit wal_sender_timeout does this, as does a killed
	// server process), or nothing arrived within the receive timeout. Every
	// such error is a *TransportError, which also wraps the cause (io.EOF,
	// syscall.ECONNRESET, ErrReceiveTimeout, ...).
	ErrConnectionLost = errors.New("wire: connection lost")
	// ErrReceiveTimeout: a stream heard nothing from the server, not even
	// an answer to a status update that asked for one, for the receive
	// timeout (Config.ReceiveTimeout). It comes wrapped in a
	// *TransportError, so it matches ErrConnectionLost too.
	ErrReceiveTimeout = errors.New("wire: nothing received from the server within the receive timeout")
	// ErrSecondLogicalStream: a session can run one logical stream. A
	// logical walsender (PostgreSQL 14–18 at least) ends a second
	// START_REPLICATION at once, so StartReplication refuses it before
	// sending anything; open a new connection instead.
	ErrSecondLogicalStream = errors.New("wire: this session already ran a logical stream; PostgreSQL cannot start another on it (open a new connection)")
	// ErrUnsupported: the server's version lacks an option or command.
	ErrUnsupported = errors.New("wire: not supported by this server version")
)

// TransportError is a failure of the connection itself, under a read or a
// write. It matches ErrConnectionLost and wraps the cause, so both
// errors.Is(err, wire.ErrConnectionLost) and, say,
// errors.Is(err, syscall.ECONNRESET) hold.
type TransportError struct {
	Op  string // "read" or "write", with what was being written
	Err error
}

func (e *TransportError) Error() string {
	msg := "wire: connection lost: " + e.Op + ": " + e.Err.Error()
	if errors.Is(e.Err, io.EOF) || errors.Is(e.Err, io.ErrUnexpectedEOF) {
		msg += " (the connection ended without an error message from the server: a network cut, a killed server process, or a walsender past wal_sender_timeout)"
	}
	return msg
}

func (e *TransportError) Unwrap() []error { return []error{ErrConnectionLost, e.Err} }

// brokenError is what a Conn broken by an earlier error returns: it
// matches ErrClosed and that error.
type brokenError struct{ cause error }

func (e *brokenError) Error() string {
	if e.cause == ErrClosed {
		return ErrClosed.Error()
	}
	return ErrClosed.Error() + ": " + e.cause.Error()
}

func (e *brokenError) Unwrap() []error { return []error{ErrClosed, e.cause} }

// IsRetryable reports whether err is one a reconnect loop should answer by
// closing the connection, waiting a moment and connecting again, resuming
// from its own durable position:
//   - ErrConnectionLost (every *TransportError, incl. ErrReceiveTimeout);
//   - ErrServerShutdown;
//   - a refused dial: syscall.ECONNREFUSED (nothing listens on the port,
//     as while a server restarts), and for a Unix socket also a socket
//     file that does not exist (removed while the server is down);
//   - a *ServerError with SQLSTATE class 08 (connection exception), 55006
//     (object in use: the slot is still active, typically for a few
//     seconds after a reconnect while the old walsender exits), 57P01
//     (admin shutdown), 57P02 (crash shutdown), 57P03 (cannot connect now:
//     the server is starting up, shutting down or in recovery) or 53300
//     (too many connections).
//
// A *ConnectError (several servers tried) is retryable when any of its
// attempts is: one server may be back while another keeps refusing.
//
// Everything else needs a person or a code change: authentication and
// permission errors, a missing slot or publication (42704), ErrProtocol,
// ErrMessageTooLarge, a *codec.DecodeError, ErrUnsupported,
// ErrSecondLogicalStream, and ErrWoken (no failure at all). A context's
// error is the caller's own.
func IsRetryable(err error) bool {
	var ce *ConnectError
	if errors.As(err, &ce) {
		for _, a := range ce.Attempts {
			if IsRetryable(a) {
				return true
			}
		}
		return false
	}
	if errors.Is(err, ErrConnectionLost) || errors.Is(err, ErrServerShutdown) || isDialRefused(err) {
		return true
	}
	var se *ServerError
	if errors.As(err, &se) {
		switch {
		case strings.HasPrefix(se.Code, "08"):
			return true
		case se.Code == "55006", se.Code == "57P01", se.Code == "57P02", se.Code == "57P03", se.Code == "53300":
			return true
		}
	}
	return false
}

// wsaeconnrefused is Windows' "connection refused" (WSAECONNREFUSED),
// which syscall.ECONNREFUSED does not match there; no errno on other
// systems has this number.
const wsaeconnrefused = syscall.Errno(10061)

// isDialRefused: a dial found no server listening. Only a dial's error
// counts: a missing file elsewhere (a certificate, say) is a
// configuration error.
func isDialRefused(err error) bool {
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "dial" {
		return false
	}
	var errno syscall.Errno
	if !errors.As(oe.Err, &errno) {
		return false
	}
	switch {
	case errno == syscall.ECONNREFUSED, errno == wsaeconnrefused:
		return true
	case errno == syscall.ENOENT:
		return oe.Net == "unix" || oe.Net == "unixpacket"
	}
	return false
}

// ServerError is an ErrorResponse (or a FATAL) from the server.
type ServerError struct {
	Severity       string // ERROR, FATAL, PANIC (not localized when the server sends it)
	Code           string // SQLSTATE, e.g. "55006"
	Message        string
	Detail         string
	Hint           string
	Position       string
	Where          string
	SchemaName     string
	TableName      string
	ColumnName     string
	DataTypeName   string
	ConstraintName string
	File           string
	Line           string
	Routine        string
}

func (e *ServerError) Error() string {
	var b strings.Builder
	b.WriteString("wire: server ")
	if e.Severity != "" {
		b.WriteString(e.Severity)
	} else {
		b.WriteString("ERROR")
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Code != "" {
		fmt.Fprintf(&b, " (SQLSTATE %s)", e.Code)
	}
	if e.Detail != "" {
		b.WriteString("; detail: ")
		b.WriteString(e.Detail)
	}
	if e.Hint != "" {
		b.WriteString("; hint: ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Notice is a NoticeResponse: the same fields as an error, for warnings and
// notices (e.g. PostgreSQL 18's warning about a missing publication).
type Notice ServerError

// ParseErrorResponse reads the body of an ErrorResponse or NoticeResponse
// (type byte and length removed): its (code, String) pairs. Unknown codes
// are ignored; a malformed body gives what could be read.
func ParseErrorResponse(body []byte) *ServerError { return parseErrorFields(body) }

func parseErrorFields(body []byte) *ServerError {
	e := &ServerError{}
	var localized string
	for len(body) > 0 && body[0] != 0 {
		code := body[0]
		end := indexNUL(body[1:])
		if end < 0 {
			break
		}
		v := string(body[1 : 1+end])
		body = body[2+end:]
		switch code {
		case 'S':
			localized = v
		case 'V':
			e.Severity = v
		case 'C':
			e.Code = v
		case 'M':
			e.Message = v
		case 'D':
			e.Detail = v
		case 'H':
			e.Hint = v
		case 'P':
			e.Position = v
		case 'W':
			e.Where = v
		case 's':
			e.SchemaName = v
		case 't':
			e.TableName = v
		case 'c':
			e.ColumnName = v
		case 'd':
			e.DataTypeName = v
		case 'n':
			e.ConstraintName = v
		case 'F':
			e.File = v
		case 'L':
			e.Line = v
		case 'R':
			e.Routine = v
		}
	}
	if e.Severity == "" {
		e.Severity = localized
	}
	return e
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}
