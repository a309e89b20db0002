package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/changejson"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/txn"
	"github.com/pgwal/pgwal/value"
	"github.com/pgwal/pgwal/wal2json"
)

// units is what the formats that render whole units of work share: the
// messages go through a txn.Assembler (streamed transactions held within
// its memory budget, spilled to a temporary file past it), and each event
// is rendered as it comes out.
type units struct {
	a     *txn.Assembler
	types value.Registry
	event func(w io.Writer, ev txn.Event) error
	opts  txn.Options
}

func newUnits(event func(io.Writer, txn.Event) error) units {
	return newUnitsWith(txn.Options{}, event)
}

// newUnitsWith is newUnits with the Assembler's options (SpillDir is set).
func newUnitsWith(opts txn.Options, event func(io.Writer, txn.Event) error) units {
	opts.SpillDir = os.TempDir()
	return units{a: txn.New(opts), event: event, opts: opts}
}

// partialFlusher is the output's way to keep memory bounded while one
// message yields many events (a streamed transaction read back).
type partialFlusher interface{ endMessage(complete bool) error }

func (u *units) Write(w io.Writer, m codec.Message, at lsn.LSN) (end lsn.LSN, complete bool, err error) {
	if t, ok := m.(*codec.Type); ok {
		u.types.ApplyType(t)
	}
	if err := u.a.Push(m, at); err != nil {
		return 0, false, err
	}
	pf, _ := w.(partialFlusher)
	for {
		ev, err := u.a.Next()
		if err != nil {
			return 0, false, err
		}
		if ev.Kind == txn.EventNone {
			return end, complete, nil
		}
		if err := u.event(w, ev); err != nil {
			return 0, false, err
		}
		if ev.Kind == txn.EventEnd {
			// A prepared transaction is stored durably by the time its
			// EventEnd is rendered: in the output, written and synced
			// like any other unit (--format pgwal), or in the two-phase
			// state directory, fsynced (--format wal2json, see
			// preparedStore). Its position may be acknowledged then.
			ack := ev.Unit.Ack
			if ev.Unit.Kind == txn.KindPrepared {
				ack = ev.Unit.AckAfterStoringPrepared
			}
			if ack != 0 {
				end, complete = ack, true
			}
		} else if pf != nil {
			if err := pf.endMessage(false); err != nil {
				return 0, false, err
			}
		}
	}
}

// Reset starts a new session from resumeAfter, the end of the last unit
// made durable: a partly received streamed transaction is dropped (the
// server sends it again) and a unit ending at or before resumeAfter, which
// a server restarting its slot from an older point may send again, is
// skipped.
func (u *units) Reset(resumeAfter lsn.LSN) {
	if err := u.a.Reset(resumeAfter); err != nil {
		// Only a spill file that cannot be removed: start afresh.
		u.a.Close()
		opts := u.opts
		opts.ResumeAfter = resumeAfter
		u.a = txn.New(opts)
	}
	u.types = value.Registry{}
}

func (u *units) Close() error { return u.a.Close() }

// newChangesFormat is --format pgwal: one JSON object per change
// (package changejson), or per transaction with -o transactions.
func newChangesFormat(opts []pluginOption) (formatter, error) {
	f := &changesFormat{}
	for _, o := range opts {
		switch {
		case o.Name == "transactions" && (!o.HasValue || o.Value == "1" || o.Value == "true" || o.Value == "on"):
			f.w.Transactions = true
		case o.Name == "transactions" && (o.Value == "0" || o.Value == "false" || o.Value == "off"):
		default:
			return nil, usagef("-o %s: --format pgwal has no option %q (it takes transactions; -o also takes pgoutput's options proto_version, publication_names, binary, messages, streaming, origin, two_phase)", o, o.Name)
		}
	}
	f.units = newUnits(f.event)
	f.w.Types = &f.types
	return f, nil
}

type changesFormat struct {
	units
	w    changejson.Writer
	snap changejson.Writer // --snapshot's rows (their shape takes no option)
	buf  []byte
}

// setTypeNames names the session's domains (as other user types are
// named: schema.name).
func (f *changesFormat) setTypeNames(names map[uint32]typeName) {
	f.w.TypeNames = nil
	for oid, n := range names {
		if f.w.TypeNames == nil {
			f.w.TypeNames = map[uint32]string{}
		}
		f.w.TypeNames[oid] = n.qualified()
	}
}

func (f *changesFormat) event(w io.Writer, ev txn.Event) error {
	var err error
	if f.buf, err = f.w.AppendEvent(f.buf[:0], ev); err != nil {
		return err
	}
	_, err = w.Write(f.buf)
	return err
}

// newWal2JSONFormat is --format wal2json: wal2json's output, with its
// options as pg_recvlogical passes them (-o format-version=2, ...).
func newWal2JSONFormat(opts []pluginOption) (formatter, error) {
	args := make([]string, len(opts))
	for i, o := range opts {
		args[i] = o.String()
	}
	o, err := wal2json.ParseOptions(args...)
	if err != nil {
		return nil, usagef("-o: %v", err)
	}
	f := &wal2jsonFormat{o: o, rels: map[*codec.RelationInfo]*wal2json.Relation{}}
	if f.w, err = wal2json.NewWriter(o, f.emit); err != nil {
		return nil, usagef("-o: %v", err)
	}
	f.w.Types = &f.types
	// The PREPARE of a COMMIT PREPARED may have been acknowledged by an
	// earlier process: the state directory, not the Assembler, knows.
	f.units = newUnitsWith(txn.Options{AllowUnknownGID: true}, f.event)
	return f, nil
}

type wal2jsonFormat struct {
	units
	o    wal2json.Options
	w    *wal2json.Writer
	out  io.Writer // where emit writes during an event
	rels map[*codec.RelationInfo]*wal2json.Relation
	// names: the session's domains, which the Type messages name by
	// their base types.
	names map[uint32]typeName

	// With include-lsn, wal2json prints a transaction's end ("nextlsn")
	// before its changes, and a Begin … Commit transaction's end is known
	// only at its Commit: the transaction is rendered with a placeholder
	// end and its pieces wait here until then (in memory: format 1
	// without write-in-chunks holds a transaction whole anyway).
	hold       bool
	held       [][]byte
	newT, oldT codec.Tuple

	// prep keeps prepared transactions from PREPARE to COMMIT PREPARED
	// (--two-phase; nil without); storing: the changes rendered now go
	// to it, not to the Writer.
	prep    *preparedStore
	newPrep func() (*preparedStore, error) // pgwal decode: makes prep at the first two-phase unit
	storing bool
	text    []byte

	snap wal2jsonSnapshot // --snapshot's rows
}

// endPlaceholder stands for the end of a held transaction: no WAL
// position is ever this.
const endPlaceholder = lsn.LSN(1<<64 - 1)

// emit writes one piece wal2json writes, and a newline, as pg_recvlogical
// prints it.
func (f *wal2jsonFormat) emit(piece []byte) error {
	if f.hold {
		f.held = append(f.held, append([]byte(nil), piece...))
		return nil
	}
	if _, err := f.out.Write(piece); err != nil {
		return err
	}
	_, err := f.out.Write([]byte{'\n'})
	return err
}

func (f *wal2jsonFormat) Reset(resumeAfter lsn.LSN) {
	f.units.Reset(resumeAfter)
	clear(f.rels)
	f.hold, f.held = false, nil
	if f.prep != nil {
		f.prep.abandon() // a PREPARE received in part comes again
	}
	f.storing = false
	if w, err := wal2json.NewWriter(f.o, f.emit); err == nil { // checked when made
		w.Types = &f.types
		f.w = w
	}
}

func (f *wal2jsonFormat) event(w io.Writer, ev txn.Event) error {
	f.out = w
	u := ev.Unit
	switch u.Kind {
	case txn.KindTransaction:
	case txn.KindMessage:
		if ev.Kind == txn.EventChange {
			c := ev.Change
			return f.w.Message(&wal2json.Message{LSN: c.LSN, Prefix: c.Prefix, Content: c.Content})
		}
		return nil
	case txn.KindAbort:
		return nil // nothing of it was handed on
	case txn.KindPrepared, txn.KindCommitPrepared, txn.KindRollbackPrepared:
		return f.twoPhase(w, ev)
	default:
		return fmt.Errorf("--format wal2json: %v units are not supported", u.Kind)
	}
	switch ev.Kind {
	case txn.EventBegin:
		b := wal2json.Begin{Xid: u.Xid, CommitLSN: u.LSN, EndLSN: u.End, CommitTime: u.Time, Origin: string(u.Origin)}
		if f.o.IncludeLSN && u.End == 0 {
			f.hold, b.EndLSN = true, endPlaceholder
		}
		return f.w.Begin(&b)
	case txn.EventChange:
		return f.change(ev.Change)
	case txn.EventEnd:
		if err := f.w.Commit(); err != nil || !f.hold {
			return err
		}
		held := f.held
		f.hold, f.held = false, nil
		// The begin (and format 2's commit) print the end.
		ph, end := []byte(endPlaceholder.String()), []byte(u.End.String())
		for _, p := range held {
			p = bytes.ReplaceAll(p, ph, end)
			if err := f.emit(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// setTypeNames names the session's domains as wal2json does: format_type
// of the column's type, the domain.
func (f *wal2jsonFormat) setTypeNames(names map[uint32]typeName) {
	f.names = names
	clear(f.rels)
}

func (f *wal2jsonFormat) relation(info *codec.RelationInfo) *wal2json.Relation {
	if r, ok := f.rels[info]; ok {
		return r
	}
	r := wal2json.FromRelationInfo(info, nil) // user types named by txn's ColumnInfo.TypeName
	for i := range r.Columns {
		if n, ok := f.names[r.Columns[i].TypeOID]; ok {
			r.Columns[i].TypeSchema, r.Columns[i].TypeName = n.schema, n.name
		}
	}
	if len(f.rels) > 4096 {
		clear(f.rels) // bounded: relations are re-sent, so few are live
	}
	f.rels[info] = r
	return r
}

// twoPhase renders the events of two-phase units as wal2json does, which
// decodes a prepared transaction at its COMMIT PREPARED, as an ordinary
// transaction: at PREPARE the changes are stored, at COMMIT PREPARED they
// are printed, at ROLLBACK PREPARED they are dropped (see preparedStore).
func (f *wal2jsonFormat) twoPhase(w io.Writer, ev txn.Event) error {
	u := ev.Unit
	if f.prep == nil && f.newPrep != nil {
		var err error
		if f.prep, err = f.newPrep(); err != nil {
			return err
		}
	}
	if f.prep == nil {
		return fmt.Errorf("--format wal2json: a %v unit without --two-phase", u.Kind)
	}
	switch u.Kind {
	case txn.KindPrepared:
		switch ev.Kind {
		case txn.EventBegin:
			f.storing = true
			return f.prep.begin(string(u.GID), u.Xid, u.LSN, u.End, string(u.Origin))
		case txn.EventChange:
			return f.change(ev.Change)
		case txn.EventEnd:
			f.storing = false
			return f.prep.end() // durable: its position may be acknowledged
		}
	case txn.KindCommitPrepared:
		if ev.Kind != txn.EventEnd {
			return nil
		}
		gid := string(u.GID)
		pf, ok := f.prep.lookup(gid, u.LSN)
		if !ok {
			if u.End <= f.prep.committed {
				return nil // printed, made durable and removed already: sent again
			}
			return unknownGIDError(gid, u.End, f.prep.dir)
		}
		b := wal2json.Begin{Xid: u.Xid, CommitLSN: u.LSN, EndLSN: u.End, CommitTime: u.Time}
		if err := f.w.Begin(&b); err != nil {
			return err
		}
		flush := func() error { return nil }
		if p, ok := w.(partialFlusher); ok {
			flush = func() error { return p.endMessage(false) }
		}
		if err := f.prep.replay(pf, f.w, flush); err != nil {
			return err
		}
		if err := f.w.Commit(); err != nil {
			return err
		}
		// Removed once what was just printed is durable.
		f.prep.committedPrepared(pf, u.End)
	case txn.KindRollbackPrepared:
		if ev.Kind == txn.EventEnd {
			return f.prep.rolledBack(string(u.GID), u.PrepareEnd, u.End)
		}
	}
	return nil
}

// outputDurable: the output is durable through upTo (makeDurable).
func (f *wal2jsonFormat) outputDurable(upTo lsn.LSN) error {
	if f.prep == nil {
		return nil
	}
	return f.prep.outputDurable(upTo)
}

// textTuple renders the binary values of t as text (for a stored PREPARE:
// the types registry of this session is not there at COMMIT PREPARED).
func (f *wal2jsonFormat) textTuple(t codec.Tuple, r *wal2json.Relation) (codec.Tuple, error) {
	for i, c := range t {
		if c.Kind != codec.ColumnBinary || i >= len(r.Columns) {
			continue
		}
		col := &r.Columns[i]
		start := len(f.text)
		var err error
		if f.text, err = f.types.AppendText(f.text, col.TypeOID, col.TypeMod, c.Data); err != nil {
			return nil, fmt.Errorf("wal2json: column %s: %w", col.Name, err)
		}
		t[i] = codec.Column{Kind: codec.ColumnText, Data: f.text[start:len(f.text):len(f.text)]}
	}
	return t, nil
}

func (f *wal2jsonFormat) change(c *txn.Change) error {
	switch c.Op {
	case txn.OpInsert, txn.OpUpdate, txn.OpDelete:
		kind := map[txn.Op]wal2json.ChangeKind{txn.OpInsert: wal2json.Insert, txn.OpUpdate: wal2json.Update, txn.OpDelete: wal2json.Delete}[c.Op]
		wc := wal2json.Change{Kind: kind, LSN: c.LSN, Relation: f.relation(c.Relation), OldKind: c.OldKind}
		f.newT, f.oldT = tupleOf(f.newT[:0], c.New), tupleOf(f.oldT[:0], c.Old)
		if c.New.Sent() {
			wc.New = f.newT
		}
		if c.Old.Sent() {
			wc.Old = f.oldT
		}
		if f.storing {
			f.text = f.text[:0]
			var err error
			if wc.New, err = f.textTuple(wc.New, wc.Relation); err != nil {
				return err
			}
			if wc.Old, err = f.textTuple(wc.Old, wc.Relation); err != nil {
				return err
			}
			return f.prep.change(&wc)
		}
		return f.w.Change(&wc)
	case txn.OpTruncate:
		t := wal2json.Truncate{LSN: c.LSN, Options: c.TruncateOptions}
		for _, rel := range c.Truncated {
			t.Relations = append(t.Relations, f.relation(rel))
		}
		if f.storing {
			return f.prep.truncate(&t)
		}
		return f.w.Truncate(&t)
	case txn.OpMessage:
		m := wal2json.Message{LSN: c.LSN, Transactional: true, Prefix: c.Prefix, Content: c.Content}
		if f.storing {
			return f.prep.message(&m)
		}
		return f.w.Message(&m)
	}
	return errors.New("--format wal2json: unknown change")
}

// tupleOf is a txn row as the codec tuple wal2json renders: an unchanged
// value stays unchanged (wal2json leaves it out), a filled one is its
// value, an absent one a NULL placeholder, as on the wire.
func tupleOf(dst codec.Tuple, r txn.Row) codec.Tuple {
	for i := 0; i < r.Len(); i++ {
		v := r.At(i)
		var c codec.Column
		switch v.State {
		case txn.Present:
			c = codec.Column{Kind: codec.ColumnText, Data: v.Data}
			if v.Binary {
				c.Kind = codec.ColumnBinary
			}
		case txn.Unchanged:
			c.Kind = codec.ColumnUnchanged
		default:
			c.Kind = codec.ColumnNull
		}
		dst = append(dst, c)
	}
	return dst
}
