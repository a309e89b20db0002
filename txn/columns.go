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

// Row is a row's columns in the relation's attribute order.
type Row []Value

// rowFrom converts a tuple into dst (reusing its capacity). keyOnly marks
// a 'K' old tuple, whose non-key columns are placeholders.
func rowFrom(dst Row, t codec.Tuple, keyOnly bool, rel *codec.RelationInfo) Row {
	if cap(dst) < len(t) {
		dst = make(Row, len(t))
	}
	dst = dst[:len(t)]
	for i := range t {
		v := Value{}
		switch t[i].Kind {
		case codec.ColumnNull:
			v.State = Null
			if keyOnly && !rel.Columns[i].Key {
				v.State = Absent
			}
		case codec.ColumnUnchanged:
			v.State = Unchanged
		case codec.ColumnText:
			v.State, v.Data = Present, t[i].Data
		case codec.ColumnBinary:
			v.State, v.Data, v.Binary = Present, t[i].Data, true
		}
		dst[i] = v
	}
	return dst
}

// fillUnchanged fills the unchanged columns of c.New: from a full old row
// when there is one (the server flattens TOAST in it, so it has every
// value), else through the caller's hook. Columns neither can fill stay
// Unchanged.
func fillUnchanged(c *Change, hook func(c *Change, col int) (Value, bool)) {
	full := c.OldKind == codec.OldFull && len(c.Old) == len(c.New)
	for i := range c.New {
		if c.New[i].State != Unchanged {
			continue
		}
		if full && (c.Old[i].State == Present || c.Old[i].State == Null) {
			c.New[i] = c.Old[i]
			c.New[i].Filled = true
			continue
		}
		if hook != nil {
			if v, ok := hook(c, i); ok && (v.State == Present || v.State == Null) {
				v.Filled = true
				c.New[i] = v
			}
		}
	}
}
