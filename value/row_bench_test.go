package value

import (
	"bytes"
	"os"
	"testing"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/capfile"
)

// rowInput is the captured Inserts of one corpus file with what rendering
// them needs: the relation of each and the user types registered.
type rowInput struct {
	name  string
	opts  codec.Options
	msgs  [][]byte // the Insert messages as captured
	bytes int
	rels  codec.RelationCache
	types Registry
}

// loadRows reads the Inserts into public.items (eleven columns: int4,
// text, bool, timestamptz, numeric, jsonb, bytea, uuid, an enum, a domain,
// a composite) from one captured file, text or binary.
func loadRows(tb testing.TB, file string) *rowInput {
	tb.Helper()
	raw, err := os.ReadFile("../testdata/pgoutput/pg18/" + file)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := capfile.Read(bytes.NewReader(raw))
	if err != nil {
		tb.Fatal(err)
	}
	in := &rowInput{name: file}
	if in.opts, err = f.DecoderOptions(); err != nil {
		tb.Fatal(err)
	}
	dec := codec.NewDecoder(in.opts)
	for _, m := range f.Messages {
		msg, err := dec.Decode(m.Data)
		if err != nil {
			tb.Fatal(err)
		}
		in.rels.Apply(msg)
		switch msg := msg.(type) {
		case *codec.Type:
			switch string(msg.Namespace) + "." + string(msg.Name) {
			case "app.mood":
				in.types.RegisterText(msg.TypeOID, "app.mood", CategoryEnum)
			case "app.point2":
				in.types.RegisterComposite(msg.TypeOID, "app.point2")
			default:
				in.types.ApplyType(msg)
			}
		case *codec.Insert:
			if info, err := in.rels.Resolve(msg); err == nil && info.Name == "items" {
				in.msgs = append(in.msgs, m.Data)
				in.bytes += len(m.Data)
			}
		}
	}
	if len(in.msgs) == 0 {
		tb.Fatalf("%s: no Inserts into public.items", file)
	}
	return in
}

// appendRowJSON renders one row as a JSON object of column name to value.
func appendRowJSON(dst []byte, r *Renderer, info *codec.RelationInfo, row codec.Tuple) ([]byte, error) {
	dst = append(dst, '{')
	for i, c := range row {
		if i > 0 {
			dst = append(dst, ',')
		}
		col := &info.Columns[i]
		dst = AppendJSONString(dst, []byte(col.Name))
		dst = append(dst, ':')
		var err error
		if dst, err = r.AppendJSON(dst, col.TypeOID, col.TypeMod, c.Kind, c.Data); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// BenchmarkRowJSON compares, in one run, decoding a captured row's
// pgoutput Insert (decode) with rendering the decoded row to a JSON object
// (render, the decode excluded); the bar is render ≤ 3× decode.
func BenchmarkRowJSON(b *testing.B) {
	for _, file := range []string{"v1-plain.txt", "v1-binary.txt"} {
		in := loadRows(b, file)
		dec := codec.NewDecoder(in.opts)
		b.Run(file+"/decode", func(b *testing.B) {
			b.SetBytes(int64(in.bytes))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				for _, m := range in.msgs {
					if _, err := dec.Decode(m); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		// The rows decoded once, outside the timed loop.
		var rows []codec.Tuple
		var infos []*codec.RelationInfo
		for _, m := range in.msgs {
			msg, _ := codec.NewDecoder(in.opts).Decode(m)
			ins := codec.Clone(msg).(*codec.Insert)
			info, _ := in.rels.Resolve(ins)
			rows, infos = append(rows, ins.New), append(infos, info)
		}
		r := Renderer{Types: &in.types}
		var buf []byte
		b.Run(file+"/render", func(b *testing.B) {
			b.SetBytes(int64(in.bytes))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				for j, row := range rows {
					var err error
					if buf, err = appendRowJSON(buf[:0], &r, infos[j], row); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// Rendering the captured rows allocates nothing into a reused buffer, and
// a binary session's rows render to exactly the text session's JSON.
func TestRowJSON(t *testing.T) {
	var out [2][]string
	for k, file := range []string{"v1-plain.txt", "v1-binary.txt"} {
		in := loadRows(t, file)
		dec := codec.NewDecoder(in.opts)
		r := Renderer{Types: &in.types}
		var buf []byte
		for _, m := range in.msgs {
			msg, err := dec.Decode(m)
			if err != nil {
				t.Fatal(err)
			}
			ins := msg.(*codec.Insert)
			info, err := in.rels.Resolve(ins)
			if err != nil {
				t.Fatal(err)
			}
			if buf, err = appendRowJSON(buf[:0], &r, info, ins.New); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			out[k] = append(out[k], string(buf))
			if n := testing.AllocsPerRun(20, func() { buf, _ = appendRowJSON(buf[:0], &r, info, ins.New) }); n != 0 {
				t.Errorf("%s: %v allocs rendering %s", file, n, out[k][len(out[k])-1])
			}
		}
	}
	if len(out[0]) != len(out[1]) {
		t.Fatalf("%d text rows, %d binary rows", len(out[0]), len(out[1]))
	}
	for i := range out[0] {
		if out[0][i] != out[1][i] {
			t.Errorf("row %d:\n text   %s\n binary %s", i, out[0][i], out[1][i])
		}
	}
}
