package bench

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/value"
)

// valueDecoder is one way of decoding an input's values to Go values: a
// function made once per benchmark (outside the timed loop) that decodes
// every value of the batch.
type valueDecoder struct {
	name string
	make func(in *ValueInput) func() error
}

// pgtypePlan is pgtype's fastest documented path: one Map, one ScanPlan
// made with PlanScan for the OID, format and target type, reused for
// every value (Map.Scan would look the plan up on each call).
func pgtypePlan[T any](name string, sink func(*T)) valueDecoder {
	return valueDecoder{name: name, make: func(in *ValueInput) func() error {
		m := pgtype.NewMap()
		format := int16(pgtype.BinaryFormatCode)
		if in.Kind == codec.ColumnText {
			format = pgtype.TextFormatCode
		}
		var dst T
		plan := m.PlanScan(in.OID, format, &dst)
		return func() error {
			for _, v := range in.Values {
				if err := plan.Scan(v, &dst); err != nil {
					return err
				}
				sink(&dst)
			}
			return nil
		}
	}}
}

// pgtypeAny is the idiom of pglogrepl's example and of most CDC code on
// pgtype: look the type up by OID for each value and DecodeValue it to an
// any.
func pgtypeAny() valueDecoder {
	return valueDecoder{name: "pgtype-any", make: func(in *ValueInput) func() error {
		m := pgtype.NewMap()
		format := int16(pgtype.BinaryFormatCode)
		if in.Kind == codec.ColumnText {
			format = pgtype.TextFormatCode
		}
		return func() error {
			for _, v := range in.Values {
				typ, ok := m.TypeForOID(in.OID)
				if !ok {
					return fmt.Errorf("pgtype: no type for OID %d", in.OID)
				}
				x, err := typ.Codec.DecodeValue(m, in.OID, format, v)
				if err != nil {
					return err
				}
				sinkAny = x
			}
			return nil
		}
	}}
}

func pgwalDecoder(name string, dec func(in *ValueInput, v []byte) error) valueDecoder {
	return valueDecoder{name: name, make: func(in *ValueInput) func() error {
		return func() error {
			for _, v := range in.Values {
				if err := dec(in, v); err != nil {
					return err
				}
			}
			return nil
		}
	}}
}

var (
	sinkTime  time.Time
	sinkBytes []byte
	sinkStr   string
	sinkUUID  [16]byte
)

// valueDecoders are, per family, pgwal's accessor and pgtype's decodings
// into the natural Go type ("pgtype") and its own types ("pgtype-…").
func valueDecoders(family string) []valueDecoder {
	var num value.Numeric
	var ints []int64
	switch family {
	case "int8":
		return []valueDecoder{
			pgwalDecoder("pgwal", func(in *ValueInput, v []byte) error {
				n, err := value.Int64(in.OID, in.Kind, v)
				sinkInt += int(n)
				return err
			}),
			pgtypePlan("pgtype", func(v *int64) { sinkInt += int(*v) }),
			pgtypePlan("pgtype-Int8", func(v *pgtype.Int8) { sinkInt += int(v.Int64) }),
		}
	case "numeric":
		return []valueDecoder{
			pgwalDecoder("pgwal", func(in *ValueInput, v []byte) error {
				err := value.DecodeNumeric(&num, in.OID, in.Kind, v)
				sinkInt += len(num.Digits)
				return err
			}),
			pgtypePlan("pgtype", func(v *pgtype.Numeric) { sinkAny = v.Int }),
		}
	case "timestamptz":
		return []valueDecoder{
			pgwalDecoder("pgwal", func(in *ValueInput, v []byte) error {
				t, err := value.Time(in.OID, in.Kind, v)
				sinkTime = t
				return err
			}),
			pgtypePlan("pgtype", func(v *time.Time) { sinkTime = *v }),
			pgtypePlan("pgtype-Timestamptz", func(v *pgtype.Timestamptz) { sinkTime = v.Time }),
		}
	case "text":
		return []valueDecoder{
			pgwalDecoder("pgwal", func(in *ValueInput, v []byte) error {
				b, err := value.Text(in.OID, in.Kind, v)
				sinkBytes = b
				return err
			}),
			pgwalDecoder("pgwal-string", func(in *ValueInput, v []byte) error {
				b, err := value.Text(in.OID, in.Kind, v)
				sinkStr = string(b)
				return err
			}),
			pgtypePlan("pgtype", func(v *string) { sinkStr = *v }),
			pgtypePlan("pgtype-bytes", func(v *[]byte) { sinkBytes = *v }),
		}
	case "uuid":
		return []valueDecoder{
			pgwalDecoder("pgwal", func(in *ValueInput, v []byte) error {
				u, err := value.UUID(in.OID, in.Kind, v)
				sinkUUID = u
				return err
			}),
			pgtypePlan("pgtype", func(v *pgtype.UUID) { sinkUUID = v.Bytes }),
		}
	case "jsonb":
		return []valueDecoder{
			pgwalDecoder("pgwal", func(in *ValueInput, v []byte) error {
				b, err := value.JSON(in.OID, in.Kind, v)
				sinkBytes = b
				return err
			}),
			pgtypePlan("pgtype", func(v *[]byte) { sinkBytes = *v }),
			pgtypePlan("pgtype-RawMessage", func(v *json.RawMessage) { sinkBytes = *v }),
		}
	case "int4[]":
		return []valueDecoder{
			pgwalDecoder("pgwal", func(in *ValueInput, v []byte) error {
				a, err := value.DecodeArray(in.OID, in.Kind, v, nil)
				if err != nil {
					return err
				}
				for c, ok := a.Next(); ok; c, ok = a.Next() {
					n, err := value.Int64(a.Elem(), c.Kind, c.Data)
					if err != nil {
						return err
					}
					sinkInt += int(n)
				}
				return nil
			}),
			pgwalDecoder("pgwal-AppendInt64s", func(in *ValueInput, v []byte) error {
				a, err := value.DecodeArray(in.OID, in.Kind, v, nil)
				if err != nil {
					return err
				}
				ints, err = a.AppendInt64s(ints[:0])
				sinkInt += len(ints)
				return err
			}),
			pgtypePlan("pgtype", func(v *[]int32) { sinkInt += len(*v) }),
			pgtypePlan("pgtype-Array", func(v *pgtype.Array[pgtype.Int4]) { sinkInt += len(v.Elements) }),
			pgtypePlan("pgtype-FlatArray", func(v *pgtype.FlatArray[int32]) { sinkInt += len(*v) }),
		}
	case "text[]":
		return []valueDecoder{
			pgwalDecoder("pgwal", func(in *ValueInput, v []byte) error {
				a, err := value.DecodeArray(in.OID, in.Kind, v, nil)
				if err != nil {
					return err
				}
				for c, ok := a.Next(); ok; c, ok = a.Next() {
					b, err := value.Text(a.Elem(), c.Kind, c.Data)
					if err != nil {
						return err
					}
					sinkInt += len(b)
				}
				return nil
			}),
			pgtypePlan("pgtype", func(v *[]string) { sinkInt += len(*v) }),
			pgtypePlan("pgtype-Array", func(v *pgtype.Array[pgtype.Text]) { sinkInt += len(v.Elements) }),
		}
	}
	panic("no decoders for " + family)
}

// BenchmarkValueDecode: the same bytes decoded to Go values by pgwal and by
// pgtype (see README.md, "Column values").
func BenchmarkValueDecode(b *testing.B) {
	for _, in := range ValueInputs() {
		for _, d := range append(valueDecoders(in.Family), pgtypeAny()) {
			b.Run(in.Name()+"/"+d.name, func(b *testing.B) {
				run := d.make(in)
				if err := run(); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(in.Bytes))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := run(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkValueAppendText: value.AppendText of each binary input into a
// reused buffer (the server's text form).
func BenchmarkValueAppendText(b *testing.B) {
	for _, in := range ValueInputs() {
		if in.Kind != codec.ColumnBinary {
			continue
		}
		b.Run(in.Name()+"/pgwal", func(b *testing.B) {
			run := appendTextRun(in)
			if err := run(); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(in.Bytes))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValueAppendJSON: Renderer.AppendJSON of each input into a
// reused buffer.
func BenchmarkValueAppendJSON(b *testing.B) {
	for _, in := range ValueInputs() {
		b.Run(in.Name()+"/pgwal", func(b *testing.B) {
			run := appendJSONRun(in)
			if err := run(); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(in.Bytes))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func appendTextRun(in *ValueInput) func() error {
	var buf []byte
	return func() error {
		for _, v := range in.Values {
			var err error
			buf, err = value.AppendText(buf[:0], in.OID, -1, v)
			if err != nil {
				return err
			}
		}
		sinkInt += len(buf)
		return nil
	}
}

func appendJSONRun(in *ValueInput) func() error {
	var r value.Renderer
	var buf []byte
	return func() error {
		for _, v := range in.Values {
			var err error
			buf, err = r.AppendJSON(buf[:0], in.OID, -1, in.Kind, v)
			if err != nil {
				return err
			}
		}
		sinkInt += len(buf)
		return nil
	}
}

// TestValueDecodeWithoutAllocating: pgwal's accessors, AppendText and
// AppendJSON allocate nothing on any benchmarked input, once warm (the
// Numeric's digits and the buffers reused).
func TestValueDecodeWithoutAllocating(t *testing.T) {
	for _, in := range ValueInputs() {
		runs := map[string]func() error{
			"decode":     valueDecoders(in.Family)[0].make(in),
			"AppendJSON": appendJSONRun(in),
		}
		if in.Kind == codec.ColumnBinary {
			runs["AppendText"] = appendTextRun(in)
		}
		for what, run := range runs {
			if err := run(); err != nil {
				t.Fatalf("%s %s: %v", in.Name(), what, err)
			}
			if n := testing.AllocsPerRun(20, func() {
				if err := run(); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Errorf("%s: pgwal %s: %v allocations per batch of %d values", in.Name(), what, n, len(in.Values))
			}
		}
	}
}

// TestValueBenchInputsAgree: on the benchmark inputs, pgwal and pgtype
// decode the same values (with TestValueAgreesWithPgtype's comparison), so
// the benchmarks time the same work.
func TestValueBenchInputsAgree(t *testing.T) {
	m := pgtype.NewMap()
	fams := map[string]agreeFamily{}
	for _, f := range agreeFamilies(rand.New(rand.NewSource(1))) {
		fams[f.name] = f
	}
	for _, in := range ValueInputs() {
		f, ok := fams[in.Family]
		if !ok {
			t.Fatalf("%s: no agreement family", in.Name())
		}
		format := int16(pgtype.BinaryFormatCode)
		if in.Kind == codec.ColumnText {
			format = pgtype.TextFormatCode
		}
		for i, v := range in.Values {
			got, err := f.pgwal(in.Kind, v)
			if err != nil {
				t.Fatalf("%s %d: pgwal: %v", in.Name(), i, err)
			}
			pv, err := f.scan(m, format, v)
			if err != nil {
				t.Fatalf("%s %d: pgtype: %v", in.Name(), i, err)
			}
			if d := cmp.Diff(got, f.norm(pv), agreeOpts); d != "" {
				t.Errorf("%s %d: pgwal and pgtype disagree (-pgwal +pgtype):\n%s", in.Name(), i, d)
			}
		}
	}
}
