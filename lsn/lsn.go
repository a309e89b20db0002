package lsn

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// LSN is a position in the PostgreSQL write-ahead log (an XLogRecPtr): a
// byte offset into the conceptually infinite WAL stream.
//
// The zero value is [Invalid].
type LSN uint64

// Invalid is the zero LSN, PostgreSQL's InvalidXLogRecPtr. No WAL record
// ever starts at this position.
const Invalid LSN = 0

// ErrSyntax is matched (with [errors.Is]) by every error returned for
// malformed LSN text or WAL file names.
var ErrSyntax = errors.New("invalid syntax")

// SyntaxError describes text that is not a valid LSN or WAL file name.
// It unwraps to [ErrSyntax].
type SyntaxError struct {
	Input  string // the rejected text
	Offset int    // byte offset in Input where the problem was found
	Reason string // what is wrong, e.g. "missing '/'"

	what string // "LSN" or "WAL file name"; empty means "LSN"
}

func (e *SyntaxError) Error() string {
	what := e.what
	if what == "" {
		what = "LSN"
	}
	return fmt.Sprintf("lsn: invalid %s %q: %s (at byte %d)", what, e.Input, e.Reason, e.Offset)
}

// Unwrap returns [ErrSyntax].
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

func syntaxErr(s string, off int, reason string) error {
	return &SyntaxError{Input: s, Offset: off, Reason: reason}
}

// hexVal returns the value of the ASCII hex digit c, or -1.
func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parseHalf parses s[start:end] as 1 to 8 hex digits.
func parseHalf(s string, start, end int, which string) (uint64, error) {
	if start == end {
		return 0, syntaxErr(s, start, "empty "+which+" half")
	}
	var v uint64
	for i := start; i < end; i++ {
		d := hexVal(s[i])
		if d < 0 {
			if s[i] == '/' {
				return 0, syntaxErr(s, i, "more than one '/'")
			}
			return 0, syntaxErr(s, i, fmt.Sprintf("%q is not a hex digit", s[i]))
		}
		if i-start == 8 {
			return 0, syntaxErr(s, i, which+" half has more than 8 hex digits")
		}
		v = v<<4 | uint64(d)
	}
	return v, nil
}

// Parse parses the text form of a pg_lsn: two groups of 1 to 8 hex digits
// (either case) separated by a single '/', such as "16/B374D848" or the
// zero-padded "0/0000ABCD" printed by PostgreSQL 19. Nothing else is
// accepted: no spaces, signs, "0x" prefixes or empty groups. The result is
// hi<<32 | lo.
//
// Errors are of type *[SyntaxError] and match [ErrSyntax]. Parse does not
// allocate when it succeeds.
func Parse(s string) (LSN, error) {
	slash := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			slash = i
			break
		}
	}
	if slash < 0 {
		return 0, syntaxErr(s, len(s), "missing '/'")
	}
	hi, err := parseHalf(s, 0, slash, "high")
	if err != nil {
		return 0, err
	}
	lo, err := parseHalf(s, slash+1, len(s), "low")
	if err != nil {
		return 0, err
	}
	return LSN(hi<<32 | lo), nil
}

// MustParse is like [Parse] but panics on error. It is meant for tests and
// examples with constant input.
func MustParse(s string) LSN {
	l, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return l
}

const upperHex = "0123456789ABCDEF"

// appendHex appends v in upper-case hex, at least minDigits digits long.
func appendHex(b []byte, v uint32, minDigits int) []byte {
	var buf [8]byte
	i := len(buf)
	for v != 0 || len(buf)-i < minDigits {
		i--
		buf[i] = upperHex[v&0xF]
		v >>= 4
	}
	return append(b, buf[i:]...)
}

// AppendText appends the [LSN.String] form of l to b. It implements
// encoding.TextAppender, never fails, and does not allocate when b has room.
func (l LSN) AppendText(b []byte) ([]byte, error) {
	b = appendHex(b, uint32(l>>32), 1)
	b = append(b, '/')
	return appendHex(b, uint32(l), 1), nil
}

// String returns l as "%X/%X", for example "16/B374D848": upper-case hex
// without padding, as printed by PostgreSQL 18 and earlier and accepted by
// every version.
func (l LSN) String() string {
	var buf [17]byte
	b, _ := l.AppendText(buf[:0])
	return string(b)
}

// Padded returns l as "%X/%08X", for example "0/0000ABCD", the form printed
// by PostgreSQL 19 and later.
func (l LSN) Padded() string {
	var buf [17]byte
	b := appendHex(buf[:0], uint32(l>>32), 1)
	b = append(b, '/')
	b = appendHex(b, uint32(l), 8)
	return string(b)
}

// IsValid reports whether l is not [Invalid].
func (l LSN) IsValid() bool { return l != Invalid }

// Add returns l advanced by n bytes. The addition is modulo 2^64, so it
// wraps around instead of failing on overflow; real WAL positions are far
// from that limit.
func (l LSN) Add(n uint64) LSN { return l + LSN(n) }

// Sub returns the signed byte distance l − m, like pg_lsn's minus operator.
// The result is exact whenever the distance lies in the int64 range; a
// distance beyond it (possible only for LSNs more than 2^63 bytes apart)
// saturates to math.MaxInt64 or math.MinInt64.
func (l LSN) Sub(m LSN) int64 {
	if l >= m {
		d := uint64(l - m)
		if d > math.MaxInt64 {
			return math.MaxInt64
		}
		return int64(d)
	}
	d := uint64(m - l)
	if d >= 1<<63 {
		return math.MinInt64
	}
	return -int64(d)
}

// Compare returns -1 if l < m, 0 if l == m and +1 if l > m.
func (l LSN) Compare(m LSN) int {
	switch {
	case l < m:
		return -1
	case l > m:
		return 1
	}
	return 0
}

// Max returns the larger of a and b.
func Max(a, b LSN) LSN {
	if a > b {
		return a
	}
	return b
}

// Min returns the smaller of a and b.
func Min(a, b LSN) LSN {
	if a < b {
		return a
	}
	return b
}

// MarshalText implements encoding.TextMarshaler using the [LSN.String] form.
func (l LSN) MarshalText() ([]byte, error) { return l.AppendText(nil) }

// UnmarshalText implements encoding.TextUnmarshaler using [Parse]. On error
// l is left unchanged.
func (l *LSN) UnmarshalText(text []byte) error {
	v, err := Parse(string(text))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// MarshalJSON implements json.Marshaler: l is encoded as a JSON string in
// the [LSN.String] form, for example "16/B374D848".
func (l LSN) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 19)
	b = append(b, '"')
	b, _ = l.AppendText(b)
	return append(b, '"'), nil
}

// UnmarshalJSON implements json.Unmarshaler. It accepts only a JSON string
// holding an LSN in the form accepted by [Parse]. As is conventional for
// encoding/json, the JSON literal null leaves l unchanged; so does any error.
func (l *LSN) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	if len(data) == 0 || data[0] != '"' {
		return fmt.Errorf("lsn: cannot unmarshal JSON %s into LSN: want a JSON string such as \"16/B374D848\"", truncate(data))
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("lsn: cannot unmarshal JSON into LSN: %w", err)
	}
	return l.UnmarshalText([]byte(s))
}

func truncate(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// Scan implements database/sql.Scanner. It accepts a string or []byte in
// pg_lsn text form and a non-negative int64 (for example from a bigint
// column). NULL cannot be stored in an LSN and is reported as an error; scan
// nullable columns into sql.Null[LSN] or *LSN instead. On error l is left
// unchanged.
func (l *LSN) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return l.UnmarshalText([]byte(v))
	case []byte:
		return l.UnmarshalText(v)
	case int64:
		if v < 0 {
			return fmt.Errorf("lsn: cannot scan negative integer %d into LSN", v)
		}
		*l = LSN(v)
		return nil
	case nil:
		return errors.New("lsn: cannot scan NULL into LSN; use a nullable wrapper such as sql.Null[lsn.LSN] or *lsn.LSN")
	}
	return fmt.Errorf("lsn: cannot scan %T into LSN", src)
}

// Value implements database/sql/driver.Valuer, returning the [LSN.String]
// form, which a pg_lsn parameter accepts.
func (l LSN) Value() (driver.Value, error) { return l.String(), nil }
