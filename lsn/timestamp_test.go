package lsn

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestTimestampConversions(t *testing.T) {
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := epoch.Unix(); got != PostgresEpochUnix {
		t.Fatalf("2000-01-01 Unix = %d; PostgresEpochUnix = %d", got, PostgresEpochUnix)
	}
	// at builds the expected instant with the time package's own
	// normalisation, independently of the package's arithmetic. Seconds are
	// int64 (time.Unix, not time.Date's int), so the extremes build on
	// 32-bit platforms too.
	at := func(sec, us int64) time.Time { return time.Unix(epoch.Unix()+sec, us*1000).UTC() }
	tests := []struct {
		ts   Timestamp
		want time.Time
		str  string
	}{
		{0, epoch, "2000-01-01T00:00:00.000000Z"},
		{1, at(0, 1), "2000-01-01T00:00:00.000001Z"},
		{-1, at(-1, 999999), "1999-12-31T23:59:59.999999Z"},
		{-1_000_000, at(-1, 0), "1999-12-31T23:59:59.000000Z"},
		{-1_000_001, at(-2, 999999), "1999-12-31T23:59:58.999999Z"},
		{-PostgresEpochUnix * 1_000_000, time.Unix(0, 0).UTC(), "1970-01-01T00:00:00.000000Z"},
		{762525000123456, time.Date(2024, 2, 29, 12, 30, 0, 123456000, time.UTC), "2024-02-29T12:30:00.123456Z"},
		{math.MaxInt64, at(9223372036854, 775807), "infinity"},
		{math.MinInt64, at(-9223372036855, 224192), "-infinity"},
		{math.MaxInt64 - 1, at(9223372036854, 775806), ""},
		{math.MinInt64 + 1, at(-9223372036855, 224193), ""},
	}
	for _, tt := range tests {
		got := tt.ts.Time()
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("Timestamp(%d).Time() = %v; want %v in UTC", int64(tt.ts), got, tt.want)
		}
		if back := TimestampOf(got); back != tt.ts {
			t.Errorf("TimestampOf(Timestamp(%d).Time()) = %d; want %d", int64(tt.ts), int64(back), int64(tt.ts))
		}
		if back := TimestampOf(tt.want.In(time.FixedZone("X", -7*3600))); back != tt.ts {
			t.Errorf("TimestampOf(%v in other zone) = %d; want %d", tt.want, int64(back), int64(tt.ts))
		}
		wantStr := tt.str
		if wantStr == "" {
			wantStr = formatLong(tt.want)
		}
		if s := tt.ts.String(); s != wantStr {
			t.Errorf("Timestamp(%d).String() = %q; want %q", int64(tt.ts), s, wantStr)
		}
	}
	if max := TimestampInfinity.Time(); max.Year() < 290000 {
		t.Errorf("TimestampInfinity.Time().Year() = %d; want beyond year 290000", max.Year())
	}
}

// formatLong formats t like Timestamp.String, using time.Format for all but
// the year, which may be longer than four digits or negative.
func formatLong(t time.Time) string {
	y := t.Year()
	sign := ""
	if y < 0 {
		sign, y = "-", -y
	}
	ys := strings.Repeat("0", 4-min(4, len(itoa(y)))) + itoa(y)
	return sign + ys + t.Format("-01-02T15:04:05.000000Z07:00")
}

func itoa(n int) string { return string(appendDec(nil, n, 1)) }

func TestTimestampOfRounding(t *testing.T) {
	tests := []struct {
		t    time.Time
		want Timestamp
	}{
		{time.Date(2000, 1, 1, 0, 0, 0, 999, time.UTC), 0},
		{time.Date(2000, 1, 1, 0, 0, 0, 1000, time.UTC), 1},
		{time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC), -1}, // floor, not toward zero
		{time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC), -1},
		{time.Date(1999, 12, 31, 23, 59, 59, 999998999, time.UTC), -2},
		{time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), -PostgresEpochUnix*1_000_000 - 1},
		// Out of range saturates.
		{time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC), TimestampInfinity},
		{time.Date(-300000, 1, 1, 0, 0, 0, 0, time.UTC), TimestampNegInfinity},
		{TimestampInfinity.Time().Add(1), TimestampInfinity},
		{TimestampInfinity.Time().Add(time.Hour), TimestampInfinity},
		{TimestampNegInfinity.Time().Add(-1), TimestampNegInfinity},
		{TimestampNegInfinity.Time().Add(999), TimestampNegInfinity},
		{TimestampNegInfinity.Time().Add(1000), TimestampNegInfinity + 1},
		{time.Unix(math.MaxInt64/2, 0), TimestampInfinity},
		{time.Unix(math.MinInt64/2, 0), TimestampNegInfinity},
		{time.Time{}, Timestamp(-63082281600 * 1_000_000)}, // 0001-01-01
	}
	for _, tt := range tests {
		if got := TimestampOf(tt.t); got != tt.want {
			t.Errorf("TimestampOf(%v) = %d; want %d", tt.t, int64(got), int64(tt.want))
		}
	}
	// Before 2000 (and before 1970) sub-microsecond parts round down, in
	// agreement with time.Time.UnixMicro.
	for _, tm := range []time.Time{
		time.Date(1960, 1, 1, 0, 0, 0, 500, time.UTC),
		time.Date(1999, 6, 1, 0, 0, 0, 999999999, time.UTC),
		time.Date(2020, 6, 1, 0, 0, 0, 999999999, time.UTC),
	} {
		if got, want := TimestampOf(tm), Timestamp(tm.UnixMicro()-PostgresEpochUnix*1_000_000); got != want {
			t.Errorf("TimestampOf(%v) = %d; want %d (UnixMicro based)", tm, int64(got), int64(want))
		}
	}
}

func TestTimestampText(t *testing.T) {
	values := []Timestamp{0, 1, -1, 762525000123456, -PostgresEpochUnix * 1_000_000,
		math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1,
		-63082281600*1_000_000 - 1, // 0000-12-31T23:59:59.999999Z (1 BC)
		-63113904000 * 1_000_000,   // 0000-01-01
		-63113904000*1_000_000 - 1, // -0001-12-31T23:59:59.999999Z
		252455616000 * 1_000_000,   // 10000-01-01
	}
	for _, ts := range values {
		js, err := json.Marshal(ts)
		if want := `"` + ts.String() + `"`; err != nil || string(js) != want {
			t.Errorf("json.Marshal(%d) = %s, %v; want %s", int64(ts), js, err, want)
		}
		var back Timestamp = 42
		if err := json.Unmarshal(js, &back); err != nil || back != ts {
			t.Errorf("json.Unmarshal(%s) = %d, %v; want %d", js, int64(back), err, int64(ts))
		}
		text, _ := ts.MarshalText()
		back = 42
		if err := back.UnmarshalText(text); err != nil || back != ts {
			t.Errorf("UnmarshalText(%q) = %d, %v; want %d", text, int64(back), err, int64(ts))
		}
	}
	for _, d := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}} {
		if got, want := TimestampOf(d), Timestamp((d.Unix()-PostgresEpochUnix)*1_000_000); got != want {
			t.Errorf("TimestampOf(%v) = %d; want %d (check of table constants)", d, int64(got), int64(want))
		}
	}
	strs := map[Timestamp]string{
		-63082281600*1_000_000 - 1: "0000-12-31T23:59:59.999999Z",
		-63113904000*1_000_000 - 1: "-0001-12-31T23:59:59.999999Z",
		252455616000 * 1_000_000:   "10000-01-01T00:00:00.000000Z",
	}
	for ts, want := range strs {
		if got := ts.String(); got != want {
			t.Errorf("Timestamp(%d).String() = %q; want %q", int64(ts), got, want)
		}
	}

	accepted := []struct {
		in   string
		want Timestamp
	}{
		{"2000-01-01T00:00:00Z", 0},
		{"2000-01-01t00:00:00z", 0},
		{"2000-01-01T00:00:00.000001Z", 1},
		{"2000-01-01T00:00:00.0000019Z", 1}, // rounded down
		{"2000-01-01T00:00:00.5Z", 500000},
		{"2000-01-01T01:00:00+01:00", 0},
		{"1999-12-31T19:00:00-05:00", 0},
		{"1999-12-31T23:59:59.999999999Z", -1},
		{"2024-02-29T12:30:00.123456Z", 762525000123456},
	}
	for _, tt := range accepted {
		var got Timestamp = 42
		if err := got.UnmarshalText([]byte(tt.in)); err != nil || got != tt.want {
			t.Errorf("UnmarshalText(%q) = %d, %v; want %d, nil", tt.in, int64(got), err, int64(tt.want))
		}
		if strings.ContainsAny(tt.in, "tz") {
			continue // RFC 3339 allows lower case; time.Parse does not
		}
		if want, err := time.Parse(time.RFC3339Nano, tt.in); err != nil || TimestampOf(want) != tt.want {
			t.Errorf("cross-check: time.Parse(%q) -> %d, %v; want %d", tt.in, int64(TimestampOf(want)), err, int64(tt.want))
		}
	}

	rejected := []string{
		"", "Infinity", "+infinity", "inf", "2000-01-01", "2000-01-01T00:00:00",
		"2000-01-01 00:00:00Z", "2000-1-01T00:00:00Z", "200-01-01T00:00:00Z",
		"2000-13-01T00:00:00Z", "2000-00-01T00:00:00Z", "2000-02-30T00:00:00Z",
		"2001-02-29T00:00:00Z", "2000-01-01T24:00:00Z", "2000-01-01T00:60:00Z",
		"2000-01-01T00:00:60Z", "2000-01-01T00:00:00.Z", "2000-01-01T00:00:00.0000000000Z",
		"2000-01-01T00:00:00+0100", "2000-01-01T00:00:00+24:00", "2000-01-01T00:00:00Z ",
		" 2000-01-01T00:00:00Z", "+2000-01-01T00:00:00Z", "300000-01-01T00:00:00Z",
		"-300000-01-01T00:00:00Z", "2000-01-01T00:00:00.000000Zjunk",
	}
	for _, in := range rejected {
		var got Timestamp = 42
		err := got.UnmarshalText([]byte(in))
		if err == nil || got != 42 || !strings.Contains(err.Error(), "timestamp") {
			t.Errorf("UnmarshalText(%q) = %d, %v; want a timestamp error and value unchanged", in, int64(got), err)
		}
	}

	var ts Timestamp = 42
	if err := ts.UnmarshalJSON([]byte("null")); err != nil || ts != 42 {
		t.Errorf("UnmarshalJSON(null) = %d, %v; want 42 unchanged", int64(ts), err)
	}
	for _, in := range []string{"0", "true", "{}", `"2000-01-01T00:00:00Z`} {
		if err := ts.UnmarshalJSON([]byte(in)); err == nil || ts != 42 {
			t.Errorf("UnmarshalJSON(%s) = %d, %v; want error and value unchanged", in, int64(ts), err)
		}
	}
}
