// Package bench measures pgwal's codec against github.com/jackc/pglogrepl and
// against a "floor": a bare loop that walks the same bytes the way the
// protocol defines them and keeps nothing. See README.md.
//
// Every input is built once with pgwal's encoders, so all three decoders see
// the very same bytes.
package bench

import (
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// Part is one message of an Input.
type Part struct {
	// Msg is the pgoutput message (nil for a keepalive).
	Msg codec.Message
	// WAL, when set, wraps Msg in an XLogData CopyData message with this
	// header (its Data is ignored).
	WAL *codec.XLogData
	// Keepalive, when set, is the whole part.
	Keepalive *codec.PrimaryKeepalive
	// InStream is the decoder's stream state before this message: whether
	// it is sent between a Stream Start and a Stream Stop.
	InStream bool
}

// Input is one benchmark input: one or more messages, encoded once.
type Input struct {
	Name string
	// Opts are the pgwal decoder options a client that asked for this
	// protocol version and streaming mode would use.
	Opts codec.Options
	// V2 says pglogrepl must be called through ParseV2 (protocol 2+);
	// otherwise Parse (protocol 1).
	V2 bool
	// Framed says each message is a server CopyData payload ('w' or 'k').
	Framed bool
	// FramingOnly says only the CopyData framing is decoded, not the
	// XLogData payload.
	FramingOnly bool
	// PglogreplSkip, when set, says why pglogrepl cannot decode this input.
	PglogreplSkip string
	// PglogreplNote, when set, says what pglogrepl decodes only partly.
	PglogreplNote string

	Parts []Part
	// Msgs are the encoded parts, subslices of Buf, in order.
	Msgs [][]byte
	// Buf is every message back to back: the bytes counted by SetBytes.
	Buf []byte
}

// parallel says whether the input's client asked for streaming 'parallel'.
func (in *Input) parallel() bool { return in.Opts.Streaming == codec.StreamingParallel }

// Encode appends every part of in to dst with pgwal's encoders.
func (in *Input) Encode(dst []byte) []byte {
	for i := range in.Parts {
		dst = appendPart(dst, &in.Parts[i])
	}
	return dst
}

func appendPart(dst []byte, p *Part) []byte {
	switch {
	case p.Keepalive != nil:
		return codec.AppendPrimaryKeepalive(dst, p.Keepalive)
	case p.WAL != nil:
		dst = codec.AppendXLogDataHeader(dst, p.WAL.WALStart, p.WAL.WALEnd, p.WAL.ServerTime)
		return codec.AppendMessage(dst, p.Msg)
	}
	return codec.AppendMessage(dst, p.Msg)
}

func (in *Input) build() *Input {
	var ends []int
	for i := range in.Parts {
		in.Buf = appendPart(in.Buf, &in.Parts[i])
		ends = append(ends, len(in.Buf))
	}
	start := 0
	for _, end := range ends {
		in.Msgs = append(in.Msgs, in.Buf[start:end:end])
		start = end
	}
	return in
}

// Values that look like a row of an orders table.
var (
	baseTime = time.Date(2026, 11, 21, 19, 41, 15, 123456000, time.UTC)
	baseLSN  = lsn.LSN(0x3_16B3_7480)

	orderColumns = []codec.RelationColumn{
		{Flags: 1, Name: []byte("id"), TypeOID: 20, TypeMod: -1},
		{Name: []byte("customer_id"), TypeOID: 23, TypeMod: -1},
		{Name: []byte("name"), TypeOID: 25, TypeMod: -1},
		{Name: []byte("email"), TypeOID: 1043, TypeMod: 259},
		{Name: []byte("status"), TypeOID: 25, TypeMod: -1},
		{Name: []byte("amount"), TypeOID: 1700, TypeMod: 655366},
		{Name: []byte("quantity"), TypeOID: 23, TypeMod: -1},
		{Name: []byte("country"), TypeOID: 1042, TypeMod: 6},
		{Name: []byte("created_at"), TypeOID: 1184, TypeMod: -1},
		{Name: []byte("updated_at"), TypeOID: 1184, TypeMod: -1},
	}
	orderRow = []string{
		"1048576", "4242", "Alice Martin", "alice.martin@example.com", "shipped",
		"129.95", "3", "FR", "2026-11-21 19:41:15.123456+00", "2026-11-21 19:41:16.5+00",
	}
)

const ordersOID = 16385

func ts(d time.Duration) lsn.Timestamp { return lsn.TimestampOf(baseTime.Add(d)) }

func textTuple(vals ...string) codec.Tuple {
	t := make(codec.Tuple, len(vals))
	for i, v := range vals {
		t[i] = codec.Column{Kind: codec.ColumnText, Data: []byte(v)}
	}
	return t
}

func orderTuple(id int, status string) codec.Tuple {
	row := append([]string(nil), orderRow...)
	row[0] = strconv.Itoa(id)
	row[1] = strconv.Itoa(1000 + id%977)
	row[4] = status
	row[6] = strconv.Itoa(1 + id%9)
	return textTuple(row...)
}

// keyTuple is an old key tuple of the orders table: the id, then 'n'
// placeholders for the non-key columns.
func keyTuple(id int) codec.Tuple {
	t := make(codec.Tuple, len(orderColumns))
	t[0] = codec.Column{Kind: codec.ColumnText, Data: []byte(strconv.Itoa(id))}
	for i := 1; i < len(t); i++ {
		t[i].Kind = codec.ColumnNull
	}
	return t
}

// unchangedTuple is a new orders row whose key changed, with a NULL and
// unchanged TOASTed values.
func unchangedTuple(id int) codec.Tuple {
	t := orderTuple(id, "paid")
	t[2] = codec.Column{Kind: codec.ColumnUnchanged}
	t[3] = codec.Column{Kind: codec.ColumnUnchanged}
	t[7] = codec.Column{Kind: codec.ColumnNull}
	return t
}

func relation(oid uint32, name string, cols []codec.RelationColumn) *codec.Relation {
	return &codec.Relation{RelationID: oid, Namespace: []byte("public"), Name: []byte(name),
		ReplicaIdentity: codec.ReplicaIdentityDefault, Columns: cols}
}

func wideTuple(n int) codec.Tuple {
	vals := make([]string, n)
	for i := range vals {
		vals[i] = orderRow[i%len(orderRow)]
	}
	return textTuple(vals...)
}

func single(name string, opts codec.Options, v2 bool, m codec.Message, inStream bool) *Input {
	return &Input{Name: name, Opts: opts, V2: v2, Parts: []Part{{Msg: m, InStream: inStream}}}
}

const (
	noTwoPhase = "pglogrepl (pinned a9884f6bd75a) has no decoder for the protocol 3 two-phase messages"
)

var (
	v1       = codec.Options{ProtoVersion: 1, Streaming: codec.StreamingOff}
	v2       = codec.Options{ProtoVersion: 2, Streaming: codec.StreamingOn}
	v3       = codec.Options{ProtoVersion: 3, Streaming: codec.StreamingOn}
	v4       = codec.Options{ProtoVersion: 4, Streaming: codec.StreamingParallel}
	inputs   []*Input
	inputMap map[string]*Input
)

// Inputs returns every benchmark input, built once, in report order.
func Inputs() []*Input {
	if inputs == nil {
		inputs = buildInputs()
		inputMap = make(map[string]*Input, len(inputs))
		for _, in := range inputs {
			inputMap[in.Name] = in
		}
	}
	return inputs
}

func buildInputs() []*Input {
	gid := []byte("pgwal_tx_0000001234")
	ins := []*Input{
		// Mixes.
		single("insert-10cols", v1, false, &codec.Insert{RelationID: ordersOID, New: orderTuple(1048576, "shipped")}, false),
		single("insert-100cols", v1, false, &codec.Insert{RelationID: ordersOID + 1, New: wideTuple(100)}, false),
		single("update-old-new", v1, false, &codec.Update{RelationID: ordersOID, OldKind: codec.OldFull,
			Old: orderTuple(1048576, "paid"), New: orderTuple(1048576, "shipped")}, false),
		single("insert-1MiB", v1, false, &codec.Insert{RelationID: ordersOID + 2,
			New: textTuple("42", strings.Repeat("0123456789abcdef", 1<<16))}, false),
		txnInserts(100),
		realisticMix(100),

		// One of each pgoutput message type.
		single("begin", v1, false, &codec.Begin{FinalLSN: baseLSN + 0x1000, CommitTime: ts(0), Xid: 771234}, false),
		single("commit", v1, false, &codec.Commit{CommitLSN: baseLSN + 0x1000, EndLSN: baseLSN + 0x1030, CommitTime: ts(0)}, false),
		single("origin", v1, false, &codec.Origin{CommitLSN: baseLSN - 0x2000, Name: []byte("pg_16400")}, false),
		single("relation", v1, false, relation(ordersOID, "orders", orderColumns), false),
		single("type", v1, false, &codec.Type{TypeOID: 16390, Namespace: []byte("public"), Name: []byte("order_status")}, false),
		single("update-key-unchanged", v1, false, &codec.Update{RelationID: ordersOID, OldKind: codec.OldKey,
			Old: keyTuple(1048576), New: unchangedTuple(1048577)}, false),
		single("delete-key", v1, false, &codec.Delete{RelationID: ordersOID, OldKind: codec.OldKey, Old: keyTuple(1048576)}, false),
		single("truncate", v1, false, &codec.Truncate{Options: codec.TruncateCascade, RelationIDs: []uint32{ordersOID, ordersOID + 1, ordersOID + 2}}, false),
		single("message", v1, false, &codec.LogicalMessage{Flags: 1, LSN: baseLSN + 0x800, Prefix: []byte("pgwal.audit"),
			Content: []byte(`{"user":"alice","action":"refund","order":1048576}`)}, false),
		single("insert-in-stream", v2, true, &codec.Insert{InStream: true, Xid: 771235, RelationID: ordersOID, New: orderTuple(7, "new")}, true),
		single("stream-start", v2, true, &codec.StreamStart{Xid: 771234, FirstSegment: true}, false),
		single("stream-stop", v2, true, &codec.StreamStop{}, true),
		single("stream-commit", v2, true, &codec.StreamCommit{Xid: 771234, CommitLSN: baseLSN + 0x1000, EndLSN: baseLSN + 0x1030, CommitTime: ts(0)}, false),
		single("stream-abort", v2, true, &codec.StreamAbort{Xid: 771234, SubXid: 771240}, false),
		single("stream-abort-parallel", v4, true, &codec.StreamAbort{Xid: 771234, SubXid: 771240, Parallel: true,
			AbortLSN: baseLSN + 0x1000, AbortTime: ts(0)}, false),
		single("begin-prepare", v3, true, &codec.BeginPrepare{PrepareLSN: baseLSN + 0x1000, EndLSN: baseLSN + 0x1030,
			PrepareTime: ts(0), Xid: 771234, GID: gid}, false),
		single("prepare", v3, true, &codec.Prepare{PrepareLSN: baseLSN + 0x1000, EndLSN: baseLSN + 0x1030,
			PrepareTime: ts(0), Xid: 771234, GID: gid}, false),
		single("commit-prepared", v3, true, &codec.CommitPrepared{CommitLSN: baseLSN + 0x2000, EndLSN: baseLSN + 0x2030,
			CommitTime: ts(time.Second), Xid: 771234, GID: gid}, false),
		single("rollback-prepared", v3, true, &codec.RollbackPrepared{PrepareEndLSN: baseLSN + 0x1030, RollbackEndLSN: baseLSN + 0x2030,
			PrepareTime: ts(0), RollbackTime: ts(time.Second), Xid: 771234, GID: gid}, false),
		single("stream-prepare", v3, true, &codec.StreamPrepare{PrepareLSN: baseLSN + 0x1000, EndLSN: baseLSN + 0x1030,
			PrepareTime: ts(0), Xid: 771234, GID: gid}, false),

		// CopyData framing only.
		{Name: "xlogdata-framing", Opts: v1, Framed: true, FramingOnly: true, Parts: []Part{{
			WAL: &codec.XLogData{WALStart: baseLSN, WALEnd: baseLSN, ServerTime: ts(0)},
			Msg: &codec.Insert{RelationID: ordersOID, New: orderTuple(1048576, "shipped")}}}},
		{Name: "keepalive", Opts: v1, Framed: true, Parts: []Part{{
			Keepalive: &codec.PrimaryKeepalive{WALEnd: baseLSN, ServerTime: ts(0), ReplyRequested: true}}}},
	}
	for _, in := range ins {
		switch in.Name {
		case "begin-prepare", "prepare", "commit-prepared", "rollback-prepared", "stream-prepare":
			in.PglogreplSkip = noTwoPhase
		case "stream-abort-parallel":
			in.PglogreplNote = "decodes xid and subxid but silently drops the protocol 4 abort LSN and abort time"
		}
		in.build()
	}
	return ins
}

// txnInserts is Begin, n inserts of 10 columns, Commit.
func txnInserts(n int) *Input {
	in := &Input{Name: fmt.Sprintf("txn-begin-insertx%d-commit", n), Opts: v1}
	in.Parts = append(in.Parts, Part{Msg: &codec.Begin{FinalLSN: baseLSN + 0x10000, CommitTime: ts(0), Xid: 771234}})
	for i := 0; i < n; i++ {
		in.Parts = append(in.Parts, Part{Msg: &codec.Insert{RelationID: ordersOID, New: orderTuple(1048576+i, "new")}})
	}
	in.Parts = append(in.Parts, Part{Msg: &codec.Commit{CommitLSN: baseLSN + 0x10000, EndLSN: baseLSN + 0x10030, CommitTime: ts(0)}})
	return in
}

// realisticMix is CDC traffic as a logical replication client receives it:
// XLogData-wrapped pgoutput messages, Relation messages once, then txns
// transactions of Begin, one to five inserts, updates or deletes, and Commit,
// with a keepalive every few transactions.
func realisticMix(txns int) *Input {
	in := &Input{Name: "realistic-mix", Opts: v1, Framed: true}
	rng := rand.New(rand.NewSource(1))
	pos := baseLSN
	clock := time.Duration(0)
	add := func(m codec.Message) {
		in.Parts = append(in.Parts, Part{Msg: m, WAL: &codec.XLogData{WALStart: pos, WALEnd: pos, ServerTime: ts(clock)}})
		pos += lsn.LSN(40 + rng.Intn(200))
	}
	customers := []codec.RelationColumn{
		{Flags: 1, Name: []byte("id"), TypeOID: 20, TypeMod: -1},
		{Name: []byte("name"), TypeOID: 25, TypeMod: -1},
		{Name: []byte("email"), TypeOID: 1043, TypeMod: 259},
		{Name: []byte("active"), TypeOID: 16, TypeMod: -1},
	}
	add(relation(ordersOID, "orders", orderColumns))
	add(relation(ordersOID+3, "customers", customers))
	statuses := []string{"new", "paid", "shipped", "delivered"}
	for t := 0; t < txns; t++ {
		clock += time.Duration(rng.Intn(5000)) * time.Microsecond
		xid := uint32(771234 + t)
		begin := &codec.Begin{CommitTime: ts(clock), Xid: xid}
		add(begin)
		for c, n := 0, 1+rng.Intn(5); c < n; c++ {
			id := 1048576 + rng.Intn(10000)
			switch r := rng.Intn(10); {
			case r < 5:
				add(&codec.Insert{RelationID: ordersOID, New: orderTuple(id, statuses[0])})
			case r < 8:
				add(&codec.Update{RelationID: ordersOID, New: orderTuple(id, statuses[1+rng.Intn(3)])})
			case r < 9:
				add(&codec.Update{RelationID: ordersOID + 3, New: codec.Tuple{
					{Kind: codec.ColumnText, Data: []byte(strconv.Itoa(id))}, {Kind: codec.ColumnUnchanged},
					{Kind: codec.ColumnText, Data: []byte("bob" + strconv.Itoa(id) + "@example.org")},
					{Kind: codec.ColumnText, Data: []byte("t")}}})
			default:
				add(&codec.Delete{RelationID: ordersOID, OldKind: codec.OldKey, Old: keyTuple(id)})
			}
		}
		begin.FinalLSN = pos
		add(&codec.Commit{CommitLSN: pos, EndLSN: pos + 48, CommitTime: ts(clock)})
		if t%8 == 7 {
			in.Parts = append(in.Parts, Part{Keepalive: &codec.PrimaryKeepalive{WALEnd: pos + 48, ServerTime: ts(clock)}})
		}
	}
	return in
}
