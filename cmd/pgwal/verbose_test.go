package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
)

// inOrder checks that stderr's lines include, in this order, lines
// matching each pattern (other lines may come between), and returns each
// pattern's submatches.
func inOrder(t *testing.T, stderr string, patterns ...string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	var got [][]string
	i := 0
	for _, p := range patterns {
		re := regexp.MustCompile("^" + p + "$")
		for ; i < len(lines); i++ {
			if m := re.FindStringSubmatch(lines[i]); m != nil {
				got = append(got, m)
				break
			}
		}
		if i == len(lines) {
			t.Fatalf("no line matching %q (in order) in stderr:\n%s", p, stderr)
		}
		i++
	}
	return got
}

const lsnRE = `([0-9A-F]+/[0-9A-F]+)`

func parseLSN(t *testing.T, s string) lsn.LSN {
	t.Helper()
	l, err := lsn.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// -v prints pg_recvlogical's progress lines (creating and dropping the
// slot, starting at a position, streaming initiated, confirming write
// and flush, the end position) and a few of pgwal's own (connecting,
// the consistent point, the stream closed); the last position it says
// it confirmed is the slot's. Without -v, stderr stays empty.
func TestVerbose(t *testing.T) {
	s := pgserver.StartT(t, pgserver.Config{})
	f := newFixture(s, 30*time.Second)
	f.sql(t, `CREATE TABLE public.t (id int PRIMARY KEY, note text); CREATE PUBLICATION pub FOR TABLE public.t;`)
	out := filepath.Join(t.TempDir(), "out")
	for _, verbose := range []bool{true, false} {
		t.Run(fmt.Sprint("-v ", verbose), func(t *testing.T) {
			slot := fmt.Sprintf("verbose_%v", verbose)
			v := func(args ...string) []string {
				if verbose {
					return append(args, "-v")
				}
				return args
			}
			create := runSync(v("stream", "--dsn", f.dsn, "-S", slot, "--create-slot")...)
			f.sql(t, "INSERT INTO public.t SELECT g, 'x' FROM generate_series(1, 50) g; DELETE FROM public.t;")
			end := f.lsnOf(t, "SELECT pg_current_wal_insert_lsn()")
			start := runSync(v("stream", "--format", "pgwal", "--dsn", f.dsn, "-S", slot, "--start", "--publication", "pub", "-E", end.String(), "-f", out)...)
			drop := runSync(v("stream", "--dsn", f.dsn, "-S", slot, "--drop-slot")...)
			for _, r := range []result{create, start, drop} {
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
			}
			if !verbose {
				for _, r := range []result{create, start, drop} {
					if r.stderr != "" {
						t.Errorf("without -v, stderr: %q", r.stderr)
					}
				}
				return
			}
			inOrder(t, create.stderr,
				`pgwal stream: connecting to host=.*`,
				`pgwal stream: creating replication slot "`+slot+`"`,
				`pgwal stream: replication slot "`+slot+`" created, consistent point `+lsnRE)
			m := inOrder(t, start.stderr,
				`pgwal stream: connecting to host=.*`,
				`pgwal stream: starting log streaming at 0/0 \(slot `+slot+`\)`,
				`pgwal stream: streaming initiated`,
				`pgwal stream: confirming write up to `+lsnRE+`, flush to `+lsnRE+` \(slot `+slot+`\)`,
				`pgwal stream: end position `+end.String()+` reached by (keepalive|WAL record at .*)`,
				`pgwal stream: confirming write up to `+lsnRE+`, flush to `+lsnRE+` \(slot `+slot+`\)`,
				`pgwal stream: stream closed; confirmed flush position `+lsnRE)
			first, last, closed := m[3], m[5], m[6]
			if first[1] != first[2] || last[1] != last[2] || last[1] != closed[1] {
				t.Errorf("write, flush and closed positions differ: %v %v %v", first, last, closed)
			}
			if parseLSN(t, first[1]) == 0 || parseLSN(t, last[1]) < parseLSN(t, first[1]) {
				t.Errorf("confirmed %s then %s", first[1], last[1])
			}
			inOrder(t, drop.stderr, `pgwal stream: connecting to host=.*`, `pgwal stream: dropping replication slot "`+slot+`"`)
			if strings.Contains(create.stderr+start.stderr+drop.stderr, pgserver.ReplicationPassword) {
				t.Errorf("-v shows the password:\n%s%s%s", create.stderr, start.stderr, drop.stderr)
			}
		})
	}
}

// A lost connection: with -v, the reconnection connects again and starts
// at the last position made durable, not 0/0; SIGTERM says it stops.
// Without -v, the one line is the reconnection notice (printed always, as
// pg_recvlogical's "disconnected; waiting").
func TestVerboseReconnect(t *testing.T) {
	f := newOpsFixture(t, 0)
	for _, verbose := range []bool{true, false} {
		t.Run(fmt.Sprint("-v ", verbose), func(t *testing.T) {
			slot := fmt.Sprintf("vr_%v", verbose)
			out := filepath.Join(t.TempDir(), "out")
			args := []string{"--format", "pgwal", "--dsn", f.dsn, "-S", slot, "--create-slot", "--start", "--publication", "pub", "-f", out, "-F", "0.2"}
			if verbose {
				args = append(args, "-v")
			}
			p := startPgwal(t, args...)
			waitUntil(t, "slot active", p, func() bool { return f.active(t, slot) })
			base := map[bool]int{true: 0, false: 10000}[verbose]
			f.sql(t, fmt.Sprintf("INSERT INTO public.t SELECT g, 'a' FROM generate_series(%d, %d) g", base+1, base+100))
			waitUntil(t, "the rows acknowledged", p, func() bool { return f.confirmed(t, slot) > 0 && len(readOutput(t, out).ids) == 100 })
			f.sql(t, "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = "+pgserver.QuoteLiteral(slot))
			waitUntil(t, "the reconnection", p, func() bool { return strings.Contains(p.stderr.String(), "reconnecting in") && f.active(t, slot) })
			f.sql(t, fmt.Sprintf("INSERT INTO public.t SELECT g, 'b' FROM generate_series(%d, %d) g", base+101, base+200))
			waitUntil(t, "the rows after the reconnection", p, func() bool { return len(readOutput(t, out).ids) == 200 })
			p.cmd.Process.Signal(syscall.SIGTERM)
			if code := p.wait(t); code != 0 {
				t.Fatalf("exit %d: %s", code, p.stderr.String())
			}
			stderr := p.stderr.String()
			if !verbose {
				if !regexp.MustCompile(`^pgwal stream: .*; reconnecting in 1s\n$`).MatchString(stderr) {
					t.Errorf("without -v, stderr is not the one reconnection line:\n%s", stderr)
				}
				return
			}
			m := inOrder(t, stderr,
				`pgwal stream: starting log streaming at 0/0 \(slot `+slot+`\)`,
				`pgwal stream: confirming write up to `+lsnRE+`, flush to .*`,
				`pgwal stream: .*; reconnecting in 1s`,
				`pgwal stream: connecting to host=.*`,
				`pgwal stream: starting log streaming at `+lsnRE+` \(slot `+slot+`\)`,
				`pgwal stream: streaming initiated`,
				`pgwal stream: received interrupt signal, exiting`,
				`pgwal stream: confirming write up to `+lsnRE+`, flush to .*`,
				`pgwal stream: stream closed; confirmed flush position `+lsnRE)
			before, resumed, last := parseLSN(t, m[1][1]), parseLSN(t, m[4][1]), parseLSN(t, m[7][1])
			if resumed < before || resumed == 0 {
				t.Errorf("resumed at %v after confirming %v", resumed, before)
			}
			if last <= resumed || last != f.confirmed(t, slot) {
				t.Errorf("last confirmed %v (resumed at %v), the slot's %v", last, resumed, f.confirmed(t, slot))
			}
		})
	}
}
