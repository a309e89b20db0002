// Command latency measures how late a lone change on a quiet stream
// reaches a pgwal consumer: a scripted walsender on loopback sends one
// small transaction (Begin, Insert, Commit) every -gap, stamping the
// Insert with the time it is written to the socket, and the client notes
// when Next returns it. It runs the default configuration (adaptive read
// batching) beside batching always on and batching off, and writes the
// latency section of README.md.
//
//	cd bench && go run ./latency            # 500 changes per configuration
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pgwal/pgwal/bench/internal/walsender"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

// configs are the read batching settings compared.
var configs = []struct {
	name string
	b    wire.Batching
}{
	{"default (adaptive)", wire.Batching{}},
	{"Always, 5 ms", wire.Batching{Always: true}},
	{"off", wire.Batching{MinBytes: -1}},
}

func main() {
	n := flag.Int("n", 500, "lone changes per configuration")
	gap := flag.Duration("gap", 10*time.Millisecond, "time between changes")
	readme := flag.String("readme", "README.md", "update the latency section of this file ('' = print only)")
	flag.Parse()
	var rows []result
	for _, c := range configs {
		r, err := measure(c.b, *n, *gap)
		if err != nil {
			fmt.Fprintf(os.Stderr, "latency: %s: %v\n", c.name, err)
			os.Exit(1)
		}
		r.name = c.name
		fmt.Fprintf(os.Stderr, "latency: %-20s median %v p99 %v max %v\n", c.name, r.pct(50), r.pct(99), r.pct(100))
		rows = append(rows, r)
	}
	md := markdown(rows, *n, *gap)
	fmt.Print(md)
	if *readme != "" {
		if err := writeSection(*readme, md); err != nil {
			fmt.Fprintln(os.Stderr, "latency:", err)
			os.Exit(1)
		}
	}
}

type result struct {
	name    string
	samples []time.Duration // sorted
}

func (r result) pct(p int) time.Duration {
	if len(r.samples) == 0 {
		return 0
	}
	i := (len(r.samples)*p + 99) / 100
	return r.samples[max(0, min(i, len(r.samples))-1)]
}

func markdown(rows []result, n int, gap time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d lone changes per configuration, one every %v, from a scripted walsender on loopback (same process, %s/%s, GOMAXPROCS %d, %s): the time from the server's write of the Insert to Next returning it.\n\n",
		n, gap, runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.Version())
	b.WriteString("| read batching | median | p90 | p99 | max |\n|---|--:|--:|--:|--:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.name, us(r.pct(50)), us(r.pct(90)), us(r.pct(99)), us(r.pct(100)))
	}
	def := rows[0]
	mark := func(ok bool) string {
		if ok {
			return "✓"
		}
		return "✗ **missed**"
	}
	fmt.Fprintf(&b, "\n- default: median %s (bar ≤ 1 ms) %s, p99 %s (bar ≤ 5 ms) %s\n",
		us(def.pct(50)), mark(def.pct(50) <= time.Millisecond), us(def.pct(99)), mark(def.pct(99) <= 5*time.Millisecond))
	return b.String()
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }

// measure streams n lone changes through a client with batching b.
func measure(b wire.Batching, n int, gap time.Duration) (result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	defer ln.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		walsender.Serve(ln, func(nc net.Conn, done <-chan struct{}) { send(nc, done, n, gap) })
	}()
	defer wg.Wait()

	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n)*gap+30*time.Second)
	defer cancel()
	cfg, err := wire.ParseConfig("postgres://repl@" + ln.Addr().String() + "/app?replication=database&sslmode=disable")
	if err != nil {
		return result{}, err
	}
	cfg.Batching = b
	conn, err := wire.Connect(ctx, cfg)
	if err != nil {
		return result{}, err
	}
	defer conn.Close()
	st, err := conn.StartReplication(ctx, "s", 0, wire.LogicalOptions{Publications: []string{"p"}})
	if err != nil {
		return result{}, err
	}
	var r result
	for len(r.samples) < n {
		m, err := st.Next(ctx)
		if err != nil {
			return r, fmt.Errorf("after %d changes: %w", len(r.samples), err)
		}
		if ins, ok := m.(*codec.Insert); ok {
			sent := int64(binary.BigEndian.Uint64(ins.New[0].Data))
			r.samples = append(r.samples, time.Duration(time.Now().UnixNano()-sent))
		}
		if pos, ok := wire.AckPosition(m, st.WALStart()); ok {
			st.Ack(pos)
		}
	}
	sort.Slice(r.samples, func(i, j int) bool { return r.samples[i] < r.samples[j] })
	st.Close(ctx)
	return r, nil
}

// send writes n lone transactions, one every gap, each message with its
// own write as a walsender does.
func send(nc net.Conn, done <-chan struct{}, n int, gap time.Duration) {
	rel := &codec.Relation{RelationID: 1, Namespace: []byte("public"), Name: []byte("t"), ReplicaIdentity: 'd',
		Columns: []codec.RelationColumn{{Name: []byte("sent"), TypeOID: 17, TypeMod: -1}}}
	write := func(pos lsn.LSN, m codec.Message) bool {
		b := codec.AppendXLogDataHeader(nil, pos, pos, lsn.TimestampOf(time.Now()))
		b = codec.AppendMessage(b, m)
		_, err := nc.Write(walsender.Msg('d', b))
		return err == nil
	}
	if !write(0, rel) {
		return
	}
	t := time.NewTicker(gap)
	defer t.Stop()
	for i := 0; i < n; i++ {
		select {
		case <-done:
			return
		case <-t.C:
		}
		pos := lsn.LSN(0x10000 + i*0x100)
		stamp := make([]byte, 8)
		if !write(pos, &codec.Begin{FinalLSN: pos + 0x80, Xid: uint32(1000 + i)}) {
			return
		}
		binary.BigEndian.PutUint64(stamp, uint64(time.Now().UnixNano()))
		if !write(pos+8, &codec.Insert{RelationID: 1, New: codec.Tuple{{Kind: codec.ColumnBinary, Data: stamp}}}) {
			return
		}
		if !write(pos+0x88, &codec.Commit{CommitLSN: pos + 0x80, EndLSN: pos + 0x88}) {
			return
		}
	}
}

const (
	markStart = "<!-- latency:start -->"
	markEnd   = "<!-- latency:end -->"
)

func writeSection(path, md string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(raw)
	i, j := strings.Index(s, markStart), strings.Index(s, markEnd)
	if i < 0 || j < i {
		return fmt.Errorf("%s: no %s … %s section", path, markStart, markEnd)
	}
	s = s[:i+len(markStart)] + "\n" + md + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}
