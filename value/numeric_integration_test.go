package value

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/pgserver"
)

// numSample is one type's sample values as SQL literals, and the send
// function that gives their binary form. A value "=expr" is an SQL
// expression.
type numSample struct {
	typ, send string
	values    []string
}

// numServerSamples are the values compared with real servers, one query
// per type family. Random values come from a fixed seed.
func numServerSamples() map[string][]numSample {
	r := rand.New(rand.NewSource(1))
	f8 := []string{"0", "-0", "1", "-1", "0.1", "100", "123.456", "1e14", "99999999999999.9", "1e15", "123456789012345", "1234567890123456", "0.0001", "0.00012345", "1e-5", "1.5e-7", "1e21", "1e22", "1e100", "-1e-300", "5e-324", "2.2250738585072014e-308", "1.7976931348623157e308", "9007199254740993", "0.30000000000000004", "NaN", "Infinity", "-Infinity"}
	f4 := []string{"0", "-0", "1", "0.1", "100000", "999999", "1e6", "123456", "1234567", "16777216", "0.0001", "1e-5", "3.4028235e38", "1e-45", "1.1754944e-38", "-1.5e-7", "NaN", "Infinity", "-Infinity"}
	for i := 0; i < 500; i++ {
		// Subnormals too: the shortest digits are where libraries differ.
		f8 = append(f8, strconv.FormatFloat(math.Float64frombits(r.Uint64()&(1<<52-1)), 'g', -1, 64))
		f4 = append(f4, strconv.FormatFloat(float64(math.Float32frombits(r.Uint32()&(1<<23-1))), 'g', -1, 32))
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) {
			continue
		}
		f8 = append(f8, strconv.FormatFloat(f, 'g', -1, 64))
		// Also values of everyday magnitudes, where fixed notation is used.
		f8 = append(f8, strconv.FormatFloat(r.NormFloat64()*math.Pow(10, float64(r.Intn(24)-6)), 'g', -1, 64))
		g := math.Float32frombits(r.Uint32())
		if !math.IsNaN(float64(g)) {
			f4 = append(f4, strconv.FormatFloat(float64(g), 'g', -1, 32))
		}
		f4 = append(f4, strconv.FormatFloat(float64(float32(r.NormFloat64()*math.Pow(10, float64(r.Intn(12)-5)))), 'g', -1, 32))
	}
	// Values whose strconv-shortest digits are exactly a midpoint between
	// two floats, which the server never prints; and every power of two,
	// whose lower neighbour is nearer than its upper one.
	for n8, n4 := 0, 0; n8 < 80 || n4 < 80; {
		v := float64(r.Int63n(1<<62)) * math.Pow(2, float64(r.Intn(40)-20))
		if e := strconv.AppendFloat(nil, v, 'e', -1, 64); n8 < 80 {
			if i, exp := numSplitE(e); numOnMidpoint(v, 64, e[:i], exp) {
				f8 = append(f8, strconv.FormatFloat(v, 'g', -1, 64))
				n8++
			}
		}
		g := float64(math.Float32frombits(r.Uint32()&^(0xff<<23) | uint32(r.Intn(254)+1)<<23))
		if e := strconv.AppendFloat(nil, g, 'e', -1, 32); n4 < 80 {
			if i, exp := numSplitE(e); numOnMidpoint(g, 32, e[:i], exp) {
				f4 = append(f4, strconv.FormatFloat(g, 'g', -1, 32))
				n4++
			}
		}
	}
	// Values exactly between two shortest candidates, which the server
	// rounds to even.
	for n8, n4, tries := 0, 0, 0; (n8 < 40 || n4 < 40) && tries < 1e6; tries++ {
		v := math.Ldexp(float64(r.Int63n(1<<53)|1), -r.Intn(80))
		if e := strconv.AppendFloat(nil, v, 'e', -1, 64); n8 < 40 {
			if i, exp := numSplitE(e); numOnTie(v, 64, e[:i], exp) {
				f8 = append(f8, strconv.FormatFloat(v, 'g', -1, 64))
				n8++
			}
		}
		g := float64(float32(math.Ldexp(float64(r.Int63n(1<<24)|1), -r.Intn(40))))
		if e := strconv.AppendFloat(nil, g, 'e', -1, 32); n4 < 40 {
			if i, exp := numSplitE(e); numOnTie(g, 32, e[:i], exp) {
				f4 = append(f4, strconv.FormatFloat(g, 'g', -1, 32))
				n4++
			}
		}
	}
	for k := -1074; k <= 1023; k++ {
		f8 = append(f8, strconv.FormatFloat(math.Ldexp(1, k), 'g', -1, 64))
	}
	for k := -149; k <= 127; k++ {
		f4 = append(f4, strconv.FormatFloat(math.Ldexp(1, k), 'g', -1, 32))
	}
	nums := []string{"0", "0.00", "-0.00", "1", "-1", "9999", "10000", "10001", "0.0001", "0.00001", "-0.5", "1.000000000", "123456789.123456789", "1e100", "1e-100", "-1.5e-20", "1e1000", "1e-16383", "-1e-16383", "=10::numeric ^ 131071 - 1", "9.999e131071", "12345678901234567890123456789.000000000000000000001", "NaN", "Infinity", "-Infinity", "=round(1/3::numeric, 1000)", "=-(2::numeric ^ 300)", "=2::numeric ^ -50"}
	for i := 0; i < 100; i++ {
		var b strings.Builder
		if r.Intn(2) == 0 {
			b.WriteByte('-')
		}
		for n := r.Intn(30) + 1; n > 0; n-- {
			b.WriteByte(byte('0' + r.Intn(10)))
		}
		if r.Intn(3) > 0 {
			b.WriteByte('.')
			for n := r.Intn(25) + 1; n > 0; n-- {
				b.WriteByte(byte('0' + r.Intn(10)))
			}
		}
		if r.Intn(4) == 0 {
			fmt.Fprintf(&b, "e%d", r.Intn(80)-40)
		}
		nums = append(nums, b.String())
	}
	quote := func(vs []string, cast string) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			if e, ok := strings.CutPrefix(v, "="); ok {
				out[i] = "(" + e + ")::" + cast
			} else {
				out[i] = "'" + v + "'::" + cast
			}
		}
		return out
	}
	lits := func(cast string, vs ...string) []string { return quote(vs, cast) }
	ids := []string{"0", "1", "99999", "4000000000", "4294967295"}
	regs := func(typ string) numSample {
		out := make([]string, len(ids))
		for i, v := range ids {
			out[i] = "'" + v + "'::oid::" + typ
		}
		return numSample{typ, typ + "send", out}
	}
	return map[string][]numSample{
		"bool": {{"bool", "boolsend", lits("bool", "t", "f")}},
		"int": {
			{"int2", "int2send", lits("int2", "0", "1", "-1", "32767", "-32768")},
			{"int4", "int4send", lits("int4", "0", "-1", "2147483647", "-2147483648")},
			{"int8", "int8send", lits("int8", "0", "-1", "9223372036854775807", "-9223372036854775808")},
			{"oid", "oidsend", lits("oid", ids...)},
			{"xid", "xidsend", lits("xid", ids...)},
			{"cid", "cidsend", lits("cid", ids...)},
			{"xid8", "xid8send", lits("xid8", "0", "1", "9223372036854775808", "18446744073709551615")},
			regs("regproc"), regs("regprocedure"), regs("regoper"), regs("regoperator"),
			regs("regclass"), regs("regtype"), regs("regconfig"), regs("regdictionary"),
			regs("regnamespace"), regs("regrole"), regs("regcollation"),
		},
		"float":   {{"float4", "float4send", quote(f4, "float4")}, {"float8", "float8send", quote(f8, "float8")}},
		"numeric": {{"numeric", "numeric_send", quote(nums, "numeric")}},
		"money":   {{"money", "cash_send", lits("money", "0", "0.01", "-0.01", "0.5", "1234.56", "-1234.56", "1000", "999.99", "1000000", "92233720368547758.07", "-92233720368547758.08")}},
		"geometric": {
			{"point", "point_send", lits("point", "(1,2)", "(-0,1e100)", "(NaN,Infinity)", "(0.1,-1.5e-7)", "(-Infinity,5e-324)")},
			{"lseg", "lseg_send", lits("lseg", "[(0,0),(1,1)]", "[(0.5,-1e20),(1e-20,3)]")},
			{"box", "box_send", lits("box", "((0,0),(1,1))", "((1,0),(0,1))", "((-1.5,2),(3,-4e30))", "((NaN,0),(1,NaN))")},
			{"path", "path_send", lits("path", "[(0,0),(1,1)]", "((0,0),(1,1),(2,0))", "[(0.1,0.2)]", "((1e15,1e-5))")},
			{"polygon", "poly_send", lits("polygon", "((0,0),(1,1))", "((0,0),(0,1),(1,1),(1,0))", "((0.1,1e300))")},
			{"line", "line_send", lits("line", "{1,2,3}", "{-1,0,1e-10}", "{0.1,1e20,-0}")},
			{"circle", "circle_send", lits("circle", "<(1,2),3>", "<(0.5,-0.5),1e-300>", "<(0,0),0>")},
		},
	}
}

// The server's own text for its own binary form, byte for byte, for every
// type of this family on every server; and the decoders read both forms to
// the same value, which encodes back to the server's bytes.
func TestNumServer(t *testing.T) {
	samples := numServerSamples()
	eachServer(t, func(t *testing.T, s *pgserver.Server) {
		t.Run("pg_type", func(t *testing.T) {
			var rows []struct {
				OID      uint32
				Name     string
				Category string
				Array    uint32
			}
			var oids []string
			for _, fam := range samples {
				for _, smp := range fam {
					oids = append(oids, "'"+smp.typ+"'::regtype")
				}
			}
			queryJSON(t, s, "SELECT json_agg(json_build_object('oid', oid::int8, 'name', typname, 'category', typcategory, 'array', typarray::int8)) FROM pg_type WHERE oid IN ("+strings.Join(oids, ",")+")", &rows)
			if len(rows) != len(oids) {
				t.Fatalf("%d rows for %d types", len(rows), len(oids))
			}
			for _, r := range rows {
				ty, ok := Lookup(r.OID)
				if !ok || ty.Name != r.Name || string(ty.Category) != r.Category || ty.Array != r.Array {
					t.Errorf("pg_type %+v, registered %+v", r, ty)
				}
			}
		})
		for fam, smps := range samples {
			var parts []string
			for _, smp := range smps {
				parts = append(parts, fmt.Sprintf("SELECT '%s' AS typ, %s(v)::text AS txt, encode(%s(v), 'hex') AS bin FROM unnest(ARRAY[%s]) v", smp.typ, numOutFunc(smp.typ), smp.send, strings.Join(smp.values, ",")))
			}
			var rows [][3]string
			queryJSON(t, s, "SET lc_monetary = 'C'; SELECT json_agg(json_build_array(typ, txt, bin)) FROM ("+strings.Join(parts, " UNION ALL ")+") s", &rows)
			byType := map[string][][2]string{}
			for _, r := range rows {
				byType[r[0]] = append(byType[r[0]], [2]string{r[1], r[2]})
			}
			for _, smp := range smps {
				t.Run(smp.typ, func(t *testing.T) {
					got := byType[smp.typ]
					if len(got) != len(smp.values) {
						t.Fatalf("%s: %d rows for %d values", fam, len(got), len(smp.values))
					}
					ty, _ := Lookup(mustOID(t, smp.typ))
					for _, r := range got {
						bin, err := hex.DecodeString(r[1])
						if err != nil {
							t.Fatal(err)
						}
						text, err := AppendText(nil, ty.OID, -1, bin)
						if err != nil || string(text) != r[0] {
							t.Errorf("%s %s: AppendText %q, %v; server %q", smp.typ, r[1], text, err, r[0])
						}
						numServerRoundTrip(t, ty, []byte(r[0]), bin)
					}
				})
			}
		}
	})
}

// numOutFunc names the type's output function: a cast to text is not
// always it (bool::text is "true").
func numOutFunc(typ string) string {
	switch typ {
	case "numeric":
		return "numeric_out"
	case "money":
		return "cash_out"
	case "polygon":
		return "poly_out"
	case "point", "lseg", "box", "path", "line", "circle":
		return typ + "_out"
	}
	return typ + "out"
}

func mustOID(t *testing.T, name string) uint32 {
	ty, ok := LookupName(name)
	if !ok {
		t.Fatalf("no type %s", name)
	}
	return ty.OID
}

// numServerRoundTrip: the text and the binary form decode to the same Go
// value, and that value encodes to the server's binary bytes.
func numServerRoundTrip(t *testing.T, ty *Type, text, bin []byte) {
	t.Helper()
	fromText, errT := ty.Decode(ty, codec.ColumnText, -1, text)
	fromBin, errB := ty.Decode(ty, codec.ColumnBinary, -1, bin)
	if errB != nil {
		t.Errorf("%s %x: Decode binary: %v", ty.Name, bin, errB)
		return
	}
	if errT != nil {
		t.Errorf("%s %q: Decode text: %v", ty.Name, text, errT)
	} else if d := cmp.Diff(fromBin, fromText, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); d != "" && !(ty.Name == "float4" && numSameFloat32(fromBin, fromText)) {
		t.Errorf("%s %q: text and binary decode differently (-binary +text):\n%s", ty.Name, text, d)
	}
	var enc []byte
	var err error
	switch v := fromBin.(type) {
	case bool:
		enc = AppendBoolBinary(nil, v)
	case int64:
		enc, err = AppendInt64Binary(nil, ty.OID, v)
	case uint64:
		enc, err = AppendUint64Binary(nil, ty.OID, v)
	case float64:
		enc, err = AppendFloat64Binary(nil, ty.OID, v)
	case Numeric:
		enc, err = AppendNumericBinary(nil, v)
	case Money:
		enc = AppendMoneyBinary(nil, v)
	case interface{ AppendBinary([]byte) ([]byte, error) }:
		enc, err = v.AppendBinary(nil)
	default:
		t.Fatalf("%s: Decode gives %T", ty.Name, fromBin)
	}
	if err != nil || !bytes.Equal(enc, bin) {
		t.Errorf("%s %q: encodes to %x, %v; server %x", ty.Name, text, enc, err, bin)
	}
}

// float4 text parsed as float32 then widened equals the binary value.
func numSameFloat32(a, b any) bool {
	x, ok1 := a.(float64)
	y, ok2 := b.(float64)
	return ok1 && ok2 && float32(x) == float32(y)
}
