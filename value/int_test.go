package value

import (
	"math"
	"testing"

	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/pgwal/pgwal/codec"
)

func TestNumIntText(t *testing.T) {
	for _, c := range []struct {
		oid  uint32
		bin  string
		want string
	}{
		{21, "8000", "-32768"},
		{21, "7fff", "32767"},
		{23, "ffffffff", "-1"},
		{23, "80000000", "-2147483648"},
		{20, "8000000000000000", "-9223372036854775808"},
		{20, "7fffffffffffffff", "9223372036854775807"},
		{26, "ffffffff", "4294967295"},
		{28, "00000000", "0"},
		{29, "80000000", "2147483648"},
		{5069, "ffffffffffffffff", "18446744073709551615"},
		{2205, "00000000", "-"},
		{2203, "00000000", "0"},
		{2204, "00000000", "0"},
		{2206, "00000017", "23"},
		{4096, "ffffffff", "4294967295"},
	} {
		got, err := AppendText(nil, c.oid, -1, numHex(t, c.bin))
		if err != nil || string(got) != c.want {
			t.Errorf("OID %d %s: %q, %v; want %q", c.oid, c.bin, got, err, c.want)
		}
	}
}

func TestNumIntAccessors(t *testing.T) {
	for _, c := range []struct {
		oid  uint32
		text string
		want int64
	}{
		{21, " -32768 ", -32768}, {23, "+7", 7}, {20, "-9223372036854775808", math.MinInt64},
		{26, "-1", 4294967295}, {28, "4294967295", 4294967295}, {2205, "-", 0}, {2205, "1259", 1259},
		{5069, "9223372036854775807", math.MaxInt64},
	} {
		got, err := Int64(c.oid, codec.ColumnText, []byte(c.text))
		if err != nil || got != c.want {
			t.Errorf("Int64(%d, %q) = %d, %v; want %d", c.oid, c.text, got, err, c.want)
		}
	}
	errs := []struct {
		oid      uint32
		kind     codec.ColumnKind
		src      string
		sentinel error
	}{
		{21, codec.ColumnText, "32768", ErrRange},
		{21, codec.ColumnText, "-32769", ErrRange},
		{23, codec.ColumnText, "1.5", ErrMalformed},
		{23, codec.ColumnText, "", ErrMalformed},
		{20, codec.ColumnText, "99999999999999999999", ErrMalformed},
		{26, codec.ColumnText, "4294967296", ErrRange},
		{5069, codec.ColumnText, "18446744073709551615", ErrRange}, // beyond int64
		{2205, codec.ColumnText, "pg_class", ErrMalformed},         // a name needs the catalog
		{23, codec.ColumnBinary, "\x00\x00\x01", ErrMalformed},
		{20, codec.ColumnBinary, "\x00\x00\x00\x01", ErrMalformed},
		{701, codec.ColumnBinary, "\x00\x00\x00\x00\x00\x00\x00\x00", ErrWrongType},
		{23, codec.ColumnNull, "", ErrMalformed},
		{23, codec.ColumnUnchanged, "", ErrUnchanged},
		{999999, codec.ColumnText, "1", ErrUnknownType},
	}
	for _, c := range errs {
		_, err := Int64(c.oid, c.kind, []byte(c.src))
		numWantErr(t, "Int64 "+c.src, err, c.oid, c.sentinel)
	}
	if v, err := Uint64(5069, codec.ColumnText, []byte("18446744073709551615")); err != nil || v != math.MaxUint64 {
		t.Errorf("Uint64 xid8 max: %d, %v", v, err)
	}
	_, err := Uint64(23, codec.ColumnText, []byte("-1"))
	numWantErr(t, "Uint64 of -1", err, 23, ErrRange)
	_, err = AppendInt64Binary(nil, 21, 40000)
	numWantErr(t, "int2 40000", err, 21, ErrRange)
	_, err = AppendInt64Text(nil, 26, -1)
	numWantErr(t, "oid -1", err, 26, ErrRange)
	_, err = AppendUint64Binary(nil, 23, 1<<31)
	numWantErr(t, "int4 2^31", err, 23, ErrRange)
}

// Every integer type: a value in its range encodes to both forms, the
// binary form renders to the text form, and both decode to the value.
func TestNumIntProperties(t *testing.T) {
	p := numProps(t)
	oids := []uint32{21, 23, 20, 26, 28, 29, 5069, 24, 2202, 2203, 2204, 2205, 2206, 3734, 3769, 4089, 4096, 4191}
	edges := gen.OneConstOf(uint64(0), uint64(1), uint64(math.MaxUint64), uint64(1<<63), uint64(1<<63-1),
		uint64(1<<31), uint64(1<<31-1), uint64(1<<32-1), uint64(1<<15), uint64(1<<15-1), uint64(math.MaxUint64-1<<15+1))
	p.Property("int encode/decode", prop.ForAll(func(i int, u uint64) bool {
		oid := oids[i]
		n, _ := numIntOf(oid)
		lo, hi := n.bounds()
		fits := n.unsigned && u <= hi || !n.unsigned && int64(u) >= lo && int64(u) <= int64(hi)
		var bin, text []byte
		var err error
		if n.unsigned {
			bin, err = AppendUint64Binary(nil, oid, u)
			if err == nil {
				text, err = AppendUint64Text(nil, oid, u)
			}
		} else {
			bin, err = AppendInt64Binary(nil, oid, int64(u))
			if err == nil {
				text, err = AppendInt64Text(nil, oid, int64(u))
			}
		}
		if !fits {
			return err != nil
		}
		rendered, err2 := AppendText(nil, oid, -1, bin)
		if err != nil || err2 != nil || string(rendered) != string(text) {
			return false
		}
		for _, f := range []struct {
			kind codec.ColumnKind
			src  []byte
		}{{codec.ColumnBinary, bin}, {codec.ColumnText, text}} {
			if n.unsigned {
				if got, err := Uint64(oid, f.kind, f.src); err != nil || got != u {
					return false
				}
			} else if got, err := Int64(oid, f.kind, f.src); err != nil || got != int64(u) {
				return false
			}
		}
		return true
	}, gen.IntRange(0, len(oids)-1), gen.OneGenOf(gen.UInt64(), edges, gen.Int64Range(-70000, 70000).Map(func(v int64) uint64 { return uint64(v) }))))
	p.TestingRun(t)
}

func TestNumIntAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	bin := numHex(t, "8000000000000000")
	text := []byte("-9223372036854775808")
	numZeroAllocs(t, "AppendText int8", func() { buf, _ = AppendText(buf[:0], 20, -1, bin) })
	numZeroAllocs(t, "AppendText regclass", func() { buf, _ = AppendText(buf[:0], 2205, -1, bin[:4]) })
	numZeroAllocs(t, "Int64 binary", func() { _, _ = Int64(20, codec.ColumnBinary, bin) })
	numZeroAllocs(t, "Int64 text", func() { _, _ = Int64(20, codec.ColumnText, text) })
	numZeroAllocs(t, "AppendInt64Binary", func() { buf, _ = AppendInt64Binary(buf[:0], 20, -5) })
	numZeroAllocs(t, "AppendInt64Text", func() { buf, _ = AppendInt64Text(buf[:0], 20, -5) })
}
