package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/msgjson"
)

func runDecode(t *testing.T, stdin []byte, args ...string) (records []msgjson.Record, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"decode"}, args...), bytes.NewReader(stdin), &out, &errb)
	dec := json.NewDecoder(&out)
	for dec.More() {
		var r msgjson.Record
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("output is not JSON lines: %v", err)
		}
		records = append(records, r)
	}
	return records, errb.String(), code
}

func backend(typ byte, body []byte) []byte {
	b := []byte{typ}
	b = binary.BigEndian.AppendUint32(b, uint32(4+len(body)))
	return append(b, body...)
}

func copyData(m codec.Message, at uint64) []byte {
	x := codec.AppendXLogDataHeader(nil, 0, 0, 1)
	binary.BigEndian.PutUint64(x[1:], at)
	binary.BigEndian.PutUint64(x[9:], at)
	return backend('d', codec.AppendMessage(x, m))
}

var rel = &codec.Relation{RelationID: 16390, Namespace: []byte("app"), Name: []byte("people"), ReplicaIdentity: 'd',
	Columns: []codec.RelationColumn{{Flags: 1, Name: []byte("id"), TypeOID: 23, TypeMod: -1}, {Name: []byte("名前"), TypeOID: 25, TypeMod: -1}}}

func TestDecodeWire(t *testing.T) {
	var in []byte
	in = append(in, backend('W', []byte{0, 0, 0})...)
	in = append(in, copyData(&codec.Begin{FinalLSN: 0x100, CommitTime: 5, Xid: 9}, 0x50)...)
	in = append(in, copyData(rel, 0)...)
	in = append(in, copyData(&codec.Insert{RelationID: 16390, New: codec.Tuple{
		{Kind: codec.ColumnText, Data: []byte("1")}, {Kind: codec.ColumnBinary, Data: []byte{0xff}}}}, 0x60)...)
	in = append(in, backend('d', codec.AppendPrimaryKeepalive(nil, &codec.PrimaryKeepalive{WALEnd: 0x200, ReplyRequested: true}))...)
	in = append(in, backend('d', codec.AppendXLogDataHeader(nil, 0x70, 0x70, 1))...) // empty payload quirk
	in = append(in, copyData(&codec.Commit{CommitLSN: 0x100, EndLSN: 0x130, CommitTime: 5}, 0x130)...)
	in = append(in, backend('c', nil)...)
	in = append(in, backend('C', []byte("COPY 0\x00"))...)

	recs, stderr, code := runDecode(t, in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var types []string
	for _, r := range recs {
		types = append(types, r.Type)
	}
	want := []string{"CopyBothResponse", "Begin", "Relation", "Insert", "Primary Keepalive", "XLogData", "Commit", "CopyDone", "CommandComplete"}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Fatalf("types (-want +got):\n%s", diff)
	}
	ins := recs[3]
	if ins.LSN != "0/60" || ins.Relation != "app.people" || len(ins.New) != 2 ||
		ins.New[0].Name != "id" || string(ins.New[0].Value) != "1" || ins.New[1].Name != "名前" || *ins.New[1].ValueHex != "ff" || ins.New[1].Kind != "binary" {
		t.Errorf("insert record = %+v", ins)
	}
	if recs[2].LSN != "" {
		t.Errorf("Relation with header LSN 0 got lsn %q", recs[2].LSN)
	}
	if !recs[4].ReplyRequested || recs[4].WALEnd != "0/200" {
		t.Errorf("keepalive record = %+v", recs[4])
	}
}

func TestDecodeHexAndCapture(t *testing.T) {
	hexIn := "# a comment\n" + hex.EncodeToString(codec.AppendMessage(nil, rel)) + "\n" +
		"\n49 000040064e 0002 7400000001 31 6e\n"
	recs, stderr, code := runDecode(t, []byte(hexIn))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if len(recs) != 2 || recs[1].Relation != "app.people" || recs[1].New[1].Kind != "null" || recs[1].New[1].Name != "名前" {
		t.Fatalf("records = %+v", recs)
	}

	capture := "# pgwal capture v1\n# proto_version: 2\n# streaming: on\n" +
		"0/1000 741 53000002e501\n" +
		"0/1008 742 49000002e6000040064e00017400000001 31\n"
	capture = strings.Replace(capture, " 31\n", "31\n", 1)
	recs, stderr, code = runDecode(t, []byte(capture))
	if code != 0 {
		t.Fatalf("capture: exit %d: %s", code, stderr)
	}
	if len(recs) != 2 || recs[0].Type != "Stream Start" || !recs[1].InStream || recs[1].Xid != 742 || recs[1].LSN != "0/1008" {
		t.Fatalf("capture records = %+v", recs)
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		args []string
		want string
	}{
		{"bad hex", []byte("4g\n"), []string{"--input", "hex"}, "-:1: not hex"},
		{"codec error names line, field and offset", []byte("49000040064e0002\n"), nil, "-:1: codec: Insert ('I'): new tuple column count at offset 6"},
		{"wire header cut", []byte{'d', 0, 0}, []string{"--input", "wire"}, "byte offset 0 (message 1): truncated"},
		{"wire hostile length", backend('d', nil)[:1:1], []string{"--input", "wire"}, "byte offset 0"},
		{"wire length beyond input", []byte{'d', 0, 0, 1, 0, 'w'}, []string{"--input", "wire"}, "length 256 does not fit the 5 bytes left: input ends inside a record"},
		{"wire length beyond the limit", []byte{'d', 0x7f, 0xff, 0xff, 0xff, 'w'}, []string{"--input", "wire"}, "length 2147483647: record larger than the limit"},
		{"wire bad CopyData", backend('d', []byte{'w', 1, 2}), nil, "XLogData ('w'): WAL start at offset 1"},
		{"capture bad header", []byte("# pgwal capture v1\n# proto_version: 9\n"), nil, "proto_version \"9\""},
		{"capture bad line", []byte("# pgwal capture v1\n0/0 1\n"), nil, "-: capture: line 2: malformed record: want"},
		{"bad streaming flag", []byte("45\n"), []string{"-streaming", "sometimes"}, "-streaming \"sometimes\""},
		{"bad input flag", []byte("45\n"), []string{"--input", "xml"}, "--input \"xml\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runDecode(t, tc.in, tc.args...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.want)
			}
		})
	}
}

// Garbage in the wire format gives an error, never a panic.
func TestDecodeWireGarbage(t *testing.T) {
	var in []byte
	in = append(in, copyData(rel, 0)...)
	in = append(in, copyData(&codec.Insert{RelationID: 16390, New: codec.Tuple{{Kind: codec.ColumnText, Data: []byte("1")}, {Kind: codec.ColumnNull}}}, 1)...)
	for n := 0; n < len(in); n++ {
		cut := append([]byte(nil), in[:n]...)
		for i := range cut {
			flipped := append([]byte(nil), cut...)
			flipped[i] ^= 0x5a
			var out, errb bytes.Buffer
			run([]string{"decode", "--input", "wire"}, bytes.NewReader(flipped), &out, &errb)
		}
	}
}

func TestHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"decode", "-h"}, nil, &out, &errb); code != 0 {
		t.Fatalf("decode -h: exit %d", code)
	}
	if !strings.Contains(errb.String(), "Examples:") || !strings.Contains(errb.String(), "-input") {
		t.Errorf("decode -h shows no examples or flags:\n%s", errb.String())
	}
	out.Reset()
	if code := run([]string{"help"}, nil, &out, &errb); code != 0 || !strings.Contains(out.String(), "pgwal decode") {
		t.Errorf("help: exit %d, %q", code, out.String())
	}
	if code := run([]string{"frobnicate"}, nil, &out, &errb); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

// Error and notice responses in a wire stream show severity, SQLSTATE and
// message.
func TestDecodeWireErrorResponse(t *testing.T) {
	body := []byte("SFATAL\x00VFATAL\x00C57P01\x00Mterminating connection due to administrator command\x00\x00")
	recs, stderr, code := runDecode(t, backend('E', body), "--input", "wire")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "FATAL 57P01: terminating connection due to administrator command"
	if len(recs) != 1 || recs[0].Type != "ErrorResponse" || recs[0].Content == nil || *recs[0].Content != want {
		t.Fatalf("records = %+v, want one ErrorResponse %q", recs, want)
	}
}

// pgwal decode --format pgwal prints what pgwal stream prints, the same
// renderer's goldens (a text capture: no user type needs registering).
func TestDecodeFormatPgwal(t *testing.T) {
	for _, shape := range []struct {
		args   []string
		golden string
	}{
		{nil, "v2-stream.changes"},
		{[]string{"-o", "transactions"}, "v2-stream.transactions"},
	} {
		args := append([]string{"decode", "--format", "pgwal"}, shape.args...)
		code, out, stderr := runCmd(append(args, "../../testdata/pgoutput/pg17/v2-stream.txt")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		want, err := os.ReadFile("../../internal/changejson/testdata/" + shape.golden + ".golden.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(out, "\n")); d != "" {
			t.Errorf("%v (-golden +got):\n%s", args, d)
		}
	}
	// The old meaning of --format is pointed to --input.
	if code, _, stderr := runCmd("decode", "--format", "hex", "x"); code != 2 || !strings.Contains(stderr, "--input hex") {
		t.Errorf("--format hex: exit %d, %q", code, stderr)
	}
	// wal2json's shape from a capture, one object per line.
	code, out, stderr := runCmd("decode", "--format", "wal2json", "-o", "format-version=2", "-o", "include-xids=1", "../../testdata/pgoutput/pg17/v2-stream.txt")
	if code != 0 || !strings.HasPrefix(out, `{"action":"B","xid":`) {
		t.Fatalf("wal2json: exit %d: %s\n%.200s", code, stderr, out)
	}
}

// The input format is decided from as few bytes as tell it, so a pipe is
// decoded as it arrives; until then (ok false) more bytes are read.
func TestDetectPrefix(t *testing.T) {
	cases := []struct {
		in     string
		final  bool
		format string
		ok     bool
	}{
		{"# pgwal capture v2\n", false, "capture", true},
		{"# pgw", false, "", false},
		{"# pgw", true, "hex", true},
		{"# a comment", false, "hex", true},
		{"\n  # pgwal capture v1", false, "capture", true},
		{"4200", false, "", false},
		{"4200 00\r", false, "", false},
		{"4200 00\r\n", false, "hex", true},
		{"4200", true, "hex", true},
		{"d\x00", false, "wire", true},
		{"d", false, "", false},
		{"d", true, "hex", true},
		{"", false, "", false},
		{" \n", true, "wire", true},
		{"W\x00\x00\x00\x07", false, "wire", true},
		{"42\r00\n", false, "wire", true},
	}
	for _, tc := range cases {
		format, ok := detectPrefix([]byte(tc.in), tc.final)
		if ok != tc.ok || ok && format != tc.format {
			t.Errorf("detectPrefix(%q, %v) = %q, %v; want %q, %v", tc.in, tc.final, format, ok, tc.format, tc.ok)
		}
	}
}

// Standard input is decoded as it arrives: output comes out while the
// writer is still open (decode does not wait for the end to begin).
func TestDecodeReadsAsItArrives(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	out := &signalWriter{first: make(chan struct{})}
	done := make(chan int)
	var stderr bytes.Buffer
	go func() { done <- run([]string{"decode"}, pr, out, &stderr) }()
	const lines = 200 // more output than decode's output buffer holds
	line := "0/1000 741 " + hex.EncodeToString(codec.AppendMessage(nil, rel)) + "\n"
	if _, err := io.WriteString(pw, "# pgwal capture v1\n# proto_version: 1\n"+strings.Repeat(line, lines)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-out.first:
	case <-time.After(10 * time.Second):
		t.Fatal("no output 10 s after the input was written, the pipe still open")
	}
	pw.Close()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if n := strings.Count(out.String(), `"type":"Relation"`); n != lines {
		t.Errorf("%d Relation records, want %d", n, lines)
	}
}

// signalWriter keeps what is written, closing first at the first write.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() == 0 {
		close(w.first)
	}
	return w.buf.Write(p)
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
