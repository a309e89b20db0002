package value

import (
	"encoding/binary"
	"math"

	"github.com/pgwal/pgwal/codec"
)

// recordOID is the anonymous record pseudo-type; the catalogs' own row
// types are the built-in composites.
const recordOID = 2249

func init() {
	register(&Type{OID: recordOID, Name: "record", Category: CategoryPseudo, Array: 2287,
		BinaryToText: recordBinaryToText, Decode: recordDecode})
	for _, c := range [...]struct {
		oid, array uint32
		name       string
	}{{71, 210, "pg_type"}, {75, 270, "pg_attribute"}, {81, 272, "pg_proc"}, {83, 273, "pg_class"}} {
		register(&Type{OID: c.oid, Name: c.name, Category: CategoryComposite, Array: c.array,
			BinaryToText: recordBinaryToText, Decode: recordDecode})
	}
}

// maxRecordFields is PostgreSQL's MaxTupleAttributeNumber.
const maxRecordFields = 1664

// Field is one field of a record: its type (0 in the text form, which
// does not carry it) and its value.
type Field struct {
	OID uint32
	codec.Column
}

// Record reads the fields of one record or composite value in order.
// DecodeRecord checks them all, so Next has no error to report; a field's Data
// aliases the source or, for a text field with quotes or escapes, the
// scratch buffer, and is valid until the next call to Next.
type Record struct {
	kind    codec.ColumnKind
	n, i    int
	src     []byte
	pos     int
	scratch []byte
}

// DecodeRecord returns a reader over the record src in form kind: binary
// (record_send: a field count, then per field its type OID, a length, -1
// for NULL, and bytes) or text (record_out: "(" fields ")"). oid, the
// composite type, only names it in errors: the binary form carries each
// field's type, and the text form none. In the text form "()" is one NULL
// field, as it is for a composite of one column (a record of none prints
// the same).
func DecodeRecord(oid uint32, kind codec.ColumnKind, src, scratch []byte) (Record, error) {
	r := Record{kind: kind, src: src, scratch: scratch[:0]}
	var why string
	switch kind {
	case codec.ColumnBinary:
		r.n, why = scanRecordBinary(src)
		r.pos = 4
	case codec.ColumnText:
		r.n, r.pos, why = scanRecordText(src, r.scratch)
	default:
		t, _ := Lookup(oid)
		return Record{}, &Error{OID: oid, Type: orOID(t, oid).Name, Op: "read record", Err: ErrWrongType}
	}
	if why != "" {
		t, _ := Lookup(oid)
		if t == nil {
			t = &Type{OID: oid, Name: "record"}
		}
		return Record{}, malformed(t, "read record", "%s", why)
	}
	return r, nil
}

// Len is the number of fields.
func (r *Record) Len() int { return r.n }

// Next returns the next field.
func (r *Record) Next() (Field, bool) {
	if r.i >= r.n {
		return Field{}, false
	}
	r.i++
	s := r.src
	if r.kind == codec.ColumnBinary {
		f := Field{OID: binary.BigEndian.Uint32(s[r.pos:])}
		l := int32(binary.BigEndian.Uint32(s[r.pos+4:]))
		r.pos += 8
		if l < 0 {
			f.Kind = codec.ColumnNull
			return f, true
		}
		f.Kind, f.Data = codec.ColumnBinary, s[r.pos:r.pos+int(l):r.pos+int(l)]
		r.pos += int(l)
		return f, true
	}
	var f Field
	var null bool
	f.Data, null, r.pos, r.scratch, _ = recordTextField(s, r.pos, r.scratch[:0])
	r.pos++ // past the , or )
	if null {
		f.Kind = codec.ColumnNull
	} else {
		f.Kind = codec.ColumnText
	}
	return f, true
}

func scanRecordBinary(src []byte) (int, string) {
	if len(src) < 4 {
		return 0, "no field count"
	}
	n := int32(binary.BigEndian.Uint32(src))
	p := src[4:]
	if n < 0 || n > maxRecordFields {
		return 0, "field count out of range"
	}
	if int(n) > len(p)/8 {
		return 0, "more fields than bytes"
	}
	for i := int32(0); i < n; i++ {
		if len(p) < 8 {
			return 0, "truncated field"
		}
		l := int32(binary.BigEndian.Uint32(p[4:]))
		p = p[8:]
		if l < -1 || int64(l) > int64(len(p)) {
			return 0, "field length out of range"
		}
		if l > 0 {
			p = p[l:]
		}
	}
	if len(p) != 0 {
		return 0, "bytes after the last field"
	}
	return int(n), ""
}

// scanRecordText checks a record's text as record_in reads it (leading
// and trailing whitespace, parentheses, fields separated by commas, an
// empty unquoted field for NULL) and returns the count of fields and the
// offset of the first.
func scanRecordText(s, scratch []byte) (n, first int, why string) {
	p := skipArraySpace(s, 0)
	if p >= len(s) || s[p] != '(' {
		return 0, 0, "missing ("
	}
	first = p + 1
	for p++; ; p++ {
		if _, _, p, scratch, why = recordTextField(s, p, scratch[:0]); why != "" {
			return 0, 0, why
		}
		if n++; n > maxRecordFields {
			return 0, 0, "too many fields"
		}
		if s[p] == ')' {
			break
		}
	}
	if skipArraySpace(s, p+1) != len(s) {
		return 0, 0, "junk after the closing parenthesis"
	}
	return n, first, ""
}

// recordTextField reads one field from s[p:] and returns the offset of
// the , or ) after it.
func recordTextField(s []byte, p int, scratch []byte) (d []byte, null bool, next int, _ []byte, why string) {
	q := p
	for ; p < len(s); p++ {
		switch s[p] {
		case '"', '\\':
			d, p, scratch, why = unescapeBound(s, q, scratch, true)
			return d, false, p, scratch, why
		case ',', ')':
			return s[q:p:p], p == q, p, scratch, ""
		}
	}
	return nil, false, p, scratch, "unterminated record"
}

// recordBinaryToText is record_out over record_send's bytes, for record
// and the composites registered here; RecordBinaryToText does it for any.
func recordBinaryToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	return appendRecordBinaryText(nil, dst, t, src)
}

// appendRecordBinaryText is recordBinaryToText rendering the fields with
// the types of reg (nil: the built-in ones).
func appendRecordBinaryText(reg *Registry, dst []byte, t *Type, src []byte) ([]byte, error) {
	n, why := scanRecordBinary(src)
	if why != "" {
		return dst, malformed(t, "binary to text", "%s", why)
	}
	return appendRecordFields(reg, dst, Record{kind: codec.ColumnBinary, n: n, src: src, pos: 4})
}

// RecordBinaryToText appends record_out's text for the binary form of a
// record or composite of any type, such as a user's composite type that
// is not built in: the binary form names each field's type, which must be
// known to AppendText.
func RecordBinaryToText(dst []byte, src []byte) ([]byte, error) {
	t, _ := Lookup(recordOID)
	return recordBinaryToText(dst, t, -1, src)
}

func appendRecordFields(reg *Registry, dst []byte, r Record) ([]byte, error) {
	orig := len(dst) // on error dst is given back as it came
	dst = append(dst, '(')
	for i := 0; ; i++ {
		f, ok := r.Next()
		if !ok {
			break
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		if f.Kind == codec.ColumnNull {
			continue
		}
		var err error
		if dst, err = reg.appendBound(dst, f.OID, f.Kind, f.Data, false); err != nil {
			return dst[:orig], err
		}
	}
	return append(dst, ')'), nil
}

// AppendRecordBinary appends record_send's bytes for fields (binary values
// or NULL).
func AppendRecordBinary(dst []byte, fields []Field) ([]byte, error) {
	if len(fields) > maxRecordFields {
		return dst, &Error{OID: recordOID, Type: "record", Op: "encode record binary", Err: ErrRange}
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(fields)))
	for _, f := range fields {
		dst = binary.BigEndian.AppendUint32(dst, f.OID)
		if f.Kind == codec.ColumnNull {
			dst = binary.BigEndian.AppendUint32(dst, math.MaxUint32)
			continue
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(f.Data)))
		dst = append(dst, f.Data...)
	}
	return dst, nil
}

// AppendRecordText appends record_out's text for fields: NULL, text, or
// binary of the field's type (rendered by AppendText).
func AppendRecordText(dst []byte, fields []Field) ([]byte, error) {
	orig := len(dst)
	dst = append(dst, '(')
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		if f.Kind == codec.ColumnNull {
			continue
		}
		var err error
		if dst, err = (*Registry)(nil).appendBound(dst, f.OID, f.Kind, f.Data, false); err != nil {
			return dst[:orig], err
		}
	}
	return append(dst, ')'), nil
}

// recordDecode returns a record as []any: binary fields as Decode returns
// them for their types, text fields (whose types the text does not say)
// as strings, NULL as nil.
func recordDecode(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	return decodeRecordAny(nil, t, kind, src)
}

// decodeRecordAny is recordDecode with the types of reg (nil: the
// built-in ones).
func decodeRecordAny(reg *Registry, t *Type, kind codec.ColumnKind, src []byte) (any, error) {
	r, err := DecodeRecord(t.OID, kind, src, nil)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, r.n)
	for {
		f, ok := r.Next()
		if !ok {
			return out, nil
		}
		switch f.Kind {
		case codec.ColumnNull:
			out = append(out, nil)
		case codec.ColumnText:
			out = append(out, string(f.Data))
		default:
			v, err := reg.Decode(f.OID, f.Kind, -1, f.Data)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
}
