package codec

import (
	"encoding/binary"
)

// ColumnKind says how a tuple column's value is sent.
type ColumnKind byte

// Tuple column kinds.
const (
	ColumnNull      ColumnKind = 'n' // NULL; in an old key tuple also a non-key column's placeholder
	ColumnUnchanged ColumnKind = 'u' // unchanged TOASTed value, not sent
	ColumnText      ColumnKind = 't' // text output of the type
	ColumnBinary    ColumnKind = 'b' // binary send format (binary option, PostgreSQL 14+)
)

// Column is one value of a tuple. Data is nil for ColumnNull and
// ColumnUnchanged; for ColumnText and ColumnBinary it holds the value bytes
// (possibly empty).
type Column struct {
	Kind ColumnKind
	Data []byte
}

// Tuple is a row's columns in attribute order, as many as the latest
// Relation message for the table has.
type Tuple []Column

// OldTupleKind says which old row, if any, an Update or Delete carries.
type OldTupleKind byte

// Old tuple kinds.
const (
	OldNone OldTupleKind = 0   // no old tuple (Update only)
	OldKey  OldTupleKind = 'K' // replica identity key columns; other columns are ColumnNull placeholders
	OldFull OldTupleKind = 'O' // the whole old row (REPLICA IDENTITY FULL)
)

const newTupleMarker = 'N'

// Insert ('I', protocol 1+) is a new row.
type Insert struct {
	InStream   bool   // sent inside a stream block; Xid is set
	Xid        uint32 // transaction id prefix (only when InStream)
	RelationID uint32
	New        Tuple
}

// Update ('U', protocol 1+) is a changed row. Old is set when OldKind is
// OldKey (a key column changed or is stored out of line) or OldFull.
type Update struct {
	InStream   bool   // sent inside a stream block; Xid is set
	Xid        uint32 // transaction id prefix (only when InStream)
	RelationID uint32
	OldKind    OldTupleKind
	Old        Tuple // nil when OldKind is OldNone
	New        Tuple // may hold ColumnUnchanged values
}

// Delete ('D', protocol 1+) is a removed row, identified by its key
// (OldKey) or its whole old value (OldFull).
type Delete struct {
	InStream   bool   // sent inside a stream block; Xid is set
	Xid        uint32 // transaction id prefix (only when InStream)
	RelationID uint32
	OldKind    OldTupleKind // OldKey or OldFull
	Old        Tuple
}

// Truncate option bits.
const (
	TruncateCascade         uint8 = 1
	TruncateRestartIdentity uint8 = 2
)

// Truncate ('T', protocol 1, PostgreSQL 11+) empties one or more tables.
type Truncate struct {
	InStream    bool   // sent inside a stream block; Xid is set
	Xid         uint32 // transaction id prefix (only when InStream)
	Options     uint8  // TruncateCascade | TruncateRestartIdentity
	RelationIDs []uint32
}

func (*Insert) MessageType() MessageType   { return TypeInsert }
func (*Update) MessageType() MessageType   { return TypeUpdate }
func (*Delete) MessageType() MessageType   { return TypeDelete }
func (*Truncate) MessageType() MessageType { return TypeTruncate }

func (m *Insert) appendTo(dst []byte) []byte   { return AppendInsert(dst, m) }
func (m *Update) appendTo(dst []byte) []byte   { return AppendUpdate(dst, m) }
func (m *Delete) appendTo(dst []byte) []byte   { return AppendDelete(dst, m) }
func (m *Truncate) appendTo(dst []byte) []byte { return AppendTruncate(dst, m) }

func (m *Insert) copyShallow() cloneable { v := *m; v.New = cloneTuple(m.New); return &v }
func (m *Update) copyShallow() cloneable {
	v := *m
	v.Old, v.New = cloneTuple(m.Old), cloneTuple(m.New)
	return &v
}
func (m *Delete) copyShallow() cloneable { v := *m; v.Old = cloneTuple(m.Old); return &v }
func (m *Truncate) copyShallow() cloneable {
	v := *m
	v.RelationIDs = append([]uint32(nil), m.RelationIDs...)
	return &v
}

func (m *Insert) byteFields(f func(*[]byte)) { tupleFields(m.New, f) }
func (m *Update) byteFields(f func(*[]byte)) {
	tupleFields(m.Old, f)
	tupleFields(m.New, f)
}
func (m *Delete) byteFields(f func(*[]byte)) { tupleFields(m.Old, f) }
func (*Truncate) byteFields(func(*[]byte))   {}

// DecodeInsert decodes an Insert message into m, with the xid prefix when
// inStream. m.New reuses its own capacity, so decoding into the same Insert
// again allocates nothing once it has held the widest row; column values
// alias b.
func DecodeInsert(m *Insert, b []byte, inStream bool) error {
	if err := ofType(b, TypeInsert); err != nil {
		return err
	}
	buf := []Column(m.New)
	return decodeInsert(m, b, inStream, &buf)
}

// DecodeUpdate decodes an Update message into m, with the xid prefix when
// inStream. m.Old and m.New reuse their own capacity, but an Update without
// an old tuple leaves m.Old nil, so the next old tuple allocates again; a
// Messages keeps that buffer. Column values alias b.
func DecodeUpdate(m *Update, b []byte, inStream bool) error {
	if err := ofType(b, TypeUpdate); err != nil {
		return err
	}
	old, new := []Column(m.Old), []Column(m.New)
	return decodeUpdate(m, b, inStream, &old, &new)
}

// DecodeDelete decodes a Delete message into m, with the xid prefix when
// inStream. m.Old reuses its own capacity; column values alias b.
func DecodeDelete(m *Delete, b []byte, inStream bool) error {
	if err := ofType(b, TypeDelete); err != nil {
		return err
	}
	buf := []Column(m.Old)
	return decodeDelete(m, b, inStream, &buf)
}

// DecodeTruncate decodes a Truncate message into m, with the xid prefix
// when inStream. m.RelationIDs reuses its own capacity.
func DecodeTruncate(m *Truncate, b []byte, inStream bool) error {
	if err := ofType(b, TypeTruncate); err != nil {
		return err
	}
	buf := m.RelationIDs
	return decodeTruncate(m, b, inStream, &buf)
}

func (ms *Messages) decodeInsert(b []byte, _ Options, inStream bool) (Message, error) {
	return result(&ms.insert, decodeInsert(&ms.insert, b, inStream, &ms.newColumns))
}

func (ms *Messages) decodeUpdate(b []byte, _ Options, inStream bool) (Message, error) {
	return result(&ms.update, decodeUpdate(&ms.update, b, inStream, &ms.oldColumns, &ms.newColumns))
}

func (ms *Messages) decodeDelete(b []byte, _ Options, inStream bool) (Message, error) {
	return result(&ms.delete, decodeDelete(&ms.delete, b, inStream, &ms.oldColumns))
}

func (ms *Messages) decodeTruncate(b []byte, _ Options, inStream bool) (Message, error) {
	return result(&ms.truncate, decodeTruncate(&ms.truncate, b, inStream, &ms.relationIDs))
}

// Row changes are most of a stream. Their fast paths read the message
// directly and give up at the first doubt; the checked decoders then read
// it again, field by field, to say exactly what is wrong. Tuples go into
// the column buffers passed in, grown only after their column count has
// been checked against the input.

func decodeInsert(m *Insert, b []byte, inStream bool, newBuf *[]Column) error {
	xid, off, ok := fastXid(b, inStream)
	if ok && len(b)-off >= 5 && b[off+4] == newTupleMarker {
		if t, end, ok := fastTuple(b, off+5, newBuf); ok && end == len(b) {
			m.InStream, m.Xid = inStream, xid
			m.RelationID = binary.BigEndian.Uint32(b[off:])
			m.New = t
			return nil
		}
	}
	return decodeInsertChecked(m, b, inStream, newBuf)
}

func decodeInsertChecked(m *Insert, b []byte, inStream bool, newBuf *[]Column) error {
	var r reader
	r.start(b, layerPgoutput)
	m.InStream, m.Xid = r.streamXid(inStream)
	m.RelationID = r.u32("relation OID")
	if r.u8("tuple marker") != newTupleMarker {
		r.invalidMarker("tuple marker")
	}
	m.New = r.tuple(newBuf, "new tuple")
	return r.done()
}

func decodeUpdate(m *Update, b []byte, inStream bool, oldBuf, newBuf *[]Column) error {
	xid, off, ok := fastXid(b, inStream)
	if ok && len(b)-off >= 5 {
		rel := binary.BigEndian.Uint32(b[off:])
		kind, p := OldNone, off+4
		var old Tuple
		if b[p] == byte(OldKey) || b[p] == byte(OldFull) {
			kind = OldTupleKind(b[p])
			old, p, ok = fastTuple(b, p+1, oldBuf)
		}
		if ok && p < len(b) && b[p] == newTupleMarker {
			if t, end, ok := fastTuple(b, p+1, newBuf); ok && end == len(b) {
				m.InStream, m.Xid, m.RelationID = inStream, xid, rel
				m.OldKind, m.Old, m.New = kind, old, t
				return nil
			}
		}
	}
	return decodeUpdateChecked(m, b, inStream, oldBuf, newBuf)
}

func decodeUpdateChecked(m *Update, b []byte, inStream bool, oldBuf, newBuf *[]Column) error {
	var r reader
	r.start(b, layerPgoutput)
	m.InStream, m.Xid = r.streamXid(inStream)
	m.RelationID = r.u32("relation OID")
	m.OldKind, m.Old = OldNone, nil
	marker := r.u8("tuple marker")
	if marker == byte(OldKey) || marker == byte(OldFull) {
		m.OldKind = OldTupleKind(marker)
		m.Old = r.tuple(oldBuf, "old tuple")
		marker = r.u8("new tuple marker")
	}
	if marker != newTupleMarker {
		r.invalidMarker("new tuple marker")
	}
	m.New = r.tuple(newBuf, "new tuple")
	return r.done()
}

func decodeDelete(m *Delete, b []byte, inStream bool, oldBuf *[]Column) error {
	xid, off, ok := fastXid(b, inStream)
	if ok && len(b)-off >= 5 && (b[off+4] == byte(OldKey) || b[off+4] == byte(OldFull)) {
		if t, end, ok := fastTuple(b, off+5, oldBuf); ok && end == len(b) {
			m.InStream, m.Xid = inStream, xid
			m.RelationID = binary.BigEndian.Uint32(b[off:])
			m.OldKind, m.Old = OldTupleKind(b[off+4]), t
			return nil
		}
	}
	return decodeDeleteChecked(m, b, inStream, oldBuf)
}

func decodeDeleteChecked(m *Delete, b []byte, inStream bool, oldBuf *[]Column) error {
	var r reader
	r.start(b, layerPgoutput)
	m.InStream, m.Xid = r.streamXid(inStream)
	m.RelationID = r.u32("relation OID")
	marker := r.u8("tuple marker")
	if marker != byte(OldKey) && marker != byte(OldFull) {
		r.invalidMarker("tuple marker")
	}
	m.OldKind = OldTupleKind(marker)
	m.Old = r.tuple(oldBuf, "old tuple")
	return r.done()
}

// fastXid reads the in-stream xid prefix, if there is one, and returns the
// offset after it.
func fastXid(b []byte, inStream bool) (xid uint32, off int, ok bool) {
	if !inStream {
		return 0, 1, true
	}
	if len(b) < 5 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(b[1:]), 5, true
}

// fastTuple reads a TupleData at off into *buf; ok is false on any fault.
func fastTuple(b []byte, off int, buf *[]Column) (t Tuple, end int, ok bool) {
	if len(b)-off < 2 {
		return nil, 0, false
	}
	n := int(binary.BigEndian.Uint16(b[off:]))
	off += 2
	if n > len(b)-off { // each column takes at least its kind byte
		return nil, 0, false
	}
	if cap(*buf) < n {
		*buf = make([]Column, n)
	}
	cols := (*buf)[:n]
	end, _, fault := walkColumns(b, off, cols)
	if fault != columnsOK {
		return nil, 0, false
	}
	return cols, end, true
}

func decodeTruncate(m *Truncate, b []byte, inStream bool, buf *[]uint32) error {
	var r reader
	r.start(b, layerPgoutput)
	m.InStream, m.Xid = r.streamXid(inStream)
	at := r.off
	n := r.u32("relation count")
	m.Options = r.u8("options")
	m.RelationIDs = nil
	if !r.count("relation count", at, n, 4) {
		return r.done()
	}
	// n now fits in the input, so in an int too.
	if cap(*buf) < int(n) {
		*buf = make([]uint32, n)
	}
	ids := (*buf)[:n]
	for i := range ids {
		ids[i] = r.u32("relation OID")
	}
	m.RelationIDs = ids
	return r.done()
}

// invalidMarker reports the byte just read as an invalid marker.
func (r *reader) invalidMarker(field string) {
	if !r.failed() {
		r.off--
		r.fail(field, ErrInvalidValue)
	}
}

// tuple reads a TupleData into *buf (grown when needed) and returns it. The
// column count is checked against the remaining bytes (every column takes at
// least its kind byte) before *buf can grow, so the memory it takes is
// bounded by the input's length.
func (r *reader) tuple(buf *[]Column, group string) Tuple {
	if r.failed() {
		return nil
	}
	b, off := r.b, r.off
	if len(b)-off < 2 {
		r.failIndexed(group, "column count", -1, "", ErrTruncated)
		return nil
	}
	n := int(binary.BigEndian.Uint16(b[off:]))
	if n > len(b)-off-2 {
		r.failIndexed(group, "column count", -1, "", ErrCountTooLarge)
		return nil
	}
	if cap(*buf) < n {
		*buf = make([]Column, n)
	}
	cols := (*buf)[:n]
	end, i, fault := walkColumns(b, off+2, cols)
	if fault != columnsOK {
		r.off = end
		switch fault {
		case columnKindMissing:
			r.failIndexed(group, "column", i, "kind", ErrTruncated)
		case columnKindUnknown:
			r.failIndexed(group, "column", i, "kind", ErrColumnKind)
		case columnLengthNegative:
			r.failIndexed(group, "column", i, "length", ErrNegativeLength)
		default:
			r.failIndexed(group, "column", i, "length", ErrTruncated)
		}
		return nil
	}
	r.off = end
	return cols
}

// Why walkColumns stopped.
const (
	columnsOK = iota
	columnKindMissing
	columnKindUnknown
	columnLengthShort // the length field or the value runs past the input
	columnLengthNegative
)

// walkColumns fills cols from b starting at off: the hot loop of decoding.
// It makes no calls, so nothing spills; on a fault it returns the offset of
// the bad field, the column index and the fault, for the caller to report.
func walkColumns(b []byte, off int, cols []Column) (end, index, fault int) {
	for i := range cols {
		if off >= len(b) {
			return off, i, columnKindMissing
		}
		k := b[off]
		c := &cols[i]
		if k == 't' || k == 'b' {
			if len(b)-off < 5 { // not off+5 > len(b): that can overflow
				return off + 1, i, columnLengthShort
			}
			start := off + 5
			l := int(int32(binary.BigEndian.Uint32(b[off+1 : start])))
			// One unsigned comparison rejects negative and overlong lengths.
			if uint(l) > uint(len(b)-start) {
				if l < 0 {
					return off + 1, i, columnLengthNegative
				}
				return off + 1, i, columnLengthShort
			}
			off = start + l
			c.Kind = ColumnKind(k)
			c.Data = b[start:off:off]
			continue
		}
		if k != 'n' && k != 'u' {
			return off, i, columnKindUnknown
		}
		c.Kind = ColumnKind(k)
		c.Data = nil
		off++
	}
	return off, 0, columnsOK
}

// AppendTuple appends a TupleData to dst. A column of kind ColumnNull or
// ColumnUnchanged is written as its kind byte alone; any other kind as the
// kind byte, an Int32 length and Data. At most 65535 columns.
func AppendTuple(dst []byte, t Tuple) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(t)))
	for i := range t {
		c := &t[i]
		dst = append(dst, byte(c.Kind))
		if c.Kind == ColumnNull || c.Kind == ColumnUnchanged {
			continue
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(c.Data)))
		dst = append(dst, c.Data...)
	}
	return dst
}

// AppendInsert appends the encoding of m to dst, with the xid prefix when
// m.InStream.
func AppendInsert(dst []byte, m *Insert) []byte {
	dst = append(dst, byte(TypeInsert))
	dst = appendStreamXid(dst, m.InStream, m.Xid)
	dst = binary.BigEndian.AppendUint32(dst, m.RelationID)
	dst = append(dst, newTupleMarker)
	return AppendTuple(dst, m.New)
}

// AppendUpdate appends the encoding of m to dst, with the xid prefix when
// m.InStream. The old tuple is written when m.OldKind is not OldNone.
func AppendUpdate(dst []byte, m *Update) []byte {
	dst = append(dst, byte(TypeUpdate))
	dst = appendStreamXid(dst, m.InStream, m.Xid)
	dst = binary.BigEndian.AppendUint32(dst, m.RelationID)
	if m.OldKind != OldNone {
		dst = append(dst, byte(m.OldKind))
		dst = AppendTuple(dst, m.Old)
	}
	dst = append(dst, newTupleMarker)
	return AppendTuple(dst, m.New)
}

// AppendDelete appends the encoding of m to dst, with the xid prefix when
// m.InStream. m.OldKind should be OldKey or OldFull.
func AppendDelete(dst []byte, m *Delete) []byte {
	dst = append(dst, byte(TypeDelete))
	dst = appendStreamXid(dst, m.InStream, m.Xid)
	dst = binary.BigEndian.AppendUint32(dst, m.RelationID)
	dst = append(dst, byte(m.OldKind))
	return AppendTuple(dst, m.Old)
}

// AppendTruncate appends the encoding of m to dst, with the xid prefix when
// m.InStream.
func AppendTruncate(dst []byte, m *Truncate) []byte {
	dst = append(dst, byte(TypeTruncate))
	dst = appendStreamXid(dst, m.InStream, m.Xid)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(m.RelationIDs)))
	dst = append(dst, m.Options)
	for _, id := range m.RelationIDs {
		dst = binary.BigEndian.AppendUint32(dst, id)
	}
	return dst
}
