package snapshot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/wire"
)

var (
	// ErrPublicationMissing: a publication named in Options does not
	// exist. The error is a *PublicationError naming them.
	ErrPublicationMissing = errors.New("snapshot: publication does not exist")
	// ErrTableVanished: a published table was dropped or renamed after the
	// snapshot was taken and before its COPY started (SQLSTATE 42P01).
	ErrTableVanished = errors.New("snapshot: table vanished")
	// ErrPermissionDenied: the SQL sessions' role may not read a published
	// table (SQLSTATE 42501); grant it SELECT.
	ErrPermissionDenied = errors.New("snapshot: permission denied")
	// ErrSnapshotImport: an SQL session could not import the exported
	// snapshot (SQLSTATE 22023 when it was no longer valid: the exporting
	// session ran another command or ended).
	ErrSnapshotImport = errors.New("snapshot: cannot import the exported snapshot")
	// ErrColumnListConflict: two publications publish different column
	// lists of one table, which pgoutput refuses too.
	ErrColumnListConflict = errors.New("snapshot: publications publish different column lists of a table")
)

// PublicationError names publications that do not exist; it matches
// ErrPublicationMissing.
type PublicationError struct{ Names []string }

func (e *PublicationError) Error() string {
	return fmt.Sprintf("snapshot: publication %s does not exist", strings.Join(e.Names, ", "))
}

func (e *PublicationError) Is(target error) bool { return target == ErrPublicationMissing }

// TableError is a failure copying one table. It wraps the cause (a
// *wire.ServerError, a transport error, ErrBinaryCopy, the callback's
// error) and matches ErrTableVanished or ErrPermissionDenied when the
// server's SQLSTATE says so.
type TableError struct {
	Schema, Name string
	Err          error
}

func (e *TableError) Error() string {
	return "snapshot: table " + quoteIdent(e.Schema) + "." + quoteIdent(e.Name) + ": " + e.Err.Error()
}

func (e *TableError) Unwrap() []error {
	var se *wire.ServerError
	if errors.As(e.Err, &se) {
		switch se.Code {
		case "42P01":
			return []error{e.Err, ErrTableVanished}
		case "42501":
			return []error{e.Err, ErrPermissionDenied}
		}
	}
	return []error{e.Err}
}

// Options configure Copy.
type Options struct {
	// Publications whose tables are copied (at least one).
	Publications []string
	// Slot is the name of the logical replication slot (pgoutput) to
	// create. Ignored when Existing is set.
	Slot string
	// Temporary creates a temporary slot: it lives only as long as the
	// replication session (Result.Conn), so stream on that session.
	Temporary bool
	// TwoPhase creates the slot with two-phase decoding (prepared
	// transactions at PREPARE; PostgreSQL 15+, where CREATE_REPLICATION_SLOT
	// takes TWO_PHASE: 14's grammar has no such option).
	TwoPhase bool
	// Created, if set, is called with the slot once it exists, before any
	// row is handed to fn (its SnapshotName is valid only during the call,
	// which must not use the slot's session): the consistent point the
	// rows are as of is known before they are rendered.
	Created func(slot wire.Slot)
	// Conn, if set, is the replication=database session to create the slot
	// on, instead of one opened from the Config passed to Copy. It must
	// run nothing else until Copy returns.
	Conn *wire.Conn
	// Existing, with Conn, reuses a slot the caller has just created on
	// Conn with Snapshot "export": its SnapshotName must still be valid
	// (Conn has run no command since).
	Existing *wire.Slot
	// SQL is the configuration of the SQL sessions that import the
	// snapshot and copy the tables; nil: the replication Config with
	// Replication off (the same server, user and database).
	SQL *wire.Config
	// Jobs is how many tables are copied at once, each in its own SQL
	// session; 0 or 1: one. No more sessions than tables are opened.
	Jobs int
}

// Result is what Copy returns.
type Result struct {
	// Slot is the slot: stream from Slot.ConsistentPoint (or 0/0, which
	// the server reads as the slot's confirmed position, the same point).
	// Its SnapshotName is no longer valid.
	Slot wire.Slot
	// Conn is the replication session that created the slot (Options.Conn
	// or one Copy opened). It is idle: run START_REPLICATION on it, or
	// close it (which drops a temporary slot).
	Conn *wire.Conn
	// Tables are the tables copied, with their row counts, in the order
	// the catalog listed them (schema, name).
	Tables []TableCount
}

// TableCount is one copied table and its row count.
type TableCount struct {
	Table *Table
	Rows  int64
}

// Copy takes the initial snapshot: it creates a logical slot that exports
// its snapshot, imports that snapshot into SQL sessions, copies every
// table the publications publish (their published columns, rows passing
// the row filters) in binary, and calls fn with each row. It returns the
// slot: streaming from its consistent point misses nothing committed
// after the snapshot and repeats nothing in it.
//
// fn is called for one row at a time, never concurrently, also with Jobs
// > 1 (rows of different tables then interleave; one table's rows come in
// the order the server sends them). row holds ColumnBinary values in the
// types' binary send format (ColumnText for a Column.Text column, a type
// that is not built in) and ColumnNull, one per t.Columns entry; it
// and its Data are valid only during the call (copy what you keep). An
// error from fn stops the copy and is returned, wrapped in a *TableError.
//
// On an error a slot Copy created is dropped and a session it opened is
// closed; a caller's Conn is left open.
func Copy(ctx context.Context, cfg *wire.Config, o Options, fn func(t *Table, row codec.Tuple) error) (res *Result, err error) {
	if len(o.Publications) == 0 {
		return nil, errors.New("snapshot: no publications")
	}
	if o.Existing != nil && o.Conn == nil {
		return nil, errors.New("snapshot: Options.Existing needs the Conn that created the slot")
	}
	if o.Existing == nil && o.Slot == "" {
		return nil, errors.New("snapshot: no slot name")
	}
	if o.Conn == nil && cfg == nil {
		return nil, errors.New("snapshot: neither a Config nor a Conn")
	}
	if cfg == nil && o.SQL == nil {
		return nil, errors.New("snapshot: Options.SQL is needed with a caller's Conn and no Config")
	}
	repl := o.Conn
	if repl == nil {
		if cfg.Replication != wire.ReplicationLogical {
			return nil, errors.New("snapshot: the Config must open a replication=database session")
		}
		if repl, err = wire.Connect(ctx, cfg); err != nil {
			return nil, fmt.Errorf("snapshot: replication session: %w", err)
		}
		defer func() {
			if err != nil {
				repl.Close()
			}
		}()
	}
	var slot wire.Slot
	if o.Existing != nil {
		slot = *o.Existing
		if slot.SnapshotName == "" {
			return nil, errors.New("snapshot: the existing slot exported no snapshot")
		}
	} else {
		slot, err = repl.CreateReplicationSlot(ctx, o.Slot, wire.SlotOptions{Temporary: o.Temporary, Snapshot: "export", TwoPhase: o.TwoPhase})
		if err != nil {
			return nil, fmt.Errorf("snapshot: creating slot %s: %w", o.Slot, err)
		}
		if !o.Temporary {
			defer func() {
				if err != nil {
					// The snapshot is gone either way now; a slot left
					// behind would hold WAL back for ever.
					dctx, cancel := context.WithTimeout(context.Background(), cancelWait)
					defer cancel()
					repl.DropReplicationSlot(dctx, slot.Name, false)
				}
			}()
		}
	}

	if o.Created != nil {
		o.Created(slot)
	}

	// From here until every SQL session has imported the snapshot, the
	// replication session must stay idle: the exported snapshot lives only
	// as long as the exporting walsender runs no other command (and the
	// session stays open). It is what guarantees that the copy sees exactly
	// the transactions committed before the slot's consistent point.
	sqlCfg := o.SQL
	if sqlCfg == nil {
		if cfg == nil {
			return nil, errors.New("snapshot: Options.SQL is needed with a caller's Conn and no Config")
		}
		c := *cfg
		c.Replication = wire.ReplicationOff
		sqlCfg = &c
	}
	first, err := openImported(ctx, sqlCfg, slot.SnapshotName)
	if err != nil {
		return nil, err
	}
	sessions := []*wire.Conn{first}
	defer func() {
		for _, s := range sessions {
			s.Close()
		}
	}()
	tables, err := readCatalog(ctx, first, o.Publications)
	if err != nil {
		return nil, err
	}
	jobs := min(max(o.Jobs, 1), max(len(tables), 1))
	for len(sessions) < jobs {
		s, err := openImported(ctx, sqlCfg, slot.SnapshotName)
		if err != nil {
			return nil, err
		}
		sessions = append(sessions, s)
	}
	// Every session holds the snapshot now: the replication session is no
	// longer needed for it.

	counts, err := copyTables(ctx, sessions, tables, fn)
	if err != nil {
		return nil, err
	}
	for _, s := range sessions {
		if _, err := s.Exec(ctx, "COMMIT"); err != nil {
			return nil, fmt.Errorf("snapshot: ending a copy transaction: %w", err)
		}
	}
	res = &Result{Slot: slot, Conn: repl}
	for i, t := range tables {
		res.Tables = append(res.Tables, TableCount{Table: t, Rows: counts[i]})
	}
	return res, nil
}

// cancelWait bounds the clean-up after a failure.
const cancelWait = 10 * time.Second

// openImported opens an SQL session in a repeatable-read, read-only
// transaction on the exported snapshot.
func openImported(ctx context.Context, cfg *wire.Config, snapshot string) (*wire.Conn, error) {
	c, err := wire.Connect(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("snapshot: SQL session: %w", err)
	}
	_, err = c.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT "+quoteLiteral(snapshot))
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("%w %s: %w", ErrSnapshotImport, snapshot, err)
	}
	return c, nil
}

// copyTables copies the tables, each on one of the sessions, handing fn
// one row at a time. The first error stops the rest.
func copyTables(ctx context.Context, sessions []*wire.Conn, tables []*Table, fn func(*Table, codec.Tuple) error) ([]int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	counts := make([]int64, len(tables))
	next := make(chan int)
	var (
		mu       sync.Mutex // serialises fn
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	for _, s := range sessions {
		wg.Add(1)
		go func(s *wire.Conn) {
			defer wg.Done()
			for i := range next {
				n, err := copyTable(ctx, s, tables[i], &mu, fn)
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
				counts[i] = n
			}
		}(s)
	}
feed:
	for i := range tables {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return counts, firstErr
}

// copyTable runs one table's COPY on s.
func copyTable(ctx context.Context, s *wire.Conn, t *Table, mu *sync.Mutex, fn func(*Table, codec.Tuple) error) (int64, error) {
	r := BinaryReader{Columns: len(t.Columns)}
	var fnErr error
	n, err := s.CopyOutStart(ctx, t.CopyQuery(), func(resp wire.CopyOutResponse) error {
		if resp.Format != wire.CopyBinary || len(resp.ColumnFormats) != len(t.Columns) {
			return fmt.Errorf("%w: COPY announced format %d with %d columns, want binary with %d", ErrBinaryCopy, resp.Format, len(resp.ColumnFormats), len(t.Columns))
		}
		return nil
	}, func(msg []byte) error {
		return r.Feed(msg, func(row codec.Tuple) error {
			for i := range row {
				if t.Columns[i].Text && row[i].Kind == codec.ColumnBinary {
					row[i].Kind = codec.ColumnText // cast to text in the COPY
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err := fn(t, row); err != nil {
				fnErr = err
				return err
			}
			return nil
		})
	})
	if err == nil {
		err = r.End()
	}
	if err == nil && n != r.Rows() {
		err = fmt.Errorf("%w: the server counted %d rows, %d arrived", ErrBinaryCopy, n, r.Rows())
	}
	if err != nil {
		if fnErr != nil && errors.Is(err, fnErr) {
			err = fnErr // not the cancellation that followed it
		}
		return 0, &TableError{Schema: t.Schema, Name: t.Name, Err: err}
	}
	return n, nil
}
