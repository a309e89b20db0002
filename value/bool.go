package value

import (
	"github.com/pgwal/pgwal/codec"
)

func init() {
	register(&Type{OID: 16, Name: "bool", Category: CategoryBoolean, Array: 1000,
		BinaryToText: func(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
			v, err := Bool(t.OID, codec.ColumnBinary, src)
			if err != nil {
				return dst, err
			}
			return AppendBoolText(dst, v), nil
		},
		Decode: func(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
			return Bool(t.OID, kind, src)
		},
	})
}

// Bool returns the value of a bool column in either form. Binary is one
// byte, any non-zero byte true (as boolrecv reads it); text is what boolin
// accepts: t/f, true/false, yes/no, on/off, 1/0 and their unambiguous
// prefixes, in any case, with surrounding white space.
func Bool(oid uint32, kind codec.ColumnKind, src []byte) (bool, error) {
	if oid == 16 && kind == codec.ColumnBinary && len(src) == 1 {
		return src[0] != 0, nil
	}
	return boolOf(oid, kind, src)
}

func boolOf(oid uint32, kind codec.ColumnKind, src []byte) (bool, error) {
	const op = "decode bool"
	t, err := typeOf(oid, op)
	if err != nil {
		return false, err
	}
	if oid != 16 {
		return false, wrongType(t, op)
	}
	if err := numKind(t, op, kind); err != nil {
		return false, err
	}
	if kind == codec.ColumnBinary {
		if len(src) != 1 {
			return false, malformed(t, op, "%d bytes, want 1", len(src))
		}
		return src[0] != 0, nil
	}
	s := numTrimSpace(src)
	if len(s) > 0 && len(s) <= 5 {
		var low [5]byte
		for i, c := range s {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			low[i] = c
		}
		w := low[:len(s)]
		switch {
		case numPrefix(w, "true", 1), numPrefix(w, "yes", 1), numPrefix(w, "on", 2), string(w) == "1":
			return true, nil
		case numPrefix(w, "false", 1), numPrefix(w, "no", 1), numPrefix(w, "off", 2), string(w) == "0":
			return false, nil
		}
	}
	return false, malformed(t, op, "text %q is not a boolean", src)
}

// numPrefix: w is a prefix of word at least min bytes long.
func numPrefix(w []byte, word string, min int) bool {
	return len(w) >= min && len(w) <= len(word) && string(w) == word[:len(w)]
}

// AppendBoolBinary appends the binary form of v.
func AppendBoolBinary(dst []byte, v bool) []byte {
	if v {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// AppendBoolText appends the text the server prints for v: t or f.
func AppendBoolText(dst []byte, v bool) []byte {
	if v {
		return append(dst, 't')
	}
	return append(dst, 'f')
}
