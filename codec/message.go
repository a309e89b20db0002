package codec

// MessageType is a pgoutput message's type byte.
type MessageType byte

// The pgoutput message types (PostgreSQL's LogicalRepMsgType).
const (
	TypeBegin            MessageType = 'B' // v1
	TypeLogicalMessage   MessageType = 'M' // v1 with the messages option (PostgreSQL 14+)
	TypeCommit           MessageType = 'C' // v1
	TypeOrigin           MessageType = 'O' // v1
	TypeRelation         MessageType = 'R' // v1
	TypeType             MessageType = 'Y' // v1
	TypeInsert           MessageType = 'I' // v1
	TypeUpdate           MessageType = 'U' // v1
	TypeDelete           MessageType = 'D' // v1
	TypeTruncate         MessageType = 'T' // v1 (PostgreSQL 11+)
	TypeStreamStart      MessageType = 'S' // v2
	TypeStreamStop       MessageType = 'E' // v2
	TypeStreamCommit     MessageType = 'c' // v2
	TypeStreamAbort      MessageType = 'A' // v2; parallel form v4
	TypeBeginPrepare     MessageType = 'b' // v3
	TypePrepare          MessageType = 'P' // v3
	TypeCommitPrepared   MessageType = 'K' // v3
	TypeRollbackPrepared MessageType = 'r' // v3
	TypeStreamPrepare    MessageType = 'p' // v3
)

// String returns the message's name, e.g. "Insert".
func (t MessageType) String() string { return messageName(layerPgoutput, byte(t)) }

// Message is a decoded pgoutput message: one of *Begin, *LogicalMessage,
// *Commit, *Origin, *Relation, *Type, *Insert, *Update, *Delete,
// *Truncate, *StreamStart, *StreamStop, *StreamCommit, *StreamAbort,
// *BeginPrepare, *Prepare, *CommitPrepared, *RollbackPrepared,
// *StreamPrepare. Switch on the concrete type.
type Message interface {
	MessageType() MessageType
	// appendTo is the type's Append function; AppendMessage calls it.
	appendTo(dst []byte) []byte
	cloneable
}

// A kind is everything the package knows of one pgoutput message type
// apart from the type's own methods. Adding a message type means its struct
// with the methods Message asks for, its value in Messages, and a row here
// naming the Messages method that decodes into that value.
type kind struct {
	typ        MessageType
	name       string
	minVersion int  // the lowest protocol version that has the type
	streaming  bool // exists only when the session streams: rejected with StreamingOff
	// decode decodes b, whose type byte is typ, into ms's value for the
	// type once the version and streaming rules above have passed.
	decode func(ms *Messages, b []byte, opts Options, inStream bool) (Message, error)
}

// kinds is pgoutput's message table (PostgreSQL's LogicalRepMsgType).
var kinds = [...]kind{
	{TypeBegin, "Begin", 1, false, (*Messages).decodeBegin},
	{TypeLogicalMessage, "Message", 1, false, (*Messages).decodeLogicalMessage},
	{TypeCommit, "Commit", 1, false, (*Messages).decodeCommit},
	{TypeOrigin, "Origin", 1, false, (*Messages).decodeOrigin},
	{TypeRelation, "Relation", 1, false, (*Messages).decodeRelation},
	{TypeType, "Type", 1, false, (*Messages).decodeType},
	{TypeInsert, "Insert", 1, false, (*Messages).decodeInsert},
	{TypeUpdate, "Update", 1, false, (*Messages).decodeUpdate},
	{TypeDelete, "Delete", 1, false, (*Messages).decodeDelete},
	{TypeTruncate, "Truncate", 1, false, (*Messages).decodeTruncate},
	{TypeStreamStart, "Stream Start", 2, true, (*Messages).decodeStreamStart},
	{TypeStreamStop, "Stream Stop", 2, true, (*Messages).decodeStreamStop},
	{TypeStreamCommit, "Stream Commit", 2, true, (*Messages).decodeStreamCommit},
	{TypeStreamAbort, "Stream Abort", 2, true, (*Messages).decodeStreamAbort},
	{TypeBeginPrepare, "Begin Prepare", 3, false, (*Messages).decodeBeginPrepare},
	{TypePrepare, "Prepare", 3, false, (*Messages).decodePrepare},
	{TypeCommitPrepared, "Commit Prepared", 3, false, (*Messages).decodeCommitPrepared},
	{TypeRollbackPrepared, "Rollback Prepared", 3, false, (*Messages).decodeRollbackPrepared},
	{TypeStreamPrepare, "Stream Prepare", 3, true, (*Messages).decodeStreamPrepare},
}

// kindOf indexes kinds by type byte; nil for bytes that name no message. It
// is filled in init, not by an initializer: the decode functions in kinds
// name messages through it, which an initializer would make a cycle.
var kindOf [256]*kind

func init() {
	for i := range kinds {
		kindOf[kinds[i].typ] = &kinds[i]
	}
}

// The CopyData sub-message tags of streaming replication.
const (
	TagXLogData             byte = 'w' // server: WAL data (WALData in PostgreSQL 19's docs)
	TagPrimaryKeepalive     byte = 'k' // server
	TagPrimaryStatusUpdate  byte = 's' // server, PostgreSQL 19+, answers 'p'
	TagStandbyStatusUpdate  byte = 'r' // client
	TagHotStandbyFeedback   byte = 'h' // client
	TagPrimaryStatusRequest byte = 'p' // client, PostgreSQL 19+
)

// ReplicationMessage is a decoded CopyData payload of a replication stream:
// *XLogData, *PrimaryKeepalive or *PrimaryStatusUpdate from the server;
// *StandbyStatusUpdate, *HotStandbyFeedback or *PrimaryStatusRequest from
// the client. Tag returns the sub-message byte.
type ReplicationMessage interface {
	Tag() byte
	// appendTo is the type's Append function; AppendReplicationMessage
	// calls it.
	appendTo(dst []byte) []byte
	cloneable
}

func messageName(l layer, t byte) string {
	switch l {
	case layerPgoutput:
		if k := kindOf[t]; k != nil {
			return k.name
		}
		return "pgoutput message"
	case layerServerCopy:
		switch t {
		case TagXLogData:
			return "XLogData"
		case TagPrimaryKeepalive:
			return "Primary Keepalive"
		case TagPrimaryStatusUpdate:
			return "Primary Status Update"
		}
		return "server CopyData message"
	default:
		switch t {
		case TagStandbyStatusUpdate:
			return "Standby Status Update"
		case TagHotStandbyFeedback:
			return "Hot Standby Feedback"
		case TagPrimaryStatusRequest:
			return "Primary Status Request"
		}
		return "client CopyData message"
	}
}
