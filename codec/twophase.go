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

func (*BeginPrepare) MessageType() MessageType     { return TypeBeginPrepare }
func (*Prepare) MessageType() MessageType          { return TypePrepare }
func (*CommitPrepared) MessageType() MessageType   { return TypeCommitPrepared }
func (*RollbackPrepared) MessageType() MessageType { return TypeRollbackPrepared }
func (*StreamPrepare) MessageType() MessageType    { return TypeStreamPrepare }

func (m *BeginPrepare) appendTo(dst []byte) []byte     { return AppendBeginPrepare(dst, m) }
func (m *Prepare) appendTo(dst []byte) []byte          { return AppendPrepare(dst, m) }
func (m *CommitPrepared) appendTo(dst []byte) []byte   { return AppendCommitPrepared(dst, m) }
func (m *RollbackPrepared) appendTo(dst []byte) []byte { return AppendRollbackPrepared(dst, m) }
func (m *StreamPrepare) appendTo(dst []byte) []byte    { return AppendStreamPrepare(dst, m) }

func (m *BeginPrepare) copyShallow() cloneable     { v := *m; return &v }
func (m *Prepare) copyShallow() cloneable          { v := *m; return &v }
func (m *CommitPrepared) copyShallow() cloneable   { v := *m; return &v }
func (m *RollbackPrepared) copyShallow() cloneable { v := *m; return &v }
func (m *StreamPrepare) copyShallow() cloneable    { v := *m; return &v }

func (m *BeginPrepare) byteFields(f func(*[]byte))     { f(&m.GID) }
func (m *Prepare) byteFields(f func(*[]byte))          { f(&m.GID) }
func (m *CommitPrepared) byteFields(f func(*[]byte))   { f(&m.GID) }
func (m *RollbackPrepared) byteFields(f func(*[]byte)) { f(&m.GID) }
func (m *StreamPrepare) byteFields(f func(*[]byte))    { f(&m.GID) }

// DecodeBeginPrepare decodes a Begin Prepare message into m; m.GID aliases
// b.
func DecodeBeginPrepare(m *BeginPrepare, b []byte) error {
	if err := ofType(b, TypeBeginPrepare); err != nil {
		return err
	}
	return decodeBeginPrepare(m, b)
}

func decodeBeginPrepare(m *BeginPrepare, b []byte) error {
	var r reader
	r.start(b, layerPgoutput)
	m.PrepareLSN = lsn.LSN(r.u64("prepare LSN"))
	m.EndLSN = lsn.LSN(r.u64("end LSN"))
	m.PrepareTime = lsn.Timestamp(r.u64("prepare time"))
	m.Xid = r.u32("xid")
	m.GID = r.cstring("GID")
	return r.done()
}

func (ms *Messages) decodeBeginPrepare(b []byte, _ Options, _ bool) (Message, error) {
	return result(&ms.beginPrepare, decodeBeginPrepare(&ms.beginPrepare, b))
}

// DecodePrepare decodes a Prepare message into m; m.GID aliases b.
func DecodePrepare(m *Prepare, b []byte) error {
	if err := ofType(b, TypePrepare); err != nil {
		return err
	}
	return decodePrepare(m, b)
}

// DecodeStreamPrepare decodes a Stream Prepare message into m; m.GID
// aliases b.
func DecodeStreamPrepare(m *StreamPrepare, b []byte) error {
	if err := ofType(b, TypeStreamPrepare); err != nil {
		return err
	}
	return decodePrepare((*Prepare)(m), b)
}

// decodePrepare decodes Prepare and Stream Prepare, which share a layout.
func decodePrepare(m *Prepare, b []byte) error {
	var r reader
	r.start(b, layerPgoutput)
	m.Flags = r.u8("flags")
	m.PrepareLSN = lsn.LSN(r.u64("prepare LSN"))
	m.EndLSN = lsn.LSN(r.u64("end LSN"))
	m.PrepareTime = lsn.Timestamp(r.u64("prepare time"))
	m.Xid = r.u32("xid")
	m.GID = r.cstring("GID")
	return r.done()
}

func (ms *Messages) decodePrepare(b []byte, _ Options, _ bool) (Message, error) {
	return result(&ms.prepare, decodePrepare(&ms.prepare, b))
}

func (ms *Messages) decodeStreamPrepare(b []byte, _ Options, _ bool) (Message, error) {
	return result(&ms.streamPrepare, decodePrepare((*Prepare)(&ms.streamPrepare), b))
}

// DecodeCommitPrepared decodes a Commit Prepared message into m; m.GID
// aliases b.
func DecodeCommitPrepared(m *CommitPrepared, b []byte) error {
	if err := ofType(b, TypeCommitPrepared); err != nil {
		return err
	}
	return decodeCommitPrepared(m, b)
}

func decodeCommitPrepared(m *CommitPrepared, b []byte) error {
	var r reader
	r.start(b, layerPgoutput)
	m.Flags = r.u8("flags")
	m.CommitLSN = lsn.LSN(r.u64("commit LSN"))
	m.EndLSN = lsn.LSN(r.u64("end LSN"))
	m.CommitTime = lsn.Timestamp(r.u64("commit time"))
	m.Xid = r.u32("xid")
	m.GID = r.cstring("GID")
	return r.done()
}

func (ms *Messages) decodeCommitPrepared(b []byte, _ Options, _ bool) (Message, error) {
	return result(&ms.commitPrepared, decodeCommitPrepared(&ms.commitPrepared, b))
}

// DecodeRollbackPrepared decodes a Rollback Prepared message into m; m.GID
// aliases b.
func DecodeRollbackPrepared(m *RollbackPrepared, b []byte) error {
	if err := ofType(b, TypeRollbackPrepared); err != nil {
		return err
	}
	return decodeRollbackPrepared(m, b)
}

func decodeRollbackPrepared(m *RollbackPrepared, b []byte) error {
	var r reader
	r.start(b, layerPgoutput)
	m.Flags = r.u8("flags")
	m.PrepareEndLSN = lsn.LSN(r.u64("prepare end LSN"))
	m.RollbackEndLSN = lsn.LSN(r.u64("rollback end LSN"))
	m.PrepareTime = lsn.Timestamp(r.u64("prepare time"))
	m.RollbackTime = lsn.Timestamp(r.u64("rollback time"))
	m.Xid = r.u32("xid")
	m.GID = r.cstring("GID")
	return r.done()
}

func (ms *Messages) decodeRollbackPrepared(b []byte, _ Options, _ bool) (Message, error) {
	return result(&ms.rollbackPrepared, decodeRollbackPrepared(&ms.rollbackPrepared, b))
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
