package value

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

func genStrBits() gopter.Gen {
	return genStrBytes().FlatMap(func(v any) gopter.Gen {
		b := v.([]byte)
		lo := len(b)*8 - 7
		if lo < 0 {
			lo = 0
		}
		return gen.IntRange(lo, len(b)*8).Map(func(n int) Bits {
			if n == 0 {
				return Bits{Len: 0, Bytes: []byte{}}
			}
			out := append([]byte(nil), b...)
			if r := n % 8; r != 0 {
				out[len(out)-1] &= 0xff << (8 - r)
			}
			return Bits{Len: n, Bytes: out}
		})
	}, reflect.TypeOf(Bits{}))
}

func TestStrMiscProperties(t *testing.T) {
	p := gopter.NewProperties(nil)
	p.Property("uuid: binary and text decode to the bytes", prop.ForAll(func(b []byte) bool {
		u := [16]byte(b)
		txt := AppendUUIDText(nil, u)
		r, err := AppendText(nil, oidUUID, -1, AppendUUIDBinary(nil, u))
		u1, err1 := UUID(oidUUID, codec.ColumnText, txt)
		u2, err2 := UUID(oidUUID, codec.ColumnBinary, b)
		return err == nil && err1 == nil && err2 == nil && bytes.Equal(r, txt) && u1 == u && u2 == u
	}, gen.SliceOfN(16, gen.UInt8())))
	p.Property("bit strings: binary and text decode to the bits", prop.ForAll(func(b Bits) bool {
		bin := AppendBitsBinary(nil, b)
		txt := AppendBitsText(nil, b)
		r, err := AppendText(nil, strOIDVarbit, -1, bin)
		b1, err1 := AppendBits(nil, strOIDVarbit, codec.ColumnText, txt)
		b2, err2 := AppendBits(nil, strOIDBit, codec.ColumnBinary, bin)
		same := func(x Bits) bool { return x.Len == b.Len && bytes.Equal(x.Bytes, b.Bytes) }
		return err == nil && err1 == nil && err2 == nil && bytes.Equal(r, txt) && same(b1) && same(b2)
	}, genStrBits()))
	p.Property("pg_lsn: binary and text decode to the LSN", prop.ForAll(func(v uint64) bool {
		l := lsn.LSN(v)
		txt := AppendLSNText(nil, l)
		r, err := AppendText(nil, strOIDPgLSN, -1, AppendLSNBinary(nil, l))
		l1, err1 := LSN(strOIDPgLSN, codec.ColumnText, txt)
		l2, err2 := LSN(strOIDPgLSN, codec.ColumnText, []byte(l.Padded()))
		return err == nil && err1 == nil && err2 == nil && bytes.Equal(r, txt) && l1 == l && l2 == l
	}, gen.OneGenOf(gen.Const(uint64(0)), gen.Const(^uint64(0)), gen.UInt64())))
	p.Property("tid: binary and text decode to the TID", prop.ForAll(func(b uint32, o uint16) bool {
		v := TID{b, o}
		txt := AppendTIDText(nil, v)
		r, err := AppendText(nil, strOIDTID, -1, AppendTIDBinary(nil, v))
		v1, err1 := DecodeTID(strOIDTID, codec.ColumnText, txt)
		return err == nil && err1 == nil && bytes.Equal(r, txt) && v1 == v
	}, gen.UInt32(), gen.UInt16()))
	p.Property("int2vector: binary and text decode to the numbers", prop.ForAll(func(v []int16) bool {
		txt := AppendInt2VectorText(nil, v)
		r, err := AppendText(nil, strOIDInt2Vector, -1, AppendInt2VectorBinary(nil, v))
		d1, err1 := Decode(strOIDInt2Vector, codec.ColumnText, -1, txt)
		d2, err2 := Decode(strOIDInt2Vector, codec.ColumnBinary, -1, AppendInt2VectorBinary(nil, v))
		want := append([]int16{}, v...)
		return err == nil && err1 == nil && err2 == nil && bytes.Equal(r, txt) && reflect.DeepEqual(d1, want) && reflect.DeepEqual(d2, want)
	}, gen.SliceOf(gen.Int16())))
	p.Property("oidvector: binary and text decode to the OIDs", prop.ForAll(func(v []uint32) bool {
		txt := AppendOIDVectorText(nil, v)
		r, err := AppendText(nil, strOIDOIDVector, -1, AppendOIDVectorBinary(nil, v))
		d1, err1 := Decode(strOIDOIDVector, codec.ColumnText, -1, txt)
		want := append([]uint32{}, v...)
		return err == nil && err1 == nil && bytes.Equal(r, txt) && reflect.DeepEqual(d1, want)
	}, gen.SliceOf(gen.UInt32())))
	p.TestingRun(t)
}

func TestStrMiscText(t *testing.T) {
	u := [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}
	// uuid.sql's accepted spellings.
	for _, s := range []string{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
		"a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}"} {
		if got, err := UUID(oidUUID, codec.ColumnText, []byte(s)); err != nil || got != u {
			t.Errorf("%q: %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111", "-a0eebc999c0b4ef8bb6d6bb9bd380a11",
		"a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc999c0b4ef8bb6d6bb9bd380a11-", "{a0eebc999c0b4ef8bb6d6bb9bd380a11", "g0eebc999c0b4ef8bb6d6bb9bd380a11"} {
		if _, err := UUID(oidUUID, codec.ColumnText, []byte(s)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"", "/", "0/", "/0", "123456789/0", "0/123456789", "0/0/0", "g/0", " 0/0"} {
		if _, err := LSN(strOIDPgLSN, codec.ColumnText, []byte(s)); !errors.Is(err, ErrMalformed) {
			t.Errorf("lsn %q: %v", s, err)
		}
	}
	for _, s := range []string{"", "()", "(1)", "(1,)", "(,1)", "(4294967296,1)", "(1,65536)", "(1,2", "1,2)", "(-1,2)"} {
		if _, err := DecodeTID(strOIDTID, codec.ColumnText, []byte(s)); !errors.Is(err, ErrMalformed) {
			t.Errorf("tid %q: %v", s, err)
		}
	}
	bits := []struct{ text, want string }{{"", ""}, {"B101", "101"}, {"XF0F", "111100001111"}, {"x0", "0000"}}
	for _, c := range bits {
		b, err := AppendBits(nil, strOIDBit, codec.ColumnText, []byte(c.text))
		if got := AppendBitsText(nil, b); err != nil || string(got) != c.want {
			t.Errorf("bits %q: %q, %v", c.text, got, err)
		}
	}
	for _, s := range []string{"012", "Xg", "b2"} {
		if _, err := AppendBits(nil, strOIDBit, codec.ColumnText, []byte(s)); !errors.Is(err, ErrMalformed) {
			t.Errorf("bits %q: %v", s, err)
		}
	}
	for _, s := range []string{"1 x", "32768", "1 -32769"} {
		if _, err := Decode(strOIDInt2Vector, codec.ColumnText, -1, []byte(s)); !errors.Is(err, ErrMalformed) {
			t.Errorf("int2vector %q: %v", s, err)
		}
	}
	if _, err := Decode(strOIDOIDVector, codec.ColumnText, -1, []byte("-1")); !errors.Is(err, ErrMalformed) {
		t.Errorf("oidvector -1: %v", err)
	}
}
