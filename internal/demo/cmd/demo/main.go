// Command demo is `make demo`: a throwaway PostgreSQL server, a workload,
// and pgwal decoding the live replication stream for about eight seconds.
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := demo.Run(ctx, os.Stdout, 8*time.Second)
	if errors.Is(err, demo.ErrNoServer) {
		fmt.Fprintln(os.Stderr, demo.Hint)
		os.Exit(1)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}
