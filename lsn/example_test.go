package lsn_test

import (
	"fmt"
	"time"

	"github.com/pgwal/pgwal/lsn"
)

func Example() {
	l, err := lsn.Parse("16/B374D848")
	if err != nil {
		panic(err)
	}
	next := l.Add(8192)
	fmt.Println(next, next.Sub(l))
	fmt.Println(l.FileName(1, lsn.DefaultSegmentSize))
	fmt.Println(lsn.Timestamp(0))
	// Output:
	// 16/B374F848 8192
	// 0000000100000016000000B3
	// 2000-01-01T00:00:00.000000Z
}

func ExampleParse() {
	for _, s := range []string{"16/B374D848", "0/0000ABCD", "16/b374d848", "0x16/B374D848"} {
		l, err := lsn.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(l, l.Padded(), uint64(l))
	}
	// Output:
	// 16/B374D848 16/B374D848 97500059720
	// 0/ABCD 0/0000ABCD 43981
	// 16/B374D848 16/B374D848 97500059720
	// lsn: invalid LSN "0x16/B374D848": 'x' is not a hex digit (at byte 1)
}

func ExampleLSN_Sub() {
	a := lsn.MustParse("1/0")
	b := lsn.MustParse("0/FFFFF000")
	fmt.Println(a.Sub(b), b.Sub(a), a.Compare(b), lsn.Max(a, b), lsn.Min(a, b))
	fmt.Println(b.Add(0x1000) == a)
	// Output:
	// 4096 -4096 1 1/0 0/FFFFF000
	// true
}

func ExampleFileName() {
	l := lsn.MustParse("0/16B3748")
	seg := l.Segment(lsn.DefaultSegmentSize)
	fmt.Println(seg, l.SegmentOffset(lsn.DefaultSegmentSize))
	name := lsn.FileName(1, seg, lsn.DefaultSegmentSize)
	fmt.Println(name)
	tli, segno, err := lsn.ParseFileName(name, lsn.DefaultSegmentSize)
	fmt.Println(tli, segno, err, lsn.SegmentStart(segno, lsn.DefaultSegmentSize))
	// Output:
	// 1 7026504
	// 000000010000000000000001
	// 1 1 <nil> 0/1000000
}

func ExampleTimestamp() {
	ts := lsn.TimestampOf(time.Date(2024, 2, 29, 12, 30, 0, 123456789, time.UTC))
	fmt.Println(int64(ts), ts)
	fmt.Println(ts.Time().Format(time.RFC3339Nano))
	fmt.Println(lsn.Timestamp(-1), lsn.TimestampInfinity, lsn.TimestampNegInfinity)
	// Output:
	// 762525000123456 2024-02-29T12:30:00.123456Z
	// 2024-02-29T12:30:00.123456Z
	// 1999-12-31T23:59:59.999999Z infinity -infinity
}
