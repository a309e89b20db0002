package value

import (
	"encoding/json"

	"github.com/pgwal/pgwal/codec"
)

// json, jsonb, jsonpath, xml. json and xml send their text (xml_send
// prints a declaration only for a non-UTF8 client encoding, so under UTF8
// it is xml_out's text). jsonb and jsonpath send a version byte, 1, then
// the text their output functions print: for jsonb that is the
// normalised form ({"a": 1, "b": [1, 2]}, keys sorted by length then
// bytes), which the server computed, so rendering is still a copy.

func init() {
	register(
		&Type{OID: strOIDJSON, Name: "json", Category: CategoryUser, Array: 199, BinaryToText: strCopy, Decode: strDecodeJSON},
		&Type{OID: strOIDJSONB, Name: "jsonb", Category: CategoryUser, Array: 3807, BinaryToText: strVersionedToText, Decode: strDecodeJSON},
		&Type{OID: strOIDJSONPath, Name: "jsonpath", Category: CategoryUser, Array: 4073, BinaryToText: strVersionedToText, Decode: strDecodeString},
		&Type{OID: strOIDXML, Name: "xml", Category: CategoryUser, Array: 143, BinaryToText: strCopy, Decode: strDecodeString},
	)
}

// strVersioned strips the version byte of binary jsonb or jsonpath.
func strVersioned(t *Type, op string, src []byte) ([]byte, error) {
	if len(src) == 0 {
		return nil, malformed(t, op, "no version byte")
	}
	if src[0] != 1 {
		return nil, malformed(t, op, "version %d, want 1", src[0])
	}
	return src[1:], nil
}

func strVersionedToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	b, err := strVersioned(t, "binary to text", src)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// JSON returns a view of a json or jsonb value's JSON text, from either
// form; it aliases src and allocates nothing. The text is the server's: not
// re-validated here.
func JSON(oid uint32, kind codec.ColumnKind, src []byte) ([]byte, error) {
	if oid == strOIDJSONB && kind == codec.ColumnBinary && len(src) > 0 && src[0] == 1 {
		return src[1:], nil
	}
	return jsonOf(oid, kind, src)
}

func jsonOf(oid uint32, kind codec.ColumnKind, src []byte) ([]byte, error) {
	const op = "json"
	t, err := typeOf(oid, op)
	if err != nil {
		return nil, err
	}
	if oid != strOIDJSON && oid != strOIDJSONB {
		return nil, wrongType(t, op)
	}
	return Text(oid, kind, src)
}

func strDecodeJSON(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	b, err := JSON(t.OID, kind, src)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(append([]byte(nil), b...)), nil
}

// AppendJSONBBinary appends the binary form of the jsonb whose text is v:
// the version byte and v. The server normalises it when it reads it.
func AppendJSONBBinary(dst []byte, v []byte) []byte { return append(append(dst, 1), v...) }

// AppendJSONPathBinary appends the binary form of the jsonpath whose text
// is v: the version byte and v.
func AppendJSONPathBinary(dst []byte, v []byte) []byte { return append(append(dst, 1), v...) }
