package wire_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pgwal/pgwal/internal/capfile"
	"github.com/pgwal/pgwal/internal/msgjson"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/internal/workload"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

// TestGoldenLive replays the capture workload on a fresh server of every
// available major version, streams it with wire using the options of that
// version's live-v<P>-all capture, and compares the decoded messages
// (rendered by msgjson) with the committed golden files, positions aside:
//
//   - testdata/pgoutput/pg<N>/live-v<P>-all.golden.jsonl, what `make
//     testdata` streamed the same way;
//   - testdata/pgoutput/pg<N>/v<P>-all.golden.jsonl, what
//     pg_logical_slot_peek_binary_changes gave for the same options. The
//     messages are the same; only the position in the XLogData header
//     differs (see peekAsLive).
//
// Two sessions stream the same changes from two slots: one over plain TCP,
// one over TLS with Config.Batching on; both must match. What differs from
// run to run is replaced by placeholders on both sides (see normalizer).
// Versions run two at a time, one server each.
func TestGoldenLive(t *testing.T) {
	versions := pgserver.VersionsT(t)
	files, err := workload.Load(workload.Dir())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		v := v
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			t.Parallel()
			goldenLive(t, v, files)
		})
	}
}

func goldenLive(t *testing.T, major int, files []workload.File) {
	spec := workload.LiveAll(major)
	dir := filepath.Join("..", "testdata", "pgoutput", fmt.Sprintf("pg%d", major))
	// The committed capture must have been made with the options used here.
	capName := filepath.Join(dir, spec.LiveFileName())
	raw, err := os.ReadFile(capName)
	if err != nil {
		t.Fatalf("%v (run make testdata)", err)
	}
	cf, err := capfile.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", capName, err)
	}
	if got := cf.Header["options"]; got != spec.OptionsText() {
		t.Fatalf("%s was captured with options %q, the workload now uses %q (run make testdata)", capName, got, spec.OptionsText())
	}
	if cf.Header["source"] != "replication" {
		t.Fatalf("%s: source %q, want replication", capName, cf.Header["source"])
	}
	liveGolden := readGolden(t, filepath.Join(dir, strings.TrimSuffix(spec.LiveFileName(), ".txt")+".golden.jsonl"))
	peekGolden := readGolden(t, filepath.Join(dir, strings.TrimSuffix(spec.FileName(), ".txt")+".golden.jsonl"))

	scfg := workload.ServerConfig(major)
	scfg.TLS = true
	s := pgserver.StartT(t, scfg)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// The schema, then the slots (created over the replication connections
	// that stream them), then the rest of the workload, as workload.Run
	// does with its own slots. The second session streams the same changes
	// over TLS with read batching on.
	if _, err := workload.Run(ctx, s, files[:1], nil); err != nil {
		t.Fatal(err)
	}
	type session struct {
		name string
		slot string
		cfg  *wire.Config
		conn *wire.Conn
	}
	var sessions []*session
	for _, name := range []string{"plain", "tls-batched"} {
		cfg, err := workload.ReplicationConfig(s)
		if err != nil {
			t.Fatal(err)
		}
		slot := spec.LiveSlot()
		if name == "tls-batched" {
			cfg.SSLMode = wire.SSLRequire
			cfg.Batching = wire.Batching{Always: true}
			slot += "_batched"
		}
		conn, err := wire.Connect(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if name == "tls-batched" && !conn.TLS() {
			t.Fatal("sslmode=require session without TLS")
		}
		if _, err := conn.CreateReplicationSlot(ctx, slot, wire.SlotOptions{TwoPhase: spec.TwoPhase, Snapshot: "nothing"}); err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, &session{name, slot, cfg, conn})
	}
	res, err := workload.Run(ctx, s, files[1:], nil)
	if err != nil {
		t.Fatal(err)
	}

	for _, se := range sessions {
		st, err := se.conn.StartReplication(ctx, se.slot, 0, spec.LogicalOptions())
		if err != nil {
			t.Fatalf("%s: %v", se.name, err)
		}
		if !wire.BatchingArmed(se.conn) { // adaptive for plain, always for tls-batched
			t.Fatalf("%s: batching not armed", se.name)
		}
		got, err := streamRecords(ctx, st, res.EndLSN)
		if err != nil {
			t.Fatalf("%s: %v", se.name, err)
		}
		if err := st.Close(ctx); err != nil {
			t.Fatalf("%s: close: %v", se.name, err)
		}
		t.Logf("%s: %d messages", se.name, len(got))

		gotLines := normalize(got)
		if diff := cmp.Diff(normalize(liveGolden), gotLines); diff != "" {
			t.Errorf("%s: live stream differs from the live capture %s, positions aside (-golden +got):\n%s", se.name, spec.LiveFileName(), diff)
		}
		if diff := cmp.Diff(normalize(peekAsLive(peekGolden)), gotLines); diff != "" {
			t.Errorf("%s: live stream differs from the peek capture %s, positions aside (-peek +live):\n%s", se.name, spec.FileName(), diff)
		}
	}
}

// streamRecords reads st as a consumer would, rendering each message with
// msgjson and acknowledging each unit of work, until the stream has
// reported a position at or past until (all of the workload) and stayed
// quiet for a moment.
func streamRecords(ctx context.Context, st *wire.Stream, until lsn.LSN) ([]msgjson.Record, error) {
	const idle = 200 * time.Millisecond
	var cat msgjson.Catalog
	var out []msgjson.Record
	last := time.Now()
	for {
		rctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		m, err := st.Next(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				w, _, _ := st.Positions()
				return out, fmt.Errorf("stream reported %v, want %v: %w", w, until, ctx.Err())
			}
			if errors.Is(err, context.DeadlineExceeded) {
				if w, _, _ := st.Positions(); w >= until && time.Since(last) >= idle {
					return out, nil
				}
				if err := st.SendStatus(ctx, true); err != nil { // ask for a keepalive
					return out, err
				}
				continue
			}
			return out, err
		}
		last = time.Now()
		cat.Apply(m)
		r := cat.Message(m)
		r.LSN = st.WALStart().String()
		out = append(out, r)
		if pos, ok := wire.AckPosition(m, st.WALStart()); ok {
			st.Ack(pos)
		}
	}
}

func readGolden(t *testing.T, name string) []msgjson.Record {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatalf("%v (run make testdata)", err)
	}
	defer f.Close()
	var out []msgjson.Record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for n := 1; sc.Scan(); n++ {
		var r msgjson.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s:%d: %v", name, n, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: empty", name)
	}
	return out
}

// peekAsLive returns the peek records with the positions a walsender puts
// in the XLogData header. Both take the position from the decoding
// context's write_location, but the walsender (WalSndPrepareWrite) sends
// InvalidXLogRecPtr, 0/0, for every write that is not the last of its
// output plugin callback ("can't have sync rep confused by sending the
// same LSN several times"), while the peek function's lsn column always
// has it. pgoutput's non-last writes are the Relation and Type messages
// sent ahead of a change, and the Begin (Begin Prepare, Stream Start) that
// an Origin message follows. Everything else — message sequence and
// bytes — is the same in both captures of the workload.
func peekAsLive(recs []msgjson.Record) []msgjson.Record {
	out := append([]msgjson.Record(nil), recs...)
	for i := range out {
		if out[i].Type == "Relation" || out[i].Type == "Type" ||
			i+1 < len(out) && out[i+1].Type == "Origin" {
			out[i].LSN = lsn.LSN(0).String()
		}
	}
	return out
}

// normalize renders recs as JSON lines with what differs from run to run
// replaced by placeholders: positions (lsn, *_lsn; "0/0" is kept, it is
// what the server sends for non-final writes), timestamps, and xids and
// OIDs of user objects (>= 16384), which are numbered in order of first
// appearance, so "the same xid/relation as before" is still checked. The
// Origin message's commit_lsn is the workload's origin LSN (0/ABCDEF) and
// stays; GIDs are the workload's names and stay.
func normalize(recs []msgjson.Record) []string {
	xids, oids := map[uint32]uint32{}, map[uint32]uint32{}
	num := func(m map[uint32]uint32, v, first uint32) uint32 {
		if v < first {
			return v
		}
		if _, ok := m[v]; !ok {
			m[v] = first + uint32(len(m))
		}
		return m[v]
	}
	pos := func(s *string) {
		if *s != "" && *s != "0/0" {
			*s = "<lsn>"
		}
	}
	tm := func(s *string) {
		if *s != "" {
			*s = "<time>"
		}
	}
	const firstNormalOID = 16384
	out := make([]string, len(recs))
	for i, r := range recs {
		pos(&r.LSN)
		for _, p := range []*string{&r.FinalLSN, &r.PrepareLSN, &r.EndLSN, &r.PrepareEndLSN, &r.RollbackEndLSN, &r.AbortLSN, &r.MessageLSN} {
			pos(p)
		}
		if r.Type != "Origin" {
			pos(&r.CommitLSN)
		}
		for _, p := range []*string{&r.CommitTime, &r.PrepareTime, &r.RollbackTime, &r.AbortTime} {
			tm(p)
		}
		r.Xid = num(xids, r.Xid, 1)
		r.SubXid = num(xids, r.SubXid, 1)
		r.RelationID = num(oids, r.RelationID, firstNormalOID)
		r.TypeOID = num(oids, r.TypeOID, firstNormalOID)
		if r.Columns != nil {
			cols := append([]msgjson.ColumnDef(nil), r.Columns...)
			for j := range cols {
				cols[j].TypeOID = num(oids, cols[j].TypeOID, firstNormalOID)
			}
			r.Columns = cols
		}
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			panic(err)
		}
		out[i] = strings.TrimSuffix(b.String(), "\n")
	}
	return out
}
