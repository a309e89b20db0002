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

func (d *Decoder) decodeBegin(b []byte) (Message, error) {
	if len(b) != beginSize {
		return nil, beginLayout.fault(b)
	}
	m := &d.begin
	m.FinalLSN = lsn.LSN(binary.BigEndian.Uint64(b[1:]))
	m.CommitTime = lsn.Timestamp(binary.BigEndian.Uint64(b[9:]))
	m.Xid = binary.BigEndian.Uint32(b[17:])
	return m, nil
}

func (d *Decoder) decodeCommit(b []byte) (Message, error) {
	if len(b) != commitSize {
		return nil, commitLayout.fault(b)
	}
	m := &d.commit
	m.Flags = b[1]
	m.CommitLSN = lsn.LSN(binary.BigEndian.Uint64(b[2:]))
	m.EndLSN = lsn.LSN(binary.BigEndian.Uint64(b[10:]))
	m.CommitTime = lsn.Timestamp(binary.BigEndian.Uint64(b[18:]))
	return m, nil
}

func (d *Decoder) decodeOrigin(r *reader) (Message, error) {
	m := &d.origin
	m.CommitLSN = lsn.LSN(r.u64("commit LSN"))
	m.Name = r.cstring("name")
	return m, r.done()
}

func (d *Decoder) decodeLogicalMessage(r *reader) (Message, error) {
	m := &d.logicalMessage
	m.InStream, m.Xid = d.streamXid(r)
	m.Flags = r.u8("flags")
	m.LSN = lsn.LSN(r.u64("LSN"))
	m.Prefix = r.cstring("prefix")
	m.Content = r.lengthPrefixed("content length")
	return m, r.done()
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
