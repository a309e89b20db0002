package codec

import (
	"errors"
	"strconv"
)

// ErrUnknownRelation: a row change names a relation no Relation message has
// described in this session.
var ErrUnknownRelation = errors.New("codec: no Relation message seen for the relation")

// ErrColumnCount: a row change has a different number of columns than its
// Relation message announced.
var ErrColumnCount = errors.New("codec: tuple column count differs from the relation's")

// RelationInfo is what a RelationCache keeps of a Relation message: owned
// copies, valid until the relation is described again.
type RelationInfo struct {
	ID              uint32
	Namespace       string // "" means pg_catalog
	Name            string
	ReplicaIdentity byte
	Columns         []ColumnInfo
}

// ColumnInfo describes one column of a cached relation.
type ColumnInfo struct {
	Name     string
	TypeOID  uint32
	TypeMod  int32
	Key      bool   // part of the replica identity
	TypeName string // from a Type message, or the built-in name; "" if unknown
}

// TypeInfo is what a RelationCache keeps of a Type message.
type TypeInfo struct {
	OID       uint32
	Namespace string
	Name      string
}

// A RelationCache applies Relation and Type messages and resolves row
// changes to their tables and column names. Looking a relation up does not
// allocate; applying a Relation or Type message copies its names.
// The zero value is ready to use. It is not safe for concurrent use.
//
// It keeps one schema for the session, which is right for protocol 1 and
// for sessions without streaming. With streamed transactions it is not: a
// Relation sent inside a Stream Start … Stop block belongs to that
// transaction alone and must be dropped if it aborts, and a change must
// resolve against its own transaction's schema. Package
// github.com/pgwal/pgwal/txn keeps that overlay per streamed transaction.
type RelationCache struct {
	relations map[uint32]*RelationInfo
	types     map[uint32]TypeInfo
}

// Apply records m if it is a *Relation or *Type; other messages are ignored.
// A relation described again replaces the earlier description.
func (c *RelationCache) Apply(m Message) {
	switch m := m.(type) {
	case *Relation:
		c.applyRelation(m)
	case *Type:
		if c.types == nil {
			c.types = make(map[uint32]TypeInfo)
		}
		c.types[m.TypeOID] = TypeInfo{OID: m.TypeOID, Namespace: string(m.Namespace), Name: string(m.Name)}
	}
}

func (c *RelationCache) applyRelation(m *Relation) {
	if c.relations == nil {
		c.relations = make(map[uint32]*RelationInfo)
	}
	info := &RelationInfo{
		ID:              m.RelationID,
		Namespace:       string(m.Namespace),
		Name:            string(m.Name),
		ReplicaIdentity: m.ReplicaIdentity,
		Columns:         make([]ColumnInfo, len(m.Columns)),
	}
	for i := range m.Columns {
		col := &m.Columns[i]
		info.Columns[i] = ColumnInfo{
			Name:     string(col.Name),
			TypeOID:  col.TypeOID,
			TypeMod:  col.TypeMod,
			Key:      col.Key(),
			TypeName: c.TypeName(col.TypeOID),
		}
	}
	c.relations[m.RelationID] = info
}

// Relation returns the cached description of a relation.
func (c *RelationCache) Relation(id uint32) (*RelationInfo, bool) {
	r, ok := c.relations[id]
	return r, ok
}

// Type returns what a Type message said of a type OID.
func (c *RelationCache) Type(oid uint32) (TypeInfo, bool) {
	t, ok := c.types[oid]
	return t, ok
}

// TypeName names a type OID: from a Type message (schema-qualified unless
// in pg_catalog), else from the table of built-in types, else "".
func (c *RelationCache) TypeName(oid uint32) string {
	if t, ok := c.types[oid]; ok {
		if t.Namespace == "" || t.Namespace == "pg_catalog" {
			return t.Name
		}
		return t.Namespace + "." + t.Name
	}
	return BuiltinTypeName(oid)
}

// Resolve returns the relation a row change (*Insert, *Update or *Delete)
// refers to, after checking that its tuples have the relation's column
// count, so the i-th column of a tuple is the relation's i-th column.
// Errors wrap ErrUnknownRelation or ErrColumnCount; any other message type
// is an ErrUnexpected error.
func (c *RelationCache) Resolve(m Message) (*RelationInfo, error) {
	var id uint32
	var old, new Tuple
	switch m := m.(type) {
	case *Insert:
		id, new = m.RelationID, m.New
	case *Update:
		id, old, new = m.RelationID, m.Old, m.New
	case *Delete:
		id, old = m.RelationID, m.Old
	default:
		return nil, ErrUnexpected
	}
	info, ok := c.relations[id]
	if !ok {
		return nil, &RelationError{RelationID: id, Err: ErrUnknownRelation}
	}
	n := len(info.Columns)
	if (old != nil && len(old) != n) || (new != nil && len(new) != n) {
		return nil, &RelationError{RelationID: id, Err: ErrColumnCount}
	}
	return info, nil
}

// RelationError is the error Resolve returns; it names the relation.
type RelationError struct {
	RelationID uint32
	Err        error
}

func (e *RelationError) Error() string {
	return e.Err.Error() + " (relation OID " + strconv.FormatUint(uint64(e.RelationID), 10) + ")"
}

// Unwrap returns the cause.
func (e *RelationError) Unwrap() error { return e.Err }

// BuiltinTypeName names common built-in type OIDs (those below 10000, which
// never get a Type message); "" for others.
func BuiltinTypeName(oid uint32) string {
	return builtinTypes[oid]
}

var builtinTypes = map[uint32]string{
	16: "bool", 17: "bytea", 18: "char", 19: "name", 20: "int8", 21: "int2",
	22: "int2vector", 23: "int4", 24: "regproc", 25: "text", 26: "oid",
	27: "tid", 28: "xid", 29: "cid", 30: "oidvector", 114: "json", 142: "xml",
	194: "pg_node_tree", 600: "point", 601: "lseg", 602: "path", 603: "box",
	604: "polygon", 628: "line", 650: "cidr", 700: "float4", 701: "float8",
	718: "circle", 774: "macaddr8", 790: "money", 829: "macaddr", 869: "inet",
	1000: "_bool", 1001: "_bytea", 1005: "_int2", 1007: "_int4", 1009: "_text",
	1014: "_bpchar", 1015: "_varchar", 1016: "_int8", 1021: "_float4",
	1022: "_float8", 1033: "aclitem", 1042: "bpchar", 1043: "varchar",
	1082: "date", 1083: "time", 1114: "timestamp", 1115: "_timestamp",
	1182: "_date", 1184: "timestamptz", 1185: "_timestamptz", 1186: "interval",
	1231: "_numeric", 1266: "timetz", 1560: "bit", 1562: "varbit",
	1700: "numeric", 1790: "refcursor", 2202: "regprocedure", 2203: "regoper",
	2204: "regoperator", 2205: "regclass", 2206: "regtype", 2950: "uuid",
	2951: "_uuid", 3220: "pg_lsn", 3614: "tsvector", 3615: "tsquery",
	3734: "regconfig", 3769: "regdictionary", 3802: "jsonb", 3807: "_jsonb",
	3904: "int4range", 3906: "numrange", 3908: "tsrange", 3910: "tstzrange",
	3912: "daterange", 3926: "int8range", 4072: "jsonpath", 4089: "regnamespace",
	4096: "regrole", 4191: "regcollation", 4451: "int4multirange",
	4532: "nummultirange", 4533: "tsmultirange", 4534: "tstzmultirange",
	4535: "datemultirange", 4536: "int8multirange", 5038: "pg_snapshot",
	5069: "xid8", 199: "_json", 143: "_xml", 1040: "_macaddr", 1041: "_inet",
	651: "_cidr", 1183: "_time", 1270: "_timetz", 1187: "_interval",
	3221: "_pg_lsn", 1028: "_oid", 1002: "_char", 1003: "_name",
}
