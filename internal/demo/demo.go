// Package demo runs the live demonstration behind `make demo`: a throwaway
// PostgreSQL server, a workload, and the decoded replication stream printed
// as readable JSON lines.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/msgjson"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/wire"
)

// ErrNoServer: no PostgreSQL server binaries are available.
var ErrNoServer = errors.New("demo: no PostgreSQL server binaries found")

// Hint says how to get a server when Run returns ErrNoServer.
const Hint = `No PostgreSQL server binaries found (looked at $PGWAL_PG_BIN, the cache ` +
	`filled by "make postgres", and /usr/lib/postgresql/N/bin).
Get some with:
  make postgres                        # PostgreSQL 14-18 into the cache
or, on Debian/Ubuntu:
  apt-get install -y postgresql-15     # or any version 14-18`

const (
	slotName = "demo_slot"
	pubName  = "demo_pub"
	bigRows  = 200
)

// Run starts the newest available server, streams for d while a workload
// runs, then closes the stream, stops the server and removes its files.
// The server is stopped however Run ends: ctx cancelled (Ctrl-C), a write
// to w failing (a closed pipe: make demo | head), a failed step, a panic.
func Run(ctx context.Context, w io.Writer, d time.Duration) (err error) {
	versions := pgserver.Available()
	if len(versions) == 0 {
		return ErrNoServer
	}
	newest := versions[len(versions)-1]
	t0 := time.Now()
	fmt.Fprintf(w, "# pgwal demo: starting a throwaway PostgreSQL %d (newest of %v available here)...\n", newest, versions)
	s, err := pgserver.Start(ctx, pgserver.Config{Version: newest})
	if err != nil {
		return err
	}
	defer func() {
		if serr := s.Stop(); err == nil && serr != nil {
			err = serr
		}
		fmt.Fprintf(w, "# server stopped and its files removed (%.1fs in all)\n", time.Since(t0).Seconds())
	}()
	if _, err := s.ExecDB(ctx, pgserver.Database, `CREATE TABLE public.orders (id int PRIMARY KEY, item text, qty int, note text);
CREATE PUBLICATION `+pubName+` FOR TABLE public.orders;`); err != nil {
		return err
	}

	v := s.VersionNum()
	twoPhase := v >= 150000
	repl, err := wire.ConnectString(ctx, s.DSN(pgserver.ReplicationUser, pgserver.ReplicationPassword, pgserver.Database, "replication=database", "application_name=pgwal_demo"))
	if err != nil {
		return err
	}
	defer repl.Close()
	if _, err := repl.CreateReplicationSlot(ctx, slotName, wire.SlotOptions{Snapshot: "nothing", TwoPhase: twoPhase}); err != nil {
		return err
	}
	opts := wire.LogicalOptions{Publications: []string{pubName}, Streaming: codec.StreamingOn, TwoPhase: twoPhase}
	st, err := repl.StartReplication(ctx, slotName, 0, opts)
	if err != nil {
		return err
	}
	sqlConn, err := wire.ConnectString(ctx, s.DSN("", "", pgserver.Database))
	if err != nil {
		return err
	}
	defer sqlConn.Close()

	tp := "off (needs PostgreSQL 15)"
	if twoPhase {
		tp = "on"
	}
	fmt.Fprintf(w, `# PostgreSQL %d (server_version_num %d) is up on %s (data in %s) after %.1fs.
# Table public.orders is in publication %s; slot %s (pgoutput) streams it with
# streaming on, two_phase %s. A workload now inserts, updates and deletes rows,
# runs a big transaction (%d rows, more than logical_decoding_work_mem = 64kB,
# so the server streams it before it commits: Stream Start / Stop / Commit) and
# a prepared transaction (PREPARE TRANSACTION, then COMMIT PREPARED).
# One line per pgoutput message, decoded by pgwal; long values are shortened.
# Each commit is acknowledged to the server after its line is printed.
# Streaming for %s...
`, newest, v, s.Addr(), s.DataDir(), time.Since(t0).Seconds(), pubName, slotName, tp, bigRows, d)

	// Cancellation without a deadline: wire turns a context deadline into a
	// socket deadline that can fire before ctx.Err() is set, breaking the
	// connection instead of returning ctx.Err().
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	timer := time.AfterFunc(d, cancel)
	defer timer.Stop()

	var wg sync.WaitGroup
	wlErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := workload(streamCtx, sqlConn, twoPhase)
		if err != nil {
			cancel() // a failed step ends the demo now
		}
		wlErr <- err
	}()

	var cat msgjson.Catalog
	n := 0
	var loopErr error
	for {
		m, err := st.Next(streamCtx)
		if err != nil {
			if streamCtx.Err() == nil || !errors.Is(err, streamCtx.Err()) {
				loopErr = err
			}
			break
		}
		cat.Apply(m)
		at := st.WALStart()
		if _, err := w.Write(line(m, &cat, at.String(), at != 0)); err != nil {
			loopErr = err
			break
		}
		n++
		if pos, ok := wire.AckPosition(m, at); ok {
			st.Ack(pos)
		}
	}
	cancel()
	wg.Wait()
	if err := <-wlErr; err != nil && loopErr == nil && ctx.Err() == nil {
		loopErr = fmt.Errorf("workload: %w", err)
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer ccancel()
	if err := st.Close(cctx); err != nil && loopErr == nil {
		loopErr = fmt.Errorf("closing the stream: %w", err)
	}
	_, flush, _ := st.Positions()
	fmt.Fprintf(w, "# %d messages; stream closed cleanly with everything up to %v acknowledged; stopping the server...\n", n, flush)
	return loopErr
}

// failStep, when set (by a test), replaces the workload's later steps: a
// statement that fails shows that a failed step still stops the server.
var failStep string

// workload runs the changes the demo shows, then a trickle of small ones
// until ctx ends. Errors after ctx ends are not errors.
func workload(ctx context.Context, c *wire.Conn, twoPhase bool) error {
	steps := []string{
		"INSERT INTO orders VALUES (1, 'apple', 3, 'first order'), (2, 'pear', 1, NULL), (3, 'plum', 12, 'bulk')",
		"UPDATE orders SET qty = qty + 1, note = 'one more' WHERE id = 1",
		"DELETE FROM orders WHERE id = 2",
		fmt.Sprintf(`BEGIN;
INSERT INTO orders SELECT g, 'big #' || g, g %% 7, repeat(md5(g::text), 16) FROM generate_series(1000, %d) g;
COMMIT`, 999+bigRows),
		"BEGIN; INSERT INTO orders VALUES (4, 'prepared kiwi', 2, 'two-phase'); PREPARE TRANSACTION 'demo_gid'",
		"COMMIT PREPARED 'demo_gid'",
	}
	_ = twoPhase // the prepared transaction is decoded at COMMIT PREPARED without two_phase
	if failStep != "" {
		steps = append(steps[:2:2], failStep)
	}
	pause := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	exec := func(q string) error {
		_, err := c.Exec(ctx, q)
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	for _, q := range steps {
		if !pause(150 * time.Millisecond) {
			return nil
		}
		if err := exec(q); err != nil {
			return err
		}
	}
	for id := 10; pause(700 * time.Millisecond); id++ {
		q := fmt.Sprintf("INSERT INTO orders VALUES (%d, 'order %d', %d, NULL)", id, id, id%5+1)
		switch id % 3 {
		case 1:
			q += fmt.Sprintf("; UPDATE orders SET qty = qty * 2 WHERE id = %d", id-1)
		case 2:
			q += fmt.Sprintf("; DELETE FROM orders WHERE id = %d", id-2)
		}
		if err := exec(q); err != nil {
			return err
		}
	}
	return nil
}

// line renders a message compactly: type and position first, tuples as
// {"column": value} objects in column order, long values shortened.
func line(m codec.Message, cat *msgjson.Catalog, at string, hasLSN bool) []byte {
	r := cat.Message(m)
	var b bytes.Buffer
	b.WriteByte('{')
	field := func(k string, v any) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		switch v := v.(type) {
		case json.RawMessage:
			b.Write(v)
		default:
			vb, _ := json.Marshal(v)
			b.Write(vb)
		}
	}
	if hasLSN {
		field("lsn", at)
	}
	field("type", r.Type)
	if r.Xid != 0 {
		field("xid", r.Xid)
	}
	if r.GID != "" {
		field("gid", r.GID)
	}
	if r.Relation != "" {
		field("relation", r.Relation)
	}
	if r.Columns != nil {
		names := make([]string, len(r.Columns))
		for i, c := range r.Columns {
			names[i] = c.Name + " " + c.Type
		}
		field("columns", names)
	}
	if r.Old != nil {
		old := r.Old
		if r.OldKind == "key" { // non-key columns come as nulls: leave them out
			old = nil
			for _, v := range r.Old {
				if v.Kind != "null" {
					old = append(old, v)
				}
			}
		}
		field("old_"+r.OldKind, tuple(old))
	}
	if r.New != nil {
		field("new", tuple(r.New))
	}
	if r.FirstSegment {
		field("first_segment", true)
	}
	if r.EndLSN != "" && r.Type != "Begin Prepare" {
		field("end_lsn", r.EndLSN)
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func tuple(vals []msgjson.Value) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		name := v.Name
		if name == "" {
			name = fmt.Sprintf("$%d", i+1)
		}
		kb, _ := json.Marshal(name)
		b.Write(kb)
		b.WriteByte(':')
		var val any
		switch {
		case v.Kind == "null":
			val = nil
		case v.Kind == "unchanged":
			val = "(unchanged TOAST)"
		case v.Value != nil:
			// Numbers and booleans as they are; strings shortened.
			var s string
			if json.Unmarshal(v.Value, &s) == nil {
				val = shorten(s)
			} else {
				val = v.Value
			}
		case v.ValueHex != nil:
			val = "\\x" + shorten(*v.ValueHex)
		}
		vb, _ := json.Marshal(val)
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func shorten(s string) string {
	if len(s) <= 40 {
		return s
	}
	cut := 24
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…(%d bytes)", len(s))
}

func utf8Start(c byte) bool { return c&0xC0 != 0x80 }
