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

const (
	streamAbortSize         = 1 + 4 + 4
	streamAbortParallelSize = streamAbortSize + 8 + 8
)

func (d *Decoder) decodeStreamStart(r *reader) (Message, error) {
	m := &d.streamStart
	if d.inStream {
		r.off = 0
		r.fail("", ErrUnexpected) // the previous block was never stopped
		return m, r.done()
	}
	m.Xid = r.u32("xid")
	m.FirstSegment = r.boolean("first segment")
	if err := r.done(); err != nil {
		return m, err
	}
	d.inStream = true
	return m, nil
}

func (d *Decoder) decodeStreamStop(r *reader) (Message, error) {
	m := &d.streamStop
	if !d.inStream {
		r.off = 0
		r.fail("", ErrUnexpected) // no block is open
		return m, r.done()
	}
	if err := r.done(); err != nil {
		return m, err
	}
	d.inStream = false
	return m, nil
}

func (d *Decoder) decodeStreamCommit(r *reader) (Message, error) {
	m := &d.streamCommit
	m.Xid = r.u32("xid")
	m.Flags = r.u8("flags")
	m.CommitLSN = lsn.LSN(r.u64("commit LSN"))
	m.EndLSN = lsn.LSN(r.u64("end LSN"))
	m.CommitTime = lsn.Timestamp(r.u64("commit time"))
	return m, r.done()
}

func (d *Decoder) decodeStreamAbort(r *reader) (Message, error) {
	m := &d.streamAbort
	// Nothing in the message tells the two forms apart: the negotiated
	// streaming mode does, or, when the decoder was not told, the length.
	switch d.opts.Streaming {
	case StreamingParallel:
		m.Parallel = true
	case StreamingAuto:
		v := d.opts.ProtoVersion
		m.Parallel = (v == 0 || v >= 4) && len(r.b) == streamAbortParallelSize
	default:
		m.Parallel = false
	}
	m.Xid = r.u32("xid")
	m.SubXid = r.u32("subtransaction xid")
	m.AbortLSN, m.AbortTime = 0, 0
	if m.Parallel {
		m.AbortLSN = lsn.LSN(r.u64("abort LSN"))
		m.AbortTime = lsn.Timestamp(r.u64("abort time"))
	}
	return m, r.done()
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
