// Command handoff shows a pgx user handing a replication session to pgwal:
// pgconn connects and authenticates (with whatever pgconn supports), then
// Hijack gives its net.Conn to wire.NewStream, which runs the replication
// stream: keepalives, status updates by pgwal's acknowledgement rules, and
// a clean CopyDone.
//
//	go run ./cmd/handoff -dsn 'postgres://repl@db/app' -slot s -publication p -n 100
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

func main() {
	dsn := flag.String("dsn", "", "connection string (pgconn syntax)")
	slot := flag.String("slot", "", "logical slot (pgoutput)")
	pub := flag.String("publication", "", "publication")
	n := flag.Int("n", 10, "stop after this many inserts")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := run(ctx, *dsn, *slot, *pub, *n, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "handoff:", err)
		os.Exit(1)
	}
}

// run streams slot until n inserts have arrived, printing one line per
// insert, and returns the position it acknowledged last.
func run(ctx context.Context, dsn, slot, pub string, n int, out io.Writer) (lsn.LSN, error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return 0, err
	}
	cfg.RuntimeParams["replication"] = "database"
	pc, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return 0, err
	}
	// What pgwal's status timer and receive timeout derive from, and the
	// slot's confirmed position, which status updates never go below.
	// (A replication session takes one command per query.)
	var wst time.Duration
	var floor lsn.LSN
	for _, q := range []string{"SHOW wal_sender_timeout",
		"SELECT confirmed_flush_lsn FROM pg_catalog.pg_replication_slots WHERE slot_name = '" + slot + "'"} {
		rs, err := pc.Exec(ctx, q).ReadAll()
		if err != nil {
			pc.Close(ctx)
			return 0, err
		}
		if len(rs) != 1 || len(rs[0].Rows) != 1 || rs[0].Rows[0][0] == nil {
			continue
		}
		if v := string(rs[0].Rows[0][0]); q[0] == 'S' && q[1] == 'H' {
			wst, _ = time.ParseDuration(strings.Replace(v, "min", "m", 1)) // SHOW says "1min"
		} else {
			floor, _ = lsn.Parse(v)
		}
	}
	version := pc.ParameterStatus("server_version")

	hc, err := pc.Hijack()
	if err != nil {
		return 0, err
	}
	if hc.Frontend.ReadBufferLen() != 0 {
		// pgconn read ahead: those bytes cannot be handed over.
		hc.Conn.Close()
		return 0, errors.New("pgconn holds unread bytes; hijack only an idle connection")
	}
	// START_REPLICATION goes out through pgconn's frontend; its answer is
	// read by the stream.
	q := fmt.Sprintf(`START_REPLICATION SLOT %s LOGICAL 0/0 ("proto_version" '2', "publication_names" '%s', "streaming" 'on')`, slot, pub)
	hc.Frontend.Send(&pgproto3.Query{String: q})
	if err := hc.Frontend.Flush(); err != nil {
		hc.Conn.Close()
		return 0, err
	}
	s, err := wire.NewStream(ctx, hc.Conn, wire.HandOff{
		Kind:             wire.Logical,
		Decoder:          codec.Options{ProtoVersion: 2, Streaming: codec.StreamingOn},
		Start:            floor,
		WALSenderTimeout: wst,
		ServerVersionNum: serverVersionNum(version),
		AwaitCopyBoth:    true,
	})
	if err != nil {
		hc.Conn.Close()
		return 0, err
	}
	defer hc.Conn.Close()
	var rels codec.RelationCache
	var acked lsn.LSN
	inserts := 0
	for inserts < n {
		m, err := s.Next(ctx)
		if err != nil {
			return acked, err
		}
		rels.Apply(m)
		if ins, ok := m.(*codec.Insert); ok {
			inserts++
			rel, _ := rels.Resolve(ins)
			fmt.Fprintf(out, "insert %s.%s %s\n", rel.Namespace, rel.Name, ins.New[0].Data)
		}
		if pos, ok := wire.AckPosition(m, s.WALStart()); ok {
			s.Ack(pos) // printing was the "apply"
			acked = pos
		}
	}
	return acked, s.Close(ctx)
}

// serverVersionNum turns "17.4 (Debian 17.4-1)" into 170004.
func serverVersionNum(v string) int {
	var major, minor int
	fmt.Sscanf(v, "%d.%d", &major, &minor)
	return major*10000 + minor
}
