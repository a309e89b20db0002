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

func (*StreamStart) MessageType() MessageType  { return TypeStreamStart }
func (*StreamStop) MessageType() MessageType   { return TypeStreamStop }
func (*StreamCommit) MessageType() MessageType { return TypeStreamCommit }
func (*StreamAbort) MessageType() MessageType  { return TypeStreamAbort }

func (m *StreamStart) appendTo(dst []byte) []byte  { return AppendStreamStart(dst, m) }
func (m *StreamStop) appendTo(dst []byte) []byte   { return AppendStreamStop(dst, m) }
func (m *StreamCommit) appendTo(dst []byte) []byte { return AppendStreamCommit(dst, m) }
func (m *StreamAbort) appendTo(dst []byte) []byte  { return AppendStreamAbort(dst, m) }

func (m *StreamStart) copyShallow() cloneable  { v := *m; return &v }
func (m *StreamStop) copyShallow() cloneable   { v := *m; return &v }
func (m *StreamCommit) copyShallow() cloneable { v := *m; return &v }
func (m *StreamAbort) copyShallow() cloneable  { v := *m; return &v }

func (*StreamStart) byteFields(func(*[]byte))  {}
func (*StreamStop) byteFields(func(*[]byte))   {}
func (*StreamCommit) byteFields(func(*[]byte)) {}
func (*StreamAbort) byteFields(func(*[]byte))  {}

// outOfOrder reports a stream control message that does not fit the
// stream state.
func outOfOrder(b []byte) error {
	r := reader{b: b, layer: layerPgoutput}
	r.fail("", ErrUnexpected)
	return r.err
}

// DecodeStreamStart decodes a Stream Start message into m. Whether a block
// may start here is the caller's to know.
func DecodeStreamStart(m *StreamStart, b []byte) error {
	if err := ofType(b, TypeStreamStart); err != nil {
		return err
	}
	if !decodeStreamStart(m, b) {
		return streamStartFault(b)
	}
	return nil
}

func decodeStreamStart(m *StreamStart, b []byte) bool {
	if len(b) != streamStartSize || b[5] > 1 {
		return false
	}
	m.Xid = binary.BigEndian.Uint32(b[1:])
	m.FirstSegment = b[5] == 1
	return true
}

func streamStartFault(b []byte) error {
	if len(b) != streamStartSize {
		return streamStartLayout.fault(b)
	}
	r := reader{b: b, off: 5, layer: layerPgoutput}
	r.fail("first segment", ErrInvalidValue)
	return r.err
}

func (ms *Messages) decodeStreamStart(b []byte, _ Options, inStream bool) (Message, error) {
	if inStream {
		return nil, outOfOrder(b) // the previous block was never stopped
	}
	if !decodeStreamStart(&ms.streamStart, b) {
		return nil, streamStartFault(b)
	}
	return &ms.streamStart, nil
}

// DecodeStreamStop checks that b is a Stream Stop message; m has no fields.
func DecodeStreamStop(m *StreamStop, b []byte) error {
	if err := ofType(b, TypeStreamStop); err != nil {
		return err
	}
	if len(b) != streamStopSize {
		return streamStopLayout.fault(b)
	}
	return nil
}

func (ms *Messages) decodeStreamStop(b []byte, _ Options, inStream bool) (Message, error) {
	if !inStream {
		return nil, outOfOrder(b) // no block is open
	}
	if len(b) != streamStopSize {
		return nil, streamStopLayout.fault(b)
	}
	return &ms.streamStop, nil
}

// DecodeStreamCommit decodes a Stream Commit message into m.
func DecodeStreamCommit(m *StreamCommit, b []byte) error {
	if err := ofType(b, TypeStreamCommit); err != nil {
		return err
	}
	if !decodeStreamCommit(m, b) {
		return streamCommitLayout.fault(b)
	}
	return nil
}

func decodeStreamCommit(m *StreamCommit, b []byte) bool {
	if len(b) != streamCommitSize {
		return false
	}
	m.Xid = binary.BigEndian.Uint32(b[1:])
	m.Flags = b[5]
	m.CommitLSN = lsn.LSN(binary.BigEndian.Uint64(b[6:]))
	m.EndLSN = lsn.LSN(binary.BigEndian.Uint64(b[14:]))
	m.CommitTime = lsn.Timestamp(binary.BigEndian.Uint64(b[22:]))
	return true
}

func (ms *Messages) decodeStreamCommit(b []byte, _ Options, _ bool) (Message, error) {
	if !decodeStreamCommit(&ms.streamCommit, b) {
		return nil, streamCommitLayout.fault(b)
	}
	return &ms.streamCommit, nil
}

// DecodeStreamAbort decodes a Stream Abort message into m: the parallel
// form (protocol 4, streaming = parallel) when parallel is set, else the
// short form. The bytes do not say which form they are; the session's
// streaming option does.
func DecodeStreamAbort(m *StreamAbort, b []byte, parallel bool) error {
	if err := ofType(b, TypeStreamAbort); err != nil {
		return err
	}
	if !decodeStreamAbort(m, b, parallel) {
		return streamAbortFault(b, parallel)
	}
	return nil
}

func decodeStreamAbort(m *StreamAbort, b []byte, parallel bool) bool {
	if parallel {
		if len(b) != streamAbortParallelSize {
			return false
		}
		m.AbortLSN = lsn.LSN(binary.BigEndian.Uint64(b[9:]))
		m.AbortTime = lsn.Timestamp(binary.BigEndian.Uint64(b[17:]))
	} else {
		if len(b) != streamAbortSize {
			return false
		}
		m.AbortLSN, m.AbortTime = 0, 0
	}
	m.Xid = binary.BigEndian.Uint32(b[1:])
	m.SubXid = binary.BigEndian.Uint32(b[5:])
	m.Parallel = parallel
	return true
}

func streamAbortFault(b []byte, parallel bool) error {
	if parallel {
		return streamAbortParallelLayout.fault(b)
	}
	return streamAbortLayout.fault(b)
}

func (ms *Messages) decodeStreamAbort(b []byte, opts Options, _ bool) (Message, error) {
	parallel := opts.parallelAbort(len(b))
	if !decodeStreamAbort(&ms.streamAbort, b, parallel) {
		return nil, streamAbortFault(b, parallel)
	}
	return &ms.streamAbort, nil
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
