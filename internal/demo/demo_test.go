package demo

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
)

func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no real server")
	}
	if len(pgserver.Available()) == 0 {
		msg := "no PostgreSQL server binaries (make postgres)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	if err := Run(ctx, &out, 3*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Logf("%.1fs, %d lines", time.Since(start).Seconds(), strings.Count(out.String(), "\n"))
	want := []string{"Begin", "Relation", "Insert", "Update", "Delete", "Commit", "Stream Start", "Stream Stop", "Stream Commit", "Commit Prepared"}
	if pgserver.Available()[len(pgserver.Available())-1] >= 15 {
		want = append(want, "Begin Prepare", "Prepare")
	}
	for _, typ := range want {
		if !strings.Contains(out.String(), `"type":"`+typ+`"`) {
			t.Errorf("no %s line in:\n%s", typ, out.String())
		}
	}
	if n := strings.Count(out.String(), `"type":"Insert","xid"`); n != bigRows {
		t.Errorf("%d streamed inserts, want %d", n, bigRows)
	}
	if !strings.Contains(out.String(), "stream closed cleanly") || !strings.Contains(out.String(), "server stopped") {
		t.Errorf("no clean end:\n%s", out.String())
	}
}
