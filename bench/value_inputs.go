package bench

import (
	"fmt"
	"math/rand"
	"strings"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/value"
)

// ValueInput is one benchmark input of the column-value comparison
// (BenchmarkValueDecode and friends): a batch of values of one type in one
// form, encoded by pgwal, which every decoder reads.
type ValueInput struct {
	Family string // "int8", "numeric", "timestamptz", "text", "uuid", "jsonb", "int4[]", "text[]"
	Form   string // "binary" or "text"
	OID    uint32
	Kind   codec.ColumnKind
	Values [][]byte
	Bytes  int    // the values' total length (b.SetBytes)
	What   string // what a value is, for the README
}

// Name is the input's benchmark path, <family>/<form>.
func (in *ValueInput) Name() string { return in.Family + "/" + in.Form }

// valueBatch is the number of values per benchmark op: enough different
// values that no branch is trained on one.
const valueBatch = 64

// ValueInputs returns the inputs, built with a fixed seed.
func ValueInputs() []*ValueInput {
	r := rand.New(rand.NewSource(42))
	var ins []*ValueInput
	add := func(family, form string, oid uint32, what string, gen func(i int) []byte) {
		in := &ValueInput{Family: family, Form: form, OID: oid, Kind: codec.ColumnBinary, What: what}
		if form == "text" {
			in.Kind = codec.ColumnText
		}
		for i := 0; i < valueBatch; i++ {
			v := gen(i)
			in.Values = append(in.Values, v)
			in.Bytes += len(v)
		}
		ins = append(ins, in)
	}
	ints := make([]int64, valueBatch)
	for i := range ints {
		ints[i] = int64(r.Uint64() >> r.Intn(64))
		if r.Intn(2) == 0 {
			ints[i] = -ints[i]
		}
	}
	add("int8", "binary", 20, "int8 values of every magnitude", func(i int) []byte { return vMust(value.AppendInt64Binary(nil, 20, ints[i])) })
	add("int8", "text", 20, "int8 values of every magnitude", func(i int) []byte { return vMust(value.AppendInt64Text(nil, 20, ints[i])) })

	nums := make([]value.Numeric, valueBatch)
	for i := range nums {
		// Money-like and measurement-like values: up to 20 digits,
		// scale 0 to 8.
		digits := 1 + r.Intn(20)
		s := fmt.Sprint(r.Int63n(9) + 1)
		for len(s) < digits {
			s += fmt.Sprint(r.Intn(10))
		}
		if sc := r.Intn(9); sc > 0 && sc < len(s) {
			s = s[:len(s)-sc] + "." + s[len(s)-sc:]
		}
		if r.Intn(2) == 0 {
			s = "-" + s
		}
		nums[i] = vMust(value.ParseNumeric(s))
	}
	add("numeric", "binary", 1700, "numerics of 1–20 digits, scale 0–8", func(i int) []byte { return vMust(value.AppendNumericBinary(nil, nums[i])) })
	add("numeric", "text", 1700, "numerics of 1–20 digits, scale 0–8", func(i int) []byte { return vMust(value.AppendNumericText(nil, nums[i])) })

	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	add("timestamptz", "binary", 1184, "timestamptz values around 2024, microsecond precision", func(int) []byte {
		return vMust(value.AppendTimeBinary(nil, 1184, base.Add(time.Duration(r.Int63n(int64(400*24*time.Hour)))).Truncate(time.Microsecond)))
	})
	add("text", "binary", 25, "text of 5–60 bytes, some non-ASCII", func(int) []byte {
		n := 5 + r.Intn(56)
		var b strings.Builder
		for b.Len() < n {
			b.WriteString([]string{"alpha", " ", "beta", "é", "日本", "@example.com", "-", "42"}[r.Intn(8)])
		}
		return vMust(value.AppendTextBinary(nil, 25, []byte(b.String())))
	})
	add("uuid", "binary", 2950, "random uuids", func(int) []byte {
		var u [16]byte
		r.Read(u[:])
		return value.AppendUUIDBinary(nil, u)
	})
	add("jsonb", "binary", 3802, "jsonb documents of 40–200 bytes", func(int) []byte {
		var parts []string
		for n := 2 + r.Intn(6); n > 0; n-- {
			parts = append(parts, fmt.Sprintf(`"key%d": %d`, r.Intn(100), r.Intn(100000)))
		}
		parts = append(parts, `"tags": ["a", "b"]`, `"ok": true`)
		return value.AppendJSONBBinary(nil, []byte("{"+strings.Join(parts, ", ")+"}"))
	})
	add("int4[]", "binary", 1007, "one-dimensional int4 arrays of 10–100 elements", func(int) []byte {
		n := 10 + r.Intn(91)
		elems := make([]codec.Column, n)
		for j := range elems {
			elems[j] = codec.Column{Kind: codec.ColumnBinary, Data: vMust(value.AppendInt64Binary(nil, 23, int64(r.Int31())-1<<30))}
		}
		return vMust(value.AppendArrayBinary(nil, 23, []value.Dim{{Len: int32(n), Lower: 1}}, elems))
	})
	add("text[]", "binary", 1009, "one-dimensional text arrays of 10–100 elements of 3–20 bytes", func(int) []byte {
		n := 10 + r.Intn(91)
		elems := make([]codec.Column, n)
		for j := range elems {
			s := strings.Repeat("x", 3+r.Intn(18))
			elems[j] = codec.Column{Kind: codec.ColumnBinary, Data: []byte(s)}
		}
		return vMust(value.AppendArrayBinary(nil, 25, []value.Dim{{Len: int32(n), Lower: 1}}, elems))
	})
	return ins
}

func vMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
