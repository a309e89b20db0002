package value

import (
	"github.com/pgwal/pgwal/codec"
)

// The string types. Under client_encoding UTF8 their binary form is the
// text itself (textsend and friends send the bytes pq_sendtext converts to
// the client encoding), so rendering is a copy; "char" is the exception: one
// raw byte, which charout escapes when it is not ASCII.

const (
	strOIDText     = 25
	strOIDVarchar  = 1043
	strOIDBpchar   = 1042
	strOIDName     = 19
	strOIDChar     = 18
	strOIDUnknown  = 705
	strOIDBytea    = 17
	strOIDJSON     = 114
	strOIDJSONB    = 3802
	strOIDJSONPath = 4072
	strOIDXML      = 142
)

func init() {
	register(
		&Type{OID: strOIDText, Name: "text", Category: CategoryString, Array: 1009, BinaryToText: strCopy, Decode: strDecodeString},
		&Type{OID: strOIDVarchar, Name: "varchar", Category: CategoryString, Array: 1015, BinaryToText: strCopy, Decode: strDecodeString},
		// bpchar keeps its blank padding in both forms, as bpcharout does.
		&Type{OID: strOIDBpchar, Name: "bpchar", Category: CategoryString, Array: 1014, BinaryToText: strCopy, Decode: strDecodeString},
		// pg_type gives name a typelem ("char", for subscripting); it is not
		// an array type, so Elem stays 0.
		&Type{OID: strOIDName, Name: "name", Category: CategoryString, Array: 1003, BinaryToText: strCopy, Decode: strDecodeString},
		// "char" is category Z (internal) from PostgreSQL 15 on, S before.
		&Type{OID: strOIDChar, Name: "char", Category: Category('Z'), Array: 1002, BinaryToText: strCharToText, Decode: strDecodeChar},
		&Type{OID: strOIDUnknown, Name: "unknown", Category: CategoryUnknown, BinaryToText: strCopy, Decode: strDecodeString},
	)
}

// strKind rejects the column kinds that carry no value.
func strKind(t *Type, op string, kind codec.ColumnKind) error {
	switch kind {
	case codec.ColumnText, codec.ColumnBinary:
		return nil
	case codec.ColumnUnchanged:
		return &Error{OID: t.OID, Type: t.Name, Op: op, Err: ErrUnchanged}
	case codec.ColumnNull:
		return malformed(t, op, "NULL has no value")
	}
	return malformed(t, op, "column kind %q", byte(kind))
}

func strCopy(dst []byte, _ *Type, _ int32, src []byte) ([]byte, error) {
	return append(dst, src...), nil
}

// strIsText reports the types whose value is their text, in both forms.
func strIsText(oid uint32) bool {
	switch oid {
	case strOIDText, strOIDVarchar, strOIDBpchar, strOIDName, strOIDUnknown, strOIDJSON, strOIDXML:
		return true
	}
	return false
}

// Text returns a view of a string-like value's text: text, varchar, bpchar
// (with its padding), name, unknown, json, jsonb, jsonpath and xml, from
// either form (binary jsonb and jsonpath without their version byte). For
// "char" it is the raw byte (empty for the NUL "char") from the binary
// form, and the server's text (possibly an escape like \351) from the text
// form; Char decodes both. The view aliases src and allocates nothing.
func Text(oid uint32, kind codec.ColumnKind, src []byte) ([]byte, error) {
	if (oid == 25 || oid == 1043) && (kind == codec.ColumnText || kind == codec.ColumnBinary) {
		return src, nil // text and varchar: the bytes are the value in both forms
	}
	return textOf(oid, kind, src)
}

func textOf(oid uint32, kind codec.ColumnKind, src []byte) ([]byte, error) {
	const op = "text"
	t, err := typeOf(oid, op)
	if err != nil {
		return nil, err
	}
	if err := strKind(t, op, kind); err != nil {
		return nil, err
	}
	switch {
	case strIsText(oid):
		return src, nil
	case oid == strOIDJSONB || oid == strOIDJSONPath:
		if kind == codec.ColumnBinary {
			return strVersioned(t, op, src)
		}
		return src, nil
	case oid == strOIDChar:
		if kind == codec.ColumnBinary {
			if len(src) != 1 {
				return nil, malformed(t, op, "%d bytes, want 1", len(src))
			}
			if src[0] == 0 {
				return src[:0], nil
			}
		}
		return src, nil
	}
	return nil, wrongType(t, op)
}

func strDecodeString(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	// One allocation: the string owns its bytes, unlike the Text view.
	b, err := Text(t.OID, kind, src)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// AppendTextBinary appends the binary form of a string-like value (see
// Text) whose text is v: v itself, after a version byte for jsonb and
// jsonpath. For "char" v is the one byte of the value (empty for NUL).
func AppendTextBinary(dst []byte, oid uint32, v []byte) ([]byte, error) {
	const op = "encode text binary"
	t, err := typeOf(oid, op)
	if err != nil {
		return dst, err
	}
	switch {
	case strIsText(oid):
		return append(dst, v...), nil
	case oid == strOIDJSONB || oid == strOIDJSONPath:
		return append(append(dst, 1), v...), nil
	case oid == strOIDChar:
		switch len(v) {
		case 0:
			return append(dst, 0), nil
		case 1:
			return append(dst, v[0]), nil
		}
		return dst, &Error{OID: t.OID, Type: t.Name, Op: op, Err: ErrRange}
	}
	return dst, wrongType(t, op)
}

// Char returns the byte of a "char" value from either form (0 for the
// empty "char"); the text form may be charout's \ooo escape.
func Char(oid uint32, kind codec.ColumnKind, src []byte) (byte, error) {
	const op = "char"
	t, err := typeOf(oid, op)
	if err != nil {
		return 0, err
	}
	if oid != strOIDChar {
		return 0, wrongType(t, op)
	}
	if err := strKind(t, op, kind); err != nil {
		return 0, err
	}
	if kind == codec.ColumnBinary {
		if len(src) != 1 {
			return 0, malformed(t, op, "%d bytes, want 1", len(src))
		}
		return src[0], nil
	}
	// charin: a four-byte \ooo is an escaped byte; otherwise the first byte.
	if len(src) == 4 && src[0] == '\\' && strIsOctal(src[1]) && strIsOctal(src[2]) && strIsOctal(src[3]) {
		return (src[1]-'0')<<6 | (src[2]-'0')<<3 | (src[3] - '0'), nil
	}
	if len(src) == 0 {
		return 0, nil
	}
	return src[0], nil
}

func strIsOctal(c byte) bool { return c >= '0' && c <= '7' }

func strDecodeChar(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	return Char(t.OID, kind, src)
}

// AppendCharText appends the text charout prints for the "char" c:
// nothing for 0, an ASCII byte as itself, any other as \ooo (PostgreSQL
// 15 and later; 14 printed the raw byte).
func AppendCharText(dst []byte, c byte) []byte {
	switch {
	case c == 0:
		return dst
	case c < 0x80:
		return append(dst, c)
	}
	return append(dst, '\\', '0'+(c>>6), '0'+((c>>3)&7), '0'+(c&7))
}

func strCharToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	if len(src) != 1 {
		return dst, malformed(t, "binary to text", "%d bytes, want 1", len(src))
	}
	return AppendCharText(dst, src[0]), nil
}
