package value

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/pgwal/pgwal/codec"
)

// numGeo is a geometric value that encodes itself.
type numGeo interface {
	AppendText([]byte) []byte
	AppendBinary([]byte) ([]byte, error)
}

func numGeoOID(v numGeo) uint32 {
	switch v.(type) {
	case Point:
		return 600
	case LSeg:
		return 601
	case Path:
		return 602
	case Box:
		return 603
	case Polygon:
		return 604
	case Line:
		return 628
	}
	return 718
}

// Texts as geo_ops.c's output functions print them (see the regression
// tests' point.out, box.out, path.out, ...).
func TestNumGeometricText(t *testing.T) {
	for _, c := range []struct {
		v    numGeo
		want string
	}{
		{Point{1, 2}, "(1,2)"},
		{Point{-0.5, 1e100}, "(-0.5,1e+100)"},
		{Point{math.NaN(), math.Inf(-1)}, "(NaN,-Infinity)"},
		{LSeg{[2]Point{{0, 0}, {1, 1}}}, "[(0,0),(1,1)]"},
		{Box{Point{1, 1}, Point{0, 0}}, "(1,1),(0,0)"},
		{Path{Closed: false, Points: []Point{{0, 0}, {1, 1}}}, "[(0,0),(1,1)]"},
		{Path{Closed: true, Points: []Point{{0, 0}, {1, 1}, {2, 0}}}, "((0,0),(1,1),(2,0))"},
		{Polygon{[]Point{{0, 0}, {1, 1}}}, "((0,0),(1,1))"},
		{Line{1, 2, 3}, "{1,2,3}"},
		{Line{-1, 0, 1e-10}, "{-1,0,1e-10}"},
		{Circle{Point{1, 2}, 3}, "<(1,2),3>"},
	} {
		bin, err := c.v.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendText(nil, numGeoOID(c.v), -1, bin)
		if err != nil || string(got) != c.want || string(c.v.AppendText(nil)) != c.want {
			t.Errorf("%+v: %q, %v; want %q", c.v, got, err, c.want)
		}
	}
	// box_recv orders the corners before box_out prints them.
	bin, _ := Box{Point{0, 1}, Point{1, math.NaN()}}.AppendBinary(nil)
	if got, _ := AppendText(nil, 603, -1, bin); string(got) != "(1,NaN),(0,1)" {
		t.Errorf("unordered box: %q", got)
	}
}

func TestNumGeometricTextInput(t *testing.T) {
	opts := cmp.Options{cmpopts.EquateNaNs()}
	for _, c := range []struct {
		oid  uint32
		in   string
		want any
	}{
		{600, " ( 1 , 2 ) ", Point{1, 2}},
		{600, "1,2", Point{1, 2}},
		{601, "[(0,0),(1,1)]", LSeg{[2]Point{{0, 0}, {1, 1}}}},
		{601, "(0,0),(1,1)", LSeg{[2]Point{{0, 0}, {1, 1}}}},
		{603, "(0,0),(1,1)", Box{Point{1, 1}, Point{0, 0}}},
		{603, "((1,0),(0,1))", Box{Point{1, 1}, Point{0, 0}}},
		{602, "[(0,0),(1,1)]", Path{Points: []Point{{0, 0}, {1, 1}}}},
		{602, "((0,0),(1,1))", Path{Closed: true, Points: []Point{{0, 0}, {1, 1}}}},
		{604, "((0,0),(1,1))", Polygon{[]Point{{0, 0}, {1, 1}}}},
		{628, "{1,2,3}", Line{1, 2, 3}},
		{718, "<(1,2),3>", Circle{Point{1, 2}, 3}},
		{718, "((1,2),3)", Circle{Point{1, 2}, 3}},
		{718, "1,2,3", Circle{Point{1, 2}, 3}},
	} {
		got, err := Decode(c.oid, codec.ColumnText, -1, []byte(c.in))
		if err != nil || !cmp.Equal(got, c.want, opts) {
			t.Errorf("Decode %d %q: %+v, %v; want %+v", c.oid, c.in, got, err, c.want)
		}
	}
	for _, c := range []struct {
		oid uint32
		in  string
	}{{600, "(1,2"}, {600, "(1,2,3)"}, {601, "[(0,0)]"}, {603, "(0,0)"}, {602, "[]"}, {628, "{1,2}"}, {718, "<(1,2),-1>"}, {718, "<(1,2),3"}} {
		_, err := Decode(c.oid, codec.ColumnText, -1, []byte(c.in))
		numWantErr(t, c.in, err, c.oid, ErrMalformed)
	}
	for _, c := range []struct {
		oid uint32
		bin string
	}{
		{600, "00"}, {602, "01ffffffff"}, {602, "0100000000"}, {602, "01000000010000"},
		{604, "7fffffff"},
		{718, "00000000000000000000000000000000bff0000000000000"}, // radius -1
	} {
		_, err := AppendText(nil, c.oid, -1, numHex(t, c.bin))
		numWantErr(t, c.bin, err, c.oid, ErrMalformed)
	}
	if _, err := (Path{}).AppendBinary(nil); err == nil {
		t.Error("a path without points encodes")
	}
}

func TestNumGeometricProperties(t *testing.T) {
	p := numProps(t)
	f := gen.OneGenOf(gen.Float64(), gen.Float64Range(-1000, 1000), gen.OneConstOf(0.0, math.Copysign(0, -1), math.NaN(), math.Inf(1), 5e-324))
	pt := gopter.CombineGens(f, f).Map(func(v []any) Point { return Point{v[0].(float64), v[1].(float64)} })
	pts := gen.SliceOf(pt).SuchThat(func(p []Point) bool { return len(p) > 0 })
	geo := gen.OneGenOf(
		pt.Map(func(p Point) numGeo { return p }),
		gopter.CombineGens(pt, pt).Map(func(v []any) numGeo { return LSeg{[2]Point{v[0].(Point), v[1].(Point)}} }),
		gopter.CombineGens(pt, pt).Map(func(v []any) numGeo { return Box{v[0].(Point), v[1].(Point)}.normalize() }),
		gopter.CombineGens(gen.Bool(), pts).Map(func(v []any) numGeo { return Path{v[0].(bool), v[1].([]Point)} }),
		pts.Map(func(p []Point) numGeo { return Polygon{p} }),
		gopter.CombineGens(f, f, f).Map(func(v []any) numGeo { return Line{v[0].(float64), v[1].(float64), v[2].(float64)} }),
		gopter.CombineGens(pt, gen.Float64Range(0, 1e10)).Map(func(v []any) numGeo { return Circle{v[0].(Point), v[1].(float64)} }),
	)
	p.Property("geometric encode/decode", prop.ForAll(func(v numGeo) bool {
		oid := numGeoOID(v)
		bin, err := v.AppendBinary(nil)
		if err != nil {
			return false
		}
		text := v.AppendText(nil)
		rendered, err := AppendText(nil, oid, -1, bin)
		if err != nil || string(rendered) != string(text) {
			return false
		}
		fb, err1 := Decode(oid, codec.ColumnBinary, -1, bin)
		ft, err2 := Decode(oid, codec.ColumnText, -1, text)
		return err1 == nil && err2 == nil && cmp.Equal(fb, v, cmpopts.EquateNaNs()) && cmp.Equal(ft, v, cmpopts.EquateNaNs())
	}, geo))
	p.TestingRun(t)
}

func TestNumGeometricAllocs(t *testing.T) {
	bin, _ := Point{1.5, -2e-7}.AppendBinary(nil)
	text := []byte("(1.5,-2e-07)")
	path, _ := Path{Points: []Point{{1, 2}, {3, 4}}}.AppendBinary(nil)
	buf := make([]byte, 0, 64)
	pts := make([]Point, 0, 4)
	numZeroAllocs(t, "AppendText point", func() { buf, _ = AppendText(buf[:0], 600, -1, bin) })
	numZeroAllocs(t, "AppendText path", func() { buf, _ = AppendText(buf[:0], 602, -1, path) })
	numZeroAllocs(t, "DecodePoint binary", func() { _, _ = DecodePoint(600, codec.ColumnBinary, bin) })
	numZeroAllocs(t, "DecodePoint text", func() { _, _ = DecodePoint(600, codec.ColumnText, text) })
	numZeroAllocs(t, "DecodePath reused", func() { _, _ = DecodePath(pts, 602, codec.ColumnBinary, path) })
}
