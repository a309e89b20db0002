package txn

import (
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// Kind says what a unit of work is and what acknowledging it means.
type Kind uint8

const (
	// KindTransaction: a committed transaction, Begin … Commit or a
	// streamed one ended by Stream Commit. Apply its changes, then
	// acknowledge Ack.
	KindTransaction Kind = iota + 1
	// KindPrepared: a transaction prepared with PREPARE TRANSACTION
	// (Begin Prepare … Prepare, or streamed and ended by Stream Prepare).
	// Its changes are neither committed nor rolled back yet, and the
	// server will NOT send them again: Commit Prepared and Rollback
	// Prepared name only the GID. So store the changes durably under GID
	// (e.g. PREPARE TRANSACTION on the target) before acknowledging
	// AckAfterStoringPrepared, or before acknowledging any later position:
	// an acknowledgement past the PREPARE tells the server they are safe.
	// Ack stays 0 for this kind, so code that acknowledges Ack without
	// looking at the kind cannot confirm a prepared transaction by mistake.
	KindPrepared
	// KindCommitPrepared: COMMIT PREPARED of GID: commit what the
	// KindPrepared unit of that GID stored. It has no changes.
	KindCommitPrepared
	// KindRollbackPrepared: ROLLBACK PREPARED of GID: discard what was
	// stored for it. It has no changes.
	KindRollbackPrepared
	// KindMessage: a non-transactional logical decoding message
	// (pg_logical_emit_message with transactional = false). The server
	// sends it as it is written, outside any transaction: one change, of
	// OpMessage.
	KindMessage
	// KindAbort: a streamed transaction (SubXid == Xid) or, with
	// Options.Immediate, one of its subtransactions (SubXid) was rolled
	// back. Without Immediate nothing of it was handed on, so there is
	// nothing to undo; its Ack may still be acknowledged. With Immediate,
	// undo the tentatively applied changes of SubXid (of the whole
	// transaction when SubXid == Xid). Only a whole abort has an Ack.
	KindAbort
	// KindStreamChunk (Options.Immediate only): one Stream Start … Stream
	// Stop block of an in-progress transaction Xid, handed on as it
	// arrives. Apply tentatively; the transaction's fate comes later as a
	// streamed KindTransaction or KindPrepared unit (with no changes of its
	// own) or KindAbort units. Never acknowledge anything for a chunk.
	KindStreamChunk
)

func (k Kind) String() string {
	switch k {
	case KindTransaction:
		return "transaction"
	case KindPrepared:
		return "prepared"
	case KindCommitPrepared:
		return "commit prepared"
	case KindRollbackPrepared:
		return "rollback prepared"
	case KindMessage:
		return "message"
	case KindAbort:
		return "abort"
	case KindStreamChunk:
		return "stream chunk"
	}
	return "Kind(?)"
}

// Unit describes a unit of work. The Assembler hands out one Unit, which
// it overwrites for the next unit: fields are valid from the unit's
// EventBegin to its EventEnd, byte slices until the next Push after it.
type Unit struct {
	Kind Kind
	Xid  uint32 // top-level transaction id (0 for KindMessage)
	// SubXid is the aborted (sub)transaction of a KindAbort unit.
	SubXid uint32
	// Streamed: the transaction came in Stream Start … Stream Stop blocks.
	Streamed bool
	// FirstSegment: a KindStreamChunk that opens its transaction.
	FirstSegment bool
	Origin       []byte  // replication origin name; nil when the server sent none
	OriginLSN    lsn.LSN // commit LSN on the origin (0 for streamed transactions)
	GID          []byte  // two-phase units: the global transaction id
	// LSN is where the unit's final record starts: the commit, prepare or
	// COMMIT PREPARED record, a message's LSN, a parallel-mode abort's
	// abort LSN; 0 when the server does not say.
	LSN lsn.LSN
	// End is where the unit ends in the WAL; the resume rule compares it
	// with the stored position. For a Begin … Commit transaction it is
	// known only from EventEnd on (Begin carries only LSN).
	End lsn.LSN
	// Time is the commit, prepare, rollback or abort time (0 if unknown).
	Time lsn.Timestamp
	// PrepareEnd (KindRollbackPrepared) is where the rolled-back PREPARE
	// ended, to tell it from an older transaction with the same GID.
	PrepareEnd lsn.LSN
	// Ack is the position to acknowledge (report as flushed) once the
	// unit is durably applied. Set at EventEnd; 0 for KindPrepared, for
	// KindStreamChunk and for the abort of a subtransaction.
	Ack lsn.LSN
	// AckAfterStoringPrepared (KindPrepared only): the position to
	// acknowledge once the prepared changes are durably stored under GID,
	// and not before: the server never sends them again.
	AckAfterStoringPrepared lsn.LSN
}

// Op is the kind of a change.
type Op uint8

const (
	OpInsert Op = iota + 1
	OpUpdate
	OpDelete
	OpTruncate
	OpMessage // a logical decoding message
)

func (o Op) String() string {
	switch o {
	case OpInsert:
		return "insert"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	case OpTruncate:
		return "truncate"
	case OpMessage:
		return "message"
	}
	return "Op(?)"
}

// Change is one change of a unit, resolved against the schema in force
// for its own transaction at that point. The Assembler reuses one Change:
// it and everything it points to are valid until the next Next or Push.
type Change struct {
	Op Op
	// Xid is the transaction that made the change: in a streamed
	// transaction the (sub)transaction of the message's xid prefix, else
	// the unit's Xid.
	Xid uint32
	LSN lsn.LSN // the WAL position the change arrived at (0 if unknown)

	// Insert, Update, Delete.
	Relation *codec.RelationInfo
	OldKind  codec.OldTupleKind // OldKey, OldFull, or OldNone (Update without an old row)
	Old      Row                // Update and Delete: not Sent when the server sent no old row
	New      Row                // Insert and Update

	// Truncate.
	Truncated       []*codec.RelationInfo
	TruncateOptions uint8 // codec.TruncateCascade | codec.TruncateRestartIdentity

	// Message (transactional, or the change of a KindMessage unit).
	Prefix  []byte
	Content []byte
}

// EventKind says what Next returned.
type EventKind uint8

const (
	// EventNone: nothing more until the next Push.
	EventNone EventKind = iota
	// EventBegin: a unit starts; Event.Unit describes it.
	EventBegin
	// EventChange: Event.Change is the unit's next change.
	EventChange
	// EventEnd: the unit is complete; Event.Unit has its End and Ack.
	EventEnd
)

// Event is what Next returns.
type Event struct {
	Kind   EventKind
	Unit   *Unit   // for EventBegin, EventChange and EventEnd
	Change *Change // for EventChange
}
