package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// genInput is an io.Reader that makes up a session of the given size in
// one of decode's input forms, transaction after transaction, without
// holding it: a Relation, then Begin, Insert, Commit repeated, each at a
// growing LSN. sample, when set, is called after every sampleEvery bytes.
type genInput struct {
	form        string // "v1", "v2", "hex" or "wire"
	size        int64  // stop at the first transaction boundary past it
	sample      func()
	sampleEvery int64

	n, sampled int64
	txns       int
	buf        []byte
	pending    []byte
	started    bool
	msg        []byte
}

const genFiller = "a row of the generated session, long enough to look like a real one: 名前 naïve"

func (g *genInput) Read(p []byte) (int, error) {
	for len(g.pending) == 0 {
		if g.n >= g.size {
			return 0, io.EOF
		}
		g.buf = g.buf[:0]
		if !g.started {
			g.started = true
			g.buf = g.header(g.buf)
			g.buf = g.message(g.buf, rel, 0)
		}
		g.txns++
		at := lsn.LSN(0x1000000 + uint64(g.txns)*0x100)
		xid := uint32(1000 + g.txns)
		g.buf = g.message(g.buf, &codec.Begin{FinalLSN: at + 0x80, CommitTime: lsn.Timestamp(g.txns), Xid: xid}, at)
		g.buf = g.message(g.buf, &codec.Insert{RelationID: rel.RelationID, New: codec.Tuple{
			{Kind: codec.ColumnText, Data: strconv.AppendInt(nil, int64(g.txns), 10)},
			{Kind: codec.ColumnText, Data: []byte(genFiller)},
		}}, at+0x40)
		g.buf = g.message(g.buf, &codec.Commit{CommitLSN: at + 0x80, EndLSN: at + 0xb0, CommitTime: lsn.Timestamp(g.txns)}, at+0xb0)
		g.pending = g.buf
	}
	k := copy(p, g.pending)
	g.pending = g.pending[k:]
	g.n += int64(k)
	if g.sample != nil && g.n-g.sampled >= g.sampleEvery {
		g.sampled = g.n
		g.sample()
	}
	return k, nil
}

func (g *genInput) header(b []byte) []byte {
	switch g.form {
	case "v1":
		return append(b, "# pgwal capture v1\n# proto_version: 1\n# streaming: off\n"...)
	case "v2":
		return append(b, "# pgwal capture v2\n# proto_version: 1\n# streaming: off\n\n"...)
	}
	return b
}

// message appends m at WAL position at in the input's form.
func (g *genInput) message(b []byte, m codec.Message, at lsn.LSN) []byte {
	g.msg = codec.AppendMessage(g.msg[:0], m)
	switch g.form {
	case "v1":
		b = fmt.Appendf(b, "%s 0 ", at)
		return appendHexLine(b, g.msg)
	case "hex":
		return appendHexLine(b, g.msg)
	}
	// v2 records and wire messages are both backend CopyData messages.
	x := codec.AppendXLogDataHeader(nil, at, at, 1)
	return append(b, backend('d', append(x, g.msg...))...)
}

func appendHexLine(b, msg []byte) []byte {
	n := len(b)
	b = append(b, make([]byte, hex.EncodedLen(len(msg)))...)
	hex.Encode(b[n:], msg)
	return append(b, '\n')
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// lineCounter counts the lines written to it.
type lineCounter struct{ lines int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines += int64(bytes.Count(p, []byte{'\n'}))
	return len(p), nil
}

// pgwal decode reads its input as it goes: decoding 256 MiB of a v2
// capture, and 96 MiB of each other input form, all fed through stdin,
// never has more than a few MiB on the heap (reading the input whole
// took twice its size).
func TestDecodeStreamsLargeInput(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 640 MiB")
	}
	const bound = 16 << 20
	messages := func(n int) int64 { return 1 + 3*int64(n) } // Relation, then B I C
	for _, tc := range []struct {
		form string
		size int64
		args []string
		// lines is how many lines txns transactions print.
		lines func(txns int) int64
	}{
		{"v2", 256 << 20, nil, messages},
		{"v1", 96 << 20, nil, messages},
		{"hex", 96 << 20, []string{"--input", "hex"}, messages},
		{"wire", 96 << 20, []string{"--input", "wire"}, messages},
		// wal2json's format 2 prints B, I, C: no line for the Relation.
		{"v2", 96 << 20, []string{"--format", "wal2json", "-o", "format-version=2"}, func(n int) int64 { return 3 * int64(n) }},
	} {
		t.Run(fmt.Sprint(tc.form, tc.args), func(t *testing.T) {
			var peak uint64
			var ms runtime.MemStats
			sample := func() {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
			runtime.GC()
			g := &genInput{form: tc.form, size: tc.size, sample: sample, sampleEvery: 2 << 20}
			var out lineCounter
			var errb bytes.Buffer
			code := run(append([]string{"decode"}, tc.args...), g, &out, &errb)
			sample()
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if g.n < tc.size {
				t.Fatalf("decode read %d of the %d bytes", g.n, tc.size)
			}
			if want := tc.lines(g.txns); out.lines != want {
				t.Errorf("%d transactions printed %d lines, want %d", g.txns, out.lines, want)
			}
			t.Logf("%d MiB, %d transactions: peak heap %.1f MiB", g.n>>20, g.txns, float64(peak)/(1<<20))
			if peak > bound {
				t.Errorf("peak heap %.1f MiB decoding %d MiB, want under %d MiB", float64(peak)/(1<<20), g.n>>20, bound>>20)
			}
		})
	}
}

// BenchmarkDecode is decode's throughput per input form, output discarded;
// the input is made up beforehand, so only decoding is measured.
func BenchmarkDecode(b *testing.B) {
	const size = 32 << 20
	for _, tc := range []struct {
		form string
		args []string
	}{
		{"v1", nil},
		{"v2", nil},
		{"hex", []string{"--input", "hex"}},
		{"wire", []string{"--input", "wire"}},
		{"v2-wal2json", []string{"--format", "wal2json", "-o", "format-version=2"}},
	} {
		b.Run(tc.form, func(b *testing.B) {
			form := tc.form
			if form == "v2-wal2json" {
				form = "v2"
			}
			data, err := io.ReadAll(&genInput{form: form, size: size})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				if code := run(append([]string{"decode"}, tc.args...), bytes.NewReader(data), io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			// CPU time, unlike wall time, holds still on a shared machine.
			cpu := (cpuTime() - cpu0).Seconds()
			b.ReportMetric(float64(len(data))*float64(b.N)/(1<<20)/cpu, "MiB/cpu-s")
		})
	}
}
