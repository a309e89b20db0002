package txn

import "github.com/pgwal/pgwal/codec"

// schema is what Relation and Type messages have said: the session's base
// schema, or the overlay of one streamed transaction. A plain
// codec.RelationCache cannot serve streamed transactions: a Relation sent
// inside a stream that is later aborted would stay in it, and changes of
// other transactions would resolve against a schema that was rolled back.
// So a streamed transaction's Relation and Type messages go into an
// overlay of its own (keyed by the top-level xid of the Stream Start,
// whatever xid prefix they carry), consulted before the base for its
// changes only, merged into the base at its Stream Commit or Stream
// Prepare and dropped at its abort.
type schema struct {
	rels  map[uint32]*codec.RelationInfo
	types map[uint32]codec.TypeInfo
}

// apply records a *codec.Relation or *codec.Type; under is the schema
// beneath this one (nil for the base), for naming types.
func (s *schema) apply(m codec.Message, under *schema) {
	switch m := m.(type) {
	case *codec.Relation:
		info := &codec.RelationInfo{
			ID:              m.RelationID,
			Namespace:       string(m.Namespace),
			Name:            string(m.Name),
			ReplicaIdentity: m.ReplicaIdentity,
			Columns:         make([]codec.ColumnInfo, len(m.Columns)),
		}
		for i := range m.Columns {
			c := &m.Columns[i]
			info.Columns[i] = codec.ColumnInfo{
				Name:     string(c.Name),
				TypeOID:  c.TypeOID,
				TypeMod:  c.TypeMod,
				Key:      c.Key(),
				TypeName: typeName(c.TypeOID, s, under),
			}
		}
		if s.rels == nil {
			s.rels = make(map[uint32]*codec.RelationInfo)
		}
		s.rels[m.RelationID] = info
	case *codec.Type:
		if s.types == nil {
			s.types = make(map[uint32]codec.TypeInfo)
		}
		s.types[m.TypeOID] = codec.TypeInfo{OID: m.TypeOID, Namespace: string(m.Namespace), Name: string(m.Name)}
	}
}

// typeName names a type as codec.RelationCache does, looking in the
// overlay, then the base, then the built-in table.
func typeName(oid uint32, s, under *schema) string {
	for _, c := range [2]*schema{s, under} {
		if c == nil {
			continue
		}
		if t, ok := c.types[oid]; ok {
			if t.Namespace == "" || t.Namespace == "pg_catalog" {
				return t.Name
			}
			return t.Namespace + "." + t.Name
		}
	}
	return codec.BuiltinTypeName(oid)
}

// mergeInto makes this overlay part of base: the transaction committed.
func (s *schema) mergeInto(base *schema) {
	for id, r := range s.rels {
		if base.rels == nil {
			base.rels = make(map[uint32]*codec.RelationInfo)
		}
		base.rels[id] = r
	}
	for id, t := range s.types {
		if base.types == nil {
			base.types = make(map[uint32]codec.TypeInfo)
		}
		base.types[id] = t
	}
	s.clear()
}

func (s *schema) clear() {
	clear(s.rels)
	clear(s.types)
}

// relation resolves a relation OID: the overlay (nil for none) first.
func relation(id uint32, overlay, base *schema) (*codec.RelationInfo, bool) {
	if overlay != nil {
		if r, ok := overlay.rels[id]; ok {
			return r, true
		}
	}
	r, ok := base.rels[id]
	return r, ok
}
