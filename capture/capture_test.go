package capture_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pgwal/pgwal/capture"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

func corpusFiles(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob("../testdata/pgoutput/pg*/*.txt")
	if len(files) == 0 {
		t.Fatal("no captures in testdata/pgoutput")
	}
	return files
}

// line is a v1 data line as the corpus documents it, parsed without the
// package under test.
type line struct {
	no   int
	lsn  lsn.LSN
	xid  uint32
	data []byte
}

func refParseV1(t *testing.T, raw []byte) (map[string]string, []line) {
	t.Helper()
	header := map[string]string{}
	var lines []line
	for i, l := range strings.Split(string(raw), "\n") {
		l = strings.TrimRight(l, "\r")
		if i == 0 || l == "" {
			continue
		}
		if strings.HasPrefix(l, "#") {
			if k, v, ok := strings.Cut(l[1:], ":"); ok && len(lines) == 0 {
				header[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			continue
		}
		f := strings.Fields(l)
		p, err := lsn.Parse(f[0])
		if err != nil {
			t.Fatal(err)
		}
		x, _ := strconv.ParseUint(f[1], 10, 32)
		d, err := hex.DecodeString(f[2])
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line{i + 1, p, uint32(x), d})
	}
	return header, lines
}

// readAll reads every record, copying what it keeps.
func readAll(t testing.TB, r *capture.Reader) (payloads [][]byte, recs []capture.Record) {
	t.Helper()
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return payloads, recs
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		payloads = append(payloads, append([]byte(nil), rec.Payload()...))
		c := *rec
		c.XLogData.Data = append([]byte(nil), rec.XLogData.Data...)
		recs = append(recs, c)
	}
}

// Every v1 file of the corpus reads byte-exactly: header keys, line
// numbers, positions, xids and message bytes.
func TestReadCorpusV1(t *testing.T) {
	for _, name := range corpusFiles(t) {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		wantHeader, want := refParseV1(t, raw)
		r, err := capture.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Version() != 1 {
			t.Fatalf("%s: version %d", name, r.Version())
		}
		if diff := cmp.Diff(wantHeader, map[string]string(r.Header())); diff != "" {
			t.Fatalf("%s: header (-want +got):\n%s", name, diff)
		}
		_, recs := readAll(t, r)
		if len(recs) != len(want) {
			t.Fatalf("%s: %d records, want %d", name, len(recs), len(want))
		}
		for i, rec := range recs {
			w := want[i]
			if rec.Line != w.no || rec.Num != i+1 || rec.Kind != capture.KindXLogData || rec.XLogData.WALStart != w.lsn ||
				rec.XLogData.WALEnd != w.lsn || rec.Xid != w.xid || !bytes.Equal(rec.XLogData.Data, w.data) {
				t.Fatalf("%s: record %d = line %d %v %d %x, want line %d %v %d %x", name, i+1,
					rec.Line, rec.XLogData.WALStart, rec.Xid, rec.XLogData.Data, w.no, w.lsn, w.xid, w.data)
			}
		}
	}
}

// A v1 file converted to v2 reads back with the same header and payloads,
// and the v2 bytes after the header are a plain stream of CopyData
// messages.
func TestConvertCorpusToV2(t *testing.T) {
	for _, name := range corpusFiles(t) {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		r1, err := capture.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		p1, _ := readAll(t, r1)
		f.Close()
		var buf bytes.Buffer
		w, err := capture.NewWriter(&buf, r1.Header())
		if err != nil {
			t.Fatalf("%s: NewWriter: %v", name, err)
		}
		for _, p := range p1 {
			if err := w.WriteCopyData(p); err != nil {
				t.Fatal(err)
			}
		}
		if w.Records() != len(p1) || w.Offset() != int64(buf.Len()) {
			t.Errorf("Records %d Offset %d, want %d %d", w.Records(), w.Offset(), len(p1), buf.Len())
		}
		r2, err := capture.NewReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("%s: v2: %v", name, err)
		}
		if r2.Version() != 2 {
			t.Fatalf("version %d", r2.Version())
		}
		if diff := cmp.Diff(r1.Header(), r2.Header()); diff != "" {
			t.Fatalf("%s: header (-v1 +v2):\n%s", name, diff)
		}
		p2, recs := readAll(t, r2)
		if diff := cmp.Diff(p1, p2); diff != "" {
			t.Fatalf("%s: payloads differ", name)
		}
		_, body, _ := bytes.Cut(buf.Bytes(), []byte("\n\n"))
		if off := int64(buf.Len() - len(body)); recs[0].Offset != off {
			t.Errorf("first record at offset %d, want %d", recs[0].Offset, off)
		}
		for _, p := range p2 {
			if body[0] != 'd' || !bytes.Equal(body[5:5+len(p)], p) {
				t.Fatalf("%s: record section is not CopyData messages", name)
			}
			body = body[5+len(p):]
		}
	}
}

func TestRoundTripV2(t *testing.T) {
	h := capture.Header{capture.KeyServerVersion: "18.4", capture.KeySlot: "app", "source": "test", "empty": ""}
	h.SetDecoderOptions(codec.Options{ProtoVersion: 4, Streaming: codec.StreamingParallel})
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	begin := codec.AppendMessage(nil, &codec.Begin{FinalLSN: 0x2000, CommitTime: 7, Xid: 9})
	xs := []codec.XLogData{
		{WALStart: 0x1000, WALEnd: 0x1000, ServerTime: 11, Data: begin},
		{WALStart: 0x1008, WALEnd: 0x1010, ServerTime: 12}, // empty payload
	}
	ka := codec.PrimaryKeepalive{WALEnd: 0x3000, ServerTime: 13, ReplyRequested: true}
	ps := codec.PrimaryStatusUpdate{WriteLSN: 0x4000, OldestXidInCommit: 1, NextXid: 2, ServerTime: 14}
	for _, err := range []error{
		w.WriteXLogData(&xs[0]), w.WriteKeepalive(&ka), w.WriteXLogData(&xs[1]),
		w.WriteCopyData(codec.AppendPrimaryStatusUpdate(nil, &ps)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	wantHead := "# pgwal capture v2\n# server_version: 18.4\n# proto_version: 4\n# streaming: parallel\n# slot_name: app\n# empty: \n# source: test\n\n"
	if !strings.HasPrefix(buf.String(), wantHead) {
		t.Fatalf("header:\n%s", buf.String()[:len(wantHead)])
	}
	r, err := capture.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(h, r.Header()); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if opts, _ := r.Header().DecoderOptions(); opts.ProtoVersion != 4 || opts.Streaming != codec.StreamingParallel || r.Header().Slot() != "app" || r.Header().ServerVersion() != "18.4" {
		t.Errorf("helpers: %+v %q %q", opts, r.Header().Slot(), r.Header().ServerVersion())
	}
	_, recs := readAll(t, r)
	kinds := []capture.Kind{capture.KindXLogData, capture.KindKeepalive, capture.KindXLogData, capture.KindPrimaryStatus}
	if len(recs) != 4 {
		t.Fatalf("%d records", len(recs))
	}
	for i, rec := range recs {
		if rec.Kind != kinds[i] || rec.Num != i+1 || rec.Line != 0 {
			t.Errorf("record %d: %v num %d line %d", i, rec.Kind, rec.Num, rec.Line)
		}
	}
	x0, x1 := recs[0].XLogData, recs[2].XLogData
	if x0.WALStart != 0x1000 || x0.ServerTime != 11 || !bytes.Equal(x0.Data, begin) || x1.WALEnd != 0x1010 || len(x1.Data) != 0 {
		t.Errorf("XLogData %+v %+v", x0, x1)
	}
	if recs[1].Keepalive != ka || recs[3].PrimaryStatus != ps {
		t.Errorf("keepalive %+v status %+v", recs[1].Keepalive, recs[3].PrimaryStatus)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the end: %v", err)
	}
}

func v2(body ...[]byte) []byte {
	b := []byte("# pgwal capture v2\n# proto_version: 2\n\n")
	for _, p := range body {
		b = append(b, p...)
	}
	return b
}

func copyData(p []byte) []byte {
	return append([]byte{'d', 0, 0, 0, byte(4 + len(p))}, p...)
}

var keepalive = codec.AppendPrimaryKeepalive(nil, &codec.PrimaryKeepalive{WALEnd: 5})

func TestReaderErrors(t *testing.T) {
	cases := []struct {
		name     string
		in       []byte
		sentinel error
		record   int
		offset   int64
		line     int
		text     string
	}{
		{"empty", nil, capture.ErrNotCapture, 0, 0, 1, "empty input"},
		{"not a capture", []byte("hello\n"), capture.ErrNotCapture, 0, 0, 1, "line 1"},
		{"raw wire", copyData(keepalive), capture.ErrNotCapture, 0, 0, 1, ""},
		{"future version", []byte("# pgwal capture v3\n"), capture.ErrVersion, 0, 0, 1, `"# pgwal capture v3"`},
		{"v1 bad proto", []byte("# pgwal capture v1\n# proto_version: 9\n"), capture.ErrHeader, 0, 19, 2, `proto_version "9"`},
		{"v1 bad streaming", []byte("# pgwal capture v1\n# streaming: sometimes\n"), capture.ErrHeader, 0, 19, 2, `streaming "sometimes"`},
		{"v1 fields", []byte("# pgwal capture v1\n0/0 1\n"), capture.ErrRecord, 1, 19, 2, "got 2 fields"},
		{"v1 lsn", []byte("# pgwal capture v1\n\n0/0/0 1 42\n"), capture.ErrRecord, 1, 20, 3, "line 3"},
		{"v1 xid", []byte("# pgwal capture v1\n0/0 -1 42\n"), capture.ErrRecord, 1, 19, 2, "xid"},
		{"v1 hex", []byte("# pgwal capture v1\n0/0 1 4\n"), capture.ErrRecord, 1, 19, 2, "hex"},
		{"v1 second line", []byte("# pgwal capture v1\n0/0 1 42\n# late: ignored\n0/0 1 4g\n"), capture.ErrRecord, 2, 44, 4, "line 4"},
		{"v2 no end of header", []byte("# pgwal capture v2\n# a: b\n"), capture.ErrTruncated, 0, 26, 3, ""},
		{"v2 header without colon", []byte("# pgwal capture v2\n# ab\n\n"), capture.ErrHeader, 0, 19, 2, "no ':'"},
		{"v2 header not a comment", []byte("# pgwal capture v2\nab: c\n\n"), capture.ErrHeader, 0, 19, 2, ""},
		{"v2 header duplicate", []byte("# pgwal capture v2\n# a: b\n# a: c\n\n"), capture.ErrHeader, 0, 26, 3, "twice"},
		{"v2 header bad key", []byte("# pgwal capture v2\n# a b: c\n\n"), capture.ErrHeader, 0, 19, 2, "key"},
		{"v2 header bad proto", []byte("# pgwal capture v2\n# proto_version: x\n\n"), capture.ErrHeader, 0, 38, 3, "proto_version"},
		{"v2 header cut", v2([]byte{'d', 0, 0}), capture.ErrTruncated, 1, 39, 0, "3 of the 5"},
		{"v2 payload cut", v2(copyData(keepalive)[:10]), capture.ErrTruncated, 1, 39, 0, "5 of 18"},
		{"v2 second record", v2(copyData(keepalive), []byte{'E', 0, 0, 0, 4}), capture.ErrRecord, 2, 39 + 23, 0, "record 2 at byte offset 62"},
		{"v2 short length", v2([]byte{'d', 0, 0, 0, 3}), capture.ErrRecord, 1, 39, 0, "length 3"},
		{"v2 hostile length", v2([]byte{'d', 0xff, 0xff, 0xff, 0xff, 'w'}), capture.ErrTooLarge, 1, 39, 0, ""},
		{"v2 bad keepalive", v2(copyData(keepalive[:17])), capture.ErrRecord, 1, 39, 0, "Keepalive"},
		{"v2 unknown sub-message", v2(copyData([]byte{'r', 1})), capture.ErrRecord, 1, 39, 0, ""},
		{"v2 empty payload", v2(copyData(nil)), capture.ErrRecord, 1, 39, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := capture.NewReader(bytes.NewReader(tc.in))
			if err == nil {
				for {
					if _, err = r.Next(); err != nil {
						break
					}
				}
				if _, again := r.Next(); again != err {
					t.Errorf("second Next: %v, want the same error", again)
				}
			}
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("error %v, want %v", err, tc.sentinel)
			}
			var ce *capture.Error
			if !errors.As(err, &ce) {
				t.Fatalf("%T is not a *capture.Error", err)
			}
			if ce.Record != tc.record || ce.Offset != tc.offset || ce.Line != tc.line {
				t.Errorf("record %d offset %d line %d, want %d %d %d (%v)", ce.Record, ce.Offset, ce.Line, tc.record, tc.offset, tc.line, err)
			}
			if !strings.Contains(err.Error(), tc.text) || !strings.HasPrefix(err.Error(), "capture: ") {
				t.Errorf("%q does not contain %q", err, tc.text)
			}
		})
	}
}

// A bad payload's error carries the codec's own error too.
func TestReaderErrorWrapsCodec(t *testing.T) {
	r, err := capture.NewReader(bytes.NewReader(v2(copyData([]byte{'w', 1, 2}))))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	var de *codec.DecodeError
	if !errors.As(err, &de) || !errors.Is(err, codec.ErrTruncated) || !errors.Is(err, capture.ErrRecord) {
		t.Fatalf("%v: want a codec.DecodeError inside ErrRecord", err)
	}
}

func TestMaxRecordSize(t *testing.T) {
	big := codec.AppendXLogData(nil, &codec.XLogData{Data: make([]byte, 200)})
	in := v2(append([]byte{'d', 0, 0, 0, 0}, big...))
	in[len(in)-len(big)-1] = byte(4 + len(big))
	for _, limit := range []int{0, len(big)} {
		r, _ := capture.NewReader(bytes.NewReader(in))
		r.SetMaxRecordSize(limit)
		if rec, err := r.Next(); err != nil || len(rec.XLogData.Data) != 200 {
			t.Fatalf("limit %d: %v", limit, err)
		}
	}
	r, _ := capture.NewReader(bytes.NewReader(in))
	r.SetMaxRecordSize(len(big) - 1)
	if _, err := r.Next(); !errors.Is(err, capture.ErrTooLarge) {
		t.Fatalf("limit below the record: %v", err)
	}
	// The same in text.
	text := "# pgwal capture v1\n0/0 0 " + hex.EncodeToString(make([]byte, 200)) + "\n"
	r, _ = capture.NewReader(strings.NewReader(text))
	r.SetMaxRecordSize(100)
	if _, err := r.Next(); !errors.Is(err, capture.ErrTooLarge) {
		t.Fatalf("v1 limit: %v", err)
	}
}

// A record that claims a gigabyte and delivers a few bytes costs a few
// bytes of memory.
func TestHostileLengthDoesNotAllocate(t *testing.T) {
	in := v2([]byte{'d', 0x40, 0, 0, 0}, codec.AppendXLogDataHeader(nil, 1, 1, 1), make([]byte, 1000))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := capture.NewReader(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, capture.ErrTruncated) {
		t.Fatalf("error %v, want ErrTruncated", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("allocated %d bytes for a %d-byte input", n, len(in))
	}
}

// Reading a v2 file allocates nothing per record once the buffer has
// grown.
func TestNextAllocations(t *testing.T) {
	var buf bytes.Buffer
	w, _ := capture.NewWriter(&buf, capture.Header{})
	x := codec.XLogData{WALStart: 1, Data: make([]byte, 300)}
	for i := 0; i < 1000; i++ {
		w.WriteXLogData(&x)
	}
	r, _ := capture.NewReader(bytes.NewReader(buf.Bytes()))
	r.Next()
	if n := testing.AllocsPerRun(500, func() {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per record", n)
	}
}

func TestWriterErrors(t *testing.T) {
	for _, h := range []capture.Header{
		{"": "x"}, {"a b": "x"}, {"-a": "x"}, {"a:b": "x"}, {"a": "two\nlines"}, {"a": " padded"},
		{capture.KeyProtoVersion: "5"}, {capture.KeyStreaming: "maybe"},
	} {
		var buf bytes.Buffer
		if _, err := capture.NewWriter(&buf, h); !errors.Is(err, capture.ErrHeader) || buf.Len() != 0 {
			t.Errorf("header %q: error %v, %d bytes written", h, err, buf.Len())
		}
	}
	var buf bytes.Buffer
	w, _ := capture.NewWriter(&buf, capture.Header{})
	n := buf.Len()
	for _, p := range [][]byte{nil, {'r'}, {'w', 1}, keepalive[:10]} {
		if err := w.WriteCopyData(p); !errors.Is(err, capture.ErrRecord) {
			t.Errorf("WriteCopyData(%x): %v", p, err)
		}
	}
	if buf.Len() != n || w.Records() != 0 {
		t.Errorf("bad records were written")
	}
	// A write error sticks.
	fw := &failWriter{after: 1}
	w, err := capture.NewWriter(fw, capture.Header{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteKeepalive(&codec.PrimaryKeepalive{}); err == nil || w.WriteKeepalive(&codec.PrimaryKeepalive{}) != err {
		t.Errorf("write error not sticky: %v", err)
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(b []byte) (int, error) {
	if f.after == 0 {
		return 0, errors.New("disk full")
	}
	f.after--
	return len(b), nil
}

// v1 details kept from the corpus reader: CRLF line ends, blank lines,
// header keys only before the first data line, a last line without a
// newline, and a header value validated where it appears.
func TestReadV1Details(t *testing.T) {
	in := "# pgwal capture v1\r\n# proto_version: 2\r\n# note without colon\n\n#k:  v  \n0/10 7 45\r\n# late: no\n\n0/20 8 45"
	r, err := capture.NewReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(capture.Header{"proto_version": "2", "k": "v"}, r.Header()); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	_, recs := readAll(t, r)
	if len(recs) != 2 || recs[0].Line != 6 || recs[1].Line != 9 || recs[1].XLogData.WALStart != 0x20 || recs[1].Xid != 8 {
		t.Fatalf("records %+v", recs)
	}
	if recs[0].Offset != int64(strings.Index(in, "0/10")) || recs[1].Offset != int64(strings.Index(in, "0/20")) {
		t.Errorf("offsets %d %d", recs[0].Offset, recs[1].Offset)
	}
	// A header only.
	r, err = capture.NewReader(strings.NewReader("# pgwal capture v1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("header-only file: %v", err)
	}
}
