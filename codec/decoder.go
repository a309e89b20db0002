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

// parallelAbort says which Stream Abort form an n-byte message is under
// these options. Nothing in the message tells the two forms apart: the
// negotiated streaming mode does, or, when the decoder was not told, the
// length. Anything longer than the short form is then the parallel one, so
// a cut-short parallel abort reports the field it ends in.
func (o Options) parallelAbort(n int) bool {
	switch o.Streaming {
	case StreamingParallel:
		return true
	case StreamingAuto:
		return (o.ProtoVersion == 0 || o.ProtoVersion >= 4) && n > streamAbortSize
	}
	return false
}

// Messages decodes pgoutput messages without keeping any state of its own:
// the caller says, for each message, what the session negotiated and
// whether a Stream Start … Stream Stop block is open. It is for a driver
// that tracks the stream itself; a Decoder is a Messages that tracks it.
//
// Messages holds one reusable value per message type and the buffers their
// slices use, so decoding allocates nothing once the buffers have grown to
// the largest message seen. What Decode returns is that memory and views
// into the input: valid until the next Decode on the same Messages and only
// while the input bytes are unchanged. The zero value is ready to use; it
// is not safe for concurrent use.
type Messages struct {
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

	// Shared by the message types: one message is valid at a time.
	newColumns      []Column
	oldColumns      []Column
	relationColumns []RelationColumn
	relationIDs     []uint32
}

// Decode decodes one pgoutput message under opts; inStream says whether a
// Stream Start … Stream Stop block is open, so whether row-level messages
// carry the xid prefix. It applies every rule a Decoder does except
// remembering the stream state: a type the protocol version lacks, a stream
// message with streaming off, a Stream Start inside a block or a Stream
// Stop outside one are ErrUnexpected errors. Every failure is a
// *DecodeError.
func (ms *Messages) Decode(b []byte, opts Options, inStream bool) (Message, error) {
	if k := accepted(b, opts); k != nil {
		return k.decode(ms, b, opts, inStream)
	}
	return nil, rejection(b)
}

// accepted returns the kind of message b is when opts allow that type, or
// nil. The work before a message's own decoder, kept small enough to
// inline.
func accepted(b []byte, opts Options) *kind {
	if len(b) == 0 {
		return nil
	}
	k := kindOf[b[0]]
	if k == nil || (opts.ProtoVersion != 0 && k.minVersion > opts.ProtoVersion) || (k.streaming && opts.Streaming == StreamingOff) {
		return nil
	}
	return k
}

// rejection explains why accepted returned nil.
func rejection(b []byte) error {
	if len(b) == 0 {
		return emptyInput(layerPgoutput)
	}
	if kindOf[b[0]] == nil {
		return typeError(b, ErrUnknownType)
	}
	return typeError(b, ErrUnexpected)
}

// typeError reports that b's type byte is no message for this decoder.
func typeError(b []byte, err error) error {
	r := reader{b: b, layer: layerPgoutput}
	r.fail("type", err)
	return r.err
}

// ofType checks that b holds a message of type t, for the decoders of one
// message type.
func ofType(b []byte, t MessageType) error {
	if len(b) == 0 {
		return emptyInput(layerPgoutput)
	}
	if b[0] != byte(t) {
		return typeError(b, ErrUnknownType)
	}
	return nil
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
	msgs     Messages

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
	// Messages.Decode, with the stream state kept: the same rules, without
	// a call in between on the hottest path.
	k := accepted(b, d.opts)
	if k == nil {
		return nil, rejection(b)
	}
	m, err := k.decode(&d.msgs, b, d.opts, d.inStream)
	if err == nil && k.streaming {
		// The kind's decoder has checked the order.
		switch k.typ {
		case TypeStreamStart:
			d.inStream = true
		case TypeStreamStop:
			d.inStream = false
		}
	}
	return m, err
}

// result returns m, or only the error: a failed decode returns no message.
func result(m Message, err error) (Message, error) {
	if err != nil {
		return nil, err
	}
	return m, nil
}

// AppendMessage appends the encoding of any pgoutput message to dst.
func AppendMessage(dst []byte, m Message) []byte {
	return m.appendTo(dst)
}
