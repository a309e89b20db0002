package codec

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pgwal/pgwal/lsn"
)

// cmpOpts compares messages treating nil and empty slices alike: the decoder
// returns empty views for empty strings, a literal may say nil.
var cmpOpts = []cmp.Option{cmpopts.EquateEmpty()}

type decodeCase struct {
	name     string
	opts     Options
	inStream bool
	in       []byte
	want     Message
}

const (
	someLSN  = lsn.LSN(0x16_B374D848)
	someLSN2 = lsn.LSN(0x16_B374D8F0)
	someTime = lsn.Timestamp(784_111_777_123_456) // 2024-11-05T…
	xid      = uint32(741)
	subxid   = uint32(742)
)

func decodeCases() []decodeCase {
	tenText := Tuple{}
	tenBytes := b2(10)
	for i := 0; i < 10; i++ {
		v := string(rune('a' + i))
		tenText = append(tenText, Column{Kind: ColumnText, Data: []byte(v)})
		tenBytes = cat(tenBytes, text(v))
	}
	return []decodeCase{
		{
			name: "Begin",
			in:   cat(b1('B'), b8(uint64(someLSN)), b8(uint64(someTime)), b4(xid)),
			want: &Begin{FinalLSN: someLSN, CommitTime: someTime, Xid: xid},
		},
		{
			name: "Commit",
			in:   cat(b1('C'), b1(0), b8(uint64(someLSN)), b8(uint64(someLSN2)), b8(uint64(someTime))),
			want: &Commit{CommitLSN: someLSN, EndLSN: someLSN2, CommitTime: someTime},
		},
		{
			name: "Origin",
			in:   cat(b1('O'), b8(uint64(someLSN)), str("node_a")),
			want: &Origin{CommitLSN: someLSN, Name: []byte("node_a")},
		},
		{
			name: "Origin after Stream Start has LSN 0",
			in:   cat(b1('O'), b8(0), str("node_a")),
			want: &Origin{Name: []byte("node_a")},
		},
		{
			name: "Relation default identity",
			in: cat(b1('R'), b4(16390), str("public"), str("items"), b1('d'), b2(2),
				b1(1), str("id"), b4(23), b4(0xFFFFFFFF),
				b1(0), str("naïve_名前"), b4(1043), b4(36)),
			want: &Relation{RelationID: 16390, Namespace: []byte("public"), Name: []byte("items"),
				ReplicaIdentity: ReplicaIdentityDefault, Columns: []RelationColumn{
					{Flags: 1, Name: []byte("id"), TypeOID: 23, TypeMod: -1},
					{Name: []byte("naïve_名前"), TypeOID: 1043, TypeMod: 36},
				}},
		},
		{
			name: "Relation pg_catalog namespace is empty, no columns",
			in:   cat(b1('R'), b4(1), str(""), str("t"), b1('n'), b2(0)),
			want: &Relation{RelationID: 1, Name: []byte("t"), ReplicaIdentity: ReplicaIdentityNothing},
		},
		{
			name:     "Relation in stream has xid prefix",
			inStream: true,
			in:       cat(b1('R'), b4(subxid), b4(16390), str("s"), str("t"), b1('f'), b2(1), b1(1), str("a"), b4(25), b4(0xFFFFFFFF)),
			want: &Relation{InStream: true, Xid: subxid, RelationID: 16390, Namespace: []byte("s"), Name: []byte("t"),
				ReplicaIdentity: ReplicaIdentityFull, Columns: []RelationColumn{{Flags: 1, Name: []byte("a"), TypeOID: 25, TypeMod: -1}}},
		},
		{
			name: "Type of a domain names the base type",
			in:   cat(b1('Y'), b4(16400), str(""), str("int4")),
			want: &Type{TypeOID: 16400, Name: []byte("int4")},
		},
		{
			name:     "Type in stream",
			inStream: true,
			in:       cat(b1('Y'), b4(xid), b4(16401), str("app"), str("mood")),
			want:     &Type{InStream: true, Xid: xid, TypeOID: 16401, Namespace: []byte("app"), Name: []byte("mood")},
		},
		{
			name: "Insert with all four column kinds",
			in:   cat(b1('I'), b4(16390), b1('N'), b2(4), text("42"), b1('n'), b1('u'), bin("\x00\x01")),
			want: &Insert{RelationID: 16390, New: Tuple{
				{Kind: ColumnText, Data: []byte("42")}, {Kind: ColumnNull}, {Kind: ColumnUnchanged},
				{Kind: ColumnBinary, Data: []byte{0, 1}},
			}},
		},
		{
			name: "Insert with empty text value",
			in:   cat(b1('I'), b4(1), b1('N'), b2(1), text("")),
			want: &Insert{RelationID: 1, New: Tuple{{Kind: ColumnText, Data: []byte{}}}},
		},
		{
			name: "Insert with zero columns",
			in:   cat(b1('I'), b4(1), b1('N'), b2(0)),
			want: &Insert{RelationID: 1, New: Tuple{}},
		},
		{
			name: "Insert ten text columns",
			in:   cat(b1('I'), b4(16390), b1('N'), tenBytes),
			want: &Insert{RelationID: 16390, New: tenText},
		},
		{
			name:     "Insert in stream",
			inStream: true,
			in:       cat(b1('I'), b4(subxid), b4(16390), b1('N'), b2(1), text("x")),
			want:     &Insert{InStream: true, Xid: subxid, RelationID: 16390, New: Tuple{{Kind: ColumnText, Data: []byte("x")}}},
		},
		{
			name: "Update without old tuple, unchanged TOAST column",
			in:   cat(b1('U'), b4(16390), b1('N'), b2(2), text("1"), b1('u')),
			want: &Update{RelationID: 16390, New: Tuple{{Kind: ColumnText, Data: []byte("1")}, {Kind: ColumnUnchanged}}},
		},
		{
			name: "Update with old key: non-key columns are null placeholders",
			in:   cat(b1('U'), b4(16390), b1('K'), b2(2), text("1"), b1('n'), b1('N'), b2(2), text("2"), text("v")),
			want: &Update{RelationID: 16390, OldKind: OldKey,
				Old: Tuple{{Kind: ColumnText, Data: []byte("1")}, {Kind: ColumnNull}},
				New: Tuple{{Kind: ColumnText, Data: []byte("2")}, {Kind: ColumnText, Data: []byte("v")}}},
		},
		{
			name: "Update with old full row",
			in:   cat(b1('U'), b4(16390), b1('O'), b2(2), text("1"), text("old"), b1('N'), b2(2), text("1"), text("new")),
			want: &Update{RelationID: 16390, OldKind: OldFull,
				Old: Tuple{{Kind: ColumnText, Data: []byte("1")}, {Kind: ColumnText, Data: []byte("old")}},
				New: Tuple{{Kind: ColumnText, Data: []byte("1")}, {Kind: ColumnText, Data: []byte("new")}}},
		},
		{
			name:     "Update in stream",
			inStream: true,
			in:       cat(b1('U'), b4(xid), b4(7), b1('N'), b2(1), b1('n')),
			want:     &Update{InStream: true, Xid: xid, RelationID: 7, New: Tuple{{Kind: ColumnNull}}},
		},
		{
			name: "Delete by key",
			in:   cat(b1('D'), b4(16390), b1('K'), b2(3), text("9"), b1('n'), b1('n')),
			want: &Delete{RelationID: 16390, OldKind: OldKey, Old: Tuple{{Kind: ColumnText, Data: []byte("9")}, {Kind: ColumnNull}, {Kind: ColumnNull}}},
		},
		{
			name: "Delete full row, binary",
			in:   cat(b1('D'), b4(16390), b1('O'), b2(1), bin("\x00\x00\x00\x09")),
			want: &Delete{RelationID: 16390, OldKind: OldFull, Old: Tuple{{Kind: ColumnBinary, Data: []byte{0, 0, 0, 9}}}},
		},
		{
			name:     "Delete in stream",
			inStream: true,
			in:       cat(b1('D'), b4(xid), b4(16390), b1('K'), b2(1), text("9")),
			want:     &Delete{InStream: true, Xid: xid, RelationID: 16390, OldKind: OldKey, Old: Tuple{{Kind: ColumnText, Data: []byte("9")}}},
		},
		{
			name: "Truncate two tables cascade restart identity",
			in:   cat(b1('T'), b4(2), b1(3), b4(16390), b4(16395)),
			want: &Truncate{Options: TruncateCascade | TruncateRestartIdentity, RelationIDs: []uint32{16390, 16395}},
		},
		{
			name:     "Truncate in stream",
			inStream: true,
			in:       cat(b1('T'), b4(xid), b4(1), b1(0), b4(16390)),
			want:     &Truncate{InStream: true, Xid: xid, RelationIDs: []uint32{16390}},
		},
		{
			name: "Truncate is protocol 1",
			opts: Options{ProtoVersion: 1},
			in:   cat(b1('T'), b4(1), b1(0), b4(16390)),
			want: &Truncate{RelationIDs: []uint32{16390}},
		},
		{
			name: "Message transactional",
			in:   cat(b1('M'), b1(1), b8(uint64(someLSN)), str("app"), b4(3), []byte{0, 0xff, 7}),
			want: &LogicalMessage{Flags: 1, LSN: someLSN, Prefix: []byte("app"), Content: []byte{0, 0xff, 7}},
		},
		{
			name: "Message non-transactional, empty content, protocol 1",
			opts: Options{ProtoVersion: 1},
			in:   cat(b1('M'), b1(0), b8(uint64(someLSN)), str("p"), b4(0)),
			want: &LogicalMessage{LSN: someLSN, Prefix: []byte("p"), Content: []byte{}},
		},
		{
			name:     "Message in stream: xid before flags",
			inStream: true,
			in:       cat(b1('M'), b4(xid), b1(1), b8(uint64(someLSN)), str("p"), b4(1), []byte("x")),
			want:     &LogicalMessage{InStream: true, Xid: xid, Flags: 1, LSN: someLSN, Prefix: []byte("p"), Content: []byte("x")},
		},
		{
			name: "Binary column with protocol 1",
			opts: Options{ProtoVersion: 1},
			in:   cat(b1('I'), b4(1), b1('N'), b2(1), bin("\x01")),
			want: &Insert{RelationID: 1, New: Tuple{{Kind: ColumnBinary, Data: []byte{1}}}},
		},
		{
			name: "Stream Start first segment",
			in:   cat(b1('S'), b4(xid), b1(1)),
			want: &StreamStart{Xid: xid, FirstSegment: true},
		},
		{
			name: "Stream Start later segment",
			in:   cat(b1('S'), b4(xid), b1(0)),
			want: &StreamStart{Xid: xid},
		},
		{
			name:     "Stream Stop",
			inStream: true,
			in:       b1('E'),
			want:     &StreamStop{},
		},
		{
			name: "Stream Commit",
			in:   cat(b1('c'), b4(xid), b1(0), b8(uint64(someLSN)), b8(uint64(someLSN2)), b8(uint64(someTime))),
			want: &StreamCommit{Xid: xid, CommitLSN: someLSN, EndLSN: someLSN2, CommitTime: someTime},
		},
		{
			name: "Stream Abort short form (streaming on)",
			opts: Options{Streaming: StreamingOn},
			in:   cat(b1('A'), b4(xid), b4(subxid)),
			want: &StreamAbort{Xid: xid, SubXid: subxid},
		},
		{
			name: "Stream Abort parallel form (protocol 4, streaming parallel)",
			opts: Options{ProtoVersion: 4, Streaming: StreamingParallel},
			in:   cat(b1('A'), b4(xid), b4(xid), b8(uint64(someLSN)), b8(uint64(someTime))),
			want: &StreamAbort{Xid: xid, SubXid: xid, Parallel: true, AbortLSN: someLSN, AbortTime: someTime},
		},
		{
			name: "Stream Abort auto: short by length",
			in:   cat(b1('A'), b4(xid), b4(subxid)),
			want: &StreamAbort{Xid: xid, SubXid: subxid},
		},
		{
			name: "Stream Abort auto: parallel by length",
			in:   cat(b1('A'), b4(xid), b4(subxid), b8(uint64(someLSN)), b8(uint64(someTime))),
			want: &StreamAbort{Xid: xid, SubXid: subxid, Parallel: true, AbortLSN: someLSN, AbortTime: someTime},
		},
		{
			name: "Begin Prepare",
			in:   cat(b1('b'), b8(uint64(someLSN)), b8(uint64(someLSN2)), b8(uint64(someTime)), b4(xid), str("gid-1")),
			want: &BeginPrepare{PrepareLSN: someLSN, EndLSN: someLSN2, PrepareTime: someTime, Xid: xid, GID: []byte("gid-1")},
		},
		{
			name: "Prepare",
			in:   cat(b1('P'), b1(0), b8(uint64(someLSN)), b8(uint64(someLSN2)), b8(uint64(someTime)), b4(xid), str("gid-1")),
			want: &Prepare{PrepareLSN: someLSN, EndLSN: someLSN2, PrepareTime: someTime, Xid: xid, GID: []byte("gid-1")},
		},
		{
			name: "Commit Prepared",
			in:   cat(b1('K'), b1(0), b8(uint64(someLSN)), b8(uint64(someLSN2)), b8(uint64(someTime)), b4(xid), str("gid-1")),
			want: &CommitPrepared{CommitLSN: someLSN, EndLSN: someLSN2, CommitTime: someTime, Xid: xid, GID: []byte("gid-1")},
		},
		{
			name: "Rollback Prepared",
			in:   cat(b1('r'), b1(0), b8(uint64(someLSN)), b8(uint64(someLSN2)), b8(uint64(someTime)), b8(uint64(someTime+5)), b4(xid), str("gid-1")),
			want: &RollbackPrepared{PrepareEndLSN: someLSN, RollbackEndLSN: someLSN2, PrepareTime: someTime, RollbackTime: someTime + 5, Xid: xid, GID: []byte("gid-1")},
		},
		{
			name: "Stream Prepare",
			in:   cat(b1('p'), b1(0), b8(uint64(someLSN)), b8(uint64(someLSN2)), b8(uint64(someTime)), b4(xid), str("")),
			want: &StreamPrepare{PrepareLSN: someLSN, EndLSN: someLSN2, PrepareTime: someTime, Xid: xid, GID: []byte{}},
		},
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range decodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(tc.opts)
			d.SetInStream(tc.inStream)
			got, err := d.Decode(tc.in)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpOpts...); diff != "" {
				t.Errorf("Decode mismatch (-want +got):\n%s", diff)
			}
			if got.MessageType() != MessageType(tc.in[0]) {
				t.Errorf("MessageType = %q, want %q", got.MessageType(), tc.in[0])
			}
			// Decode→encode gives the same bytes.
			if enc := AppendMessage(nil, got); !bytes.Equal(enc, tc.in) {
				t.Errorf("re-encoded bytes differ:\n got %x\nwant %x", enc, tc.in)
			}
			// The encoder appends: what was in dst stays.
			if enc := AppendMessage([]byte("xy"), tc.want); !bytes.Equal(enc, cat([]byte("xy"), tc.in)) {
				t.Errorf("encoding want value:\n got %x\nwant xy+%x", enc, tc.in)
			}
		})
	}
}

func TestDecodeStreamState(t *testing.T) {
	var d Decoder
	insert := cat(b1('I'), b4(16390), b1('N'), b2(1), text("x"))
	streamedInsert := cat(b1('I'), b4(subxid), b4(16390), b1('N'), b2(1), text("x"))

	steps := []struct {
		in           []byte
		wantInStream bool // after the step
		wantXid      uint32
	}{
		{insert, false, 0},
		{cat(b1('S'), b4(xid), b1(1)), true, 0},
		{streamedInsert, true, subxid},
		{b1('E'), false, 0},
		{insert, false, 0},
		{cat(b1('S'), b4(xid), b1(0)), true, 0},
		{streamedInsert, true, subxid},
		{b1('E'), false, 0},
		{cat(b1('c'), b4(xid), b1(0), b8(1), b8(2), b8(3)), false, 0},
	}
	for i, s := range steps {
		m, err := d.Decode(s.in)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if d.InStream() != s.wantInStream {
			t.Fatalf("step %d (%v): InStream = %v, want %v", i, m.MessageType(), d.InStream(), s.wantInStream)
		}
		if ins, ok := m.(*Insert); ok {
			if ins.Xid != s.wantXid || ins.InStream != (s.wantXid != 0) || ins.RelationID != 16390 {
				t.Fatalf("step %d: insert = %+v, want xid %d", i, ins, s.wantXid)
			}
		}
	}

	// The same bytes mean something else in the other state: an unprefixed
	// insert inside a stream misreads the relation OID as the xid and fails.
	d.SetInStream(true)
	if _, err := d.Decode(insert); err == nil {
		t.Errorf("unprefixed Insert inside a stream block decoded without error")
	}
	d.Reset()
	if d.InStream() {
		t.Errorf("Reset left the stream block open")
	}
}

func TestDecodeRejectsOutOfState(t *testing.T) {
	cases := []struct {
		name     string
		opts     Options
		inStream bool
		in       []byte
	}{
		{"Stream Start inside a block", Options{}, true, cat(b1('S'), b4(xid), b1(0))},
		{"Stream Stop outside a block", Options{}, false, b1('E')},
		{"Stream Start with protocol 1", Options{ProtoVersion: 1}, false, cat(b1('S'), b4(xid), b1(0))},
		{"Stream Commit with streaming off", Options{Streaming: StreamingOff}, false, cat(b1('c'), b4(xid), b1(0), b8(1), b8(2), b8(3))},
		{"Stream Prepare with streaming off", Options{Streaming: StreamingOff}, false, cat(b1('p'), b1(0), b8(1), b8(2), b8(3), b4(xid), str("g"))},
		{"Begin Prepare with protocol 2", Options{ProtoVersion: 2}, false, cat(b1('b'), b8(1), b8(2), b8(3), b4(xid), str("g"))},
		{"Commit Prepared with protocol 2", Options{ProtoVersion: 2}, false, cat(b1('K'), b1(0), b8(1), b8(2), b8(3), b4(xid), str("g"))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(tc.opts)
			d.SetInStream(tc.inStream)
			m, err := d.Decode(tc.in)
			if !errorsIs(err, ErrUnexpected) {
				t.Fatalf("Decode = %v, %v; want ErrUnexpected", m, err)
			}
			if d.InStream() != tc.inStream {
				t.Errorf("a rejected message changed the stream state")
			}
		})
	}
}

func TestStreamAbortFormFollowsOptions(t *testing.T) {
	short := cat(b1('A'), b4(xid), b4(subxid))
	long := cat(short, b8(uint64(someLSN)), b8(uint64(someTime)))
	odd := cat(short, b4(7)) // 13 bytes
	cases := []struct {
		opts    Options
		in      []byte
		wantErr error // nil: decodes
	}{
		{Options{Streaming: StreamingOn}, short, nil},
		{Options{Streaming: StreamingOn}, long, ErrTrailingBytes}, // 16 bytes too many for the short form
		{Options{Streaming: StreamingOn}, odd, ErrTrailingBytes},
		{Options{Streaming: StreamingParallel}, short, ErrTruncated},
		{Options{Streaming: StreamingParallel}, long, nil},
		{Options{}, odd, ErrTruncated},                     // auto: longer than short, so a cut parallel form
		{Options{ProtoVersion: 3}, long, ErrTrailingBytes}, // auto, but protocol 3 has no parallel form
	}
	for i, tc := range cases {
		_, err := NewDecoder(tc.opts).Decode(tc.in)
		if (err == nil) != (tc.wantErr == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
			t.Errorf("case %d: err = %v, want %v", i, err, tc.wantErr)
		}
	}
}
