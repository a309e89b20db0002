package codec

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/pgwal/pgwal/lsn"
)

// Generators lean on edge cases: zero and maximum integers, empty and
// unicode strings, every column kind.

func genU64() gopter.Gen {
	return gen.OneGenOf(gen.Const(uint64(0)), gen.Const(uint64(math.MaxUint64)), gen.UInt64())
}

func genU32() gopter.Gen {
	return gen.OneGenOf(gen.Const(uint32(0)), gen.Const(uint32(math.MaxUint32)), gen.UInt32())
}

func genLSN() gopter.Gen {
	return genU64().Map(func(v uint64) lsn.LSN { return lsn.LSN(v) })
}

func genTime() gopter.Gen {
	return gen.OneGenOf(gen.Const(int64(0)), gen.Const(int64(math.MaxInt64)), gen.Const(int64(math.MinInt64)), gen.Int64()).
		Map(func(v int64) lsn.Timestamp { return lsn.Timestamp(v) })
}

// genName: a String field — any unicode text without NUL, often empty.
func genName() gopter.Gen {
	return gen.OneGenOf(gen.Const(""), gen.AnyString(), gen.AlphaString(), gen.Const("naïve_名前_🙂")).
		Map(func(s string) []byte { return []byte(strings.ReplaceAll(s, "\x00", "")) })
}

func genBytes() gopter.Gen {
	return gen.OneGenOf(gen.Const([]byte{}), gen.SliceOf(gen.UInt8()))
}

func genColumn() gopter.Gen {
	return gen.OneGenOf(
		gen.Const(Column{Kind: ColumnNull}),
		gen.Const(Column{Kind: ColumnUnchanged}),
		genBytes().Map(func(b []byte) Column { return Column{Kind: ColumnText, Data: b} }),
		genBytes().Map(func(b []byte) Column { return Column{Kind: ColumnBinary, Data: b} }),
	)
}

func genTuple() gopter.Gen {
	return gen.SliceOf(genColumn()).Map(func(c []Column) Tuple { return Tuple(c) })
}

func genStreamPrefix() gopter.Gen { return gen.Bool() }

// genMessage returns a generator for every pgoutput message type.
func genMessages() map[string]gopter.Gen {
	return map[string]gopter.Gen{
		"Begin": gopter.CombineGens(genLSN(), genTime(), genU32()).Map(func(v []any) Message {
			return &Begin{FinalLSN: v[0].(lsn.LSN), CommitTime: v[1].(lsn.Timestamp), Xid: v[2].(uint32)}
		}),
		"Commit": gopter.CombineGens(gen.UInt8(), genLSN(), genLSN(), genTime()).Map(func(v []any) Message {
			return &Commit{Flags: v[0].(uint8), CommitLSN: v[1].(lsn.LSN), EndLSN: v[2].(lsn.LSN), CommitTime: v[3].(lsn.Timestamp)}
		}),
		"Origin": gopter.CombineGens(genLSN(), genName()).Map(func(v []any) Message {
			return &Origin{CommitLSN: v[0].(lsn.LSN), Name: v[1].([]byte)}
		}),
		"LogicalMessage": gopter.CombineGens(genStreamPrefix(), genU32(), gen.UInt8(), genLSN(), genName(), genBytes()).Map(func(v []any) Message {
			m := &LogicalMessage{InStream: v[0].(bool), Flags: v[2].(uint8), LSN: v[3].(lsn.LSN), Prefix: v[4].([]byte), Content: v[5].([]byte)}
			if m.InStream {
				m.Xid = v[1].(uint32)
			}
			return m
		}),
		"Relation": gopter.CombineGens(genStreamPrefix(), genU32(), genU32(), genName(), genName(), gen.OneConstOf(byte('d'), byte('n'), byte('f'), byte('i')),
			gen.SliceOf(gopter.CombineGens(gen.UInt8(), genName(), genU32(), gen.Int32()))).Map(func(v []any) Message {
			m := &Relation{InStream: v[0].(bool), RelationID: v[2].(uint32), Namespace: v[3].([]byte), Name: v[4].([]byte), ReplicaIdentity: v[5].(byte)}
			if m.InStream {
				m.Xid = v[1].(uint32)
			}
			for _, c := range v[6].([][]any) {
				m.Columns = append(m.Columns, RelationColumn{Flags: c[0].(uint8), Name: c[1].([]byte), TypeOID: c[2].(uint32), TypeMod: c[3].(int32)})
			}
			return m
		}),
		"Type": gopter.CombineGens(genStreamPrefix(), genU32(), genU32(), genName(), genName()).Map(func(v []any) Message {
			m := &Type{InStream: v[0].(bool), TypeOID: v[2].(uint32), Namespace: v[3].([]byte), Name: v[4].([]byte)}
			if m.InStream {
				m.Xid = v[1].(uint32)
			}
			return m
		}),
		"Insert": gopter.CombineGens(genStreamPrefix(), genU32(), genU32(), genTuple()).Map(func(v []any) Message {
			m := &Insert{InStream: v[0].(bool), RelationID: v[2].(uint32), New: v[3].(Tuple)}
			if m.InStream {
				m.Xid = v[1].(uint32)
			}
			return m
		}),
		"Update": gopter.CombineGens(genStreamPrefix(), genU32(), genU32(), gen.OneConstOf(OldNone, OldKey, OldFull), genTuple(), genTuple()).Map(func(v []any) Message {
			m := &Update{InStream: v[0].(bool), RelationID: v[2].(uint32), OldKind: v[3].(OldTupleKind), New: v[5].(Tuple)}
			if m.InStream {
				m.Xid = v[1].(uint32)
			}
			if m.OldKind != OldNone {
				m.Old = v[4].(Tuple)
			}
			return m
		}),
		"Delete": gopter.CombineGens(genStreamPrefix(), genU32(), genU32(), gen.OneConstOf(OldKey, OldFull), genTuple()).Map(func(v []any) Message {
			m := &Delete{InStream: v[0].(bool), RelationID: v[2].(uint32), OldKind: v[3].(OldTupleKind), Old: v[4].(Tuple)}
			if m.InStream {
				m.Xid = v[1].(uint32)
			}
			return m
		}),
		"Truncate": gopter.CombineGens(genStreamPrefix(), genU32(), gen.UInt8(), gen.SliceOf(genU32())).Map(func(v []any) Message {
			m := &Truncate{InStream: v[0].(bool), Options: v[2].(uint8), RelationIDs: v[3].([]uint32)}
			if m.InStream {
				m.Xid = v[1].(uint32)
			}
			return m
		}),
		"StreamStart": gopter.CombineGens(genU32(), gen.Bool()).Map(func(v []any) Message {
			return &StreamStart{Xid: v[0].(uint32), FirstSegment: v[1].(bool)}
		}),
		"StreamStop": gen.Const(Message(&StreamStop{})),
		"StreamCommit": gopter.CombineGens(genU32(), gen.UInt8(), genLSN(), genLSN(), genTime()).Map(func(v []any) Message {
			return &StreamCommit{Xid: v[0].(uint32), Flags: v[1].(uint8), CommitLSN: v[2].(lsn.LSN), EndLSN: v[3].(lsn.LSN), CommitTime: v[4].(lsn.Timestamp)}
		}),
		"StreamAbort": gopter.CombineGens(genU32(), genU32(), gen.Bool(), genLSN(), genTime()).Map(func(v []any) Message {
			m := &StreamAbort{Xid: v[0].(uint32), SubXid: v[1].(uint32), Parallel: v[2].(bool)}
			if m.Parallel {
				m.AbortLSN, m.AbortTime = v[3].(lsn.LSN), v[4].(lsn.Timestamp)
			}
			return m
		}),
		"BeginPrepare": gopter.CombineGens(genLSN(), genLSN(), genTime(), genU32(), genName()).Map(func(v []any) Message {
			return &BeginPrepare{PrepareLSN: v[0].(lsn.LSN), EndLSN: v[1].(lsn.LSN), PrepareTime: v[2].(lsn.Timestamp), Xid: v[3].(uint32), GID: v[4].([]byte)}
		}),
		"Prepare": genPrepare().Map(func(p Prepare) Message { return &p }),
		"StreamPrepare": genPrepare().Map(func(p Prepare) Message {
			sp := StreamPrepare(p)
			return &sp
		}),
		"CommitPrepared": gopter.CombineGens(gen.UInt8(), genLSN(), genLSN(), genTime(), genU32(), genName()).Map(func(v []any) Message {
			return &CommitPrepared{Flags: v[0].(uint8), CommitLSN: v[1].(lsn.LSN), EndLSN: v[2].(lsn.LSN), CommitTime: v[3].(lsn.Timestamp), Xid: v[4].(uint32), GID: v[5].([]byte)}
		}),
		"RollbackPrepared": gopter.CombineGens(gen.UInt8(), genLSN(), genLSN(), genTime(), genTime(), genU32(), genName()).Map(func(v []any) Message {
			return &RollbackPrepared{Flags: v[0].(uint8), PrepareEndLSN: v[1].(lsn.LSN), RollbackEndLSN: v[2].(lsn.LSN),
				PrepareTime: v[3].(lsn.Timestamp), RollbackTime: v[4].(lsn.Timestamp), Xid: v[5].(uint32), GID: v[6].([]byte)}
		}),
	}
}

func genPrepare() gopter.Gen {
	return gopter.CombineGens(gen.UInt8(), genLSN(), genLSN(), genTime(), genU32(), genName()).Map(func(v []any) Prepare {
		return Prepare{Flags: v[0].(uint8), PrepareLSN: v[1].(lsn.LSN), EndLSN: v[2].(lsn.LSN), PrepareTime: v[3].(lsn.Timestamp), Xid: v[4].(uint32), GID: v[5].([]byte)}
	})
}

// decoderFor returns a decoder in the state the message's encoding needs:
// inside a stream block for prefixed row messages, and a Stream Stop needs
// an open block.
func decoderFor(m Message) *Decoder {
	d := &Decoder{}
	switch m := m.(type) {
	case *LogicalMessage:
		d.inStream = m.InStream
	case *Relation:
		d.inStream = m.InStream
	case *Type:
		d.inStream = m.InStream
	case *Insert:
		d.inStream = m.InStream
	case *Update:
		d.inStream = m.InStream
	case *Delete:
		d.inStream = m.InStream
	case *Truncate:
		d.inStream = m.InStream
	case *StreamStop:
		d.inStream = true
	}
	return d
}

func propParameters(t *testing.T) *gopter.TestParameters {
	p := gopter.DefaultTestParameters()
	p.MinSuccessfulTests = 500
	if testing.Short() {
		p.MinSuccessfulTests = 100
	}
	p.MaxSize = 64
	return p
}

func TestPropertyRoundTrip(t *testing.T) {
	for name, g := range genMessages() {
		t.Run(name, func(t *testing.T) {
			props := gopter.NewProperties(propParameters(t))
			props.Property("decode(encode(m)) == m", prop.ForAll(func(m Message) string {
				b := AppendMessage(nil, m)
				got, err := decoderFor(m).Decode(b)
				if err != nil {
					return "decode: " + err.Error()
				}
				if diff := cmp.Diff(m, got, cmpOpts...); diff != "" {
					return "mismatch (-want +got):\n" + diff
				}
				return ""
			}, g))
			props.Property("encode(decode(b)) == b", prop.ForAll(func(m Message) string {
				b := AppendMessage(nil, m)
				got, err := decoderFor(m).Decode(b)
				if err != nil {
					return "decode: " + err.Error()
				}
				if again := AppendMessage(nil, got); !bytes.Equal(again, b) {
					return "re-encoded bytes differ"
				}
				return ""
			}, g))
			props.Property("clone equals and survives decoder reuse", prop.ForAll(func(m Message) string {
				b := AppendMessage(nil, m)
				d := decoderFor(m)
				got, err := d.Decode(b)
				if err != nil {
					return "decode: " + err.Error()
				}
				c := Clone(got)
				for i := range b {
					b[i] = 0x5A
				}
				if diff := cmp.Diff(m, c, cmpOpts...); diff != "" {
					return "clone mismatch:\n" + diff
				}
				return ""
			}, g))
			props.TestingRun(t)
		})
	}
}

func TestPropertyCopyDataRoundTrip(t *testing.T) {
	gens := map[string]gopter.Gen{
		"XLogData": gopter.CombineGens(genLSN(), genLSN(), genTime(), genBytes()).Map(func(v []any) ReplicationMessage {
			return &XLogData{WALStart: v[0].(lsn.LSN), WALEnd: v[1].(lsn.LSN), ServerTime: v[2].(lsn.Timestamp), Data: v[3].([]byte)}
		}),
		"PrimaryKeepalive": gopter.CombineGens(genLSN(), genTime(), gen.Bool()).Map(func(v []any) ReplicationMessage {
			return &PrimaryKeepalive{WALEnd: v[0].(lsn.LSN), ServerTime: v[1].(lsn.Timestamp), ReplyRequested: v[2].(bool)}
		}),
		"PrimaryStatusUpdate": gopter.CombineGens(genLSN(), genU64(), genU64(), genTime()).Map(func(v []any) ReplicationMessage {
			return &PrimaryStatusUpdate{WriteLSN: v[0].(lsn.LSN), OldestXidInCommit: v[1].(uint64), NextXid: v[2].(uint64), ServerTime: v[3].(lsn.Timestamp)}
		}),
		"StandbyStatusUpdate": gopter.CombineGens(genLSN(), genLSN(), genLSN(), genTime(), gen.Bool()).Map(func(v []any) ReplicationMessage {
			return &StandbyStatusUpdate{Write: v[0].(lsn.LSN), Flush: v[1].(lsn.LSN), Apply: v[2].(lsn.LSN), ClientTime: v[3].(lsn.Timestamp), ReplyRequested: v[4].(bool)}
		}),
		"HotStandbyFeedback": gopter.CombineGens(genTime(), genU32(), genU32(), genU32(), genU32()).Map(func(v []any) ReplicationMessage {
			return &HotStandbyFeedback{ClientTime: v[0].(lsn.Timestamp), Xmin: v[1].(uint32), XminEpoch: v[2].(uint32), CatalogXmin: v[3].(uint32), CatalogXminEpoch: v[4].(uint32)}
		}),
		"PrimaryStatusRequest": genTime().Map(func(v lsn.Timestamp) ReplicationMessage {
			return &PrimaryStatusRequest{ClientTime: v}
		}),
	}
	for name, g := range gens {
		t.Run(name, func(t *testing.T) {
			props := gopter.NewProperties(propParameters(t))
			props.Property("round trip", prop.ForAll(func(m ReplicationMessage) string {
				b := AppendReplicationMessage(nil, m)
				var d Decoder
				decode := d.DecodeServerCopyData
				switch m.Tag() {
				case TagStandbyStatusUpdate, TagHotStandbyFeedback, TagPrimaryStatusRequest:
					decode = d.DecodeClientCopyData
				}
				got, err := decode(b)
				if err != nil {
					return err.Error()
				}
				if diff := cmp.Diff(m, got, cmpOpts...); diff != "" {
					return diff
				}
				if again := AppendReplicationMessage(nil, got); !bytes.Equal(again, b) {
					return "re-encoded bytes differ"
				}
				return ""
			}, g))
			props.TestingRun(t)
		})
	}
}

// The largest counts the wire can express round-trip.
func TestMaximumCounts(t *testing.T) {
	big := make(Tuple, math.MaxUint16)
	for i := range big {
		big[i] = Column{Kind: ColumnKind("nutb"[i%4]), Data: nil}
		if big[i].Kind == ColumnText || big[i].Kind == ColumnBinary {
			big[i].Data = []byte{byte(i)}
		}
	}
	cols := make([]RelationColumn, math.MaxUint16)
	for i := range cols {
		cols[i] = RelationColumn{Name: []byte("c"), TypeOID: 25, TypeMod: -1}
	}
	for _, m := range []Message{
		&Insert{RelationID: 1, New: big},
		&Update{RelationID: 1, OldKind: OldFull, Old: big, New: big},
		&Relation{RelationID: 1, Name: []byte("wide"), ReplicaIdentity: 'd', Columns: cols},
		&Truncate{RelationIDs: make([]uint32, 100000)},
		&LogicalMessage{Prefix: []byte("p"), Content: make([]byte, 1<<20)},
	} {
		b := AppendMessage(nil, m)
		got, err := new(Decoder).Decode(b)
		if err != nil {
			t.Fatalf("%v: %v", m.MessageType(), err)
		}
		if diff := cmp.Diff(m, got, cmpOpts...); diff != "" {
			t.Errorf("%v differs:\n%.2000s", m.MessageType(), diff)
		}
	}
}
