package bench

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/value"
)

// TestValueAgreesWithPgtype is the differential test of package value
// against pgx v5's pgtype (see README.md, "Column values"): every family
// both support, many values per family (edge values and seeded random ones),
// each encoded by pgwal in both forms and decoded by both libraries; the
// results are compared as neutral Go values (go-cmp). pgtype's binary
// encoding of what it decoded is fed back to pgwal, and pgwal's AppendText of
// the binary form is compared with pgwal's text encoder and with pgtype's
// text encoding where pgtype prints what PostgreSQL prints.
//
// Where pgtype is known to disagree, the family's known function names the
// inputs and the reason (with the PostgreSQL source that decides it); the
// test then requires that pgtype does disagree on exactly those inputs, so
// no note can go stale and no other disagreement can hide.
func TestValueAgreesWithPgtype(t *testing.T) {
	m := pgtype.NewMap()
	for _, f := range agreeFamilies(rand.New(rand.NewSource(1))) {
		t.Run(f.name, func(t *testing.T) {
			if len(f.cases) < 20 {
				t.Fatalf("only %d cases", len(f.cases))
			}
			counts := map[string]int{}
			for i := range f.cases {
				checkAgree(t, m, &f, &f.cases[i], counts)
			}
			t.Logf("%d values; %v", len(f.cases), counts)
		})
	}
}

// agreeCase is one value: its pgwal encodings and the neutral Go value
// both decoders must return.
type agreeCase struct {
	label    string
	want     any
	bin, txt []byte
}

type agreeFamily struct {
	name  string
	oid   uint32
	cases []agreeCase
	// pgwal decodes with pgwal's accessors into the neutral value.
	pgwal func(kind codec.ColumnKind, src []byte) (any, error)
	// scan decodes with pgtype into its natural type (returned by value);
	// norm turns that into the neutral value.
	scan func(m *pgtype.Map, format int16, src []byte) (any, error)
	norm func(v any) any
	// known says why pgtype disagrees on this input in this form ("" when
	// it must agree).
	known func(c *agreeCase, format int16) string
	// textKnown says why pgtype's text encoding of the value is not what
	// PostgreSQL prints ("" when it must match value.AppendText).
	textKnown func(c *agreeCase) string
	// noPgtypeBinaryEncode: pgtype's binary encoder is not round-tripped
	// (reason).
	noPgtypeEncode string
}

var agreeOpts = cmp.Options{cmpopts.EquateNaNs(), cmpopts.EquateEmpty()}

func formName(format int16) string {
	if format == pgtype.BinaryFormatCode {
		return "binary"
	}
	return "text"
}

func checkAgree(t *testing.T, m *pgtype.Map, f *agreeFamily, c *agreeCase, counts map[string]int) {
	t.Helper()
	for _, format := range []int16{pgtype.BinaryFormatCode, pgtype.TextFormatCode} {
		src, kind := c.bin, codec.ColumnBinary
		if format == pgtype.TextFormatCode {
			src, kind = c.txt, codec.ColumnText
		}
		if src == nil {
			src = []byte{} // a value, not NULL, for pgtype
		}
		form := formName(format)
		got, err := f.pgwal(kind, src)
		if err != nil {
			t.Errorf("%s %s: pgwal: %v (input %q)", c.label, form, err, src)
			continue
		}
		if d := cmp.Diff(c.want, got, agreeOpts); d != "" {
			t.Errorf("%s %s: pgwal decodes %q wrongly (-want +got):\n%s", c.label, form, src, d)
		}
		reason := ""
		if f.known != nil {
			reason = f.known(c, format)
		}
		pv, err := f.scan(m, format, src)
		var pt any
		if err == nil {
			pt = f.norm(pv)
		}
		d := cmp.Diff(c.want, pt, agreeOpts)
		switch {
		case reason != "" && err == nil && d == "":
			t.Errorf("%s %s: pgtype agrees on %q, but the test says it does not (%s)", c.label, form, src, reason)
		case reason != "":
			counts["pgtype wrong, "+form+": "+reason]++
			continue
		case err != nil:
			t.Errorf("%s %s: pgtype: %v (input %q)", c.label, form, err, src)
			continue
		case d != "":
			t.Errorf("%s %s: pgtype and pgwal disagree on %q (-pgwal +pgtype):\n%s", c.label, form, src, d)
			continue
		}
		counts["agree "+form]++
		if format != pgtype.BinaryFormatCode {
			continue
		}
		// pgwal's text rendering of the binary form.
		txt, err := value.AppendText(nil, f.oid, -1, c.bin)
		if err != nil {
			t.Errorf("%s: AppendText: %v", c.label, err)
			continue
		}
		if !bytes.Equal(txt, c.txt) {
			t.Errorf("%s: AppendText gives %q, the text encoder %q", c.label, txt, c.txt)
		}
		// pgtype's text encoding of the same value.
		ptxt, err := m.Encode(f.oid, pgtype.TextFormatCode, pv, nil)
		tr := ""
		if f.textKnown != nil {
			tr = f.textKnown(c)
		}
		switch {
		case err != nil:
			t.Errorf("%s: pgtype text encode: %v", c.label, err)
		case tr != "" && bytes.Equal(ptxt, txt):
			t.Errorf("%s: pgtype prints %q as PostgreSQL does, but the test says it does not (%s)", c.label, txt, tr)
		case tr != "":
			counts["pgtype text differs: "+tr]++
		case !bytes.Equal(ptxt, txt):
			t.Errorf("%s: pgtype prints %q, PostgreSQL (AppendText) %q", c.label, ptxt, txt)
		default:
			counts["text same"]++
		}
		// pgtype's binary encoding of the same value, read by pgwal.
		if f.noPgtypeEncode != "" {
			continue
		}
		pbin, err := m.Encode(f.oid, pgtype.BinaryFormatCode, pv, nil)
		if err != nil {
			t.Errorf("%s: pgtype binary encode: %v", c.label, err)
			continue
		}
		back, err := f.pgwal(codec.ColumnBinary, pbin)
		if err != nil {
			t.Errorf("%s: pgwal reading pgtype's binary %x: %v", c.label, pbin, err)
			continue
		}
		if d := cmp.Diff(c.want, back, agreeOpts); d != "" {
			t.Errorf("%s: pgwal reads pgtype's binary %x wrongly (-want +got):\n%s", c.label, pbin, d)
		}
		counts["pgtype binary read back"]++
	}
}

// scanInto returns a scan function for pgtype target type T.
func scanInto[T any](oid uint32) func(m *pgtype.Map, format int16, src []byte) (any, error) {
	return func(m *pgtype.Map, format int16, src []byte) (any, error) {
		var v T
		err := m.Scan(oid, format, src, &v)
		return v, err
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Neutral values.

// fbits is a float by its bits, NaNs made one.
type fbits uint64

func fb(f float64) fbits {
	if math.IsNaN(f) {
		return fbits(0x7ff8000000000001)
	}
	return fbits(math.Float64bits(f))
}

type nnum struct {
	Special string // "", "NaN", "Infinity", "-Infinity"
	Int     string // the unscaled value, signed
	Exp     int32
}

type nstamp struct {
	Inf  int
	Sec  int64
	Nsec int
}

type nrange struct {
	Flags        string // "empty" or the bound chars: [( and )] or - for infinite
	Lower, Upper any
}

type narray struct {
	Dims  []value.Dim
	Elems []any // nil for NULL
}

func numFromPgwal(n value.Numeric) nnum {
	switch n.Kind {
	case value.NumericNaN:
		return nnum{Special: "NaN"}
	case value.NumericInf:
		return nnum{Special: "Infinity"}
	case value.NumericNegInf:
		return nnum{Special: "-Infinity"}
	}
	s := strings.TrimLeft(string(n.Digits), "0")
	if s == "" {
		s = "0"
	} else if n.Neg {
		s = "-" + s
	}
	return nnum{Int: s, Exp: n.Exp}
}

func numFromPgtype(n pgtype.Numeric) any {
	switch {
	case !n.Valid:
		return nil
	case n.NaN:
		return nnum{Special: "NaN"}
	case n.InfinityModifier == pgtype.Infinity:
		return nnum{Special: "Infinity"}
	case n.InfinityModifier == pgtype.NegativeInfinity:
		return nnum{Special: "-Infinity"}
	}
	return nnum{Int: n.Int.String(), Exp: n.Exp}
}

func stampFromPgwal(ts value.Timestamp) nstamp {
	if ts.Infinite != 0 {
		return nstamp{Inf: int(ts.Infinite)}
	}
	return nstamp{Sec: ts.Time.Unix(), Nsec: ts.Time.Nanosecond()}
}

func stampFromPgtype(t time.Time, inf pgtype.InfinityModifier) nstamp {
	switch inf {
	case pgtype.Infinity:
		return nstamp{Inf: 1}
	case pgtype.NegativeInfinity:
		return nstamp{Inf: -1}
	}
	return nstamp{Sec: t.Unix(), Nsec: t.Nanosecond()}
}

func dateFromPgwal(d value.Date) nstamp {
	if d.Infinite != 0 {
		return nstamp{Inf: int(d.Infinite)}
	}
	return nstamp{Sec: time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix()}
}

// Families.

func agreeFamilies(r *rand.Rand) []agreeFamily {
	fs := []agreeFamily{
		boolFamily(),
		intFamily(r, "int2", 21, 16),
		intFamily(r, "int4", 23, 32),
		intFamily(r, "int8", 20, 64),
		oidFamily(r),
		floatFamily(r, "float4", 700),
		floatFamily(r, "float8", 701),
		numericFamily(r),
	}
	for _, s := range []struct {
		name string
		oid  uint32
	}{{"text", 25}, {"varchar", 1043}, {"bpchar", 1042}, {"name", 19}} {
		fs = append(fs, textFamily(r, s.name, s.oid))
	}
	fs = append(fs,
		byteaFamily(r),
		jsonFamily(r, "json", 114),
		jsonFamily(r, "jsonb", 3802),
		uuidFamily(r),
		dateFamily(r),
		timeFamily(r),
		stampFamily(r, "timestamp", 1114),
		stampFamily(r, "timestamptz", 1184),
		intervalFamily(r),
		inetFamily(r, "inet", 869),
		inetFamily(r, "cidr", 650),
		macaddrFamily(r),
		bitsFamily(r, "bit", 1560),
		bitsFamily(r, "varbit", 1562),
		tidFamily(r),
	)
	fs = append(fs, geoFamilies(r)...)
	fs = append(fs, rangeFamilies(r)...)
	fs = append(fs, arrayFamilies(r)...)
	return fs
}

func boolFamily() agreeFamily {
	f := agreeFamily{name: "bool", oid: 16,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) { return value.Bool(16, k, src) },
		scan:  scanInto[bool](16),
		norm:  func(v any) any { return v },
	}
	for i := 0; i < 20; i++ {
		b := i%2 == 0
		f.cases = append(f.cases, agreeCase{fmt.Sprint(b), b, value.AppendBoolBinary(nil, b), value.AppendBoolText(nil, b)})
	}
	return f
}

func randBits(r *rand.Rand, bits int) int64 {
	n := 1 + r.Intn(bits)
	v := int64(r.Uint64() >> (64 - n))
	if r.Intn(2) == 0 {
		v = -v
	}
	return v
}

func intFamily(r *rand.Rand, name string, oid uint32, bits int) agreeFamily {
	lo, hi := int64(-1)<<(bits-1), int64(uint64(1)<<(bits-1)-1)
	f := agreeFamily{name: name, oid: oid,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) { return value.Int64(oid, k, src) },
		scan:  scanInto[int64](oid),
		norm:  func(v any) any { return v },
	}
	vals := []int64{0, 1, -1, lo, hi, lo + 1, hi - 1, 10, -10}
	for i := 0; i < 300; i++ {
		v := randBits(r, bits)
		if v >= lo && v <= hi {
			vals = append(vals, v)
		}
	}
	for _, v := range vals {
		f.cases = append(f.cases, agreeCase{fmt.Sprint(v), v,
			must(value.AppendInt64Binary(nil, oid, v)), must(value.AppendInt64Text(nil, oid, v))})
	}
	return f
}

func oidFamily(r *rand.Rand) agreeFamily {
	f := agreeFamily{name: "oid", oid: 26,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) { return value.Uint64(26, k, src) },
		scan:  scanInto[uint32](26),
		norm:  func(v any) any { return uint64(v.(uint32)) },
	}
	vals := []uint64{0, 1, math.MaxUint32, math.MaxInt32, math.MaxInt32 + 1}
	for i := 0; i < 200; i++ {
		vals = append(vals, uint64(r.Uint32()>>r.Intn(32)))
	}
	for _, v := range vals {
		f.cases = append(f.cases, agreeCase{fmt.Sprint(v), v,
			must(value.AppendUint64Binary(nil, 26, v)), must(value.AppendUint64Text(nil, 26, v))})
	}
	return f
}

func floatFamily(r *rand.Rand, name string, oid uint32) agreeFamily {
	f := agreeFamily{name: name, oid: oid,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) {
			v, err := value.Float64(oid, k, src)
			return fb(v), err
		},
		scan: scanInto[float64](oid),
		norm: func(v any) any { return fb(v.(float64)) },
		textKnown: func(c *agreeCase) string {
			if floatTextDiffers(c.txt) {
				return floatTextNote
			}
			return ""
		},
	}
	if oid == 700 {
		// float32 is float4's natural Go type.
		f.scan = scanInto[float32](oid)
		f.norm = func(v any) any { return fb(float64(v.(float32))) }
	}
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, -2.5, 1e-300, 1e300, 123456789.125,
		math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64,
		math.MaxFloat32, math.SmallestNonzeroFloat32, 1e21, 1e-7, 1e15, 1e16, 1e17}
	for i := 0; i < 300; i++ {
		switch r.Intn(3) {
		case 0:
			vals = append(vals, math.Float64frombits(r.Uint64()))
		case 1:
			vals = append(vals, float64(math.Float32frombits(r.Uint32())))
		default:
			vals = append(vals, (r.Float64()-0.5)*math.Pow(10, float64(r.Intn(40)-20)))
		}
	}
	for _, v := range vals {
		if oid == 700 {
			if !math.IsInf(v, 0) && !math.IsNaN(v) && math.Abs(v) > math.MaxFloat32 {
				continue
			}
			v = float64(float32(v))
		}
		f.cases = append(f.cases, agreeCase{fmt.Sprint(v), fb(v),
			must(value.AppendFloat64Binary(nil, oid, v)), must(value.AppendFloat64Text(nil, oid, v))})
	}
	return f
}

// floatTextNote: float8out and float4out print the shortest exact
// digits in %g style, switching to an exponent below 1e-4 and from 1e15
// (float8, float.c: float8out_internal calls double_to_shortest_decimal_buf,
// whose ryu output uses the exponent form outside that range) and
// "Infinity"/"-Infinity"; pgtype formats with strconv's 'f' format, never
// an exponent, and "+Inf"/"-Inf".
const floatTextNote = "pgtype prints floats without an exponent and ±Inf as +Inf/-Inf"

func floatTextDiffers(pg []byte) bool {
	return bytes.ContainsAny(pg, "eI")
}

func randDigits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.Intn(10))
	}
	if n > 0 && b[0] == '0' {
		b[0] = '1' + byte(r.Intn(9))
	}
	return string(b)
}

func numericFamily(r *rand.Rand) agreeFamily {
	f := agreeFamily{name: "numeric", oid: 1700,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) {
			var n value.Numeric
			err := value.DecodeNumeric(&n, 1700, k, src)
			return numFromPgwal(n), err
		},
		scan: scanInto[pgtype.Numeric](1700),
		norm: func(v any) any { return numFromPgtype(v.(pgtype.Numeric)) },
		known: func(c *agreeCase, format int16) string {
			n := c.want.(nnum)
			if format == pgtype.BinaryFormatCode && n.Int == "0" && n.Special == "" && n.Exp < 0 {
				// numeric_send sends 0.00 as ndigits 0, dscale 2 and
				// numeric_out prints "0.00" (numeric.c: get_str_from_var
				// prints dscale digits after the point); pgtype's binary
				// scan returns Int 0, Exp 0 for ndigits 0, dropping the
				// scale.
				return "a zero's display scale is dropped (binary)"
			}
			return ""
		},
		textKnown: func(c *agreeCase) string {
			n := c.want.(nnum)
			if n.Special == "" && n.Int == "0" && n.Exp < 0 {
				return "a zero's display scale is dropped (binary)" // see known
			}
			return ""
		},
	}
	texts := []string{"0", "0.00", "0.0", "-0.000000", "0.0000000001", "1", "-1", "10000", "-10000", "99999999", "1.5", "-1.50",
		"12345678901234567890.12345678901234567890", "NaN", "Infinity", "-Infinity",
		"0.00000000000000000000000000000000000000001", "100000000000000000000000000000",
		"1" + strings.Repeat("0", 1000), "0." + strings.Repeat("0", 16382) + "1",
		"-" + randDigits(r, 131072) + "." + randDigits(r, 16383),
	}
	for i := 0; i < 300; i++ {
		s := randDigits(r, 1+r.Intn(30))
		if p := r.Intn(len(s) + 5); p < len(s) {
			s = s[:p] + "." + s[p:]
		} else if r.Intn(2) == 0 {
			s = "0." + strings.Repeat("0", r.Intn(20)) + s
		} else {
			s += strings.Repeat("0", r.Intn(20))
		}
		if r.Intn(2) == 0 {
			s = "-" + s
		}
		texts = append(texts, s)
	}
	for _, s := range texts {
		n, err := value.ParseNumeric(s)
		if err != nil {
			panic(err)
		}
		label := s
		if len(label) > 40 {
			label = label[:20] + "…(" + fmt.Sprint(len(s)) + " bytes)"
		}
		f.cases = append(f.cases, agreeCase{label, numFromPgwal(n),
			must(value.AppendNumericBinary(nil, n)), must(value.AppendNumericText(nil, n))})
	}
	return f
}

func randText(r *rand.Rand) string {
	alpha := []string{"a", "Z", " ", "\"", "\\", "'", ",", "{", "}", "é", "日本", "😀", "\t", "\n", "NULL", "x"}
	var b strings.Builder
	for n := r.Intn(40); n > 0; n-- {
		b.WriteString(alpha[r.Intn(len(alpha))])
	}
	return b.String()
}

func textFamily(r *rand.Rand, name string, oid uint32) agreeFamily {
	f := agreeFamily{name: name, oid: oid,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) {
			b, err := value.Text(oid, k, src)
			return string(b), err
		},
		scan: scanInto[string](oid),
		norm: func(v any) any { return v },
	}
	for _, s := range append([]string{"", " ", "hello", "padded   "}, func() (ss []string) {
		for i := 0; i < 200; i++ {
			ss = append(ss, randText(r))
		}
		return
	}()...) {
		f.cases = append(f.cases, agreeCase{fmt.Sprintf("%q", s), s, must(value.AppendTextBinary(nil, oid, []byte(s))), []byte(s)})
	}
	return f
}

func byteaFamily(r *rand.Rand) agreeFamily {
	f := agreeFamily{name: "bytea", oid: 17,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) {
			b, err := value.AppendBytes(nil, 17, k, src)
			return hex.EncodeToString(b), err
		},
		scan: scanInto[[]byte](17),
		norm: func(v any) any { return hex.EncodeToString(v.([]byte)) },
	}
	for i := 0; i < 200; i++ {
		b := make([]byte, r.Intn(64))
		r.Read(b)
		f.cases = append(f.cases, agreeCase{fmt.Sprintf("%x", b), hex.EncodeToString(b), value.AppendByteaBinary(nil, b), value.AppendByteaText(nil, b)})
	}
	return f
}

func randJSON(r *rand.Rand, depth int) string {
	switch k := r.Intn(6); {
	case depth > 3 || k == 0:
		return fmt.Sprint(r.Intn(1000) - 500)
	case k == 1:
		return fmt.Sprintf("%q", randText(r))
	case k == 2:
		return []string{"true", "false", "null", "1.5e10"}[r.Intn(4)]
	case k == 3:
		var parts []string
		for n := r.Intn(4); n > 0; n-- {
			parts = append(parts, randJSON(r, depth+1))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		var parts []string
		for n := r.Intn(4); n > 0; n-- {
			parts = append(parts, fmt.Sprintf("%q: %s", fmt.Sprint("k", n), randJSON(r, depth+1)))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
}

func jsonFamily(r *rand.Rand, name string, oid uint32) agreeFamily {
	f := agreeFamily{name: name, oid: oid,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) {
			b, err := value.JSON(oid, k, src)
			return string(b), err
		},
		// []byte is the documented raw form: JSONCodec and JSONBCodec scan
		// the document's bytes into it without unmarshalling.
		scan: scanInto[[]byte](oid),
		norm: func(v any) any { return string(v.([]byte)) },
	}
	for i := 0; i < 200; i++ {
		s := randJSON(r, 0)
		bin := []byte(s)
		if oid == 3802 {
			bin = value.AppendJSONBBinary(nil, bin)
		}
		f.cases = append(f.cases, agreeCase{s, s, bin, []byte(s)})
	}
	return f
}

func uuidFamily(r *rand.Rand) agreeFamily {
	f := agreeFamily{name: "uuid", oid: 2950,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) { return value.UUID(2950, k, src) },
		scan:  scanInto[pgtype.UUID](2950),
		norm:  func(v any) any { return v.(pgtype.UUID).Bytes },
	}
	for i := 0; i < 200; i++ {
		var u [16]byte
		r.Read(u[:])
		f.cases = append(f.cases, agreeCase{fmt.Sprintf("%x", u), u, value.AppendUUIDBinary(nil, u), value.AppendUUIDText(nil, u)})
	}
	return f
}

// dateDays are days since 2000-01-01: edges (Julian day 0, year 1, 1 BC,
// 9999-12-31, 10000-01-01, the last date) and random ones.
func dateDays(r *rand.Rand) []int32 {
	days := []int32{0, -1, 1, -2451545, -730120, -730119, -730121, 2921939, 2921940, 2145031948, math.MaxInt32, math.MinInt32}
	for i := 0; i < 200; i++ {
		switch r.Intn(3) {
		case 0:
			days = append(days, int32(r.Intn(40000)-20000))
		case 1:
			days = append(days, int32(r.Intn(2921939+730120)-730120)) // years 1 to 9999
		default:
			days = append(days, int32(r.Int63n(2145031948+2451545+1)-2451545))
		}
	}
	return days
}

func dateFamily(r *rand.Rand) agreeFamily {
	f := agreeFamily{name: "date", oid: 1082,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) {
			d, err := value.DecodeDate(1082, k, src)
			return dateFromPgwal(d), err
		},
		scan: scanInto[pgtype.Date](1082),
		norm: func(v any) any { d := v.(pgtype.Date); return stampFromPgtype(d.Time, d.InfinityModifier) },
	}
	for _, d := range dateDays(r) {
		bin := binaryBE32(d)
		dv := must(value.DecodeDate(1082, codec.ColumnBinary, bin))
		f.cases = append(f.cases, agreeCase{dv.String(), dateFromPgwal(dv), bin, must(value.AppendDateText(nil, dv))})
	}
	return f
}

// yearOf is the year of a date or timestamp case's text (negative for BC),
// 0 for an infinity.
func (c *agreeCase) yearOf() int {
	s := string(c.txt)
	i := strings.IndexByte(s, '-')
	if i <= 0 {
		return 0
	}
	var y int
	fmt.Sscan(s[:i], &y)
	if strings.HasSuffix(s, " BC") {
		return -y
	}
	return y
}

func binaryBE32(v int32) []byte {
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

func binaryBE64(v int64) []byte {
	return append(binaryBE32(int32(v>>32)), binaryBE32(int32(v))...)
}

func timeFamily(r *rand.Rand) agreeFamily {
	f := agreeFamily{name: "time", oid: 1083,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) {
			v, err := value.DecodeTimeOfDay(1083, k, src)
			return v.Microseconds, err
		},
		scan: scanInto[pgtype.Time](1083),
		norm: func(v any) any { return v.(pgtype.Time).Microseconds },
		textKnown: func(c *agreeCase) string {
			if c.want.(int64)%10 == 0 {
				// time_out prints the fraction without trailing zeros,
				// none for whole seconds (AppendSeconds in
				// datetime.c); pgtype always prints six digits.
				return "the fraction is always printed with six digits"
			}
			return ""
		},
	}
	us := []int64{0, 1, 999999, 1000000, 86399999999, 86400000000, 43200000000}
	for i := 0; i < 200; i++ {
		v := r.Int63n(86400000001)
		if r.Intn(3) == 0 {
			v -= v % 1000000
		}
		us = append(us, v)
	}
	for _, v := range us {
		tv := value.TimeOfDay{Microseconds: v}
		f.cases = append(f.cases, agreeCase{tv.String(), v, must(value.AppendTimeOfDayBinary(nil, 1083, tv)), must(value.AppendTimeOfDayText(nil, 1083, tv))})
	}
	return f
}

func stampFamily(r *rand.Rand, name string, oid uint32) agreeFamily {
	f := agreeFamily{name: name, oid: oid,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) {
			ts, err := value.DecodeTimestamp(oid, k, src)
			return stampFromPgwal(ts), err
		},
		known: func(c *agreeCase, format int16) string {
			if format == pgtype.TextFormatCode && c.yearOf() > 9999 {
				// timestamp_out prints every digit of the year
				// (EncodeDateTime in datetime.c: "%04d" of the year);
				// pgtype's text scan parses with time.Parse and a
				// four-digit year layout. (pgtype's date scan does
				// take longer years.)
				return "years past 9999 (text)"
			}
			return ""
		},
		textKnown: func(c *agreeCase) string {
			switch {
			case oid == 1184 && !bytes.Contains(c.txt, []byte("infinity")):
				// timestamptz_out under TimeZone UTC prints the zone as
				// "+00"; pgtype prints "Z".
				return "zone printed as Z, not +00"
			}
			return ""
		},
	}
	if oid == 1114 {
		f.scan = scanInto[pgtype.Timestamp](oid)
		f.norm = func(v any) any { t := v.(pgtype.Timestamp); return stampFromPgtype(t.Time, t.InfinityModifier) }
	} else {
		f.scan = scanInto[pgtype.Timestamptz](oid)
		f.norm = func(v any) any { t := v.(pgtype.Timestamptz); return stampFromPgtype(t.Time, t.InfinityModifier) }
	}
	us := []int64{0, 1, -1, 999999, math.MaxInt64, math.MinInt64,
		-211813488000000000, // 4714-11-24 00:00:00 BC
		-63082281600000000,  // 0001-01-01
		-63082281600000001,  // the last microsecond of 1 BC
		252455615999999999,  // 9999-12-31 23:59:59.999999
		252455616000000000,  // 10000-01-01
		9223371331199999999, // the last microsecond
	}
	for i := 0; i < 300; i++ {
		switch r.Intn(3) {
		case 0:
			us = append(us, r.Int63n(2e15)-1e15)
		case 1:
			us = append(us, r.Int63n(252455616000000000+63082281600000000)-63082281600000000)
		default:
			us = append(us, int64(r.Uint64()%(9223371331200000000+211813488000000000))-211813488000000000)
		}
	}
	for _, v := range us {
		bin := binaryBE64(v)
		ts := must(value.DecodeTimestamp(oid, codec.ColumnBinary, bin))
		txt := must(value.AppendTimestampText(nil, oid, ts))
		f.cases = append(f.cases, agreeCase{string(txt), stampFromPgwal(ts), bin, txt})
	}
	return f
}

func intervalFamily(r *rand.Rand) agreeFamily {
	f := agreeFamily{name: "interval", oid: 1186,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) { return value.DecodeInterval(1186, k, src) },
		scan:  scanInto[pgtype.Interval](1186),
		norm: func(v any) any {
			iv := v.(pgtype.Interval)
			return value.Interval{Months: iv.Months, Days: iv.Days, Microseconds: iv.Microseconds}
		},
		textKnown: func(c *agreeCase) string {
			one := func(v int32) bool { return v == 0 || v == 1 }
			if iv := c.want.(value.Interval); !one(iv.Months) || !one(iv.Days) || iv.Microseconds%10 == 0 {
				// interval_out with IntervalStyle postgres prints
				// "1 year 2 mons 3 days 04:05:06.5" (EncodeInterval in
				// datetime.c: years split off, plurals, no zero
				// time, no trailing fraction zeros); pgtype prints
				// "14 mon 3 day 04:05:06.500000".
				return "pgtype's own interval format (N mon N day HH:MM:SS.ffffff)"
			}
			return ""
		},
	}
	ivs := []value.Interval{{}, {Months: 1}, {Months: 12}, {Months: -13}, {Days: 1}, {Days: -1}, {Microseconds: 1}, {Microseconds: -1},
		{Months: 14, Days: 3, Microseconds: 4*3600e6 + 5*60e6 + 6e6 + 789},
		{Months: -14, Days: 3, Microseconds: -(4*3600e6 + 5*60e6 + 6e6 + 789)},
		{Microseconds: 86400e6 * 1000}, {Months: math.MaxInt32, Days: math.MaxInt32, Microseconds: math.MaxInt64 - 1}}
	for i := 0; i < 200; i++ {
		ivs = append(ivs, value.Interval{Months: int32(randBits(r, 16)), Days: int32(randBits(r, 16)), Microseconds: randBits(r, 50)})
	}
	for _, iv := range ivs {
		f.cases = append(f.cases, agreeCase{iv.String(), iv, value.AppendIntervalBinary(nil, iv), value.AppendIntervalText(nil, iv)})
	}
	return f
}

func inetFamily(r *rand.Rand, name string, oid uint32) agreeFamily {
	cidr := oid == 650
	f := agreeFamily{name: name, oid: oid,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) {
			p, err := value.Prefix(oid, k, src)
			return p.String(), err
		},
		scan: scanInto[netip.Prefix](oid),
		norm: func(v any) any { return v.(netip.Prefix).String() },
		textKnown: func(c *agreeCase) string {
			if !cidr && !bytes.ContainsRune(c.txt, '/') {
				// inet_out omits the mask length of a host address
				// (network.c: network_out prints "/bits" only when
				// bits != the family's maximum, for inet); pgtype
				// always prints it.
				return "a host address printed with /32 or /128"
			}
			return ""
		},
	}
	for i := 0; i < 200; i++ {
		var a netip.Addr
		if r.Intn(2) == 0 {
			var b [4]byte
			r.Read(b[:])
			a = netip.AddrFrom4(b)
		} else {
			var b [16]byte
			r.Read(b[:])
			if r.Intn(4) == 0 {
				b = [16]byte{0x20, 0x01, 0x0d, 0xb8, 15: b[15]}
			}
			a = netip.AddrFrom16(b)
		}
		p := netip.PrefixFrom(a, r.Intn(a.BitLen()+1))
		if r.Intn(4) == 0 {
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if cidr {
			p = p.Masked()
		}
		f.cases = append(f.cases, agreeCase{p.String(), p.String(), value.AppendPrefixBinary(nil, p, cidr), value.AppendPrefixText(nil, p, cidr)})
	}
	return f
}

func macaddrFamily(r *rand.Rand) agreeFamily {
	f := agreeFamily{name: "macaddr", oid: 829,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) {
			a, err := value.HardwareAddr(829, k, src)
			return a.String(), err
		},
		scan: scanInto[net.HardwareAddr](829),
		norm: func(v any) any { return v.(net.HardwareAddr).String() },
	}
	for i := 0; i < 100; i++ {
		a := make(net.HardwareAddr, 6)
		r.Read(a)
		f.cases = append(f.cases, agreeCase{a.String(), a.String(), value.AppendHardwareAddrBinary(nil, a), value.AppendHardwareAddrText(nil, a)})
	}
	return f
}

func bitsFamily(r *rand.Rand, name string, oid uint32) agreeFamily {
	type nbits struct {
		Len   int
		Bytes string
	}
	f := agreeFamily{name: name, oid: oid,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) {
			b, err := value.AppendBits(nil, oid, k, src)
			return nbits{b.Len, hex.EncodeToString(b.Bytes)}, err
		},
		scan: scanInto[pgtype.Bits](oid),
		norm: func(v any) any { b := v.(pgtype.Bits); return nbits{int(b.Len), hex.EncodeToString(b.Bytes)} },
	}
	for i := 0; i < 200; i++ {
		n := r.Intn(100)
		if i == 0 {
			n = 0
		}
		b := make([]byte, (n+7)/8)
		r.Read(b)
		bin := value.AppendBitsBinary(nil, value.Bits{Len: n, Bytes: b})
		bv := value.Bits{Len: n, Bytes: bin[4:]}
		f.cases = append(f.cases, agreeCase{string(value.AppendBitsText(nil, bv)), nbits{n, hex.EncodeToString(bv.Bytes)}, bin, value.AppendBitsText(nil, bv)})
	}
	return f
}

func tidFamily(r *rand.Rand) agreeFamily {
	f := agreeFamily{name: "tid", oid: 27,
		pgwal: func(k codec.ColumnKind, src []byte) (any, error) { return value.DecodeTID(27, k, src) },
		scan:  scanInto[pgtype.TID](27),
		norm:  func(v any) any { t := v.(pgtype.TID); return value.TID{Block: t.BlockNumber, Offset: t.OffsetNumber} },
	}
	vals := []value.TID{{}, {Block: math.MaxUint32, Offset: math.MaxUint16}}
	for i := 0; i < 100; i++ {
		vals = append(vals, value.TID{Block: r.Uint32() >> r.Intn(32), Offset: uint16(r.Intn(1 << 16))})
	}
	for _, v := range vals {
		f.cases = append(f.cases, agreeCase{string(value.AppendTIDText(nil, v)), v, value.AppendTIDBinary(nil, v), value.AppendTIDText(nil, v)})
	}
	return f
}

// geoFloat is a float for a geometric value: mostly short decimals, some
// arbitrary bits (finite).
func geoFloat(r *rand.Rand) float64 {
	switch r.Intn(4) {
	case 0:
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 1.5
		}
		return f
	case 1:
		return float64(r.Intn(200) - 100)
	}
	return math.Round((r.Float64()-0.5)*1e6) / 1e3
}

func geoPoint(r *rand.Rand) value.Point { return value.Point{X: geoFloat(r), Y: geoFloat(r)} }

func pt(v pgtype.Vec2) value.Point { return value.Point{X: v.X, Y: v.Y} }

func geoFamilies(r *rand.Rand) []agreeFamily {
	type appender interface {
		AppendText([]byte) []byte
		AppendBinary([]byte) ([]byte, error)
	}
	mk := func(name string, oid uint32, gen func() appender, pgwal func(k codec.ColumnKind, src []byte) (any, error),
		scan func(m *pgtype.Map, format int16, src []byte) (any, error), norm func(any) any) agreeFamily {
		f := agreeFamily{name: name, oid: oid, pgwal: pgwal, scan: scan, norm: norm,
			textKnown: func(c *agreeCase) string {
				if floatTextDiffers(c.txt) {
					return floatTextNote
				}
				return ""
			}}
		for i := 0; i < 150; i++ {
			v := gen()
			bin := must(v.AppendBinary(nil))
			// The neutral value is what pgwal's decoder makes of the
			// binary form (the box's corners are put in order).
			want := must(pgwal(codec.ColumnBinary, bin))
			f.cases = append(f.cases, agreeCase{string(v.AppendText(nil)), want, bin, v.AppendText(nil)})
		}
		return f
	}
	points := func(n int) []value.Point {
		ps := make([]value.Point, n)
		for i := range ps {
			ps[i] = geoPoint(r)
		}
		return ps
	}
	return []agreeFamily{
		mk("point", 600, func() appender { return geoPoint(r) },
			func(k codec.ColumnKind, src []byte) (any, error) { return value.DecodePoint(600, k, src) },
			scanInto[pgtype.Point](600), func(v any) any { return pt(v.(pgtype.Point).P) }),
		mk("line", 628, func() appender {
			l := value.Line{A: geoFloat(r), B: geoFloat(r), C: geoFloat(r)}
			if l.A == 0 && l.B == 0 {
				l.A = 1
			}
			return l
		},
			func(k codec.ColumnKind, src []byte) (any, error) { return value.DecodeLine(628, k, src) },
			scanInto[pgtype.Line](628), func(v any) any { l := v.(pgtype.Line); return value.Line{A: l.A, B: l.B, C: l.C} }),
		mk("lseg", 601, func() appender { return value.LSeg{P: [2]value.Point{geoPoint(r), geoPoint(r)}} },
			func(k codec.ColumnKind, src []byte) (any, error) { return value.DecodeLSeg(601, k, src) },
			scanInto[pgtype.Lseg](601), func(v any) any { l := v.(pgtype.Lseg); return value.LSeg{P: [2]value.Point{pt(l.P[0]), pt(l.P[1])}} }),
		mk("box", 603, func() appender {
			// As box_in and box_recv store it (and box_send sends it):
			// the high corner first.
			a, b := geoPoint(r), geoPoint(r)
			return value.Box{High: value.Point{X: max(a.X, b.X), Y: max(a.Y, b.Y)}, Low: value.Point{X: min(a.X, b.X), Y: min(a.Y, b.Y)}}
		},
			func(k codec.ColumnKind, src []byte) (any, error) { return value.DecodeBox(603, k, src) },
			scanInto[pgtype.Box](603), func(v any) any { b := v.(pgtype.Box); return value.Box{High: pt(b.P[0]), Low: pt(b.P[1])} }),
		mk("path", 602, func() appender { return value.Path{Closed: r.Intn(2) == 0, Points: points(1 + r.Intn(6))} },
			func(k codec.ColumnKind, src []byte) (any, error) { return value.DecodePath(nil, 602, k, src) },
			scanInto[pgtype.Path](602), func(v any) any {
				p := v.(pgtype.Path)
				out := value.Path{Closed: p.Closed}
				for _, q := range p.P {
					out.Points = append(out.Points, pt(q))
				}
				return out
			}),
		mk("polygon", 604, func() appender { return value.Polygon{Points: points(1 + r.Intn(6))} },
			func(k codec.ColumnKind, src []byte) (any, error) { return value.DecodePolygon(nil, 604, k, src) },
			scanInto[pgtype.Polygon](604), func(v any) any {
				var out value.Polygon
				for _, q := range v.(pgtype.Polygon).P {
					out.Points = append(out.Points, pt(q))
				}
				return out
			}),
		mk("circle", 718, func() appender { return value.Circle{Center: geoPoint(r), Radius: math.Abs(geoFloat(r))} },
			func(k codec.ColumnKind, src []byte) (any, error) { return value.DecodeCircle(718, k, src) },
			scanInto[pgtype.Circle](718), func(v any) any { c := v.(pgtype.Circle); return value.Circle{Center: pt(c.P), Radius: c.R} }),
	}
}

// Containers. Their elements are decoded with the scalar families'
// functions, so the neutral element values are the same.

// elemKit is what a container family needs of its element family.
type elemKit struct {
	oid   uint32
	cases []agreeCase
	pgwal func(k codec.ColumnKind, src []byte) (any, error)
	// fromPgtype turns pgtype's element value (a pgtype.Int4, ...) into
	// the neutral value, nil for NULL.
	fromPgtype func(v any) any
}

func kitOf(f agreeFamily, from func(v any) any) elemKit {
	return elemKit{oid: f.oid, cases: f.cases, pgwal: f.pgwal, fromPgtype: from}
}

func elemKits(r *rand.Rand) map[string]elemKit {
	valid := func(ok bool, v any) any {
		if !ok {
			return nil
		}
		return v
	}
	// Numerics, timestamps and dates without the values pgtype is known
	// to get wrong, so a container's disagreement is the container's.
	num := numericFamily(r)
	num.cases = filterCases(num.cases, func(c *agreeCase) bool {
		n := c.want.(nnum)
		return !(n.Int == "0" && n.Exp < 0) && len(c.txt) < 100
	})
	ts := stampFamily(r, "timestamptz", 1184)
	ts.cases = filterCases(ts.cases, func(c *agreeCase) bool { return c.yearOf() <= 9999 })
	date := dateFamily(r)
	date.cases = filterCases(date.cases, func(c *agreeCase) bool { return c.yearOf() <= 9999 })
	tsp := stampFamily(r, "timestamp", 1114)
	return map[string]elemKit{
		"int4": kitOf(intFamily(r, "int4", 23, 32), func(v any) any {
			x := v.(pgtype.Int4)
			return valid(x.Valid, int64(x.Int32))
		}),
		"int8": kitOf(intFamily(r, "int8", 20, 64), func(v any) any { x := v.(pgtype.Int8); return valid(x.Valid, x.Int64) }),
		"text": kitOf(textFamily(r, "text", 25), func(v any) any { x := v.(pgtype.Text); return valid(x.Valid, x.String) }),
		"numeric": kitOf(num, func(v any) any {
			return numFromPgtype(v.(pgtype.Numeric))
		}),
		"timestamptz": kitOf(ts, func(v any) any {
			x := v.(pgtype.Timestamptz)
			return valid(x.Valid, stampFromPgtype(x.Time, x.InfinityModifier))
		}),
		"timestamp": kitOf(tsp, func(v any) any {
			x := v.(pgtype.Timestamp)
			return valid(x.Valid, stampFromPgtype(x.Time, x.InfinityModifier))
		}),
		"date": kitOf(date, func(v any) any {
			x := v.(pgtype.Date)
			return valid(x.Valid, stampFromPgtype(x.Time, x.InfinityModifier))
		}),
	}
}

func filterCases(cs []agreeCase, keep func(*agreeCase) bool) []agreeCase {
	var out []agreeCase
	for i := range cs {
		if keep(&cs[i]) {
			out = append(out, cs[i])
		}
	}
	return out
}

func rangeFamilies(r *rand.Rand) []agreeFamily {
	kits := elemKits(r)
	mk := func(name string, oid uint32, kit elemKit, scan func(m *pgtype.Map, format int16, src []byte) (any, error), bounds func(v any) (lo, hi any, lt, ut pgtype.BoundType)) agreeFamily {
		f := agreeFamily{name: name, oid: oid, scan: scan,
			pgwal: func(k codec.ColumnKind, src []byte) (any, error) {
				rr, err := value.DecodeRange(oid, k, src, nil)
				if err != nil {
					return nil, err
				}
				return rangeFromPgwal(kit, rr)
			},
			norm: func(v any) any {
				lo, hi, lt, ut := bounds(v)
				return rangeFromPgtype(kit, lo, hi, lt, ut)
			},
			// pgtype's RangeCodec does no canonicalisation and prints
			// the bounds with the element's text encoder, so it prints
			// what the element family prints; the elements' documented
			// differences apply inside ranges too.
			textKnown: func(c *agreeCase) string {
				switch {
				case oid == 3910 && bytes.Contains(c.txt, []byte("+00")):
					return "zone printed as Z, not +00"
				case bytes.ContainsRune(c.txt, '"'):
					// range_out quotes a bound with white space or
					// any of "\()[], (rangetypes.c:
					// range_bound_escape); pgtype's RangeCodec never
					// quotes.
					return "bounds needing quotes printed bare"
				}
				return ""
			},
		}
		for i := 0; i < 150; i++ {
			var rr value.RawRange
			var lo, hi *agreeCase
			if i%17 == 0 {
				rr.Flags = value.RangeEmpty
			} else {
				a, b := &kit.cases[r.Intn(len(kit.cases))], &kit.cases[r.Intn(len(kit.cases))]
				if cmpNeutral(a.want, b.want) > 0 {
					a, b = b, a
				}
				lo, hi = a, b
				switch r.Intn(4) {
				case 0:
					rr.Flags |= value.RangeLowerInf
					lo = nil
				case 1:
					rr.Flags |= value.RangeLowerInc
				}
				switch r.Intn(4) {
				case 0:
					rr.Flags |= value.RangeUpperInf
					hi = nil
				case 1:
					rr.Flags |= value.RangeUpperInc
				}
			}
			bin, txt := rr, rr
			bin.Kind, txt.Kind = codec.ColumnBinary, codec.ColumnText
			if lo != nil {
				bin.Lower, txt.Lower = lo.bin, lo.txt
			}
			if hi != nil {
				bin.Upper, txt.Upper = hi.bin, hi.txt
			}
			b := value.AppendRangeBinary(nil, bin)
			want := must(rangeFromPgwal(kit, must(value.DecodeRange(oid, codec.ColumnBinary, b, nil))))
			tx := must(value.AppendRangeText(nil, oid, txt))
			f.cases = append(f.cases, agreeCase{string(tx), want, b, tx})
		}
		return f
	}
	return []agreeFamily{
		mk("int4range", 3904, kits["int4"], scanInto[pgtype.Range[pgtype.Int4]](3904), func(v any) (any, any, pgtype.BoundType, pgtype.BoundType) {
			x := v.(pgtype.Range[pgtype.Int4])
			return x.Lower, x.Upper, x.LowerType, x.UpperType
		}),
		mk("int8range", 3926, kits["int8"], scanInto[pgtype.Range[pgtype.Int8]](3926), func(v any) (any, any, pgtype.BoundType, pgtype.BoundType) {
			x := v.(pgtype.Range[pgtype.Int8])
			return x.Lower, x.Upper, x.LowerType, x.UpperType
		}),
		mk("numrange", 3906, kits["numeric"], scanInto[pgtype.Range[pgtype.Numeric]](3906), func(v any) (any, any, pgtype.BoundType, pgtype.BoundType) {
			x := v.(pgtype.Range[pgtype.Numeric])
			return x.Lower, x.Upper, x.LowerType, x.UpperType
		}),
		mk("tstzrange", 3910, kits["timestamptz"], scanInto[pgtype.Range[pgtype.Timestamptz]](3910), func(v any) (any, any, pgtype.BoundType, pgtype.BoundType) {
			x := v.(pgtype.Range[pgtype.Timestamptz])
			return x.Lower, x.Upper, x.LowerType, x.UpperType
		}),
		mk("daterange", 3912, kits["date"], scanInto[pgtype.Range[pgtype.Date]](3912), func(v any) (any, any, pgtype.BoundType, pgtype.BoundType) {
			x := v.(pgtype.Range[pgtype.Date])
			return x.Lower, x.Upper, x.LowerType, x.UpperType
		}),
	}
}

// cmpNeutral orders two neutral values of one element family.
func cmpNeutral(a, b any) int {
	switch x := a.(type) {
	case int64:
		y := b.(int64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case nstamp:
		y := b.(nstamp)
		if x.Inf != y.Inf {
			return x.Inf - y.Inf
		}
		if x.Sec != y.Sec {
			if x.Sec < y.Sec {
				return -1
			}
			return 1
		}
		return x.Nsec - y.Nsec
	case nnum:
		rat := func(n nnum) *big.Rat {
			i, _ := new(big.Int).SetString(n.Int, 10)
			p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(n.Exp, -n.Exp))), nil)
			if n.Exp >= 0 {
				return new(big.Rat).SetInt(i.Mul(i, p))
			}
			return new(big.Rat).SetFrac(i, p)
		}
		y := b.(nnum)
		sp := func(n nnum) int {
			switch n.Special {
			case "-Infinity":
				return -1
			case "Infinity":
				return 1
			case "NaN":
				return 2
			}
			return 0
		}
		if sp(x) != 0 || sp(y) != 0 {
			return sp(x) - sp(y)
		}
		return rat(x).Cmp(rat(y))
	}
	panic(fmt.Sprintf("cmpNeutral %T", a))
}

func rangeFlags(empty, lowerInf, lowerInc, upperInf, upperInc bool) string {
	if empty {
		return "empty"
	}
	s := "("
	switch {
	case lowerInf:
		s = "-"
	case lowerInc:
		s = "["
	}
	switch {
	case upperInf:
		return s + "-"
	case upperInc:
		return s + "]"
	}
	return s + ")"
}

func rangeFromPgwal(kit elemKit, rr value.RawRange) (any, error) {
	f := rr.Flags
	out := nrange{Flags: rangeFlags(f&value.RangeEmpty != 0, f&value.RangeLowerInf != 0, f&value.RangeLowerInc != 0, f&value.RangeUpperInf != 0, f&value.RangeUpperInc != 0)}
	var err error
	if f.HasLower() {
		if out.Lower, err = kit.pgwal(rr.Kind, rr.Lower); err != nil {
			return nil, err
		}
	}
	if f.HasUpper() {
		if out.Upper, err = kit.pgwal(rr.Kind, rr.Upper); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func rangeFromPgtype(kit elemKit, lo, hi any, lt, ut pgtype.BoundType) any {
	empty := lt == pgtype.Empty
	out := nrange{Flags: rangeFlags(empty, lt == pgtype.Unbounded, lt == pgtype.Inclusive, ut == pgtype.Unbounded, ut == pgtype.Inclusive)}
	if !empty && lt != pgtype.Unbounded {
		out.Lower = kit.fromPgtype(lo)
	}
	if !empty && ut != pgtype.Unbounded {
		out.Upper = kit.fromPgtype(hi)
	}
	return out
}

func arrayFamilies(r *rand.Rand) []agreeFamily {
	kits := elemKits(r)
	mk := func(name string, oid uint32, kit elemKit, scan func(m *pgtype.Map, format int16, src []byte) (any, error), parts func(v any) ([]pgtype.ArrayDimension, []any)) agreeFamily {
		f := agreeFamily{name: name, oid: oid, scan: scan,
			pgwal: func(k codec.ColumnKind, src []byte) (any, error) {
				a, err := value.DecodeArray(oid, k, src, nil)
				if err != nil {
					return nil, err
				}
				return arrayFromPgwal(kit, &a)
			},
			norm: func(v any) any {
				dims, elems := parts(v)
				out := narray{}
				for _, d := range dims {
					out.Dims = append(out.Dims, value.Dim{Len: d.Length, Lower: d.LowerBound})
				}
				for _, e := range elems {
					out.Elems = append(out.Elems, kit.fromPgtype(e))
				}
				return out
			},
			textKnown: func(c *agreeCase) string {
				if oid == 1185 && bytes.Contains(c.txt, []byte("+00")) {
					return "zone printed as Z, not +00"
				}
				if oid == 1009 {
					for _, e := range c.want.(narray).Elems {
						if s, ok := e.(string); ok && innerSpaceOnly(s) {
							// array_out quotes an element with white
							// space anywhere in it (arrayfuncs.c:
							// array_out, the needquote loop with
							// array_isspace); pgtype's
							// quoteArrayElementIfNeeded only looks at
							// its first and last byte.
							return "elements with inner white space printed bare"
						}
					}
				}
				return ""
			},
		}
		for i := 0; i < 150; i++ {
			var dims []value.Dim
			if i%23 != 0 { // some empty arrays
				for n := 1 + r.Intn(3); n > 0; n-- {
					d := value.Dim{Len: int32(1 + r.Intn(4)), Lower: 1}
					if r.Intn(4) == 0 {
						d.Lower = int32(r.Intn(20) - 10)
					}
					dims = append(dims, d)
				}
			}
			total := 1
			if len(dims) == 0 {
				total = 0
			}
			for _, d := range dims {
				total *= int(d.Len)
			}
			var bins, txts []codec.Column
			for j := 0; j < total; j++ {
				if r.Intn(6) == 0 {
					bins = append(bins, codec.Column{Kind: codec.ColumnNull})
					txts = append(txts, codec.Column{Kind: codec.ColumnNull})
					continue
				}
				c := &kit.cases[r.Intn(len(kit.cases))]
				bins = append(bins, codec.Column{Kind: codec.ColumnBinary, Data: c.bin})
				txts = append(txts, codec.Column{Kind: codec.ColumnText, Data: c.txt})
			}
			b := must(value.AppendArrayBinary(nil, kit.oid, dims, bins))
			tx := must(value.AppendArrayText(nil, kit.oid, dims, txts))
			a := must(value.DecodeArray(oid, codec.ColumnBinary, b, nil))
			want := must(arrayFromPgwal(kit, &a))
			label := string(tx)
			if len(label) > 80 {
				label = label[:80] + "…"
			}
			f.cases = append(f.cases, agreeCase{label, want, b, tx})
		}
		return f
	}
	elems := func(xs any) []any {
		var out []any
		switch s := xs.(type) {
		case []pgtype.Int4:
			for _, x := range s {
				out = append(out, x)
			}
		case []pgtype.Int8:
			for _, x := range s {
				out = append(out, x)
			}
		case []pgtype.Text:
			for _, x := range s {
				out = append(out, x)
			}
		case []pgtype.Numeric:
			for _, x := range s {
				out = append(out, x)
			}
		case []pgtype.Timestamptz:
			for _, x := range s {
				out = append(out, x)
			}
		}
		return out
	}
	return []agreeFamily{
		mk("int4[]", 1007, kits["int4"], scanInto[pgtype.Array[pgtype.Int4]](1007), func(v any) ([]pgtype.ArrayDimension, []any) {
			a := v.(pgtype.Array[pgtype.Int4])
			return a.Dims, elems(a.Elements)
		}),
		mk("int8[]", 1016, kits["int8"], scanInto[pgtype.Array[pgtype.Int8]](1016), func(v any) ([]pgtype.ArrayDimension, []any) {
			a := v.(pgtype.Array[pgtype.Int8])
			return a.Dims, elems(a.Elements)
		}),
		mk("text[]", 1009, kits["text"], scanInto[pgtype.Array[pgtype.Text]](1009), func(v any) ([]pgtype.ArrayDimension, []any) {
			a := v.(pgtype.Array[pgtype.Text])
			return a.Dims, elems(a.Elements)
		}),
		mk("numeric[]", 1231, kits["numeric"], scanInto[pgtype.Array[pgtype.Numeric]](1231), func(v any) ([]pgtype.ArrayDimension, []any) {
			a := v.(pgtype.Array[pgtype.Numeric])
			return a.Dims, elems(a.Elements)
		}),
		mk("timestamptz[]", 1185, kits["timestamptz"], scanInto[pgtype.Array[pgtype.Timestamptz]](1185), func(v any) ([]pgtype.ArrayDimension, []any) {
			a := v.(pgtype.Array[pgtype.Timestamptz])
			return a.Dims, elems(a.Elements)
		}),
	}
}

// innerSpaceOnly: array_out quotes s for its white space alone, which
// pgtype does not see (not at either end, no other character that needs
// quotes).
func innerSpaceOnly(s string) bool {
	isSpace := func(c byte) bool { return strings.IndexByte(" \t\n\r\v\f", c) >= 0 }
	if s == "" || strings.EqualFold(s, "null") || strings.ContainsAny(s, `{},"\`) || isSpace(s[0]) || isSpace(s[len(s)-1]) {
		return false
	}
	return strings.ContainsAny(s, " \t\n\r\v\f")
}

func arrayFromPgwal(kit elemKit, a *value.Array) (any, error) {
	out := narray{Dims: append([]value.Dim(nil), a.Dims()...)}
	for {
		c, ok := a.Next()
		if !ok {
			return out, nil
		}
		if c.Kind == codec.ColumnNull {
			out.Elems = append(out.Elems, nil)
			continue
		}
		v, err := kit.pgwal(c.Kind, c.Data)
		if err != nil {
			return nil, err
		}
		out.Elems = append(out.Elems, v)
	}
}
