package wal2json

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/value"
)

// Feeder drives a Writer from a plain sequence of pgoutput messages, as a
// session without streaming or two-phase sends them: Relation and Type
// messages, Begin … Commit, and non-transactional logical messages. It
// holds a transaction's messages until its Commit, which says the
// transaction's end LSN that wal2json prints at its start.
type Feeder struct {
	// PrimaryKey, if set, names a table's primary key columns for
	// include-pk (ok false: no primary key). Without it a table's key
	// columns are its primary key under REPLICA IDENTITY DEFAULT, and
	// other tables have none.
	PrimaryKey func(schema, table string) (columns []string, ok bool)

	w     *Writer
	cache codec.RelationCache
	rels  map[uint32]*Relation

	inTxn   bool
	begin   Begin
	pending []pendingItem
}

type pendingItem struct {
	lsn  lsn.LSN
	msg  codec.Message
	rel  *Relation
	rels []*Relation // a Truncate's
}

// NewFeeder returns a Feeder writing to w.
func NewFeeder(w *Writer) *Feeder {
	return &Feeder{w: w, rels: map[uint32]*Relation{}}
}

// ErrUnsupportedMessage is a pgoutput message Feeder does not handle
// (streamed and prepared transactions).
var ErrUnsupportedMessage = errors.New("wal2json: unsupported pgoutput message")

// Apply takes the next message; walStart is its XLogData's WALStart, the
// WAL position of a change (wal2json's "lsn" of a change in format 2).
func (f *Feeder) Apply(m codec.Message, walStart lsn.LSN) error {
	switch m := m.(type) {
	case *codec.Relation:
		f.cache.Apply(m)
		return f.relation(m.RelationID)
	case *codec.Type:
		f.cache.Apply(m)
		if f.w.Types != nil {
			f.w.Types.ApplyType(m)
		}
		return nil
	case *codec.Begin:
		if f.inTxn {
			return fmt.Errorf("%w: Begin inside a transaction", ErrSequence)
		}
		f.inTxn = true
		f.begin = Begin{Xid: m.Xid, CommitLSN: m.FinalLSN, CommitTime: m.CommitTime}
		f.pending = f.pending[:0]
		return nil
	case *codec.Origin:
		f.begin.Origin = string(m.Name)
		return nil
	case *codec.Insert, *codec.Update, *codec.Delete:
		if !f.inTxn {
			return fmt.Errorf("%w: row change outside a transaction", ErrSequence)
		}
		info, err := f.cache.Resolve(m)
		if err != nil {
			return err
		}
		f.pending = append(f.pending, pendingItem{lsn: walStart, msg: codec.Clone(m), rel: f.rels[info.ID]})
		return nil
	case *codec.Truncate:
		if !f.inTxn {
			return fmt.Errorf("%w: Truncate outside a transaction", ErrSequence)
		}
		it := pendingItem{lsn: walStart, msg: codec.Clone(m)}
		for _, id := range m.RelationIDs {
			r, ok := f.rels[id]
			if !ok {
				return fmt.Errorf("wal2json: truncate of relation %d: %w", id, codec.ErrUnknownRelation)
			}
			it.rels = append(it.rels, r)
		}
		f.pending = append(f.pending, it)
		return nil
	case *codec.LogicalMessage:
		if !m.Transactional() {
			return f.w.Message(&Message{LSN: m.LSN, Prefix: m.Prefix, Content: m.Content})
		}
		if !f.inTxn {
			return fmt.Errorf("%w: transactional message outside a transaction", ErrSequence)
		}
		f.pending = append(f.pending, pendingItem{lsn: walStart, msg: codec.Clone(m)})
		return nil
	case *codec.Commit:
		if !f.inTxn {
			return fmt.Errorf("%w: Commit outside a transaction", ErrSequence)
		}
		f.inTxn = false
		f.begin.EndLSN = m.EndLSN
		return f.flush()
	}
	return fmt.Errorf("%w: %T", ErrUnsupportedMessage, m)
}

func (f *Feeder) flush() error {
	w := f.w
	if err := w.Begin(&f.begin); err != nil {
		return err
	}
	var c Change
	for _, it := range f.pending {
		var err error
		switch m := it.msg.(type) {
		case *codec.Insert:
			c = Change{Kind: Insert, LSN: it.lsn, Relation: it.rel, New: m.New}
			err = w.Change(&c)
		case *codec.Update:
			c = Change{Kind: Update, LSN: it.lsn, Relation: it.rel, New: m.New, OldKind: m.OldKind, Old: m.Old}
			err = w.Change(&c)
		case *codec.Delete:
			c = Change{Kind: Delete, LSN: it.lsn, Relation: it.rel, OldKind: m.OldKind, Old: m.Old}
			err = w.Change(&c)
		case *codec.Truncate:
			err = w.Truncate(&Truncate{LSN: it.lsn, Relations: it.rels, Options: m.Options})
		case *codec.LogicalMessage:
			err = w.Message(&Message{LSN: m.LSN, Transactional: true, Prefix: m.Prefix, Content: m.Content})
		}
		if err != nil {
			return err
		}
	}
	f.pending = f.pending[:0]
	return w.Commit()
}

// relation snapshots the cached relation id as a Relation; a change keeps
// the snapshot taken before it, so a relation described again later in the
// transaction does not change it.
func (f *Feeder) relation(id uint32) error {
	info, ok := f.cache.Relation(id)
	if !ok {
		return fmt.Errorf("wal2json: relation %d: %w", id, codec.ErrUnknownRelation)
	}
	r := FromRelationInfo(info, &f.cache)
	if f.PrimaryKey != nil {
		names, ok := f.PrimaryKey(r.Schema, r.Table)
		r.PrimaryKey = []int{}
		if ok {
			for _, n := range names {
				for i := range r.Columns {
					if r.Columns[i].Name == n {
						r.PrimaryKey = append(r.PrimaryKey, i)
					}
				}
			}
		}
	}
	f.rels[id] = r
	return nil
}

// FromRelationInfo makes a Relation of a RelationCache's description,
// naming types that are not built in from the cache's Type messages, or,
// without a cache (or a Type message there), from the column's TypeName
// ("schema.name" as a RelationCache or txn spells it).
func FromRelationInfo(info *codec.RelationInfo, cache *codec.RelationCache) *Relation {
	r := &Relation{Schema: info.Namespace, Table: info.Name, ReplicaIdentity: info.ReplicaIdentity,
		Columns: make([]Column, len(info.Columns))}
	if r.Schema == "" {
		r.Schema = "pg_catalog"
	}
	for i, c := range info.Columns {
		col := Column{Name: c.Name, TypeOID: c.TypeOID, TypeMod: c.TypeMod, Key: c.Key}
		if _, builtin := value.Lookup(c.TypeOID); !builtin {
			var t codec.TypeInfo
			ok := cache != nil
			if ok {
				t, ok = cache.Type(c.TypeOID)
			}
			switch dot := strings.LastIndexByte(c.TypeName, '.'); {
			case ok:
				col.TypeSchema, col.TypeName = t.Namespace, t.Name
			case cache == nil && dot >= 0:
				col.TypeSchema, col.TypeName = c.TypeName[:dot], c.TypeName[dot+1:]
			case cache == nil:
				col.TypeName = c.TypeName
			}
		}
		r.Columns[i] = col
	}
	return r
}
