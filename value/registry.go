package value

import "github.com/pgwal/pgwal/codec"

// Registry adds types that are not built in: domains over a known type,
// and types whose binary form is their text (enums, and extension types
// such as citext that send their text). Lookups fall back to the built-in
// types. The zero Registry is ready; it is not safe for concurrent
// registration, but lookups may run concurrently once it is filled.
type Registry struct {
	types map[uint32]*Type
}

// RegisterDomain makes oid a domain over base: its values are rendered
// and decoded as base's. (pgoutput's Relation message names a column's
// own type OID, the domain's for a domain column.)
func (r *Registry) RegisterDomain(oid, base uint32, name string) error {
	b, ok := r.Lookup(base)
	if !ok {
		return unknown(base, "register domain over")
	}
	d := *b
	d.OID, d.Name, d.Array, d.Elem = oid, name, 0, 0
	r.add(&d)
	return nil
}

// RegisterText makes oid a type whose binary form is its text, as enums
// (pg_enum labels) and some extension types send it.
func (r *Registry) RegisterText(oid uint32, name string, category Category) {
	if category == 0 {
		category = CategoryUser
	}
	r.add(&Type{OID: oid, Name: name, Category: category,
		BinaryToText: func(dst []byte, _ *Type, _ int32, src []byte) ([]byte, error) { return append(dst, src...), nil },
		Decode:       func(_ *Type, _ codec.ColumnKind, _ int32, src []byte) (any, error) { return string(src), nil },
	})
}

// Register adds a type described in full (a user's own renderer).
func (r *Registry) Register(t *Type) { r.add(t) }

func (r *Registry) add(t *Type) {
	if r.types == nil {
		r.types = map[uint32]*Type{}
	}
	r.types[t.OID] = t
}

// Lookup returns the registered or built-in type with this OID.
func (r *Registry) Lookup(oid uint32) (*Type, bool) {
	if r != nil {
		if t, ok := r.types[oid]; ok {
			return t, true
		}
	}
	return Lookup(oid)
}

// AppendText is AppendText with the registry's types.
func (r *Registry) AppendText(dst []byte, oid uint32, typmod int32, src []byte) ([]byte, error) {
	t, ok := r.Lookup(oid)
	if !ok || t.BinaryToText == nil {
		return dst, unknown(oid, "binary to text")
	}
	return t.BinaryToText(dst, t, typmod, src)
}
