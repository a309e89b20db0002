package codec

import (
	"encoding/binary"

	"github.com/pgwal/pgwal/lsn"
)

// BeginPrepare ('b', protocol 3+, two_phase) starts a transaction that will
// be prepared.
type BeginPrepare struct {
	PrepareLSN  lsn.LSN // start of the PREPARE record
	EndLSN      lsn.LSN // end of the PREPARE record
	PrepareTime lsn.Timestamp
	Xid         uint32
	GID         []byte // global transaction identifier, at most 199 bytes
}

// Prepare ('P', protocol 3+, two_phase) ends a transaction prepared with
// PREPARE TRANSACTION.
type Prepare struct {
	Flags       uint8 // currently always 0
	PrepareLSN  lsn.LSN
	EndLSN      lsn.LSN // the position to confirm
	PrepareTime lsn.Timestamp
	Xid         uint32
	GID         []byte
}

// CommitPrepared ('K', protocol 3+, two_phase) reports COMMIT PREPARED.
type CommitPrepared struct {
	Flags      uint8 // currently always 0
	CommitLSN  lsn.LSN
	EndLSN     lsn.LSN // end of the COMMIT PREPARED record
	CommitTime lsn.Timestamp
	Xid        uint32
	GID        []byte
}

// RollbackPrepared ('r', protocol 3+, two_phase) reports ROLLBACK PREPARED.
// PrepareEndLSN and PrepareTime identify the prepared transaction, which the
// receiver may never have seen.
type RollbackPrepared struct {
	Flags          uint8 // currently always 0
	PrepareEndLSN  lsn.LSN
	RollbackEndLSN lsn.LSN
	PrepareTime    lsn.Timestamp
	RollbackTime   lsn.Timestamp
	Xid            uint32
	GID            []byte
}

// StreamPrepare ('p', protocol 3+, two_phase and streaming) prepares a
// streamed transaction. Its layout is Prepare's.
type StreamPrepare Prepare

func (d *Decoder) decodeBeginPrepare(r *reader) (Message, error) {
	m := &d.beginPrepare
	m.PrepareLSN = lsn.LSN(r.u64("prepare LSN"))
	m.EndLSN = lsn.LSN(r.u64("end LSN"))
	m.PrepareTime = lsn.Timestamp(r.u64("prepare time"))
	m.Xid = r.u32("xid")
	m.GID = r.cstring("GID")
	return m, r.done()
}

func (r *reader) prepare(m *Prepare) {
	m.Flags = r.u8("flags")
	m.PrepareLSN = lsn.LSN(r.u64("prepare LSN"))
	m.EndLSN = lsn.LSN(r.u64("end LSN"))
	m.PrepareTime = lsn.Timestamp(r.u64("prepare time"))
	m.Xid = r.u32("xid")
	m.GID = r.cstring("GID")
}

func (d *Decoder) decodePrepare(r *reader) (Message, error) {
	r.prepare(&d.prepare)
	return &d.prepare, r.done()
}

func (d *Decoder) decodeStreamPrepare(r *reader) (Message, error) {
	r.prepare((*Prepare)(&d.streamPrepare))
	return &d.streamPrepare, r.done()
}

func (d *Decoder) decodeCommitPrepared(r *reader) (Message, error) {
	m := &d.commitPrepared
	m.Flags = r.u8("flags")
	m.CommitLSN = lsn.LSN(r.u64("commit LSN"))
	m.EndLSN = lsn.LSN(r.u64("end LSN"))
	m.CommitTime = lsn.Timestamp(r.u64("commit time"))
	m.Xid = r.u32("xid")
	m.GID = r.cstring("GID")
	return m, r.done()
}

func (d *Decoder) decodeRollbackPrepared(r *reader) (Message, error) {
	m := &d.rollbackPrepared
	m.Flags = r.u8("flags")
	m.PrepareEndLSN = lsn.LSN(r.u64("prepare end LSN"))
	m.RollbackEndLSN = lsn.LSN(r.u64("rollback end LSN"))
	m.PrepareTime = lsn.Timestamp(r.u64("prepare time"))
	m.RollbackTime = lsn.Timestamp(r.u64("rollback time"))
	m.Xid = r.u32("xid")
	m.GID = r.cstring("GID")
	return m, r.done()
}

// AppendBeginPrepare appends the encoding of m to dst. m.GID must not
// contain NUL.
func AppendBeginPrepare(dst []byte, m *BeginPrepare) []byte {
	dst = append(dst, byte(TypeBeginPrepare))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.PrepareLSN))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.EndLSN))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.PrepareTime))
	dst = binary.BigEndian.AppendUint32(dst, m.Xid)
	return appendCString(dst, m.GID)
}

func appendPrepare(dst []byte, t MessageType, m *Prepare) []byte {
	dst = append(dst, byte(t), m.Flags)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.PrepareLSN))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.EndLSN))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.PrepareTime))
	dst = binary.BigEndian.AppendUint32(dst, m.Xid)
	return appendCString(dst, m.GID)
}

// AppendPrepare appends the encoding of m to dst. m.GID must not contain NUL.
func AppendPrepare(dst []byte, m *Prepare) []byte {
	return appendPrepare(dst, TypePrepare, m)
}

// AppendStreamPrepare appends the encoding of m to dst. m.GID must not
// contain NUL.
func AppendStreamPrepare(dst []byte, m *StreamPrepare) []byte {
	return appendPrepare(dst, TypeStreamPrepare, (*Prepare)(m))
}

// AppendCommitPrepared appends the encoding of m to dst. m.GID must not
// contain NUL.
func AppendCommitPrepared(dst []byte, m *CommitPrepared) []byte {
	dst = append(dst, byte(TypeCommitPrepared), m.Flags)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.CommitLSN))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.EndLSN))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.CommitTime))
	dst = binary.BigEndian.AppendUint32(dst, m.Xid)
	return appendCString(dst, m.GID)
}

// AppendRollbackPrepared appends the encoding of m to dst. m.GID must not
// contain NUL.
func AppendRollbackPrepared(dst []byte, m *RollbackPrepared) []byte {
	dst = append(dst, byte(TypeRollbackPrepared), m.Flags)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.PrepareEndLSN))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.RollbackEndLSN))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.PrepareTime))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.RollbackTime))
	dst = binary.BigEndian.AppendUint32(dst, m.Xid)
	return appendCString(dst, m.GID)
}
