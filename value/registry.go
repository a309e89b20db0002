package value

import "github.com/pgwal/pgwal/codec"

// Registry adds types that are not built in: domains over a known type,
// types whose binary form is their text (enums, and extension types such
// as citext that send their text), composites, and arrays, ranges and
// multiranges over any of these. Lookups fall back to the built-in types.
// The containers registered here render and decode their elements, fields
// and bounds through the Registry, so they keep a pointer to it: register
// into the Registry that is used, and do not copy it once filled. The zero
// Registry is ready; it is not safe for concurrent registration, but
// lookups may run concurrently once it is filled.
type Registry struct {
	types map[uint32]*Type
	// low is set once a type is registered under a built-in OID (below
	// maxBuiltinOID): until then a lookup of one skips the map.
	low bool
}

// RegisterDomain makes oid a domain over base: its values are rendered
// and decoded as base's. (pgoutput's Relation message names a column's
// own type OID, the domain's for a domain column.)
func (r *Registry) RegisterDomain(oid, base uint32, name string) error {
	b, ok := r.Lookup(base)
	if !ok {
		return unknown(base, "register domain over")
	}
	// The base's own functions, called with the base's Type: renderers
	// tell a type's form by its OID (int2 from int8, say).
	d := &Type{OID: oid, Name: name, Category: b.Category, Base: b.OID}
	if b.Base != 0 {
		d.Base = b.Base
	}
	if b.BinaryToText != nil {
		d.BinaryToText = func(dst []byte, _ *Type, typmod int32, src []byte) ([]byte, error) {
			return b.BinaryToText(dst, b, typmod, src)
		}
	}
	if b.Decode != nil {
		d.Decode = func(_ *Type, kind codec.ColumnKind, typmod int32, src []byte) (any, error) {
			return b.Decode(b, kind, typmod, src)
		}
	}
	r.add(d)
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
	r.low = r.low || t.OID < maxBuiltinOID
}

// Lookup returns the registered or built-in type with this OID.
func (r *Registry) Lookup(oid uint32) (*Type, bool) {
	if r != nil && (oid >= maxBuiltinOID || r.low) {
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

// Decode is Decode with the registry's types.
func (r *Registry) Decode(oid uint32, kind codec.ColumnKind, typmod int32, src []byte) (any, error) {
	switch kind {
	case codec.ColumnNull:
		return nil, nil
	case codec.ColumnUnchanged:
		return nil, &Error{OID: oid, Op: "decode", Err: ErrUnchanged}
	}
	t, ok := r.Lookup(oid)
	if !ok || t.Decode == nil {
		return nil, unknown(oid, "decode")
	}
	return t.Decode(t, kind, typmod, src)
}

// DecodeArray is DecodeArray with the registry's types (the text form of
// an array needs its type to be known).
func (r *Registry) DecodeArray(oid uint32, kind codec.ColumnKind, src, scratch []byte) (Array, error) {
	return decodeArray(r, oid, kind, src, scratch)
}

// arrayDelim is the delimiter of arrays of elem: a domain's is its base
// type's.
func (r *Registry) arrayDelim(elem uint32) byte {
	if r != nil && elem >= maxBuiltinOID {
		if t, ok := r.Lookup(elem); ok && t.Base != 0 {
			elem = t.Base
		}
	}
	return arrayDelim(elem)
}

// RegisterComposite makes oid a composite type (a table's row type or
// CREATE TYPE ... AS): its binary form, the record format, names each
// field's type, so it renders and decodes like record, its fields with
// the registry's types (registered before or after it).
func (r *Registry) RegisterComposite(oid uint32, name string) {
	r.add(&Type{OID: oid, Name: name, Category: CategoryComposite,
		BinaryToText: func(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
			return appendRecordBinaryText(r, dst, t, src)
		},
		Decode: func(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
			return decodeRecordAny(r, t, kind, src)
		}})
}

// RegisterArray makes oid the array type over elem (pg_type.typelem), a
// type of the registry or a built-in one, looked up when a value is
// rendered: elem may be registered after it.
func (r *Registry) RegisterArray(oid, elem uint32, name string) {
	r.add(&Type{OID: oid, Name: name, Category: CategoryArray, Elem: elem,
		BinaryToText: func(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
			return appendArrayBinaryText(r, dst, t, src)
		},
		Decode: func(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
			return decodeArrayAny(r, t, kind, src)
		}})
}

// RegisterRange makes oid a range type whose bounds are of type sub
// (pg_range.rngsubtype), a type of the registry or a built-in one.
func (r *Registry) RegisterRange(oid, sub uint32, name string) {
	r.add(&Type{OID: oid, Name: name, Category: CategoryRange,
		BinaryToText: func(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
			return appendRangeBinaryText(r, dst, t, sub, src)
		},
		Decode: func(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
			rr, err := DecodeRange(t.OID, kind, src, nil)
			if err != nil {
				return nil, err
			}
			return r.decodeRange(sub, rr)
		}})
}

// RegisterMultirange makes oid a multirange type whose ranges' bounds are
// of type sub (the subtype of its range type).
func (r *Registry) RegisterMultirange(oid, sub uint32, name string) {
	r.add(&Type{OID: oid, Name: name, Category: CategoryRange,
		BinaryToText: func(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
			return appendMultirangeBinaryText(r, dst, t, sub, src)
		},
		Decode: func(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
			return decodeMultirangeAny(r, t, sub, kind, src)
		}})
}

// ApplyType learns what a pgoutput Type message can tell: for a domain,
// pgoutput sends the domain's OID with its base type's name, so a Type
// message naming a built-in type (in pg_catalog, which pgoutput sends as
// an empty namespace) under an OID that is not built in registers a domain
// over it. It reports whether it did. Enums and composites it cannot tell
// apart: register those with RegisterText and RegisterComposite.
func (r *Registry) ApplyType(m *codec.Type) bool {
	if _, ok := r.Lookup(m.TypeOID); ok || len(m.Namespace) != 0 && string(m.Namespace) != "pg_catalog" {
		return false
	}
	base, ok := LookupName(string(m.Name))
	if !ok {
		return false
	}
	return r.RegisterDomain(m.TypeOID, base.OID, string(m.Name)) == nil
}
