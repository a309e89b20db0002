package txn

import (
	"errors"
	"strconv"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// Sentinel causes. Every error the Assembler returns is an *Error whose Err
// is one of these (or codec.ErrUnknownRelation / codec.ErrColumnCount for a
// change that does not fit its schema), so callers test the cause with
// errors.Is and read where it happened with errors.As.
var (
	// ErrLSNMismatch: a Commit's commit LSN differs from its Begin's final
	// LSN (or a Prepare's prepare LSN from its Begin Prepare's).
	ErrLSNMismatch = errors.New("txn: end of transaction does not match its beginning")
	// ErrNoTransaction: a row change, transactional message, Origin or
	// transaction end arrived outside a transaction and outside a stream
	// block.
	ErrNoTransaction = errors.New("txn: no transaction is open")
	// ErrUnknownStream: a Stream Commit, Stream Abort, Stream Prepare or a
	// continuing Stream Start names a streamed transaction never started
	// in this session.
	ErrUnknownStream = errors.New("txn: no streamed transaction with this xid")
	// ErrUnknownGID: a Commit Prepared or Rollback Prepared names a GID no
	// Prepare announced in this session (see Options.AllowUnknownGID).
	ErrUnknownGID = errors.New("txn: no prepared transaction with this GID")
	// ErrLSNBackwards: a unit of work ends at or before the end of the
	// previous one. The server sends units in WAL order.
	ErrLSNBackwards = errors.New("txn: unit of work ends before the previous one")
	// ErrOutOfOrder: a message that cannot occur here: a Begin inside a
	// transaction, a first Stream Start for an xid already streaming, a
	// non-transactional message inside a transaction, ...
	ErrOutOfOrder = errors.New("txn: message out of order")
	// ErrNotDrained: Push was called before Next reported EventNone; the
	// events of the previous message would be lost.
	ErrNotDrained = errors.New("txn: events of the previous message not drained")
	// ErrSpill: writing or reading back a spill file failed; Cause has the
	// I/O error.
	ErrSpill = errors.New("txn: spill file")
)

// Error says what went wrong and where: the message, its WAL position and
// the transaction.
type Error struct {
	Err     error             // one of the sentinels above (or a codec one)
	Message codec.MessageType // the message being handled (0 if none)
	LSN     lsn.LSN           // its WAL position, or the LSN it carries
	Xid     uint32            // the transaction (0 if unknown)
	GID     string            // for two-phase messages
	Cause   error             // an underlying error (I/O, decoding), if any
}

func (e *Error) Error() string {
	b := []byte(e.Err.Error())
	if e.Message != 0 {
		b = append(b, " at "...)
		b = append(b, e.Message.String()...)
	}
	if e.LSN != 0 {
		b = append(b, " LSN "...)
		b = append(b, e.LSN.String()...)
	}
	if e.Xid != 0 {
		b = append(b, " xid "...)
		b = strconv.AppendUint(b, uint64(e.Xid), 10)
	}
	if e.GID != "" {
		b = append(b, " GID "...)
		b = strconv.AppendQuote(b, e.GID)
	}
	if e.Cause != nil {
		b = append(b, ": "...)
		b = append(b, e.Cause.Error()...)
	}
	return string(b)
}

// Unwrap returns the cause and the underlying error, so errors.Is matches
// either.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

func fail(err error, t codec.MessageType, at lsn.LSN, xid uint32) *Error {
	return &Error{Err: err, Message: t, LSN: at, Xid: xid}
}
