package fuzz

import (
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

const (
	seedLSN  = lsn.LSN(0x16_B374D848)
	seedTime = lsn.Timestamp(784_111_777_123_456)
)

func text(s string) codec.Column { return codec.Column{Kind: codec.ColumnText, Data: []byte(s)} }

// seedMessages has one or more of every pgoutput message; streamed ones
// are marked InStream.
func seedMessages() []codec.Message {
	row := codec.Tuple{text("1"), {Kind: codec.ColumnNull}, {Kind: codec.ColumnUnchanged}, {Kind: codec.ColumnBinary, Data: []byte{0, 0, 0, 1}}}
	return []codec.Message{
		&codec.Begin{FinalLSN: seedLSN, CommitTime: seedTime, Xid: 741},
		&codec.Commit{CommitLSN: seedLSN, EndLSN: seedLSN + 48, CommitTime: seedTime},
		&codec.Origin{CommitLSN: seedLSN, Name: []byte("node_a")},
		&codec.Relation{RelationID: 16390, Namespace: []byte("public"), Name: []byte("t"), ReplicaIdentity: 'd',
			Columns: []codec.RelationColumn{{Flags: 1, Name: []byte("id"), TypeOID: 23, TypeMod: -1}, {Name: []byte("名前"), TypeOID: 25, TypeMod: -1}}},
		&codec.Relation{InStream: true, Xid: 742, RelationID: 16390, Name: []byte("t"), ReplicaIdentity: 'f'},
		&codec.Type{TypeOID: 16400, Namespace: []byte("app"), Name: []byte("mood")},
		&codec.Insert{RelationID: 16390, New: row},
		&codec.Insert{InStream: true, Xid: 742, RelationID: 16390, New: row},
		&codec.Update{RelationID: 16390, New: row},
		&codec.Update{RelationID: 16390, OldKind: codec.OldKey, Old: codec.Tuple{text("1"), {Kind: codec.ColumnNull}}, New: codec.Tuple{text("2"), text("x")}},
		&codec.Update{InStream: true, Xid: 7, RelationID: 16390, OldKind: codec.OldFull, Old: row, New: row},
		&codec.Delete{RelationID: 16390, OldKind: codec.OldKey, Old: codec.Tuple{text("1")}},
		&codec.Delete{RelationID: 16390, OldKind: codec.OldFull, Old: row},
		&codec.Truncate{Options: codec.TruncateCascade | codec.TruncateRestartIdentity, RelationIDs: []uint32{16390, 16395}},
		&codec.LogicalMessage{Flags: 1, LSN: seedLSN, Prefix: []byte("app"), Content: []byte("hello")},
		&codec.LogicalMessage{InStream: true, Xid: 9, LSN: seedLSN, Prefix: []byte(""), Content: nil},
		&codec.StreamStart{Xid: 741, FirstSegment: true},
		&codec.StreamStop{},
		&codec.StreamCommit{Xid: 741, CommitLSN: seedLSN, EndLSN: seedLSN + 8, CommitTime: seedTime},
		&codec.StreamAbort{Xid: 741, SubXid: 742},
		&codec.StreamAbort{Xid: 741, SubXid: 741, Parallel: true, AbortLSN: seedLSN, AbortTime: seedTime},
		&codec.BeginPrepare{PrepareLSN: seedLSN, EndLSN: seedLSN + 8, PrepareTime: seedTime, Xid: 741, GID: []byte("gid")},
		&codec.Prepare{PrepareLSN: seedLSN, EndLSN: seedLSN + 8, PrepareTime: seedTime, Xid: 741, GID: []byte("gid")},
		&codec.CommitPrepared{CommitLSN: seedLSN, EndLSN: seedLSN + 8, CommitTime: seedTime, Xid: 741, GID: []byte("gid")},
		&codec.RollbackPrepared{PrepareEndLSN: seedLSN, RollbackEndLSN: seedLSN + 8, PrepareTime: seedTime, RollbackTime: seedTime + 1, Xid: 741, GID: []byte("gid")},
		&codec.StreamPrepare{PrepareLSN: seedLSN, EndLSN: seedLSN + 8, PrepareTime: seedTime, Xid: 741, GID: []byte("gid")},
	}
}

func inStream(m codec.Message) bool {
	switch m := m.(type) {
	case *codec.Relation:
		return m.InStream
	case *codec.Insert:
		return m.InStream
	case *codec.Update:
		return m.InStream
	case *codec.LogicalMessage:
		return m.InStream
	case *codec.StreamStop:
		return true
	}
	return false
}

func seedCopyData() [][]byte {
	return [][]byte{
		codec.AppendXLogData(nil, &codec.XLogData{WALStart: seedLSN, WALEnd: seedLSN, ServerTime: seedTime, Data: codec.AppendMessage(nil, seedMessages()[6])}),
		codec.AppendXLogData(nil, &codec.XLogData{}),
		codec.AppendPrimaryKeepalive(nil, &codec.PrimaryKeepalive{WALEnd: seedLSN, ServerTime: seedTime, ReplyRequested: true}),
		codec.AppendPrimaryStatusUpdate(nil, &codec.PrimaryStatusUpdate{WriteLSN: seedLSN, OldestXidInCommit: 1 << 32, NextXid: 1<<32 + 5, ServerTime: seedTime}),
		codec.AppendStandbyStatusUpdate(nil, &codec.StandbyStatusUpdate{Write: seedLSN, Flush: seedLSN, Apply: seedLSN, ClientTime: seedTime}),
		codec.AppendHotStandbyFeedback(nil, &codec.HotStandbyFeedback{ClientTime: seedTime, Xmin: 5, CatalogXmin: 4}),
		codec.AppendPrimaryStatusRequest(nil, &codec.PrimaryStatusRequest{ClientTime: seedTime}),
	}
}
