package value

import (
	"bytes"
	"encoding/binary"

	"github.com/pgwal/pgwal/codec"
)

// The built-in range types, their multiranges and their arrays, with the
// subtype of their bounds (pg_range).
var rangeTypes = [...]struct {
	rng, multi, sub      uint32
	rngArray, multiArray uint32
	rngName, multiName   string
}{
	{3904, 4451, 23, 3905, 6150, "int4range", "int4multirange"},
	{3906, 4532, 1700, 3907, 6151, "numrange", "nummultirange"},
	{3908, 4533, 1114, 3909, 6152, "tsrange", "tsmultirange"},
	{3910, 4534, 1184, 3911, 6153, "tstzrange", "tstzmultirange"},
	{3912, 4535, 1082, 3913, 6155, "daterange", "datemultirange"},
	{3926, 4536, 20, 3927, 6157, "int8range", "int8multirange"},
}

func init() {
	for _, r := range rangeTypes {
		register(
			&Type{OID: r.rng, Name: r.rngName, Category: CategoryRange, Array: r.rngArray,
				BinaryToText: rangeBinaryToText, Decode: rangeDecode},
			&Type{OID: r.multi, Name: r.multiName, Category: CategoryRange, Array: r.multiArray,
				BinaryToText: multirangeBinaryToText, Decode: multirangeDecode})
	}
}

// RangeSubtype returns the type of the bounds of a built-in range or
// multirange type.
func RangeSubtype(oid uint32) (uint32, bool) {
	for _, r := range rangeTypes {
		if r.rng == oid || r.multi == oid {
			return r.sub, true
		}
	}
	return 0, false
}

// RangeFlags are a range's flags byte, as range_send sends it.
type RangeFlags byte

// The flags range_recv keeps; the others are ignored, as it ignores them.
const (
	RangeEmpty    RangeFlags = 0x01
	RangeLowerInc RangeFlags = 0x02 // the lower bound is inclusive: [
	RangeUpperInc RangeFlags = 0x04 // the upper bound is inclusive: ]
	RangeLowerInf RangeFlags = 0x08 // no lower bound
	RangeUpperInf RangeFlags = 0x10 // no upper bound
	rangeKnown               = RangeEmpty | RangeLowerInc | RangeUpperInc | RangeLowerInf | RangeUpperInf
)

// HasLower tells whether a range of these flags has a lower bound.
func (f RangeFlags) HasLower() bool { return f&(RangeEmpty|RangeLowerInf) == 0 }

// HasUpper tells whether a range of these flags has an upper bound.
func (f RangeFlags) HasUpper() bool { return f&(RangeEmpty|RangeUpperInf) == 0 }

// RawRange is one range value with its bounds undecoded: each is the
// subtype's binary form (Kind codec.ColumnBinary) or text (codec.ColumnText),
// nil when the flags say there is none.
type RawRange struct {
	Flags        RangeFlags
	Kind         codec.ColumnKind
	Lower, Upper []byte
}

// Range is a range as a Go value: the bounds as Decode returns them for
// the subtype, nil when there is none.
type Range struct {
	Flags        RangeFlags
	Lower, Upper any
}

// DecodeRange reads one range value in form kind (codec.ColumnBinary or
// codec.ColumnText); oid, the range type, only names it in errors. The
// bounds alias src, or scratch for a text bound with quotes or escapes
// (with cap(scratch) >= len(src) nothing is allocated).
func DecodeRange(oid uint32, kind codec.ColumnKind, src, scratch []byte) (RawRange, error) {
	var r RawRange
	var why string
	switch kind {
	case codec.ColumnBinary:
		r, why = parseRangeBinary(src)
	case codec.ColumnText:
		var n int
		r, n, _, why = parseRangeText(src, 0, scratch[:0])
		if why == "" && skipArraySpace(src, n) != len(src) {
			why = "junk after the range"
		}
	default:
		t, _ := Lookup(oid)
		return RawRange{}, &Error{OID: oid, Type: orOID(t, oid).Name, Op: "read range", Err: ErrWrongType}
	}
	if why != "" {
		t, _ := Lookup(oid)
		return RawRange{}, malformed(orOID(t, oid), "read range", "%s", why)
	}
	return r, nil
}

// normalFlags are the flags range_recv keeps of f: an empty range has no
// others, and an infinite bound is not inclusive.
func normalFlags(f RangeFlags) RangeFlags {
	f &= rangeKnown
	if f&RangeEmpty != 0 {
		return RangeEmpty
	}
	if f&RangeLowerInf != 0 {
		f &^= RangeLowerInc
	}
	if f&RangeUpperInf != 0 {
		f &^= RangeUpperInc
	}
	return f
}

// parseRangeBinary reads range_send's bytes: the flags, then each bound
// present as a length and bytes.
func parseRangeBinary(src []byte) (RawRange, string) {
	if len(src) < 1 {
		return RawRange{}, "no flags byte"
	}
	r := RawRange{Flags: normalFlags(RangeFlags(src[0])), Kind: codec.ColumnBinary}
	p := src[1:]
	bound := func() ([]byte, string) {
		if len(p) < 4 {
			return nil, "truncated bound"
		}
		l := binary.BigEndian.Uint32(p)
		if uint64(l) > uint64(len(p)-4) {
			return nil, "bound length out of range"
		}
		b := p[4 : 4+l : 4+l]
		p = p[4+l:]
		return b, ""
	}
	var why string
	if r.Flags.HasLower() {
		if r.Lower, why = bound(); why != "" {
			return RawRange{}, why
		}
	}
	if r.Flags.HasUpper() {
		if r.Upper, why = bound(); why != "" {
			return RawRange{}, why
		}
	}
	if len(p) != 0 {
		return RawRange{}, "bytes after the bounds"
	}
	return r, ""
}

// parseRangeText reads range_in's text from s[p:] (leading whitespace,
// "empty" in any case, or a bracket, two bounds and a bracket) and returns
// the offset after it. Bounds with quotes or escapes are unescaped into
// scratch, which it returns grown.
func parseRangeText(s []byte, p int, scratch []byte) (RawRange, int, []byte, string) {
	r := RawRange{Kind: codec.ColumnText}
	p = skipArraySpace(s, p)
	if len(s)-p >= 5 && bytes.EqualFold(s[p:p+5], []byte("empty")) {
		r.Flags = RangeEmpty
		return r, p + 5, scratch, ""
	}
	if p >= len(s) || (s[p] != '[' && s[p] != '(') {
		return r, p, scratch, "missing [ or ("
	}
	if s[p] == '[' {
		r.Flags |= RangeLowerInc
	}
	var inf bool
	var why string
	if r.Lower, inf, p, scratch, why = rangeTextBound(s, p+1, scratch); why != "" {
		return r, p, scratch, why
	}
	if inf {
		r.Flags = r.Flags&^RangeLowerInc | RangeLowerInf
	}
	if p >= len(s) || s[p] != ',' {
		return r, p, scratch, "missing ,"
	}
	if r.Upper, inf, p, scratch, why = rangeTextBound(s, p+1, scratch); why != "" {
		return r, p, scratch, why
	}
	if p >= len(s) || (s[p] != ']' && s[p] != ')') {
		return r, p, scratch, "missing ] or )"
	}
	if inf {
		r.Flags |= RangeUpperInf
	} else if s[p] == ']' {
		r.Flags |= RangeUpperInc
	}
	return r, p + 1, scratch, ""
}

// rangeTextBound reads one bound as range_parse_bound does: nothing before
// the next , ) or ] is no bound; otherwise quotes group (a doubled quote
// inside is one quote) and a backslash takes the next byte as it is.
func rangeTextBound(s []byte, p int, scratch []byte) (b []byte, inf bool, next int, _ []byte, why string) {
	if p < len(s) && (s[p] == ',' || s[p] == ')' || s[p] == ']') {
		return nil, true, p, scratch, ""
	}
	q := p
	for ; p < len(s); p++ {
		switch s[p] {
		case '"', '\\':
			b, next, scratch, why = unescapeBound(s, q, scratch, false)
			return b, false, next, scratch, why
		case ',', ')', ']':
			return s[q:p:p], false, p, scratch, ""
		}
	}
	return nil, false, p, scratch, "unterminated range"
}

// unescapeBound reads a bound or a record field with quotes or escapes
// from s[p:]; in a record a '(' or ']' is ordinary, and a ')' or ',' ends
// it.
func unescapeBound(s []byte, p int, scratch []byte, record bool) ([]byte, int, []byte, string) {
	start := len(scratch)
	quoted := false
	for ; p < len(s); p++ {
		c := s[p]
		switch {
		case c == '\\':
			if p++; p == len(s) {
				return nil, p, scratch, "backslash at the end"
			}
			scratch = append(scratch, s[p])
		case c == '"':
			if !quoted {
				quoted = true
			} else if p+1 < len(s) && s[p+1] == '"' {
				scratch = append(scratch, '"')
				p++
			} else {
				quoted = false
			}
		case !quoted && (c == ',' || c == ')' || (!record && c == ']')):
			return scratch[start:len(scratch):len(scratch)], p, scratch, ""
		default:
			scratch = append(scratch, c)
		}
	}
	return nil, p, scratch, "unterminated value"
}

// rangeBinaryToText is range_out over range_send's bytes.
func rangeBinaryToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	sub, _ := RangeSubtype(t.OID)
	return appendRangeBinaryText(nil, dst, t, sub, src)
}

// appendRangeBinaryText is rangeBinaryToText for a range of subtype sub,
// rendering the bounds with the types of reg (nil: the built-in ones).
func appendRangeBinaryText(reg *Registry, dst []byte, t *Type, sub uint32, src []byte) ([]byte, error) {
	r, why := parseRangeBinary(src)
	if why != "" {
		return dst, malformed(t, "binary to text", "%s", why)
	}
	return reg.appendRangeText(dst, sub, r)
}

// appendRangeText writes range_out's text of r, rendering binary bounds
// of type sub through r's AppendText (nil: the built-in types).
func (reg *Registry) appendRangeText(dst []byte, sub uint32, r RawRange) ([]byte, error) {
	orig := len(dst) // on error dst is given back as it came
	if r.Flags&RangeEmpty != 0 {
		return append(dst, "empty"...), nil
	}
	if r.Flags&RangeLowerInc != 0 {
		dst = append(dst, '[')
	} else {
		dst = append(dst, '(')
	}
	var err error
	if r.Flags.HasLower() {
		if dst, err = reg.appendBound(dst, sub, r.Kind, r.Lower, true); err != nil {
			return dst[:orig], err
		}
	}
	dst = append(dst, ',')
	if r.Flags.HasUpper() {
		if dst, err = reg.appendBound(dst, sub, r.Kind, r.Upper, true); err != nil {
			return dst[:orig], err
		}
	}
	if r.Flags&RangeUpperInc != 0 {
		return append(dst, ']'), nil
	}
	return append(dst, ')'), nil
}

// appendBound writes a range bound (rng) or a record field's text, quoted
// where range_out or record_out would; a binary one is rendered with the
// types of reg (nil: the built-in ones).
func (reg *Registry) appendBound(dst []byte, oid uint32, kind codec.ColumnKind, b []byte, rng bool) ([]byte, error) {
	start := len(dst)
	if kind == codec.ColumnText {
		dst = append(dst, b...)
	} else {
		var err error
		if dst, err = reg.AppendText(dst, oid, -1, b); err != nil {
			return dst[:start], err
		}
	}
	return quoteBound(dst, start, rng), nil
}

// quoteBound quotes dst[start:] as range_bound_escape (rng) or record_out
// do: when empty or holding quotes, backslashes, parentheses, commas,
// whitespace, or for a range brackets; quotes and backslashes are doubled.
func quoteBound(dst []byte, start int, rng bool) []byte {
	s := dst[start:]
	need := len(s) == 0
	esc := 0
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			esc++
		case c == '(' || c == ')' || c == ',' || isArraySpace(c) || (rng && (c == '[' || c == ']')):
			need = true
		}
	}
	if !need && esc == 0 {
		return dst
	}
	return quoteInPlace(dst, start, esc, '"')
}

// AppendRangeBinary appends range_send's bytes for r (binary bounds), with
// the flags as range_recv would keep them.
func AppendRangeBinary(dst []byte, r RawRange) []byte {
	f := normalFlags(r.Flags)
	dst = append(dst, byte(f))
	if f.HasLower() {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(r.Lower)))
		dst = append(dst, r.Lower...)
	}
	if f.HasUpper() {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(r.Upper)))
		dst = append(dst, r.Upper...)
	}
	return dst
}

// AppendRangeText appends range_out's text for r, a range of type oid
// whose bounds are text or binary (rendered by AppendText).
func AppendRangeText(dst []byte, oid uint32, r RawRange) ([]byte, error) {
	sub, ok := RangeSubtype(oid)
	if !ok && r.Kind == codec.ColumnBinary {
		return dst, unknown(oid, "encode range text")
	}
	return (*Registry)(nil).appendRangeText(dst, sub, r)
}

func rangeDecode(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	r, err := DecodeRange(t.OID, kind, src, nil)
	if err != nil {
		return nil, err
	}
	sub, _ := RangeSubtype(t.OID)
	return (*Registry)(nil).decodeRange(sub, r)
}

// decodeRange decodes the bounds of r; text bounds are copied first, as
// they may sit in a scratch buffer that is reused.
func (reg *Registry) decodeRange(sub uint32, r RawRange) (Range, error) {
	out := Range{Flags: r.Flags}
	var err error
	if r.Flags.HasLower() {
		if out.Lower, err = reg.Decode(sub, r.Kind, -1, cloneText(r.Kind, r.Lower)); err != nil {
			return Range{}, err
		}
	}
	if r.Flags.HasUpper() {
		if out.Upper, err = reg.Decode(sub, r.Kind, -1, cloneText(r.Kind, r.Upper)); err != nil {
			return Range{}, err
		}
	}
	return out, nil
}

func cloneText(kind codec.ColumnKind, b []byte) []byte {
	if kind == codec.ColumnText {
		return bytes.Clone(b)
	}
	return b
}

// Multirange reads the ranges of one multirange value in order.
// DecodeMultirange checks them all, so Next has no error to report; the
// bounds of a range are valid until the next call to Next.
type Multirange struct {
	kind    codec.ColumnKind
	n, i    int
	src     []byte
	pos     int
	scratch []byte
}

// DecodeMultirange returns a reader over the multirange src of type oid (which
// only names it in errors) in form kind: binary (multirange_send: a count,
// then each range as a length and range_send's bytes) or text
// (multirange_out: "{" ranges separated by "," "}"). Text bounds with
// quotes or escapes are unescaped into scratch.
func DecodeMultirange(oid uint32, kind codec.ColumnKind, src, scratch []byte) (Multirange, error) {
	m := Multirange{kind: kind, src: src, scratch: scratch[:0]}
	var why string
	switch kind {
	case codec.ColumnBinary:
		m.n, why = scanMultirangeBinary(src)
		m.pos = 4
	case codec.ColumnText:
		m.n, m.pos, why = scanMultirangeText(src, m.scratch)
	default:
		t, _ := Lookup(oid)
		return Multirange{}, &Error{OID: oid, Type: orOID(t, oid).Name, Op: "read multirange", Err: ErrWrongType}
	}
	if why != "" {
		t, _ := Lookup(oid)
		return Multirange{}, malformed(orOID(t, oid), "read multirange", "%s", why)
	}
	return m, nil
}

// Len is the number of ranges.
func (m *Multirange) Len() int { return m.n }

// Next returns the next range.
func (m *Multirange) Next() (RawRange, bool) {
	if m.i >= m.n {
		return RawRange{}, false
	}
	m.i++
	if m.kind == codec.ColumnBinary {
		l := int(binary.BigEndian.Uint32(m.src[m.pos:]))
		r, _ := parseRangeBinary(m.src[m.pos+4 : m.pos+4+l])
		m.pos += 4 + l
		return r, true
	}
	r, p, s, _ := parseRangeText(m.src, m.pos, m.scratch[:0])
	m.scratch = s
	m.pos = skipArraySpace(m.src, p) + 1 // past the , or }
	return r, true
}

func scanMultirangeBinary(src []byte) (int, string) {
	if len(src) < 4 {
		return 0, "no range count"
	}
	n := binary.BigEndian.Uint32(src)
	p := src[4:]
	if uint64(n) > uint64(len(p)/5) {
		return 0, "more ranges than bytes"
	}
	for i := uint32(0); i < n; i++ {
		if len(p) < 4 {
			return 0, "truncated range"
		}
		l := binary.BigEndian.Uint32(p)
		if uint64(l) > uint64(len(p)-4) {
			return 0, "range length out of range"
		}
		if _, why := parseRangeBinary(p[4 : 4+l]); why != "" {
			return 0, why
		}
		p = p[4+l:]
	}
	if len(p) != 0 {
		return 0, "bytes after the last range"
	}
	return int(n), ""
}

// scanMultirangeText checks a multirange's text and returns its count of
// ranges and the offset of the first.
func scanMultirangeText(s, scratch []byte) (n, first int, why string) {
	p := skipArraySpace(s, 0)
	if p >= len(s) || s[p] != '{' {
		return 0, 0, "missing {"
	}
	p = skipArraySpace(s, p+1)
	first = p
	if p < len(s) && s[p] == '}' {
		p++
	} else {
		for {
			if _, p, scratch, why = parseRangeText(s, p, scratch[:0]); why != "" {
				return 0, 0, why
			}
			n++
			p = skipArraySpace(s, p)
			if p < len(s) && s[p] == ',' {
				p++
				continue
			}
			if p < len(s) && s[p] == '}' {
				p++
				break
			}
			return 0, 0, "expected , or }"
		}
	}
	if skipArraySpace(s, p) != len(s) {
		return 0, 0, "junk after the closing brace"
	}
	return n, first, ""
}

// multirangeBinaryToText is multirange_out over multirange_send's bytes.
func multirangeBinaryToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	sub, _ := RangeSubtype(t.OID)
	return appendMultirangeBinaryText(nil, dst, t, sub, src)
}

// appendMultirangeBinaryText is multirangeBinaryToText for a multirange
// of subtype sub, rendering the bounds with the types of reg (nil: the
// built-in ones).
func appendMultirangeBinaryText(reg *Registry, dst []byte, t *Type, sub uint32, src []byte) ([]byte, error) {
	m, err := DecodeMultirange(t.OID, codec.ColumnBinary, src, nil)
	if err != nil {
		return dst, err
	}
	orig := len(dst)
	dst = append(dst, '{')
	for i := 0; ; i++ {
		r, ok := m.Next()
		if !ok {
			break
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, err = reg.appendRangeText(dst, sub, r); err != nil {
			return dst[:orig], err
		}
	}
	return append(dst, '}'), nil
}

// AppendMultirangeBinary appends multirange_send's bytes for ranges
// (binary bounds).
func AppendMultirangeBinary(dst []byte, ranges []RawRange) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(ranges)))
	for _, r := range ranges {
		at := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		dst = AppendRangeBinary(dst, r)
		binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	}
	return dst
}

// multirangeDecode returns a multirange as []Range.
func multirangeDecode(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	sub, _ := RangeSubtype(t.OID)
	return decodeMultirangeAny(nil, t, sub, kind, src)
}

// decodeMultirangeAny is multirangeDecode for a multirange of subtype
// sub, decoding the bounds with the types of reg (nil: the built-in ones).
func decodeMultirangeAny(reg *Registry, t *Type, sub uint32, kind codec.ColumnKind, src []byte) (any, error) {
	m, err := DecodeMultirange(t.OID, kind, src, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Range, 0, m.n)
	for {
		r, ok := m.Next()
		if !ok {
			return out, nil
		}
		v, err := reg.decodeRange(sub, r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}
