// Command benchreport reads `go test -bench` output of the bench module on
// stdin and writes the results table into README.md between the markers
// <!-- bench:start --> and <!-- bench:end -->. With -count > 1 it takes the
// median of each benchmark's runs. It prints a one-line summary.
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 3 . | tee bench.out
//	go run ./cmd/benchreport < bench.out
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pgwal/pgwal/bench"
)

const (
	startMarker = "<!-- bench:start -->"
	endMarker   = "<!-- bench:end -->"

	wantSpeedup  = 15.0 // pglogrepl ns/op ÷ pgwal ns/op, at least
	wantVsFloor  = 2.0  // pgwal ns/op ÷ floor ns/op, at most
	decodePrefix = "BenchmarkDecode/"
	encodePrefix = "BenchmarkEncode/"

	valueStart      = "<!-- value:start -->"
	valueEnd        = "<!-- value:end -->"
	wantValueFactor = 10.0 // pgtype ns/op ÷ pgwal ns/op decoding column values, at least
	valueDecode     = "BenchmarkValueDecode/"
	valueText       = "BenchmarkValueAppendText/"
	valueJSON       = "BenchmarkValueAppendJSON/"

	txnStart        = "<!-- txn:start -->"
	txnEnd          = "<!-- txn:end -->"
	txnPass         = "BenchmarkTxnPassThrough/"
	txnSpill        = "BenchmarkTxnSpill/"
	wantPassThrough = 1.5 // assemble ns/op ÷ decode ns/op, at most
	wantSpillHeap   = 3.0 // peak Go heap ÷ budget, at most
	wantSpillMBs    = 200 // spill write + read-back MB/s, at least
)

func main() {
	readme := flag.String("readme", "README.md", "markdown file to update between the bench markers")
	summary := flag.String("summary", "", "also write the headline ratios to this file between the perf markers (e.g. ../README.md)")
	dryRun := flag.Bool("n", false, "print the section to stdout instead of updating the file")
	flag.StringVar(&bench.DefaultCorpusDir, "corpus", bench.DefaultCorpusDir, "the captured corpus (for the corpus-* rows)")
	flag.Parse()
	if err := run(os.Stdin, *readme, *summary, *dryRun); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

// results maps a benchmark name (without the -GOMAXPROCS suffix) to each
// unit's values, one per run.
type results struct {
	vals   map[string]map[string][]float64
	header []string // goos, goarch, cpu lines
	failed []string // FAIL lines: the run failed
	runs   int
}

var procSuffix = regexp.MustCompile(`-\d+$`)

func parse(r io.Reader) (*results, error) {
	res := &results{vals: map[string]map[string][]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	seen := map[string]bool{}
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "FAIL") || strings.HasPrefix(strings.TrimSpace(line), "--- FAIL") {
			res.failed = append(res.failed, strings.TrimSpace(line))
		}
		for _, h := range []string{"goos:", "goarch:", "cpu:"} {
			if strings.HasPrefix(line, h) && !seen[h] {
				seen[h] = true
				res.header = append(res.header, strings.TrimSpace(line))
			}
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := procSuffix.ReplaceAllString(f[0], "")
		m := res.vals[name]
		if m == nil {
			m = map[string][]float64{}
			res.vals[name] = m
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: bad value %q", name, f[i])
			}
			m[f[i+1]] = append(m[f[i+1]], v)
		}
		if n := len(m["ns/op"]); n > res.runs {
			res.runs = n
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(res.failed) > 0 {
		return nil, fmt.Errorf("the benchmark run failed: %s", strings.Join(res.failed, "; "))
	}
	if len(res.vals) == 0 {
		return nil, fmt.Errorf("no benchmark results on stdin")
	}
	return res, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// get is the median of a benchmark's unit, NaN when absent.
func (r *results) get(name, unit string) float64 {
	return median(r.vals[name][unit])
}

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// si formats a rate with an SI prefix, e.g. 21.4M.
func si(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case v >= 1e9:
		return num(v/1e9) + "G"
	case v >= 1e6:
		return num(v/1e6) + "M"
	case v >= 1e3:
		return num(v/1e3) + "k"
	}
	return num(v)
}

func ratio(v float64, ok bool) string {
	if math.IsNaN(v) {
		return "—"
	}
	s := num(v) + "×"
	if !ok {
		s = "**" + s + "** ✗"
	}
	return s
}

// headline are the inputs the root README quotes.
var headline = []string{"corpus-pglogrepl-subset", "corpus-all", "realistic-mix", "txn-begin-insertx100-commit", "insert-10cols", "insert-100cols", "insert-1MiB"}

// headlineTable is the short table for the root README.
func headlineTable(res *results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured by `make bench` (%s, median of %d runs):\n\n", strings.Join(res.header, ", "), res.runs)
	b.WriteString("| input | pgwal vs pglogrepl (throughput) | pgwal vs field-walking floor (time) | pgwal allocs/op | pgwal ns/msg |\n|---|--:|--:|--:|--:|\n")
	for _, name := range headline {
		d := decodePrefix + name + "/"
		pgwal := res.get(d+"pgwal", "ns/op")
		if math.IsNaN(pgwal) {
			continue
		}
		perMsg := "—"
		if v := res.get(d+"pgwal", "ns/msg"); !math.IsNaN(v) {
			perMsg = num(v)
		}
		fmt.Fprintf(&b, "| %s | %s× | %s× | %s | %s |\n", name,
			num(res.get(d+"pglogrepl", "ns/op")/pgwal), num(pgwal/res.get(d+"floor", "ns/op")),
			num(res.get(d+"pgwal", "allocs/op")), perMsg)
	}
	b.WriteString("\nBars: ≥ 15× pglogrepl's throughput, ≤ 2× the floor, 0 allocations. Every input, per message type, in [`bench/README.md`](bench/README.md).\n")
	return b.String()
}

func run(stdin io.Reader, readme, summaryFile string, dryRun bool) error {
	res, err := parse(stdin)
	if err != nil {
		return err
	}
	hasDecode, hasValue, hasTxn := false, false, false
	for name := range res.vals {
		hasDecode = hasDecode || strings.HasPrefix(name, decodePrefix)
		hasValue = hasValue || strings.HasPrefix(name, valueDecode)
		hasTxn = hasTxn || strings.HasPrefix(name, txnPass) || strings.HasPrefix(name, txnSpill)
	}
	if hasTxn {
		sec, sum := txnSection(res)
		fmt.Println(sum)
		if dryRun {
			fmt.Print(sec)
		} else if err := updateSection(readme, txnStart, txnEnd, sec); err != nil {
			return err
		}
	}
	if hasValue {
		sec, sum := valueSection(res)
		fmt.Println(sum)
		if dryRun {
			fmt.Print(sec)
		} else if err := updateSection(readme, valueStart, valueEnd, sec); err != nil {
			return err
		}
	}
	if !hasDecode {
		if !hasValue && !hasTxn {
			return fmt.Errorf("no BenchmarkDecode, BenchmarkValueDecode or BenchmarkTxn results on stdin")
		}
		return nil // only the value or txn benchmarks ran: leave the codec tables alone
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Measured with `%s` (median of %d run(s) per benchmark). Bars: pglogrepl/pgwal ≥ %.0f×, pgwal/floor ≤ %.0f×; misses in **bold** ✗.\n\n",
		strings.Join(res.header, ", "), res.runs, wantSpeedup, wantVsFloor)
	b.WriteString("| input | bytes | msgs | pgwal ns/op | pgwal MB/s | pgwal allocs/op | pglogrepl ns/op | pglogrepl allocs/op | floor ns/op | pglogrepl/pgwal | pgwal/floor | ns/msg pgwal · pglogrepl · floor | encode ns/op |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")

	var logSum float64
	var nSpeedup int
	var logSumPayload float64
	var nPayload int
	worst, worstName := 0.0, ""
	var skipped, notes []string
	row := func(name string, bytes, msgs int, skip, note, plSuffix string) (speedup, vsFloor float64) {
		d := decodePrefix + name + "/"
		pw, pl, fl := d+"pgwal", d+"pglogrepl", d+"floor"
		pgwalNs, plNs, floorNs := res.get(pw, "ns/op"), res.get(pl, "ns/op"), res.get(fl, "ns/op")
		speedup, vsFloor = plNs/pgwalNs, pgwalNs/floorNs
		if vsFloor > worst {
			worst, worstName = vsFloor, name
		}
		plAllocs := num(res.get(pl, "allocs/op"))
		if skip != "" {
			skipped = append(skipped, fmt.Sprintf("- `%s`: can't decode — %s.\n", name, skip))
			plAllocs = "can't decode"
		}
		if note != "" {
			notes = append(notes, fmt.Sprintf("- `%s`: %s.\n", name, note))
			plAllocs += plSuffix
		}
		perMsg := "—"
		if msgs > 1 {
			perMsg = num(res.get(pw, "ns/msg")) + " · " + num(res.get(pl, "ns/msg")) + " · " + num(res.get(fl, "ns/msg"))
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			name, bytes, msgs,
			num(pgwalNs), num(res.get(pw, "MB/s")), num(res.get(pw, "allocs/op")),
			num(plNs), plAllocs, num(floorNs),
			ratio(speedup, math.IsNaN(speedup) || speedup >= wantSpeedup),
			ratio(vsFloor, math.IsNaN(vsFloor) || vsFloor <= wantVsFloor),
			perMsg, num(res.get(encodePrefix+name, "ns/op")))
		return speedup, vsFloor
	}
	for _, in := range bench.Inputs() {
		if _, ok := res.vals[decodePrefix+in.Name+"/pgwal"]; !ok {
			continue // not run (-bench filter)
		}
		skip := in.PglogreplSkip
		speedup, _ := row(in.Name, len(in.Buf), len(in.Msgs), skip, in.PglogreplNote, " (partial)")
		if !math.IsNaN(speedup) {
			logSum += math.Log(speedup)
			nSpeedup++
			if !in.FramingOnly && in.Parts[0].Keepalive == nil {
				logSumPayload += math.Log(speedup)
				nPayload++
			}
		}
	}

	// The captured corpus (../testdata/pgoutput), when its benchmarks ran.
	var corpusSummary []string
	corpusRan := false
	for name := range res.vals {
		if strings.HasPrefix(name, decodePrefix+"corpus-") {
			corpusRan = true
		}
	}
	if corpusRan {
		c, err := bench.LoadedCorpus()
		if err != nil {
			return fmt.Errorf("corpus-* results on stdin, but: %w", err)
		}
		for _, in := range c.Inputs {
			if _, ok := res.vals[decodePrefix+in.Name+"/pgwal"]; !ok {
				continue
			}
			suffix := " (partial)"
			if in.Letter == 0 {
				suffix = " (subset)"
			}
			speedup, vsFloor := row(in.Name, in.Bytes, len(in.Msgs), in.PglogreplSkip, in.PglogreplNote, suffix)
			if in.Letter != 0 {
				continue
			}
			pw := decodePrefix + in.Name + "/pgwal"
			mark := func(ok bool) string {
				if ok {
					return "✓"
				}
				return "✗"
			}
			s := fmt.Sprintf("%s (%d msgs): pglogrepl/pgwal %s× %s, pgwal/floor %s× %s, pgwal %s msgs/s, %s MB/s, %s allocs/op",
				in.Name, len(in.Msgs), num(speedup), mark(speedup >= wantSpeedup), num(vsFloor), mark(vsFloor <= wantVsFloor),
				si(res.get(pw, "msgs/s")), num(res.get(pw, "MB/s")), num(res.get(pw, "allocs/op")))
			if len(in.PglogreplMsgs) != len(in.Msgs) {
				s += fmt.Sprintf(" (pglogrepl timed on its %d-msg subset: a lower bound)", len(in.PglogreplMsgs))
			}
			corpusSummary = append(corpusSummary, s)
		}
	}

	var parts []string
	if nSpeedup > 0 {
		parts = append(parts, fmt.Sprintf("pglogrepl/pgwal geometric mean %s× over %d synthetic inputs both decode (%s× without the framing-only inputs)",
			num(math.Exp(logSum/float64(nSpeedup))), nSpeedup, num(math.Exp(logSumPayload/float64(nPayload)))))
	}
	parts = append(parts, fmt.Sprintf("worst pgwal/floor %s× (%s)", num(worst), worstName))
	parts = append(parts, corpusSummary...)
	summary := strings.Join(parts, "; ")
	fmt.Fprintf(&b, "\n**Summary:** %s.\n", summary)
	if len(skipped) > 0 || len(notes) > 0 {
		b.WriteString("\npglogrepl at the pinned version:\n\n")
		for _, s := range skipped {
			b.WriteString(s)
		}
		for _, s := range notes {
			b.WriteString(s)
		}
	}
	fmt.Println(summary)
	section := b.String()
	if dryRun {
		fmt.Print(section)
		fmt.Print(headlineTable(res))
		return nil
	}
	if summaryFile != "" {
		if err := updateSection(summaryFile, "<!-- perf:start -->", "<!-- perf:end -->", headlineTable(res)); err != nil {
			return err
		}
	}
	return updateSection(readme, startMarker, endMarker, section)
}

func updateSection(path, startMarker, endMarker, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	block := startMarker + "\n" + section + endMarker
	i, j := strings.Index(text, startMarker), strings.Index(text, endMarker)
	switch {
	case i >= 0 && j > i:
		text = text[:i] + block + text[j+len(endMarker):]
	case i < 0 && j < 0:
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		text += "\n" + block + "\n"
	default:
		return fmt.Errorf("%s: unbalanced bench markers", path)
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

// valueSection is the column-value table: per input, pgwal's decoding
// against pgtype's, the ratio taken against pgtype's fastest variant
// (pgtype, pgtype-Int8, pgtype-Array, ...), and pgwal's AppendText and
// AppendJSON.
func valueSection(res *results) (section, summary string) {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured with `%s` (median of %d run(s) per benchmark); each op is a batch of 64 values. Bar: pgtype/pgwal ≥ %.0f× (throughput, against pgtype's fastest variant); misses in **bold** ✗.\n\n",
		strings.Join(res.header, ", "), res.runs, wantValueFactor)
	b.WriteString("| family / form | bytes/op | pgwal path | pgwal ns/value | pgwal allocs/op | pgtype (natural type) ns/value | allocs/op | pgtype fastest variant | ns/value | allocs/op | pgtype/pgwal (fastest) | pgtype/pgwal (natural) | pgtype-any ns/value | pgtype-any/pgwal | AppendText ns/value · allocs/op | AppendJSON ns/value · allocs/op |\n")
	b.WriteString("|---|--:|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	var met, missed []string
	for _, in := range bench.ValueInputs() {
		d := valueDecode + in.Name() + "/"
		pw, pwName := res.get(d+"pgwal", "ns/op"), "pgwal"
		if math.IsNaN(pw) {
			continue
		}
		idiom := res.get(d+"pgtype-any", "ns/op")
		n := float64(len(in.Values))
		per := func(v float64) string { return num(v / n) }
		nat := res.get(d+"pgtype", "ns/op")
		best, bestName := nat, "pgtype"
		var variants []string
		for name := range res.vals {
			v := strings.TrimPrefix(name, d)
			switch {
			case v == name || v == "pgtype-any" || v == "pgwal-string":
				// pgtype-any is the idiom, reported apart; pgwal-string
				// copies into a string, which the view needs not.
			case strings.HasPrefix(v, "pgtype-"):
				variants = append(variants, v)
			case strings.HasPrefix(v, "pgwal-"):
				if ns := res.get(name, "ns/op"); ns < pw {
					pw, pwName = ns, v
				}
			}
		}
		sort.Strings(variants)
		for _, v := range variants {
			if ns := res.get(d+v, "ns/op"); ns < best {
				best, bestName = ns, v
			}
		}
		ratioBest, ratioNat, ratioAny := best/pw, nat/pw, idiom/pw
		ok := ratioBest >= wantValueFactor
		if ok {
			met = append(met, in.Name())
		} else {
			missed = append(missed, fmt.Sprintf("%s %s×", in.Name(), num(ratioBest)))
		}
		extra := func(prefix string) string {
			v := res.get(prefix+in.Name()+"/pgwal", "ns/op")
			if math.IsNaN(v) {
				return "—"
			}
			return per(v) + " · " + num(res.get(prefix+in.Name()+"/pgwal", "allocs/op"))
		}
		fmt.Fprintf(&b, "| %s | %d | `%s` | %s | %s | %s | %s | `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			in.Name(), in.Bytes, pwName, per(pw), num(res.get(d+pwName, "allocs/op")),
			per(nat), num(res.get(d+"pgtype", "allocs/op")),
			bestName, per(best), num(res.get(d+bestName, "allocs/op")),
			ratio(ratioBest, ok), ratio(ratioNat, ratioNat >= wantValueFactor),
			per(idiom), ratio(ratioAny, ratioAny >= wantValueFactor),
			extra(valueText), extra(valueJSON))
	}
	summary = fmt.Sprintf("column values: pgtype/pgwal ≥ %.0f× on %d of %d inputs", wantValueFactor, len(met), len(met)+len(missed))
	if len(missed) > 0 {
		summary += "; missed: " + strings.Join(missed, ", ")
	}
	fmt.Fprintf(&b, "\n**Summary:** %s.\n", summary)
	return b.String(), summary
}

// txnSection is the txn table: plain transactions through the Assembler
// against decoding alone, and one large streamed transaction spilled
// through a 16 MiB budget against the budget unlimited.
func txnSection(res *results) (section, summary string) {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured with `%s` (median of %d run(s) per benchmark). Bars: assemble/decode ≤ %.1f× with 0 allocs; spill peak heap ≤ %.0f× the budget and ≥ %d MB/s; misses in **bold** ✗.\n\n",
		strings.Join(res.header, ", "), res.runs, wantPassThrough, wantSpillHeap, wantSpillMBs)
	b.WriteString("| pass-through input | decode ns/msg | assemble ns/msg | paired: decode · assemble ns/msg | assemble/decode (paired) | assemble allocs/op |\n|---|--:|--:|--:|--:|--:|\n")
	var parts []string
	var names []string
	for name := range res.vals {
		if rest, ok := strings.CutPrefix(name, txnPass); ok && strings.HasSuffix(rest, "/decode") {
			names = append(names, strings.TrimSuffix(rest, "/decode"))
		}
	}
	sort.Strings(names)
	for _, in := range names {
		pre := txnPass + in
		allocs := res.get(pre+"/assemble", "allocs/op")
		r := res.get(pre+"/paired", "assemble/decode")
		ok := r <= wantPassThrough && allocs == 0
		fmt.Fprintf(&b, "| %s | %s | %s | %s · %s | %s | %s |\n", in,
			num(res.get(pre+"/decode", "ns/msg")), num(res.get(pre+"/assemble", "ns/msg")),
			num(res.get(pre+"/paired", "decode-ns/msg")), num(res.get(pre+"/paired", "assemble-ns/msg")),
			ratio(r, ok), num(allocs))
		parts = append(parts, fmt.Sprintf("%s %s×", in, num(r)))
	}
	summary = "txn pass-through assemble/decode: " + strings.Join(parts, ", ")
	b.WriteString("\n| spill run | MB/s | peak heap MiB | peak heap ÷ budget | peak RSS MiB |\n|---|--:|--:|--:|--:|\n")
	for _, run := range []string{"budget=16MiB", "unlimited"} {
		n := txnSpill + run
		mbs, heap, rss := res.get(n, "MB/s"), res.get(n, "peak-heap-MiB"), res.get(n, "peak-rss-MiB")
		if math.IsNaN(heap) {
			continue
		}
		share := "—"
		if pb := res.get(n, "peak/budget"); !math.IsNaN(pb) {
			share = ratio(pb, pb <= wantSpillHeap)
			summary += fmt.Sprintf("; spill %s peak heap %s× budget at %s MB/s", run, num(pb), num(mbs))
		}
		mb := num(mbs)
		if run != "unlimited" && mbs < wantSpillMBs {
			mb = "**" + mb + "** ✗"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", run, mb, num(heap), share, num(rss))
	}
	fmt.Fprintf(&b, "\n**Summary:** %s.\n", summary)
	return b.String(), summary
}
