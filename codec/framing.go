package codec

import (
	"encoding/binary"

	"github.com/pgwal/pgwal/lsn"
)

// XLogData ('w', server) carries WAL: in a logical session exactly one
// pgoutput message, in a physical one raw WAL bytes. PostgreSQL 19's docs
// call it WALData; the bytes are the same.
type XLogData struct {
	WALStart   lsn.LSN // physical: position of Data's first byte; logical: see below
	WALEnd     lsn.LSN // physical: the server's current end of WAL; logical: = WALStart
	ServerTime lsn.Timestamp
	Data       []byte
}

// In a logical session WALStart is the position of the change or the end of
// the transaction a message belongs to, and 0 for Relation and Type messages
// and a Begin followed by an Origin: track the maximum, never assign.

// PrimaryKeepalive ('k', server) reports the server's WAL end and may ask
// for an immediate Standby Status Update.
type PrimaryKeepalive struct {
	WALEnd         lsn.LSN
	ServerTime     lsn.Timestamp
	ReplyRequested bool
}

// PrimaryStatusUpdate ('s', server, PostgreSQL 19+) answers a
// PrimaryStatusRequest.
type PrimaryStatusUpdate struct {
	WriteLSN          lsn.LSN // latest WAL write position on the server
	OldestXidInCommit uint64  // full transaction id (epoch in the high half); the next xid when none
	NextXid           uint64  // next full transaction id
	ServerTime        lsn.Timestamp
}

// StandbyStatusUpdate ('r', client) reports progress. Flush is the only
// position that moves a slot; it must never exceed what is durably applied.
type StandbyStatusUpdate struct {
	Write          lsn.LSN // last byte + 1 received
	Flush          lsn.LSN // last byte + 1 durably stored
	Apply          lsn.LSN // last byte + 1 applied
	ClientTime     lsn.Timestamp
	ReplyRequested bool // ask the server for a keepalive at once
}

// HotStandbyFeedback ('h', client) tells a physical primary which xmin the
// standby needs. Xmin and CatalogXmin both 0 stop holding rows back.
type HotStandbyFeedback struct {
	ClientTime       lsn.Timestamp
	Xmin             uint32
	XminEpoch        uint32
	CatalogXmin      uint32
	CatalogXminEpoch uint32
}

// PrimaryStatusRequest ('p', client, PostgreSQL 19+) asks for a
// PrimaryStatusUpdate. Older servers end the connection on it.
type PrimaryStatusRequest struct {
	ClientTime lsn.Timestamp
}

func (*XLogData) Tag() byte             { return TagXLogData }
func (*PrimaryKeepalive) Tag() byte     { return TagPrimaryKeepalive }
func (*PrimaryStatusUpdate) Tag() byte  { return TagPrimaryStatusUpdate }
func (*StandbyStatusUpdate) Tag() byte  { return TagStandbyStatusUpdate }
func (*HotStandbyFeedback) Tag() byte   { return TagHotStandbyFeedback }
func (*PrimaryStatusRequest) Tag() byte { return TagPrimaryStatusRequest }

func (m *XLogData) appendTo(dst []byte) []byte             { return AppendXLogData(dst, m) }
func (m *PrimaryKeepalive) appendTo(dst []byte) []byte     { return AppendPrimaryKeepalive(dst, m) }
func (m *PrimaryStatusUpdate) appendTo(dst []byte) []byte  { return AppendPrimaryStatusUpdate(dst, m) }
func (m *StandbyStatusUpdate) appendTo(dst []byte) []byte  { return AppendStandbyStatusUpdate(dst, m) }
func (m *HotStandbyFeedback) appendTo(dst []byte) []byte   { return AppendHotStandbyFeedback(dst, m) }
func (m *PrimaryStatusRequest) appendTo(dst []byte) []byte { return AppendPrimaryStatusRequest(dst, m) }

func (m *XLogData) copyShallow() cloneable             { v := *m; return &v }
func (m *PrimaryKeepalive) copyShallow() cloneable     { v := *m; return &v }
func (m *PrimaryStatusUpdate) copyShallow() cloneable  { v := *m; return &v }
func (m *StandbyStatusUpdate) copyShallow() cloneable  { v := *m; return &v }
func (m *HotStandbyFeedback) copyShallow() cloneable   { v := *m; return &v }
func (m *PrimaryStatusRequest) copyShallow() cloneable { v := *m; return &v }

func (m *XLogData) byteFields(f func(*[]byte))         { f(&m.Data) }
func (*PrimaryKeepalive) byteFields(func(*[]byte))     {}
func (*PrimaryStatusUpdate) byteFields(func(*[]byte))  {}
func (*StandbyStatusUpdate) byteFields(func(*[]byte))  {}
func (*HotStandbyFeedback) byteFields(func(*[]byte))   {}
func (*PrimaryStatusRequest) byteFields(func(*[]byte)) {}

// Encoded sizes, tag byte included.
const (
	XLogDataHeaderSize       = 1 + 8 + 8 + 8
	PrimaryKeepaliveSize     = 1 + 8 + 8 + 1
	PrimaryStatusUpdateSize  = 1 + 8 + 8 + 8 + 8
	StandbyStatusUpdateSize  = 1 + 8 + 8 + 8 + 8 + 1
	HotStandbyFeedbackSize   = 1 + 8 + 4 + 4 + 4 + 4
	PrimaryStatusRequestSize = 1 + 8
)

// DecodeServerCopyData decodes the payload of a CopyData the server sent
// during streaming replication: *XLogData, *PrimaryKeepalive or
// *PrimaryStatusUpdate. The result is valid like Decode's; XLogData.Data
// aliases b. Pass XLogData.Data of a logical session to Decode. Every
// failure is a *DecodeError; an empty payload is one matching ErrEmpty.
func (d *Decoder) DecodeServerCopyData(b []byte) (ReplicationMessage, error) {
	// XLogData carries every message of a session: decode a complete
	// header without the checked reader.
	if len(b) >= XLogDataHeaderSize && b[0] == TagXLogData {
		m := &d.xlogData
		m.WALStart = lsn.LSN(binary.BigEndian.Uint64(b[1:]))
		m.WALEnd = lsn.LSN(binary.BigEndian.Uint64(b[9:]))
		m.ServerTime = lsn.Timestamp(binary.BigEndian.Uint64(b[17:]))
		m.Data = b[XLogDataHeaderSize:len(b):len(b)]
		return m, nil
	}
	if len(b) == 0 {
		return nil, emptyInput(layerServerCopy)
	}
	var r reader
	r.start(b, layerServerCopy)
	switch b[0] {
	case TagXLogData: // a short header: the checked reader names the field
		m := &d.xlogData
		if err := r.xlogData(m); err != nil {
			return nil, err
		}
		return m, nil
	case TagPrimaryKeepalive:
		m := &d.primaryKeepalive
		if err := r.primaryKeepalive(m); err != nil {
			return nil, err
		}
		return m, nil
	case TagPrimaryStatusUpdate:
		m := &d.primaryStatusUpdate
		if err := r.primaryStatusUpdate(m); err != nil {
			return nil, err
		}
		return m, nil
	}
	r.off = 0
	r.fail("tag", ErrUnknownType)
	return nil, r.err
}

// DecodeClientCopyData decodes the payload of a CopyData a client sent
// during streaming replication: *StandbyStatusUpdate, *HotStandbyFeedback
// or *PrimaryStatusRequest. It is what a test playing the server reads.
// Errors are as DecodeServerCopyData's.
func (d *Decoder) DecodeClientCopyData(b []byte) (ReplicationMessage, error) {
	if len(b) == 0 {
		return nil, emptyInput(layerClientCopy)
	}
	var r reader
	r.start(b, layerClientCopy)
	switch b[0] {
	case TagStandbyStatusUpdate:
		m := &d.standbyStatusUpdate
		if err := r.standbyStatusUpdate(m); err != nil {
			return nil, err
		}
		return m, nil
	case TagHotStandbyFeedback:
		m := &d.hotStandbyFeedback
		if err := r.hotStandbyFeedback(m); err != nil {
			return nil, err
		}
		return m, nil
	case TagPrimaryStatusRequest:
		m := &d.primaryStatusRequest
		if err := r.primaryStatusRequest(m); err != nil {
			return nil, err
		}
		return m, nil
	}
	r.off = 0
	r.fail("tag", ErrUnknownType)
	return nil, r.err
}

// DecodeXLogData decodes an XLogData payload ('w' included). m.Data aliases b.
func DecodeXLogData(b []byte) (m XLogData, err error) {
	r, err := tagged(b, layerServerCopy, TagXLogData)
	if err == nil {
		err = r.xlogData(&m)
	}
	return m, err
}

// DecodePrimaryKeepalive decodes a keepalive payload ('k' included).
func DecodePrimaryKeepalive(b []byte) (m PrimaryKeepalive, err error) {
	r, err := tagged(b, layerServerCopy, TagPrimaryKeepalive)
	if err == nil {
		err = r.primaryKeepalive(&m)
	}
	return m, err
}

// DecodePrimaryStatusUpdate decodes a primary status update payload ('s'
// included).
func DecodePrimaryStatusUpdate(b []byte) (m PrimaryStatusUpdate, err error) {
	r, err := tagged(b, layerServerCopy, TagPrimaryStatusUpdate)
	if err == nil {
		err = r.primaryStatusUpdate(&m)
	}
	return m, err
}

// DecodeStandbyStatusUpdate decodes a standby status update payload ('r'
// included).
func DecodeStandbyStatusUpdate(b []byte) (m StandbyStatusUpdate, err error) {
	r, err := tagged(b, layerClientCopy, TagStandbyStatusUpdate)
	if err == nil {
		err = r.standbyStatusUpdate(&m)
	}
	return m, err
}

// DecodeHotStandbyFeedback decodes a hot standby feedback payload ('h'
// included).
func DecodeHotStandbyFeedback(b []byte) (m HotStandbyFeedback, err error) {
	r, err := tagged(b, layerClientCopy, TagHotStandbyFeedback)
	if err == nil {
		err = r.hotStandbyFeedback(&m)
	}
	return m, err
}

// DecodePrimaryStatusRequest decodes a primary status request payload ('p'
// included).
func DecodePrimaryStatusRequest(b []byte) (m PrimaryStatusRequest, err error) {
	r, err := tagged(b, layerClientCopy, TagPrimaryStatusRequest)
	if err == nil {
		err = r.primaryStatusRequest(&m)
	}
	return m, err
}

// tagged starts a reader on b after checking its tag.
func tagged(b []byte, l layer, tag byte) (reader, error) {
	if len(b) == 0 {
		return reader{}, emptyInput(l)
	}
	var r reader
	r.start(b, l)
	if b[0] != tag {
		r.off = 0
		r.fail("tag", ErrUnknownType)
		return r, r.err
	}
	return r, nil
}

func (r *reader) xlogData(m *XLogData) error {
	m.WALStart = lsn.LSN(r.u64("WAL start"))
	m.WALEnd = lsn.LSN(r.u64("WAL end"))
	m.ServerTime = lsn.Timestamp(r.u64("server time"))
	if r.failed() {
		r.settle()
		return r.err
	}
	m.Data = r.b[r.off:len(r.b):len(r.b)]
	return nil
}

func (r *reader) primaryKeepalive(m *PrimaryKeepalive) error {
	m.WALEnd = lsn.LSN(r.u64("WAL end"))
	m.ServerTime = lsn.Timestamp(r.u64("server time"))
	m.ReplyRequested = r.boolean("reply requested")
	return r.done()
}

func (r *reader) primaryStatusUpdate(m *PrimaryStatusUpdate) error {
	m.WriteLSN = lsn.LSN(r.u64("write LSN"))
	m.OldestXidInCommit = r.u64("oldest xid in commit")
	m.NextXid = r.u64("next xid")
	m.ServerTime = lsn.Timestamp(r.u64("server time"))
	return r.done()
}

func (r *reader) standbyStatusUpdate(m *StandbyStatusUpdate) error {
	m.Write = lsn.LSN(r.u64("write LSN"))
	m.Flush = lsn.LSN(r.u64("flush LSN"))
	m.Apply = lsn.LSN(r.u64("apply LSN"))
	m.ClientTime = lsn.Timestamp(r.u64("client time"))
	m.ReplyRequested = r.boolean("reply requested")
	return r.done()
}

func (r *reader) hotStandbyFeedback(m *HotStandbyFeedback) error {
	m.ClientTime = lsn.Timestamp(r.u64("client time"))
	m.Xmin = r.u32("xmin")
	m.XminEpoch = r.u32("xmin epoch")
	m.CatalogXmin = r.u32("catalog xmin")
	m.CatalogXminEpoch = r.u32("catalog xmin epoch")
	return r.done()
}

func (r *reader) primaryStatusRequest(m *PrimaryStatusRequest) error {
	m.ClientTime = lsn.Timestamp(r.u64("client time"))
	return r.done()
}

// AppendXLogData appends an XLogData payload (tag, header, m.Data) to dst.
func AppendXLogData(dst []byte, m *XLogData) []byte {
	dst = AppendXLogDataHeader(dst, m.WALStart, m.WALEnd, m.ServerTime)
	return append(dst, m.Data...)
}

// AppendXLogDataHeader appends the tag and header of an XLogData; the caller
// appends the data, e.g. with AppendMessage, without an intermediate copy.
func AppendXLogDataHeader(dst []byte, walStart, walEnd lsn.LSN, serverTime lsn.Timestamp) []byte {
	dst = append(dst, TagXLogData)
	dst = binary.BigEndian.AppendUint64(dst, uint64(walStart))
	dst = binary.BigEndian.AppendUint64(dst, uint64(walEnd))
	return binary.BigEndian.AppendUint64(dst, uint64(serverTime))
}

// AppendPrimaryKeepalive appends a keepalive payload to dst.
func AppendPrimaryKeepalive(dst []byte, m *PrimaryKeepalive) []byte {
	dst = append(dst, TagPrimaryKeepalive)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.WALEnd))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.ServerTime))
	return appendBool(dst, m.ReplyRequested)
}

// AppendPrimaryStatusUpdate appends a primary status update payload to dst.
func AppendPrimaryStatusUpdate(dst []byte, m *PrimaryStatusUpdate) []byte {
	dst = append(dst, TagPrimaryStatusUpdate)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.WriteLSN))
	dst = binary.BigEndian.AppendUint64(dst, m.OldestXidInCommit)
	dst = binary.BigEndian.AppendUint64(dst, m.NextXid)
	return binary.BigEndian.AppendUint64(dst, uint64(m.ServerTime))
}

// AppendStandbyStatusUpdate appends a standby status update payload to dst.
func AppendStandbyStatusUpdate(dst []byte, m *StandbyStatusUpdate) []byte {
	dst = append(dst, TagStandbyStatusUpdate)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.Write))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.Flush))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.Apply))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.ClientTime))
	return appendBool(dst, m.ReplyRequested)
}

// AppendHotStandbyFeedback appends a hot standby feedback payload to dst.
func AppendHotStandbyFeedback(dst []byte, m *HotStandbyFeedback) []byte {
	dst = append(dst, TagHotStandbyFeedback)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.ClientTime))
	dst = binary.BigEndian.AppendUint32(dst, m.Xmin)
	dst = binary.BigEndian.AppendUint32(dst, m.XminEpoch)
	dst = binary.BigEndian.AppendUint32(dst, m.CatalogXmin)
	return binary.BigEndian.AppendUint32(dst, m.CatalogXminEpoch)
}

// AppendPrimaryStatusRequest appends a primary status request payload to dst.
func AppendPrimaryStatusRequest(dst []byte, m *PrimaryStatusRequest) []byte {
	dst = append(dst, TagPrimaryStatusRequest)
	return binary.BigEndian.AppendUint64(dst, uint64(m.ClientTime))
}

// AppendReplicationMessage appends the encoding of any CopyData
// sub-message to dst.
func AppendReplicationMessage(dst []byte, m ReplicationMessage) []byte {
	return m.appendTo(dst)
}
