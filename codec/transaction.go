package codec

import (
	"encoding/binary"

	"github.com/pgwal/pgwal/lsn"
)

// Begin ('B', protocol 1+) starts a transaction.
type Begin struct {
	FinalLSN   lsn.LSN       // start of the transaction's commit record (= Commit.CommitLSN)
	CommitTime lsn.Timestamp // commit timestamp
	Xid        uint32        // top-level transaction id
}

// Commit ('C', protocol 1+) ends a transaction.
type Commit struct {
	Flags      uint8         // currently always 0
	CommitLSN  lsn.LSN       // start of the commit record
	EndLSN     lsn.LSN       // end of the commit record: the position to confirm once applied
	CommitTime lsn.Timestamp // commit timestamp
}

// Origin ('O', protocol 1+) names the replication origin a transaction came
// from. It follows Begin, Begin Prepare or the first Stream Start.
type Origin struct {
	CommitLSN lsn.LSN // commit LSN on the origin server (0 after a Stream Start)
	Name      []byte  // origin name
}

// LogicalMessage ('M', protocol 1+ with the messages option, PostgreSQL
// 14+) carries what pg_logical_emit_message wrote.
type LogicalMessage struct {
	InStream bool   // sent inside a Stream Start … Stream Stop block; Xid is set
	Xid      uint32 // transaction id prefix (only when InStream)
	Flags    uint8  // bit 0: transactional
	LSN      lsn.LSN
	Prefix   []byte
	Content  []byte // raw bytes, no encoding conversion
}

// Transactional reports whether the message was emitted transactionally.
func (m *LogicalMessage) Transactional() bool { return m.Flags&1 != 0 }

func (*Begin) MessageType() MessageType          { return TypeBegin }
func (*Commit) MessageType() MessageType         { return TypeCommit }
func (*Origin) MessageType() MessageType         { return TypeOrigin }
func (*LogicalMessage) MessageType() MessageType { return TypeLogicalMessage }

func (m *Begin) appendTo(dst []byte) []byte          { return AppendBegin(dst, m) }
func (m *Commit) appendTo(dst []byte) []byte         { return AppendCommit(dst, m) }
func (m *Origin) appendTo(dst []byte) []byte         { return AppendOrigin(dst, m) }
func (m *LogicalMessage) appendTo(dst []byte) []byte { return AppendLogicalMessage(dst, m) }

func (m *Begin) copyShallow() cloneable          { v := *m; return &v }
func (m *Commit) copyShallow() cloneable         { v := *m; return &v }
func (m *Origin) copyShallow() cloneable         { v := *m; return &v }
func (m *LogicalMessage) copyShallow() cloneable { v := *m; return &v }

func (*Begin) byteFields(func(*[]byte))      {}
func (*Commit) byteFields(func(*[]byte))     {}
func (m *Origin) byteFields(f func(*[]byte)) { f(&m.Name) }
func (m *LogicalMessage) byteFields(f func(*[]byte)) {
	f(&m.Prefix)
	f(&m.Content)
}

// DecodeBegin decodes a Begin message (type byte included) into m. Like
// every decoder of one message type it keeps no state and checks nothing
// but the bytes; errors are *DecodeErrors, a payload of another type an
// ErrUnknownType one.
func DecodeBegin(m *Begin, b []byte) error {
	if err := ofType(b, TypeBegin); err != nil {
		return err
	}
	if !decodeBegin(m, b) {
		return beginLayout.fault(b)
	}
	return nil
}

// Fixed-size messages decode in functions small enough to inline that only
// say whether b fits; their callers ask the layout what is wrong.

func decodeBegin(m *Begin, b []byte) bool {
	if len(b) != beginSize {
		return false
	}
	m.FinalLSN = lsn.LSN(binary.BigEndian.Uint64(b[1:]))
	m.CommitTime = lsn.Timestamp(binary.BigEndian.Uint64(b[9:]))
	m.Xid = binary.BigEndian.Uint32(b[17:])
	return true
}

func (ms *Messages) decodeBegin(b []byte, _ Options, _ bool) (Message, error) {
	if !decodeBegin(&ms.begin, b) {
		return nil, beginLayout.fault(b)
	}
	return &ms.begin, nil
}

// DecodeCommit decodes a Commit message into m.
func DecodeCommit(m *Commit, b []byte) error {
	if err := ofType(b, TypeCommit); err != nil {
		return err
	}
	if !decodeCommit(m, b) {
		return commitLayout.fault(b)
	}
	return nil
}

func decodeCommit(m *Commit, b []byte) bool {
	if len(b) != commitSize {
		return false
	}
	m.Flags = b[1]
	m.CommitLSN = lsn.LSN(binary.BigEndian.Uint64(b[2:]))
	m.EndLSN = lsn.LSN(binary.BigEndian.Uint64(b[10:]))
	m.CommitTime = lsn.Timestamp(binary.BigEndian.Uint64(b[18:]))
	return true
}

func (ms *Messages) decodeCommit(b []byte, _ Options, _ bool) (Message, error) {
	if !decodeCommit(&ms.commit, b) {
		return nil, commitLayout.fault(b)
	}
	return &ms.commit, nil
}

// DecodeOrigin decodes an Origin message into m; m.Name aliases b.
func DecodeOrigin(m *Origin, b []byte) error {
	if err := ofType(b, TypeOrigin); err != nil {
		return err
	}
	return decodeOrigin(m, b)
}

func decodeOrigin(m *Origin, b []byte) error {
	var r reader
	r.start(b, layerPgoutput)
	m.CommitLSN = lsn.LSN(r.u64("commit LSN"))
	m.Name = r.cstring("name")
	return r.done()
}

func (ms *Messages) decodeOrigin(b []byte, _ Options, _ bool) (Message, error) {
	return result(&ms.origin, decodeOrigin(&ms.origin, b))
}

// DecodeLogicalMessage decodes a logical decoding message into m, with the
// xid prefix when inStream; Prefix and Content alias b.
func DecodeLogicalMessage(m *LogicalMessage, b []byte, inStream bool) error {
	if err := ofType(b, TypeLogicalMessage); err != nil {
		return err
	}
	return decodeLogicalMessage(m, b, inStream)
}

func decodeLogicalMessage(m *LogicalMessage, b []byte, inStream bool) error {
	var r reader
	r.start(b, layerPgoutput)
	m.InStream, m.Xid = r.streamXid(inStream)
	m.Flags = r.u8("flags")
	m.LSN = lsn.LSN(r.u64("LSN"))
	m.Prefix = r.cstring("prefix")
	m.Content = r.lengthPrefixed("content length")
	return r.done()
}

func (ms *Messages) decodeLogicalMessage(b []byte, _ Options, inStream bool) (Message, error) {
	return result(&ms.logicalMessage, decodeLogicalMessage(&ms.logicalMessage, b, inStream))
}

// AppendBegin appends the encoding of m to dst.
func AppendBegin(dst []byte, m *Begin) []byte {
	dst = append(dst, byte(TypeBegin))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.FinalLSN))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.CommitTime))
	return binary.BigEndian.AppendUint32(dst, m.Xid)
}

// AppendCommit appends the encoding of m to dst.
func AppendCommit(dst []byte, m *Commit) []byte {
	dst = append(dst, byte(TypeCommit), m.Flags)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.CommitLSN))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.EndLSN))
	return binary.BigEndian.AppendUint64(dst, uint64(m.CommitTime))
}

// AppendOrigin appends the encoding of m to dst. m.Name must not contain NUL.
func AppendOrigin(dst []byte, m *Origin) []byte {
	dst = append(dst, byte(TypeOrigin))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.CommitLSN))
	return appendCString(dst, m.Name)
}

// AppendLogicalMessage appends the encoding of m to dst, with the xid prefix
// when m.InStream. m.Prefix must not contain NUL.
func AppendLogicalMessage(dst []byte, m *LogicalMessage) []byte {
	dst = append(dst, byte(TypeLogicalMessage))
	dst = appendStreamXid(dst, m.InStream, m.Xid)
	dst = append(dst, m.Flags)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.LSN))
	dst = appendCString(dst, m.Prefix)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(m.Content)))
	return append(dst, m.Content...)
}

func appendCString(dst, s []byte) []byte {
	dst = append(dst, s...)
	return append(dst, 0)
}

func appendStreamXid(dst []byte, inStream bool, xid uint32) []byte {
	if inStream {
		dst = binary.BigEndian.AppendUint32(dst, xid)
	}
	return dst
}
