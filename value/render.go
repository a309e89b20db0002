package value

import (
	"encoding/binary"
	"unicode/utf8"

	"github.com/pgwal/pgwal/codec"
)

// Renderer renders column values as JSON, by one convention: integers, floats
// and numerics (int2, int4, int8, oid, float4, float8, numeric) are JSON
// numbers, except NaN and ±Infinity, which are strings as PostgreSQL
// prints them; bool is true or false; NULL is null; everything else,
// json and jsonb included, is a JSON string of the value's text form (as
// wal2json and Debezium do: embedding json would make its literal null
// look like SQL NULL), unless EmbedJSON is set. A text and a binary column
// of the same value give the same JSON, and a domain registered in Types
// follows its base type.
//
// A Renderer reuses one scratch buffer, so rendering allocates nothing once it
// has grown; it is not safe for concurrent use.
type Renderer struct {
	// EmbedJSON writes json and jsonb values as JSON, not as strings.
	EmbedJSON bool
	// Types, if set, adds user types (domains, enums) to the built-in ones.
	Types   *Registry
	scratch []byte
}

// AppendJSON appends the JSON for one column value of type oid (typmod, -1
// for none) sent as kind. An unchanged TOAST value (codec.ColumnUnchanged)
// is an error matching ErrUnchanged: the value is not known.
func (j *Renderer) AppendJSON(dst []byte, oid uint32, typmod int32, kind codec.ColumnKind, src []byte) ([]byte, error) {
	var text []byte
	switch kind {
	case codec.ColumnNull:
		return append(dst, "null"...), nil
	case codec.ColumnUnchanged:
		return dst, &Error{OID: oid, Op: "JSON", Err: ErrUnchanged}
	case codec.ColumnText:
		text = src
	default:
		var err error
		j.scratch, err = j.Types.AppendText(j.scratch[:0], oid, typmod, src)
		if err != nil {
			return dst, err
		}
		text = j.scratch
	}
	conv := oid
	if j.Types != nil && (oid >= maxBuiltinOID || j.Types.low) {
		// A domain follows its base type: a domain over int4 is a number.
		if t, ok := j.Types.Lookup(oid); ok && t.Base != 0 {
			conv = t.Base
		}
	}
	switch conv {
	case oidInt2, oidInt4, oidInt8, oidOID, oidFloat4, oidFloat8, oidNumeric:
		if isJSONNumber(text) {
			return append(dst, text...), nil
		}
	case oidBool:
		if len(text) == 1 {
			switch text[0] {
			case 't':
				return append(dst, "true"...), nil
			case 'f':
				return append(dst, "false"...), nil
			}
		}
	case oidJSON, oidJSONB:
		if j.EmbedJSON {
			return append(dst, text...), nil
		}
	}
	return AppendJSONString(dst, text), nil
}

// OIDs the JSON convention names.
const (
	oidBool    = 16
	oidInt8    = 20
	oidInt2    = 21
	oidInt4    = 23
	oidOID     = 26
	oidJSON    = 114
	oidFloat4  = 700
	oidFloat8  = 701
	oidNumeric = 1700
	oidJSONB   = 3802
)

// isJSONNumber reports whether b is a JSON number (PostgreSQL prints NaN,
// Infinity and -Infinity, which are not).
func isJSONNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	start := i
	if n := digits(); n == 0 || n > 1 && b[start] == '0' {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

const hexDigits = "0123456789abcdef"

// Byte-parallel tests on a uint64: a byte of swarOnes times c, and every
// byte's high bit.
const (
	swarOnes = 0x0101010101010101
	swarHigh = 0x8080808080808080
)

// AppendJSONString appends s as a JSON string: quotes, backslash escapes
// for '"', '\\' and control characters, and U+FFFD for bytes that are not
// UTF-8 (which a UTF8 session never sends).
func AppendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a second look: none is
		// a control character, '"', '\\' or past ASCII.
		for i+8 <= len(s) {
			x := binary.LittleEndian.Uint64(s[i:])
			q, bs := x^(swarOnes*'"'), x^(swarOnes*'\\')
			if (x|(x-swarOnes*0x20)&^x|(q-swarOnes)&^q|(bs-swarOnes)&^bs)&swarHigh != 0 {
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(s[i:])
			if r != utf8.RuneError || n != 1 {
				i += n
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
