package value

import (
	"encoding/binary"
	"strconv"

	"github.com/pgwal/pgwal/codec"
)

// tsvector and tsquery, binary as tsvectorsend and tsquerysend write them,
// text as tsvectorout and tsqueryout print it. Decode gives their text as
// a string.

const (
	strOIDTSVector = 3614
	strOIDTSQuery  = 3615
)

func init() {
	register(
		&Type{OID: strOIDTSVector, Name: "tsvector", Category: CategoryUser, Array: 3643, BinaryToText: strTSVectorToText, Decode: strDecodeTS},
		&Type{OID: strOIDTSQuery, Name: "tsquery", Category: CategoryUser, Array: 3645, BinaryToText: strTSQueryToText, Decode: strDecodeTS},
	)
}

func strDecodeTS(t *Type, kind codec.ColumnKind, typmod int32, src []byte) (any, error) {
	if err := strKind(t, "decode", kind); err != nil {
		return nil, err
	}
	if kind == codec.ColumnText {
		return string(src), nil
	}
	b, err := t.BinaryToText(nil, t, typmod, src)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// strAppendLexeme appends a lexeme quoted as both output functions quote
// it: in single quotes, with ' and \ doubled.
func strAppendLexeme(dst, lex []byte) []byte {
	dst = append(dst, '\'')
	for _, c := range lex {
		if c == '\'' || c == '\\' {
			dst = append(dst, c)
		}
		dst = append(dst, c)
	}
	return append(dst, '\'')
}

// strCString returns the NUL-terminated string at src[off:] and the offset
// after its NUL.
func strCString(src []byte, off int) ([]byte, int, bool) {
	for i := off; i < len(src); i++ {
		if src[i] == 0 {
			return src[off:i], i + 1, true
		}
	}
	return nil, 0, false
}

// tsvectorsend: count (int32); per lexeme the lexeme and a NUL, the
// number of positions (uint16) and each position (uint16: weight in the
// top two bits, 3 = A … 0 = D, position in the low 14).
func strTSVectorToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	const op = "binary to text"
	if len(src) < 4 {
		return dst, malformed(t, op, "%d bytes, want at least 4", len(src))
	}
	n := binary.BigEndian.Uint32(src)
	off, start := 4, len(dst)
	for i := uint32(0); i < n; i++ {
		lex, next, ok := strCString(src, off)
		if !ok || next+2 > len(src) {
			return dst[:start], malformed(t, op, "lexeme %d truncated", i)
		}
		npos := int(binary.BigEndian.Uint16(src[next:]))
		off = next + 2
		if off+2*npos > len(src) {
			return dst[:start], malformed(t, op, "lexeme %d positions truncated", i)
		}
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = strAppendLexeme(dst, lex)
		for j := 0; j < npos; j++ {
			dst = strAppendTSPosition(dst, j, binary.BigEndian.Uint16(src[off:]))
			off += 2
		}
	}
	if off != len(src) {
		return dst[:start], malformed(t, op, "%d bytes after the lexemes", len(src)-off)
	}
	return dst, nil
}

// tsquery items, in the server's prefix order: an operator, then its right
// operand, then its left.
const (
	strQIVal = 1
	strQIOpr = 2

	strOpNot    = 1
	strOpAnd    = 2
	strOpOr     = 3
	strOpPhrase = 4

	// strTSMaxDepth bounds the recursion on hostile input; the server's
	// own stack depth limit stops its output function well before.
	strTSMaxDepth = 10000
)

// strTSItem is one decoded tsquery item.
type strTSItem struct {
	typ, oper, weight, prefix byte
	distance                  int16
	operand                   []byte
	next                      int
}

func strReadTSItem(src []byte, off int) (it strTSItem, ok bool) {
	if off >= len(src) {
		return it, false
	}
	it.typ = src[off]
	switch it.typ {
	case strQIVal:
		if off+3 > len(src) {
			return it, false
		}
		it.weight, it.prefix = src[off+1], src[off+2]
		it.operand, it.next, ok = strCString(src, off+3)
		return it, ok && it.weight <= 15 && it.prefix <= 1
	case strQIOpr:
		if off+2 > len(src) {
			return it, false
		}
		it.oper, it.next = src[off+1], off+2
		switch it.oper {
		case strOpNot, strOpAnd, strOpOr:
			return it, true
		case strOpPhrase:
			if off+4 > len(src) {
				return it, false
			}
			it.distance = int16(binary.BigEndian.Uint16(src[off+2:]))
			it.next = off + 4
			return it, it.distance >= 0
		}
	}
	return it, false
}

func strTSArity(it strTSItem) int {
	switch {
	case it.typ == strQIVal:
		return 0
	case it.oper == strOpNot:
		return 1
	}
	return 2
}

// strSkipTS returns the offset after the subtree at off.
func strSkipTS(src []byte, off int) int {
	for need := 1; need > 0; need-- {
		it, _ := strReadTSItem(src, off) // checked by the caller's first pass
		need += strTSArity(it)
		off = it.next
	}
	return off
}

func strTSPriority(oper byte) int {
	switch oper {
	case strOpNot:
		return 4
	case strOpPhrase:
		return 3
	case strOpAnd:
		return 2
	}
	return 1
}

func strTSQueryToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	const op = "binary to text"
	if len(src) < 4 {
		return dst, malformed(t, op, "%d bytes, want at least 4", len(src))
	}
	n := binary.BigEndian.Uint32(src)
	if n == 0 {
		if len(src) != 4 {
			return dst, malformed(t, op, "bytes after an empty query")
		}
		return dst, nil
	}
	// First pass: every item valid, the items exactly one tree, not too
	// deep; the rendering below then trusts the bytes.
	off, need := 4, 1
	for i := uint32(0); i < n; i++ {
		it, ok := strReadTSItem(src, off)
		if !ok || need == 0 {
			return dst, malformed(t, op, "bad item %d", i)
		}
		need += strTSArity(it) - 1
		off = it.next
	}
	if need != 0 || off != len(src) {
		return dst, malformed(t, op, "items do not form one query")
	}
	start := len(dst)
	dst, _, ok := strAppendTSQuery(dst, src, 4, 0, false, 0)
	if !ok {
		return dst[:start], malformed(t, op, "nested deeper than %d", strTSMaxDepth)
	}
	return dst, nil
}

// strAppendTSQuery renders the subtree at off as tsquery.c's infix does:
// parentheses where the parent binds tighter, and around a phrase that is
// the right operand of a phrase. It returns the offset after the subtree,
// and false if it is nested too deep.
func strAppendTSQuery(dst, src []byte, off, parent int, rightPhrase bool, depth int) ([]byte, int, bool) {
	if depth > strTSMaxDepth {
		return dst, off, false
	}
	it, _ := strReadTSItem(src, off)
	var ok bool
	if it.typ == strQIVal {
		dst = strAppendLexeme(dst, it.operand)
		if it.weight != 0 || it.prefix != 0 {
			dst = append(dst, ':')
			if it.prefix != 0 {
				dst = append(dst, '*')
			}
			for k, c := range "ABCD" {
				if it.weight&(8>>k) != 0 {
					dst = append(dst, byte(c))
				}
			}
		}
		return dst, it.next, true
	}
	prio := strTSPriority(it.oper)
	if it.oper == strOpNot {
		paren := prio < parent
		if paren {
			dst = append(dst, "( "...)
		}
		dst = append(dst, '!')
		dst, off, ok = strAppendTSQuery(dst, src, it.next, prio, false, depth+1)
		if paren {
			dst = append(dst, " )"...)
		}
		return dst, off, ok
	}
	paren := prio < parent || (it.oper == strOpPhrase && rightPhrase)
	if paren {
		dst = append(dst, "( "...)
	}
	right := it.next
	left := strSkipTS(src, right)
	dst, end, ok := strAppendTSQuery(dst, src, left, prio, false, depth+1)
	if !ok {
		return dst, end, false
	}
	switch it.oper {
	case strOpOr:
		dst = append(dst, " | "...)
	case strOpAnd:
		dst = append(dst, " & "...)
	default:
		if it.distance == 1 {
			dst = append(dst, " <-> "...)
		} else {
			dst = append(dst, " <"...)
			dst = strconv.AppendInt(dst, int64(it.distance), 10)
			dst = append(dst, "> "...)
		}
	}
	dst, _, ok = strAppendTSQuery(dst, src, right, prio, it.oper == strOpPhrase, depth+1)
	if paren {
		dst = append(dst, " )"...)
	}
	return dst, end, ok
}

// TSLexeme is one tsvector entry: a lexeme and its positions, each as the
// server stores it, the weight in the top two bits (3 = A … 0 = D) and the
// position, 1 to 16383, in the low 14.
type TSLexeme struct {
	Word      []byte
	Positions []uint16
}

// AppendTSVectorBinary appends the binary form of the tsvector v. The
// server sorts and merges the lexemes when it reads them; the text form
// (AppendTSVectorText) prints them in v's order.
func AppendTSVectorBinary(dst []byte, v []TSLexeme) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
	for _, l := range v {
		dst = append(append(dst, l.Word...), 0)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(l.Positions)))
		for _, p := range l.Positions {
			dst = binary.BigEndian.AppendUint16(dst, p)
		}
	}
	return dst
}

// AppendTSVectorText appends v as tsvectorout prints it.
func AppendTSVectorText(dst []byte, v []TSLexeme) []byte {
	for i, l := range v {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = strAppendLexeme(dst, l.Word)
		for j, p := range l.Positions {
			dst = strAppendTSPosition(dst, j, p)
		}
	}
	return dst
}

// strAppendTSPosition appends the j-th position p of a lexeme: after ':'
// or ',', the number, then the weight letter unless it is D.
func strAppendTSPosition(dst []byte, j int, p uint16) []byte {
	if j == 0 {
		dst = append(dst, ':')
	} else {
		dst = append(dst, ',')
	}
	dst = strconv.AppendUint(dst, uint64(p&0x3fff), 10)
	if w := p >> 14; w != 0 {
		dst = append(dst, "DCBA"[w])
	}
	return dst
}
