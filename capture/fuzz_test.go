package capture_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/pgwal/pgwal/capture"
	"github.com/pgwal/pgwal/codec"
)

// FuzzCaptureReader reads arbitrary bytes as a capture. It must never
// panic or loop; whatever reads cleanly must survive a round trip through
// the v2 writer unchanged.
func FuzzCaptureReader(f *testing.F) {
	for _, name := range []string{"../testdata/pgoutput/pg18/live-v4-all.txt", "../testdata/pgoutput/pg14/v2-stream.txt"} {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw[:min(len(raw), 4<<10)])
		r, err := capture.NewReader(bytes.NewReader(raw))
		if err != nil {
			f.Fatal(err)
		}
		var v2 bytes.Buffer
		w, _ := capture.NewWriter(&v2, r.Header())
		for i := 0; i < 20; i++ {
			rec, err := r.Next()
			if err != nil {
				break
			}
			w.WriteCopyData(rec.Payload())
		}
		f.Add(v2.Bytes())
	}
	var v2 bytes.Buffer
	w, _ := capture.NewWriter(&v2, capture.Header{capture.KeyServerVersion: "19.0"})
	w.WriteKeepalive(&codec.PrimaryKeepalive{WALEnd: 9, ReplyRequested: true})
	w.WriteCopyData(codec.AppendPrimaryStatusUpdate(nil, &codec.PrimaryStatusUpdate{WriteLSN: 1}))
	w.WriteXLogData(&codec.XLogData{WALStart: 3})
	f.Add(v2.Bytes())
	f.Add([]byte("# pgwal capture v2\n\nd\xff\xff\xff\xffw"))
	f.Add([]byte("# pgwal capture v1\r\n# proto_version: 2\n\n0/1 2 4500\n# x\n0/2 3 45"))

	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := capture.NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		r.SetMaxRecordSize(1 << 16)
		var payloads [][]byte
		for n := 0; ; n++ {
			if n > len(data) {
				t.Fatalf("more records (%d) than input bytes", n)
			}
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
			if rec.Num != n+1 || rec.Offset >= int64(len(data)) {
				t.Fatalf("record %d: Num %d Offset %d of %d bytes", n+1, rec.Num, rec.Offset, len(data))
			}
			payloads = append(payloads, append([]byte(nil), rec.Payload()...))
		}
		var out bytes.Buffer
		w, err := capture.NewWriter(&out, r.Header())
		if err != nil {
			if r.Version() == 2 {
				t.Fatalf("a v2 header that read cleanly does not write: %v", err)
			}
			return // v1 keys can hold what v2 refuses (blanks)
		}
		for i, p := range payloads {
			if err := w.WriteCopyData(p); err != nil {
				t.Fatalf("record %d read but does not write: %v", i+1, err)
			}
		}
		r2, err := capture.NewReader(&out)
		if err != nil {
			t.Fatalf("rewritten file: %v", err)
		}
		for i, p := range payloads {
			rec, err := r2.Next()
			if err != nil || !bytes.Equal(rec.Payload(), p) {
				t.Fatalf("rewritten record %d: %v", i+1, err)
			}
		}
		if _, err := r2.Next(); err != io.EOF {
			t.Fatalf("rewritten file has more: %v", err)
		}
	})
}
