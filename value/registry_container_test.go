package value

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"

	"github.com/pgwal/pgwal/codec"
)

// User type OIDs of the tests, as a database would assign them.
const (
	tMood       = 20001 // enum
	tMoodArr    = 20002 // mood[]
	tMoodDom    = 20003 // domain over mood
	tMoodDomDom = 20004 // domain over that domain
	tMoodDomArr = 20005 // array of the domain over the domain
	tPair       = 20006 // composite (mood, int4, text)
	tPairArr    = 20007
	tPosInt     = 20008 // domain over int4
	tPosRange   = 20009 // range over posint
	tPosMulti   = 20010
	tBoxDom     = 20011 // domain over box: its arrays use ';'
	tBoxDomArr  = 20012
	tPairDom    = 20013 // domain over the composite
)

func userTypes(t *testing.T) *Registry {
	t.Helper()
	var r Registry
	// Containers first: they look their parts up when a value comes.
	r.RegisterArray(tMoodArr, tMood, "_mood")
	r.RegisterComposite(tPair, "pair")
	r.RegisterArray(tPairArr, tPair, "_pair")
	r.RegisterRange(tPosRange, tPosInt, "posrange")
	r.RegisterMultirange(tPosMulti, tPosInt, "posmultirange")
	r.RegisterText(tMood, "mood", CategoryEnum)
	for _, d := range []struct {
		oid, base uint32
		name      string
	}{{tMoodDom, tMood, "mood_d"}, {tMoodDomDom, tMoodDom, "mood_dd"}, {tPosInt, 23, "posint"}, {tBoxDom, 603, "box_d"}, {tPairDom, tPair, "pair_d"}} {
		if err := r.RegisterDomain(d.oid, d.base, d.name); err != nil {
			t.Fatal(err)
		}
	}
	r.RegisterArray(tMoodDomArr, tMoodDomDom, "_mood_dd")
	r.RegisterArray(tBoxDomArr, tBoxDom, "_box_d")
	return &r
}

// bytesOf returns a check of an encoder's result that fails t on error.
func bytesOf(t *testing.T) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

func boxb(x1, y1, x2, y2 float64) codec.Column {
	var b []byte
	for _, f := range []float64{x1, y1, x2, y2} {
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	}
	return codec.Column{Kind: codec.ColumnBinary, Data: b}
}

func TestRegistryContainersText(t *testing.T) {
	r := userTypes(t)
	must := bytesOf(t)
	pair := must(AppendRecordBinary(nil, []Field{{tMood, textb("happy")}, {23, int4b(42)}, {25, textb("x,y")}}))
	pairNull := must(AppendRecordBinary(nil, []Field{{tMoodDomDom, textb("sad")}, {23, null}, {25, textb("")}}))
	bound := func(v int32) []byte { return int4b(v).Data }
	rng := AppendRangeBinary(nil, RawRange{Flags: RangeLowerInc, Kind: codec.ColumnBinary, Lower: bound(1), Upper: bound(5)})
	tests := []struct {
		name string
		oid  uint32
		src  []byte
		want string
	}{
		{"enum", tMood, []byte("ok"), "ok"},
		{"enum array", tMoodArr, must(AppendArrayBinary(nil, tMood, nil, []codec.Column{textb("happy"), null, textb("a b"), textb("NULL")})), `{happy,NULL,"a b","NULL"}`},
		{"array of a domain over a domain over an enum", tMoodDomArr, must(AppendArrayBinary(nil, tMoodDomDom, []Dim{{2, 1}, {1, 0}}, []codec.Column{textb("x"), textb("}")})), `[1:2][0:0]={{x},{"}"}}`},
		{"domain over a domain over an enum", tMoodDomDom, []byte("meh"), "meh"},
		{"composite with an enum field", tPair, pair, `(happy,42,"x,y")`},
		{"composite with a NULL and an empty field", tPair, pairNull, `(sad,,"")`},
		{"domain over a composite", tPairDom, pair, `(happy,42,"x,y")`},
		{"array of composites", tPairArr, must(AppendArrayBinary(nil, tPair, nil, []codec.Column{{Kind: codec.ColumnBinary, Data: pair}, null})), `{"(happy,42,\"x,y\")",NULL}`},
		{"range over a domain over int4", tPosRange, rng, "[1,5)"},
		{"multirange over a domain over int4", tPosMulti, AppendMultirangeBinary(nil, []RawRange{{Flags: RangeLowerInc, Kind: codec.ColumnBinary, Lower: bound(1), Upper: bound(5)}, {Flags: RangeLowerInf, Kind: codec.ColumnBinary, Upper: bound(9)}}), "{[1,5),(,9)}"},
		{"array of a domain over box", tBoxDomArr, must(AppendArrayBinary(nil, tBoxDom, nil, []codec.Column{boxb(1, 1, 0, 0), boxb(3, 3, 2, 2)})), "{(1,1),(0,0);(3,3),(2,2)}"},
		{"built-in array", 1007, must(AppendArrayBinary(nil, 23, nil, []codec.Column{int4b(7), null})), "{7,NULL}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.AppendText([]byte("prefix:"), tc.oid, -1, tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff("prefix:"+tc.want, string(got)); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
			// Without the registry the user types are unknown.
			if tc.oid >= maxBuiltinOID {
				if _, err := AppendText(nil, tc.oid, -1, tc.src); !errors.Is(err, ErrUnknownType) {
					t.Errorf("package AppendText: %v, want ErrUnknownType", err)
				}
			}
		})
	}
}

func TestRegistryContainersDecode(t *testing.T) {
	r := userTypes(t)
	must := bytesOf(t)
	pair := must(AppendRecordBinary(nil, []Field{{tMood, textb("happy")}, {tPosInt, int4b(42)}, {25, null}}))
	bound := func(v int32) []byte { return int4b(v).Data }
	tests := []struct {
		name string
		oid  uint32
		kind codec.ColumnKind
		src  []byte
		want any
	}{
		{"enum array binary", tMoodArr, codec.ColumnBinary, must(AppendArrayBinary(nil, tMood, nil, []codec.Column{textb("happy"), null})), []any{"happy", nil}},
		{"enum array text", tMoodArr, codec.ColumnText, []byte(`{happy,NULL,"a b"}`), []any{"happy", nil, "a b"}},
		{"composite binary", tPair, codec.ColumnBinary, pair, []any{"happy", int64(42), nil}},
		{"array of composites binary", tPairArr, codec.ColumnBinary, must(AppendArrayBinary(nil, tPair, nil, []codec.Column{{Kind: codec.ColumnBinary, Data: pair}})), []any{[]any{"happy", int64(42), nil}}},
		{"range binary", tPosRange, codec.ColumnBinary, AppendRangeBinary(nil, RawRange{Flags: RangeLowerInc, Kind: codec.ColumnBinary, Lower: bound(1), Upper: bound(5)}), Range{Flags: RangeLowerInc, Lower: int64(1), Upper: int64(5)}},
		{"range text", tPosRange, codec.ColumnText, []byte("[1,5)"), Range{Flags: RangeLowerInc, Lower: int64(1), Upper: int64(5)}},
		{"multirange binary", tPosMulti, codec.ColumnBinary, AppendMultirangeBinary(nil, []RawRange{{Flags: RangeEmpty}}), []Range{{Flags: RangeEmpty}}},
		{"NULL", tPair, codec.ColumnNull, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Decode(tc.oid, tc.kind, -1, tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("-want +got:\n%s", diff)
			}
		})
	}
}

func TestRegistryContainerErrors(t *testing.T) {
	r := userTypes(t)
	must := bytesOf(t)
	var zero Registry
	zero.RegisterArray(tMoodArr, tMood, "_mood") // the element is not registered
	arr := must(AppendArrayBinary(nil, tMood, nil, []codec.Column{textb("happy")}))
	unknownField := must(AppendRecordBinary(nil, []Field{{30000, textb("?")}}))
	tests := []struct {
		name string
		r    *Registry
		oid  uint32
		src  []byte
		want error
	}{
		{"array over an unregistered element", &zero, tMoodArr, arr, ErrUnknownType},
		{"composite with a field of an unknown type", r, tPair, unknownField, ErrUnknownType},
		{"array whose header names another element", r, tMoodArr, must(AppendArrayBinary(nil, tPosInt, nil, []codec.Column{int4b(1)})), ErrMalformed},
		{"truncated array", r, tMoodArr, arr[:len(arr)-1], ErrMalformed},
		{"truncated range", r, tPosRange, []byte{byte(RangeLowerInc), 0, 0, 0, 4, 0}, ErrMalformed},
		{"nil registry", nil, tMoodArr, arr, ErrUnknownType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.r.AppendText([]byte("keep"), tc.oid, -1, tc.src)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if string(got) != "keep" {
				t.Errorf("dst on error %q, want it as it came", got)
			}
		})
	}
}

// A built-in array rendered through a filled Registry allocates nothing,
// as through the package function.
func TestRegistryBuiltinArrayAllocs(t *testing.T) {
	r := userTypes(t)
	must := bytesOf(t)
	src := must(AppendArrayBinary(nil, 25, nil, []codec.Column{textb("a b"), null, textb("c")}))
	buf := make([]byte, 0, 256)
	for name, f := range map[string]func() error{
		"registry": func() error { _, err := r.AppendText(buf[:0], 1009, -1, src); return err },
		"package":  func() error { _, err := AppendText(buf[:0], 1009, -1, src); return err },
	} {
		var err error
		if n := testing.AllocsPerRun(100, func() { err = f() }); err != nil || n != 0 {
			t.Errorf("%s: %v allocations, error %v", name, n, err)
		}
	}
}

// Arrays of an enum (through a domain, and inside a composite) render as
// array_out prints the same labels as text.
func TestRegistryArrayProperties(t *testing.T) {
	r := userTypes(t)
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 1000
	props := gopter.NewProperties(params)
	props.Property("enum array binary renders as array_out", prop.ForAll(func(a genArray) string {
		bin, err := AppendArrayBinary(nil, tMoodDomDom, a.dims, textColumns(a.elems))
		if err != nil {
			return err.Error()
		}
		got, err := r.AppendText(nil, tMoodDomArr, -1, bin)
		want := modelArrayOut(a.dims, a.elems)
		if err != nil || string(got) != want {
			return fmt.Sprintf("got %q, %v; want %q", got, err, want)
		}
		// The text reads back through the registry to the same labels.
		rd, err := r.DecodeArray(tMoodDomArr, codec.ColumnText, got, nil)
		if err != nil || rd.Len() != len(a.elems) {
			return fmt.Sprintf("%q: read back %d elements, %v", got, rd.Len(), err)
		}
		for _, e := range a.elems {
			c, _ := rd.Next()
			if (e == nil) != (c.Kind == codec.ColumnNull) || e != nil && string(c.Data) != *e {
				return fmt.Sprintf("%q: element %q, want %v", got, c.Data, e)
			}
		}
		return ""
	}, genArrays()))
	props.TestingRun(t)
}
