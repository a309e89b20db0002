package value

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/pgwal/pgwal/codec"
)

var (
	// ErrUnknownType: no type with this OID is known (see Lookup).
	ErrUnknownType = errors.New("unknown type OID")
	// ErrMalformed: the bytes are not a valid value of the type in that
	// form (binary: wrong length, bad header; text: a syntax error).
	ErrMalformed = errors.New("malformed value")
	// ErrRange: the value does not fit the Go type asked for.
	ErrRange = errors.New("value out of range")
	// ErrWrongType: the accessor does not apply to the type.
	ErrWrongType = errors.New("wrong type for this accessor")
)

// Error is a value that could not be rendered or decoded: which type, what
// was being done, and why (one of the sentinels above, possibly wrapping a
// more specific cause).
type Error struct {
	OID  uint32
	Type string // the type's name, "" when unknown
	Op   string // e.g. "binary to text", "decode int8"
	Err  error
}

func (e *Error) Error() string {
	name := e.Type
	if name == "" {
		name = "OID " + strconv.FormatUint(uint64(e.OID), 10)
	} else {
		name += " (OID " + strconv.FormatUint(uint64(e.OID), 10) + ")"
	}
	return "value: " + e.Op + " " + name + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// malformed returns the error for bad bytes of type t; what says what is
// wrong with them. The error path may allocate; the good path does not.
func malformed(t *Type, op, format string, args ...any) error {
	return &Error{OID: t.OID, Type: t.Name, Op: op, Err: fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)}
}

// Category is PostgreSQL's type category (pg_type.typcategory), which
// decides how a value is rendered in JSON.
type Category byte

const (
	CategoryArray     Category = 'A'
	CategoryBoolean   Category = 'B'
	CategoryComposite Category = 'C'
	CategoryDateTime  Category = 'D'
	CategoryEnum      Category = 'E'
	CategoryGeometric Category = 'G'
	CategoryNetwork   Category = 'I'
	CategoryNumeric   Category = 'N'
	CategoryPseudo    Category = 'P'
	CategoryRange     Category = 'R'
	CategoryString    Category = 'S'
	CategoryTimespan  Category = 'T'
	CategoryUser      Category = 'U'
	CategoryBitString Category = 'V'
	CategoryUnknown   Category = 'X'
)

// Type describes one type: what PostgreSQL calls it, and how its binary
// form becomes text.
type Type struct {
	OID      uint32
	Name     string   // pg_type.typname, e.g. "int8", "_int4", "timestamptz"
	Category Category // pg_type.typcategory
	Elem     uint32   // the element type of an array type (0 otherwise)
	Array    uint32   // the array type of this type (0 if none)
	Base     uint32   // for a domain, the built-in type it is over, at any depth (0 otherwise)
	// BinaryToText appends the text form of a binary value; typmod is the
	// column's type modifier (-1 for none).
	BinaryToText func(dst []byte, t *Type, typmod int32, src []byte) ([]byte, error)
	// Decode returns the value as a Go value (the type's natural one:
	// int64, float64, Numeric, time.Time, ...) from either form.
	Decode func(t *Type, kind codec.ColumnKind, typmod int32, src []byte) (any, error)
}

// maxBuiltinOID bounds the OIDs of the built-in types registered here:
// PostgreSQL assigns them below 10000 (FirstGenbkiObjectId).
const maxBuiltinOID = 10000

// The built-in types by OID and by pg_type name.
var (
	builtin       [maxBuiltinOID]*Type
	builtinByName = map[string]*Type{}
)

// register adds built-in types; the family files call it from init.
func register(ts ...*Type) {
	for _, t := range ts {
		if t.OID == 0 || t.OID >= maxBuiltinOID || builtin[t.OID] != nil || builtinByName[t.Name] != nil {
			panic("value: bad or duplicate built-in type " + t.Name)
		}
		builtin[t.OID] = t
		builtinByName[t.Name] = t
	}
}

// Lookup returns the built-in type with this OID.
func Lookup(oid uint32) (*Type, bool) {
	if oid < maxBuiltinOID {
		if t := builtin[oid]; t != nil {
			return t, true
		}
	}
	return nil, false
}

// LookupName returns the built-in type with this pg_type name ("int4",
// "_text", "timestamptz").
func LookupName(name string) (*Type, bool) {
	t, ok := builtinByName[name]
	return t, ok
}

// typeOf is Lookup for the accessors: an unknown OID is ErrUnknownType.
func typeOf(oid uint32, op string) (*Type, error) {
	t, ok := Lookup(oid)
	if !ok {
		return nil, unknown(oid, op)
	}
	return t, nil
}

// wrongType is the error of an accessor that does not apply to t.
func wrongType(t *Type, op string) error {
	return &Error{OID: t.OID, Type: t.Name, Op: op, Err: ErrWrongType}
}

func unknown(oid uint32, op string) error {
	return &Error{OID: oid, Op: op, Err: ErrUnknownType}
}

// AppendText appends to dst the text PostgreSQL's output function prints
// for a value of type oid (with typmod, -1 for none) whose binary form is
// src, as pgoutput sends it with binary 'true'.
func AppendText(dst []byte, oid uint32, typmod int32, src []byte) ([]byte, error) {
	t, ok := Lookup(oid)
	if !ok || t.BinaryToText == nil {
		return dst, unknown(oid, "binary to text")
	}
	return t.BinaryToText(dst, t, typmod, src)
}

// Decode returns a column value as a Go value: the type's natural one
// (see each type's documentation), from the text or the binary form. A
// NULL (codec.ColumnNull) is nil; an unchanged TOAST value
// (codec.ColumnUnchanged) is ErrUnchanged.
func Decode(oid uint32, kind codec.ColumnKind, typmod int32, src []byte) (any, error) {
	switch kind {
	case codec.ColumnNull:
		return nil, nil
	case codec.ColumnUnchanged:
		return nil, &Error{OID: oid, Op: "decode", Err: ErrUnchanged}
	}
	t, ok := Lookup(oid)
	if !ok || t.Decode == nil {
		return nil, unknown(oid, "decode")
	}
	return t.Decode(t, kind, typmod, src)
}

// ErrUnchanged: the column is an unchanged TOAST value, which pgoutput does
// not send.
var ErrUnchanged = errors.New("unchanged TOAST value (not sent)")
