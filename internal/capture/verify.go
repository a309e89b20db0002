package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/workload"
)

// capture is a parsed capture file.
type capture struct {
	Header map[string]string
	Rows   []row
}

type row struct {
	Line int
	LSN  string
	Xid  string
	Data []byte
}

func readCapture(path string) (*capture, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := &capture{Header: map[string]string{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 64<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if n == 1 {
				if line != "# pgwal capture v1" {
					return nil, fmt.Errorf("%s:1: not a pgwal capture v1 file", path)
				}
				continue
			}
			k, v, ok := strings.Cut(strings.TrimPrefix(line, "#"), ":")
			if ok {
				c.Header[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: want <lsn> <xid> <hex>", path, n)
		}
		data, err := hex.DecodeString(f[2])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		c.Rows = append(c.Rows, row{Line: n, LSN: f[0], Xid: f[1], Data: data})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	return c, nil
}

// options returns the decoder options the header describes.
func (c *capture) options() (codec.Options, error) {
	p, err := strconv.Atoi(c.Header["proto_version"])
	if err != nil || p < 1 || p > 4 {
		return codec.Options{}, fmt.Errorf("bad proto_version header %q", c.Header["proto_version"])
	}
	o := codec.Options{ProtoVersion: p}
	switch c.Header["streaming"] {
	case "off":
		o.Streaming = codec.StreamingOff
	case "on":
		o.Streaming = codec.StreamingOn
	case "parallel":
		o.Streaming = codec.StreamingParallel
	default:
		return o, fmt.Errorf("bad streaming header %q", c.Header["streaming"])
	}
	return o, nil
}

// stats counts what a capture holds.
type stats struct {
	Types        map[byte]int
	Tuple        map[byte]int // column kinds n u t b, old-tuple kinds K O
	InStream     int          // row-level messages with an xid prefix
	SubAbort     int          // Stream Abort with SubXid != Xid
	TopAbort     int          // Stream Abort with SubXid == Xid
	ParAbort     int          // Stream Abort in the parallel (25-byte) form
	LaterSegment int          // Stream Start with FirstSegment false
}

// verifyCapture decodes every message with one Decoder, re-encodes it and
// requires identical bytes, then checks the expect headers.
func verifyCapture(path string) (*stats, error) {
	c, err := readCapture(path)
	if err != nil {
		return nil, err
	}
	opts, err := c.options()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	st := &stats{Types: map[byte]int{}, Tuple: map[byte]int{}}
	d := codec.NewDecoder(opts)
	// A second decoder with zero Options (any protocol version, Stream
	// Abort form told apart by length) must decode the same bytes.
	auto := codec.NewDecoder(codec.Options{})
	var buf []byte
	var errs []string
	fail := func(format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	for _, r := range c.Rows {
		if am, err := auto.Decode(r.Data); err != nil {
			fail("%s:%d: decode with zero Options: %v\n  bytes: %x", path, r.Line, err, r.Data)
		} else if b := codec.AppendMessage(nil, am); !bytes.Equal(b, r.Data) {
			fail("%s:%d: re-encoded %T (zero Options) differs\n  captured:   %x\n  re-encoded: %x", path, r.Line, am, r.Data, b)
		}
		m, err := d.Decode(r.Data)
		if err != nil {
			fail("%s:%d: decode: %v\n  bytes: %x", path, r.Line, err, r.Data)
			continue
		}
		buf = codec.AppendMessage(buf[:0], m)
		if !bytes.Equal(buf, r.Data) {
			fail("%s:%d: re-encoded %T differs\n  captured:   %x\n  re-encoded: %x", path, r.Line, m, r.Data, buf)
		}
		st.Types[byte(m.MessageType())]++
		tuple := func(t codec.Tuple) {
			for _, col := range t {
				st.Tuple[byte(col.Kind)]++
			}
		}
		switch m := m.(type) {
		case *codec.Insert:
			tuple(m.New)
			if m.InStream {
				st.InStream++
			}
		case *codec.Update:
			if m.OldKind != codec.OldNone {
				st.Tuple[byte(m.OldKind)]++
				tuple(m.Old)
			}
			tuple(m.New)
			if m.InStream {
				st.InStream++
			}
		case *codec.Delete:
			st.Tuple[byte(m.OldKind)]++
			tuple(m.Old)
			if m.InStream {
				st.InStream++
			}
		case *codec.Relation:
			if m.InStream {
				st.InStream++
			}
		case *codec.Type:
			if m.InStream {
				st.InStream++
			}
		case *codec.Truncate:
			if m.InStream {
				st.InStream++
			}
		case *codec.LogicalMessage:
			if m.InStream {
				st.InStream++
			}
		case *codec.StreamStart:
			if !m.FirstSegment {
				st.LaterSegment++
			}
		case *codec.StreamAbort:
			if m.SubXid == m.Xid {
				st.TopAbort++
			} else {
				st.SubAbort++
			}
			if m.Parallel {
				st.ParAbort++
			}
			want := 9
			if opts.Streaming == codec.StreamingParallel {
				want = 25
			}
			if len(r.Data) != want || m.Parallel != (want == 25) {
				fail("%s:%d: Stream Abort is %d bytes (Parallel=%v), want %d", path, r.Line, len(r.Data), m.Parallel, want)
			}
		}
	}
	if d.InStream() {
		fail("%s: ends inside a stream block", path)
	}
	// exact message type set
	got := map[byte]bool{}
	for t := range st.Types {
		got[t] = true
	}
	want := map[byte]bool{}
	for _, f := range strings.Fields(c.Header["expect"]) {
		if len(f) != 1 {
			fail("%s: bad expect header %q", path, c.Header["expect"])
		}
		want[f[0]] = true
	}
	if len(want) == 0 {
		fail("%s: no expect header", path)
	}
	for t := range want {
		if !got[t] {
			fail("%s: expected message type %q (%v) is missing", path, t, codec.MessageType(t))
		}
	}
	for t := range got {
		if !want[t] {
			fail("%s: unexpected message type %q (%v)", path, t, codec.MessageType(t))
		}
	}
	// PostgreSQL 18 no longer streams a transaction that has already
	// aborted when the decoder reaches the memory limit (it checks the
	// transaction status first, except with
	// debug_logical_replication_streaming = immediate), and a peek always
	// decodes after the ROLLBACK: the workload's large aborted transaction
	// then yields no Stream Abort at all. Only the subtransaction abort
	// (its top-level transaction commits) is streamed.
	vnum, _ := strconv.Atoi(c.Header["server_version_num"])
	wantTopAbort := vnum < 180000 || c.Header["session"] != ""
	if opts.Streaming != codec.StreamingOff && got['A'] && (st.SubAbort == 0 || (wantTopAbort && st.TopAbort == 0)) {
		fail("%s: want Stream Aborts of a subtransaction and of a whole transaction, got %d and %d", path, st.SubAbort, st.TopAbort)
	}
	if opts.Streaming != codec.StreamingOff && st.InStream == 0 {
		fail("%s: no message with a stream xid prefix", path)
	}
	wantTuple := strings.Fields(c.Header["expect-tuple"])
	for _, f := range wantTuple {
		if st.Tuple[f[0]] == 0 {
			fail("%s: expected tuple kind %q is missing", path, f)
		}
	}
	if !strings.Contains(c.Header["options"], "binary 'true'") && st.Tuple['b'] > 0 {
		fail("%s: binary columns without the binary option", path)
	}
	if len(errs) > 0 {
		return st, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return st, nil
}

func (st *stats) String() string {
	var b strings.Builder
	n := 0
	for _, v := range st.Types {
		n += v
	}
	fmt.Fprintf(&b, "%4d msgs:", n)
	for i := 0; i < len(workload.TypeOrder); i++ {
		if c := st.Types[workload.TypeOrder[i]]; c > 0 {
			fmt.Fprintf(&b, " %c=%d", workload.TypeOrder[i], c)
		}
	}
	b.WriteString(" | tuple:")
	for _, k := range "nutbKO" {
		if c := st.Tuple[byte(k)]; c > 0 {
			fmt.Fprintf(&b, " %c=%d", k, c)
		}
	}
	if st.InStream > 0 || st.Types['A'] > 0 {
		fmt.Fprintf(&b, " | in-stream=%d later-seg=%d abort(top=%d sub=%d parallel=%d)",
			st.InStream, st.LaterSegment, st.TopAbort, st.SubAbort, st.ParAbort)
	}
	return b.String()
}

// verifyDir verifies every capture file of the given majors and prints a
// per-file summary.
func verifyDir(out string, majors []int) error {
	var failed []string
	total := int64(0)
	for _, v := range majors {
		files := captureFiles(filepath.Join(out, fmt.Sprintf("pg%d", v)))
		if len(files) == 0 {
			failed = append(failed, fmt.Sprintf("pg%d: no capture files in %s", v, out))
			continue
		}
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil {
				total += fi.Size()
			}
			st, err := verifyCapture(f)
			rel, _ := filepath.Rel(out, f)
			if err != nil {
				failed = append(failed, err.Error())
				fmt.Printf("FAIL %-27s\n", rel)
				continue
			}
			fmt.Printf("ok   %-27s %s\n", rel, st)
		}
	}
	fmt.Printf("total %d bytes\n", total)
	if len(failed) > 0 {
		return fmt.Errorf("verification failed:\n%s", strings.Join(failed, "\n"))
	}
	return nil
}

// captureFiles lists the peek (v*-*.txt) and live (live-v*-*.txt) captures
// in dir, sorted.
func captureFiles(dir string) []string {
	var files []string
	for _, pat := range []string{"v*-*.txt", "live-v*-*.txt"} {
		f, _ := filepath.Glob(filepath.Join(dir, pat))
		files = append(files, f...)
	}
	sort.Strings(files)
	return files
}
