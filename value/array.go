package value

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"

	"github.com/pgwal/pgwal/codec"
)

// The built-in array types: pg_type rows with typcategory 'A' whose element
// names them as its array, the same on PostgreSQL 14–18, plus _record.
var arrayTypes = [...]struct {
	oid, elem uint32
	name      string
}{
	{143, 142, "_xml"}, {199, 114, "_json"}, {210, 71, "_pg_type"},
	{270, 75, "_pg_attribute"}, {271, 5069, "_xid8"}, {272, 81, "_pg_proc"},
	{273, 83, "_pg_class"}, {629, 628, "_line"}, {651, 650, "_cidr"},
	{719, 718, "_circle"}, {775, 774, "_macaddr8"}, {791, 790, "_money"},
	{1000, 16, "_bool"}, {1001, 17, "_bytea"}, {1002, 18, "_char"},
	{1003, 19, "_name"}, {1005, 21, "_int2"}, {1006, 22, "_int2vector"},
	{1007, 23, "_int4"}, {1008, 24, "_regproc"}, {1009, 25, "_text"},
	{1010, 27, "_tid"}, {1011, 28, "_xid"}, {1012, 29, "_cid"},
	{1013, 30, "_oidvector"}, {1014, 1042, "_bpchar"}, {1015, 1043, "_varchar"},
	{1016, 20, "_int8"}, {1017, 600, "_point"}, {1018, 601, "_lseg"},
	{1019, 602, "_path"}, {1020, 603, "_box"}, {1021, 700, "_float4"},
	{1022, 701, "_float8"}, {1027, 604, "_polygon"}, {1028, 26, "_oid"},
	{1034, 1033, "_aclitem"}, {1040, 829, "_macaddr"}, {1041, 869, "_inet"},
	{1115, 1114, "_timestamp"}, {1182, 1082, "_date"}, {1183, 1083, "_time"},
	{1185, 1184, "_timestamptz"}, {1187, 1186, "_interval"}, {1231, 1700, "_numeric"},
	{1263, 2275, "_cstring"}, {1270, 1266, "_timetz"}, {1561, 1560, "_bit"},
	{1563, 1562, "_varbit"}, {2201, 1790, "_refcursor"}, {2207, 2202, "_regprocedure"},
	{2208, 2203, "_regoper"}, {2209, 2204, "_regoperator"}, {2210, 2205, "_regclass"},
	{2211, 2206, "_regtype"}, {2287, 2249, "_record"}, {2949, 2970, "_txid_snapshot"},
	{2951, 2950, "_uuid"}, {3221, 3220, "_pg_lsn"}, {3643, 3614, "_tsvector"},
	{3644, 3642, "_gtsvector"}, {3645, 3615, "_tsquery"}, {3735, 3734, "_regconfig"},
	{3770, 3769, "_regdictionary"}, {3807, 3802, "_jsonb"}, {3905, 3904, "_int4range"},
	{3907, 3906, "_numrange"}, {3909, 3908, "_tsrange"}, {3911, 3910, "_tstzrange"},
	{3913, 3912, "_daterange"}, {3927, 3926, "_int8range"}, {4073, 4072, "_jsonpath"},
	{4090, 4089, "_regnamespace"}, {4097, 4096, "_regrole"}, {4192, 4191, "_regcollation"},
	{5039, 5038, "_pg_snapshot"}, {6150, 4451, "_int4multirange"}, {6151, 4532, "_nummultirange"},
	{6152, 4533, "_tsmultirange"}, {6153, 4534, "_tstzmultirange"}, {6155, 4535, "_datemultirange"},
	{6157, 4536, "_int8multirange"},
}

func init() {
	for _, a := range arrayTypes {
		cat := CategoryArray
		if a.oid == 2287 {
			cat = CategoryPseudo // _record, like record itself, is a pseudo-type
		}
		register(&Type{OID: a.oid, Name: a.name, Category: cat, Elem: a.elem,
			BinaryToText: arrayBinaryToText, Decode: arrayDecode})
	}
}

// MaxArrayDims is PostgreSQL's limit on array dimensions (MAXDIM).
const MaxArrayDims = 6

// maxArrayItems is PostgreSQL's MaxArraySize: no array has more elements.
const maxArrayItems = 0x7ffffff

// boxOID is the one built-in type whose array delimiter is not a comma.
const boxOID = 603

func arrayDelim(elem uint32) byte {
	if elem == boxOID {
		return ';'
	}
	return ','
}

// Dim is one dimension of an array: its length and its lower bound (1
// unless the array was built with other subscripts).
type Dim struct {
	Len, Lower int32
}

// Array reads the elements of one array value, in storage order (the last
// subscript varies fastest), from its binary or text form. DecodeArray checks
// the whole value, so Next has no error to report. It allocates nothing;
// the Data of an element aliases the source or, for a text element with
// escapes, the scratch buffer given to DecodeArray, and is valid until the next
// call to Next.
type Array struct {
	elem    uint32
	kind    codec.ColumnKind
	ndim    int
	dims    [MaxArrayDims]Dim
	n, i    int
	src     []byte // the elements still to read (binary) or the text
	pos     int    // text: the read position in src
	delim   byte
	scratch []byte
}

// DecodeArray returns a reader over the array value src of array type oid in
// form kind (codec.ColumnBinary or codec.ColumnText). The binary form names
// its element type; the text form needs oid to be a known array type. A
// text element with escapes is unescaped into scratch; with cap(scratch) >=
// len(src) nothing is allocated.
func DecodeArray(oid uint32, kind codec.ColumnKind, src, scratch []byte) (Array, error) {
	return decodeArray(nil, oid, kind, src, scratch)
}

// decodeArray is DecodeArray with the types of reg (nil: the built-in ones).
func decodeArray(reg *Registry, oid uint32, kind codec.ColumnKind, src, scratch []byte) (Array, error) {
	t, known := reg.Lookup(oid)
	a := Array{kind: kind, scratch: scratch[:0]}
	switch kind {
	case codec.ColumnBinary:
		h, why := parseArrayHeader(src)
		if why != "" {
			return Array{}, malformed(orOID(t, oid), "read array", "%s", why)
		}
		if known && t.Elem != 0 && h.elem != t.Elem {
			return Array{}, malformed(t, "read array", "element type %d, want %d", h.elem, t.Elem)
		}
		a.elem, a.ndim, a.dims, a.n, a.src = h.elem, h.ndim, h.dims, h.n, h.body
	case codec.ColumnText:
		if !known || t.Elem == 0 {
			return Array{}, unknown(oid, "read array text")
		}
		a.elem, a.delim, a.src = t.Elem, reg.arrayDelim(t.Elem), src
		var why string
		a.ndim, a.dims, a.n, a.pos, why = scanArrayText(src, a.delim)
		if why != "" {
			return Array{}, malformed(t, "read array", "%s", why)
		}
	default:
		return Array{}, &Error{OID: oid, Type: orOID(t, oid).Name, Op: "read array", Err: ErrWrongType}
	}
	return a, nil
}

// Elem is the element type's OID.
func (a *Array) Elem() uint32 { return a.elem }

// Dims are the dimensions, none for an empty array.
func (a *Array) Dims() []Dim { return a.dims[:a.ndim] }

// Len is the number of elements.
func (a *Array) Len() int { return a.n }

// Next returns the next element: Kind codec.ColumnNull for a NULL, else
// the array's form (binary or text) with the element's bytes.
func (a *Array) Next() (codec.Column, bool) {
	if a.i >= a.n {
		return codec.Column{}, false
	}
	a.i++
	if a.kind == codec.ColumnBinary {
		l := int32(binary.BigEndian.Uint32(a.src))
		a.src = a.src[4:]
		if l < 0 {
			return codec.Column{Kind: codec.ColumnNull}, true
		}
		d := a.src[:l:l]
		a.src = a.src[l:]
		return codec.Column{Kind: codec.ColumnBinary, Data: d}, true
	}
	s := a.src
	for s[a.pos] == '{' || s[a.pos] == '}' || s[a.pos] == a.delim || isArraySpace(s[a.pos]) {
		a.pos++
	}
	var d []byte
	var null bool
	d, null, a.pos, a.scratch = arrayTextElem(s, a.pos, a.delim, a.scratch[:0])
	if null {
		return codec.Column{Kind: codec.ColumnNull}, true
	}
	return codec.Column{Kind: codec.ColumnText, Data: d}, true
}

// AppendInt64s appends the remaining elements of an array of int2, int4,
// int8, oid, xid or cid to dst as Int64 reads them; a NULL element is an
// error. A binary int2, int4 or int8 array is read in one pass without a
// per-element call, the fastest way to take a whole integer array.
func (a *Array) AppendInt64s(dst []int64) ([]int64, error) {
	if a.kind == codec.ColumnBinary {
		size := 0
		switch a.elem {
		case 21:
			size = 2
		case 23:
			size = 4
		case 20:
			size = 8
		}
		if size != 0 {
			// DecodeArray checked every length word against the body,
			// so only each element's own length is left to check.
			for ; a.i < a.n; a.i++ {
				l := int32(binary.BigEndian.Uint32(a.src))
				if int(l) != size {
					break // NULL or a bad width: Int64 says which
				}
				d := a.src[4 : 4+size]
				a.src = a.src[4+size:]
				switch size {
				case 2:
					dst = append(dst, int64(int16(binary.BigEndian.Uint16(d))))
				case 4:
					dst = append(dst, int64(int32(binary.BigEndian.Uint32(d))))
				default:
					dst = append(dst, int64(binary.BigEndian.Uint64(d)))
				}
			}
		}
	}
	for c, ok := a.Next(); ok; c, ok = a.Next() {
		v, err := Int64(a.elem, c.Kind, c.Data)
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
	}
	return dst, nil
}

// Slice appends every element to dst: the convenience form of Next for a
// caller that keeps them. Elements that were unescaped into the scratch
// buffer are copied; the others alias the source, as Next's do.
func (a *Array) Slice(dst []codec.Column) []codec.Column {
	for {
		c, ok := a.Next()
		if !ok {
			return dst
		}
		if c.Kind == codec.ColumnText && len(a.scratch) > 0 && len(c.Data) > 0 && &c.Data[0] == &a.scratch[0] {
			c.Data = bytes.Clone(c.Data)
		}
		dst = append(dst, c)
	}
}

// orOID is t, or for a type that is not known one naming just the OID (on
// error paths only, which may allocate).
func orOID(t *Type, oid uint32) *Type {
	if t != nil {
		return t
	}
	return &Type{OID: oid}
}

type arrayHeader struct {
	ndim int
	elem uint32
	dims [MaxArrayDims]Dim
	n    int
	body []byte
}

// parseArrayHeader checks a binary array (array_send: ndim, has-null flag,
// element OID, ndim × (length, lower bound), then each element as a length,
// -1 for NULL, and bytes) all the way through, so that nothing is
// allocated, nor any count trusted, beyond what the bytes hold. It returns
// why the bytes are bad, or "".
func parseArrayHeader(src []byte) (h arrayHeader, why string) {
	if len(src) < 12 {
		return h, "header shorter than 12 bytes"
	}
	ndim := int32(binary.BigEndian.Uint32(src))
	flags := binary.BigEndian.Uint32(src[4:])
	h.elem = binary.BigEndian.Uint32(src[8:])
	if ndim < 0 || ndim > MaxArrayDims {
		return h, "dimension count out of range"
	}
	if flags > 1 {
		return h, "invalid flags"
	}
	h.ndim = int(ndim)
	p := src[12:]
	if len(p) < 8*h.ndim {
		return h, "truncated dimensions"
	}
	n := int64(1)
	if h.ndim == 0 {
		n = 0
	}
	for i := 0; i < h.ndim; i++ {
		d := Dim{Len: int32(binary.BigEndian.Uint32(p)), Lower: int32(binary.BigEndian.Uint32(p[4:]))}
		p = p[8:]
		if d.Len < 0 || int64(d.Lower)+int64(d.Len)-1 > math.MaxInt32 {
			return h, "dimension out of range"
		}
		h.dims[i] = d
		if n *= int64(d.Len); n > maxArrayItems {
			return h, "too many elements"
		}
	}
	if n > int64(len(p)/4) {
		return h, "more elements than bytes"
	}
	h.n, h.body = int(n), p
	for i := 0; i < h.n; i++ {
		if len(p) < 4 {
			return h, "truncated element"
		}
		l := int32(binary.BigEndian.Uint32(p))
		p = p[4:]
		if l < -1 || int64(l) > int64(len(p)) {
			return h, "element length out of range"
		}
		if l > 0 {
			p = p[l:]
		}
	}
	if len(p) != 0 {
		return h, "bytes after the last element"
	}
	if h.n == 0 {
		// array_recv keeps no dimensions for an array without elements.
		h.ndim, h.dims = 0, [MaxArrayDims]Dim{}
	}
	return h, ""
}

// arrayBinaryToText is array_out over array_send's bytes.
func arrayBinaryToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	return appendArrayBinaryText(nil, dst, t, src)
}

// appendArrayBinaryText is arrayBinaryToText rendering the elements with
// the types of reg (nil: the built-in ones).
func appendArrayBinaryText(reg *Registry, dst []byte, t *Type, src []byte) ([]byte, error) {
	h, why := parseArrayHeader(src)
	if why != "" {
		return dst, malformed(t, "binary to text", "%s", why)
	}
	if t.Elem != 0 && h.elem != t.Elem {
		return dst, malformed(t, "binary to text", "element type %d, want %d", h.elem, t.Elem)
	}
	orig := len(dst) // on error dst is given back as it came
	delim := reg.arrayDelim(h.elem)
	dims := h.dims[:h.ndim]
	dst = appendArrayDims(dst, dims)
	var w braceWalk
	dst = w.open(dst, dims)
	p := h.body
	for i := 0; i < h.n; i++ {
		if i > 0 {
			dst = w.next(dst, dims, delim)
		}
		l := int32(binary.BigEndian.Uint32(p))
		p = p[4:]
		if l < 0 {
			dst = append(dst, "NULL"...)
			continue
		}
		start := len(dst)
		var err error
		if dst, err = reg.AppendText(dst, h.elem, -1, p[:l]); err != nil {
			return dst[:orig], err
		}
		p = p[l:]
		dst = quoteArrayElem(dst, start, delim)
	}
	return w.close(dst, dims), nil
}

// appendArrayDims writes array_out's "[lower:upper]...=" prefix, which it
// prints only when some lower bound is not 1.
func appendArrayDims(dst []byte, dims []Dim) []byte {
	for _, d := range dims {
		if d.Lower != 1 {
			for _, d := range dims {
				dst = append(dst, '[')
				dst = strconv.AppendInt(dst, int64(d.Lower), 10)
				dst = append(dst, ':')
				dst = strconv.AppendInt(dst, int64(d.Lower)+int64(d.Len)-1, 10)
				dst = append(dst, ']')
			}
			return append(dst, '=')
		}
	}
	return dst
}

// braceWalk writes the braces between the elements of a
// multi-dimensional array in storage order. It keeps only the subscripts,
// not the dimensions, so that holding it makes nothing escape.
type braceWalk struct {
	idx [MaxArrayDims]int32
}

func (w *braceWalk) open(dst []byte, dims []Dim) []byte {
	dst = append(dst, '{')
	for i := 1; i < len(dims); i++ {
		dst = append(dst, '{')
	}
	return dst
}

// next closes the dimensions the last element ended and opens them again.
func (w *braceWalk) next(dst []byte, dims []Dim, delim byte) []byte {
	c := 0
	for j := len(dims) - 1; j > 0; j-- {
		if w.idx[j]++; w.idx[j] < dims[j].Len {
			break
		}
		w.idx[j] = 0
		c++
	}
	for k := 0; k < c; k++ {
		dst = append(dst, '}')
	}
	dst = append(dst, delim)
	for k := 0; k < c; k++ {
		dst = append(dst, '{')
	}
	return dst
}

func (w *braceWalk) close(dst []byte, dims []Dim) []byte {
	dst = append(dst, '}')
	for i := 1; i < len(dims); i++ {
		dst = append(dst, '}')
	}
	return dst
}

// isArraySpace is the whitespace array_in skips and array_out quotes.
func isArraySpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// quoteArrayElem quotes dst[start:], an element's text, in place where
// array_out would: an empty string, NULL in any case, or text holding
// braces, quotes, backslashes, the delimiter or whitespace. Quotes and
// backslashes are escaped with a backslash.
func quoteArrayElem(dst []byte, start int, delim byte) []byte {
	s := dst[start:]
	need := len(s) == 0 || (len(s) == 4 && (s[0]|0x20) == 'n' && (s[1]|0x20) == 'u' && (s[2]|0x20) == 'l' && (s[3]|0x20) == 'l')
	esc := 0
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			esc++
		case c == '{' || c == '}' || c == delim || isArraySpace(c):
			need = true
		}
	}
	if !need && esc == 0 {
		return dst
	}
	return quoteInPlace(dst, start, esc, '\\')
}

// quoteInPlace wraps dst[start:] in double quotes, putting esc before each
// quote and backslash (esc of them, counted by the caller): a backslash in
// arrays, the character itself (doubling it) in records and ranges. It
// grows dst once and moves the bytes from the end, so a reused buffer with
// room needs no allocation.
func quoteInPlace(dst []byte, start, n int, esc byte) []byte {
	old := len(dst)
	for i := 0; i < n+2; i++ {
		dst = append(dst, 0)
	}
	w := len(dst) - 1
	dst[w] = '"'
	w--
	for r := old - 1; r >= start; r-- {
		c := dst[r]
		dst[w] = c
		w--
		if c == '"' || c == '\\' {
			if esc == '\\' {
				dst[w] = '\\'
			} else {
				dst[w] = c
			}
			w--
		}
	}
	dst[w] = '"'
	return dst
}

// scanArrayText checks an array's text as array_in reads it (an optional
// "[lower:upper]...=" prefix, nested braces of equal lengths, elements
// quoted or not, backslash escapes, whitespace around) and returns its
// dimensions, element count and the offset of the opening brace.
func scanArrayText(s []byte, delim byte) (ndim int, dims [MaxArrayDims]Dim, n, start int, why string) {
	p := skipArraySpace(s, 0)
	var given [MaxArrayDims]Dim
	ngiven := 0
	for p < len(s) && s[p] == '[' {
		if ngiven == MaxArrayDims {
			return 0, dims, 0, 0, "too many dimensions"
		}
		var lo, hi int64
		var ok bool
		if lo, p, ok = scanArrayInt(s, skipArraySpace(s, p+1)); !ok {
			return 0, dims, 0, 0, "bad dimension"
		}
		p = skipArraySpace(s, p)
		hi, lo = lo, 1
		if p < len(s) && s[p] == ':' {
			lo = hi
			if hi, p, ok = scanArrayInt(s, skipArraySpace(s, p+1)); !ok {
				return 0, dims, 0, 0, "bad dimension"
			}
			p = skipArraySpace(s, p)
		}
		if p >= len(s) || s[p] != ']' || hi < lo-1 || hi-lo+1 > maxArrayItems {
			return 0, dims, 0, 0, "bad dimension"
		}
		given[ngiven] = Dim{Len: int32(hi - lo + 1), Lower: int32(lo)}
		ngiven++
		p = skipArraySpace(s, p+1)
	}
	if ngiven > 0 {
		if p >= len(s) || s[p] != '=' {
			return 0, dims, 0, 0, "missing = after dimensions"
		}
		p = skipArraySpace(s, p+1)
	}
	if p >= len(s) || s[p] != '{' {
		return 0, dims, 0, 0, "missing {"
	}
	start = p
	sc := arrayScan{s: s, delim: delim, ndim: -1}
	for i := range sc.lens {
		sc.lens[i] = -1
	}
	if p = sc.level(p, 0); sc.why != "" {
		return 0, dims, 0, 0, sc.why
	}
	if skipArraySpace(s, p) != len(s) {
		return 0, dims, 0, 0, "junk after the closing brace"
	}
	if sc.ndim <= 0 {
		if ngiven > 0 {
			return 0, dims, 0, 0, "dimensions given for an empty array"
		}
		return 0, dims, 0, start, ""
	}
	if ngiven > 0 && ngiven != sc.ndim {
		return 0, dims, 0, 0, "dimensions do not match the braces"
	}
	n = 1
	for i := 0; i < sc.ndim; i++ {
		dims[i] = Dim{Len: sc.lens[i], Lower: 1}
		if ngiven > 0 {
			if given[i].Len != sc.lens[i] {
				return 0, dims, 0, 0, "dimensions do not match the braces"
			}
			dims[i].Lower = given[i].Lower
		}
		if n *= int(sc.lens[i]); n > maxArrayItems {
			return 0, dims, 0, 0, "too many elements"
		}
	}
	return sc.ndim, dims, n, start, ""
}

type arrayScan struct {
	s     []byte
	delim byte
	ndim  int // -1 until the first element shows how deep elements sit
	lens  [MaxArrayDims]int32
	why   string
}

// level reads one brace group starting at s[p] == '{' at depth d (0 for
// the outermost) and returns the offset after its closing brace.
func (sc *arrayScan) level(p, d int) int {
	s := sc.s
	p = skipArraySpace(s, p+1)
	if p < len(s) && s[p] == '}' {
		if d > 0 {
			sc.why = "empty sub-array"
		} else {
			sc.ndim = 0
		}
		return p + 1
	}
	var count int32
	for sc.why == "" {
		if p >= len(s) {
			sc.why = "unterminated array"
			return p
		}
		if s[p] == '{' {
			if d+1 >= MaxArrayDims || (sc.ndim >= 0 && d+1 >= sc.ndim) {
				sc.why = "unbalanced or too deep braces"
				return p
			}
			p = sc.level(p, d+1)
		} else {
			if sc.ndim < 0 {
				sc.ndim = d + 1
			}
			if d+1 != sc.ndim {
				sc.why = "elements and sub-arrays mixed"
				return p
			}
			var why string
			if p, why = skipArrayElem(s, p, sc.delim); why != "" {
				sc.why = why
				return p
			}
		}
		if count++; count > maxArrayItems {
			sc.why = "too many elements"
			return p
		}
		p = skipArraySpace(s, p)
		if p >= len(s) {
			sc.why = "unterminated array"
			return p
		}
		if s[p] == sc.delim {
			p = skipArraySpace(s, p+1)
			continue
		}
		if s[p] != '}' {
			sc.why = "expected delimiter or }"
			return p
		}
		p++
		break
	}
	if sc.why != "" {
		return p
	}
	if sc.lens[d] < 0 {
		sc.lens[d] = count
	} else if sc.lens[d] != count {
		sc.why = "sub-arrays of different lengths"
	}
	return p
}

func skipArraySpace(s []byte, p int) int {
	for p < len(s) && isArraySpace(s[p]) {
		p++
	}
	return p
}

func scanArrayInt(s []byte, p int) (int64, int, bool) {
	neg := false
	if p < len(s) && (s[p] == '-' || s[p] == '+') {
		neg = s[p] == '-'
		p++
	}
	q := p
	var v int64
	for p < len(s) && s[p] >= '0' && s[p] <= '9' {
		if v = v*10 + int64(s[p]-'0'); v > math.MaxInt32+1 {
			return 0, p, false
		}
		p++
	}
	if neg {
		v = -v
	}
	return v, p, p > q && v >= math.MinInt32 && v <= math.MaxInt32
}

// skipArrayElem steps over one element starting at s[p] (not whitespace)
// and returns the offset after it.
func skipArrayElem(s []byte, p int, delim byte) (int, string) {
	if s[p] == '"' {
		for p++; p < len(s); p++ {
			switch s[p] {
			case '\\':
				p++
			case '"':
				return p + 1, ""
			}
		}
		return p, "unterminated quoted element"
	}
	q := p
	for ; p < len(s); p++ {
		switch c := s[p]; {
		case c == '\\':
			if p++; p == len(s) {
				return p, "backslash at the end"
			}
		case c == delim || c == '}':
			if p == q {
				return p, "empty unquoted element"
			}
			return p, ""
		case c == '{' || c == '"':
			return p, "unexpected " + string(c) + " in an element"
		}
	}
	return p, "unterminated array"
}

// arrayTextElem reads the element at s[p], checked by skipArrayElem, and
// returns its text (unescaped into scratch only when it has escapes),
// whether it is an unquoted NULL, and the offset after it.
func arrayTextElem(s []byte, p int, delim byte, scratch []byte) (d []byte, null bool, next int, _ []byte) {
	if s[p] == '"' {
		q := p + 1
		for p = q; s[p] != '"'; p++ {
			if s[p] == '\\' {
				return unescapeArrayElem(s, q, delim, true, scratch)
			}
		}
		return s[q:p:p], false, p + 1, scratch
	}
	q := p
	for ; s[p] != delim && s[p] != '}'; p++ {
		if s[p] == '\\' {
			return unescapeArrayElem(s, q, delim, false, scratch)
		}
	}
	e := p
	for isArraySpace(s[e-1]) {
		e--
	}
	d = s[q:e:e]
	return d, len(d) == 4 && (d[0]|0x20) == 'n' && (d[1]|0x20) == 'u' && (d[2]|0x20) == 'l' && (d[3]|0x20) == 'l', p, scratch
}

func unescapeArrayElem(s []byte, p int, delim byte, quoted bool, scratch []byte) ([]byte, bool, int, []byte) {
	keep := 0 // unquoted: length up to the last escaped byte, which trimming keeps
	for ; ; p++ {
		c := s[p]
		switch {
		case c == '\\':
			p++
			scratch = append(scratch, s[p])
			keep = len(scratch)
		case quoted && c == '"':
			return scratch, false, p + 1, scratch
		case !quoted && (c == delim || c == '}'):
			e := len(scratch)
			for e > keep && isArraySpace(scratch[e-1]) {
				e--
			}
			return scratch[:e:e], false, p, scratch
		default:
			scratch = append(scratch, c)
		}
	}
}

// AppendArrayBinary appends the binary form (array_send's) of an array of
// element type elemOID with dimensions dims (nil: one dimension, lower
// bound 1) holding elems in storage order: codec.ColumnNull for NULL, else
// the element's binary form.
func AppendArrayBinary(dst []byte, elemOID uint32, dims []Dim, elems []codec.Column) ([]byte, error) {
	if err := checkArrayArgs(elemOID, dims, len(elems), "encode array binary"); err != nil {
		return dst, err
	}
	hasNull := uint32(0)
	for _, e := range elems {
		if e.Kind == codec.ColumnNull {
			hasNull = 1
		}
	}
	switch {
	case len(elems) == 0:
		// Every array without elements is sent without dimensions.
		dst = binary.BigEndian.AppendUint32(dst, 0)
		dst = binary.BigEndian.AppendUint32(dst, 0)
		dst = binary.BigEndian.AppendUint32(dst, elemOID)
	case dims == nil:
		dst = binary.BigEndian.AppendUint32(dst, 1)
		dst = binary.BigEndian.AppendUint32(dst, hasNull)
		dst = binary.BigEndian.AppendUint32(dst, elemOID)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(elems)))
		dst = binary.BigEndian.AppendUint32(dst, 1)
	default:
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(dims)))
		dst = binary.BigEndian.AppendUint32(dst, hasNull)
		dst = binary.BigEndian.AppendUint32(dst, elemOID)
		for _, d := range dims {
			dst = binary.BigEndian.AppendUint32(dst, uint32(d.Len))
			dst = binary.BigEndian.AppendUint32(dst, uint32(d.Lower))
		}
	}
	for _, e := range elems {
		if e.Kind == codec.ColumnNull {
			dst = binary.BigEndian.AppendUint32(dst, math.MaxUint32)
			continue
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(e.Data)))
		dst = append(dst, e.Data...)
	}
	return dst, nil
}

// AppendArrayText appends the text form (array_out's) of an array like
// AppendArrayBinary's; each element is codec.ColumnNull, its text
// (codec.ColumnText), or its binary form (codec.ColumnBinary, rendered by
// AppendText).
func AppendArrayText(dst []byte, elemOID uint32, dims []Dim, elems []codec.Column) ([]byte, error) {
	if err := checkArrayArgs(elemOID, dims, len(elems), "encode array text"); err != nil {
		return dst, err
	}
	if len(elems) == 0 {
		return append(dst, "{}"...), nil
	}
	orig := len(dst)
	delim := arrayDelim(elemOID)
	dst = appendArrayDims(dst, dims) // nil dims, one with lower bound 1, print none
	var w braceWalk
	dst = w.open(dst, dims)
	var err error
	for i, e := range elems {
		if i > 0 {
			dst = w.next(dst, dims, delim)
		}
		start := len(dst)
		switch e.Kind {
		case codec.ColumnNull:
			dst = append(dst, "NULL"...)
			continue
		case codec.ColumnText:
			dst = append(dst, e.Data...)
		case codec.ColumnBinary:
			if dst, err = AppendText(dst, elemOID, -1, e.Data); err != nil {
				return dst[:orig], err
			}
		default:
			return dst[:orig], &Error{OID: elemOID, Op: "encode array text", Err: ErrWrongType}
		}
		dst = quoteArrayElem(dst, start, delim)
	}
	return w.close(dst, dims), nil
}

// checkArrayArgs checks that n elements fill dims exactly (nil dims: one
// dimension holding them all).
func checkArrayArgs(elemOID uint32, dims []Dim, n int, op string) error {
	if dims == nil {
		if n > maxArrayItems {
			return &Error{OID: elemOID, Op: op, Err: ErrRange}
		}
		return nil
	}
	if len(dims) > MaxArrayDims {
		return &Error{OID: elemOID, Op: op, Err: ErrRange}
	}
	p := int64(1)
	if len(dims) == 0 {
		p = 0
	}
	for _, d := range dims {
		if d.Len < 0 || int64(d.Lower)+int64(d.Len)-1 > math.MaxInt32 {
			return &Error{OID: elemOID, Op: op, Err: ErrRange}
		}
		if p *= int64(d.Len); p > maxArrayItems {
			return &Error{OID: elemOID, Op: op, Err: ErrRange}
		}
	}
	if p != int64(n) {
		return &Error{OID: elemOID, Op: op, Err: ErrRange}
	}
	return nil
}

// arrayDecode returns an array as []any: one level of []any per
// dimension, each element as Decode returns it (nil for NULL). An array
// without elements is an empty []any. Lower bounds are dropped; DecodeArray
// has them.
func arrayDecode(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	return decodeArrayAny(nil, t, kind, src)
}

// decodeArrayAny is arrayDecode with the types of reg (nil: the built-in
// ones).
func decodeArrayAny(reg *Registry, t *Type, kind codec.ColumnKind, src []byte) (any, error) {
	a, err := decodeArray(reg, t.OID, kind, src, nil)
	if err != nil {
		return nil, err
	}
	flat := make([]any, 0, a.n)
	for {
		c, ok := a.Next()
		if !ok {
			break
		}
		if c.Kind == codec.ColumnText {
			c.Data = bytes.Clone(c.Data) // it may sit in the reused scratch
		}
		v, err := reg.Decode(a.elem, c.Kind, -1, c.Data)
		if err != nil {
			return nil, err
		}
		flat = append(flat, v)
	}
	return nestArray(flat, a.Dims()), nil
}

// nestArray groups flat storage-order elements into one []any per
// dimension.
func nestArray(flat []any, dims []Dim) []any {
	if len(dims) <= 1 {
		return flat
	}
	inner := 1
	for _, d := range dims[1:] {
		inner *= int(d.Len)
	}
	out := make([]any, dims[0].Len)
	for i := range out {
		out[i] = nestArray(flat[i*inner:(i+1)*inner:(i+1)*inner], dims[1:])
	}
	return out
}
