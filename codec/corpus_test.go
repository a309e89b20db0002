package codec_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/capfile"
	"github.com/pgwal/pgwal/internal/msgjson"
)

var update = flag.Bool("update", false, "rewrite the golden files of the captured corpus")

// corpusFiles lists the captures of real servers in testdata/pgoutput.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../testdata/pgoutput/pg*/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// TestCorpus checks every message captured from PostgreSQL 14–18: decoded
// in order by one Decoder, re-encoded to the identical bytes, rendered to
// match the reviewed golden JSON, and every message type the workload
// should have produced present.
func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	if len(files) == 0 {
		t.Fatal("no captures in testdata/pgoutput (run make testdata)")
	}
	versions := map[string]bool{}
	for _, name := range files {
		versions[filepath.Base(filepath.Dir(name))] = true
		t.Run(strings.TrimPrefix(name, "../testdata/pgoutput/"), func(t *testing.T) {
			raw, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, err := capfile.Read(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			opts, err := f.DecoderOptions()
			if err != nil {
				t.Fatal(err)
			}
			d := codec.NewDecoder(opts)
			var cat msgjson.Catalog
			var golden bytes.Buffer
			enc := json.NewEncoder(&golden)
			enc.SetEscapeHTML(false)
			seen := map[string]int{}
			var buf []byte
			for _, m := range f.Messages {
				msg, err := d.Decode(m.Data)
				if err != nil {
					t.Fatalf("line %d: %v", m.Line, err)
				}
				seen[string(rune(msg.MessageType()))]++
				if buf = codec.AppendMessage(buf[:0], msg); !bytes.Equal(buf, m.Data) {
					t.Fatalf("line %d: re-encoded %v differs:\n got %x\nwant %x", m.Line, msg.MessageType(), buf, m.Data)
				}
				cat.Apply(msg)
				r := cat.Message(msg)
				r.LSN = m.LSN.String()
				if err := enc.Encode(r); err != nil {
					t.Fatal(err)
				}
			}
			if d.InStream() {
				t.Errorf("capture ends inside a stream block")
			}
			for _, letter := range f.Expect() {
				if seen[letter] == 0 {
					t.Errorf("no %q message, but the workload should produce one (seen: %v)", letter, seen)
				}
			}
			goldenName := strings.TrimSuffix(name, ".txt") + ".golden.jsonl"
			if *update {
				if err := os.WriteFile(goldenName, golden.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenName)
			if err != nil {
				t.Fatalf("%v (run go test ./codec -run TestCorpus -update)", err)
			}
			if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(golden.String(), "\n")); diff != "" {
				t.Errorf("decoded form differs from %s (-golden +got):\n%s", goldenName, diff)
			}
		})
	}
	for _, v := range []string{"pg14", "pg15", "pg16", "pg17", "pg18"} {
		if !versions[v] {
			t.Errorf("no captures from %s", v)
		}
	}
}
