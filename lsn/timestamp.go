package lsn

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Timestamp is a PostgreSQL timestamp with time zone as sent in the
// replication protocol: microseconds since 2000-01-01 00:00:00 UTC.
type Timestamp int64

const (
	// PostgresEpochUnix is the Unix time, in seconds, of the PostgreSQL
	// epoch 2000-01-01 00:00:00 UTC.
	PostgresEpochUnix = 946684800

	// TimestampInfinity is PostgreSQL's 'infinity' timestamp.
	TimestampInfinity Timestamp = math.MaxInt64
	// TimestampNegInfinity is PostgreSQL's '-infinity' timestamp.
	TimestampNegInfinity Timestamp = math.MinInt64
)

// The instants of the two extreme values, computed once.
var (
	maxTime = TimestampInfinity.Time()
	minTime = TimestampNegInfinity.Time()
)

// TimestampOf converts t to a Timestamp. Sub-microsecond precision is
// rounded down, toward the past, also for instants before 2000 or 1970
// (like time.Time.UnixMicro, and unlike truncating toward zero). Instants too
// far in the future or past to be represented become [TimestampInfinity]
// or [TimestampNegInfinity].
func TimestampOf(t time.Time) Timestamp {
	if t.After(maxTime) {
		return TimestampInfinity
	}
	if t.Before(minTime) {
		return TimestampNegInfinity
	}
	// Within range, so neither the Unix seconds nor the result overflow.
	sec := t.Unix() - PostgresEpochUnix
	us := int64(t.Nanosecond() / 1000) // 0 <= us < 1e6
	if sec < 0 {
		// Avoid overflowing sec*1e6 near math.MinInt64.
		return Timestamp((sec+1)*1e6 + us - 1e6)
	}
	return Timestamp(sec*1e6 + us)
}

// Time returns ts as a time.Time in UTC. Every Timestamp value, including
// the two infinities, maps exactly to an instant (about 292,000 years
// around 2000); for the infinities that instant is merely the extreme
// representable one, so check for them first if that matters.
func (ts Timestamp) Time() time.Time {
	sec, us := int64(ts)/1e6, int64(ts)%1e6
	if us < 0 {
		sec--
		us += 1e6
	}
	return time.Unix(sec+PostgresEpochUnix, us*1000).UTC()
}

// String returns ts in RFC 3339 form in UTC with exactly six fractional
// digits, such as "2000-01-01T00:00:00.000000Z", or "infinity" and
// "-infinity" for the two sentinels. Years outside 0000-9999, which RFC 3339
// cannot express, are written with more digits or a leading '-' (year 0
// is 1 BC); [Timestamp.UnmarshalText] reads them back.
func (ts Timestamp) String() string {
	b, _ := ts.AppendText(make([]byte, 0, 27))
	return string(b)
}

// AppendText implements encoding.TextAppender, appending the
// [Timestamp.String] form to b.
func (ts Timestamp) AppendText(b []byte) ([]byte, error) {
	switch ts {
	case TimestampInfinity:
		return append(b, "infinity"...), nil
	case TimestampNegInfinity:
		return append(b, "-infinity"...), nil
	}
	t := ts.Time()
	year := t.Year()
	if year < 0 {
		b = append(b, '-')
		year = -year
	}
	b = appendDec(b, year, 4)
	b = append(b, '-')
	b = appendDec(b, int(t.Month()), 2)
	b = append(b, '-')
	b = appendDec(b, t.Day(), 2)
	b = append(b, 'T')
	b = appendDec(b, t.Hour(), 2)
	b = append(b, ':')
	b = appendDec(b, t.Minute(), 2)
	b = append(b, ':')
	b = appendDec(b, t.Second(), 2)
	b = append(b, '.')
	b = appendDec(b, t.Nanosecond()/1000, 6)
	return append(b, 'Z'), nil
}

// appendDec appends the non-negative n in decimal, zero-padded to width.
func appendDec(b []byte, n, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for n != 0 || len(buf)-i < width {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, buf[i:]...)
}

// MarshalText implements encoding.TextMarshaler using [Timestamp.String].
func (ts Timestamp) MarshalText() ([]byte, error) { return ts.AppendText(nil) }

// UnmarshalText implements encoding.TextUnmarshaler. It accepts
// "infinity", "-infinity" and RFC 3339 date-times with any number (up to
// nine) of fractional digits and any UTC offset, plus the extended years
// written by [Timestamp.String]. Precision below a microsecond is rounded
// down. Instants outside the Timestamp range are an error. On error ts is
// left unchanged.
func (ts *Timestamp) UnmarshalText(text []byte) error {
	v, err := parseTimestamp(string(text))
	if err != nil {
		return err
	}
	*ts = v
	return nil
}

// MarshalJSON implements json.Marshaler, encoding ts as a JSON string in
// the [Timestamp.String] form.
func (ts Timestamp) MarshalJSON() ([]byte, error) {
	b := append(make([]byte, 0, 29), '"')
	b, _ = ts.AppendText(b)
	return append(b, '"'), nil
}

// UnmarshalJSON implements json.Unmarshaler. It accepts a JSON string in
// any form [Timestamp.UnmarshalText] accepts; null leaves ts unchanged.
func (ts *Timestamp) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	if len(data) == 0 || data[0] != '"' {
		return fmt.Errorf("lsn: cannot unmarshal JSON %s into Timestamp: want a JSON string", truncate(data))
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("lsn: cannot unmarshal JSON into Timestamp: %w", err)
	}
	return ts.UnmarshalText([]byte(s))
}

type tsParser struct {
	s   string
	i   int
	err string
}

// digits reads between min and max decimal digits and returns their value
// and count. On failure it records an error.
func (p *tsParser) digits(min, max int, what string) (int, int) {
	n, start := 0, p.i
	for p.i < len(p.s) && p.i-start < max && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
		n = n*10 + int(p.s[p.i]-'0')
		p.i++
	}
	if p.i-start < min && p.err == "" {
		p.err = fmt.Sprintf("bad %s at byte %d", what, start)
	}
	return n, p.i - start
}

func (p *tsParser) lit(c byte) {
	if p.err != "" {
		return
	}
	if p.i >= len(p.s) || p.s[p.i] != c {
		p.err = fmt.Sprintf("want %q at byte %d", c, p.i)
		return
	}
	p.i++
}

func parseTimestamp(s string) (Timestamp, error) {
	switch s {
	case "infinity":
		return TimestampInfinity, nil
	case "-infinity":
		return TimestampNegInfinity, nil
	}
	p := &tsParser{s: s}
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg = true
		p.i++
	}
	year, _ := p.digits(4, 9, "year")
	if neg {
		year = -year
	}
	p.lit('-')
	month, _ := p.digits(2, 2, "month")
	p.lit('-')
	day, _ := p.digits(2, 2, "day")
	if p.err == "" && p.i < len(s) && s[p.i] == 't' {
		p.i++ // RFC 3339 allows a lower-case separator
	} else {
		p.lit('T')
	}
	hour, _ := p.digits(2, 2, "hour")
	p.lit(':')
	minute, _ := p.digits(2, 2, "minute")
	p.lit(':')
	sec, _ := p.digits(2, 2, "second")
	nsec := 0
	if p.err == "" && p.i < len(s) && s[p.i] == '.' {
		p.i++
		f, n := p.digits(1, 9, "fraction")
		for ; n < 9; n++ {
			f *= 10
		}
		nsec = f
	}
	offset := 0
	if p.err == "" {
		switch {
		case p.i < len(s) && (s[p.i] == 'Z' || s[p.i] == 'z'):
			p.i++
		case p.i < len(s) && (s[p.i] == '+' || s[p.i] == '-'):
			sign := 1
			if s[p.i] == '-' {
				sign = -1
			}
			p.i++
			oh, _ := p.digits(2, 2, "offset hour")
			p.lit(':')
			om, _ := p.digits(2, 2, "offset minute")
			if p.err == "" && (oh > 23 || om > 59) {
				p.err = "offset out of range"
			}
			offset = sign * (oh*3600 + om*60)
		default:
			p.err = fmt.Sprintf("want 'Z' or a UTC offset at byte %d", p.i)
		}
	}
	if p.err == "" && p.i != len(s) {
		p.err = fmt.Sprintf("unexpected text at byte %d", p.i)
	}
	if p.err == "" && (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59) {
		p.err = "field out of range"
	}
	if p.err != "" {
		return 0, fmt.Errorf("lsn: invalid timestamp %q: %s", s, p.err)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day {
		return 0, fmt.Errorf("lsn: invalid timestamp %q: day out of range", s)
	}
	t = t.Add(-time.Duration(offset) * time.Second)
	if t.Before(minTime) || t.After(maxTime) {
		return 0, fmt.Errorf("lsn: timestamp %q out of range", s)
	}
	return TimestampOf(t), nil
}
