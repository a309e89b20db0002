package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pgwal/pgwal/capture"
	"github.com/pgwal/pgwal/wire/wiretest"
)

// runCmd runs the tool and returns its exit code, output and errors.
func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// "pgwal capture" against a replayed session writes a v2 capture holding
// the session's messages byte for byte, and "pgwal decode" reads it back
// by itself (options from the header), the same as the raw stream in it.
func TestDecodeCapturedSession(t *testing.T) {
	const corpus = "../../testdata/pgoutput/pg18/live-v4-all.txt"
	srv := wiretest.NewServer(t, corpus, wiretest.HandleQuery(func(q string) (*wiretest.Result, error) {
		if strings.Contains(q, "pg_catalog.pg_publication") {
			return &wiretest.Result{Columns: []string{"p"}}, nil // none missing
		}
		return nil, nil
	}))
	want := srv.Recording().Payloads
	file := filepath.Join(t.TempDir(), "session.pgwal")
	code, _, stderr := runCmd("capture", "--dsn", srv.DSN(), "--slot", "app", "--publication", "pgwal_pub",
		"--streaming", "parallel", "--binary", "--limit", strconv.Itoa(len(want)), "-f", file)
	if code != 0 {
		t.Fatalf("capture: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "pgwal decode "+file) {
		t.Errorf("capture printed no decode command: %s", stderr)
	}

	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := capture.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	if r.Version() != 2 || h.ServerVersion() != "18.4" || h.Slot() != "app" || h[capture.KeyProtoVersion] != "4" ||
		h[capture.KeyStreaming] != "parallel" || h["publications"] != "pgwal_pub" || h["binary"] != "true" {
		t.Errorf("version %d, header %v", r.Version(), h)
	}
	for i, p := range want {
		rec, err := r.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		if !bytes.Equal(rec.Payload(), p) {
			t.Fatalf("record %d: %x, want %x", i+1, rec.Payload(), p)
		}
	}
	if _, err := r.Next(); err == nil {
		t.Errorf("more records than messages")
	}

	code, got, stderr := runCmd("decode", file)
	if code != 0 {
		t.Fatalf("decode: exit %d: %s", code, stderr)
	}
	if n := strings.Count(got, "\n"); n != len(want) {
		t.Errorf("decode printed %d records, want %d", n, len(want))
	}
	raw, _ := os.ReadFile(file)
	_, records, _ := bytes.Cut(raw, []byte("\n\n"))
	wireFile := filepath.Join(t.TempDir(), "records.bin")
	os.WriteFile(wireFile, records, 0o644)
	code, wireOut, stderr := runCmd("decode", "--input", "wire", "-proto", "4", "-streaming", "parallel", wireFile)
	if code != 0 || wireOut != got {
		t.Errorf("the record section as a raw stream decodes differently (exit %d, %s)", code, stderr)
	}
	// The v1 original decodes to the same messages.
	code, v1Out, _ := runCmd("decode", corpus)
	if code != 0 || strings.Count(v1Out, "\n") != len(want) {
		t.Errorf("v1 original: exit %d", code)
	}
}

func TestDecodeCaptureErrors(t *testing.T) {
	var buf bytes.Buffer
	w, _ := capture.NewWriter(&buf, capture.Header{capture.KeyProtoVersion: "1"})
	w.WriteCopyData([]byte{'k', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0})
	good := buf.Len()
	buf.Write([]byte{'d', 0, 0, 0, 30, 'w'})
	_, stderr, code := runDecode(t, buf.Bytes())
	if code != 1 || !strings.Contains(stderr, "-: capture: record 2 at byte offset "+strconv.Itoa(good)+": input ends inside a record") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	_, stderr, code = runDecode(t, []byte("# pgwal capture v7\n"))
	if code != 1 || !strings.Contains(stderr, "unsupported capture format version") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	// A bad pgoutput message inside a good record names the record.
	buf.Reset()
	w, _ = capture.NewWriter(&buf, capture.Header{})
	w.WriteCopyData(append(make([]byte, 0, 26), 'w', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'Z'))
	recs, stderr, code := runDecode(t, buf.Bytes())
	if code != 1 || len(recs) != 0 || !strings.Contains(stderr, "record 1 at byte offset") || !strings.Contains(stderr, "unknown message type") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
