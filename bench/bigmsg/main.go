// Command bigmsg measures what one large message costs a pgwal client:
// a scripted walsender on loopback streams a single Insert whose one
// column is -size bytes (written in 1 MiB pieces, so the server holds
// none of it), and the client reads it with Stream.Next. It reports the
// client's allocations and peak RSS above what it had before.
//
//	cd bench && go run ./bigmsg -size 256MiB
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/pgwal/pgwal/bench/internal/walsender"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

func main() {
	sizes := flag.String("size", "256MiB,1GiB", "column sizes, comma-separated (KiB, MiB, GiB)")
	flag.Parse()
	for _, s := range strings.Split(*sizes, ",") {
		n, err := parseSize(s)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bigmsg:", err)
			os.Exit(2)
		}
		r, err := measure(n)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bigmsg:", err)
			os.Exit(1)
		}
		fmt.Printf("| %s | %.0f MB | %.3f× | %.0f MB | %.3f× |\n", s, float64(r.alloc)/1e6, float64(r.alloc)/float64(n),
			float64(r.rss)/1e6, float64(r.rss)/float64(n))
	}
}

func parseSize(s string) (int, error) {
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.Atoi(v)
			return n * u.mult, err
		}
	}
	return strconv.Atoi(s)
}

type result struct {
	alloc uint64 // bytes allocated while Next read the message
	rss   int64  // peak RSS growth
}

// vm reads a "Vm…:" line of /proc/self/status, in bytes.
func vm(field string) int64 {
	raw, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return -1
}

func measure(n int) (result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	defer ln.Close()
	go walsender.Serve(ln, func(nc net.Conn, _ <-chan struct{}) { sendInsert(nc, n) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg, err := wire.ParseConfig("postgres://repl@" + ln.Addr().String() + "/app?replication=database&sslmode=disable")
	if err != nil {
		return result{}, err
	}
	conn, err := wire.Connect(ctx, cfg)
	if err != nil {
		return result{}, err
	}
	defer conn.Close()
	st, err := conn.StartReplication(ctx, "s", 0, wire.LogicalOptions{Publications: []string{"p"}})
	if err != nil {
		return result{}, err
	}
	runtime.GC()
	// Reset the peak RSS to the current RSS (Linux: clear_refs 5).
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return result{}, fmt.Errorf("resetting VmHWM: %w", err)
	}
	base := vm("VmRSS")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := st.Next(ctx)
	if err != nil {
		return result{}, err
	}
	runtime.ReadMemStats(&after)
	ins, ok := m.(*codec.Insert)
	if !ok || len(ins.New) != 1 || len(ins.New[0].Data) != n {
		return result{}, fmt.Errorf("got %T, want an Insert of one %d-byte column", m, n)
	}
	r := result{alloc: after.TotalAlloc - before.TotalAlloc, rss: vm("VmHWM") - base}
	st.Close(ctx)
	return r, nil
}

// sendInsert streams one Insert of an n-byte text column, generating the
// column as it writes.
func sendInsert(nc net.Conn, n int) {
	// XLogData header, then Insert: 'I', relation, 'N', 1 column, 't',
	// length, the value.
	payload := codec.AppendXLogDataHeader(nil, 0x10000, 0x10000, lsn.TimestampOf(time.Now()))
	payload = append(payload, 'I', 0, 0, 0, 1, 'N', 0, 1, 't')
	payload = binary.BigEndian.AppendUint32(payload, uint32(n))
	frame := append([]byte{'d'}, binary.BigEndian.AppendUint32(nil, uint32(4+len(payload)+n))...)
	if _, err := nc.Write(append(frame, payload...)); err != nil {
		return
	}
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = 'x'
	}
	for left := n; left > 0; left -= len(chunk) {
		if _, err := nc.Write(chunk[:min(left, len(chunk))]); err != nil {
			return
		}
	}
}
