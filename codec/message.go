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

// minVersion is the lowest protocol version that has the message type.
func (t MessageType) minVersion() int {
	switch t {
	case TypeStreamStart, TypeStreamStop, TypeStreamCommit, TypeStreamAbort:
		return 2
	case TypeBeginPrepare, TypePrepare, TypeCommitPrepared, TypeRollbackPrepared, TypeStreamPrepare:
		return 3
	}
	return 1
}

// Message is a decoded pgoutput message: one of *Begin, *LogicalMessage,
// *Commit, *Origin, *Relation, *Type, *Insert, *Update, *Delete,
// *Truncate, *StreamStart, *StreamStop, *StreamCommit, *StreamAbort,
// *BeginPrepare, *Prepare, *CommitPrepared, *RollbackPrepared,
// *StreamPrepare. Switch on the concrete type.
type Message interface {
	MessageType() MessageType
	isMessage()
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
	isReplicationMessage()
}

func messageName(l layer, t byte) string {
	switch l {
	case layerPgoutput:
		switch MessageType(t) {
		case TypeBegin:
			return "Begin"
		case TypeLogicalMessage:
			return "Message"
		case TypeCommit:
			return "Commit"
		case TypeOrigin:
			return "Origin"
		case TypeRelation:
			return "Relation"
		case TypeType:
			return "Type"
		case TypeInsert:
			return "Insert"
		case TypeUpdate:
			return "Update"
		case TypeDelete:
			return "Delete"
		case TypeTruncate:
			return "Truncate"
		case TypeStreamStart:
			return "Stream Start"
		case TypeStreamStop:
			return "Stream Stop"
		case TypeStreamCommit:
			return "Stream Commit"
		case TypeStreamAbort:
			return "Stream Abort"
		case TypeBeginPrepare:
			return "Begin Prepare"
		case TypePrepare:
			return "Prepare"
		case TypeCommitPrepared:
			return "Commit Prepared"
		case TypeRollbackPrepared:
			return "Rollback Prepared"
		case TypeStreamPrepare:
			return "Stream Prepare"
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

func (*Begin) isMessage()            {}
func (*LogicalMessage) isMessage()   {}
func (*Commit) isMessage()           {}
func (*Origin) isMessage()           {}
func (*Relation) isMessage()         {}
func (*Type) isMessage()             {}
func (*Insert) isMessage()           {}
func (*Update) isMessage()           {}
func (*Delete) isMessage()           {}
func (*Truncate) isMessage()         {}
func (*StreamStart) isMessage()      {}
func (*StreamStop) isMessage()       {}
func (*StreamCommit) isMessage()     {}
func (*StreamAbort) isMessage()      {}
func (*BeginPrepare) isMessage()     {}
func (*Prepare) isMessage()          {}
func (*CommitPrepared) isMessage()   {}
func (*RollbackPrepared) isMessage() {}
func (*StreamPrepare) isMessage()    {}

// MessageType implementations.
func (*Begin) MessageType() MessageType            { return TypeBegin }
func (*LogicalMessage) MessageType() MessageType   { return TypeLogicalMessage }
func (*Commit) MessageType() MessageType           { return TypeCommit }
func (*Origin) MessageType() MessageType           { return TypeOrigin }
func (*Relation) MessageType() MessageType         { return TypeRelation }
func (*Type) MessageType() MessageType             { return TypeType }
func (*Insert) MessageType() MessageType           { return TypeInsert }
func (*Update) MessageType() MessageType           { return TypeUpdate }
func (*Delete) MessageType() MessageType           { return TypeDelete }
func (*Truncate) MessageType() MessageType         { return TypeTruncate }
func (*StreamStart) MessageType() MessageType      { return TypeStreamStart }
func (*StreamStop) MessageType() MessageType       { return TypeStreamStop }
func (*StreamCommit) MessageType() MessageType     { return TypeStreamCommit }
func (*StreamAbort) MessageType() MessageType      { return TypeStreamAbort }
func (*BeginPrepare) MessageType() MessageType     { return TypeBeginPrepare }
func (*Prepare) MessageType() MessageType          { return TypePrepare }
func (*CommitPrepared) MessageType() MessageType   { return TypeCommitPrepared }
func (*RollbackPrepared) MessageType() MessageType { return TypeRollbackPrepared }
func (*StreamPrepare) MessageType() MessageType    { return TypeStreamPrepare }
