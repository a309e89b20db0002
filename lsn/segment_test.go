package lsn

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestValidSegmentSize(t *testing.T) {
	tests := []struct {
		n    uint64
		want bool
	}{
		{0, false}, {1, false}, {512 << 10, false}, {1<<20 - 1, false},
		{1 << 20, true}, {2 << 20, true}, {16 << 20, true}, {256 << 20, true}, {1 << 30, true},
		{3 << 20, false}, {1<<20 + 1, false}, {1<<30 + 1, false}, {2 << 30, false}, {math.MaxUint64, false},
	}
	for _, tt := range tests {
		if got := ValidSegmentSize(tt.n); got != tt.want {
			t.Errorf("ValidSegmentSize(%d) = %v; want %v", tt.n, got, tt.want)
		}
	}
	if !ValidSegmentSize(DefaultSegmentSize) || DefaultSegmentSize != 16*1024*1024 {
		t.Errorf("DefaultSegmentSize = %d; want valid 16 MiB", DefaultSegmentSize)
	}
}

func TestSegmentMath(t *testing.T) {
	const (
		mib = 1 << 20
		gib = 1 << 30
	)
	tests := []struct {
		l        LSN
		segSize  uint64
		tli      uint32
		seg, off uint64
		name     string
	}{
		{MustParse("0/16B3748"), 16 * mib, 1, 1, 0x6B3748, "000000010000000000000001"},
		{MustParse("0/0"), 16 * mib, 1, 0, 0, "000000010000000000000000"},
		{MustParse("16/B374D848"), 16 * mib, 1, 0x16B3, 0x74D848, "0000000100000016000000B3"},
		{MustParse("16/B374D848"), 16 * mib, 0xABCDEF12, 0x16B3, 0x74D848, "ABCDEF1200000016000000B3"},
		{MustParse("0/FFFFFFFF"), 16 * mib, 1, 0xFF, 0xFFFFFF, "0000000100000000000000FF"},
		{MustParse("1/0"), 16 * mib, 1, 0x100, 0, "000000010000000100000000"},
		{MustParse("16/B374D848"), 1 * mib, 2, 0x16B37, 0x4D848, "000000020000001600000B37"},
		{MustParse("0/FFFFFFFF"), 1 * mib, 1, 0xFFF, 0xFFFFF, "000000010000000000000FFF"},
		{MustParse("16/B374D848"), 1 * gib, 3, 0x5A, 0x3374D848, "000000030000001600000002"},
		{MustParse("0/C0000000"), 1 * gib, 1, 3, 0, "000000010000000000000003"},
		{MustParse("0/BFFFFFFF"), 1 * gib, 1, 2, gib - 1, "000000010000000000000002"},
		{MustParse("16/B374D848"), 64 * mib, 1, 0x5AC, 0x374D848, "00000001000000160000002C"},
		{math.MaxUint64, 16 * mib, 0xFFFFFFFF, math.MaxUint64 >> 24, 16*mib - 1, "FFFFFFFFFFFFFFFF000000FF"},
		{math.MaxUint64, 1 * gib, 1, math.MaxUint64 >> 30, gib - 1, "00000001FFFFFFFF00000003"},
		{math.MaxUint64, 1 * mib, 1, math.MaxUint64 >> 20, mib - 1, "00000001FFFFFFFF00000FFF"},
	}
	for _, tt := range tests {
		desc := fmt.Sprintf("LSN %v, segSize %d", tt.l, tt.segSize)
		seg, off := tt.l.Segment(tt.segSize), tt.l.SegmentOffset(tt.segSize)
		if seg != tt.seg || off != tt.off {
			t.Errorf("%s: Segment, SegmentOffset = %#x, %#x; want %#x, %#x", desc, seg, off, tt.seg, tt.off)
		}
		start := SegmentStart(seg, tt.segSize)
		if want := tt.l - LSN(tt.off); start != want {
			t.Errorf("%s: SegmentStart(%#x) = %v; want %v", desc, seg, start, want)
		}
		if got := FileName(tt.tli, seg, tt.segSize); got != tt.name {
			t.Errorf("%s: FileName(%d, %#x) = %q; want %q", desc, tt.tli, seg, got, tt.name)
		}
		if got := tt.l.FileName(tt.tli, tt.segSize); got != tt.name {
			t.Errorf("%s: LSN.FileName(%d) = %q; want %q", desc, tt.tli, got, tt.name)
		}
		tli, segno, err := ParseFileName(tt.name, tt.segSize)
		if err != nil || tli != tt.tli || segno != tt.seg {
			t.Errorf("%s: ParseFileName(%q) = %d, %#x, %v; want %d, %#x, nil", desc, tt.name, tli, segno, err, tt.tli, tt.seg)
		}
	}
}

func TestParseFileNameInvalid(t *testing.T) {
	tests := []struct {
		name    string
		segSize uint64
		offset  int
		reason  string
	}{
		{"", DefaultSegmentSize, 0, "length is 0"},
		{"00000001000000000000001", DefaultSegmentSize, 0, "length is 23"},
		{"0000000100000000000000010", DefaultSegmentSize, 0, "length is 25"},
		{"000000010000000000000001.partial", DefaultSegmentSize, 0, "length is 32"},
		{"0000000100000000000000ab", DefaultSegmentSize, 22, "upper-case"},
		{"00000001000000000000000G", DefaultSegmentSize, 23, "upper-case"},
		{" 00000010000000000000001", DefaultSegmentSize, 0, "upper-case"},
		{"0000000100000000000000-1", DefaultSegmentSize, 22, "upper-case"},
		{"000000010000000000000100", DefaultSegmentSize, 16, "not below 100"},
		{"0000000100000000FFFFFFFF", DefaultSegmentSize, 16, "not below"},
		{"000000010000000000001000", 1 << 20, 16, "not below 1000"},
		{"000000010000000000000004", 1 << 30, 16, "not below 4"},
	}
	for _, tt := range tests {
		tli, segno, err := ParseFileName(tt.name, tt.segSize)
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseFileName(%q, %d) = %d, %d, %v; want *SyntaxError matching ErrSyntax", tt.name, tt.segSize, tli, segno, err)
			continue
		}
		if se.Input != tt.name || se.Offset != tt.offset || !strings.Contains(se.Reason, tt.reason) ||
			!strings.Contains(err.Error(), "WAL file name") {
			t.Errorf("ParseFileName(%q, %d) error %q {Offset:%d Reason:%q}; want offset %d, reason containing %q, message naming a WAL file name",
				tt.name, tt.segSize, err, se.Offset, se.Reason, tt.offset, tt.reason)
		}
		if tli != 0 || segno != 0 {
			t.Errorf("ParseFileName(%q) returned %d, %d with error; want zeros", tt.name, tli, segno)
		}
	}
	for _, size := range []uint64{0, 3 << 20, 2 << 30} {
		_, _, err := ParseFileName("000000010000000000000001", size)
		if !errors.Is(err, ErrSegmentSize) || errors.Is(err, ErrSyntax) {
			t.Errorf("ParseFileName(valid, %d) error = %v; want ErrSegmentSize only", size, err)
		}
	}
}

func TestSegmentPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{"Segment(0)", func() { LSN(1).Segment(0) }, "invalid WAL segment size 0"},
		{"SegmentOffset(3MiB)", func() { LSN(1).SegmentOffset(3 << 20) }, "invalid WAL segment size"},
		{"SegmentStart(2GiB)", func() { SegmentStart(1, 2<<30) }, "invalid WAL segment size"},
		{"FileName(512KiB)", func() { FileName(1, 1, 512<<10) }, "invalid WAL segment size"},
		{"LSN.FileName(17MiB)", func() { LSN(1).FileName(1, 17<<20) }, "invalid WAL segment size"},
		{"SegmentStart overflow", func() { SegmentStart(1<<40, 16<<20) }, "out of range"},
		{"FileName overflow", func() { FileName(1, math.MaxUint64, 1<<30) }, "out of range"},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.Contains(s, tt.want) {
					t.Errorf("%s panicked with %#v; want a string containing %q", tt.name, r, tt.want)
				}
			}()
			tt.f()
		}()
	}
	// The last segment is still in range.
	if got, want := SegmentStart(math.MaxUint64>>30, 1<<30), LSN(math.MaxUint64-(1<<30-1)); got != want {
		t.Errorf("SegmentStart(last, 1GiB) = %v; want %v", got, want)
	}
}
