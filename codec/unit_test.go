package codec

import (
	"testing"

	"github.com/pgwal/pgwal/lsn"
)

func TestUnitEnd(t *testing.T) {
	const (
		end      = lsn.LSN(0x16_B374D8F0)
		other    = lsn.LSN(0x16_B374D848) // a start position: never the answer
		walStart = lsn.LSN(0x16_B3750000)
	)
	cases := []struct {
		name   string
		m      Message
		want   lsn.LSN
		wantOK bool
	}{
		{"Begin", &Begin{FinalLSN: end, Xid: xid}, 0, false},
		{"Commit", &Commit{CommitLSN: other, EndLSN: end}, end, true},
		{"Origin", &Origin{CommitLSN: end, Name: []byte("o")}, 0, false},
		{"Relation", &Relation{RelationID: 1}, 0, false},
		{"Type", &Type{TypeOID: 1}, 0, false},
		{"Insert", &Insert{RelationID: 1}, 0, false},
		{"Update", &Update{RelationID: 1}, 0, false},
		{"Delete", &Delete{RelationID: 1, OldKind: OldKey}, 0, false},
		{"Truncate", &Truncate{RelationIDs: []uint32{1}}, 0, false},
		{"Message non-transactional", &LogicalMessage{LSN: end}, end, true},
		{"Message transactional", &LogicalMessage{Flags: 1, LSN: end}, 0, false},
		{"Message non-transactional in a stream", &LogicalMessage{InStream: true, Xid: xid, LSN: end}, 0, false},
		{"Stream Start", &StreamStart{Xid: xid, FirstSegment: true}, 0, false},
		{"Stream Stop", &StreamStop{}, 0, false},
		{"Stream Commit", &StreamCommit{Xid: xid, CommitLSN: other, EndLSN: end}, end, true},
		{"Stream Abort of the transaction", &StreamAbort{Xid: xid, SubXid: xid}, walStart, true},
		{"Stream Abort parallel: walStart, not the abort LSN", &StreamAbort{Xid: xid, SubXid: xid, Parallel: true, AbortLSN: other}, walStart, true},
		{"Stream Abort of a subtransaction", &StreamAbort{Xid: xid, SubXid: subxid}, 0, false},
		{"Begin Prepare", &BeginPrepare{PrepareLSN: other, EndLSN: end, Xid: xid}, 0, false},
		{"Prepare", &Prepare{PrepareLSN: other, EndLSN: end, Xid: xid}, end, true},
		{"Commit Prepared", &CommitPrepared{CommitLSN: other, EndLSN: end, Xid: xid}, end, true},
		{"Rollback Prepared", &RollbackPrepared{PrepareEndLSN: other, RollbackEndLSN: end, Xid: xid}, end, true},
		{"Stream Prepare", &StreamPrepare{PrepareLSN: other, EndLSN: end, Xid: xid}, end, true},
	}
	seen := map[MessageType]bool{}
	for _, tc := range cases {
		seen[tc.m.MessageType()] = true
		got, ok := UnitEnd(tc.m, walStart)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("%s: UnitEnd = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.wantOK)
		}
	}
	for i := range kinds {
		if !seen[kinds[i].typ] {
			t.Errorf("no case for %v", kinds[i].typ)
		}
	}
	if _, ok := UnitEnd(nil, walStart); ok {
		t.Errorf("UnitEnd(nil) ends a unit")
	}
}
