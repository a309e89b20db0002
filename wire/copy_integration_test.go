package wire_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/wire"
)

// TestCopyOutIntegration runs CopyOut against the newest real server, on a
// plain SQL session and on a replication=database one: rows, a server
// error mid-copy, COPY FROM STDIN refused, an error from the callback and
// a cancelled context, each leaving the session usable.
func TestCopyOutIntegration(t *testing.T) {
	s := pgserver.StartT(t, pgserver.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, mode := range []string{"", "replication=database"} {
		t.Run("mode="+mode, func(t *testing.T) {
			var extra []string
			if mode != "" {
				extra = append(extra, mode)
			}
			c, err := wire.ConnectString(ctx, s.DSN("", "", pgserver.Database, extra...))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			usable := func(what string) {
				t.Helper()
				if r, err := c.Exec(ctx, "SELECT 42 AS x"); err != nil || r[0].Value(0, "x") != "42" {
					t.Fatalf("after %s: session not usable: %v", what, err)
				}
			}

			var lines []string
			n, err := c.CopyOut(ctx, "COPY (SELECT g, 'r' || g FROM generate_series(1, 1000) g) TO STDOUT", func(row []byte) error {
				lines = append(lines, string(row))
				return nil
			})
			if err != nil || n != 1000 || len(lines) != 1000 || lines[999] != "1000\tr1000\n" {
				t.Fatalf("copy: %d rows, %d lines, %v", n, len(lines), err)
			}
			usable("a copy")

			// The error comes at row 500, after rows were sent.
			seen := 0
			_, err = c.CopyOut(ctx, "COPY (SELECT 1 / (500 - g) FROM generate_series(1, 1000) g) TO STDOUT", func([]byte) error { seen++; return nil })
			var se *wire.ServerError
			if !errors.As(err, &se) || se.Code != "22012" {
				t.Fatalf("mid-copy error: %v", err)
			}
			t.Logf("error after %d rows: %v", seen, err)
			usable("a mid-copy error")

			if _, err := c.Exec(ctx, "CREATE TEMP TABLE cin (x int)"); err != nil {
				t.Fatal(err)
			}
			_, err = c.CopyOut(ctx, "COPY cin FROM STDIN", func([]byte) error { return nil })
			if err == nil || !strings.Contains(err.Error(), "FROM STDIN") {
				t.Fatalf("copy from stdin: %v", err)
			}
			usable("a refused COPY FROM STDIN")

			stop := errors.New("enough")
			seen = 0
			_, err = c.CopyOut(ctx, "COPY (SELECT g FROM generate_series(1, 10000000) g) TO STDOUT", func([]byte) error {
				seen++
				if seen == 100 {
					return stop
				}
				return nil
			})
			if !errors.Is(err, stop) {
				t.Fatalf("callback error: %v", err)
			}
			usable("a callback error")

			cctx, ccancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer ccancel()
			_, err = c.CopyOut(cctx, "COPY (SELECT pg_sleep(30)) TO STDOUT", func([]byte) error { return nil })
			if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &se) || se.Code != "57014" {
				t.Fatalf("cancelled copy: %v", err)
			}
			usable("a cancelled copy")
		})
	}
}
