package codec

import "fmt"

// Streaming is the value of pgoutput's streaming option the session asked
// for. It decides whether a Stream Abort carries the parallel-apply fields.
type Streaming uint8

const (
	// StreamingAuto accepts stream messages and tells the two Stream Abort
	// forms apart by their length: 9 bytes is the short form, anything
	// longer the parallel one (25 bytes) when the protocol version allows
	// it. Use it for captures of unknown origin; it is the zero value.
	StreamingAuto Streaming = iota
	// StreamingOff: the session did not ask for streaming; stream messages
	// are errors.
	StreamingOff
	// StreamingOn: streaming 'on' (protocol 2+); Stream Abort has the short
	// form.
	StreamingOn
	// StreamingParallel: streaming 'parallel' (protocol 4); Stream Abort
	// carries the abort LSN and time.
	StreamingParallel
)

// String returns the option value: "auto", "off", "on" or "parallel".
func (s Streaming) String() string {
	switch s {
	case StreamingOff:
		return "off"
	case StreamingOn:
		return "on"
	case StreamingParallel:
		return "parallel"
	}
	return "auto"
}

// ParseStreaming reads a streaming option value: "off", "on", "parallel",
// or "auto" (and "" for auto).
func ParseStreaming(v string) (Streaming, error) {
	switch v {
	case "", "auto":
		return StreamingAuto, nil
	case "off":
		return StreamingOff, nil
	case "on":
		return StreamingOn, nil
	case "parallel":
		return StreamingParallel, nil
	}
	return StreamingAuto, fmt.Errorf("codec: streaming %q: want off, on, parallel or auto", v)
}

// Options describe what the replication session negotiated. The zero value
// accepts every message of protocol versions 1 to 4.
type Options struct {
	// ProtoVersion is pgoutput's proto_version (1 to 4); messages a lower
	// version cannot contain are errors. 0 accepts every version.
	ProtoVersion int
	// Streaming is the streaming option.
	Streaming Streaming
}

// A Decoder decodes pgoutput messages, one per call, keeping the state the
// bytes alone do not carry: whether a Stream Start … Stream Stop block is
// open (then row-level messages carry an xid prefix) and the negotiated
// protocol options. The zero Decoder is ready to use with zero Options.
//
// Decoding allocates nothing once the decoder's buffers have grown to the
// largest message seen (tuple columns, relation columns, truncated relation
// IDs).
//
// What Decode returns is the decoder's own memory and views into the input:
// it is valid until the next call to Decode or Reset on the same Decoder and
// only while the input bytes are unchanged. Use Clone to keep a message
// longer. A Decoder is not safe for concurrent use.
type Decoder struct {
	opts     Options
	inStream bool

	// One reusable value per message type ("flyweights").
	begin            Begin
	logicalMessage   LogicalMessage
	commit           Commit
	origin           Origin
	relation         Relation
	typ              Type
	insert           Insert
	update           Update
	delete           Delete
	truncate         Truncate
	streamStart      StreamStart
	streamStop       StreamStop
	streamCommit     StreamCommit
	streamAbort      StreamAbort
	beginPrepare     BeginPrepare
	prepare          Prepare
	commitPrepared   CommitPrepared
	rollbackPrepared RollbackPrepared
	streamPrepare    StreamPrepare

	newColumns      []Column
	oldColumns      []Column
	relationColumns []RelationColumn
	relationIDs     []uint32

	// CopyData flyweights.
	xlogData             XLogData
	primaryKeepalive     PrimaryKeepalive
	primaryStatusUpdate  PrimaryStatusUpdate
	standbyStatusUpdate  StandbyStatusUpdate
	hotStandbyFeedback   HotStandbyFeedback
	primaryStatusRequest PrimaryStatusRequest
}

// NewDecoder returns a Decoder for a session that negotiated opts.
func NewDecoder(opts Options) *Decoder {
	return &Decoder{opts: opts}
}

// Options returns the options the decoder was created with.
func (d *Decoder) Options() Options { return d.opts }

// InStream reports whether a Stream Start … Stream Stop block is open.
func (d *Decoder) InStream() bool { return d.inStream }

// Reset forgets the stream state, as at the start of a new replication
// session; it keeps the options and the buffers. Call it after reconnecting.
func (d *Decoder) Reset() { d.inStream = false }

// SetInStream sets whether a stream block is open, for decoding a capture
// that starts inside one.
func (d *Decoder) SetInStream(open bool) { d.inStream = open }

// Decode decodes one pgoutput message: the payload of one XLogData of a
// logical replication session, or one row of pg_logical_slot_get_binary_changes
// with the pgoutput plugin. Every failure is a *DecodeError; an empty
// payload is one matching ErrEmpty. See Decoder for how long the result
// stays valid.
func (d *Decoder) Decode(b []byte) (Message, error) {
	if len(b) == 0 {
		return nil, emptyInput(layerPgoutput)
	}
	t := MessageType(b[0])
	if d.opts.ProtoVersion != 0 && t.minVersion() > d.opts.ProtoVersion {
		return nil, d.unexpected(b)
	}
	switch t {
	// Row changes and fixed-size messages have fast paths without a reader.
	case TypeInsert:
		return d.decodeInsert(b)
	case TypeUpdate:
		return d.decodeUpdate(b)
	case TypeDelete:
		return d.decodeDelete(b)
	case TypeBegin:
		return d.decodeBegin(b)
	case TypeCommit:
		return d.decodeCommit(b)
	case TypeStreamStart:
		return d.decodeStreamStart(b)
	case TypeStreamStop:
		return d.decodeStreamStop(b)
	case TypeStreamCommit:
		return d.decodeStreamCommit(b)
	case TypeStreamAbort:
		return d.decodeStreamAbort(b)
	// The rest are read field by field.
	case TypeRelation:
		return d.checked(b, (*Decoder).decodeRelation)
	case TypeType:
		return d.checked(b, (*Decoder).decodeType)
	case TypeOrigin:
		return d.checked(b, (*Decoder).decodeOrigin)
	case TypeTruncate:
		return d.checked(b, (*Decoder).decodeTruncate)
	case TypeLogicalMessage:
		return d.checked(b, (*Decoder).decodeLogicalMessage)
	case TypeStreamPrepare:
		if d.opts.Streaming == StreamingOff {
			return nil, d.unexpected(b)
		}
		return d.checked(b, (*Decoder).decodeStreamPrepare)
	case TypeBeginPrepare:
		return d.checked(b, (*Decoder).decodeBeginPrepare)
	case TypePrepare:
		return d.checked(b, (*Decoder).decodePrepare)
	case TypeCommitPrepared:
		return d.checked(b, (*Decoder).decodeCommitPrepared)
	case TypeRollbackPrepared:
		return d.checked(b, (*Decoder).decodeRollbackPrepared)
	}
	r := reader{b: b, layer: layerPgoutput}
	r.fail("type", ErrUnknownType)
	return nil, r.err
}

// checked decodes b with the checked reader: the slow path that names the
// field and offset of a fault.
func (d *Decoder) checked(b []byte, decode func(*Decoder, *reader) (Message, error)) (Message, error) {
	var r reader
	r.start(b, layerPgoutput)
	m, err := decode(d, &r)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func (d *Decoder) unexpected(b []byte) error {
	r := reader{b: b, layer: layerPgoutput}
	r.fail("type", ErrUnexpected)
	return r.err
}

// streamXid reads the xid prefix row-level messages carry inside a stream
// block.
func (d *Decoder) streamXid(r *reader) (bool, uint32) {
	if !d.inStream {
		return false, 0
	}
	return true, r.u32("xid")
}

// AppendMessage appends the encoding of any pgoutput message to dst.
func AppendMessage(dst []byte, m Message) []byte {
	switch m := m.(type) {
	case *Begin:
		return AppendBegin(dst, m)
	case *LogicalMessage:
		return AppendLogicalMessage(dst, m)
	case *Commit:
		return AppendCommit(dst, m)
	case *Origin:
		return AppendOrigin(dst, m)
	case *Relation:
		return AppendRelation(dst, m)
	case *Type:
		return AppendType(dst, m)
	case *Insert:
		return AppendInsert(dst, m)
	case *Update:
		return AppendUpdate(dst, m)
	case *Delete:
		return AppendDelete(dst, m)
	case *Truncate:
		return AppendTruncate(dst, m)
	case *StreamStart:
		return AppendStreamStart(dst, m)
	case *StreamStop:
		return AppendStreamStop(dst, m)
	case *StreamCommit:
		return AppendStreamCommit(dst, m)
	case *StreamAbort:
		return AppendStreamAbort(dst, m)
	case *BeginPrepare:
		return AppendBeginPrepare(dst, m)
	case *Prepare:
		return AppendPrepare(dst, m)
	case *CommitPrepared:
		return AppendCommitPrepared(dst, m)
	case *RollbackPrepared:
		return AppendRollbackPrepared(dst, m)
	case *StreamPrepare:
		return AppendStreamPrepare(dst, m)
	}
	panic("codec: AppendMessage: unknown message type") // unreachable: Message is sealed
}
