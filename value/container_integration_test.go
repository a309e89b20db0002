package value

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/pgserver"
)

// serverValues asks the server for the text and the send function's bytes
// of each expression (all of one type).
func serverValues(t *testing.T, s *pgserver.Server, send string, exprs []string) (texts []string, bins [][]byte) {
	t.Helper()
	var rows strings.Builder
	for i, e := range exprs {
		if i > 0 {
			rows.WriteString(", ")
		}
		fmt.Fprintf(&rows, "(%d, %s)", i, e)
	}
	var out [][2]string
	queryJSON(t, s, fmt.Sprintf("SELECT json_agg(json_build_array(v::text, encode(%s(v), 'hex')) ORDER BY n) FROM (VALUES %s) t(n, v)", send, rows.String()), &out)
	if len(out) != len(exprs) {
		t.Fatalf("%d rows for %d values", len(out), len(exprs))
	}
	for _, r := range out {
		b, err := hex.DecodeString(r[1])
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, r[0])
		bins = append(bins, b)
	}
	return texts, bins
}

// awkward are text values that array_out and record_out must quote, or
// must not.
var awkward = []string{
	"''", "'NULL'", "'null'", "'Null'", "'nullx'", "'a,b'", `'a"b'`, `E'a\\b'`, "' lead'", "'trail '",
	"E'tab\\there'", "E'new\\nline'", "'a'||chr(11)||'b'", "'a'||chr(13)", "'{}'", "'{'", "'()'", "'[1,2)'",
	"'é'", "'a;b'", "'日本'", `E'\\\\"'`, "'x'",
}

// awkwardText is awkward with each value cast to text, so a ROW's fields
// are text rather than unknown.
func awkwardText() []string {
	var out []string
	for _, a := range awkward {
		out = append(out, "("+a+")::text")
	}
	return out
}

func TestArraysOnServer(t *testing.T) {
	texts := strings.Join(awkwardText(), ", ")
	cases := []struct {
		oid   uint32
		exprs []string
	}{
		{1007, []string{"ARRAY[1,2,NULL]", "'{}'::int4[]", "'{{1,2},{3,4}}'::int4[]", "'[0:2]={1,2,3}'::int4[]",
			"'[1:2][0:0]={{7},{NULL}}'::int4[]", "ARRAY[-2147483648, 2147483647]", "'{{{1,2,3}},{{4,5,6}}}'::int4[]",
			"'[-5:-4]={1,2}'::int4[]", "ARRAY[NULL]::int4[]", "'[2:2][2:3][1:1]={{{1},{2}}}'::int4[]",
			"'{{{{{{1}}}}}}'::int4[]", "array_fill(7, ARRAY[2,3], ARRAY[-1,4])"}},
		{1009, []string{"ARRAY[" + texts + "]", "ARRAY[ARRAY['a','b c'],ARRAY[NULL,'']]", "'{}'::text[]", "'[3:3]={\"\"}'::text[]"}},
		{3905, []string{"ARRAY[int4range(1,5), 'empty', '(,3]', int4range(NULL,NULL), NULL]"}},
		{6150, []string{"ARRAY['{[1,3),[5,7)}'::int4multirange, '{}']"}},
		{2287, []string{"ARRAY[ROW(1,'a b'::text), ROW(2,NULL), ROW(NULL,'(x)'::text)]", "ARRAY[ROW(ARRAY[1,2], ROW('\"'::text, int4range(1,2)))]"}},
	}
	eachServer(t, func(t *testing.T, s *pgserver.Server) {
		for _, c := range cases {
			texts, bins := serverValues(t, s, "array_send", c.exprs)
			for i := range texts {
				checkArray(t, c.oid, texts[i], bins[i])
			}
		}
	})
}

// checkArray: the binary renders to the server's text exactly, and the
// text and the binary read back to the same dimensions and elements.
func checkArray(t *testing.T, oid uint32, text string, bin []byte) {
	t.Helper()
	got, err := AppendText(nil, oid, -1, bin)
	if err != nil || string(got) != text {
		t.Errorf("array %d: AppendText = %q, %v; server %q", oid, got, err, text)
		return
	}
	ab, err := DecodeArray(oid, codec.ColumnBinary, bin, nil)
	if err != nil {
		t.Fatal(err)
	}
	at, err := DecodeArray(oid, codec.ColumnText, []byte(text), nil)
	if err != nil {
		t.Errorf("%q: %v", text, err)
		return
	}
	if fmt.Sprint(ab.Dims()) != fmt.Sprint(at.Dims()) || ab.Len() != at.Len() {
		t.Errorf("%q: dims %v from binary, %v from text", text, ab.Dims(), at.Dims())
	}
	for {
		eb, ok := ab.Next()
		et, _ := at.Next()
		if !ok {
			break
		}
		if b, tx := elemString(t, ab.Elem(), eb), elemString(t, at.Elem(), et); b != tx {
			t.Errorf("%q: element %q from binary, %q from text", text, b, tx)
		}
	}
	// And the encoders give back the server's bytes and text.
	ab, _ = DecodeArray(oid, codec.ColumnBinary, bin, nil)
	elems := ab.Slice(nil)
	enc, err := AppendArrayBinary(nil, ab.Elem(), ab.Dims(), elems)
	if err != nil || (string(enc) != string(bin) && ab.Len() > 0) {
		t.Errorf("%q: AppendArrayBinary %x, %v; server %x", text, enc, err, bin)
	}
	if txt, err := AppendArrayText(nil, ab.Elem(), ab.Dims(), elems); err != nil || string(txt) != text {
		t.Errorf("%q: AppendArrayText %q, %v", text, txt, err)
	}
}

func TestRangesOnServer(t *testing.T) {
	ranges := []string{"int4range(1,5)", "'empty'::int4range", "'(,5]'::int4range", "'[1,)'::int4range", "'(,)'::int4range",
		"int4range(1,5,'[]')", "int4range(-2147483648, 2147483647)", "'(0,1)'::int4range"}
	multis := []string{"'{}'::int4multirange", "'{[1,3),[5,7)}'::int4multirange", "'{(,2),[5,)}'::int4multirange",
		"int4multirange(int4range(1,2))", "'{(,)}'::int4multirange", "'{[1,2), empty, [3,4)}'::int4multirange"}
	eachServer(t, func(t *testing.T, s *pgserver.Server) {
		texts, bins := serverValues(t, s, "range_send", ranges)
		for i := range texts {
			got, err := AppendText(nil, 3904, -1, bins[i])
			if err != nil || string(got) != texts[i] {
				t.Errorf("int4range: %q, %v; server %q", got, err, texts[i])
			}
			rt, err := DecodeRange(3904, codec.ColumnText, []byte(texts[i]), nil)
			if err != nil {
				t.Fatal(err)
			}
			rb, _ := DecodeRange(3904, codec.ColumnBinary, bins[i], nil)
			if rt.Flags != rb.Flags || string(AppendRangeBinary(nil, rb)) != string(bins[i]) {
				t.Errorf("%q: flags %x from text, %x from binary", texts[i], rt.Flags, rb.Flags)
			}
		}
		texts, bins = serverValues(t, s, "multirange_send", multis)
		for i := range texts {
			got, err := AppendText(nil, 4451, -1, bins[i])
			if err != nil || string(got) != texts[i] {
				t.Errorf("int4multirange: %q, %v; server %q", got, err, texts[i])
			}
			m, _ := DecodeMultirange(4451, codec.ColumnBinary, bins[i], nil)
			var rs []RawRange
			for {
				r, ok := m.Next()
				if !ok {
					break
				}
				rs = append(rs, r)
			}
			if string(AppendMultirangeBinary(nil, rs)) != string(bins[i]) {
				t.Errorf("%q: AppendMultirangeBinary differs", texts[i])
			}
			if mt, err := DecodeMultirange(4451, codec.ColumnText, []byte(texts[i]), nil); err != nil || mt.Len() != len(rs) {
				t.Errorf("%q: text %v", texts[i], err)
			}
		}
	})
}

func TestRecordsOnServer(t *testing.T) {
	records := []string{"ROW(1,'a b'::text,NULL)", "ROW(" + strings.Join(awkwardText(), ", ") + ")", "ROW(NULL)", "ROW(NULL,NULL)", "ROW()",
		"ROW(ROW(1,'x'::text), ARRAY[1,2], int4range(1,3), ARRAY['a b', NULL])", "ROW(ROW(ROW('\"'::text)))", "ROW(ARRAY[ROW(1,'('::text)])",
		"ROW('{[1,2)}'::int4multirange, ''::text)"}
	eachServer(t, func(t *testing.T, s *pgserver.Server) {
		for _, r := range records { // one at a time: each is its own record type
			texts, bins := serverValues(t, s, "record_send", []string{r})
			got, err := RecordBinaryToText(nil, bins[0])
			if err != nil || string(got) != texts[0] {
				t.Errorf("%s: %q, %v; server %q", r, got, err, texts[0])
				continue
			}
			rb, _ := DecodeRecord(recordOID, codec.ColumnBinary, bins[0], nil)
			rt, err := DecodeRecord(recordOID, codec.ColumnText, []byte(texts[0]), nil)
			if err != nil {
				t.Fatal(err)
			}
			if rb.Len() == 0 { // ROW(): "()" reads as one NULL field
				continue
			}
			for {
				fb, ok := rb.Next()
				ft, _ := rt.Next()
				if !ok {
					break
				}
				if b, tx := elemString(t, fb.OID, fb.Column), elemString(t, 0, ft.Column); b != tx {
					t.Errorf("%q: field %q from binary, %q from text", texts[0], b, tx)
				}
			}
		}
	})
}

// The tables here are the server's catalogs: every built-in array type
// with its element and delimiter, every range with its subtype,
// multirange and arrays.
func TestContainerCatalogOnServer(t *testing.T) {
	eachServer(t, func(t *testing.T, s *pgserver.Server) {
		var arrays []struct {
			OID, Elem uint32
			Name      string
			Delim     string
			Cat       string
		}
		queryJSON(t, s, `SELECT json_agg(json_build_object('oid', a.oid::int8, 'elem', a.typelem::int8, 'name', a.typname, 'delim', e.typdelim, 'cat', a.typcategory))
			FROM pg_catalog.pg_type a JOIN pg_catalog.pg_type e ON a.typelem = e.oid AND e.typarray = a.oid WHERE a.oid < 10000`, &arrays)
		if len(arrays) < 80 {
			t.Fatalf("%d array types", len(arrays))
		}
		for _, a := range arrays {
			ty, ok := Lookup(a.OID)
			if !ok || ty.Name != a.Name || ty.Elem != a.Elem || string(ty.Category) != a.Cat {
				t.Errorf("%s (%d, element %d, category %s): registered %+v", a.Name, a.OID, a.Elem, a.Cat, ty)
			}
			if d := string(arrayDelim(a.Elem)); d != a.Delim {
				t.Errorf("%s: delimiter %q, server %q", a.Name, d, a.Delim)
			}
		}
		var rows []struct {
			OID, Array uint32
			Name, Cat  string
		}
		queryJSON(t, s, `SELECT json_agg(json_build_object('oid', oid::int8, 'array', typarray::int8, 'name', typname, 'cat', typcategory))
			FROM pg_catalog.pg_type WHERE oid IN (2249, 71, 75, 81, 83)`, &rows)
		for _, r := range rows {
			if ty, ok := Lookup(r.OID); !ok || ty.Name != r.Name || ty.Array != r.Array || string(ty.Category) != r.Cat {
				t.Errorf("%+v: registered %+v", r, ty)
			}
		}
		var ranges []struct{ Rng, Sub, Multi, RngArray, MultiArray uint32 }
		queryJSON(t, s, `SELECT json_agg(json_build_object('rng', r.rngtypid::int8, 'sub', r.rngsubtype::int8, 'multi', r.rngmultitypid::int8, 'rngarray', t.typarray::int8, 'multiarray', m.typarray::int8))
			FROM pg_catalog.pg_range r JOIN pg_catalog.pg_type t ON t.oid = r.rngtypid JOIN pg_catalog.pg_type m ON m.oid = r.rngmultitypid`, &ranges)
		if len(ranges) != len(rangeTypes) {
			t.Errorf("%d range types on the server, %d here", len(ranges), len(rangeTypes))
		}
		for _, r := range ranges {
			sub, ok := RangeSubtype(r.Rng)
			msub, _ := RangeSubtype(r.Multi)
			rt, _ := Lookup(r.Rng)
			mt, _ := Lookup(r.Multi)
			if !ok || sub != r.Sub || msub != r.Sub || rt == nil || rt.Array != r.RngArray || mt == nil || mt.Array != r.MultiArray {
				t.Errorf("range %+v: subtype %d, %+v, %+v", r, sub, rt, mt)
			}
		}
	})
}

// sampleN draws n values from a generator with a fixed seed.
func sampleN[T any](g gopter.Gen, n int) []T {
	params := gopter.DefaultGenParameters()
	params.Rng.Seed(1)
	var out []T
	for len(out) < n {
		if v, ok := g(params).Retrieve(); ok {
			out = append(out, v.(T))
		}
	}
	return out
}

// Random awkward arrays and records, as the properties generate them: the
// server reads the model's text back to the same text (so the model is
// array_out and record_out), and its binary renders to it.
func TestGeneratedContainersOnServer(t *testing.T) {
	arrays := sampleN[genArray](genArrays(), 300)
	var exprs []string
	for _, a := range arrays {
		exprs = append(exprs, "$q$"+modelArrayOut(a.dims, a.elems)+"$q$::text[]")
	}
	fields := sampleN[[]*string](gen.SliceOfN(4, gen.PtrOf(genAwkward())), 100)
	eachServer(t, func(t *testing.T, s *pgserver.Server) {
		texts, bins := serverValues(t, s, "array_send", exprs)
		for i, a := range arrays {
			if want := modelArrayOut(a.dims, a.elems); texts[i] != want {
				t.Errorf("server prints %q for the model's %q", texts[i], want)
			}
			checkArray(t, 1009, texts[i], bins[i])
		}
		for _, f := range fields {
			var parts []string
			for _, v := range f {
				if v == nil {
					parts = append(parts, "NULL::text")
				} else {
					parts = append(parts, "$q$"+*v+"$q$::text")
				}
			}
			texts, bins := serverValues(t, s, "record_send", []string{"ROW(" + strings.Join(parts, ", ") + ")"})
			if want := modelRecordOut(f); texts[0] != want {
				t.Errorf("server prints %q for the model's %q", texts[0], want)
			}
			if got, err := RecordBinaryToText(nil, bins[0]); err != nil || string(got) != texts[0] {
				t.Errorf("RecordBinaryToText %q, %v; server %q", got, err, texts[0])
			}
		}
	})
}
