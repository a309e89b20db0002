package value

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/pgserver"
)

// dtServerCase is one type's sample: SQL literals (cast to the column
// type by the query), with the versions that accept them.
type dtServerCase struct {
	name, typ, send string
	oid             uint32
	values          []string         // a value starting with "=" is an SQL expression
	since           map[int][]string // extra values for servers of at least this major version
	// gen is an SQL expression of x (a bigint spread over 0 to about
	// 4.3e15) and i (the row number) for more values spread over the
	// type's range (dates: every other one within 4714 BC to 2130 AD); the
	// server computes them, so only their range matters.
	gen string
}

// dtGenerated is how many values gen adds per type.
const dtGenerated = 300

// dtSpread mixes the row number i into x, with sub-terms a and b.
const dtSpread = `generate_series(1, %d) i, LATERAL (SELECT (i*2654435761) %% 4294967291 AS a, (i*97531) %% 1000003 AS b) h,
	LATERAL (SELECT h.a*1000003 + h.b AS x) hx`

var dtServerCases = []dtServerCase{
	{name: "date", typ: "date", gen: `date '4714-11-24 BC' + (x % CASE i % 2 WHEN 0 THEN 2147483494 ELSE 2500000 END)::int4`, send: "date_send", oid: dtOIDDate, values: []string{
		"2000-01-01", "1999-12-31", "2024-02-29", "1970-01-01", "1900-02-28", "0001-01-01",
		"0001-12-31 BC", "0044-03-15 BC", "0401-02-29 BC", "0005-02-29 BC", "4714-11-24 BC", "9999-12-31",
		"10000-01-01", "5874897-12-31", "infinity", "-infinity",
	}},
	{name: "time", typ: "time", gen: `time '00:00' + make_interval(secs => (x % 86400000000) / 1e6)`, send: "time_send", oid: dtOIDTime, values: []string{
		"00:00:00", "24:00:00", "23:59:59.999999", "12:34:56.789", "00:00:00.000001",
		"13:00:00.5", "01:02:03.12345", "10:20:30.1",
	}},
	{name: "time(2)", typ: "time(2)", send: "time_send", oid: dtOIDTime, values: []string{
		"12:34:56.789", "23:59:59.999",
	}},
	{name: "timetz", typ: "timetz", gen: `timezone(make_interval(secs => (b % 115199) - 57599), timetz '00:00+00' + make_interval(secs => (x % 86400000000) / 1e6))`, send: "timetz_send", oid: dtOIDTimeTZ, values: []string{
		"12:34:56+05:30", "12:34:56+05:30:15", "00:00:00+00", "24:00:00-15:59:59",
		"23:59:59.999999+15:59:59", "10:00-08", "10:00:00.1+01:02", "00:00:00.000001-00:00:01",
	}},
	{name: "timestamp", typ: "timestamp", gen: `timestamp '4714-11-24 00:00 BC' + make_interval(days => (x % CASE i % 2 WHEN 0 THEN 109203528 ELSE 2500000 END)::int4, secs => (x % 86400000000) / 1e6)`, send: "timestamp_send", oid: dtOIDTimestamp, values: []string{
		"2000-01-01 00:00:00", "1999-12-31 23:59:59.999999", "1969-12-31 23:59:59.999999",
		"2024-02-29 12:34:56.789", "0001-01-01 00:00:00", "0001-12-31 23:59:59.5 BC",
		"0044-03-15 12:00:00 BC", "4714-11-24 00:00:00 BC", "10000-01-01 00:00:00",
		"294276-12-31 23:59:59.999999", "infinity", "-infinity", "2024-01-01 12:00:00.000010",
	}},
	{name: "timestamp(3)", typ: "timestamp(3)", send: "timestamp_send", oid: dtOIDTimestamp, values: []string{
		"2024-01-01 12:34:56.789123", "2024-01-01 23:59:59.9996", "infinity",
	}},
	{name: "timestamptz", typ: "timestamptz", gen: `timestamptz '4714-11-24 00:00+00 BC' + make_interval(days => (x % CASE i % 2 WHEN 0 THEN 109203528 ELSE 2500000 END)::int4, secs => (x % 86400000000) / 1e6)`, send: "timestamptz_send", oid: dtOIDTimestampTZ, values: []string{
		"2000-01-01 00:00:00+00", "2024-01-01 12:00:00+05:30", "2024-02-29 12:34:56.789-08",
		"1969-12-31 23:59:59.999999+00", "0001-01-01 00:30:00+01", "0044-03-15 12:00:00+00 BC",
		"4714-11-24 00:00:00+00 BC", "294276-12-31 23:59:59.999999+00", "12345-06-07 08:09:10.11+00",
		"infinity", "-infinity",
	}},
	{name: "interval", typ: "interval", gen: `make_interval(months => (a - 2147483647)::int4, days => ((x % 4294967295) - 2147483647)::int4, secs => (x % 14000000000000 - 7000000000000) + b / 1e6)`, send: "interval_send", oid: dtOIDInterval, values: []string{
		"1 year 2 mons 3 days 04:05:06.7", "-1 days +02:03:00", "0", "1 mon", "-1 mon", "1 day",
		"-1 year -2 mons +3 days -04:05:06", "1 year -1 day", "-1 days", "00:00:00.000001",
		"-00:00:00.000001", "1 day -00:00:01", "25 hours", "-25:59:59.5", "13 mons",
		"-13 mons", "178956970 years 7 mons", "-178956970 years -8 mons", "2147483647 days",
		"-2147483648 days", "1 year 1 day 1 second", "100 years 02:00:00", "2147483647:59:59.999999",
	}, since: map[int][]string{
		// PostgreSQL 14 cannot print more hours than an int holds
		// ("interval out of range"), nor read them.
		15: {"='-2147483647:00:00'::interval * 1.1", "='2147483647:00:00'::interval * 1.19",
			"2562047788:00:54.775806", "='-2562047788:00:54.775807'::interval - '00:00:00.000001'",
			"178956970 years 7 mons 2147483647 days 2562047788:00:54.775806"},
		17: {"infinity", "-infinity"},
	}},
	{name: "interval(0)", typ: "interval second(0)", send: "interval_send", oid: dtOIDInterval, values: []string{
		"1 day 12:34:56.789",
	}},
}

// TestTimeServer: for sample values of every type, incl. the edges, the
// server's binary form rendered here is the server's own text byte for
// byte; the text read here is the value the binary holds; and both
// encoders give back the server's bytes.
func TestTimeServer(t *testing.T) {
	eachServer(t, func(t *testing.T, s *pgserver.Server) {
		for _, c := range dtServerCases {
			t.Run(c.name, func(t *testing.T) {
				values := c.values
				for v := 14; v <= s.Major(); v++ {
					values = append(values[:len(values):len(values)], c.since[v]...)
				}
				var lits []string
				for _, v := range values {
					if expr, ok := strings.CutPrefix(v, "="); ok {
						lits = append(lits, "(("+expr+")::"+c.typ+")")
						continue
					}
					lits = append(lits, "('"+v+"'::"+c.typ+")")
				}
				from := "VALUES " + strings.Join(lits, ", ")
				if c.gen != "" {
					from = fmt.Sprintf("SELECT v FROM (%s) t(v) UNION ALL SELECT (%s)::%s FROM "+dtSpread, from, c.gen, c.typ, dtGenerated)
				}
				sql := fmt.Sprintf("SELECT json_agg(json_build_array(v::text, encode(%s(v), 'hex'))) FROM (%s) t(v)", c.send, from)
				var rows [][2]string
				queryJSON(t, s, sql, &rows)
				if c.gen != "" {
					for i := 0; i < dtGenerated; i++ {
						values = append(values, "generated")
					}
				}
				if len(rows) != len(values) {
					t.Fatalf("%d rows for %d values", len(rows), len(values))
				}
				if testing.Verbose() && c.gen != "" {
					t.Logf("generated, e.g. %q", rows[len(rows)-4:])
				}
				var buf []byte
				for i, r := range rows {
					text, bin := r[0], dtHex(t, r[1])
					var err error
					buf, err = AppendText(buf[:0], c.oid, -1, bin)
					if err != nil || string(buf) != text {
						t.Errorf("%s %q: AppendText(%s) = %q, %v; server prints %q", c.typ, values[i], r[1], buf, err, text)
						continue
					}
					dtCheckBothForms(t, c.oid, text, bin)
				}
			})
		}
	})
}

// dtCheckBothForms: the text and the binary form decode to the same value,
// which encodes back to both exactly.
func dtCheckBothForms(t *testing.T, oid uint32, text string, bin []byte) {
	t.Helper()
	if err := dtBothForms(oid, text, bin); err != nil {
		t.Error(err)
	}
}

func dtBothForms(oid uint32, text string, bin []byte) error {
	fromBin, err := Decode(oid, codec.ColumnBinary, -1, bin)
	if err != nil {
		return fmt.Errorf("Decode binary %x: %v", bin, err)
	}
	fromText, err := Decode(oid, codec.ColumnText, -1, []byte(text))
	if err != nil {
		return fmt.Errorf("Decode text %q: %v", text, err)
	}
	if d := cmp.Diff(fromBin, fromText); d != "" {
		return fmt.Errorf("%q: binary and text decode differently (-binary +text):\n%s", text, d)
	}
	gotBin, gotText, err := dtEncodeAny(oid, fromBin)
	if err != nil {
		return fmt.Errorf("%q: encode %v: %v", text, fromBin, err)
	}
	if string(gotBin) != string(bin) || string(gotText) != text {
		return fmt.Errorf("%q: encoded back to %x %q, want %x", text, gotBin, gotText, bin)
	}
	return nil
}

// dtEncodeAny encodes what Decode returned with the family's encoders.
func dtEncodeAny(oid uint32, v any) (bin, text []byte, err error) {
	switch v := v.(type) {
	case Date:
		if bin, err = AppendDateBinary(nil, v); err == nil {
			text, err = AppendDateText(nil, v)
		}
	case Timestamp:
		if bin, err = AppendTimestampBinary(nil, oid, v); err == nil {
			text, err = AppendTimestampText(nil, oid, v)
		}
	case TimeOfDay:
		if bin, err = AppendTimeOfDayBinary(nil, oid, v); err == nil {
			text, err = AppendTimeOfDayText(nil, oid, v)
		}
	case Interval:
		bin, text = AppendIntervalBinary(nil, v), AppendIntervalText(nil, v)
	default:
		err = fmt.Errorf("unexpected %T", v)
	}
	return bin, text, err
}

func dtHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}
