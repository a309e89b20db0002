package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestCorpus verifies the committed captures in testdata/pgoutput without a
// server: every message decodes with one Decoder per file, re-encodes to the
// same bytes, and each file holds exactly the message types of its expect
// header. Regenerate with `make testdata`.
func TestCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "pgoutput")
	for _, v := range []int{14, 15, 16, 17, 18} {
		files, _ := filepath.Glob(filepath.Join(dir, fmt.Sprintf("pg%d", v), "v*-*.txt"))
		if len(files) == 0 {
			if _, err := os.Stat(dir); err != nil {
				t.Skipf("no corpus in %s", dir)
			}
			t.Errorf("pg%d: no capture files", v)
			continue
		}
		for _, f := range files {
			f := f
			t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
				st, err := verifyCapture(f)
				if err != nil {
					t.Fatal(err)
				}
				t.Log(st)
			})
		}
	}
}

func TestPlan(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range []int{14, 15, 16, 17, 18} {
		for _, s := range plan(v) {
			key := fmt.Sprintf("%d/%s", v, s.fileName())
			if seen[key] {
				t.Errorf("duplicate capture %s", key)
			}
			seen[key] = true
			if s.Proto > maxProto(v) {
				t.Errorf("pg%d: %s asks for proto %d", v, s.fileName(), s.Proto)
			}
			if s.Streaming == "on" && s.Proto < 2 || s.Streaming == "parallel" && (s.Proto < 4 || v < 16) {
				t.Errorf("pg%d: %s: streaming %s with proto %d", v, s.fileName(), s.Streaming, s.Proto)
			}
			if s.TwoPhase && (s.Proto < 3 || v < 15) || s.Origin != "" && v < 16 || s.Immediate && v < 16 {
				t.Errorf("pg%d: %s: option not supported", v, s.fileName())
			}
		}
	}
}
