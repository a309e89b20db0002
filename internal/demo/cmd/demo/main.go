// Command demo is `make demo`: a throwaway PostgreSQL server, a workload,
// and pgwal decoding the live replication stream for about eight seconds.
//
// The server is stopped and its files removed however the demo ends: at
// the end (exit 0), on Ctrl-C or SIGTERM (exit 130), when its reader goes
// away (make demo | head -3: exit 0, quietly), on a failed step (exit 1).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pgwal/pgwal/internal/demo"
)

func main() {
	os.Exit(run())
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// A closed pipe makes writes fail with EPIPE instead of killing the
	// process, so the deferred stop of the server runs.
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	err := demo.Run(ctx, os.Stdout, 8*time.Second)
	switch {
	case errors.Is(err, demo.ErrNoServer):
		fmt.Fprintln(os.Stderr, demo.Hint)
		return 1
	case errors.Is(err, syscall.EPIPE):
		return 0 // the reader has what it wanted
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "demo: interrupted; the server was stopped and its files removed")
		return 130
	case err == nil:
		return 0
	}
	fmt.Fprintf(os.Stderr, "demo: %v\n", err)
	return 1
}
