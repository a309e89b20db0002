package main

import (
	"io"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wal2json"
	"github.com/pgwal/pgwal/wire"
)

// A snapshotRenderer is a formatter that can print the rows --snapshot
// copies; --format messages is none (see streamCmd).
type snapshotRenderer interface {
	// snapshotBegin is called once the slot exists, before any row, with
	// the time it was created.
	snapshotBegin(slot wire.Slot, created time.Time)
	// snapshotRow renders one copied row (binary values and NULLs).
	snapshotRow(w io.Writer, info *codec.RelationInfo, row codec.Tuple) error
	// snapshotEnd renders what ends the copied rows.
	snapshotEnd(w io.Writer) error
}

// --format pgwal: one {"op":"snapshot",...} object per row.
func (f *changesFormat) snapshotBegin(wire.Slot, time.Time) {}

func (f *changesFormat) snapshotRow(w io.Writer, info *codec.RelationInfo, row codec.Tuple) error {
	var err error
	if f.buf, err = f.snap.AppendSnapshotRow(f.buf[:0], info, row); err != nil {
		return err
	}
	_, err = w.Write(f.buf)
	return err
}

func (f *changesFormat) snapshotEnd(io.Writer) error { return nil }

// snapshotTxnRows is how many copied rows --format wal2json prints in one
// synthetic transaction.
const snapshotTxnRows = 1000

// --format wal2json: wal2json has no snapshot, so each copied row is
// printed as wal2json prints the INSERT of that row, inside synthetic
// transactions of up to snapshotTxnRows consecutive rows of one table.
// What no transaction can say is filled in: xid 0 (InvalidTransactionId,
// which no real transaction has), every LSN field (lsn, nextlsn) the
// slot's consistent point (the position the rows are as of; every
// streamed transaction ends after it), timestamp the slot's creation.
type wal2jsonSnapshot struct {
	begin wal2json.Begin
	rel   *codec.RelationInfo // the table of the open transaction; nil: none open
	rows  int
}

func (f *wal2jsonFormat) snapshotBegin(slot wire.Slot, created time.Time) {
	f.snap = wal2jsonSnapshot{begin: wal2json.Begin{
		CommitLSN: slot.ConsistentPoint, EndLSN: slot.ConsistentPoint, CommitTime: lsn.TimestampOf(created),
	}}
}

func (f *wal2jsonFormat) snapshotRow(w io.Writer, info *codec.RelationInfo, row codec.Tuple) error {
	f.out = w
	s := &f.snap
	if s.rel != info || s.rows == snapshotTxnRows {
		if err := f.snapshotEnd(w); err != nil {
			return err
		}
		b := s.begin
		if err := f.w.Begin(&b); err != nil {
			return err
		}
		s.rel = info
	}
	s.rows++
	return f.w.Change(&wal2json.Change{Kind: wal2json.Insert, LSN: s.begin.CommitLSN, Relation: f.relation(info), New: row})
}

func (f *wal2jsonFormat) snapshotEnd(w io.Writer) error {
	f.out = w
	if f.snap.rel == nil {
		return nil
	}
	f.snap.rel, f.snap.rows = nil, 0
	return f.w.Commit()
}
