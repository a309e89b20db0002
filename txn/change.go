package txn

import (
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// build fills a.change from a row-level message, resolved against overlay
// (nil for none) over the base schema. xid is the change's transaction
// when the message carries no xid prefix.
func (a *Assembler) build(m codec.Message, xid uint32, at lsn.LSN, overlay *schema) error {
	switch m := m.(type) {
	case *codec.Insert:
		return a.buildInsert(m, xid, at, overlay)
	case *codec.Update:
		return a.buildUpdate(m, xid, at, overlay)
	case *codec.Delete:
		return a.buildDelete(m, xid, at, overlay)
	case *codec.Truncate:
		return a.buildTruncate(m, xid, at, overlay)
	case *codec.LogicalMessage:
		c := a.startChange(xid, m.InStream, m.Xid, at)
		c.Op, c.Relation, c.Prefix, c.Content = OpMessage, nil, m.Prefix, m.Content
		c.clearNew()
	}
	return nil
}

// startChange resets a.change for the next change and sets its xid (the
// message's own when it carries one) and LSN. Only what the previous
// change may have set is reset, and not New, which every builder sets or
// clears itself: zeroing the whole Change costs as much as decoding a row.
func (a *Assembler) startChange(xid uint32, inStream bool, msgXid uint32, at lsn.LSN) *Change {
	c := &a.change
	if c.Op == OpTruncate || c.Op == OpMessage { // the previous change set Truncated, or Prefix and Content
		c.Truncated, c.TruncateOptions, c.Prefix, c.Content = nil, 0, nil, nil
	}
	if c.Old.sent {
		c.Old = Row{}
	}
	if inStream {
		xid = msgXid
	}
	c.Xid, c.LSN, c.OldKind = xid, at, codec.OldNone
	a.fill.reset()
	return c
}

// clearNew empties New for a change that has no new row.
func (c *Change) clearNew() {
	if c.New.sent {
		c.New = Row{}
	}
}

func (a *Assembler) buildInsert(m *codec.Insert, xid uint32, at lsn.LSN, overlay *schema) error {
	c := a.startChange(xid, m.InStream, m.Xid, at)
	rel := a.last
	if overlay != nil || rel == nil || rel.ID != m.RelationID || len(rel.Columns) != len(m.New) {
		var err error
		if rel, err = a.resolve(m.RelationID, overlay, len(m.New), -1, m, at, c.Xid); err != nil {
			return err
		}
	}
	c.Op, c.Relation = OpInsert, rel
	// A row filter can turn an Update into an Insert with unchanged columns.
	c.New.set(m.New, false, rel, &a.fill)
	return nil
}

func (a *Assembler) buildUpdate(m *codec.Update, xid uint32, at lsn.LSN, overlay *schema) error {
	c := a.startChange(xid, m.InStream, m.Xid, at)
	oldN := -1
	if m.OldKind != codec.OldNone {
		oldN = len(m.Old)
	}
	rel, err := a.resolve(m.RelationID, overlay, len(m.New), oldN, m, at, c.Xid)
	if err != nil {
		return err
	}
	c.Op, c.Relation, c.OldKind = OpUpdate, rel, m.OldKind
	c.New.set(m.New, false, rel, &a.fill)
	if m.OldKind != codec.OldNone {
		c.Old.set(m.Old, m.OldKind == codec.OldKey, rel, nil)
	}
	return nil
}

func (a *Assembler) buildDelete(m *codec.Delete, xid uint32, at lsn.LSN, overlay *schema) error {
	c := a.startChange(xid, m.InStream, m.Xid, at)
	rel, err := a.resolve(m.RelationID, overlay, -1, len(m.Old), m, at, c.Xid)
	if err != nil {
		return err
	}
	c.Op, c.Relation, c.OldKind = OpDelete, rel, m.OldKind
	c.clearNew()
	c.Old.set(m.Old, m.OldKind == codec.OldKey, rel, nil)
	return nil
}

func (a *Assembler) buildTruncate(m *codec.Truncate, xid uint32, at lsn.LSN, overlay *schema) error {
	c := a.startChange(xid, m.InStream, m.Xid, at)
	a.truncBuf = a.truncBuf[:0]
	for _, id := range m.RelationIDs {
		rel, ok := relation(id, overlay, &a.base)
		if !ok {
			return &Error{Err: codec.ErrUnknownRelation, Message: codec.TypeTruncate, LSN: at, Xid: c.Xid,
				Cause: &codec.RelationError{RelationID: id, Err: codec.ErrUnknownRelation}}
		}
		a.truncBuf = append(a.truncBuf, rel)
	}
	c.Op, c.Relation, c.Truncated, c.TruncateOptions = OpTruncate, nil, a.truncBuf, m.Options
	c.clearNew()
	return nil
}

// resolve finds a change's relation and checks that its tuples have the
// relation's column count, so column i of a row is the relation's column i.
// newN and oldN are the tuples' column counts, -1 for a tuple not sent.
func (a *Assembler) resolve(id uint32, overlay *schema, newN, oldN int, m codec.Message, at lsn.LSN, xid uint32) (*codec.RelationInfo, error) {
	var rel *codec.RelationInfo
	ok := false
	switch {
	case overlay != nil:
		rel, ok = relation(id, overlay, &a.base)
	case a.last != nil && a.last.ID == id:
		rel, ok = a.last, true // the common case: the table of the previous change
	case a.prev != nil && a.prev.ID == id:
		// The one before: transactions often alternate between two
		// tables (an order and its lines).
		rel, ok = a.prev, true
		a.last, a.prev = a.prev, a.last
	default:
		if rel, ok = relation(id, nil, &a.base); ok {
			a.last, a.prev = rel, a.last
		}
	}
	if !ok {
		return nil, &Error{Err: codec.ErrUnknownRelation, Message: m.MessageType(), LSN: at, Xid: xid,
			Cause: &codec.RelationError{RelationID: id, Err: codec.ErrUnknownRelation}}
	}
	n := len(rel.Columns)
	if (newN >= 0 && newN != n) || (oldN >= 0 && oldN != n) {
		return nil, &Error{Err: codec.ErrColumnCount, Message: m.MessageType(), LSN: at, Xid: xid,
			Cause: &codec.RelationError{RelationID: id, Err: codec.ErrColumnCount}}
	}
	return rel, nil
}
