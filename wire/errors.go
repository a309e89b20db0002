package wire

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrClosed: the connection was closed or broken by an earlier error.
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
	// ErrConnectionLost: the connection ended without an error message. A
	// walsender that hit wal_sender_timeout closes the connection this way
	// (the server only logs the timeout).
	ErrConnectionLost = errors.New("wire: connection lost without an error from the server (e.g. wal_sender_timeout expired, or the server process was killed)")
	// ErrSecondLogicalStream: a session can run one logical stream. A
	// logical walsender (PostgreSQL 14–18 at least) ends a second
	// START_REPLICATION at once, so StartReplication refuses it before
	// sending anything; open a new connection instead.
	ErrSecondLogicalStream = errors.New("wire: this session already ran a logical stream; PostgreSQL cannot start another on it (open a new connection)")
	// ErrUnsupported: the server's version lacks an option or command.
	ErrUnsupported = errors.New("wire: not supported by this server version")
)

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
