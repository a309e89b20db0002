// Package codec decodes and encodes PostgreSQL's logical replication
// messages: every pgoutput message of protocol versions 1 to 4, and the
// CopyData sub-messages that frame a streaming replication session
// (XLogData, keepalives, standby status updates, hot standby feedback, and
// PostgreSQL 19's primary status request and reply).
//
// It knows nothing of connections: give it bytes, get messages; give it
// messages, get bytes. The wire package drives a session with it.
//
// # Decoding
//
// A Decoder reads one message per call from a byte slice:
//
//	d := codec.NewDecoder(codec.Options{ProtoVersion: 4, Streaming: codec.StreamingParallel})
//	var rels codec.RelationCache
//	for _, x := range xlogData { // the *codec.XLogData of a logical session
//		m, err := d.Decode(x.Data) // one pgoutput message
//		if err != nil {
//			return err // a *codec.DecodeError: message, field, offset
//		}
//		rels.Apply(m) // remembers Relation and Type messages
//		switch m := m.(type) {
//		case *codec.Insert:
//			rel, err := rels.Resolve(m)
//			if err != nil {
//				return err
//			}
//			for i, col := range m.New {
//				fmt.Println(rel.Columns[i].Name, string(col.Data))
//			}
//		}
//		if end, ok := codec.UnitEnd(m, x.WALStart); ok {
//			// a transaction (or another unit of work) ends: acknowledge end once applied
//		}
//	}
//
// The Decoder tracks what the bytes do not say: whether a Stream Start …
// Stream Stop block is open (row messages then carry an xid prefix) and,
// from Options, which protocol version and streaming mode the session
// negotiated (the protocol 4 Stream Abort has two more fields only with
// streaming = parallel).
//
// # Without a Decoder
//
// A driver that tracks the stream itself can decode with no state kept for
// it. Messages.Decode takes the negotiated Options and whether a stream
// block is open with every payload and applies the Decoder's rules, which
// are built on it; the functions for one message type (DecodeInsert,
// DecodeBegin, …) decode into a value the caller owns and check only the
// bytes:
//
//	var ms codec.Messages
//	m, err := ms.Decode(payload, opts, inStream)
//
//	var ins codec.Insert // reused: its tuple's capacity is kept
//	err = codec.DecodeInsert(&ins, payload, inStream)
//
// # Column values
//
// A tuple's columns are bytes as the server sent them: text, or with the
// binary option each type's send format. Package
// github.com/pgwal/pgwal/value turns either into the text the server
// prints, into Go values (Int64, Time, DecodeNumeric, DecodeArray, …) and
// into JSON, without allocating; codec does not import it.
//
// # Memory
//
// Decoding allocates nothing in the steady state: each message type has one
// value inside the Decoder that every call overwrites, and byte fields
// (names, column values, GIDs, XLogData.Data) are views into the input. A
// returned message is therefore valid until the next Decode, Reset or
// Decode…CopyData call on the same Decoder (the next Decode on the same
// Messages; the next decode into the same value), and only while the input
// is unchanged. Clone makes a copy that owns its memory.
//
// Counts and lengths read from the input are checked against the bytes
// that are actually there before anything is sized by them, so a hostile
// message cannot make the decoder allocate more than its own length
// justifies, and bad input returns an error, never a panic.
//
// # Encoding
//
// Append functions (AppendInsert, AppendStandbyStatusUpdate, …, and
// AppendMessage / AppendReplicationMessage for any message) append to a
// caller's buffer and allocate only when it must grow. Re-encoding a decoded
// message gives back the exact bytes. Encoders do not validate: String
// fields must not contain NUL and tuples have at most 65535 columns.
//
// # Layers
//
// The same letter means different things at different layers ('r' is
// Rollback Prepared in pgoutput and a standby status update in CopyData;
// 'K' and 'O' are message types and tuple markers), so each layer has its
// own entry point: Decode for pgoutput, DecodeServerCopyData and
// DecodeClientCopyData for the two directions of CopyData.
package codec
