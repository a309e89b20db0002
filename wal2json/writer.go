package wal2json

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/value"
)

// A Writer prints transactions as wal2json does. Each piece of output
// wal2json's plugin writes (one OutputPluginWrite: what pg_recvlogical
// prints as one line, plus a newline) goes to the emit function, in a
// buffer the Writer reuses: emit must copy what it keeps.
//
// Call Begin, then Change, Truncate and Message in the transaction's
// order, then Commit; a non-transactional Message may come at any time.
// A Writer is not safe for concurrent use.
type Writer struct {
	// Types, if set, renders binary values of types that are not built in
	// (domains, enums); text values need nothing.
	Types *value.Registry

	o          Options
	emit       func([]byte) error
	ht, nl, sp string

	out   []byte // the piece being written
	aux   []byte // a non-transactional message's piece
	names []byte
	types []byte
	oids  []byte
	vals  []byte
	text  []byte // a binary value's text
	ts    [8]byte

	inTxn    bool
	begin    Begin
	nchanges int
}

// ErrSequence is returned for calls out of order (a Change outside a
// transaction, a second Begin, ...).
var ErrSequence = errors.New("wal2json: call out of transaction order")

// NewWriter returns a Writer printing with o.
func NewWriter(o Options, emit func(piece []byte) error) (*Writer, error) {
	if o.FormatVersion != 1 && o.FormatVersion != 2 {
		return nil, &OptionError{Option: "format-version", Value: strconv.Itoa(o.FormatVersion), HasValue: true, Err: ErrInvalidValue}
	}
	w := &Writer{o: o, emit: emit}
	if o.PrettyPrint {
		w.ht, w.nl, w.sp = "\t", "\n", " "
	}
	return w, nil
}

// Options returns the Writer's options.
func (w *Writer) Options() Options { return w.o }

func (w *Writer) write(b []byte) error { return w.emit(b) }

// Begin starts a transaction.
func (w *Writer) Begin(b *Begin) error {
	if w.inTxn {
		return fmt.Errorf("%w: Begin inside a transaction", ErrSequence)
	}
	w.inTxn, w.begin, w.nchanges = true, *b, 0
	if w.o.FormatVersion == 2 {
		if !w.o.IncludeTransaction {
			return nil
		}
		w.out = append(w.out[:0], `{"action":"B"`...)
		w.out = w.appendTxnFields(w.out, b.CommitLSN)
		w.out = append(w.out, '}')
		return w.write(w.out)
	}
	o := append(w.out[:0], '{')
	o = append(o, w.nl...)
	if w.o.IncludeXids {
		o = w.key(o, 1, "xid")
		o = strconv.AppendUint(o, uint64(b.Xid), 10)
		o = append(o, ',')
		o = append(o, w.nl...)
	}
	if w.o.IncludeLSN {
		o = w.key(o, 1, "nextlsn")
		o = appendLSN(o, b.EndLSN)
		o = append(o, ',')
		o = append(o, w.nl...)
	}
	if w.o.IncludeTimestamp {
		o = w.key(o, 1, "timestamp")
		o = w.appendTimestamp(o, b.CommitTime)
		o = append(o, ',')
		o = append(o, w.nl...)
	}
	o = w.key(o, 1, "change")
	o = append(o, '[')
	w.out = o
	if w.o.WriteInChunks {
		return w.write(w.out)
	}
	return nil
}

// appendTxnFields are format 2's xid, timestamp and lsn/nextlsn of B and C.
func (w *Writer) appendTxnFields(o []byte, l lsn.LSN) []byte {
	if w.o.IncludeXids {
		o = append(o, `,"xid":`...)
		o = strconv.AppendUint(o, uint64(w.begin.Xid), 10)
	}
	if w.o.IncludeTimestamp {
		o = append(o, `,"timestamp":`...)
		o = w.appendTimestamp(o, w.begin.CommitTime)
	}
	if w.o.IncludeLSN {
		o = append(o, `,"lsn":`...)
		o = appendLSN(o, l)
		o = append(o, `,"nextlsn":`...)
		o = appendLSN(o, w.begin.EndLSN)
	}
	return o
}

// Commit ends the transaction.
func (w *Writer) Commit() error {
	if !w.inTxn {
		return fmt.Errorf("%w: Commit outside a transaction", ErrSequence)
	}
	w.inTxn = false
	if w.o.FormatVersion == 2 {
		if !w.o.IncludeTransaction {
			return nil
		}
		w.out = append(w.out[:0], `{"action":"C"`...)
		w.out = w.appendTxnFields(w.out, w.begin.CommitLSN)
		w.out = append(w.out, '}')
		return w.write(w.out)
	}
	if w.o.WriteInChunks {
		w.out = w.out[:0]
	} else {
		w.out = append(w.out, w.nl...)
	}
	w.out = append(w.out, w.ht...)
	w.out = append(w.out, ']')
	w.out = append(w.out, w.nl...)
	w.out = append(w.out, '}')
	return w.write(w.out)
}

// key appends depth tabs (when pretty), "name":, and a space (when pretty).
func (w *Writer) key(o []byte, depth int, name string) []byte {
	for i := 0; i < depth; i++ {
		o = append(o, w.ht...)
	}
	o = append(o, '"')
	o = append(o, name...)
	o = append(o, `":`...)
	return append(o, w.sp...)
}

func (w *Writer) tableAllowed(schema, table string) bool {
	for _, p := range w.o.FilterTables {
		if p.Match(schema, table) {
			return false
		}
	}
	for _, p := range w.o.AddTables {
		if p.Match(schema, table) {
			return true
		}
	}
	return false
}

// pk returns the relation's primary key columns (nil: its key columns),
// and whether it has one. wal2json 2.5's format 1 prints a primary key
// only under REPLICA IDENTITY DEFAULT, where it is the replica identity;
// format 2 prints the table's primary key whatever the identity.
func (w *Writer) pk(r *Relation) ([]int, bool) {
	if w.o.FormatVersion == 2 && r.PrimaryKey != nil {
		return r.PrimaryKey, len(r.PrimaryKey) > 0
	}
	return nil, r.ReplicaIdentity == codec.ReplicaIdentityDefault && hasKey(r)
}

func hasKey(r *Relation) bool {
	for i := range r.Columns {
		if r.Columns[i].Key {
			return true
		}
	}
	return false
}

func isPK(r *Relation, cols []int, i int) bool {
	if cols == nil {
		return r.Columns[i].Key
	}
	for _, c := range cols {
		if c == i {
			return true
		}
	}
	return false
}

// hasIdentityIndex is wal2json's OidIsValid(rd_replidindex): a primary key
// under DEFAULT, the chosen index under USING INDEX.
func hasIdentityIndex(r *Relation) bool {
	id := r.ReplicaIdentity
	return (id == codec.ReplicaIdentityDefault || id == codec.ReplicaIdentityIndex) && hasKey(r)
}

// Change prints one row change.
func (w *Writer) Change(c *Change) error {
	if !w.inTxn {
		return fmt.Errorf("%w: Change outside a transaction", ErrSequence)
	}
	r := c.Relation
	switch c.Kind {
	case Insert:
		if !w.o.Actions.Insert {
			return nil
		}
	case Update:
		if !w.o.Actions.Update {
			return nil
		}
	case Delete:
		if !w.o.Actions.Delete {
			return nil
		}
	default:
		return fmt.Errorf("wal2json: change kind %q", c.Kind)
	}
	if !w.tableAllowed(r.Schema, r.Table) {
		return nil
	}
	if len(c.New) > len(r.Columns) || len(c.Old) > len(r.Columns) {
		return fmt.Errorf("wal2json: %s.%s: tuple has more columns than the relation", r.Schema, r.Table)
	}
	if c.Kind == Insert && c.New == nil || c.Kind == Update && c.New == nil || c.Kind == Delete && c.Old == nil {
		return nil // wal2json: "no tuple data" warning
	}
	if w.o.FormatVersion == 2 {
		return w.changeV2(c)
	}
	return w.changeV1(c)
}

func (w *Writer) changeV1(c *Change) error {
	r := c.Relation
	if c.Kind != Insert && !hasIdentityIndex(r) && r.ReplicaIdentity != codec.ReplicaIdentityFull {
		return nil // wal2json: "table without primary key or replica identity is nothing"
	}
	w.nchanges++
	o := w.out
	if w.o.WriteInChunks {
		o = o[:0]
	} else {
		o = append(o, w.nl...)
	}
	o = append(o, w.ht...)
	o = append(o, w.ht...)
	if w.nchanges > 1 {
		o = append(o, ',')
	}
	o = append(o, '{')
	o = append(o, w.nl...)
	o = w.key(o, 3, "kind")
	switch c.Kind {
	case Insert:
		o = append(o, `"insert",`...)
	case Update:
		o = append(o, `"update",`...)
	case Delete:
		o = append(o, `"delete",`...)
	}
	o = append(o, w.nl...)
	if w.o.IncludeSchemas {
		o = w.key(o, 3, "schema")
		o = appendEscaped(o, r.Schema)
		o = append(o, ',')
		o = append(o, w.nl...)
	}
	o = w.key(o, 3, "table")
	o = appendEscaped(o, r.Table)
	o = append(o, ',')
	o = append(o, w.nl...)

	_, hasPK := w.pk(r)
	hasPK = hasPK && w.o.IncludePK
	var err error
	switch c.Kind {
	case Insert:
		if o, err = w.tupleV1(o, r, c.New, false, hasPK, false); err != nil {
			return err
		}
		if hasPK {
			o = w.pkV1(o, r, nil, false)
		}
	case Update:
		if o, err = w.tupleV1(o, r, c.New, false, true, false); err != nil {
			return err
		}
		if hasPK {
			o = w.pkV1(o, r, nil, true)
		}
		if c.Old == nil {
			o, err = w.tupleV1(o, r, c.New, true, false, true)
		} else {
			o, err = w.tupleV1(o, r, c.Old, true, false, false)
		}
		if err != nil {
			return err
		}
	case Delete:
		if hasPK {
			o = w.pkV1(o, r, nil, true)
		}
		if o, err = w.tupleV1(o, r, c.Old, true, false, r.ReplicaIdentity != codec.ReplicaIdentityFull); err != nil {
			return err
		}
	}
	o = append(o, w.ht...)
	o = append(o, w.ht...)
	o = append(o, '}')
	w.out = o
	if w.o.WriteInChunks {
		return w.write(w.out)
	}
	return nil
}

// tupleV1 is wal2json's tuple_to_stringinfo: columnnames, columntypes,
// columntypeoids and columnvalues, or (ident) the oldkeys object, whose
// columns are the non-null ones (only key columns when keysOnly).
func (w *Writer) tupleV1(o []byte, r *Relation, t codec.Tuple, ident, addComma, keysOnly bool) ([]byte, error) {
	names, types, oids, vals := w.names[:0], w.types[:0], w.oids[:0], w.vals[:0]
	if ident {
		names = w.key(names, 3, "oldkeys")
		names = append(names, '{')
		names = append(names, w.nl...)
		names = w.key(names, 4, "keynames")
		types = w.key(types, 4, "keytypes")
		oids = w.key(oids, 4, "keytypeoids")
		vals = w.key(vals, 4, "keyvalues")
	} else {
		names = w.key(names, 3, "columnnames")
		types = w.key(types, 3, "columntypes")
		oids = w.key(oids, 3, "columntypeoids")
		vals = w.key(vals, 3, "columnvalues")
	}
	names, types, oids, vals = append(names, '['), append(types, '['), append(oids, '['), append(vals, '[')
	first := true
	var err error
	for i := range t {
		col := &r.Columns[i]
		v := t[i]
		if keysOnly && !col.Key {
			continue
		}
		if v.Kind == codec.ColumnNull && ident || v.Kind == codec.ColumnUnchanged {
			continue
		}
		if !first {
			names, types, oids, vals = w.comma(names), w.comma(types), w.comma(oids), w.comma(vals)
		}
		first = false
		names = appendEscaped(names, col.Name)
		if w.o.IncludeTypes {
			types = w.appendType(types, col, w.o.IncludeTypmod, true)
		}
		if w.o.IncludeTypeOIDs {
			oids = strconv.AppendUint(oids, uint64(col.TypeOID), 10)
		}
		if vals, err = w.appendValue(vals, col, v); err != nil {
			return o, err
		}
	}
	names = append(names, "],"...)
	names = append(names, w.nl...)
	types = append(types, "],"...)
	types = append(types, w.nl...)
	oids = append(oids, "],"...)
	oids = append(oids, w.nl...)
	if ident {
		vals = append(vals, ']')
		vals = append(vals, w.nl...)
		vals = append(vals, w.ht...)
		vals = append(vals, w.ht...)
		vals = append(vals, w.ht...)
		vals = append(vals, '}')
		vals = append(vals, w.nl...)
	} else {
		vals = append(vals, ']')
		if addComma {
			vals = append(vals, ',')
		}
		vals = append(vals, w.nl...)
	}
	o = append(o, names...)
	if w.o.IncludeTypes {
		o = append(o, types...)
	}
	if w.o.IncludeTypeOIDs {
		o = append(o, oids...)
	}
	o = append(o, vals...)
	w.names, w.types, w.oids, w.vals = names, types, oids, vals
	return o, nil
}

func (w *Writer) comma(b []byte) []byte {
	b = append(b, ',')
	return append(b, w.sp...)
}

// pkV1 is wal2json's pk_to_stringinfo: names and types of the primary key.
func (w *Writer) pkV1(o []byte, r *Relation, cols []int, addComma bool) []byte {
	o = w.key(o, 3, "pk")
	o = append(o, '{')
	o = append(o, w.nl...)
	names := w.key(w.names[:0], 4, "pknames")
	types := w.key(w.types[:0], 4, "pktypes")
	names, types = append(names, '['), append(types, '[')
	first := true
	for i := range r.Columns {
		if !isPK(r, cols, i) {
			continue
		}
		if !first {
			names, types = w.comma(names), w.comma(types)
		}
		first = false
		names = appendEscaped(names, r.Columns[i].Name)
		if w.o.IncludeTypes {
			types = w.appendType(types, &r.Columns[i], w.o.IncludeTypmod, false)
		}
	}
	names = append(names, "],"...)
	names = append(names, w.nl...)
	types = append(types, ']')
	types = append(types, w.nl...)
	types = append(types, w.ht...)
	types = append(types, w.ht...)
	types = append(types, w.ht...)
	types = append(types, '}')
	if addComma {
		types = append(types, ',')
	}
	types = append(types, w.nl...)
	o = append(o, names...)
	o = append(o, types...)
	w.names, w.types = names, types
	return o
}

// appendType appends a column's type name as wal2json prints it: from
// format_type (typmod) or pg_type.typname, taken as already quoted when
// it starts with a double quote (and, when arrayRule, does not end with
// "]").
func (w *Writer) appendType(o []byte, col *Column, typmod, arrayRule bool) []byte {
	start := len(w.text)
	s := w.text
	if t, ok := value.Lookup(col.TypeOID); ok {
		if typmod {
			s, _ = value.AppendFormatType(s, col.TypeOID, col.TypeMod)
		} else {
			s = append(s, t.Name...)
		}
	} else if col.TypeName != "" {
		if typmod {
			// a domain's base type as format_type prints it, any other
			// type schema-qualified
			s = value.AppendFormatTypeName(s, col.TypeSchema, col.TypeName, col.TypeMod)
		} else {
			s = append(s, col.TypeName...)
		}
	} else {
		s = strconv.AppendUint(s, uint64(col.TypeOID), 10)
	}
	w.text = s
	name := s[start:]
	defer func() { w.text = w.text[:start] }()
	if len(name) > 0 && name[0] == '"' && (!arrayRule || name[len(name)-1] != ']') {
		return append(o, name...)
	}
	return appendEscapedBytes(o, name)
}

// Built-in type OIDs wal2json prints specially: numbers, bool and bytea
// values, and the timestamptz of a transaction's timestamp.
const (
	oidBool        = 16
	oidBytea       = 17
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidOID         = 26
	oidFloat4      = 700
	oidFloat8      = 701
	oidNumeric     = 1700
	oidTimestamptz = 1184
)

// appendValue appends a column value as wal2json prints it.
func (w *Writer) appendValue(o []byte, col *Column, v codec.Column) ([]byte, error) {
	var text []byte
	switch v.Kind {
	case codec.ColumnNull:
		return append(o, "null"...), nil
	case codec.ColumnText:
		text = v.Data
	case codec.ColumnBinary:
		var err error
		if w.Types != nil {
			w.text, err = w.Types.AppendText(w.text[:0], col.TypeOID, col.TypeMod, v.Data)
		} else {
			w.text, err = value.AppendText(w.text[:0], col.TypeOID, col.TypeMod, v.Data)
		}
		if err != nil {
			return o, fmt.Errorf("wal2json: column %s: %w", col.Name, err)
		}
		text = w.text
		defer func() { w.text = w.text[:0] }()
	case codec.ColumnUnchanged:
		return o, fmt.Errorf("wal2json: column %s: %w", col.Name, value.ErrUnchanged)
	default:
		return o, fmt.Errorf("wal2json: column %s: kind %q", col.Name, v.Kind)
	}
	switch col.TypeOID {
	case oidInt2, oidInt4, oidInt8, oidOID, oidFloat4, oidFloat8, oidNumeric:
		special := hasPrefixFold(text, "NaN") || hasPrefixFold(text, "Infinity") || hasPrefixFold(text, "-Infinity")
		if !special && !allNumberChars(text) {
			return o, fmt.Errorf("wal2json: column %s: %q is not a number", col.Name, text)
		}
		switch {
		case w.o.NumericDataTypesAsString:
			return appendEscapedBytes(o, text), nil
		case special:
			return append(o, "null"...), nil
		}
		return append(o, text...), nil
	case oidBool:
		if string(text) == "t" {
			return append(o, "true"...), nil
		}
		return append(o, "false"...), nil
	case oidBytea:
		if len(text) >= 2 {
			text = text[2:] // "\x..." without the \x
		}
		return appendEscapedBytes(o, text), nil
	}
	return appendEscapedBytes(o, text), nil
}

func hasPrefixFold(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		d := p[i]
		if d >= 'A' && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

func allNumberChars(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == 'e' || c == 'E' || c == '.') {
			return false
		}
	}
	return true
}

func (w *Writer) changeV2(c *Change) error {
	r := c.Relation
	if c.Kind != Insert && c.Old == nil && !hasIdentityIndex(r) && r.ReplicaIdentity != codec.ReplicaIdentityFull {
		return nil // wal2json: "no tuple identifier" warning
	}
	o := append(w.out[:0], `{"action":"`...)
	o = append(o, byte(c.Kind), '"')
	o = w.appendChangeFields(o, c.LSN)
	o = w.appendTableV2(o, r.Schema, r.Table)
	var err error
	if c.New != nil {
		o = append(o, `,"columns":[`...)
		if o, err = w.tupleV2(o, r, c.New, kindChange, nil); err != nil {
			return err
		}
		o = append(o, ']')
	}
	if c.Old != nil {
		o = append(o, `,"identity":[`...)
		if o, err = w.tupleV2(o, r, c.Old, kindIdentity, nil); err != nil {
			return err
		}
		o = append(o, ']')
	} else if c.Kind == Update {
		if _, hasPK := w.pk(r); hasPK || hasIdentityIndex(r) {
			o = append(o, `,"identity":[`...)
			if o, err = w.tupleV2(o, r, c.New, kindIdentity, nil); err != nil {
				return err
			}
			o = append(o, ']')
		}
	}
	if w.o.IncludePK {
		o = append(o, `,"pk":[`...)
		if pkCols, hasPK := w.pk(r); hasPK {
			t := c.Old
			if t == nil {
				t = c.New
			}
			if o, err = w.tupleV2(o, r, t, kindPK, pkCols); err != nil {
				return err
			}
		}
		o = append(o, ']')
	}
	o = append(o, '}')
	w.out = o
	return w.write(w.out)
}

func (w *Writer) appendChangeFields(o []byte, l lsn.LSN) []byte {
	if w.o.IncludeXids {
		o = append(o, `,"xid":`...)
		o = strconv.AppendUint(o, uint64(w.begin.Xid), 10)
	}
	if w.o.IncludeTimestamp {
		o = append(o, `,"timestamp":`...)
		o = w.appendTimestamp(o, w.begin.CommitTime)
	}
	if w.o.IncludeLSN {
		o = append(o, `,"lsn":`...)
		o = appendLSN(o, l)
	}
	return o
}

func (w *Writer) appendTableV2(o []byte, schema, table string) []byte {
	if w.o.IncludeSchemas {
		o = append(o, `,"schema":`...)
		o = appendEscaped(o, schema)
	}
	o = append(o, `,"table":`...)
	return appendEscaped(o, table)
}

const (
	kindChange = iota
	kindIdentity
	kindPK
)

// tupleV2 is wal2json's pg_decode_write_tuple: {"name","type","typeoid",
// "value"} for each column (replica identity columns for kindIdentity,
// primary key columns, without values, for kindPK), unchanged TOAST
// values left out.
func (w *Writer) tupleV2(o []byte, r *Relation, t codec.Tuple, kind int, pkCols []int) ([]byte, error) {
	first := true
	var err error
	for i := range t {
		col := &r.Columns[i]
		switch kind {
		case kindIdentity:
			if r.ReplicaIdentity != codec.ReplicaIdentityFull && !col.Key {
				continue
			}
		case kindPK:
			if !isPK(r, pkCols, i) {
				continue
			}
		}
		if t[i].Kind == codec.ColumnUnchanged {
			continue
		}
		if !first {
			o = append(o, ',')
		}
		first = false
		o = append(o, `{"name":`...)
		o = appendEscaped(o, col.Name)
		if w.o.IncludeTypes {
			o = append(o, `,"type":`...)
			o = w.appendType(o, col, true, true)
		}
		if w.o.IncludeTypeOIDs {
			o = append(o, `,"typeoid":`...)
			o = strconv.AppendInt(o, int64(int32(col.TypeOID)), 10)
		}
		if kind != kindPK {
			o = append(o, `,"value":`...)
			if o, err = w.appendValue(o, col, t[i]); err != nil {
				return o, err
			}
		}
		o = append(o, '}')
	}
	return o, nil
}

// Truncate prints a truncate: format 2 only, one object per table.
func (w *Writer) Truncate(t *Truncate) error {
	if !w.inTxn {
		return fmt.Errorf("%w: Truncate outside a transaction", ErrSequence)
	}
	if w.o.FormatVersion != 2 || !w.o.Actions.Truncate {
		return nil // format 1 never prints truncates
	}
	for _, r := range t.Relations {
		if !w.tableAllowed(r.Schema, r.Table) {
			continue
		}
		o := append(w.out[:0], `{"action":"T"`...)
		o = w.appendChangeFields(o, t.LSN)
		o = w.appendTableV2(o, r.Schema, r.Table)
		o = append(o, '}')
		w.out = o
		if err := w.write(w.out); err != nil {
			return err
		}
	}
	return nil
}

func (w *Writer) prefixAllowed(p []byte) bool {
	for _, f := range w.o.FilterMsgPrefixes {
		if f == string(p) {
			return false
		}
	}
	if len(w.o.AddMsgPrefixes) == 0 {
		return true
	}
	for _, a := range w.o.AddMsgPrefixes {
		if a == string(p) {
			return true
		}
	}
	return false
}

// Message prints a logical decoding message. A transactional one belongs
// to the open transaction; a non-transactional one is printed at once as
// a piece of its own, in or out of a transaction.
func (w *Writer) Message(m *Message) error {
	if m.Transactional && !w.inTxn {
		return fmt.Errorf("%w: transactional Message outside a transaction", ErrSequence)
	}
	if !w.prefixAllowed(m.Prefix) {
		return nil
	}
	content := m.Content
	for i, c := range content {
		if c == 0 { // wal2json copies it as a C string
			content = content[:i]
			break
		}
	}
	if w.o.FormatVersion == 2 {
		o := w.aux[:0]
		o = append(o, `{"action":"M"`...)
		if w.o.IncludeXids {
			if m.Transactional {
				o = append(o, `,"xid":`...)
				o = strconv.AppendUint(o, uint64(w.begin.Xid), 10)
			} else {
				o = append(o, `,"xid":null`...)
			}
		}
		if w.o.IncludeTimestamp {
			if m.Transactional {
				o = append(o, `,"timestamp":`...)
				o = w.appendTimestamp(o, w.begin.CommitTime)
			} else {
				o = append(o, `,"timestamp":null`...)
			}
		}
		if w.o.IncludeLSN {
			o = append(o, `,"lsn":`...)
			o = appendLSN(o, m.LSN)
		}
		if m.Transactional {
			o = append(o, `,"transactional":true`...)
		} else {
			o = append(o, `,"transactional":false`...)
		}
		o = append(o, `,"prefix":`...)
		o = appendEscapedBytes(o, cString(m.Prefix))
		o = append(o, `,"content":`...)
		o = appendEscapedBytes(o, content)
		o = append(o, '}')
		w.aux = o
		return w.write(w.aux)
	}
	var o []byte
	if !m.Transactional {
		o = w.aux[:0]
	} else if w.o.WriteInChunks {
		o = w.out[:0]
	} else {
		o = w.out
	}
	if m.Transactional {
		w.nchanges++
		if !w.o.WriteInChunks {
			o = append(o, w.nl...)
		}
	} else {
		o = append(o, '{')
		o = append(o, w.nl...)
		o = w.key(o, 1, "change")
		o = append(o, '[')
		o = append(o, w.nl...)
	}
	o = append(o, w.ht...)
	o = append(o, w.ht...)
	if m.Transactional && w.nchanges > 1 {
		o = append(o, ',')
	}
	o = append(o, '{')
	o = append(o, w.nl...)
	o = w.key(o, 3, "kind")
	o = append(o, `"message",`...)
	o = append(o, w.nl...)
	o = w.key(o, 3, "transactional")
	if m.Transactional {
		o = append(o, "true,"...)
	} else {
		o = append(o, "false,"...)
	}
	o = append(o, w.nl...)
	o = w.key(o, 3, "prefix")
	o = appendEscapedBytes(o, cString(m.Prefix))
	o = append(o, ',')
	o = append(o, w.nl...)
	o = w.key(o, 3, "content")
	o = appendEscapedBytes(o, content)
	o = append(o, w.nl...)
	o = append(o, w.ht...)
	o = append(o, w.ht...)
	o = append(o, '}')
	if !m.Transactional {
		o = append(o, w.nl...)
		o = append(o, w.ht...)
		o = append(o, ']')
		o = append(o, w.nl...)
		o = append(o, '}')
		w.aux = o
		return w.write(w.aux)
	}
	w.out = o
	if w.o.WriteInChunks {
		return w.write(w.out)
	}
	return nil
}

func cString(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

func appendLSN(o []byte, l lsn.LSN) []byte {
	o = append(o, '"')
	o = strconv.AppendUint(o, uint64(l>>32), 16)
	o = append(o, '/')
	o = strconv.AppendUint(o, uint64(l&0xffffffff), 16)
	// pg_lsn_out prints upper-case hex
	for i := len(o) - 1; i >= 0 && o[i] != '"'; i-- {
		if o[i] >= 'a' && o[i] <= 'f' {
			o[i] -= 'a' - 'A'
		}
	}
	return append(o, '"')
}

// appendTimestamp is timestamptz_to_str in a session with TimeZone UTC, in
// double quotes: "2024-05-01 12:34:56.123456+00".
func (w *Writer) appendTimestamp(o []byte, t lsn.Timestamp) []byte {
	binary.BigEndian.PutUint64(w.ts[:], uint64(t))
	o = append(o, '"')
	o, _ = value.AppendText(o, oidTimestamptz, -1, w.ts[:]) // any int64 is a valid timestamptz
	return append(o, '"')
}

// appendEscaped is PostgreSQL's escape_json.
func appendEscaped(o []byte, s string) []byte {
	o = append(o, '"')
	for i := 0; i < len(s); i++ {
		o = escapeByte(o, s[i])
	}
	return append(o, '"')
}

func appendEscapedBytes(o []byte, s []byte) []byte {
	o = append(o, '"')
	for _, c := range s {
		o = escapeByte(o, c)
	}
	return append(o, '"')
}

const hexDigits = "0123456789abcdef"

func escapeByte(o []byte, c byte) []byte {
	switch c {
	case '\b':
		return append(o, `\b`...)
	case '\f':
		return append(o, `\f`...)
	case '\n':
		return append(o, `\n`...)
	case '\r':
		return append(o, `\r`...)
	case '\t':
		return append(o, `\t`...)
	case '"':
		return append(o, `\"`...)
	case '\\':
		return append(o, `\\`...)
	}
	if c < ' ' {
		return append(o, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
	}
	return append(o, c)
}
