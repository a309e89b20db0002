package codec

import (
	"encoding/binary"

	"github.com/pgwal/pgwal/lsn"
)

// StreamStart ('S', protocol 2+) opens a block of changes of an in-progress
// transaction. Until the matching StreamStop, Relation, Type, Insert,
// Update, Delete, Truncate and LogicalMessage carry an xid prefix.
type StreamStart struct {
	Xid          uint32 // top-level transaction id
	FirstSegment bool   // the first block of this transaction
}

// StreamStop ('E', protocol 2+) closes a stream block.
type StreamStop struct{}

// StreamCommit ('c', protocol 2+) commits a streamed transaction.
type StreamCommit struct {
	Xid        uint32
	Flags      uint8 // currently always 0
	CommitLSN  lsn.LSN
	EndLSN     lsn.LSN // end of the commit record: the position to confirm
	CommitTime lsn.Timestamp
}

// StreamAbort ('A', protocol 2+) aborts a streamed transaction (SubXid ==
// Xid) or one of its subtransactions (SubXid != Xid). With protocol 4 and
// streaming = parallel the message also carries the abort's LSN and time;
// Parallel says whether it does.
type StreamAbort struct {
	Xid       uint32 // top-level transaction id
	SubXid    uint32 // aborted (sub)transaction id
	Parallel  bool   // the protocol 4 parallel-streaming form: AbortLSN and AbortTime are set
	AbortLSN  lsn.LSN
	AbortTime lsn.Timestamp
}

// outOfOrder reports a stream control message that does not fit the
// decoder's stream state.
func outOfOrder(b []byte) error {
	r := reader{b: b, layer: layerPgoutput}
	r.fail("", ErrUnexpected)
	return r.err
}

func (d *Decoder) decodeStreamStart(b []byte) (Message, error) {
	if d.opts.Streaming == StreamingOff {
		return nil, d.unexpected(b)
	}
	if d.inStream {
		return nil, outOfOrder(b) // the previous block was never stopped
	}
	if len(b) != streamStartSize {
		return nil, streamStartLayout.fault(b)
	}
	if b[5] > 1 {
		r := reader{b: b, off: 5, layer: layerPgoutput}
		r.fail("first segment", ErrInvalidValue)
		return nil, r.err
	}
	m := &d.streamStart
	m.Xid = binary.BigEndian.Uint32(b[1:])
	m.FirstSegment = b[5] == 1
	d.inStream = true
	return m, nil
}

func (d *Decoder) decodeStreamStop(b []byte) (Message, error) {
	if d.opts.Streaming == StreamingOff {
		return nil, d.unexpected(b)
	}
	if !d.inStream {
		return nil, outOfOrder(b) // no block is open
	}
	if len(b) != streamStopSize {
		return nil, streamStopLayout.fault(b)
	}
	d.inStream = false
	return &d.streamStop, nil
}

func (d *Decoder) decodeStreamCommit(b []byte) (Message, error) {
	if d.opts.Streaming == StreamingOff {
		return nil, d.unexpected(b)
	}
	if len(b) != streamCommitSize {
		return nil, streamCommitLayout.fault(b)
	}
	m := &d.streamCommit
	m.Xid = binary.BigEndian.Uint32(b[1:])
	m.Flags = b[5]
	m.CommitLSN = lsn.LSN(binary.BigEndian.Uint64(b[6:]))
	m.EndLSN = lsn.LSN(binary.BigEndian.Uint64(b[14:]))
	m.CommitTime = lsn.Timestamp(binary.BigEndian.Uint64(b[22:]))
	return m, nil
}

func (d *Decoder) decodeStreamAbort(b []byte) (Message, error) {
	if d.opts.Streaming == StreamingOff {
		return nil, d.unexpected(b)
	}
	// Nothing in the message tells the two forms apart: the negotiated
	// streaming mode does, or, when the decoder was not told, the length.
	// Anything longer than the short form is then the parallel one, so a
	// cut-short parallel abort reports the field it ends in.
	var parallel bool
	switch d.opts.Streaming {
	case StreamingParallel:
		parallel = true
	case StreamingAuto:
		v := d.opts.ProtoVersion
		parallel = (v == 0 || v >= 4) && len(b) > streamAbortSize
	}
	layout, size := streamAbortLayout, streamAbortSize
	if parallel {
		layout, size = streamAbortParallelLayout, streamAbortParallelSize
	}
	if len(b) != size {
		return nil, layout.fault(b)
	}
	m := &d.streamAbort
	m.Xid = binary.BigEndian.Uint32(b[1:])
	m.SubXid = binary.BigEndian.Uint32(b[5:])
	m.Parallel = parallel
	m.AbortLSN, m.AbortTime = 0, 0
	if parallel {
		m.AbortLSN = lsn.LSN(binary.BigEndian.Uint64(b[9:]))
		m.AbortTime = lsn.Timestamp(binary.BigEndian.Uint64(b[17:]))
	}
	return m, nil
}

// AppendStreamStart appends the encoding of m to dst.
func AppendStreamStart(dst []byte, m *StreamStart) []byte {
	dst = append(dst, byte(TypeStreamStart))
	dst = binary.BigEndian.AppendUint32(dst, m.Xid)
	return appendBool(dst, m.FirstSegment)
}

// AppendStreamStop appends the encoding of m to dst.
func AppendStreamStop(dst []byte, m *StreamStop) []byte {
	return append(dst, byte(TypeStreamStop))
}

// AppendStreamCommit appends the encoding of m to dst.
func AppendStreamCommit(dst []byte, m *StreamCommit) []byte {
	dst = append(dst, byte(TypeStreamCommit))
	dst = binary.BigEndian.AppendUint32(dst, m.Xid)
	dst = append(dst, m.Flags)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.CommitLSN))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.EndLSN))
	return binary.BigEndian.AppendUint64(dst, uint64(m.CommitTime))
}

// AppendStreamAbort appends the encoding of m to dst; AbortLSN and AbortTime
// only when m.Parallel.
func AppendStreamAbort(dst []byte, m *StreamAbort) []byte {
	dst = append(dst, byte(TypeStreamAbort))
	dst = binary.BigEndian.AppendUint32(dst, m.Xid)
	dst = binary.BigEndian.AppendUint32(dst, m.SubXid)
	if m.Parallel {
		dst = binary.BigEndian.AppendUint64(dst, uint64(m.AbortLSN))
		dst = binary.BigEndian.AppendUint64(dst, uint64(m.AbortTime))
	}
	return dst
}

func appendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 1)
	}
	return append(dst, 0)
}
