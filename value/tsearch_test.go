package value

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

// A deep tsquery is refused, not rendered with unbounded recursion.
func TestStrTSQueryDepth(t *testing.T) {
	const n = strTSMaxDepth + 10
	src := binary.BigEndian.AppendUint32(nil, 2*n+1)
	for i := 0; i < n; i++ {
		src = append(src, strQIOpr, strOpAnd, strQIVal, 0, 0, 'b', 0)
	}
	src = append(src, strQIVal, 0, 0, 'a', 0)
	// Depth n via the left operands: each AND's right operand is a leaf.
	if _, err := AppendText(nil, strOIDTSQuery, -1, src); !errors.Is(err, ErrMalformed) {
		t.Fatalf("depth %d: %v", n, err)
	}
	src = binary.BigEndian.AppendUint32(src[:0], 201)
	for i := 0; i < 100; i++ {
		src = append(src, strQIOpr, strOpAnd, strQIVal, 0, 0, 'b', 0)
	}
	src = append(src, strQIVal, 0, 0, 'a', 0)
	out, err := AppendText(nil, strOIDTSQuery, -1, src)
	if err != nil || len(out) != len("'a'")+100*len(" & 'b'") {
		t.Fatalf("depth 100: %q, %v", out, err)
	}
}

// The lexeme quoting and the weights of tsvector, one position at a time.
func TestStrTSVectorPositions(t *testing.T) {
	src := binary.BigEndian.AppendUint32(nil, 1)
	src = append(src, 'x', 0)
	src = binary.BigEndian.AppendUint16(src, 4)
	for _, p := range []uint16{0<<14 | 1, 1<<14 | 2, 2<<14 | 3, 3<<14 | 16383} {
		src = binary.BigEndian.AppendUint16(src, p)
	}
	out, err := AppendText(nil, strOIDTSVector, -1, src)
	if err != nil || string(out) != "'x':1,2C,3B,16383A" {
		t.Fatalf("%q, %v", out, err)
	}
}

func genStrLexeme() gopter.Gen {
	word := gen.OneGenOf(gen.AlphaString(), gen.AnyString(), gen.Const("it's"), gen.Const(`back\slash`)).
		Map(func(s string) []byte { return []byte(strings.ReplaceAll(s, "\x00", "")) })
	return gopter.CombineGens(word, gen.SliceOf(gen.UInt16())).Map(func(v []any) TSLexeme {
		return TSLexeme{Word: v[0].([]byte), Positions: v[1].([]uint16)}
	})
}

func TestStrTSVectorProperties(t *testing.T) {
	p := gopter.NewProperties(nil)
	p.Property("tsvector: the binary form renders as the text encoder prints", prop.ForAll(func(v []TSLexeme) bool {
		r, err := AppendText(nil, strOIDTSVector, -1, AppendTSVectorBinary(nil, v))
		return err == nil && bytes.Equal(r, AppendTSVectorText(nil, v))
	}, gen.SliceOf(genStrLexeme())))
	p.TestingRun(t)
}
