package value

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// The date and time family: date, time, timetz, timestamp and timestamptz
// (interval is in interval.go).
//
// Binary forms, as date_send, time_send, timetz_send and timestamp_send
// write them: a date is an int32 count of days since 2000-01-01, with
// math.MinInt32 and math.MaxInt32 for -infinity and infinity; a time is
// int64 microseconds since midnight (0 to 24:00:00 inclusive); a timetz is
// that plus an int32 zone offset in seconds WEST of UTC (the opposite of
// the sign it is printed with); a timestamp or timestamptz is int64
// microseconds since 2000-01-01 00:00:00 (UTC for timestamptz), with
// math.MinInt64 and math.MaxInt64 for the infinities.
//
// Text is what the output functions print under DateStyle ISO and
// TimeZone UTC: "2024-02-29", "0044-03-15 BC", "12345-01-01 00:00:00",
// "2024-02-29 12:34:56.789+00", "24:00:00", "12:34:56+05:30:15". A type
// modifier (timestamp(3)) rounds on input only; output never depends on it.

// ErrInfinite: the date or timestamp is 'infinity' or '-infinity', which a
// time.Time cannot hold (see Timestamp and Date, which can).
var ErrInfinite = errors.New("infinite date or timestamp")

const (
	dtOIDDate        = 1082
	dtOIDTime        = 1083
	dtOIDTimeTZ      = 1266
	dtOIDTimestamp   = 1114
	dtOIDTimestampTZ = 1184

	dtUsPerSec  = 1_000_000
	dtUsPerMin  = 60 * dtUsPerSec
	dtUsPerHour = 60 * dtUsPerMin
	dtUsPerDay  = 24 * dtUsPerHour

	// The ranges date_recv and timestamp_recv accept: from Julian day 0,
	// 4714-11-24 BC, to 5874897-12-31 for dates and to the end of
	// 294276-12-31 for timestamps.
	dtDateMin      = -2451545
	dtDateMax      = 2145031948
	dtTimestampMin = dtDateMin * dtUsPerDay
	dtTimestampEnd = 9223371331200000000 // 294277-01-01 00:00:00, excluded

	// timetz_recv rejects zone offsets of 16 hours or more (TZDISP_LIMIT).
	dtZoneLimit = 16 * 3600
)

// The extreme time.Time values a timestamp can hold, for range checks.
var (
	dtMinTime = lsn.Timestamp(dtTimestampMin).Time()
	dtMaxTime = lsn.Timestamp(dtTimestampEnd - 1).Time()
)

func init() {
	register(
		&Type{OID: dtOIDDate, Name: "date", Category: CategoryDateTime, Array: 1182, BinaryToText: dtDateToText, Decode: dtDecode},
		&Type{OID: dtOIDTime, Name: "time", Category: CategoryDateTime, Array: 1183, BinaryToText: dtTimeToText, Decode: dtDecode},
		&Type{OID: dtOIDTimeTZ, Name: "timetz", Category: CategoryDateTime, Array: 1270, BinaryToText: dtTimeToText, Decode: dtDecode},
		&Type{OID: dtOIDTimestamp, Name: "timestamp", Category: CategoryDateTime, Array: 1115, BinaryToText: dtTimestampToText, Decode: dtDecode},
		&Type{OID: dtOIDTimestampTZ, Name: "timestamptz", Category: CategoryDateTime, Array: 1185, BinaryToText: dtTimestampToText, Decode: dtDecode},
	)
}

// Timestamp is a timestamp, timestamptz or date value including the two
// infinities, which time.Time has no room for.
type Timestamp struct {
	// Time is the instant (timestamptz), or the wall-clock time (timestamp)
	// or midnight (date) read as UTC. It is the zero Time when Infinite
	// is not 0.
	Time time.Time
	// Infinite is +1 for 'infinity', -1 for '-infinity', 0 for a finite
	// value.
	Infinite int8
}

// Date is a date: a day of the proleptic Gregorian calendar, or one of the
// two infinities.
type Date struct {
	// Year counts astronomically, as time.Time does: 0 is 1 BC, -43 is
	// 44 BC (printed "0044-03-15 BC"); see BC.
	Year  int
	Month time.Month
	Day   int
	// Infinite is +1 for 'infinity', -1 for '-infinity' (and the other
	// fields zero), 0 for a finite date.
	Infinite int8
}

// BC reports whether PostgreSQL prints the date with the BC suffix.
func (d Date) BC() bool { return d.Infinite == 0 && d.Year <= 0 }

// Time returns midnight UTC of the date; ErrInfinite for an infinity.
func (d Date) Time() (time.Time, error) {
	if d.Infinite != 0 {
		return time.Time{}, ErrInfinite
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC), nil
}

// AppendText appends the date as PostgreSQL prints it; a day that does not
// exist, or one outside the range of date, is an error.
func (d Date) AppendText(b []byte) ([]byte, error) {
	days, err := d.days()
	if err != nil {
		return b, err
	}
	return dtAppendDate(b, days), nil
}

// String returns the date as PostgreSQL prints it, or a note of what is
// wrong with it.
func (d Date) String() string {
	b, err := d.AppendText(nil)
	if err != nil {
		return "invalid date: " + err.Error()
	}
	return string(b)
}

var (
	errDtNoSuchDay = errors.New("no such day")
	errDtDateRange = errors.New("outside the range of date (4714-11-24 BC to 5874897-12-31)")
)

// days returns the date as the binary form counts it.
func (d Date) days() (int32, error) {
	switch {
	case d.Infinite > 0:
		return math.MaxInt32, nil
	case d.Infinite < 0:
		return math.MinInt32, nil
	}
	// Bound the year first so the day arithmetic cannot overflow.
	if d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > dtMonthDays(int64(d.Year), int(d.Month)) {
		return 0, errDtNoSuchDay
	}
	if d.Year < -4713 || d.Year > 5874897 {
		return 0, errDtDateRange
	}
	n := dtDaysFromCivil(int64(d.Year), int(d.Month), d.Day)
	if n < dtDateMin || n > dtDateMax {
		return 0, errDtDateRange
	}
	return int32(n), nil
}

// dtDateOf turns days (finite or not) into a Date.
func dtDateOf(days int32) Date {
	switch days {
	case math.MaxInt32:
		return Date{Infinite: 1}
	case math.MinInt32:
		return Date{Infinite: -1}
	}
	y, m, d := dtCivil(int64(days))
	return Date{Year: int(y), Month: time.Month(m), Day: d}
}

// TimeOfDay is a time or timetz value.
type TimeOfDay struct {
	// Microseconds since midnight, 0 to 86400000000 (24:00:00) inclusive.
	Microseconds int64
	// Offset is a timetz's zone in seconds EAST of UTC, as printed:
	// +05:30 is 19800. (The binary form carries the opposite sign.)
	Offset int32
	// Zoned is set for timetz values, whose text carries the offset.
	Zoned bool
}

// AppendText appends the value as PostgreSQL prints a time (or a timetz,
// if Zoned); a value out of the type's range is an error.
func (v TimeOfDay) AppendText(b []byte) ([]byte, error) {
	if err := v.check(); err != nil {
		return b, err
	}
	b = dtAppendClock(b, v.Microseconds)
	if v.Zoned {
		b = dtAppendZone(b, v.Offset)
	}
	return b, nil
}

// String returns the value as PostgreSQL prints it.
func (v TimeOfDay) String() string {
	b, err := v.AppendText(nil)
	if err != nil {
		return "invalid time: " + err.Error()
	}
	return string(b)
}

var (
	errDtTimeRange = errors.New("time of day outside 00:00:00 to 24:00:00")
	errDtZoneRange = errors.New("zone offset not within ±16 hours")
)

func (v TimeOfDay) check() error {
	if v.Microseconds < 0 || v.Microseconds > dtUsPerDay {
		return errDtTimeRange
	}
	if v.Zoned && (v.Offset <= -dtZoneLimit || v.Offset >= dtZoneLimit) {
		return errDtZoneRange
	}
	return nil
}

// dtTypeOf finds the type for an accessor or encoder and checks that it is
// one of the OIDs allowed (an *Error matching ErrWrongType if not).
func dtTypeOf(oid uint32, op string, allowed ...uint32) (*Type, error) {
	t, ok := Lookup(oid)
	if !ok {
		return nil, &Error{OID: oid, Op: op, Err: ErrWrongType}
	}
	for _, a := range allowed {
		if a == oid {
			return t, nil
		}
	}
	return nil, &Error{OID: oid, Type: t.Name, Op: op, Err: ErrWrongType}
}

func dtRangeErr(t *Type, op string, err error) error {
	return &Error{OID: t.OID, Type: t.Name, Op: op, Err: fmt.Errorf("%w: %w", ErrRange, err)}
}

// dtStamp reads a date, timestamp or timestamptz in either form: days for
// a date, microseconds otherwise, with the binary form's infinities.
func dtStamp(t *Type, op string, kind codec.ColumnKind, src []byte) (int64, error) {
	switch kind {
	case codec.ColumnBinary:
		if t.OID == dtOIDDate {
			if len(src) != 4 {
				return 0, malformed(t, op, "%d bytes, want 4", len(src))
			}
			d := int32(binary.BigEndian.Uint32(src))
			if d != math.MinInt32 && d != math.MaxInt32 && (d < dtDateMin || d > dtDateMax) {
				return 0, malformed(t, op, "day %d out of range", d)
			}
			return int64(d), nil
		}
		if len(src) != 8 {
			return 0, malformed(t, op, "%d bytes, want 8", len(src))
		}
		us := int64(binary.BigEndian.Uint64(src))
		if us != math.MinInt64 && us != math.MaxInt64 && (us < dtTimestampMin || us >= dtTimestampEnd) {
			return 0, malformed(t, op, "timestamp %d out of range", us)
		}
		return us, nil
	case codec.ColumnText:
		v, ok := dtParseStamp(t.OID, src)
		if !ok {
			return 0, malformed(t, op, "text %.64q is not a %s as PostgreSQL prints it", src, t.Name)
		}
		return v, nil
	}
	return 0, malformed(t, op, "column kind %q carries no value", byte(kind))
}

// dtClock reads a time or timetz in either form.
func dtClock(t *Type, op string, kind codec.ColumnKind, src []byte) (TimeOfDay, error) {
	var v TimeOfDay
	switch kind {
	case codec.ColumnBinary:
		want := 8
		if t.OID == dtOIDTimeTZ {
			want = 12
		}
		if len(src) != want {
			return v, malformed(t, op, "%d bytes, want %d", len(src), want)
		}
		v.Microseconds = int64(binary.BigEndian.Uint64(src))
		if want == 12 {
			west := int32(binary.BigEndian.Uint32(src[8:]))
			if west <= -dtZoneLimit || west >= dtZoneLimit {
				return v, malformed(t, op, "zone %d seconds out of range", west)
			}
			v.Offset, v.Zoned = -west, true
		}
		if v.Microseconds < 0 || v.Microseconds > dtUsPerDay {
			return v, malformed(t, op, "time %d µs out of range", v.Microseconds)
		}
		return v, nil
	case codec.ColumnText:
		var ok bool
		v, ok = dtParseClock(src, t.OID == dtOIDTimeTZ)
		if !ok {
			return v, malformed(t, op, "text %.64q is not a %s as PostgreSQL prints it", src, t.Name)
		}
		return v, nil
	}
	return v, malformed(t, op, "column kind %q carries no value", byte(kind))
}

// dtTimeOf is the time.Time of a finite days or microseconds value.
func dtTimeOf(oid uint32, v int64) time.Time {
	if oid == dtOIDDate {
		return time.Unix(v*86400+lsn.PostgresEpochUnix, 0).UTC()
	}
	return lsn.Timestamp(v).Time()
}

func dtInfinity(oid uint32, v int64) int8 {
	if oid == dtOIDDate {
		switch v {
		case math.MaxInt32:
			return 1
		case math.MinInt32:
			return -1
		}
		return 0
	}
	switch v {
	case math.MaxInt64:
		return 1
	case math.MinInt64:
		return -1
	}
	return 0
}

// Time returns a date, timestamp or timestamptz value, from either form,
// as a time.Time in UTC: the instant of a timestamptz, the wall-clock time
// of a timestamp read as UTC, midnight UTC of a date. The infinities are
// an *Error matching ErrInfinite; DecodeTimestamp returns them as values.
func Time(oid uint32, kind codec.ColumnKind, src []byte) (time.Time, error) {
	// The common binary case first, before any lookup.
	if (oid == dtOIDTimestampTZ || oid == dtOIDTimestamp) && kind == codec.ColumnBinary && len(src) == 8 {
		if us := int64(binary.BigEndian.Uint64(src)); us >= dtTimestampMin && us < dtTimestampEnd {
			return lsn.Timestamp(us).Time(), nil
		}
	}
	return timeOf(oid, kind, src)
}

func timeOf(oid uint32, kind codec.ColumnKind, src []byte) (time.Time, error) {
	const op = "decode time"
	t, err := dtTypeOf(oid, op, dtOIDDate, dtOIDTimestamp, dtOIDTimestampTZ)
	if err != nil {
		return time.Time{}, err
	}
	v, err := dtStamp(t, op, kind, src)
	if err != nil {
		return time.Time{}, err
	}
	if dtInfinity(oid, v) != 0 {
		return time.Time{}, &Error{OID: t.OID, Type: t.Name, Op: op, Err: ErrInfinite}
	}
	return dtTimeOf(oid, v), nil
}

// DecodeTimestamp returns a date, timestamp or timestamptz value, from
// either form, the infinities included. Time is as Time returns it.
func DecodeTimestamp(oid uint32, kind codec.ColumnKind, src []byte) (Timestamp, error) {
	const op = "decode timestamp"
	t, err := dtTypeOf(oid, op, dtOIDDate, dtOIDTimestamp, dtOIDTimestampTZ)
	if err != nil {
		return Timestamp{}, err
	}
	v, err := dtStamp(t, op, kind, src)
	if err != nil {
		return Timestamp{}, err
	}
	if inf := dtInfinity(oid, v); inf != 0 {
		return Timestamp{Infinite: inf}, nil
	}
	return Timestamp{Time: dtTimeOf(oid, v)}, nil
}

// DecodeDate returns a date value, from either form.
func DecodeDate(oid uint32, kind codec.ColumnKind, src []byte) (Date, error) {
	const op = "decode date"
	t, err := dtTypeOf(oid, op, dtOIDDate)
	if err != nil {
		return Date{}, err
	}
	v, err := dtStamp(t, op, kind, src)
	if err != nil {
		return Date{}, err
	}
	return dtDateOf(int32(v)), nil
}

// DecodeTimeOfDay returns a time or timetz value, from either form.
func DecodeTimeOfDay(oid uint32, kind codec.ColumnKind, src []byte) (TimeOfDay, error) {
	const op = "decode time of day"
	t, err := dtTypeOf(oid, op, dtOIDTime, dtOIDTimeTZ)
	if err != nil {
		return TimeOfDay{}, err
	}
	return dtClock(t, op, kind, src)
}

// dtDecode is Type.Decode for the family: a Date for date, a Timestamp for
// timestamp and timestamptz (so that the infinities are values, not
// errors), a TimeOfDay for time and timetz.
func dtDecode(t *Type, kind codec.ColumnKind, _ int32, src []byte) (any, error) {
	switch t.OID {
	case dtOIDDate:
		return DecodeDate(t.OID, kind, src)
	case dtOIDTime, dtOIDTimeTZ:
		return DecodeTimeOfDay(t.OID, kind, src)
	}
	return DecodeTimestamp(t.OID, kind, src)
}

func dtDateToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	v, err := dtStamp(t, "binary to text", codec.ColumnBinary, src)
	if err != nil {
		return dst, err
	}
	return dtAppendDate(dst, int32(v)), nil
}

func dtTimestampToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	v, err := dtStamp(t, "binary to text", codec.ColumnBinary, src)
	if err != nil {
		return dst, err
	}
	return dtAppendTimestamp(dst, v, t.OID == dtOIDTimestampTZ), nil
}

func dtTimeToText(dst []byte, t *Type, _ int32, src []byte) ([]byte, error) {
	v, err := dtClock(t, "binary to text", codec.ColumnBinary, src)
	if err != nil {
		return dst, err
	}
	dst = dtAppendClock(dst, v.Microseconds)
	if v.Zoned {
		dst = dtAppendZone(dst, v.Offset)
	}
	return dst, nil
}

// dtStampOf converts t for a column of type oid: days for a date (its
// calendar day where t is), microseconds for a timestamptz (its instant)
// or a timestamp (its wall clock where t is). Sub-microsecond precision
// is dropped (rounding toward the past). Outside the type's range it
// returns false.
func dtStampOf(oid uint32, t time.Time) (int64, bool) {
	if oid == dtOIDDate {
		y, m, d := t.Date()
		if y < -4713 || y > 5874897 {
			return 0, false
		}
		n := dtDaysFromCivil(int64(y), int(m), d)
		return n, n >= dtDateMin && n <= dtDateMax
	}
	t = t.Truncate(time.Microsecond) // so the last microsecond of the range is in it
	if oid == dtOIDTimestamp {
		_, off := t.Zone()
		if t.Before(dtMinTime.Add(-30*time.Hour)) || t.After(dtMaxTime.Add(30*time.Hour)) {
			return 0, false // far out: keep Add from wrapping
		}
		t = t.Add(time.Duration(off) * time.Second)
	}
	if t.Before(dtMinTime) || t.After(dtMaxTime) {
		return 0, false
	}
	return int64(lsn.TimestampOf(t)), true
}

func dtEncode(oid uint32, op string, t time.Time) (int64, *Type, error) {
	typ, err := dtTypeOf(oid, op, dtOIDDate, dtOIDTimestamp, dtOIDTimestampTZ)
	if err != nil {
		return 0, nil, err
	}
	v, ok := dtStampOf(oid, t)
	if !ok {
		return 0, nil, dtRangeErr(typ, op, errors.New("outside the range of the type"))
	}
	return v, typ, nil
}

// AppendTimeBinary appends the binary form, for a date, timestamp or
// timestamptz column (oid), of t: its instant for timestamptz; its wall
// clock in its own location for timestamp; its calendar day there for
// date. Sub-microsecond precision is dropped. A t outside the type's range
// is an *Error matching ErrRange.
func AppendTimeBinary(dst []byte, oid uint32, t time.Time) ([]byte, error) {
	v, _, err := dtEncode(oid, "encode time", t)
	if err != nil {
		return dst, err
	}
	return dtAppendStampBinary(dst, oid, v), nil
}

// AppendTimeText appends the text form of t for a date, timestamp or
// timestamptz column, converted as AppendTimeBinary does.
func AppendTimeText(dst []byte, oid uint32, t time.Time) ([]byte, error) {
	v, _, err := dtEncode(oid, "encode time", t)
	if err != nil {
		return dst, err
	}
	return dtAppendStampText(dst, oid, v), nil
}

func dtEncodeTimestamp(oid uint32, ts Timestamp) (int64, error) {
	const op = "encode timestamp"
	switch {
	case ts.Infinite > 0:
		if _, err := dtTypeOf(oid, op, dtOIDDate, dtOIDTimestamp, dtOIDTimestampTZ); err != nil {
			return 0, err
		}
		if oid == dtOIDDate {
			return math.MaxInt32, nil
		}
		return math.MaxInt64, nil
	case ts.Infinite < 0:
		if _, err := dtTypeOf(oid, op, dtOIDDate, dtOIDTimestamp, dtOIDTimestampTZ); err != nil {
			return 0, err
		}
		if oid == dtOIDDate {
			return math.MinInt32, nil
		}
		return math.MinInt64, nil
	}
	v, _, err := dtEncode(oid, op, ts.Time)
	return v, err
}

// AppendTimestampBinary is AppendTimeBinary for a Timestamp, which may
// also be infinite.
func AppendTimestampBinary(dst []byte, oid uint32, ts Timestamp) ([]byte, error) {
	v, err := dtEncodeTimestamp(oid, ts)
	if err != nil {
		return dst, err
	}
	return dtAppendStampBinary(dst, oid, v), nil
}

// AppendTimestampText is AppendTimeText for a Timestamp, which may also be
// infinite.
func AppendTimestampText(dst []byte, oid uint32, ts Timestamp) ([]byte, error) {
	v, err := dtEncodeTimestamp(oid, ts)
	if err != nil {
		return dst, err
	}
	return dtAppendStampText(dst, oid, v), nil
}

func dtAppendStampBinary(dst []byte, oid uint32, v int64) []byte {
	if oid == dtOIDDate {
		return binary.BigEndian.AppendUint32(dst, uint32(int32(v)))
	}
	return binary.BigEndian.AppendUint64(dst, uint64(v))
}

func dtAppendStampText(dst []byte, oid uint32, v int64) []byte {
	if oid == dtOIDDate {
		return dtAppendDate(dst, int32(v))
	}
	return dtAppendTimestamp(dst, v, oid == dtOIDTimestampTZ)
}

func dtDateErr(err error) error {
	return &Error{OID: dtOIDDate, Type: "date", Op: "encode date", Err: fmt.Errorf("%w: %w", ErrRange, err)}
}

// AppendDateBinary appends the binary form of d. A day that does not
// exist or lies outside the range of date is an *Error matching ErrRange.
func AppendDateBinary(dst []byte, d Date) ([]byte, error) {
	n, err := d.days()
	if err != nil {
		return dst, dtDateErr(err)
	}
	return binary.BigEndian.AppendUint32(dst, uint32(n)), nil
}

// AppendDateText appends the text form of d, as PostgreSQL prints it.
func AppendDateText(dst []byte, d Date) ([]byte, error) {
	n, err := d.days()
	if err != nil {
		return dst, dtDateErr(err)
	}
	return dtAppendDate(dst, n), nil
}

func dtEncodeClock(oid uint32, v TimeOfDay) error {
	const op = "encode time of day"
	t, err := dtTypeOf(oid, op, dtOIDTime, dtOIDTimeTZ)
	if err != nil {
		return err
	}
	v.Zoned = oid == dtOIDTimeTZ
	if err := v.check(); err != nil {
		return dtRangeErr(t, op, err)
	}
	return nil
}

// AppendTimeOfDayBinary appends the binary form of v for a time or timetz
// column (oid); the Zoned field is ignored, the OID decides (a time
// drops the offset).
func AppendTimeOfDayBinary(dst []byte, oid uint32, v TimeOfDay) ([]byte, error) {
	if err := dtEncodeClock(oid, v); err != nil {
		return dst, err
	}
	dst = binary.BigEndian.AppendUint64(dst, uint64(v.Microseconds))
	if oid == dtOIDTimeTZ {
		dst = binary.BigEndian.AppendUint32(dst, uint32(-v.Offset))
	}
	return dst, nil
}

// AppendTimeOfDayText appends the text form of v for a time or timetz
// column (oid), as AppendTimeOfDayBinary reads v.
func AppendTimeOfDayText(dst []byte, oid uint32, v TimeOfDay) ([]byte, error) {
	if err := dtEncodeClock(oid, v); err != nil {
		return dst, err
	}
	dst = dtAppendClock(dst, v.Microseconds)
	if oid == dtOIDTimeTZ {
		dst = dtAppendZone(dst, v.Offset)
	}
	return dst, nil
}

// Rendering, as EncodeDateOnly, EncodeDateTime and EncodeTimeOnly do it in
// ISO style.

func dtAppendDate(dst []byte, days int32) []byte {
	switch days {
	case math.MaxInt32:
		return append(dst, "infinity"...)
	case math.MinInt32:
		return append(dst, "-infinity"...)
	}
	y, m, d := dtCivil(int64(days))
	dst = dtAppendYMD(dst, y, m, d)
	if y <= 0 {
		dst = append(dst, " BC"...)
	}
	return dst
}

func dtAppendTimestamp(dst []byte, us int64, tz bool) []byte {
	switch us {
	case math.MaxInt64:
		return append(dst, "infinity"...)
	case math.MinInt64:
		return append(dst, "-infinity"...)
	}
	days := dtFloorDiv(us, dtUsPerDay)
	y, m, d := dtCivil(days)
	dst = dtAppendYMD(dst, y, m, d)
	dst = append(dst, ' ')
	dst = dtAppendClock(dst, us-days*dtUsPerDay)
	if tz {
		dst = append(dst, "+00"...) // TimeZone UTC
	}
	if y <= 0 {
		dst = append(dst, " BC"...)
	}
	return dst
}

// dtAppendYMD writes the year as its BC or AD number, at least 4 digits.
func dtAppendYMD(dst []byte, y int64, m, d int) []byte {
	if y <= 0 {
		y = 1 - y
	}
	dst = dtAppendPad(dst, uint64(y), 4)
	dst = append(dst, '-')
	dst = dtAppendPad(dst, uint64(m), 2)
	dst = append(dst, '-')
	return dtAppendPad(dst, uint64(d), 2)
}

// dtAppendClock writes hh:mm:ss[.ffffff] of 0 <= us <= 24h.
func dtAppendClock(dst []byte, us int64) []byte {
	dst = dtAppendPad(dst, uint64(us/dtUsPerHour), 2)
	dst = append(dst, ':')
	dst = dtAppendPad(dst, uint64(us/dtUsPerMin%60), 2)
	dst = append(dst, ':')
	return dtAppendSeconds(dst, us/dtUsPerSec%60, us%dtUsPerSec)
}

// dtAppendSeconds writes ss and, unless usec is 0, the fraction with its
// trailing zeros trimmed, as AppendSeconds does. Both are non-negative.
func dtAppendSeconds(dst []byte, sec, usec int64) []byte {
	dst = dtAppendPad(dst, uint64(sec), 2)
	if usec == 0 {
		return dst
	}
	var f [7]byte
	f[0] = '.'
	for i := 6; i > 0; i-- {
		f[i] = byte('0' + usec%10)
		usec /= 10
	}
	n := 7
	for f[n-1] == '0' {
		n--
	}
	return append(dst, f[:n]...)
}

// dtAppendZone writes an offset east of UTC as EncodeTimezone does: +hh,
// +hh:mm or +hh:mm:ss, as short as is exact.
func dtAppendZone(dst []byte, east int32) []byte {
	sign := byte('+')
	if east < 0 {
		sign, east = '-', -east
	}
	dst = append(dst, sign)
	h, m, s := east/3600, east/60%60, east%60
	dst = dtAppendPad(dst, uint64(h), 2)
	if m != 0 || s != 0 {
		dst = append(dst, ':')
		dst = dtAppendPad(dst, uint64(m), 2)
	}
	if s != 0 {
		dst = append(dst, ':')
		dst = dtAppendPad(dst, uint64(s), 2)
	}
	return dst
}

// dtAppendPad writes n in decimal, zero-padded to at least width digits.
func dtAppendPad(dst []byte, n uint64, width int) []byte {
	if width == 2 && n < 100 { // the common case: months, days, clock fields
		return append(dst, byte('0'+n/10), byte('0'+n%10))
	}
	var buf [20]byte
	i := len(buf)
	for n != 0 || len(buf)-i < width {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, buf[i:]...)
}

// Calendar arithmetic on the proleptic Gregorian calendar with
// astronomical years, counting days from 2000-01-01 (after H. Hinnant's
// civil_from_days, shifted to the PostgreSQL epoch). int64 throughout, so
// every date and timestamp PostgreSQL has is well inside its range.

// dtEpochShift is the number of days from 0000-03-01 to 2000-01-01.
const dtEpochShift = 730425

func dtFloorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

func dtCivil(days int64) (year int64, month, day int) {
	z := days + dtEpochShift
	era := dtFloorDiv(z, 146097)
	doe := z - era*146097                                  // day of the 400-year era
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // year of the era
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // day of the March-based year
	mp := (5*doy + 2) / 153
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp) + 3
	year = yoe + era*400
	if month > 12 {
		month -= 12
		year++
	}
	return year, month, day
}

func dtDaysFromCivil(year int64, month, day int) int64 {
	if month <= 2 {
		year--
	}
	era := dtFloorDiv(year, 400)
	yoe := year - era*400
	mp := int64((month + 9) % 12)
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - dtEpochShift
}

func dtMonthDays(year int64, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// Parsing the text the output functions print, strictly: this reads a
// column sent in text form, not user input.

type dtScan struct {
	b   []byte
	i   int
	bad bool
}

// num reads min to max decimal digits.
func (s *dtScan) num(min, max int) int64 {
	var n int64
	start := s.i
	for s.i < len(s.b) && s.i-start < max && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		n = n*10 + int64(s.b[s.i]-'0')
		s.i++
	}
	if s.i-start < min {
		s.bad = true
	}
	return n
}

func (s *dtScan) lit(c byte) {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return
	}
	s.bad = true
}

// try consumes c if it is next.
// fraction reads an optional ".f" of 1 to 6 digits as microseconds.
func (s *dtScan) fraction() int64 {
	if !s.try('.') {
		return 0
	}
	start := s.i
	f := s.num(1, 6)
	for n := s.i - start; n < 6; n++ {
		f *= 10
	}
	return f
}

func (s *dtScan) try(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *dtScan) rest(lit string) bool {
	return string(s.b[s.i:]) == lit
}

// date reads yyyy-mm-dd (the year 4 to 7 digits) as a year, month, day
// still without its BC suffix.
func (s *dtScan) date() (int64, int, int) {
	y := s.num(4, 7)
	s.lit('-')
	m := int(s.num(2, 2))
	s.lit('-')
	d := int(s.num(2, 2))
	return y, m, d
}

// clock reads hh:mm:ss[.f], allowing hour 24 only when allow24 and only
// as 24:00:00.
func (s *dtScan) clock(allow24 bool) int64 {
	h := s.num(2, 2)
	s.lit(':')
	m := s.num(2, 2)
	s.lit(':')
	sec := s.num(2, 2)
	f := s.fraction()
	us := h*dtUsPerHour + m*dtUsPerMin + sec*dtUsPerSec + f
	if m > 59 || sec > 59 || h > 24 || (h == 24 && (!allow24 || us != dtUsPerDay)) {
		s.bad = true
	}
	return us
}

// zone reads ±hh[:mm[:ss]] as seconds east of UTC.
func (s *dtScan) zone() int32 {
	neg := false
	switch {
	case s.try('-'):
		neg = true
	case s.try('+'):
	default:
		s.bad = true
		return 0
	}
	v := s.num(2, 2) * 3600
	if s.try(':') {
		m := s.num(2, 2)
		v += m * 60
		if s.try(':') {
			sec := s.num(2, 2)
			v += sec
			if sec > 59 {
				s.bad = true
			}
		}
		if m > 59 {
			s.bad = true
		}
	}
	if v >= dtZoneLimit {
		s.bad = true
	}
	if neg {
		v = -v
	}
	return int32(v)
}

// dayNumber checks a parsed date (with its BC suffix read) and counts its
// days from 2000-01-01.
func (s *dtScan) dayNumber(y int64, m, d int, bc bool) int64 {
	if bc {
		if y == 0 {
			s.bad = true
		}
		y = 1 - y
	}
	if m < 1 || m > 12 || d < 1 || d > dtMonthDays(y, m) {
		s.bad = true
		return 0
	}
	return dtDaysFromCivil(y, m, d)
}

// dtParseStamp reads date, timestamp or timestamptz text into the binary
// form's days or microseconds.
func dtParseStamp(oid uint32, b []byte) (int64, bool) {
	switch string(b) {
	case "infinity":
		if oid == dtOIDDate {
			return math.MaxInt32, true
		}
		return math.MaxInt64, true
	case "-infinity":
		if oid == dtOIDDate {
			return math.MinInt32, true
		}
		return math.MinInt64, true
	}
	s := dtScan{b: b}
	y, m, d := s.date()
	if oid == dtOIDDate {
		bc := s.rest(" BC")
		if !bc && s.i != len(b) {
			return 0, false
		}
		days := s.dayNumber(y, m, d, bc)
		return days, !s.bad && days >= dtDateMin && days <= dtDateMax
	}
	s.lit(' ')
	us := s.clock(false)
	var east int32
	if oid == dtOIDTimestampTZ {
		east = s.zone()
	}
	bc := s.rest(" BC")
	if !bc && s.i != len(b) {
		return 0, false
	}
	days := s.dayNumber(y, m, d, bc)
	if s.bad || days < dtDateMin-1 || days > dtTimestampEnd/dtUsPerDay {
		return 0, false
	}
	v := days*dtUsPerDay + us - int64(east)*dtUsPerSec
	return v, v >= dtTimestampMin && v < dtTimestampEnd
}

// dtParseClock reads time or timetz text.
func dtParseClock(b []byte, zoned bool) (TimeOfDay, bool) {
	s := dtScan{b: b}
	v := TimeOfDay{Microseconds: s.clock(true), Zoned: zoned}
	if zoned {
		v.Offset = s.zone()
	}
	return v, !s.bad && s.i == len(b)
}
