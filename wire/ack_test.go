package wire

import (
	"testing"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// ackEvent is one thing an AckTracker is fed.
type ackEvent struct {
	recv   lsn.LSN       // an XLogData at this WALStart (with its message, if any)
	msg    codec.Message // delivered at recv
	ka     lsn.LSN       // a keepalive with this WAL end
	ack    lsn.LSN       // the consumer acknowledges this
	n      int           // data length (physical)
	update bool          // a status update is sent here
}

func TestAckTrackerRules(t *testing.T) {
	begin := &codec.Begin{FinalLSN: 0x1f8, Xid: 5}
	commit := &codec.Commit{CommitLSN: 0x1f8, EndLSN: 0x200}
	for _, tc := range []struct {
		name         string
		kind         StreamKind
		floor        lsn.LSN
		events       []ackEvent
		write, flush lsn.LSN
	}{
		{"nothing yet", Logical, 0, nil, 0, 0},
		{"floor lifts a nonzero position", Logical, 0x5000, []ackEvent{{recv: 0x100, msg: begin}}, 0x5000, 0},
		{"received, not acknowledged", Logical, 0, []ackEvent{{recv: 0x100, msg: begin}, {recv: 0x200, msg: commit}}, 0x200, 0},
		{"acknowledged commit", Logical, 0, []ackEvent{{recv: 0x100, msg: begin}, {recv: 0x200, msg: commit}, {ack: 0x200}}, 0x200, 0x200},
		{"ack clamped to what arrived", Logical, 0, []ackEvent{{recv: 0x100, msg: begin}, {ack: 0x9000}}, 0x100, 0x100},
		{"idle keepalive when caught up", Logical, 0, []ackEvent{{recv: 0x100, msg: begin}, {recv: 0x200, msg: commit}, {ack: 0x200}, {ka: 0x900}}, 0x900, 0x900},
		{"keepalive with a transaction open", Logical, 0, []ackEvent{{recv: 0x100, msg: begin}, {ka: 0x900}}, 0x100, 0},
		{"keepalive with a commit not acknowledged", Logical, 0, []ackEvent{{recv: 0x100, msg: begin}, {recv: 0x200, msg: commit}, {ka: 0x900}}, 0x200, 0},
		{"keepalive with a streamed transaction open", Logical, 0, []ackEvent{
			{recv: 0x100, msg: &codec.StreamStart{Xid: 9}}, {recv: 0x108, msg: &codec.StreamStop{}}, {ka: 0x900}}, 0x108, 0},
		{"subtransaction abort keeps the stream open", Logical, 0, []ackEvent{
			{recv: 0x100, msg: &codec.StreamStart{Xid: 9}}, {recv: 0x108, msg: &codec.StreamStop{}},
			{recv: 0x110, msg: &codec.StreamAbort{Xid: 9, SubXid: 10}}, {ka: 0x900}}, 0x110, 0},
		{"whole abort, acknowledged", Logical, 0, []ackEvent{
			{recv: 0x100, msg: &codec.StreamStart{Xid: 9}}, {recv: 0x108, msg: &codec.StreamStop{}},
			{recv: 0x110, msg: &codec.StreamAbort{Xid: 9, SubXid: 9}}, {ack: 0x110}, {ka: 0x900}}, 0x900, 0x900},
		{"non-transactional message, acknowledged", Logical, 0, []ackEvent{
			{recv: 0x300, msg: &codec.LogicalMessage{LSN: 0x300}}, {ack: 0x300}, {ka: 0x900}}, 0x900, 0x900},
		{"non-transactional message, not acknowledged", Logical, 0, []ackEvent{
			{recv: 0x300, msg: &codec.LogicalMessage{LSN: 0x300}}, {ka: 0x900}}, 0x300, 0},
		{"never backwards", Logical, 0, []ackEvent{
			{recv: 0x100, msg: begin}, {recv: 0x200, msg: commit}, {ack: 0x200}, {ka: 0x900}, {update: true},
			{recv: 0x950, msg: &codec.Begin{Xid: 6}}}, 0x950, 0x900},
		{"physical: write is the data end", Physical, 0, []ackEvent{{recv: 0x100, n: 0x80}}, 0x180, 0},
		{"physical: keepalive when all acknowledged", Physical, 0, []ackEvent{{recv: 0x100, n: 0x80}, {ack: 0x180}, {ka: 0x900}}, 0x900, 0x180},
		{"raw: keepalive with data not acknowledged", LogicalRaw, 0, []ackEvent{{recv: 0x100}, {recv: 0x200}, {ack: 0x100}, {ka: 0x900}}, 0x200, 0x100},
		{"raw: keepalive once all is acknowledged", LogicalRaw, 0, []ackEvent{{recv: 0x100}, {recv: 0x200}, {ack: 0x200}, {ka: 0x900}}, 0x900, 0x900},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := NewAckTracker(tc.kind, tc.floor)
			for _, e := range tc.events {
				switch {
				case e.recv != 0:
					a.Received(e.recv, e.n)
					if e.msg != nil {
						a.Delivered(e.msg, e.recv)
					}
				case e.ka != 0:
					a.Keepalive(e.ka)
				case e.ack != 0:
					a.Ack(e.ack)
				case e.update:
					a.Update(0, false)
				}
			}
			w, f, ap := a.Positions()
			if w != tc.write || f != tc.flush || ap != tc.flush {
				t.Errorf("positions %v/%v/%v, want write %v, flush and apply %v", w, f, ap, tc.write, tc.flush)
			}
		})
	}
}

// FuzzAckTracker feeds arbitrary event sequences and checks the safety
// rules: the flush position never passes what was acknowledged unless the
// consumer has caught up with a keepalive and nothing is open, and no
// position goes backwards.
func FuzzAckTracker(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, true)
	f.Add([]byte{3, 3, 9, 1, 0, 7, 7, 2, 5}, false)
	f.Fuzz(func(t *testing.T, ops []byte, logical bool) {
		a := NewAckTracker(map[bool]StreamKind{true: Logical, false: Physical}[logical], 0)
		var pos lsn.LSN
		var last [3]lsn.LSN
		open := map[uint32]bool{}
		inTxn := false
		for i, op := range ops {
			pos += lsn.LSN(op%7) * 8
			switch op % 10 {
			case 0:
				a.Received(pos, int(op))
				if logical {
					a.Delivered(&codec.Begin{FinalLSN: pos + 64}, pos)
					inTxn = true
				}
			case 1:
				a.Received(pos, 0)
				if logical {
					a.Delivered(&codec.Commit{EndLSN: pos}, pos)
					inTxn = false
				}
			case 2:
				a.Keepalive(pos + lsn.LSN(op))
			case 3:
				a.Ack(pos - lsn.LSN(op%3)*8)
			case 4:
				if logical {
					xid := uint32(op % 3)
					a.Received(pos, 0)
					a.Delivered(&codec.StreamStart{Xid: xid}, pos)
					open[xid] = true
				}
			case 5:
				if logical {
					xid := uint32(op % 3)
					a.Received(pos, 0)
					a.Delivered(&codec.StreamCommit{Xid: xid, EndLSN: pos}, pos)
					delete(open, xid)
				}
			case 6:
				if logical {
					xid := uint32(op % 3)
					a.Received(pos, 0)
					a.Delivered(&codec.StreamAbort{Xid: xid, SubXid: xid + uint32(op%2)}, pos)
					if op%2 == 0 {
						delete(open, xid)
					}
				}
			default:
				u := a.Update(0, false)
				p := [3]lsn.LSN{u.Write, u.Flush, u.Apply}
				for j := range p {
					if p[j] < last[j] {
						t.Fatalf("op %d: position %d went back from %v to %v", i, j, last[j], p[j])
					}
				}
				last = p
			}
			_, flush, _ := a.Positions()
			if flush > a.Acked() && flush > last[1] {
				// Beyond the acknowledgements only by the idle rule.
				if !logical || inTxn || len(open) > 0 {
					t.Fatalf("op %d: flush %v beyond ack %v with a transaction open", i, flush, a.Acked())
				}
			}
		}
	})
}
