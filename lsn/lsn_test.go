package lsn

import (
	"database/sql"
	"database/sql/driver"
	"encoding"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// Compile-time interface checks.
var (
	_ encoding.TextMarshaler   = LSN(0)
	_ encoding.TextUnmarshaler = (*LSN)(nil)
	_ json.Marshaler           = LSN(0)
	_ json.Unmarshaler         = (*LSN)(nil)
	_ sql.Scanner              = (*LSN)(nil)
	_ driver.Valuer            = LSN(0)
	_ interface {
		AppendText([]byte) ([]byte, error)
	} = LSN(0)
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		in   string
		want LSN
	}{
		{"0/0", 0},
		{"0/1", 1},
		{"1/0", 1 << 32},
		{"FFFFFFFF/FFFFFFFF", math.MaxUint64},
		{"ffffffff/ffffffff", math.MaxUint64},
		{"16/B374D848", 0x16_B374D848},
		{"16/b374d848", 0x16_B374D848},
		{"16/b374D848", 0x16_B374D848},
		{"0/0000ABCD", 0xABCD},
		{"00000000/00000000", 0},
		{"00000016/0000000A", 0x16_0000000A},
		{"aBcDeF01/23456789", 0xABCDEF01_23456789},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %#x, %v; want %#x, nil", tt.in, uint64(got), err, uint64(tt.want))
		}
		if got := MustParse(tt.in); got != tt.want {
			t.Errorf("MustParse(%q) = %#x; want %#x", tt.in, uint64(got), uint64(tt.want))
		}
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		in         string
		wantOffset int
		wantReason string // substring
	}{
		{"", 0, "missing '/'"},
		{"12345", 5, "missing '/'"},
		{"/", 0, "empty high half"},
		{"1/", 2, "empty low half"},
		{"/1", 0, "empty high half"},
		{"1//1", 2, "more than one '/'"},
		{"1/1/1", 3, "more than one '/'"},
		{" 1/1", 0, "not a hex digit"},
		{"1/1 ", 3, "not a hex digit"},
		{"1 /1", 1, "not a hex digit"},
		{"1/ 1", 2, "not a hex digit"},
		{"+1/1", 0, "not a hex digit"},
		{"-1/1", 0, "not a hex digit"},
		{"1/+1", 2, "not a hex digit"},
		{"0x1/1", 1, "not a hex digit"},
		{"1/0x1", 3, "not a hex digit"},
		{"123456789/1", 8, "more than 8 hex digits"},
		{"000000000/1", 8, "more than 8 hex digits"},
		{"1/123456789", 10, "more than 8 hex digits"},
		{"1/000000000", 10, "more than 8 hex digits"},
		{"g/1", 0, "not a hex digit"},
		{"1/G", 2, "not a hex digit"},
		{"1\x00/1", 1, "not a hex digit"},
		{"١/1", 0, "not a hex digit"}, // ARABIC-INDIC DIGIT ONE
		{"1/１", 2, "not a hex digit"}, // FULLWIDTH DIGIT ONE
		{"1\n/1", 1, "not a hex digit"},
		{"1/1\n", 3, "not a hex digit"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %v, nil; want error", tt.in, got)
			continue
		}
		if got != 0 {
			t.Errorf("Parse(%q) returned value %v with error; want 0", tt.in, got)
		}
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) error %v does not match ErrSyntax", tt.in, err)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error %T is not *SyntaxError", tt.in, err)
			continue
		}
		if se.Input != tt.in || se.Offset != tt.wantOffset || !strings.Contains(se.Reason, tt.wantReason) {
			t.Errorf("Parse(%q) error = {Input:%q Offset:%d Reason:%q}; want {Input:%q Offset:%d Reason containing %q}",
				tt.in, se.Input, se.Offset, se.Reason, tt.in, tt.wantOffset, tt.wantReason)
		}
		if msg := err.Error(); !strings.Contains(msg, "LSN") || !strings.Contains(msg, tt.wantReason) {
			t.Errorf("Parse(%q) error message %q does not mention LSN and %q", tt.in, msg, tt.wantReason)
		}
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		r := recover()
		err, ok := r.(error)
		if !ok || !errors.Is(err, ErrSyntax) {
			t.Errorf("MustParse(\"bad\") panicked with %v; want an error matching ErrSyntax", r)
		}
	}()
	MustParse("bad")
	t.Errorf("MustParse(\"bad\") did not panic")
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		in          LSN
		str, padded string
	}{
		{0, "0/0", "0/00000000"},
		{1, "0/1", "0/00000001"},
		{0xABCD, "0/ABCD", "0/0000ABCD"},
		{1 << 32, "1/0", "1/00000000"},
		{0x16_B374D848, "16/B374D848", "16/B374D848"},
		{0x1234_00000010, "1234/10", "1234/00000010"},
		{math.MaxUint64, "FFFFFFFF/FFFFFFFF", "FFFFFFFF/FFFFFFFF"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.str {
			t.Errorf("LSN(%#x).String() = %q; want %q", uint64(tt.in), got, tt.str)
		}
		if got := tt.in.Padded(); got != tt.padded {
			t.Errorf("LSN(%#x).Padded() = %q; want %q", uint64(tt.in), got, tt.padded)
		}
		got, err := tt.in.AppendText([]byte("x="))
		if err != nil || string(got) != "x="+tt.str {
			t.Errorf("LSN(%#x).AppendText(\"x=\") = %q, %v; want %q, nil", uint64(tt.in), got, err, "x="+tt.str)
		}
		for _, s := range []string{tt.str, tt.padded} {
			if back, err := Parse(s); err != nil || back != tt.in {
				t.Errorf("Parse(%q) = %v, %v; want %v, nil", s, back, err, tt.in)
			}
		}
	}
}

func TestAllocs(t *testing.T) {
	var sink LSN
	if n := testing.AllocsPerRun(100, func() { sink, _ = Parse("16/B374D848") }); n != 0 {
		t.Errorf("Parse allocates %v times per run; want 0", n)
	}
	if sink != 0x16_B374D848 {
		t.Errorf("Parse result = %v; want 16/B374D848", sink)
	}
	buf := make([]byte, 0, 64)
	l := LSN(math.MaxUint64)
	if n := testing.AllocsPerRun(100, func() { buf, _ = l.AppendText(buf[:0]) }); n != 0 {
		t.Errorf("AppendText allocates %v times per run; want 0", n)
	}
	if string(buf) != "FFFFFFFF/FFFFFFFF" {
		t.Errorf("AppendText result = %q; want %q", buf, "FFFFFFFF/FFFFFFFF")
	}
}

func TestArithmetic(t *testing.T) {
	if got := LSN(10).Add(5); got != 15 {
		t.Errorf("LSN(10).Add(5) = %d; want 15", got)
	}
	if got := LSN(math.MaxUint64).Add(2); got != 1 {
		t.Errorf("LSN(max).Add(2) = %d; want 1 (wrap-around)", got)
	}
	subs := []struct {
		l, m LSN
		want int64
	}{
		{0, 0, 0},
		{15, 10, 5},
		{10, 15, -5},
		{MustParse("1/0"), MustParse("0/FFFFFFFF"), 1},
		{math.MaxInt64, 0, math.MaxInt64},
		{math.MaxInt64 + 1, 0, math.MaxInt64}, // saturates
		{math.MaxUint64, 0, math.MaxInt64},    // saturates
		{0, math.MaxInt64, -math.MaxInt64},
		{0, math.MaxInt64 + 1, math.MinInt64}, // exact
		{0, math.MaxUint64, math.MinInt64},    // saturates
		{1, math.MaxUint64, math.MinInt64},    // distance 2^64-2 saturates
	}
	for _, tt := range subs {
		if got := tt.l.Sub(tt.m); got != tt.want {
			t.Errorf("LSN(%#x).Sub(%#x) = %d; want %d", uint64(tt.l), uint64(tt.m), got, tt.want)
		}
	}
	cmps := []struct {
		a, b LSN
		want int
	}{
		{0, 0, 0}, {1, 2, -1}, {2, 1, 1}, {math.MaxUint64, 0, 1}, {0, math.MaxUint64, -1},
	}
	for _, tt := range cmps {
		if got := tt.a.Compare(tt.b); got != tt.want {
			t.Errorf("LSN(%d).Compare(%d) = %d; want %d", tt.a, tt.b, got, tt.want)
		}
		wantMax, wantMin := tt.a, tt.b
		if tt.want < 0 {
			wantMax, wantMin = tt.b, tt.a
		}
		if got := Max(tt.a, tt.b); got != wantMax {
			t.Errorf("Max(%d, %d) = %d; want %d", tt.a, tt.b, got, wantMax)
		}
		if got := Min(tt.a, tt.b); got != wantMin {
			t.Errorf("Min(%d, %d) = %d; want %d", tt.a, tt.b, got, wantMin)
		}
	}
	if Invalid.IsValid() || !LSN(1).IsValid() {
		t.Errorf("IsValid: Invalid=%v LSN(1)=%v; want false, true", Invalid.IsValid(), LSN(1).IsValid())
	}
}

func TestTextAndJSON(t *testing.T) {
	for _, l := range []LSN{0, 1, 0x16_B374D848, math.MaxUint64} {
		text, err := l.MarshalText()
		if err != nil || string(text) != l.String() {
			t.Errorf("LSN(%v).MarshalText() = %q, %v; want %q, nil", l, text, err, l.String())
		}
		var back LSN
		if err := back.UnmarshalText(text); err != nil || back != l {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v, nil", text, back, err, l)
		}
		js, err := json.Marshal(l)
		if want := `"` + l.String() + `"`; err != nil || string(js) != want {
			t.Errorf("json.Marshal(%v) = %s, %v; want %s, nil", l, js, err, want)
		}
		back = 12345
		if err := json.Unmarshal(js, &back); err != nil || back != l {
			t.Errorf("json.Unmarshal(%s) = %v, %v; want %v, nil", js, back, err, l)
		}
	}

	// As a struct field and map key (TextMarshaler), via encoding/json.
	type rec struct {
		Start LSN  `json:"start"`
		End   *LSN `json:"end"`
	}
	end := MustParse("0/ABCD")
	js, err := json.Marshal(rec{Start: 0x16_B374D848, End: &end})
	if want := `{"start":"16/B374D848","end":"0/ABCD"}`; err != nil || string(js) != want {
		t.Errorf("json.Marshal(rec) = %s, %v; want %s", js, err, want)
	}
	var r rec
	if err := json.Unmarshal([]byte(`{"start":"16/b374d848","end":null}`), &r); err != nil || r.Start != 0x16_B374D848 || r.End != nil {
		t.Errorf("json.Unmarshal(rec) = %+v, %v; want {Start:16/B374D848 End:nil}", r, err)
	}
	m := map[LSN]int{1: 1}
	if js, err := json.Marshal(m); err != nil || string(js) != `{"0/1":1}` {
		t.Errorf("json.Marshal(map) = %s, %v; want {\"0/1\":1}", js, err)
	}

	// null leaves the value unchanged.
	l := LSN(42)
	if err := l.UnmarshalJSON([]byte("null")); err != nil || l != 42 {
		t.Errorf("UnmarshalJSON(null) = %v, %v; want 42 unchanged, nil", l, err)
	}
	// Escapes inside the JSON string are decoded.
	if err := l.UnmarshalJSON([]byte(`"\u0031/2"`)); err != nil || l != 1<<32|2 {
		t.Errorf(`UnmarshalJSON("\u0031/2") = %v, %v; want 1/2, nil`, l, err)
	}

	bad := []struct {
		in      string
		syntax  bool // error should match ErrSyntax
		message string
	}{
		{`123`, false, "JSON string"},
		{`true`, false, "JSON string"},
		{`{}`, false, "JSON string"},
		{`["0/1"]`, false, "JSON string"},
		{``, false, "JSON string"},
		{`"0/1`, false, "unmarshal"},
		{`""`, true, "missing '/'"},
		{`"0x1/1"`, true, "not a hex digit"},
		{`" 0/1"`, true, "not a hex digit"},
	}
	for _, tt := range bad {
		l := LSN(7)
		err := l.UnmarshalJSON([]byte(tt.in))
		if err == nil || l != 7 {
			t.Errorf("UnmarshalJSON(%s) = %v, %v; want error and value unchanged", tt.in, l, err)
			continue
		}
		if errors.Is(err, ErrSyntax) != tt.syntax || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("UnmarshalJSON(%s) error %q: ErrSyntax=%v, want %v, containing %q", tt.in, err, errors.Is(err, ErrSyntax), tt.syntax, tt.message)
		}
	}
	if err := l.UnmarshalText([]byte("1/1/1")); !errors.Is(err, ErrSyntax) {
		t.Errorf("UnmarshalText(1/1/1) error = %v; want ErrSyntax", err)
	}
}

func TestScanValue(t *testing.T) {
	good := []struct {
		src  any
		want LSN
	}{
		{"16/B374D848", 0x16_B374D848},
		{[]byte("0/0000ABCD"), 0xABCD},
		{int64(0), 0},
		{int64(math.MaxInt64), math.MaxInt64},
	}
	for _, tt := range good {
		var l LSN = 99
		if err := l.Scan(tt.src); err != nil || l != tt.want {
			t.Errorf("Scan(%#v) = %v, %v; want %v, nil", tt.src, l, err, tt.want)
		}
	}
	bad := []struct {
		src  any
		want string
	}{
		{nil, "NULL"},
		{int64(-1), "negative"},
		{"1/", "empty low half"},
		{[]byte("x"), "missing '/'"},
		{float64(1), "float64"},
		{true, "bool"},
	}
	for _, tt := range bad {
		var l LSN = 99
		err := l.Scan(tt.src)
		if err == nil || l != 99 || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Scan(%#v) = %v, %v; want error containing %q and value unchanged", tt.src, l, err, tt.want)
		}
	}

	for _, l := range []LSN{0, 0x16_B374D848, math.MaxUint64} {
		v, err := l.Value()
		s, ok := v.(string)
		if err != nil || !ok || s != l.String() {
			t.Errorf("LSN(%v).Value() = %#v, %v; want %q, nil", l, v, err, l.String())
		}
		if !driver.IsValue(v) {
			t.Errorf("LSN(%v).Value() = %#v is not a valid driver.Value", l, v)
		}
		var back LSN
		if err := back.Scan(v); err != nil || back != l {
			t.Errorf("Scan(Value()) = %v, %v; want %v", back, err, l)
		}
	}
}
