package value

import (
	"math"
	"testing"

	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/pgwal/pgwal/codec"
)

func TestNumMoney(t *testing.T) {
	for _, c := range []struct {
		m    Money
		want string
	}{
		{0, "$0.00"}, {5, "$0.05"}, {-1, "-$0.01"}, {50, "$0.50"}, {100000, "$1,000.00"},
		{123456, "$1,234.56"}, {-123456, "-$1,234.56"}, {99999, "$999.99"},
		{math.MaxInt64, "$92,233,720,368,547,758.07"}, {math.MinInt64, "-$92,233,720,368,547,758.08"},
	} {
		got, err := AppendText(nil, 790, -1, AppendMoneyBinary(nil, c.m))
		if err != nil || string(got) != c.want || c.m.String() != c.want {
			t.Errorf("%d: %q, %v; want %q", c.m, got, err, c.want)
		}
	}
	for in, want := range map[string]Money{"$1,234.56": 123456, "-$1,234.56": -123456, "$-1": -100, "1234.5": 123450, " 7 ": 700, "$0.05": 5, "-$92,233,720,368,547,758.08": math.MinInt64} {
		if got, err := DecodeMoney(790, codec.ColumnText, []byte(in)); err != nil || got != want {
			t.Errorf("DecodeMoney(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, sentinel := range map[string]error{"": ErrMalformed, "$": ErrMalformed, "1.234": ErrMalformed, "1,": ErrMalformed, "abc": ErrMalformed, "$92,233,720,368,547,758.08": ErrRange} {
		_, err := DecodeMoney(790, codec.ColumnText, []byte(in))
		numWantErr(t, "DecodeMoney "+in, err, 790, sentinel)
	}
	_, err := AppendText(nil, 790, -1, []byte{1})
	numWantErr(t, "money 1 byte", err, 790, ErrMalformed)
}

func TestNumMoneyProperties(t *testing.T) {
	p := numProps(t)
	p.Property("money encode/decode", prop.ForAll(func(v int64) bool {
		m := Money(v)
		bin := AppendMoneyBinary(nil, m)
		text := AppendMoneyText(nil, m)
		rendered, err := AppendText(nil, 790, -1, bin)
		fb, err1 := DecodeMoney(790, codec.ColumnBinary, bin)
		ft, err2 := DecodeMoney(790, codec.ColumnText, text)
		return err == nil && err1 == nil && err2 == nil && string(rendered) == string(text) && fb == m && ft == m
	}, gen.OneGenOf(gen.Int64(), gen.Int64Range(-100000, 100000), gen.OneConstOf(int64(math.MinInt64), int64(math.MaxInt64)))))
	p.TestingRun(t)
}

func TestNumMoneyAllocs(t *testing.T) {
	bin := AppendMoneyBinary(nil, math.MinInt64)
	text := []byte("-$92,233,720,368,547,758.08")
	buf := make([]byte, 0, 64)
	numZeroAllocs(t, "AppendText money", func() { buf, _ = AppendText(buf[:0], 790, -1, bin) })
	numZeroAllocs(t, "DecodeMoney text", func() { _, _ = DecodeMoney(790, codec.ColumnText, text) })
}
