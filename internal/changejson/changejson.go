// Package changejson renders units of work from package txn as pgwal's
// own JSON output: one self-contained object per change, or one object per
// transaction. The schema is documented in the README ("Output: --format
// pgwal") and pinned by golden tests; fields are only ever added.
//
// A change line:
//
//	{"op":"update","schema":"public","table":"items","xid":761,
//	 "commit_lsn":"0/1923428","commit_time":"2026-11-21T20:15:13.572027Z","lsn":"0/1923350",
//	 "key":["id"],
//	 "new":[{"name":"id","type":"integer","value":1},{"name":"body","type":"text","unchanged":true}],
//	 "old":[{"name":"id","type":"integer","value":1},{"name":"body","type":"text","absent":true}]}
//
// Values follow package value's JSON convention; a binary value of a user
// type that is not registered is "value_hex", its bytes as sent. A column
// the server did not send is never null: "unchanged" marks an unchanged
// TOASTed value, "absent" a column a key-only old row does not carry,
// "filled" a value taken from the full old row.
package changejson

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/txn"
	"github.com/pgwal/pgwal/value"
)

// Writer renders events. The zero Writer writes one line per change; it
// reuses its buffers and is not safe for concurrent use.
type Writer struct {
	// Transactions writes one object per unit of work instead, its
	// changes in a "changes" array, as the unit's events arrive (nothing
	// is held back: memory stays bounded however large the unit).
	Transactions bool
	// Types renders user types (domains learnt with ApplyType, enums,
	// composites) besides the built-in ones.
	Types *value.Registry
	// TypeNames names user types by OID, over the Type messages' names
	// (ColumnInfo.TypeName): pgoutput names a domain by its base type.
	TypeNames map[uint32]string

	r       value.Renderer
	changes int                // changes of the open unit written (Transactions)
	types   map[typeKey][]byte // a column type's JSON string, made once
	rels    map[*codec.RelationInfo]*relJSON

	timeOf   lsn.Timestamp
	timeText []byte // timeOf formatted
}

// relJSON is what a relation's changes repeat, rendered once per
// RelationInfo (a new one comes with every Relation message, so the
// pointer names one schema).
type relJSON struct {
	head []byte   // ,"schema":…,"table":…
	key  []byte   // ,"key":[…], or nothing
	cols [][]byte // {"name":…,"type":… of each column
}

func (w *Writer) relation(rel *codec.RelationInfo) *relJSON {
	if r, ok := w.rels[rel]; ok {
		return r
	}
	r := &relJSON{head: appendRelation(nil, rel), key: appendKey(nil, rel), cols: make([][]byte, len(rel.Columns))}
	for i := range rel.Columns {
		col := &rel.Columns[i]
		b := append([]byte(nil), `{"name":`...)
		b = value.AppendJSONString(b, []byte(col.Name))
		b = append(b, `,"type":`...)
		r.cols[i] = w.appendTypeName(b, col)
	}
	if w.rels == nil || len(w.rels) > 1024 {
		w.rels = map[*codec.RelationInfo]*relJSON{} // bounded: old schemas are not asked for again
	}
	w.rels[rel] = r
	return r
}

type typeKey struct {
	oid uint32
	mod int32
	// name is a user type's name (TypeNames' or its Type message's): a
	// later Type message for the same OID may rename it.
	name string
}

// AppendEvent appends the output of one event to dst. It writes whole
// lines: after an EventEnd, dst ends a unit (with Transactions, a unit's
// lines run from its EventBegin to its EventEnd).
func (w *Writer) AppendEvent(dst []byte, ev txn.Event) ([]byte, error) {
	w.r.Types = w.Types
	u := ev.Unit
	switch ev.Kind {
	case txn.EventBegin:
		if w.Transactions && hasChanges(u.Kind) {
			dst = append(dst, '{')
			dst = w.appendUnit(dst, u)
			w.changes = 0
			dst = append(dst, `,"changes":[`...)
		}
	case txn.EventChange:
		if w.Transactions && hasChanges(u.Kind) {
			if w.changes > 0 {
				dst = append(dst, ',')
			}
			w.changes++
			return w.appendChange(dst, u, false, ev.Change)
		}
		var err error
		dst, err = w.appendChange(dst, u, true, ev.Change)
		return append(dst, '\n'), err
	case txn.EventEnd:
		switch {
		case w.Transactions && hasChanges(u.Kind):
			dst = append(dst, ']')
			if u.End != 0 {
				dst = append(dst, `,"end_lsn":`...)
				dst = appendLSN(dst, u.End)
			}
			dst = append(dst, "}\n"...)
		case u.Kind == txn.KindCommitPrepared || u.Kind == txn.KindRollbackPrepared:
			// No changes: the unit is its own line in both shapes, an
			// "op" like every line of the one-change-per-line shape.
			if w.Transactions {
				dst = append(dst, '{')
				dst = w.appendUnit(dst, u)
			} else {
				dst = append(dst, `{"op":`...)
				dst = appendUnitKind(dst, u.Kind)
				dst = w.appendUnitFields(dst, u)
			}
			if u.End != 0 {
				dst = append(dst, `,"end_lsn":`...)
				dst = appendLSN(dst, u.End)
			}
			dst = append(dst, "}\n"...)
		}
	}
	return dst, nil
}

// hasChanges: the kinds whose changes are rendered. A streamed abort has
// none (nothing of it was handed on), nor do the two-phase endings.
func hasChanges(k txn.Kind) bool {
	return k == txn.KindTransaction || k == txn.KindPrepared || k == txn.KindMessage
}

// appendUnit appends the unit's fields (no braces).
func (w *Writer) appendUnit(dst []byte, u *txn.Unit) []byte {
	dst = append(dst, `"unit":`...)
	dst = appendUnitKind(dst, u.Kind)
	return w.appendUnitFields(dst, u)
}

func appendUnitKind(dst []byte, k txn.Kind) []byte {
	switch k {
	case txn.KindTransaction:
		dst = append(dst, `"transaction"`...)
	case txn.KindPrepared:
		dst = append(dst, `"prepared"`...)
	case txn.KindCommitPrepared:
		dst = append(dst, `"commit_prepared"`...)
	case txn.KindRollbackPrepared:
		dst = append(dst, `"rollback_prepared"`...)
	case txn.KindMessage:
		dst = append(dst, `"message"`...)
	default:
		dst = value.AppendJSONString(dst, []byte(k.String()))
	}
	return dst
}

// appendUnitFields appends ,"xid":…, the unit's positions and times.
func (w *Writer) appendUnitFields(dst []byte, u *txn.Unit) []byte {
	if u.Xid != 0 {
		dst = append(dst, `,"xid":`...)
		dst = strconv.AppendUint(dst, uint64(u.Xid), 10)
	}
	if u.GID != nil {
		dst = append(dst, `,"gid":`...)
		dst = value.AppendJSONString(dst, u.GID)
	}
	name, when := "commit", u.LSN
	switch u.Kind {
	case txn.KindPrepared:
		name = "prepare"
	case txn.KindRollbackPrepared:
		name = "rollback"
	case txn.KindMessage:
		name, when = "", 0 // the change's own lsn says where
	}
	if when != 0 {
		dst = append(dst, `,"`...)
		dst = append(dst, name...)
		dst = append(dst, `_lsn":`...)
		dst = appendLSN(dst, when)
	}
	if u.Time != 0 && name != "" {
		dst = append(dst, `,"`...)
		dst = append(dst, name...)
		dst = append(dst, `_time":"`...)
		if u.Time != w.timeOf || w.timeText == nil {
			// Every change of a unit repeats its time: formatted once.
			w.timeOf = u.Time
			w.timeText = u.Time.Time().AppendFormat(w.timeText[:0], "2006-01-02T15:04:05.000000Z07:00")
		}
		dst = append(dst, w.timeText...)
		dst = append(dst, '"')
	}
	if u.Origin != nil {
		dst = append(dst, `,"origin":`...)
		dst = value.AppendJSONString(dst, u.Origin)
	}
	return dst
}

// appendChange appends one change object of unit u; withUnit adds the
// unit's fields to it (one line per change).
func (w *Writer) appendChange(dst []byte, u *txn.Unit, withUnit bool, c *txn.Change) ([]byte, error) {
	dst = append(dst, `{"op":`...)
	dst = value.AppendJSONString(dst, []byte(c.Op.String()))
	var rj *relJSON
	if rel := c.Relation; rel != nil {
		rj = w.relation(rel)
		dst = append(dst, rj.head...)
	}
	if withUnit {
		if u.Kind == txn.KindPrepared {
			dst = append(dst, `,"unit":"prepared"`...)
		}
		dst = w.appendUnitFields(dst, u)
	}
	if c.Xid != 0 && c.Xid != u.Xid {
		dst = append(dst, `,"subxid":`...)
		dst = strconv.AppendUint(dst, uint64(c.Xid), 10)
	}
	if c.LSN != 0 {
		dst = append(dst, `,"lsn":`...)
		dst = appendLSN(dst, c.LSN)
	}
	var err error
	switch c.Op {
	case txn.OpInsert, txn.OpUpdate, txn.OpDelete:
		dst = append(dst, rj.key...)
		if c.New.Sent() {
			dst = append(dst, `,"new":`...)
			if dst, err = w.appendRow(dst, c.Relation, c.New); err != nil {
				return dst, err
			}
		}
		if c.Old.Sent() {
			dst = append(dst, `,"old":`...)
			if dst, err = w.appendRow(dst, c.Relation, c.Old); err != nil {
				return dst, err
			}
		}
	case txn.OpTruncate:
		dst = append(dst, `,"tables":[`...)
		for i, rel := range c.Truncated {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"schema":`...)
			dst = value.AppendJSONString(dst, []byte(schemaOf(rel)))
			dst = append(dst, `,"table":`...)
			dst = value.AppendJSONString(dst, []byte(rel.Name))
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
		if c.TruncateOptions&codec.TruncateCascade != 0 {
			dst = append(dst, `,"cascade":true`...)
		}
		if c.TruncateOptions&codec.TruncateRestartIdentity != 0 {
			dst = append(dst, `,"restart_identity":true`...)
		}
	case txn.OpMessage:
		dst = append(dst, `,"transactional":`...)
		dst = strconv.AppendBool(dst, u.Kind != txn.KindMessage)
		dst = append(dst, `,"prefix":`...)
		dst = value.AppendJSONString(dst, c.Prefix)
		if utf8.Valid(c.Content) {
			dst = append(dst, `,"content":`...)
			dst = value.AppendJSONString(dst, c.Content)
		} else {
			dst = append(dst, `,"content_hex":"`...)
			dst = appendHex(dst, c.Content)
			dst = append(dst, '"')
		}
	}
	return append(dst, '}'), nil
}

func schemaOf(rel *codec.RelationInfo) string {
	if rel.Namespace == "" {
		return "pg_catalog" // pgoutput sends pg_catalog as ""
	}
	return rel.Namespace
}

func appendRelation(dst []byte, rel *codec.RelationInfo) []byte {
	dst = append(dst, `,"schema":`...)
	dst = value.AppendJSONString(dst, []byte(schemaOf(rel)))
	dst = append(dst, `,"table":`...)
	return value.AppendJSONString(dst, []byte(rel.Name))
}

// appendKey appends the replica identity's columns, when it has any.
func appendKey(dst []byte, rel *codec.RelationInfo) []byte {
	n := 0
	for i := range rel.Columns {
		if !rel.Columns[i].Key {
			continue
		}
		if n == 0 {
			dst = append(dst, `,"key":[`...)
		} else {
			dst = append(dst, ',')
		}
		n++
		dst = value.AppendJSONString(dst, []byte(rel.Columns[i].Name))
	}
	if n > 0 {
		dst = append(dst, ']')
	}
	return dst
}

// appendRow appends a row as an array of column objects, in attribute
// order.
func (w *Writer) appendRow(dst []byte, rel *codec.RelationInfo, row txn.Row) ([]byte, error) {
	return w.appendColumns(dst, rel, w.relation(rel), row.Len(), row.At)
}

// AppendSnapshotRow appends one row of an initial snapshot (package
// snapshot) as a line: {"op":"snapshot","schema":…,"table":…,"key":[…],
// "new":[…]}, its columns as a change's. row holds binary values and NULLs.
func (w *Writer) AppendSnapshotRow(dst []byte, rel *codec.RelationInfo, row codec.Tuple) ([]byte, error) {
	w.r.Types = w.Types
	rj := w.relation(rel)
	dst = append(dst, `{"op":"snapshot"`...)
	dst = append(dst, rj.head...)
	dst = append(dst, rj.key...)
	dst = append(dst, `,"new":`...)
	dst, err := w.appendColumns(dst, rel, rj, len(row), func(i int) txn.Value {
		switch c := row[i]; c.Kind {
		case codec.ColumnBinary:
			return txn.Value{State: txn.Present, Binary: true, Data: c.Data}
		case codec.ColumnText:
			return txn.Value{State: txn.Present, Data: c.Data}
		case codec.ColumnUnchanged:
			return txn.Value{State: txn.Unchanged}
		}
		return txn.Value{State: txn.Null}
	})
	if err != nil {
		return dst, err
	}
	return append(dst, "}\n"...), nil
}

// appendColumns appends n columns, column i's value given by at(i), as an
// array of column objects in attribute order.
func (w *Writer) appendColumns(dst []byte, rel *codec.RelationInfo, rj *relJSON, n int, at func(int) txn.Value) ([]byte, error) {
	dst = append(dst, '[')
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		col := &rel.Columns[i]
		dst = append(dst, rj.cols[i]...)
		v := at(i)
		switch v.State {
		case txn.Absent:
			dst = append(dst, `,"absent":true`...)
		case txn.Unchanged:
			dst = append(dst, `,"unchanged":true`...)
		case txn.Null:
			dst = append(dst, `,"value":null`...)
		case txn.Present:
			kind := codec.ColumnText
			if v.Binary {
				kind = codec.ColumnBinary
			}
			mark := len(dst)
			dst = append(dst, `,"value":`...)
			var err error
			if dst, err = w.r.AppendJSON(dst, col.TypeOID, col.TypeMod, kind, v.Data); err != nil {
				if !errors.Is(err, value.ErrUnknownType) {
					return dst, err
				}
				// A binary value of a type not registered (an enum,
				// a composite, an extension type): its bytes as sent.
				dst = append(dst[:mark], `,"value_hex":"`...)
				dst = append(appendHex(dst, v.Data), '"')
			}
		}
		if v.Filled {
			dst = append(dst, `,"filled":true`...)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}

// appendTypeName appends the column's type as SQL spells it (format_type:
// "numeric(10,2)", "character varying(60)", "integer[]"), or a user
// type's name from TypeNames or its Type message.
func (w *Writer) appendTypeName(dst []byte, col *codec.ColumnInfo) []byte {
	name := col.TypeName
	if n, ok := w.TypeNames[col.TypeOID]; ok {
		name = n
	}
	k := typeKey{col.TypeOID, col.TypeMod, name}
	if b, ok := w.types[k]; ok {
		return append(dst, b...)
	}
	var b []byte
	if sql, ok := value.FormatType(col.TypeOID, col.TypeMod); ok {
		b = value.AppendJSONString(nil, []byte(sql))
	} else if name != "" {
		// "schema.name", or a bare name in pg_catalog (a domain's base, as
		// pgoutput names it): spelt as format_type spells it, quoted as
		// needed, "_x" as x[] and a built-in base by its SQL name.
		schema, typ, qualified := strings.Cut(name, ".")
		if !qualified {
			schema, typ = "", name
		}
		b = value.AppendJSONString(nil, value.AppendFormatTypeName(nil, schema, typ, col.TypeMod))
	} else {
		b = strconv.AppendUint(append(b, `"oid:`...), uint64(col.TypeOID), 10)
		b = append(b, '"')
	}
	if w.types == nil || len(w.types) > 4096 {
		w.types = map[typeKey][]byte{} // bounded: a session has few types
	}
	w.types[k] = b
	return append(dst, b...)
}

func appendLSN(dst []byte, l lsn.LSN) []byte {
	dst = append(dst, '"')
	dst, _ = l.AppendText(dst) // never fails
	return append(dst, '"')
}

func appendHex(dst, b []byte) []byte {
	const digits = "0123456789abcdef"
	for _, c := range b {
		dst = append(dst, digits[c>>4], digits[c&15])
	}
	return dst
}
