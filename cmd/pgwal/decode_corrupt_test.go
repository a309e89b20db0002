package main

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// corrupt returns a copy of data with one random corruption, and what it
// did: bytes flipped, bytes cut out or put in, a chunk repeated, or the
// end cut off.
func corrupt(rng *rand.Rand, data []byte) ([]byte, string) {
	b := append([]byte(nil), data...)
	at := rng.Intn(len(b))
	switch rng.Intn(5) {
	case 0:
		n := 1 + rng.Intn(8)
		for i := 0; i < n; i++ {
			j := rng.Intn(len(b))
			b[j] ^= byte(1 + rng.Intn(255))
		}
		return b, fmt.Sprintf("%d bytes flipped, the first near %d", n, at)
	case 1:
		n := min(1+rng.Intn(64), len(b)-at)
		return append(b[:at], b[at+n:]...), fmt.Sprintf("%d bytes cut at %d", n, at)
	case 2:
		junk := make([]byte, 1+rng.Intn(16))
		rng.Read(junk)
		return append(b[:at], append(junk, b[at:]...)...), fmt.Sprintf("%d random bytes put in at %d", len(junk), at)
	case 3:
		n := min(1+rng.Intn(512), len(b)-at)
		chunk := append([]byte(nil), b[at:at+n]...)
		return append(b[:at+n], append(chunk, b[at+n:]...)...), fmt.Sprintf("%d bytes at %d repeated", n, at)
	}
	return b[:at], fmt.Sprintf("cut off at %d", at)
}

// A corrupted capture, in any input form and any output format, never
// makes decode panic: it decodes (a corruption can leave valid data), or
// it exits 1 with one line naming the input, and the error is a
// *decodeError saying where. The protocol view gets the capture with
// every kind of message and binary values; the formats that assemble
// transactions get one they render whole (text values, no two-phase).
func TestDecodeCorruptedInput(t *testing.T) {
	cases := []struct {
		file string
		out  []string
	}{
		{shippedCapture, []string{"--format", "messages"}},
		{"../../testdata/pgoutput/pg17/v4-parallel.txt", []string{"--format", "pgwal"}},
		{"../../testdata/pgoutput/pg17/v4-parallel.txt", []string{"--format", "wal2json", "-o", "format-version=2", "-o", "include-xids=1"}},
		{"../../testdata/pgoutput/pg16/v2-stream.txt", []string{"--format", "wal2json", "-o", "include-lsn=1"}},
	}
	perForm := 100
	if testing.Short() {
		perForm = 20
	}
	rng := rand.New(rand.NewSource(1))
	for _, tc := range cases {
		for _, f := range inputForms(t, tc.file) {
			out := tc.out
			args := append(append([]string{"decode"}, f.args...), out...)
			if code, stderr := runBytes(args, f.data); code != 0 {
				t.Fatalf("%s %s, uncorrupted: exit %d: %s", tc.file, f.name, code, stderr)
			}
			corruptRuns(t, rng, f, out, perForm)
		}
	}
}

func runBytes(args []string, in []byte) (int, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, bytes.NewReader(in), &stdout, &stderr)
	return code, stderr.String()
}

// corruptRuns decodes n corruptions of f with the output flags out.
func corruptRuns(t *testing.T, rng *rand.Rand, f inputForm, out []string, n int) {
	t.Helper()
	failures := 0
	for i := 0; i < n; i++ {
		data, what := corrupt(rng, f.data)
		args := append(append([]string{"decode"}, f.args...), out...)
		var stdout, stderr bytes.Buffer
		code := run(args, bytes.NewReader(data), &stdout, &stderr)
		msg := strings.TrimSuffix(stderr.String(), "\n")
		switch code {
		case 0:
			if msg != "" {
				t.Errorf("%s, %s, %v: exit 0 with %q", f.name, what, out, msg)
			}
			continue
		case 1:
		default:
			t.Errorf("%s, %s, %v: exit %d: %s", f.name, what, out, code, msg)
			continue
		}
		failures++
		if !strings.HasPrefix(msg, "pgwal decode: -") || strings.Contains(msg, "\n") {
			t.Errorf("%s, %s, %v: want one line naming the input, got %q", f.name, what, out, msg)
		}
		o := decodeOptions{format: "auto", output: out[1]}
		if len(f.args) == 2 {
			o.format = f.args[1]
		}
		for j := 2; j+1 < len(out); j += 2 {
			name, value, _ := strings.Cut(out[j+1], "=")
			o.options = append(o.options, pluginOption{Name: name, Value: value, HasValue: true})
		}
		err := decodeStream("-", bytes.NewReader(data), o, &bytes.Buffer{})
		var de *decodeError
		if !errors.As(err, &de) {
			t.Errorf("%s, %s, %v: error %T is not a *decodeError: %v", f.name, what, out, err, err)
		}
	}
	// Most corruptions must be caught, or the test proves little.
	t.Logf("%s %v: %d of %d corruptions were errors", f.name, out, failures, n)
	if failures < n/2 {
		t.Errorf("%s %v: only %d of %d corruptions were errors", f.name, out, failures, n)
	}
}
