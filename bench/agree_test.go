package bench

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pglogrepl"

	"github.com/pgwal/pgwal/codec"
)

// cmpOpts compare pglogrepl messages field by field, unexported message-type
// fields included; time.Time compares with Equal; byte slices compare with
// bytes.Equal, so nil and empty are equal (pglogrepl allocates a zero-length
// slice for an empty value) and a 1 MiB value is compared quickly.
var cmpOpts = cmp.Options{
	cmp.Exporter(func(reflect.Type) bool { return true }),
	cmp.Comparer(bytes.Equal),
}

// TestAgreesWithPglogrepl decodes every message of every input with pgwal and
// with pglogrepl and compares every field pglogrepl exposes: the pgwal result
// is converted to the message pglogrepl should have returned.
func TestAgreesWithPglogrepl(t *testing.T) {
	for _, in := range Inputs() {
		t.Run(in.Name, func(t *testing.T) {
			if in.PglogreplSkip != "" {
				// The claim in the README: pglogrepl cannot decode these.
				for i, b := range in.Msgs {
					if _, err := parsePglogrepl(in, b, in.Parts[i].InStream); err == nil {
						t.Errorf("message %d: pglogrepl decodes it, yet the input says %q", i, in.PglogreplSkip)
					}
				}
				return
			}
			d := codec.NewDecoder(in.Opts)
			d.SetInStream(in.Parts[0].InStream)
			for i, b := range in.Msgs {
				inStream := in.Parts[i].InStream
				if d.InStream() != inStream {
					t.Fatalf("message %d: pgwal's stream state %v, input says %v", i, d.InStream(), inStream)
				}
				payload := b
				if in.Framed {
					rm, err := d.DecodeServerCopyData(b)
					if err != nil {
						t.Fatalf("message %d: pgwal: %v", i, err)
					}
					switch rm := rm.(type) {
					case *codec.XLogData:
						got, err := pglogrepl.ParseXLogData(b[1:])
						if err != nil {
							t.Fatalf("message %d: pglogrepl: %v", i, err)
						}
						want := pglogrepl.XLogData{WALStart: pglogrepl.LSN(rm.WALStart), ServerWALEnd: pglogrepl.LSN(rm.WALEnd),
							ServerTime: rm.ServerTime.Time(), WALData: rm.Data}
						if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
							t.Fatalf("message %d: XLogData: pglogrepl disagrees (-pgwal +pglogrepl):\n%s", i, diff)
						}
						if in.FramingOnly {
							continue
						}
						payload = rm.Data
					case *codec.PrimaryKeepalive:
						got, err := pglogrepl.ParsePrimaryKeepaliveMessage(b[1:])
						if err != nil {
							t.Fatalf("message %d: pglogrepl: %v", i, err)
						}
						want := pglogrepl.PrimaryKeepaliveMessage{ServerWALEnd: pglogrepl.LSN(rm.WALEnd),
							ServerTime: rm.ServerTime.Time(), ReplyRequested: rm.ReplyRequested}
						if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
							t.Fatalf("message %d: keepalive: pglogrepl disagrees (-pgwal +pglogrepl):\n%s", i, diff)
						}
						continue
					default:
						t.Fatalf("message %d: unexpected %T", i, rm)
					}
				}
				m, err := d.Decode(payload)
				if err != nil {
					t.Fatalf("message %d: pgwal: %v", i, err)
				}
				got, err := parsePayload(in.V2, payload, inStream)
				if err != nil {
					t.Fatalf("message %d (%v): pglogrepl: %v", i, m.MessageType(), err)
				}
				want := asPglogrepl(m, in.V2)
				if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
					t.Fatalf("message %d (%v): pglogrepl disagrees (-pgwal +pglogrepl):\n%s", i, m.MessageType(), diff)
				}
			}
		})
	}
}

func parsePglogrepl(in *Input, b []byte, inStream bool) (pglogrepl.Message, error) {
	if in.Framed {
		if b[0] != 'w' {
			return nil, errNotCopyData
		}
		x, err := pglogrepl.ParseXLogData(b[1:])
		if err != nil {
			return nil, err
		}
		b = x.WALData
	}
	return parsePayload(in.V2, b, inStream)
}

func parsePayload(v2 bool, b []byte, inStream bool) (pglogrepl.Message, error) {
	if v2 {
		return pglogrepl.ParseV2(b, inStream)
	}
	return pglogrepl.Parse(b)
}

type typeSetter interface {
	SetType(pglogrepl.MessageType)
}

func typed[M typeSetter](m M, t pglogrepl.MessageType) M {
	m.SetType(t)
	return m
}

// asPglogrepl is the message pglogrepl should return for m: Parse's types,
// or ParseV2's wrappers when v2.
func asPglogrepl(m codec.Message, v2 bool) pglogrepl.Message {
	switch m := m.(type) {
	case *codec.Begin:
		return typed(&pglogrepl.BeginMessage{FinalLSN: pglogrepl.LSN(m.FinalLSN), CommitTime: m.CommitTime.Time(), Xid: m.Xid},
			pglogrepl.MessageTypeBegin)
	case *codec.Commit:
		return typed(&pglogrepl.CommitMessage{Flags: m.Flags, CommitLSN: pglogrepl.LSN(m.CommitLSN),
			TransactionEndLSN: pglogrepl.LSN(m.EndLSN), CommitTime: m.CommitTime.Time()}, pglogrepl.MessageTypeCommit)
	case *codec.Origin:
		return typed(&pglogrepl.OriginMessage{CommitLSN: pglogrepl.LSN(m.CommitLSN), Name: string(m.Name)}, pglogrepl.MessageTypeOrigin)
	case *codec.Relation:
		r := pglogrepl.RelationMessage{RelationID: m.RelationID, Namespace: string(m.Namespace), RelationName: string(m.Name),
			ReplicaIdentity: m.ReplicaIdentity, ColumnNum: uint16(len(m.Columns))}
		for _, c := range m.Columns {
			r.Columns = append(r.Columns, &pglogrepl.RelationMessageColumn{Flags: c.Flags, Name: string(c.Name),
				DataType: c.TypeOID, TypeModifier: c.TypeMod})
		}
		r.SetType(pglogrepl.MessageTypeRelation)
		if v2 {
			return &pglogrepl.RelationMessageV2{RelationMessage: r, InStreamMessageV2WithXid: pglogrepl.InStreamMessageV2WithXid{Xid: m.Xid}}
		}
		return &r
	case *codec.Type:
		y := pglogrepl.TypeMessage{DataType: m.TypeOID, Namespace: string(m.Namespace), Name: string(m.Name)}
		y.SetType(pglogrepl.MessageTypeType)
		if v2 {
			return &pglogrepl.TypeMessageV2{TypeMessage: y, InStreamMessageV2WithXid: pglogrepl.InStreamMessageV2WithXid{Xid: m.Xid}}
		}
		return &y
	case *codec.Insert:
		i := pglogrepl.InsertMessage{RelationID: m.RelationID, Tuple: asTuple(m.New)}
		i.SetType(pglogrepl.MessageTypeInsert)
		if v2 {
			return &pglogrepl.InsertMessageV2{InsertMessage: i, InStreamMessageV2WithXid: pglogrepl.InStreamMessageV2WithXid{Xid: m.Xid}}
		}
		return &i
	case *codec.Update:
		u := pglogrepl.UpdateMessage{RelationID: m.RelationID, OldTupleType: uint8(m.OldKind), NewTuple: asTuple(m.New)}
		if m.OldKind != codec.OldNone {
			u.OldTuple = asTuple(m.Old)
		}
		u.SetType(pglogrepl.MessageTypeUpdate)
		if v2 {
			return &pglogrepl.UpdateMessageV2{UpdateMessage: u, InStreamMessageV2WithXid: pglogrepl.InStreamMessageV2WithXid{Xid: m.Xid}}
		}
		return &u
	case *codec.Delete:
		dm := pglogrepl.DeleteMessage{RelationID: m.RelationID, OldTupleType: uint8(m.OldKind), OldTuple: asTuple(m.Old)}
		dm.SetType(pglogrepl.MessageTypeDelete)
		if v2 {
			return &pglogrepl.DeleteMessageV2{DeleteMessage: dm, InStreamMessageV2WithXid: pglogrepl.InStreamMessageV2WithXid{Xid: m.Xid}}
		}
		return &dm
	case *codec.Truncate:
		tr := pglogrepl.TruncateMessage{RelationNum: uint32(len(m.RelationIDs)), Option: m.Options, RelationIDs: m.RelationIDs}
		tr.SetType(pglogrepl.MessageTypeTruncate)
		if v2 {
			return &pglogrepl.TruncateMessageV2{TruncateMessage: tr, InStreamMessageV2WithXid: pglogrepl.InStreamMessageV2WithXid{Xid: m.Xid}}
		}
		return &tr
	case *codec.LogicalMessage:
		lm := pglogrepl.LogicalDecodingMessage{LSN: pglogrepl.LSN(m.LSN), Transactional: m.Flags == 1,
			Prefix: string(m.Prefix), Content: m.Content}
		lm.SetType(pglogrepl.MessageTypeMessage)
		if v2 {
			return &pglogrepl.LogicalDecodingMessageV2{LogicalDecodingMessage: lm, InStreamMessageV2WithXid: pglogrepl.InStreamMessageV2WithXid{Xid: m.Xid}}
		}
		return &lm
	case *codec.StreamStart:
		first := uint8(0)
		if m.FirstSegment {
			first = 1
		}
		return typed(&pglogrepl.StreamStartMessageV2{Xid: m.Xid, FirstSegment: first}, pglogrepl.MessageTypeStreamStart)
	case *codec.StreamStop:
		return typed(&pglogrepl.StreamStopMessageV2{}, pglogrepl.MessageTypeStreamStop)
	case *codec.StreamCommit:
		return typed(&pglogrepl.StreamCommitMessageV2{Xid: m.Xid, Flags: m.Flags, CommitLSN: pglogrepl.LSN(m.CommitLSN),
			TransactionEndLSN: pglogrepl.LSN(m.EndLSN), CommitTime: m.CommitTime.Time()}, pglogrepl.MessageTypeStreamCommit)
	case *codec.StreamAbort:
		// pglogrepl has no fields for the parallel form's abort LSN and time.
		return typed(&pglogrepl.StreamAbortMessageV2{Xid: m.Xid, SubXid: m.SubXid}, pglogrepl.MessageTypeStreamAbort)
	}
	panic(fmt.Sprintf("asPglogrepl: pglogrepl has no counterpart of %T", m))
}

func asTuple(t codec.Tuple) *pglogrepl.TupleData {
	td := &pglogrepl.TupleData{ColumnNum: uint16(len(t))}
	for _, c := range t {
		td.Columns = append(td.Columns, &pglogrepl.TupleDataColumn{DataType: uint8(c.Kind), Length: uint32(len(c.Data)), Data: c.Data})
	}
	return td
}

// TestPgwalDecodesEveryInput: every benchmark input decodes with pgwal, and
// with a warm reused decoder, without allocating.
func TestPgwalDecodesEveryInput(t *testing.T) {
	for _, in := range Inputs() {
		d := codec.NewDecoder(in.Opts)
		if _, err := decodePgwal(d, in); err != nil {
			t.Errorf("%s: %v", in.Name, err)
			continue
		}
		n := testing.AllocsPerRun(50, func() {
			if _, err := decodePgwal(d, in); err != nil {
				t.Fatalf("%s: %v", in.Name, err)
			}
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per decode", in.Name, n)
		}
	}
}

// TestEncodeRoundTrip: pgwal's encoders, run again, reproduce the input
// bytes and allocate nothing with a big enough buffer.
func TestEncodeRoundTrip(t *testing.T) {
	for _, in := range Inputs() {
		buf := make([]byte, 0, len(in.Buf))
		if got := in.Encode(buf); string(got) != string(in.Buf) {
			t.Errorf("%s: re-encoding differs", in.Name)
		}
		if n := testing.AllocsPerRun(20, func() { buf = in.Encode(buf[:0]) }); n != 0 {
			t.Errorf("%s: %v allocations per encode", in.Name, n)
		}
	}
}

// TestFloor: the floor accepts every input, and, so that it really walks the
// layout, rejects every strict prefix and one extra trailing byte of each
// message (the 1 MiB insert is checked at a few cut points only).
func TestFloor(t *testing.T) {
	for _, in := range Inputs() {
		if _, ok := decodeFloor(in); !ok {
			t.Errorf("%s: floor rejects the input", in.Name)
			continue
		}
		for i, b := range in.Msgs {
			walk := func(b []byte) bool {
				if in.Framed {
					_, ok := FloorServerCopyData(b, in.Parts[i].InStream, in.parallel(), in.FramingOnly)
					return ok
				}
				_, ok := FloorPgoutput(b, in.Parts[i].InStream, in.parallel())
				return ok
			}
			cuts := make([]int, 0, len(b))
			if len(b) > 4096 {
				cuts = append(cuts, 0, 1, 5, 20, len(b)/2, len(b)-1)
			} else {
				for n := 0; n < len(b); n++ {
					cuts = append(cuts, n)
				}
			}
			for _, n := range cuts {
				if in.FramingOnly && n >= codec.XLogDataHeaderSize {
					break // the payload is opaque to framing
				}
				if walk(b[:n:n]) {
					t.Errorf("%s: message %d: floor accepts a %d-byte prefix of %d", in.Name, i, n, len(b))
				}
			}
			if !in.FramingOnly && walk(append(b[:len(b):len(b)], 0)) {
				t.Errorf("%s: message %d: floor accepts a trailing byte", in.Name, i)
			}
		}
	}
}

// TestFloorChecksum: the floor's sum is the total length of the variable
// fields, for a message whose layout is known.
func TestFloorChecksum(t *testing.T) {
	in := inputByName(t, "insert-10cols")
	want := 0
	for _, v := range in.Parts[0].Msg.(*codec.Insert).New {
		want += len(v.Data)
	}
	if got, ok := decodeFloor(in); !ok || got != want {
		t.Errorf("floor(insert-10cols) = %d, %v; want %d, true", got, ok, want)
	}
}

func inputByName(t *testing.T, name string) *Input {
	Inputs()
	in, ok := inputMap[name]
	if !ok {
		t.Fatalf("no input %q", name)
	}
	return in
}
