package wal2json

import (
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// Begin is a transaction as a whole: what wal2json prints of it is known
// when it starts, EndLSN included (a consumer of pgoutput learns that
// from the Commit message).
type Begin struct {
	Xid        uint32
	CommitLSN  lsn.LSN // start of the commit record (Begin.FinalLSN, Commit.CommitLSN)
	EndLSN     lsn.LSN // end of the commit record (Commit.EndLSN): wal2json's "nextlsn"
	CommitTime lsn.Timestamp
	Origin     string // the Origin message's name, if any (not printed: see include-origin)
}

// Relation is a table as of a change.
type Relation struct {
	Schema, Table   string
	ReplicaIdentity byte // codec.ReplicaIdentityDefault, ...Full, ...Index, ...Nothing
	Columns         []Column
	// PrimaryKey lists the primary key's columns (indexes into Columns),
	// for include-pk in format 2, which prints a table's primary key
	// whatever its replica identity. nil derives it: with REPLICA IDENTITY
	// DEFAULT the key columns are the primary key's; otherwise the table
	// is taken to have none (pgoutput does not say). Non-nil and empty: no
	// primary key. Format 1 (wal2json 2.5) prints a primary key only under
	// REPLICA IDENTITY DEFAULT, and ignores this.
	PrimaryKey []int
}

// Column is one column of a Relation.
type Column struct {
	Name    string
	TypeOID uint32
	TypeMod int32 // -1 for none
	Key     bool  // part of the replica identity (all columns under FULL)
	// TypeSchema and TypeName name a type that is not built in, as a
	// pgoutput Type message does ("" schema for pg_catalog). For a domain
	// pgoutput names its base type. Unused for built-in types.
	TypeSchema, TypeName string
}

// ChangeKind is a row change's kind.
type ChangeKind byte

// Change kinds.
const (
	Insert ChangeKind = 'I'
	Update ChangeKind = 'U'
	Delete ChangeKind = 'D'
)

// Change is one row change.
type Change struct {
	Kind     ChangeKind
	LSN      lsn.LSN // the change's WAL position (its XLogData's WALStart)
	Relation *Relation
	New      codec.Tuple // Insert, Update
	OldKind  codec.OldTupleKind
	Old      codec.Tuple // Update (when sent), Delete
}

// Truncate empties tables.
type Truncate struct {
	LSN       lsn.LSN
	Relations []*Relation
	Options   uint8 // codec.TruncateCascade | codec.TruncateRestartIdentity (not printed by wal2json)
}

// Message is a pg_logical_emit_message message.
type Message struct {
	LSN           lsn.LSN
	Transactional bool
	Prefix        []byte
	Content       []byte
}
