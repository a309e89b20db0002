// Command e2e drains the same WAL with pg_recvlogical + the wal2json plugin
// and with `pgwal stream --format wal2json` (pgoutput decoded and rendered
// on the client), one client at a time in processes of their own, and
// compares the walsender's CPU, the client's CPU, their sum, wall time and
// the output bytes, which must be identical. Needs Debian's PostgreSQL 15
// with wal2json (/usr/lib/postgresql/15). See README.md, "End to end:
// wal2json".
//
//	cd bench && go run ./e2e                        # 1,000,000 changes per table, 3 repetitions, updates README.md
//	go run ./e2e -changes 20000 -reps 1 -readme ''  # quick run, print only
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/pgwal/pgwal/bench/internal/mdsection"
	"github.com/pgwal/pgwal/internal/pgserver"
)

func main() {
	changes := flag.Int("changes", 1000000, "changes per table (inserts, updates, deletes)")
	txn := flag.Int("txn", 100, "changes per transaction (80% inserts, 15% updates, 5% deletes)")
	reps := flag.Int("reps", 3, "repetitions of each drain (medians are reported)")
	tablesFlag := flag.String("tables", "narrow,wide", "tables to run")
	clientsFlag := flag.String("clients", "", "pgwal variants to run besides pg_recvlogical (default: all)")
	pgwalBin := flag.String("pgwal", "", "the pgwal binary (default: go build github.com/pgwal/pgwal/cmd/pgwal)")
	dir := flag.String("dir", "", "directory for the output files (default: a temporary one)")
	readme := flag.String("readme", "README.md", "update the e2e section of this file ('' = print only)")
	verbose := flag.Bool("v", false, "log the server log too")
	flag.Parse()

	if err := checkInstall(); err != nil {
		fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	progress := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...) }
	tmp, err := os.MkdirTemp(*dir, "pgwal-e2e-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	bin := *pgwalBin
	if bin == "" {
		progress("building cmd/pgwal")
		if bin, err = buildPgwal(ctx, tmp); err != nil {
			fail(err)
		}
	}
	clients := []clientSpec{allClients[0]}
	for _, c := range allClients[1:] {
		if *clientsFlag == "" || slices.Contains(strings.Split(*clientsFlag, ","), c.Name) {
			clients = append(clients, c)
		}
	}
	logf := func(string, ...any) {}
	if *verbose {
		logf = progress
	}
	srv, err := pgserver.Start(ctx, pgserver.Config{BinDir: debian15, Version: 15, Settings: serverSettings(), Logf: logf})
	if err != nil {
		fail(err)
	}
	rep, err := run(ctx, srv, options{Changes: *changes, Txn: *txn, Reps: *reps, Tables: strings.Split(*tablesFlag, ","),
		Clients: clients, Pgwal: bin, Dir: tmp, Logf: progress})
	if serr := srv.Stop(); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		os.RemoveAll(tmp)
		fail(err)
	}
	md := rep.markdown()
	fmt.Print(md)
	if *readme != "" {
		if err := mdsection.Update(*readme, markStart, markEnd, md); err != nil {
			fail(err)
		}
		progress("updated %s", *readme)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "e2e:", err)
	os.Exit(1)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// bars are the issue's: pgwal ÷ pg_recvlogical+wal2json, same repetition.
var bars = []struct {
	Name string
	Max  float64
	Of   func(measurement) time.Duration
}{
	{"walsender CPU", 0.95, func(m measurement) time.Duration { return m.ServerCPU }},
	{"total CPU", 1.0, measurement.total},
	{"wall", 1.0, func(m measurement) time.Duration { return m.Wall }},
}

func (tr *tableReport) of(client string) []measurement {
	var ms []measurement
	for _, m := range tr.Results {
		if m.Client == client {
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b measurement) int { return a.Rep - b.Rep })
	return ms
}

// ratio is the median over repetitions of client ÷ reference in the same
// repetition.
func (tr *tableReport) ratio(client string, of func(measurement) time.Duration) float64 {
	ref, ms := tr.of(reference), tr.of(client)
	var rs []float64
	for i := range ms {
		if i < len(ref) && of(ref[i]) > 0 {
			rs = append(rs, float64(of(ms[i]))/float64(of(ref[i])))
		}
	}
	return median(rs)
}

func (rep *report) markdown() string {
	var b strings.Builder
	o := rep.Opts
	fmt.Fprintf(&b, "PostgreSQL %s (Debian, wal2json plugin), loopback TCP, %s/%s, %d CPUs, %s; per table %d changes in transactions of %d "+
		"(%d inserts, %d updates, %d deletes each); each client drained its own slot %d times, one client at a time; medians of %d.\n\n",
		rep.Server, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), (o.Changes/o.Txn)*o.Txn, o.Txn,
		rep.Tables[0].Split.Ins, rep.Tables[0].Split.Upd, rep.Tables[0].Split.Del, o.Reps, o.Reps)
	for _, tr := range rep.Tables {
		fmt.Fprintf(&b, "**%s** (%d columns): %.1f MB of WAL, loaded in %.1f s; wal2json printed %d inserts, %d updates, %d deletes.\n\n",
			tr.Table, tr.Columns, float64(tr.WALBytes)/1e6, tr.LoadTime.Seconds(), tr.Changes[0], tr.Changes[1], tr.Changes[2])
		b.WriteString("| client | walsender CPU s | client CPU s | total CPU s | wall s | output MB | identical to pg_recvlogical | walsender CPU ÷ ref | total CPU ÷ ref | wall ÷ ref |\n")
		b.WriteString("|---|--:|--:|--:|--:|--:|---|--:|--:|--:|\n")
		for _, c := range o.Clients {
			ms := tr.of(c.Name)
			col := func(of func(measurement) float64) float64 {
				var xs []float64
				for _, m := range ms {
					xs = append(xs, of(m))
				}
				return median(xs)
			}
			same := "yes"
			for _, m := range ms {
				if !m.Identical {
					same = "**no**: " + m.Diff
					break
				}
			}
			if c.Name == reference {
				same = "(reference; all repetitions identical: " + same + ")"
			}
			fmt.Fprintf(&b, "| %s | %.2f | %.2f | %.2f | %.2f | %.1f | %s |", c.Name,
				col(func(m measurement) float64 { return m.ServerCPU.Seconds() }),
				col(func(m measurement) float64 { return m.ClientCPU.Seconds() }),
				col(func(m measurement) float64 { return m.total().Seconds() }),
				col(func(m measurement) float64 { return m.Wall.Seconds() }),
				col(func(m measurement) float64 { return float64(m.Bytes) / 1e6 }), same)
			for _, bar := range bars {
				if c.Name == reference {
					b.WriteString(" 1 |")
					continue
				}
				r := tr.ratio(c.Name, bar.Of)
				mark := "✓"
				if r > bar.Max {
					mark = "✗"
					if c.Name == "pgwal" {
						mark = "**✗ missed**"
					}
				}
				fmt.Fprintf(&b, " %.3f %s |", r, mark)
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("Bars (pgwal ÷ pg_recvlogical+wal2json, same repetition, median): walsender CPU ≤ 0.95, total CPU ≤ 1.0, wall ≤ 1.0; " +
		"they apply to the `pgwal` row (defaults); ✓/✗ on the `--binary` and `--batch off` rows show how the ratios move.\n\n")
	for _, tr := range rep.Tables {
		var ss []float64
		for _, m := range tr.Results {
			if m.ServerCPU > 0 {
				ss = append(ss, m.Sampled.Seconds()/m.ServerCPU.Seconds())
			}
		}
		fmt.Fprintf(&b, "- %s: the walsender's own last sampled CPU (`/proc/<pid>/stat`, every 20 ms) is a median %.3f of the reaped total.\n", tr.Table, median(ss))
	}
	return b.String()
}

const (
	markStart = "<!-- e2e:start -->"
	markEnd   = "<!-- e2e:end -->"
)
