package codec_test

import (
	"encoding/hex"
	"fmt"
	"log"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// Decode a captured transaction: the pgoutput payloads of five XLogData
// messages, as hex.
func Example() {
	captured := []string{
		"42000000016b374d48000303cd27bec040000002e5",
		"52000040067075626c6963007573657273006400020169640000000017ffffffff006e616d650000000019ffffffff",
		"49000040064e00027400000001317400000003416461",
		"55000040064e00027400000001317400000006416461204c2e",
		"4300000000016b374d48000000016b374d78000303cd27bec040",
	}
	var d codec.Decoder
	var rels codec.RelationCache
	for _, h := range captured {
		payload, _ := hex.DecodeString(h)
		m, err := d.Decode(payload)
		if err != nil {
			log.Fatal(err)
		}
		rels.Apply(m)
		switch m := m.(type) {
		case *codec.Begin:
			fmt.Printf("BEGIN xid %d, commits at %v\n", m.Xid, m.CommitTime)
		case *codec.Relation:
			fmt.Printf("RELATION %s.%s, %d columns\n", m.Namespace, m.Name, len(m.Columns))
		case *codec.Insert:
			rel, _ := rels.Resolve(m)
			fmt.Printf("INSERT %s: %s=%s %s=%s\n", rel.Name,
				rel.Columns[0].Name, m.New[0].Data, rel.Columns[1].Name, m.New[1].Data)
		case *codec.Update:
			rel, _ := rels.Resolve(m)
			fmt.Printf("UPDATE %s: %s=%q\n", rel.Name, rel.Columns[1].Name, m.New[1].Data)
		case *codec.Commit:
			fmt.Printf("COMMIT, acknowledge %v\n", m.EndLSN)
		}
	}
	// Output:
	// BEGIN xid 741, commits at 2026-11-21T19:30:00.123456Z
	// RELATION public.users, 2 columns
	// INSERT users: id=1 name=Ada
	// UPDATE users: name="Ada L."
	// COMMIT, acknowledge 1/6B374D78
}

// Answer a keepalive that asks for a reply: decode the server's CopyData
// payload and encode a standby status update for the client's.
func ExampleAppendStandbyStatusUpdate() {
	var d codec.Decoder
	fromServer := codec.AppendPrimaryKeepalive(nil, &codec.PrimaryKeepalive{
		WALEnd: lsn.MustParse("0/16B3748"), ReplyRequested: true,
	})
	m, err := d.DecodeServerCopyData(fromServer)
	if err != nil {
		log.Fatal(err)
	}
	if k, ok := m.(*codec.PrimaryKeepalive); ok && k.ReplyRequested {
		// Nothing is in flight: report the server's position exactly.
		reply := codec.AppendStandbyStatusUpdate(nil, &codec.StandbyStatusUpdate{
			Write: k.WALEnd, Flush: k.WALEnd, Apply: k.WALEnd,
		})
		fmt.Printf("%d bytes, tag %q\n", len(reply), reply[0])
	}
	// Output:
	// 34 bytes, tag 'r'
}

// Play the server in a test: encode a streamed transaction chunk.
func ExampleAppendMessage() {
	var b []byte
	b = codec.AppendMessage(b[:0], &codec.StreamStart{Xid: 900, FirstSegment: true})
	fmt.Printf("% x\n", b)
	// Inside the block, row messages carry the (sub)transaction's xid.
	b = codec.AppendMessage(b[:0], &codec.Insert{InStream: true, Xid: 901, RelationID: 16390,
		New: codec.Tuple{{Kind: codec.ColumnText, Data: []byte("7")}}})
	fmt.Printf("% x\n", b)
	// Output:
	// 53 00 00 03 84 01
	// 49 00 00 03 85 00 00 40 06 4e 00 01 74 00 00 00 01 37
}

// Errors say which message, which field and which offset, and match the
// sentinel for their cause.
func ExampleDecodeError() {
	var d codec.Decoder
	_, err := d.Decode([]byte{'I', 0, 0, 0x40, 0x06, 'N', 0, 1, 't', 0, 0, 0, 9, 'x'})
	fmt.Println(err)
	// Output:
	// codec: Insert ('I'): new tuple column 0 length at offset 9: input ends inside the field
}

// Acknowledge a position only when a unit of work ends: here the commit of
// a transaction, decoded from the XLogData payloads of a session.
func ExampleUnitEnd() {
	walStart := lsn.MustParse("1/6B374D78")
	for _, m := range []codec.Message{
		&codec.Begin{FinalLSN: lsn.MustParse("1/6B374D48"), Xid: 741},
		&codec.Insert{RelationID: 16390},
		&codec.Commit{CommitLSN: lsn.MustParse("1/6B374D48"), EndLSN: lsn.MustParse("1/6B374D78")},
	} {
		// … apply m durably, then:
		if end, ok := codec.UnitEnd(m, walStart); ok {
			fmt.Printf("after %v: acknowledge %v\n", m.MessageType(), end)
		}
	}
	// Output:
	// after Commit: acknowledge 1/6B374D78
}

// Decode without a Decoder, for a driver that knows the stream state: into
// a Messages, or into a value of the one type expected.
func ExampleMessages() {
	opts := codec.Options{ProtoVersion: 2, Streaming: codec.StreamingOn}
	streamed := []byte{'I', 0, 0, 0x03, 0x85, 0, 0, 0x40, 0x06, 'N', 0, 1, 't', 0, 0, 0, 1, '7'}

	var ms codec.Messages
	m, err := ms.Decode(streamed, opts, true) // inside a Stream Start … Stream Stop block
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%v of xid %d\n", m.MessageType(), m.(*codec.Insert).Xid)

	var ins codec.Insert
	if err := codec.DecodeInsert(&ins, streamed, true); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("relation %d: %s\n", ins.RelationID, ins.New[0].Data)
	// Output:
	// Insert of xid 901
	// relation 16390: 7
}
