package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pgwal/pgwal/internal/workload"
)

// TestCorpus verifies the committed captures in testdata/pgoutput without a
// server: every message decodes with one Decoder per file, re-encodes to the
// same bytes, and each file holds exactly the message types of its expect
// header. Regenerate with `make testdata`.
func TestCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "pgoutput")
	for _, v := range []int{14, 15, 16, 17, 18} {
		files := captureFiles(filepath.Join(dir, fmt.Sprintf("pg%d", v)))
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
		for _, s := range workload.Plan(v) {
			key := fmt.Sprintf("%d/%s", v, s.FileName())
			if seen[key] {
				t.Errorf("duplicate capture %s", key)
			}
			seen[key] = true
			if s.Proto > workload.MaxProto(v) {
				t.Errorf("pg%d: %s asks for proto %d", v, s.FileName(), s.Proto)
			}
			if s.Streaming == "on" && s.Proto < 2 || s.Streaming == "parallel" && (s.Proto < 4 || v < 16) {
				t.Errorf("pg%d: %s: streaming %s with proto %d", v, s.FileName(), s.Streaming, s.Proto)
			}
			if s.TwoPhase && (s.Proto < 3 || v < 15) || s.Origin != "" && v < 16 || s.Immediate && v < 16 {
				t.Errorf("pg%d: %s: option not supported", v, s.FileName())
			}
		}
		live := workload.LivePlan(v)
		if len(live) == 0 || live[0].Proto != workload.MaxProto(v) {
			t.Errorf("pg%d: live plan %v: want the highest proto", v, live)
		}
		slots := map[string]bool{}
		for _, sl := range workload.Slots(v, live) {
			if slots[sl.Name] {
				t.Errorf("pg%d: duplicate slot %s", v, sl.Name)
			}
			slots[sl.Name] = true
		}
		for _, s := range live {
			if s.Immediate || !seen[fmt.Sprintf("%d/%s", v, s.FileName())] {
				t.Errorf("pg%d: live %s has no peek twin or is immediate", v, s.LiveFileName())
			}
		}
	}
}
