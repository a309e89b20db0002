package main

import (
	"testing"
	"time"
)

// TestLatencySmoke: every configuration delivers every lone change, in a
// run small enough for make test. The figures are measured by the
// command, not asserted here.
func TestLatencySmoke(t *testing.T) {
	for _, c := range configs {
		r, err := measure(c.b, 20, 5*time.Millisecond)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(r.samples) != 20 || r.samples[0] <= 0 {
			t.Errorf("%s: %d samples, first %v", c.name, len(r.samples), r.samples[0])
		}
	}
}
