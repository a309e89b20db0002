package pgserver

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// StartT starts a server for a test and stops it in tb.Cleanup. When no
// server of the wanted version can be had it skips the test with a hint how
// to get one, except under CI=true, where it fails the test.
//
// Under -short it skips at once, CI or not: make test runs the real-server
// tests in its 64-bit run and uses -short for the extra 32-bit one.
func StartT(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if testing.Short() {
		tb.Skip("-short: no real server")
	}
	if _, err := configInstall(cfg); err != nil {
		v := "[VERSIONS]"
		if cfg.Version != 0 {
			v = fmt.Sprint(cfg.Version)
		}
		msg := fmt.Sprintf("%v\nget one with `make postgres` or `scripts/fetch-postgres.sh %s`", err, v)
		if cfg.BinDir != "" {
			msg = fmt.Sprintf("%v\ninstall PostgreSQL there (Debian: apt-get install postgresql-NN) or point Config.BinDir elsewhere", err)
		}
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("stopping PostgreSQL %d: %v", s.Major(), err)
		}
	})
	return s
}

// VersionsT returns the major versions a test should run on: every one
// available. With none, it skips the test (or fails it under CI=true) as
// StartT does, so a loop over the result needs no check of its own.
func VersionsT(tb testing.TB) []int {
	tb.Helper()
	versions := Available()
	if len(versions) == 0 {
		StartT(tb, Config{})
	}
	return versions
}
