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
	fill    *filler // a change's new row: fills unchanged columns when asked
}

// Sent reports whether the server sent the row at all (an Update carries
// an old row only under REPLICA IDENTITY FULL or when a key changed).
func (r Row) Sent() bool { return r.sent }

// Len returns the number of columns (0 for a row not sent).
func (r Row) Len() int { return len(r.tuple) }

// At returns column i, 0 <= i < Len().
func (r Row) At(i int) Value {
	c := &r.tuple[i]
	switch c.Kind {
	case codec.ColumnText:
		return Value{State: Present, Data: c.Data}
	case codec.ColumnBinary:
		return Value{State: Present, Data: c.Data, Binary: true}
	case codec.ColumnUnchanged:
		if r.fill != nil {
			return r.fill.at(i)
		}
		return Value{State: Unchanged}
	}
	if r.keyOnly && !r.rel.Columns[i].Key {
		return Value{State: Absent}
	}
	return Value{State: Null}
}

// set makes r a view of t. Field by field: building a Row value and
// copying it costs a measurable part of a pass-through change.
func (r *Row) set(t codec.Tuple, keyOnly bool, rel *codec.RelationInfo, fill *filler) {
	r.tuple, r.rel, r.sent, r.keyOnly, r.fill = t, rel, true, keyOnly, fill
}

// filler fills the unchanged TOAST columns of the current change's new
// row: from a full old row when there is one (the server flattens TOAST
// in it, so it has every value), else through the caller's hook. Columns
// neither can fill stay Unchanged. It works when a column is read rather
// than for every change, so a change without unchanged columns costs no
// scan of its row; each column is resolved once per change.
type filler struct {
	c     *Change
	hook  func(c *Change, col int) (Value, bool)
	fresh bool    // set per change: vals holds nothing of this change yet
	vals  []Value // per column, once resolved
	done  []bool
}

// reset forgets the previous change's columns.
func (f *filler) reset() { f.fresh = true }

func (f *filler) at(i int) Value {
	n := f.c.New.Len()
	if f.fresh {
		if cap(f.vals) < n {
			f.vals, f.done = make([]Value, n), make([]bool, n)
		}
		f.vals, f.done = f.vals[:n], f.done[:n]
		clear(f.done)
		f.fresh = false
	}
	if f.done[i] {
		return f.vals[i]
	}
	v := Value{State: Unchanged}
	if f.c.OldKind == codec.OldFull && f.c.Old.Len() == n {
		if o := f.c.Old.At(i); o.State == Present || o.State == Null {
			v, v.Filled = o, true
		}
	}
	if !v.Filled && f.hook != nil {
		// Resolved as Unchanged first: a hook that reads the column gets
		// that, not itself again.
		f.vals[i], f.done[i] = v, true
		if h, ok := f.hook(f.c, i); ok && (h.State == Present || h.State == Null) {
			v, v.Filled = h, true
		}
	}
	f.vals[i], f.done[i] = v, true
	return v
}
