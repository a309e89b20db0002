package value

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
)

// pinned are the settings package wire pins for a session; every
// real-server comparison runs under them.
const pinned = "SET DateStyle = ISO; SET IntervalStyle = postgres; SET TimeZone = 'UTC'; SET extra_float_digits = 3; SET search_path = '';\n"

// eachServer runs f on a fresh server of every available version 14–18
// (all of them under CI=true; none under -short).
func eachServer(t *testing.T, f func(t *testing.T, s *pgserver.Server)) {
	t.Helper()
	versions := pgserver.VersionsT(t)
	for _, v := range versions {
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			f(t, pgserver.StartT(t, pgserver.Config{Version: v}))
		})
	}
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
