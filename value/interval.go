package value

import (
	"encoding/binary"
	"math"

	"github.com/pgwal/pgwal/codec"
)

// interval: binary (interval_send) is int64 microseconds, int32 days,
// int32 months, kept apart because their lengths vary (a month is not a
// fixed number of days, nor a day of hours across a DST change). Text is
// IntervalStyle postgres: "1 year 2 mons 3 days 04:05:06.7",
// "-1 days +02:03:00", "00:00:00". Hours beyond math.MaxInt32 render as
// PostgreSQL 15 and later print them; PostgreSQL 14 cannot print such an
// interval at all (its output function fails with "interval out of range").

const dtOIDInterval = 1186

func init() {
	register(&Type{OID: dtOIDInterval, Name: "interval", Category: CategoryTimespan, Array: 1187, BinaryToText: dtIntervalToText, Decode: dtDecodeInterval})
}

// Interval is an interval value, field for field as PostgreSQL stores it.
type Interval struct {
	Months       int32
	Days         int32
	Microseconds int64
}

// The two infinite intervals of PostgreSQL 17 and later: every field at
// its maximum, or every field at its minimum. Older servers have no
// infinite interval and print these same bits as a (huge) finite one;
// AppendText always prints "infinity" and "-infinity", as 17+ do.
var (
	IntervalInfinity    = Interval{math.MaxInt32, math.MaxInt32, math.MaxInt64}
	IntervalNegInfinity = Interval{math.MinInt32, math.MinInt32, math.MinInt64}
)

// AppendText appends the interval as PostgreSQL prints it with
// IntervalStyle postgres. It never fails; the error is there to make it an
// encoding.TextAppender.
func (iv Interval) AppendText(b []byte) ([]byte, error) {
	return dtAppendInterval(b, iv), nil
}

// String returns the interval as PostgreSQL prints it.
func (iv Interval) String() string {
	return string(dtAppendInterval(make([]byte, 0, 32), iv))
}

// DecodeInterval returns an interval value, from either form.
func DecodeInterval(oid uint32, kind codec.ColumnKind, src []byte) (Interval, error) {
	const op = "decode interval"
	t, err := dtTypeOf(oid, op, dtOIDInterval)
	if err != nil {
		return Interval{}, err
	}
	return dtInterval(t, op, kind, src)
}

// AppendIntervalBinary appends the binary form of iv.
func AppendIntervalBinary(dst []byte, iv Interval) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(iv.Microseconds))
	dst = binary.BigEndian.AppendUint32(dst, uint32(iv.Days))
	return binary.BigEndian.AppendUint32(dst, uint32(iv.Months))
}

// AppendIntervalText appends the text form of iv (see Interval.AppendText).
func AppendIntervalText(dst []byte, iv Interval) []byte {
	return dtAppendInterval(dst, iv)
}

func dtDecodeInterval(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	return dtInterval(t, "decode interval", kind, src)
}

func dtIntervalToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	iv, err := dtInterval(t, "binary to text", codec.ColumnBinary, src)
	if err != nil {
		return dst, err
	}
	return dtAppendInterval(dst, iv), nil
}

func dtInterval(t *Type, op string, kind codec.ColumnKind, src []byte) (Interval, error) {
	switch kind {
	case codec.ColumnBinary:
		if len(src) != 16 {
			return Interval{}, malformed(t, op, "%d bytes, want 16", len(src))
		}
		return Interval{
			Microseconds: int64(binary.BigEndian.Uint64(src)),
			Days:         int32(binary.BigEndian.Uint32(src[8:])),
			Months:       int32(binary.BigEndian.Uint32(src[12:])),
		}, nil
	case codec.ColumnText:
		iv, ok := dtParseInterval(src)
		if !ok {
			return Interval{}, malformed(t, op, "text %.64q is not an interval as PostgreSQL prints it", src)
		}
		return iv, nil
	}
	return Interval{}, malformed(t, op, "column kind %q carries no value", byte(kind))
}

// dtAppendInterval renders as EncodeInterval does in the postgres style:
// the nonzero year, month and day fields, then the time unless it is zero
// and something came before. A field gets a '+' only after a negative one,
// and the time's fields share one sign.
func dtAppendInterval(dst []byte, iv Interval) []byte {
	switch iv {
	case IntervalInfinity:
		return append(dst, "infinity"...)
	case IntervalNegInfinity:
		return append(dst, "-infinity"...)
	}
	zero, before := true, false
	dst = dtAppendIntervalPart(dst, int64(iv.Months/12), "year", &zero, &before)
	dst = dtAppendIntervalPart(dst, int64(iv.Months%12), "mon", &zero, &before)
	dst = dtAppendIntervalPart(dst, int64(iv.Days), "day", &zero, &before)
	us := iv.Microseconds
	if !zero && us == 0 {
		return dst
	}
	if !zero {
		dst = append(dst, ' ')
	}
	if us < 0 {
		dst = append(dst, '-')
	} else if before {
		dst = append(dst, '+')
	}
	// Split before negating: -math.MinInt64 does not exist, its parts do.
	hour, rest := us/dtUsPerHour, us%dtUsPerHour
	dst = dtAppendPad(dst, dtAbs(hour), 2)
	dst = append(dst, ':')
	dst = dtAppendPad(dst, dtAbs(rest/dtUsPerMin), 2)
	dst = append(dst, ':')
	return dtAppendSeconds(dst, int64(dtAbs(rest/dtUsPerSec%60)), int64(dtAbs(rest%dtUsPerSec)))
}

func dtAppendIntervalPart(dst []byte, v int64, unit string, zero, before *bool) []byte {
	if v == 0 {
		return dst
	}
	if !*zero {
		dst = append(dst, ' ')
	}
	if *before && v > 0 {
		dst = append(dst, '+')
	}
	if v < 0 {
		dst = append(dst, '-')
	}
	dst = dtAppendPad(dst, dtAbs(v), 1)
	dst = append(dst, ' ')
	dst = append(dst, unit...)
	if v != 1 {
		dst = append(dst, 's')
	}
	*before, *zero = v < 0, false
	return dst
}

func dtAbs(v int64) uint64 {
	if v < 0 {
		return uint64(-v)
	}
	return uint64(v)
}

// dtParseInterval reads postgres-style interval text: optional year, month
// and day fields in that order, then an optional time, at least one of
// them; or an infinity.
func dtParseInterval(b []byte) (Interval, bool) {
	switch string(b) {
	case "infinity":
		return IntervalInfinity, true
	case "-infinity":
		return IntervalNegInfinity, true
	}
	s := dtScan{b: b}
	var months, days int64
	units := [...]string{"year", "mon", "day"}
	next := 0 // the first unit still allowed
	seen := false
	for s.i < len(b) && !s.bad {
		if seen {
			s.lit(' ')
		}
		neg := false
		if s.try('-') {
			neg = true
		} else {
			s.try('+')
		}
		start := s.i
		n := s.num(1, 20)
		if s.bad {
			return Interval{}, false
		}
		if s.i < len(b) && b[s.i] == ':' {
			// The time, which comes last.
			s.i = start
			us, ok := dtParseIntervalTime(&s, neg)
			if !ok || s.i != len(b) {
				return Interval{}, false
			}
			return dtIntervalOf(months, days, us)
		}
		if s.i-start > 10 {
			return Interval{}, false
		}
		if neg {
			n = -n
		}
		s.lit(' ')
		u := next
		for ; u < len(units); u++ {
			w := units[u]
			if s.i+len(w) <= len(b) && string(b[s.i:s.i+len(w)]) == w {
				s.i += len(w)
				s.try('s')
				break
			}
		}
		switch u {
		case 0:
			months += n * 12
		case 1:
			months += n
		case 2:
			days = n
		default:
			return Interval{}, false
		}
		next, seen = u+1, true
	}
	if !seen || s.bad {
		return Interval{}, false
	}
	return dtIntervalOf(months, days, 0)
}

func dtIntervalOf(months, days, us int64) (Interval, bool) {
	if months < math.MinInt32 || months > math.MaxInt32 || days < math.MinInt32 || days > math.MaxInt32 {
		return Interval{}, false
	}
	return Interval{Months: int32(months), Days: int32(days), Microseconds: us}, true
}

// dtParseIntervalTime reads h+:mm:ss[.f] as microseconds, negated if neg,
// checking that it fits an int64.
func dtParseIntervalTime(s *dtScan, neg bool) (int64, bool) {
	h := s.num(2, 10)
	s.lit(':')
	m := s.num(2, 2)
	s.lit(':')
	sec := s.num(2, 2)
	f := s.fraction()
	if s.bad || m > 59 || sec > 59 || h > math.MaxInt64/dtUsPerHour+1 {
		return 0, false
	}
	mag := uint64(h)*dtUsPerHour + uint64(m*dtUsPerMin+sec*dtUsPerSec+f)
	if neg {
		if mag > 1<<63 {
			return 0, false
		}
		return int64(-mag), true
	}
	if mag > math.MaxInt64 {
		return 0, false
	}
	return int64(mag), true
}
