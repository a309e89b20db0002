package txn

import "github.com/pgwal/pgwal/codec"

// State says what a row holds for one column.
type State uint8

const (
	// Absent: the server sent nothing for the column. A key-only old row
	// (an Update or Delete under REPLICA IDENTITY DEFAULT or INDEX) has
	// only the key columns; on the wire the others are NULL placeholders,
	// which are not NULL values, so they are Absent here.
	Absent State = iota
	// Null: the column is SQL NULL.
	Null
	// Unchanged: an unchanged TOASTed value the server did not send. It is
	// never NULL; see Value.Filled and Options.FillUnchanged.
	Unchanged
	// Present: Data holds the value, in text or (Binary) binary form.
	Present
)

func (s State) String() string {
	switch s {
	case Absent:
		return "absent"
	case Null:
		return "null"
	case Unchanged:
		return "unchanged"
	case Present:
		return "present"
	}
	return "State(?)"
}

// Value is one column of a row.
type Value struct {
	State  State
	Binary bool   // Data is the type's binary send form (the binary option), else its text output
	Data   []byte // for Present; a view, valid as the Change is
	// Filled: the server sent the column as unchanged TOAST and the value
	// was filled in, from the old row (REPLICA IDENTITY FULL) or by
	// Options.FillUnchanged. State is then Present or Null.
	Filled bool
}

// Row is a row's columns in the relation's attribute order. It is a view
// of the decoded tuple, interpreted as each column is asked for, so
// handing a change on costs nothing per column.
type Row struct {
	tuple   codec.Tuple
	rel     *codec.RelationInfo
	sent    bool
	keyOnly bool    // a 'K' old tuple: non-key NULLs are placeholders
	filled  []Value // per column, once an unchanged column was filled
}

// Sent reports whether the server sent the row at all (an Update carries
// an old row only under REPLICA IDENTITY FULL or when a key changed).
func (r Row) Sent() bool { return r.sent }

// Len returns the number of columns (0 for a row not sent).
func (r Row) Len() int { return len(r.tuple) }

// At returns column i, 0 <= i < Len().
func (r Row) At(i int) Value {
	if r.filled != nil && r.filled[i].Filled {
		return r.filled[i]
	}
	c := &r.tuple[i]
	switch c.Kind {
	case codec.ColumnText:
		return Value{State: Present, Data: c.Data}
	case codec.ColumnBinary:
		return Value{State: Present, Data: c.Data, Binary: true}
	case codec.ColumnUnchanged:
		return Value{State: Unchanged}
	}
	if r.keyOnly && !r.rel.Columns[i].Key {
		return Value{State: Absent}
	}
	return Value{State: Null}
}

// set makes r a view of t. Field by field: building a Row value and
// copying it costs a measurable part of a pass-through change.
func (r *Row) set(t codec.Tuple, keyOnly bool, rel *codec.RelationInfo) {
	r.tuple, r.rel, r.sent, r.keyOnly, r.filled = t, rel, true, keyOnly, nil
}

// hasUnchanged reports whether a tuple has unchanged TOAST columns.
func hasUnchanged(t codec.Tuple) bool {
	for i := range t {
		if t[i].Kind == codec.ColumnUnchanged {
			return true
		}
	}
	return false
}

// fillUnchanged fills the unchanged columns of c.New: from a full old row
// when there is one (the server flattens TOAST in it, so it has every
// value), else through the caller's hook. Columns neither can fill stay
// Unchanged. buf is reused for the filled values.
func fillUnchanged(c *Change, hook func(c *Change, col int) (Value, bool), buf []Value) []Value {
	n := c.New.Len()
	if cap(buf) < n {
		buf = make([]Value, n)
	}
	buf = buf[:n]
	clear(buf)
	full := c.OldKind == codec.OldFull && c.Old.Len() == n
	for i := 0; i < n; i++ {
		if c.New.tuple[i].Kind != codec.ColumnUnchanged {
			continue
		}
		if full {
			if v := c.Old.At(i); v.State == Present || v.State == Null {
				v.Filled = true
				buf[i] = v
				continue
			}
		}
		if hook != nil {
			if v, ok := hook(c, i); ok && (v.State == Present || v.State == Null) {
				v.Filled = true
				buf[i] = v
			}
		}
	}
	c.New.filled = buf
	return buf
}
