package txn_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/txn"
	"github.com/pgwal/pgwal/wire"
)

// The real-server proof: concurrent sessions write transactions larger
// than logical_decoding_work_mem (64kB: pgserver's setting) with
// savepoints rolled back inside them, whole streamed transactions rolled
// back, prepared transactions committed and rolled back, ALTER TABLE
// inside streamed transactions that are rolled back, and TOASTed columns
// left unchanged by updates under REPLICA IDENTITY DEFAULT and FULL. The
// stream (streaming on, parallel on 16+, two-phase on 15+) is assembled by
// txn through wire.Units within a small memory budget, applied into an
// in-memory model of each table, and compared with what the database
// committed.

const (
	itSlot   = "txn_it"
	itPub    = "txn_pub"
	itEnd    = "pgwal-end"
	itBudget = 16 << 10
	bigCols  = 3 // the TOASTed column "big" of t_def and t_full
)

const itSchema = `
CREATE TABLE t_def (id int PRIMARY KEY, grp int NOT NULL, v text, big text);
ALTER TABLE t_def ALTER big SET STORAGE EXTERNAL;
CREATE TABLE t_full (id int PRIMARY KEY, grp int NOT NULL, v text, big text);
ALTER TABLE t_full ALTER big SET STORAGE EXTERNAL;
ALTER TABLE t_full REPLICA IDENTITY FULL;
CREATE TABLE t_alt (id int PRIMARY KEY, v text);
CREATE TABLE t_truth (tag text PRIMARY KEY, x bigint NOT NULL);
CREATE PUBLICATION ` + itPub + ` FOR TABLE t_def, t_full, t_alt, t_truth;
`

// itTables: each table's columns as read back, the TOASTed one as md5.
var itTables = map[string]string{
	"t_def":   "id, grp, v, md5(big)",
	"t_full":  "id, grp, v, md5(big)",
	"t_alt":   "id, v",
	"t_truth": "tag, x",
}

// workload returns one session's steps (each one simple query, several
// statements) for round r: session s writes ids from base up.
func workload(major, s, r int) []string {
	b := (s*100+r)*100000 + 1
	tag := func(name string) string {
		return fmt.Sprintf("INSERT INTO t_truth VALUES ('%d.%d.%s', txid_current());", s, r, name)
	}
	ins := func(table string, from, to int) string {
		return fmt.Sprintf("INSERT INTO %s (id, grp, v) SELECT g, %d, repeat('a', 40) || g FROM generate_series(%d, %d) g;", table, s, b+from, b+to)
	}
	gid := func(name string) string { return fmt.Sprintf("'g%d_%d_%s'", s, r, name) }
	steps := []string{
		// A streamed transaction with a rolled-back savepoint, updates
		// and deletes.
		"BEGIN;" + tag("big") + ins("t_def", 0, 1499),
		"SAVEPOINT s1;" + ins("t_def", 1500, 2499),
		"ROLLBACK TO SAVEPOINT s1;" + fmt.Sprintf("UPDATE t_def SET v = v || 'u' WHERE id BETWEEN %d AND %d; DELETE FROM t_def WHERE id BETWEEN %d AND %d;", b, b+299, b+300, b+399),
		"SAVEPOINT s2;" + ins("t_def", 2500, 2599) + "RELEASE SAVEPOINT s2; COMMIT;",
		// TOASTed rows, then updates that leave them unchanged: small
		// transactions, then inside a streamed one.
		"BEGIN;" + tag("toast") + fmt.Sprintf(`INSERT INTO t_def SELECT g, %[1]d, 'x', repeat(md5(g::text), 320) FROM generate_series(%[2]d, %[3]d) g;
INSERT INTO t_full SELECT g, %[1]d, 'x', repeat(md5(g::text), 320) FROM generate_series(%[2]d, %[3]d) g; COMMIT;`, s, b+5000, b+5019),
		fmt.Sprintf("BEGIN;"+tag("toastup")+"UPDATE t_def SET v = 'y' WHERE id BETWEEN %[1]d AND %[2]d; UPDATE t_full SET v = 'y' WHERE id BETWEEN %[1]d AND %[2]d; COMMIT;", b+5000, b+5009),
		"BEGIN;" + tag("toaststream") + ins("t_def", 6000, 7499) + fmt.Sprintf("UPDATE t_full SET v = 'z', grp = grp + 1 WHERE id BETWEEN %[1]d AND %[2]d; UPDATE t_def SET v = 'z' WHERE id BETWEEN %[1]d AND %[2]d; DELETE FROM t_full WHERE id = %[1]d; COMMIT;", b+5010, b+5019),
		// A whole streamed transaction rolled back.
		"BEGIN;" + tag("rolledback") + ins("t_def", 8000, 9999) + "ROLLBACK;",
		// ALTER TABLE inside streamed transactions that roll back.
		"BEGIN; LOCK TABLE t_alt;" + tag("alter1") + fmt.Sprintf("INSERT INTO t_alt SELECT g, repeat('b', 40) FROM generate_series(%d, %d) g; ALTER TABLE t_alt ADD COLUMN extra int; INSERT INTO t_alt SELECT g, 'c', g FROM generate_series(%d, %d) g; ROLLBACK;", b, b+1499, b+1500, b+1999),
		"BEGIN; LOCK TABLE t_alt;" + tag("alter2") + fmt.Sprintf("INSERT INTO t_alt SELECT g, repeat('b', 40) FROM generate_series(%d, %d) g; ALTER TABLE t_alt RENAME COLUMN v TO w; INSERT INTO t_alt (id, w) SELECT g, 'd' FROM generate_series(%d, %d) g; ROLLBACK;", b, b+1499, b+1500, b+1999),
		"BEGIN;" + tag("alt") + fmt.Sprintf("INSERT INTO t_alt SELECT g, 'e' || g FROM generate_series(%d, %d) g; COMMIT;", b+3000, b+3009),
		// Prepared transactions: large and small, committed and rolled
		// back, with other transactions between PREPARE and the end.
		"BEGIN;" + tag("prepA") + ins("t_def", 11000, 12499) + "PREPARE TRANSACTION " + gid("a") + ";",
		"BEGIN;" + tag("prepB") + ins("t_def", 13000, 13009) + "PREPARE TRANSACTION " + gid("b") + ";",
		"BEGIN;" + tag("mid") + ins("t_full", 20000, 20009) + "COMMIT;",
		"COMMIT PREPARED " + gid("a") + ";",
		"ROLLBACK PREPARED " + gid("b") + ";",
		"BEGIN;" + tag("prepC") + ins("t_def", 14000, 15499) + fmt.Sprintf("UPDATE t_def SET v = 'p' WHERE id BETWEEN %d AND %d;", b, b+9) + "PREPARE TRANSACTION " + gid("c") + ";",
		"ROLLBACK PREPARED " + gid("c") + ";",
		"BEGIN;" + tag("prepD") + ins("t_def", 16000, 16004) + "PREPARE TRANSACTION " + gid("d") + ";",
		"COMMIT PREPARED " + gid("d") + ";",
	}
	return steps
}

// itStart starts a server of major version v with the schema and a slot.
func itStart(t *testing.T, v int) *pgserver.Server {
	t.Helper()
	s := pgserver.StartT(t, pgserver.Config{Version: v, Settings: map[string]string{"track_commit_timestamp": "on"}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Exec(ctx, itSchema); err != nil {
		t.Fatal(err)
	}
	c, err := wire.ConnectString(ctx, s.DSN("", "", "postgres", "replication=database"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CreateReplicationSlot(ctx, itSlot, wire.SlotOptions{TwoPhase: v >= 15, Snapshot: "nothing"}); err != nil {
		t.Fatal(err)
	}
	return s
}

func itOptions(v int) wire.LogicalOptions {
	o := wire.LogicalOptions{Publications: []string{itPub}, Messages: true, Streaming: codec.StreamingOn}
	if v >= 16 {
		o.Streaming = codec.StreamingParallel
	}
	if v >= 15 {
		o.TwoPhase = true
	}
	return o
}

// runWorkload runs sessions concurrent sessions of rounds rounds each,
// then writes the end marker (a non-transactional message).
func runWorkload(ctx context.Context, s *pgserver.Server, sessions, rounds int, between func(session, step int)) error {
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for i := 0; i < sessions; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := wire.ConnectString(ctx, s.DSN("", "", "postgres"))
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			n := 0
			for r := 0; r < rounds; r++ {
				for _, step := range workload(s.Major(), i, r) {
					if _, err := c.Exec(ctx, step); err != nil {
						errs <- fmt.Errorf("session %d: %.80s: %w", i, step, err)
						return
					}
					if between != nil {
						between(i, n)
					}
					n++
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	_, err := s.Exec(ctx, "SELECT pg_logical_emit_message(false, '"+itEnd+"', 'done')")
	return err
}

// A change, copied out of the Assembler's reused one.
type itChange struct {
	op    txn.Op
	table string
	key   string
	cols  []string // column names of the new row
	vals  []*string
}

// itStore is the consumer's durable store: the model of each table, the
// prepared transactions by GID and the position, all written together
// under one lock (one atomic "durable transaction").
type itStore struct {
	mu       sync.Mutex
	tables   map[string]map[string][]*string
	prepared map[string][]itChange
	position lsn.LSN
	dups     int // inserts of a key present already
	missing  int // updates or deletes of a key absent
}

func newStore() *itStore {
	return &itStore{tables: map[string]map[string][]*string{}, prepared: map[string][]itChange{}}
}

func (s *itStore) Position(context.Context) (lsn.LSN, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.position, nil
}

func (s *itStore) apply(cs []itChange) {
	for _, c := range cs {
		tab := s.tables[c.table]
		if tab == nil {
			tab = map[string][]*string{}
			s.tables[c.table] = tab
		}
		switch c.op {
		case txn.OpInsert:
			if _, ok := tab[c.key]; ok {
				s.dups++
			}
			tab[c.key] = c.vals
		case txn.OpUpdate:
			old, ok := tab[c.key]
			if !ok {
				s.missing++
			}
			row := append([]*string(nil), c.vals...)
			for i, v := range row {
				if v == &unchanged {
					row[i] = old[i] // unchanged TOAST: the value the row had
				}
			}
			tab[c.key] = row
		case txn.OpDelete:
			if _, ok := tab[c.key]; !ok {
				s.missing++
			}
			delete(tab, c.key)
		}
	}
}

// itCommit is a committed unit: its transaction and commit time.
type itCommit struct {
	xid  uint32
	time lsn.Timestamp
}

var unchanged string // its address marks an unchanged TOAST column

// itStats: what the consumer saw.
type itStats struct {
	units, streamed, spilled, aborts, prepared, commitPrepared, rollbackPrepared int
	unchangedDef, filledFull                                                     int
	maxBuffered                                                                  int64
	commits                                                                      []itCommit // committed units with changes, in order
	restartedUnits                                                               int
}

// itConsume reads units through u until the end marker, applying them to
// store; check reports protocol-level surprises.
func itConsume(ctx context.Context, t *testing.T, u *wire.Units, store *itStore, spillDir string, major int) itStats {
	t.Helper()
	var (
		st      itStats
		cur     []itChange
		lastEnd lsn.LSN
		open    bool
	)
	for {
		ev, err := u.Next(ctx)
		if errors.Is(err, wire.ErrUnitInterrupted) {
			cur, open = nil, false
			st.restartedUnits++
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v (stats %+v)", err, u.Stats())
		}
		if a := u.Assembler(); a.Buffered() > itBudget {
			t.Fatalf("Buffered %d > budget %d", a.Buffered(), itBudget)
		} else {
			st.maxBuffered = max(st.maxBuffered, a.Buffered())
		}
		switch ev.Kind {
		case txn.EventBegin:
			if open {
				t.Fatal("EventBegin inside a unit")
			}
			open, cur = true, nil
			if ev.Unit.Streamed && ev.Unit.Kind != txn.KindAbort {
				if ents, _ := os.ReadDir(spillDir); len(ents) > 0 {
					st.spilled++ // replaying from a spill file
				}
			}
		case txn.EventChange:
			c := ev.Change
			if c.Op == txn.OpMessage {
				cur = append(cur, itChange{op: txn.OpMessage, key: string(c.Prefix)})
				continue
			}
			ic := itChange{op: c.Op, table: c.Relation.Name}
			row := c.New
			if c.Op == txn.OpDelete {
				row = c.Old
			}
			ic.key = string(row.At(0).Data)
			if c.Op != txn.OpDelete {
				for i := 0; i < c.New.Len(); i++ {
					v := c.New.At(i)
					ic.cols = append(ic.cols, c.Relation.Columns[i].Name)
					switch v.State {
					case txn.Present:
						s := string(v.Data)
						if i == bigCols && (ic.table == "t_def" || ic.table == "t_full") {
							s = md5hex(v.Data)
						}
						ic.vals = append(ic.vals, &s)
						if v.Filled && ic.table == "t_full" && i == bigCols {
							st.filledFull++
						}
					case txn.Null:
						if v.Filled {
							t.Fatalf("%s %s col %d filled with NULL", ic.table, ic.key, i)
						}
						ic.vals = append(ic.vals, nil)
					case txn.Unchanged:
						if ic.table == "t_full" {
							t.Fatalf("REPLICA IDENTITY FULL: unchanged column %d of %s not filled from the old row", i, ic.key)
						}
						if c.Op != txn.OpUpdate {
							t.Fatalf("unchanged TOAST in an %v", c.Op)
						}
						st.unchangedDef++
						ic.vals = append(ic.vals, &unchanged)
					default:
						t.Fatalf("%s: column %d %v in a new row", ic.table, i, v.State)
					}
				}
			}
			cur = append(cur, ic)
		case txn.EventEnd:
			open = false
			un := ev.Unit
			r := u.Receipt()
			if un.End <= lastEnd {
				t.Fatalf("unit %v ends at %v, not after the previous %v", un.Kind, un.End, lastEnd)
			}
			lastEnd = un.End
			st.units++
			if un.Streamed {
				st.streamed++
			}
			store.mu.Lock()
			switch un.Kind {
			case txn.KindTransaction:
				store.apply(cur)
				if len(cur) > 0 {
					st.commits = append(st.commits, itCommit{un.Xid, un.Time})
				}
			case txn.KindPrepared:
				st.prepared++
				store.prepared[string(un.GID)] = cur
			case txn.KindCommitPrepared:
				st.commitPrepared++
				cs, ok := store.prepared[string(un.GID)]
				if !ok {
					store.mu.Unlock()
					t.Fatalf("COMMIT PREPARED %s: not prepared", un.GID)
				}
				delete(store.prepared, string(un.GID))
				store.apply(cs)
				st.commits = append(st.commits, itCommit{un.Xid, un.Time})
			case txn.KindRollbackPrepared:
				st.rollbackPrepared++
				if _, ok := store.prepared[string(un.GID)]; !ok {
					store.mu.Unlock()
					t.Fatalf("ROLLBACK PREPARED %s: not prepared", un.GID)
				}
				delete(store.prepared, string(un.GID))
			case txn.KindAbort:
				st.aborts++
			}
			store.position = r.End()
			store.mu.Unlock()
			if r.Kind() == txn.KindPrepared {
				err = u.PreparedStored(r)
			} else {
				err = u.Applied(r)
			}
			if err != nil {
				t.Fatalf("confirming %v: %v", un.Kind, err)
			}
			if un.Kind == txn.KindMessage && len(cur) == 1 && cur[0].key == itEnd {
				return st
			}
		}
	}
}

func md5hex(b []byte) string {
	h := md5.Sum(b)
	return hex.EncodeToString(h[:])
}

// itCompare reads every table back and compares it with the model.
func itCompare(ctx context.Context, t *testing.T, s *pgserver.Server, store *itStore) (rows int) {
	t.Helper()
	names := make([]string, 0, len(itTables))
	for n := range itTables {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		out, err := s.Exec(ctx, "SELECT "+itTables[name]+" FROM "+name+" ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		db := map[string]string{}
		if out != "" {
			for _, line := range strings.Split(out, "\n") {
				k, _, _ := strings.Cut(line, "|")
				db[k] = line
			}
		}
		model := map[string]string{}
		for k, vals := range store.tables[name] {
			parts := make([]string, len(vals))
			for i, v := range vals {
				if v == &unchanged {
					t.Fatalf("%s %s: column %d unchanged TOAST with no value to keep", name, k, i)
				}
				if v != nil {
					parts[i] = *v
				}
			}
			model[k] = strings.Join(parts, "|")
		}
		lost, extra, diff := 0, 0, 0
		for k, line := range db {
			m, ok := model[k]
			switch {
			case !ok:
				lost++
			case m != line:
				diff++
				if diff <= 3 {
					t.Errorf("%s %s:\n  db    %.120s\n  model %.120s", name, k, line, m)
				}
			}
		}
		for k := range model {
			if _, ok := db[k]; !ok {
				extra++
			}
		}
		if lost+extra+diff > 0 {
			t.Fatalf("%s: %d rows in the database, %d in the model: %d lost, %d applied but not committed, %d differ", name, len(db), len(model), lost, extra, diff)
		}
		rows += len(db)
	}
	if store.dups+store.missing > 0 {
		t.Fatalf("model: %d duplicate inserts, %d changes to missing rows", store.dups, store.missing)
	}
	if len(store.prepared) > 0 {
		t.Fatalf("%d prepared transactions left without COMMIT or ROLLBACK PREPARED", len(store.prepared))
	}
	return rows
}

// itCommitOrder checks that the committed units are exactly the
// committed transactions of the workload (the xids t_truth recorded), each
// with its commit time as the database has it. Units come in commit order:
// itConsume checked that their Ends (their commit records) increase, and a
// commit timestamp is taken before the commit record is written, so
// timestamps of concurrent commits need not be in that order.
func itCommitOrder(ctx context.Context, t *testing.T, s *pgserver.Server, commits []itCommit) {
	t.Helper()
	out, err := s.Exec(ctx, "SELECT x, ((extract(epoch FROM pg_xact_commit_timestamp((x % 4294967296)::text::xid)) - 946684800) * 1000000)::bigint FROM t_truth")
	if err != nil {
		t.Fatal(err)
	}
	ts := map[uint32]lsn.Timestamp{}
	for _, line := range strings.Split(out, "\n") {
		x, when, _ := strings.Cut(line, "|")
		n, err := strconv.ParseUint(x, 10, 64)
		w, err2 := strconv.ParseInt(when, 10, 64)
		if err != nil || err2 != nil {
			t.Fatalf("t_truth row %q: %v %v", line, err, err2)
		}
		ts[uint32(n)] = lsn.Timestamp(w)
	}
	if len(commits) != len(ts) {
		t.Fatalf("%d committed units with changes, %d committed workload transactions", len(commits), len(ts))
	}
	for i, c := range commits {
		when, ok := ts[c.xid]
		if !ok {
			t.Fatalf("unit %d: xid %d is not a committed workload transaction (or came twice)", i, c.xid)
		}
		if when != c.time {
			t.Fatalf("unit %d (xid %d): commit time %v, the database says %v", i, c.xid, c.time, when)
		}
		delete(ts, c.xid)
	}
}

func TestRealServers(t *testing.T) {
	for _, v := range pgserver.VersionsT(t) {
		v := v
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) {
			t.Parallel()
			s := itStart(t, v)
			ctx, cancel := context.WithTimeout(context.Background(), 80*time.Second)
			defer cancel()
			if err := runWorkload(ctx, s, 2, 1, nil); err != nil {
				t.Fatal(err)
			}
			store := newStore()
			spill := t.TempDir()
			u, err := wire.NewUnits(wire.UnitsConfig{
				Slot:      itSlot,
				Options:   itOptions(v),
				Assembler: txn.Options{MemoryBudget: itBudget, SpillDir: spill},
				Dial: func(ctx context.Context) (*wire.Conn, error) {
					return wire.ConnectString(ctx, s.DSN("", "", "postgres", "replication=database"))
				},
				Position:    store.Position,
				MaxFailures: 1,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer u.Close(ctx)
			st := itConsume(ctx, t, u, store, spill, v)
			rows := itCompare(ctx, t, s, store)
			itCommitOrder(ctx, t, s, st.commits)
			t.Logf("pg%d: %d rows, %d units (%d streamed, %d begun with spill files on disk, max buffered %d B), %d stream aborts received, %d prepared, %d commit prepared, %d rollback prepared, unchanged TOAST: %d kept under DEFAULT, %d filled under FULL",
				v, rows, st.units, st.streamed, st.spilled, st.maxBuffered, st.aborts, st.prepared, st.commitPrepared, st.rollbackPrepared, st.unchangedDef, st.filledFull)
			switch {
			case st.spilled == 0:
				t.Error("no streamed transaction began its replay with spill files on disk")
			case st.streamed < 4:
				t.Errorf("only %d streamed units: logical_decoding_work_mem not exceeded?", st.streamed)
			case st.unchangedDef == 0 || st.filledFull == 0:
				t.Errorf("unchanged TOAST not exercised: %d under DEFAULT, %d under FULL", st.unchangedDef, st.filledFull)
			case v < 18 && st.aborts == 0:
				t.Error("no Stream Abort received (PostgreSQL < 18 streams a large transaction before it knows it aborts)")
			case v >= 15 && (st.prepared < 6 || st.commitPrepared < 4 || st.rollbackPrepared < 4):
				t.Errorf("two-phase: %d prepared, %d commit, %d rollback: want ≥ 6, 4, 4", st.prepared, st.commitPrepared, st.rollbackPrepared)
			case v < 15 && st.prepared+st.commitPrepared+st.rollbackPrepared > 0:
				t.Error("two-phase units without two_phase")
			}
		})
	}
}
