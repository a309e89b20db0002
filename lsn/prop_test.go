// Property tests using github.com/leanovate/gopter.

package lsn

import (
	"math"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
)

func TestProperties(t *testing.T) {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 2000
	properties := gopter.NewProperties(params)

	anyLSN := gen.UInt64().Map(func(v uint64) LSN { return LSN(v) })
	segSize := gen.IntRange(20, 30).Map(func(s int) uint64 { return 1 << uint(s) })

	properties.Property("Parse(String) and Parse(Padded) round-trip", prop.ForAll(
		func(l LSN) bool {
			a, errA := Parse(l.String())
			b, errB := Parse(l.Padded())
			return errA == nil && errB == nil && a == l && b == l
		}, anyLSN))

	properties.Property("JSON and text round-trip", prop.ForAll(
		func(l LSN) bool {
			js, err := l.MarshalJSON()
			if err != nil {
				return false
			}
			var back LSN
			return back.UnmarshalJSON(js) == nil && back == l
		}, anyLSN))

	// l and n both below 2^63, so l+n does not wrap.
	properties.Property("Add then Sub gives the distance back", prop.ForAll(
		func(l, n uint64) bool {
			a := LSN(l)
			return a.Add(n).Sub(a) == int64(n) && a.Sub(a.Add(n)) == -int64(n) && a.Add(n) >= a
		}, gen.UInt64Range(0, math.MaxInt64), gen.UInt64Range(0, math.MaxInt64)))

	properties.Property("Sub is antisymmetric and agrees with Compare", prop.ForAll(
		func(a, b LSN) bool {
			d := a.Sub(b)
			sign := 0
			if d > 0 {
				sign = 1
			} else if d < 0 {
				sign = -1
			}
			return sign == a.Compare(b) && a.Compare(b) == -b.Compare(a) &&
				Max(a, b) >= Min(a, b) && (Max(a, b) == a || Max(a, b) == b)
		}, anyLSN, anyLSN))

	properties.Property("segment decomposition", prop.ForAll(
		func(l LSN, size uint64) bool {
			seg, off := l.Segment(size), l.SegmentOffset(size)
			return off < size && SegmentStart(seg, size).Add(off) == l
		}, anyLSN, segSize))

	properties.Property("FileName and ParseFileName round-trip", prop.ForAll(
		func(l LSN, tli uint32, size uint64) bool {
			name := l.FileName(tli, size)
			gotTLI, gotSeg, err := ParseFileName(name, size)
			return err == nil && len(name) == 24 && gotTLI == tli && gotSeg == l.Segment(size)
		}, anyLSN, gen.UInt32(), segSize))

	properties.Property("TimestampOf(ts.Time()) == ts", prop.ForAll(
		func(v int64) bool {
			ts := Timestamp(v)
			return TimestampOf(ts.Time()) == ts
		}, gen.Int64()))

	properties.Property("Timestamp text round-trip", prop.ForAll(
		func(v int64) bool {
			ts := Timestamp(v)
			var back Timestamp
			return back.UnmarshalText([]byte(ts.String())) == nil && back == ts
		}, gen.Int64()))

	properties.Property("Timestamp order matches time order", prop.ForAll(
		func(a, b int64) bool {
			return (a < b) == Timestamp(a).Time().Before(Timestamp(b).Time())
		}, gen.Int64(), gen.Int64Range(-1<<62, 1<<62)))

	properties.TestingRun(t)
}
