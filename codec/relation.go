package codec

import (
	"encoding/binary"
	"strconv"
)

// Replica identity settings (pg_class.relreplident) as sent in Relation.
const (
	ReplicaIdentityDefault byte = 'd' // primary key, if any
	ReplicaIdentityNothing byte = 'n'
	ReplicaIdentityFull    byte = 'f' // the whole old row
	ReplicaIdentityIndex   byte = 'i' // a chosen unique index
)

// Relation ('R', protocol 1+) describes a published table: its columns in
// attribute order, the ones a row change will carry.
type Relation struct {
	InStream        bool   // sent inside a stream block; Xid is set
	Xid             uint32 // transaction id prefix (only when InStream)
	RelationID      uint32 // table OID
	Namespace       []byte // schema name; empty means pg_catalog
	Name            []byte // table name
	ReplicaIdentity byte   // one of the ReplicaIdentity constants
	Columns         []RelationColumn
}

// RelationColumn is one column of a Relation.
type RelationColumn struct {
	Flags   uint8  // bit 0: part of the replica identity key
	Name    []byte // column name
	TypeOID uint32 // data type OID
	TypeMod int32  // atttypmod, -1 when none
}

// Key reports whether the column is part of the replica identity.
func (c *RelationColumn) Key() bool { return c.Flags&1 != 0 }

// Type ('Y', protocol 1+) names a data type that is not built in, before a
// Relation that uses it. For a domain, TypeOID is the domain's but Namespace
// and Name are those of its base type.
type Type struct {
	InStream  bool   // sent inside a stream block; Xid is set
	Xid       uint32 // transaction id prefix (only when InStream)
	TypeOID   uint32
	Namespace []byte // empty means pg_catalog
	Name      []byte
}

// relationColumnMinSize is the fewest bytes one column can take on the wire:
// flags, an empty name's NUL, type OID and type modifier.
const relationColumnMinSize = 1 + 1 + 4 + 4

func (*Relation) MessageType() MessageType { return TypeRelation }
func (*Type) MessageType() MessageType     { return TypeType }

func (m *Relation) appendTo(dst []byte) []byte { return AppendRelation(dst, m) }
func (m *Type) appendTo(dst []byte) []byte     { return AppendType(dst, m) }

func (m *Relation) copyShallow() cloneable {
	v := *m
	v.Columns = append([]RelationColumn(nil), m.Columns...)
	return &v
}
func (m *Type) copyShallow() cloneable { v := *m; return &v }

func (m *Relation) byteFields(f func(*[]byte)) {
	f(&m.Namespace)
	f(&m.Name)
	for i := range m.Columns {
		f(&m.Columns[i].Name)
	}
}
func (m *Type) byteFields(f func(*[]byte)) {
	f(&m.Namespace)
	f(&m.Name)
}

// DecodeRelation decodes a Relation message into m, with the xid prefix
// when inStream. m.Columns reuses its own capacity; names alias b.
func DecodeRelation(m *Relation, b []byte, inStream bool) error {
	if err := ofType(b, TypeRelation); err != nil {
		return err
	}
	buf := m.Columns
	return decodeRelation(m, b, inStream, &buf)
}

// decodeRelation decodes into m, with the columns in *buf (grown when the
// count, checked against the input first, needs it).
func decodeRelation(m *Relation, b []byte, inStream bool, buf *[]RelationColumn) error {
	var r reader
	r.start(b, layerPgoutput)
	m.InStream, m.Xid = r.streamXid(inStream)
	m.RelationID = r.u32("relation OID")
	m.Namespace = r.cstring("namespace")
	m.Name = r.cstring("name")
	m.ReplicaIdentity = r.u8("replica identity")
	at := r.off
	n16 := r.u16("column count")
	m.Columns = nil
	if !r.count("column count", at, uint32(n16), relationColumnMinSize) {
		return r.done()
	}
	n := int(n16)
	if cap(*buf) < n {
		*buf = make([]RelationColumn, n)
	}
	cols := (*buf)[:n]
	end, i, field, err := walkRelationColumns(r.b, r.off, cols)
	r.off = end
	if err != nil {
		// Say which column: the slow path may allocate.
		r.fail("column "+strconv.Itoa(i)+" "+field, err)
		return r.done()
	}
	m.Columns = cols
	return r.done()
}

func (ms *Messages) decodeRelation(b []byte, _ Options, inStream bool) (Message, error) {
	return result(&ms.relation, decodeRelation(&ms.relation, b, inStream, &ms.relationColumns))
}

// walkRelationColumns fills cols from b starting at off. Like walkColumns
// it makes no calls; on a fault it returns the offset and name of the bad
// field, the column index and the cause.
func walkRelationColumns(b []byte, off int, cols []RelationColumn) (end, index int, field string, err error) {
	for i := range cols {
		if off >= len(b) {
			return off, i, "flags", ErrTruncated
		}
		c := &cols[i]
		c.Flags = b[off]
		off++
		start := off
		for off < len(b) && b[off] != 0 { // names are short: a loop beats a call
			off++
		}
		if off == len(b) {
			return start, i, "name", ErrUnterminatedString
		}
		c.Name = b[start:off:off]
		off++
		if len(b)-off < 8 {
			if len(b)-off < 4 {
				return off, i, "type OID", ErrTruncated
			}
			return off + 4, i, "type modifier", ErrTruncated
		}
		c.TypeOID = binary.BigEndian.Uint32(b[off:])
		c.TypeMod = int32(binary.BigEndian.Uint32(b[off+4:]))
		off += 8
	}
	return off, 0, "", nil
}

// DecodeType decodes a Type message into m, with the xid prefix when
// inStream; names alias b.
func DecodeType(m *Type, b []byte, inStream bool) error {
	if err := ofType(b, TypeType); err != nil {
		return err
	}
	return decodeType(m, b, inStream)
}

func decodeType(m *Type, b []byte, inStream bool) error {
	var r reader
	r.start(b, layerPgoutput)
	m.InStream, m.Xid = r.streamXid(inStream)
	m.TypeOID = r.u32("type OID")
	m.Namespace = r.cstring("namespace")
	m.Name = r.cstring("name")
	return r.done()
}

func (ms *Messages) decodeType(b []byte, _ Options, inStream bool) (Message, error) {
	return result(&ms.typ, decodeType(&ms.typ, b, inStream))
}

// AppendRelation appends the encoding of m to dst, with the xid prefix when
// m.InStream. Names must not contain NUL; at most 65535 columns.
func AppendRelation(dst []byte, m *Relation) []byte {
	dst = append(dst, byte(TypeRelation))
	dst = appendStreamXid(dst, m.InStream, m.Xid)
	dst = binary.BigEndian.AppendUint32(dst, m.RelationID)
	dst = appendCString(dst, m.Namespace)
	dst = appendCString(dst, m.Name)
	dst = append(dst, m.ReplicaIdentity)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(m.Columns)))
	for i := range m.Columns {
		c := &m.Columns[i]
		dst = append(dst, c.Flags)
		dst = appendCString(dst, c.Name)
		dst = binary.BigEndian.AppendUint32(dst, c.TypeOID)
		dst = binary.BigEndian.AppendUint32(dst, uint32(c.TypeMod))
	}
	return dst
}

// AppendType appends the encoding of m to dst, with the xid prefix when
// m.InStream. Names must not contain NUL.
func AppendType(dst []byte, m *Type) []byte {
	dst = append(dst, byte(TypeType))
	dst = appendStreamXid(dst, m.InStream, m.Xid)
	dst = binary.BigEndian.AppendUint32(dst, m.TypeOID)
	dst = appendCString(dst, m.Namespace)
	return appendCString(dst, m.Name)
}
