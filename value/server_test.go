package value

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
)

// pinned are the settings package wire pins for a session; every
// real-server comparison runs under them.
const pinned = "SET DateStyle = ISO; SET IntervalStyle = postgres; SET TimeZone = 'UTC'; SET extra_float_digits = 3; SET search_path = '';\n"

// eachServer runs f on a server of every available version 14–18 (all
// of them under CI=true; none under -short). The servers are shared by the
// package's tests, started on first use and stopped by TestMain: tests
// must leave them as they found them, or use names of their own.
func eachServer(t *testing.T, f func(t *testing.T, s *pgserver.Server)) {
	t.Helper()
	versions := pgserver.VersionsT(t)
	for _, v := range versions {
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			if testing.Short() {
				t.Skip("-short: no real server")
			}
			f(t, sharedServer(t, v))
		})
	}
}

var shared struct {
	sync.Mutex
	servers map[int]*pgserver.Server
}

func sharedServer(t *testing.T, version int) *pgserver.Server {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if s := shared.servers[version]; s != nil {
		return s
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := pgserver.Start(ctx, pgserver.Config{Version: version})
	if err != nil {
		t.Fatal(err)
	}
	if shared.servers == nil {
		shared.servers = map[int]*pgserver.Server{}
	}
	shared.servers[version] = s
	return s
}

func TestMain(m *testing.M) {
	code := m.Run()
	for v, s := range shared.servers {
		if err := s.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping PostgreSQL %d: %v\n", v, err)
			code = 1
		}
	}
	os.Exit(code)
}

// queryJSON runs sql (after the pinned settings) and decodes the one line
// it prints, which must be JSON, into out. Write the query so it prints
// one JSON value, e.g. SELECT json_agg(json_build_array(v::text,
// encode(int4send(v), 'hex'))) FROM (VALUES (1), (-2)) t(v).
func queryJSON(t *testing.T, s *pgserver.Server, sql string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.Exec(ctx, pinned+sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if err := json.Unmarshal([]byte(res), out); err != nil {
		t.Fatalf("%s: output %.200q: %v", sql, res, err)
	}
}
