package value

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/pgwal/pgwal/codec"
)

// The geometric types. Binary forms are float8s in a fixed order (path
// adds a closed flag byte and a point count, polygon a point count); text
// forms print each float as float8out does (appendFloat8Text) inside the
// type's punctuation:
//
//	point    (1,2)
//	lseg     [(0,0),(1,1)]
//	box      (1,1),(0,0)     high corner first
//	path     [(0,0),(1,1)]   open; ((0,0),(1,1)) closed
//	polygon  ((0,0),(1,1))
//	line     {1,2,3}         Ax + By + C = 0
//	circle   <(1,2),3>

func init() {
	g := func(oid, arr uint32, name string) *Type {
		return &Type{OID: oid, Name: name, Category: CategoryGeometric, Array: arr, BinaryToText: geoBinaryToText, Decode: geoDecode}
	}
	register(
		g(600, 1017, "point"),
		g(601, 1018, "lseg"),
		g(602, 1019, "path"),
		g(603, 1020, "box"),
		g(604, 1027, "polygon"),
		g(628, 629, "line"),
		g(718, 719, "circle"),
	)
}

// Point is a point (x,y).
type Point struct{ X, Y float64 }

// LSeg is a line segment between two points.
type LSeg struct{ P [2]Point }

// Box is a rectangle by two opposite corners. The decoders order them as
// the server does: High has the larger coordinates (NaN counts as the
// largest).
type Box struct{ High, Low Point }

// Path is an open or closed path.
type Path struct {
	Closed bool
	Points []Point
}

// Polygon is a closed polygon.
type Polygon struct{ Points []Point }

// Line is the infinite line Ax + By + C = 0.
type Line struct{ A, B, C float64 }

// Circle is a circle by its center and radius.
type Circle struct {
	Center Point
	Radius float64
}

// geoFloats reads n float8s from src (which the caller has sized).
func geoFloat(src []byte, i int) float64 {
	return math.Float64frombits(binary.BigEndian.Uint64(src[8*i:]))
}

func geoAppendFloat(dst []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(v))
}

func (p Point) appendText(dst []byte) []byte {
	dst = append(dst, '(')
	dst = appendFloat8Text(dst, p.X)
	dst = append(dst, ',')
	dst = appendFloat8Text(dst, p.Y)
	return append(dst, ')')
}

func (p Point) appendBinary(dst []byte) []byte {
	return geoAppendFloat(geoAppendFloat(dst, p.X), p.Y)
}

func geoPoints(dst []byte, open, close byte, pts []Point) []byte {
	dst = append(dst, open)
	for i, p := range pts {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = p.appendText(dst)
	}
	return append(dst, close)
}

// AppendText appends the text the server prints for p.
func (p Point) AppendText(dst []byte) []byte { return p.appendText(dst) }

// AppendBinary appends point's binary form; it cannot fail.
func (p Point) AppendBinary(dst []byte) ([]byte, error) { return p.appendBinary(dst), nil }

// AppendText appends the text the server prints for l.
func (l LSeg) AppendText(dst []byte) []byte { return geoPoints(dst, '[', ']', l.P[:]) }

// AppendBinary appends lseg's binary form; it cannot fail.
func (l LSeg) AppendBinary(dst []byte) ([]byte, error) {
	return l.P[1].appendBinary(l.P[0].appendBinary(dst)), nil
}

// AppendText appends the text the server prints for b (High first).
func (b Box) AppendText(dst []byte) []byte {
	return b.Low.appendText(append(b.High.appendText(dst), ','))
}

// AppendBinary appends box's binary form, corners as they are; it cannot
// fail.
func (b Box) AppendBinary(dst []byte) ([]byte, error) {
	return b.Low.appendBinary(b.High.appendBinary(dst)), nil
}

// AppendText appends the text the server prints for p.
func (p Path) AppendText(dst []byte) []byte {
	if p.Closed {
		return geoPoints(dst, '(', ')', p.Points)
	}
	return geoPoints(dst, '[', ']', p.Points)
}

// geoMaxPoints bounds a path's or polygon's point count as the server
// does (its size must fit in an int32 allocation).
const geoMaxPoints = (math.MaxInt32 - 32) / 16

// AppendBinary appends path's binary form; a path without points, which
// the server does not accept, is ErrRange.
func (p Path) AppendBinary(dst []byte) ([]byte, error) {
	if len(p.Points) == 0 || len(p.Points) >= geoMaxPoints {
		return dst, &Error{OID: 602, Type: "path", Op: "encode path", Err: ErrRange}
	}
	c := byte(0)
	if p.Closed {
		c = 1
	}
	dst = binary.BigEndian.AppendUint32(append(dst, c), uint32(len(p.Points)))
	for _, pt := range p.Points {
		dst = pt.appendBinary(dst)
	}
	return dst, nil
}

// AppendText appends the text the server prints for p.
func (p Polygon) AppendText(dst []byte) []byte { return geoPoints(dst, '(', ')', p.Points) }

// AppendBinary appends polygon's binary form; a polygon without points is
// ErrRange.
func (p Polygon) AppendBinary(dst []byte) ([]byte, error) {
	if len(p.Points) == 0 || len(p.Points) >= geoMaxPoints {
		return dst, &Error{OID: 604, Type: "polygon", Op: "encode polygon", Err: ErrRange}
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(p.Points)))
	for _, pt := range p.Points {
		dst = pt.appendBinary(dst)
	}
	return dst, nil
}

// AppendText appends the text the server prints for l.
func (l Line) AppendText(dst []byte) []byte {
	dst = appendFloat8Text(append(dst, '{'), l.A)
	dst = appendFloat8Text(append(dst, ','), l.B)
	dst = appendFloat8Text(append(dst, ','), l.C)
	return append(dst, '}')
}

// AppendBinary appends line's binary form; it cannot fail.
func (l Line) AppendBinary(dst []byte) ([]byte, error) {
	return geoAppendFloat(geoAppendFloat(geoAppendFloat(dst, l.A), l.B), l.C), nil
}

// AppendText appends the text the server prints for c.
func (c Circle) AppendText(dst []byte) []byte {
	dst = c.Center.appendText(append(dst, '<'))
	dst = appendFloat8Text(append(dst, ','), c.Radius)
	return append(dst, '>')
}

// AppendBinary appends circle's binary form; a negative radius, which
// the server rejects, is ErrRange.
func (c Circle) AppendBinary(dst []byte) ([]byte, error) {
	if c.Radius < 0 {
		return dst, &Error{OID: 718, Type: "circle", Op: "encode circle", Err: ErrRange}
	}
	return geoAppendFloat(c.Center.appendBinary(dst), c.Radius), nil
}

// geoGreater is float8_gt: NaN above everything, equal to itself.
func geoGreater(a, b float64) bool {
	if math.IsNaN(a) {
		return !math.IsNaN(b)
	}
	return !math.IsNaN(b) && a > b
}

// normalize orders the corners as box_in and box_recv do.
func (b Box) normalize() Box {
	if geoGreater(b.Low.X, b.High.X) {
		b.Low.X, b.High.X = b.High.X, b.Low.X
	}
	if geoGreater(b.Low.Y, b.High.Y) {
		b.Low.Y, b.High.Y = b.High.Y, b.Low.Y
	}
	return b
}

// geoFixed is the binary size of each fixed-size geometric type.
func geoFixed(oid uint32) int {
	switch oid {
	case 600:
		return 16
	case 601, 603:
		return 32
	case 628:
		return 24
	case 718:
		return 24
	}
	return 0
}

// geoCheck checks a binary value's length and returns, for path and
// polygon, the point data and count.
func geoCheck(t *Type, op string, src []byte) (pts []byte, n int, closed bool, err error) {
	switch t.OID {
	case 602, 604:
		hdr := 4
		if t.OID == 602 {
			hdr = 5
			if len(src) > 0 {
				closed = src[0] != 0
			}
		}
		if len(src) < hdr {
			return nil, 0, false, malformed(t, op, "%d bytes", len(src))
		}
		n := int(int32(binary.BigEndian.Uint32(src[hdr-4:])))
		if n <= 0 || n >= geoMaxPoints || len(src)-hdr != 16*n {
			return nil, 0, false, malformed(t, op, "%d points in %d bytes", n, len(src))
		}
		return src[hdr:], n, closed, nil
	}
	if want := geoFixed(t.OID); len(src) != want {
		return nil, 0, false, malformed(t, op, "%d bytes, want %d", len(src), want)
	}
	if t.OID == 718 && geoFloat(src, 2) < 0 {
		return nil, 0, false, malformed(t, op, "negative radius")
	}
	return src, 0, false, nil
}

func geoPointAt(src []byte, i int) Point {
	return Point{geoFloat(src, 2*i), geoFloat(src, 2*i+1)}
}

func geoBinaryToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	pts, n, closed, err := geoCheck(t, "binary to text", src)
	if err != nil {
		return dst, err
	}
	switch t.OID {
	case 600:
		return geoPointAt(src, 0).appendText(dst), nil
	case 601:
		return LSeg{[2]Point{geoPointAt(src, 0), geoPointAt(src, 1)}}.AppendText(dst), nil
	case 603:
		return Box{geoPointAt(src, 0), geoPointAt(src, 1)}.normalize().AppendText(dst), nil
	case 628:
		return Line{geoFloat(src, 0), geoFloat(src, 1), geoFloat(src, 2)}.AppendText(dst), nil
	case 718:
		return Circle{geoPointAt(src, 0), geoFloat(src, 2)}.AppendText(dst), nil
	}
	open, close := byte('('), byte(')')
	if t.OID == 602 && !closed {
		open, close = '[', ']'
	}
	dst = append(dst, open)
	for i := 0; i < n; i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = geoPointAt(pts, i).appendText(dst)
	}
	return append(dst, close), nil
}

func geoDecode(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	switch t.OID {
	case 600:
		return DecodePoint(t.OID, kind, src)
	case 601:
		return DecodeLSeg(t.OID, kind, src)
	case 602:
		return DecodePath(nil, t.OID, kind, src)
	case 603:
		return DecodeBox(t.OID, kind, src)
	case 604:
		return DecodePolygon(nil, t.OID, kind, src)
	case 628:
		return DecodeLine(t.OID, kind, src)
	}
	return DecodeCircle(t.OID, kind, src)
}

// geoStart checks the accessor's type and the column kind.
func geoStart(oid, want uint32, op string, kind codec.ColumnKind) (*Type, error) {
	t, err := typeOf(oid, op)
	if err != nil {
		return nil, err
	}
	if oid != want {
		return nil, wrongType(t, op)
	}
	return t, numKind(t, op, kind)
}

// DecodePoint returns the value of a point column in either form. The
// text form is "(x,y)" or "x,y", as point_in reads it.
func DecodePoint(oid uint32, kind codec.ColumnKind, src []byte) (Point, error) {
	const op = "decode point"
	t, err := geoStart(oid, 600, op, kind)
	if err != nil {
		return Point{}, err
	}
	if kind == codec.ColumnBinary {
		if _, _, _, err := geoCheck(t, op, src); err != nil {
			return Point{}, err
		}
		return geoPointAt(src, 0), nil
	}
	s := geoScanner{s: src}
	p, ok := s.point()
	if !ok || !s.end() {
		return Point{}, malformed(t, op, "text %q", src)
	}
	return p, nil
}

// DecodeLSeg returns the value of an lseg column in either form; the text
// form is two points, "[(x1,y1),(x2,y2)]" with or without the brackets.
func DecodeLSeg(oid uint32, kind codec.ColumnKind, src []byte) (LSeg, error) {
	const op = "decode lseg"
	t, err := geoStart(oid, 601, op, kind)
	if err != nil {
		return LSeg{}, err
	}
	if kind == codec.ColumnBinary {
		if _, _, _, err := geoCheck(t, op, src); err != nil {
			return LSeg{}, err
		}
		return LSeg{[2]Point{geoPointAt(src, 0), geoPointAt(src, 1)}}, nil
	}
	var pts [2]Point
	got, _, ok := geoScanPoints(pts[:0], src)
	if !ok || len(got) != 2 {
		return LSeg{}, malformed(t, op, "text %q", src)
	}
	return LSeg{pts}, nil
}

// DecodeBox returns the value of a box column in either form, corners
// ordered as the server orders them; the text form is two points,
// "(x1,y1),(x2,y2)", optionally in parentheses.
func DecodeBox(oid uint32, kind codec.ColumnKind, src []byte) (Box, error) {
	const op = "decode box"
	t, err := geoStart(oid, 603, op, kind)
	if err != nil {
		return Box{}, err
	}
	if kind == codec.ColumnBinary {
		if _, _, _, err := geoCheck(t, op, src); err != nil {
			return Box{}, err
		}
		return Box{geoPointAt(src, 0), geoPointAt(src, 1)}.normalize(), nil
	}
	var pts [2]Point
	got, _, ok := geoScanPoints(pts[:0], src)
	if !ok || len(got) != 2 {
		return Box{}, malformed(t, op, "text %q", src)
	}
	return Box{pts[0], pts[1]}.normalize(), nil
}

// DecodePath returns the value of a path column in either form, its
// points appended to dst[:0] (reuse dst, and nothing is allocated). The
// text form is "[(x,y),...]" (open) or "((x,y),...)" (closed).
func DecodePath(dst []Point, oid uint32, kind codec.ColumnKind, src []byte) (Path, error) {
	const op = "decode path"
	t, err := geoStart(oid, 602, op, kind)
	if err != nil {
		return Path{}, err
	}
	if kind == codec.ColumnBinary {
		pts, n, closed, err := geoCheck(t, op, src)
		if err != nil {
			return Path{}, err
		}
		dst = dst[:0]
		for i := 0; i < n; i++ {
			dst = append(dst, geoPointAt(pts, i))
		}
		return Path{Closed: closed, Points: dst}, nil
	}
	pts, open, ok := geoScanPoints(dst[:0], src)
	if !ok || len(pts) == 0 {
		return Path{}, malformed(t, op, "text %q", src)
	}
	return Path{Closed: !open, Points: pts}, nil
}

// DecodePolygon is DecodePath for a polygon column.
func DecodePolygon(dst []Point, oid uint32, kind codec.ColumnKind, src []byte) (Polygon, error) {
	const op = "decode polygon"
	t, err := geoStart(oid, 604, op, kind)
	if err != nil {
		return Polygon{}, err
	}
	if kind == codec.ColumnBinary {
		pts, n, _, err := geoCheck(t, op, src)
		if err != nil {
			return Polygon{}, err
		}
		dst = dst[:0]
		for i := 0; i < n; i++ {
			dst = append(dst, geoPointAt(pts, i))
		}
		return Polygon{Points: dst}, nil
	}
	pts, _, ok := geoScanPoints(dst[:0], src)
	if !ok || len(pts) == 0 {
		return Polygon{}, malformed(t, op, "text %q", src)
	}
	return Polygon{Points: pts}, nil
}

// DecodeLine returns the value of a line column in either form; the text
// form is "{A,B,C}".
func DecodeLine(oid uint32, kind codec.ColumnKind, src []byte) (Line, error) {
	const op = "decode line"
	t, err := geoStart(oid, 628, op, kind)
	if err != nil {
		return Line{}, err
	}
	if kind == codec.ColumnBinary {
		if _, _, _, err := geoCheck(t, op, src); err != nil {
			return Line{}, err
		}
		return Line{geoFloat(src, 0), geoFloat(src, 1), geoFloat(src, 2)}, nil
	}
	s := geoScanner{s: src}
	var l Line
	ok := s.byte('{')
	ok = ok && s.float(&l.A) && s.byte(',') && s.float(&l.B) && s.byte(',') && s.float(&l.C) && s.byte('}') && s.end()
	if !ok {
		return Line{}, malformed(t, op, "text %q", src)
	}
	return l, nil
}

// DecodeCircle returns the value of a circle column in either form; the
// text form is "<(x,y),r>", "((x,y),r)", "(x,y),r" or "x,y,r".
func DecodeCircle(oid uint32, kind codec.ColumnKind, src []byte) (Circle, error) {
	const op = "decode circle"
	t, err := geoStart(oid, 718, op, kind)
	if err != nil {
		return Circle{}, err
	}
	if kind == codec.ColumnBinary {
		if _, _, _, err := geoCheck(t, op, src); err != nil {
			return Circle{}, err
		}
		return Circle{geoPointAt(src, 0), geoFloat(src, 2)}, nil
	}
	s := geoScanner{s: src}
	var c Circle
	close := byte(0)
	switch {
	case s.byte('<'):
		close = '>'
	case s.peek() == '(' && s.peekAfter() == '(':
		s.byte('(')
		close = ')'
	}
	p, ok := s.point()
	ok = ok && s.byte(',') && s.float(&c.Radius)
	if ok && close != 0 {
		ok = s.byte(close)
	}
	if !ok || !s.end() || c.Radius < 0 {
		return Circle{}, malformed(t, op, "text %q", src)
	}
	c.Center = p
	return c, nil
}

// geoScanner reads the text forms: floats between punctuation, white
// space allowed around each.
type geoScanner struct {
	s []byte
	i int
}

func (s *geoScanner) skip() {
	for s.i < len(s.s) && numIsSpace(s.s[s.i]) {
		s.i++
	}
}

func (s *geoScanner) peek() byte {
	s.skip()
	if s.i < len(s.s) {
		return s.s[s.i]
	}
	return 0
}

// peekAfter is the next non-space byte after the one peek sees.
func (s *geoScanner) peekAfter() byte {
	j := s.i + 1
	for j < len(s.s) && numIsSpace(s.s[j]) {
		j++
	}
	if j < len(s.s) {
		return s.s[j]
	}
	return 0
}

func (s *geoScanner) byte(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

func (s *geoScanner) end() bool { return s.peek() == 0 && s.i == len(s.s) }

func (s *geoScanner) float(f *float64) bool {
	s.skip()
	j := s.i
	for j < len(s.s) && !numIsSpace(s.s[j]) && s.s[j] != ',' && s.s[j] != ')' && s.s[j] != ']' && s.s[j] != '>' && s.s[j] != '}' {
		j++
	}
	v, err := strconv.ParseFloat(string(s.s[s.i:j]), 64)
	if err != nil {
		return false
	}
	*f, s.i = v, j
	return true
}

// point reads "(x,y)" or "x,y".
func (s *geoScanner) point() (Point, bool) {
	var p Point
	paren := s.byte('(')
	ok := s.float(&p.X) && s.byte(',') && s.float(&p.Y)
	if paren {
		ok = ok && s.byte(')')
	}
	return p, ok
}

// geoScanPoints reads a list of points as path_in does: in brackets
// (open), in parentheses or bare (closed); open reports the brackets.
func geoScanPoints(dst []Point, src []byte) (pts []Point, open, ok bool) {
	s := geoScanner{s: src}
	close := byte(0)
	switch {
	case s.byte('['):
		close, open = ']', true
	case s.peek() == '(' && s.peekAfter() == '(':
		s.byte('(')
		close = ')'
	}
	for {
		p, ok := s.point()
		if !ok {
			return dst, open, false
		}
		dst = append(dst, p)
		if !s.byte(',') {
			break
		}
	}
	if close != 0 && !s.byte(close) {
		return dst, open, false
	}
	return dst, open, s.end()
}
