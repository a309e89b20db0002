// Package capture reads and writes recordings of logical replication
// sessions: the CopyData messages a walsender sent, with a header saying
// how to decode them. Record a real session once, then decode it, fuzz
// with it, or replay it to a client (package wire/wiretest) in unit tests.
//
// Writing, with a wire.Stream st:
//
//	h := capture.Header{capture.KeyServerVersion: conn.ParameterStatus("server_version"), capture.KeySlot: "app"}
//	h.SetDecoderOptions(st.DecoderOptions())
//	w, err := capture.NewWriter(f, h)
//	if err != nil {
//		return err
//	}
//	for {
//		x, err := st.NextRaw(ctx)
//		if err != nil {
//			return err
//		}
//		if err := w.WriteXLogData(x); err != nil {
//			return err
//		}
//	}
//
// Reading, in either format:
//
//	r, err := capture.NewReader(f)
//	if err != nil {
//		return err
//	}
//	opts, _ := r.Header().DecoderOptions() // checked by NewReader
//	d := codec.NewDecoder(opts)
//	for {
//		rec, err := r.Next() // valid until the next call
//		if err == io.EOF {
//			break
//		}
//		if err != nil {
//			return err // a *capture.Error: record, byte offset, line, cause
//		}
//		if rec.Kind == capture.KindXLogData && len(rec.XLogData.Data) > 0 {
//			m, err := d.Decode(rec.XLogData.Data)
//			...
//		}
//	}
//
// # File format
//
// A capture starts with a magic line naming its version. Both versions
// share the header: "# key: value" lines. Keys are case-sensitive; readers
// ignore keys they do not know and trim blanks around keys and values.
// The well-known keys:
//
//	server_version  the server's server_version parameter, e.g. 18.4
//	proto_version   the pgoutput proto_version negotiated, 1 to 4
//	streaming       the streaming option: off, on or parallel (which Stream Abort form the payloads hold)
//	slot_name       the slot streamed (v2; in v1 files "slot" is the slot's kind, plain or two_phase)
//
// Version 1 (text; the corpus in testdata/pgoutput, described in
// testdata/README.md) is UTF-8 lines:
//
//	# pgwal capture v1
//	# proto_version: 4
//	# streaming: parallel
//	0/192DC30 752 42000000000192df00000303cd5f427d81000002f0
//
// Header lines are the "#" lines with a ':' before the first data line;
// later "#" lines and empty lines are skipped. Each data line is
// "<lsn> <xid> <hex>": a position, an xid (0 in live captures) and one
// pgoutput message in hex. A reader presents each line as the XLogData a
// live session would carry: WALStart = WALEnd = lsn, ServerTime 0.
//
// Version 2 (binary; what this package writes, and what "pgwal capture"
// records) keeps the v1 header and replaces the data lines with the bytes
// the server sent:
//
//	"# pgwal capture v2\n"
//	"# key: value\n" ...      well-known keys first, then the others sorted
//	"\n"                      an empty line ends the header (at most 1 MiB; lines at most 64 KiB)
//	record ...                to the end of the file
//
// Each record is one backend CopyData message exactly as it arrived:
//
//	Byte1 'd'
//	Int32 length of the rest, counting itself (4 + payload), big-endian
//	Byte n payload: a server CopyData sub-message, one of
//	    'w' XLogData: Int64 WALStart, Int64 WALEnd, Int64 ServerTime, then one pgoutput message (may be empty)
//	    'k' primary keepalive: Int64 WALEnd, Int64 ServerTime, Byte1 reply requested (18 bytes)
//	    's' primary status update (PostgreSQL 19+, 33 bytes)
//
// so everything after the header is also a valid raw replication stream
// ("pgwal decode -format wire"). Records are in the order the server sent
// them. A writer records keepalives only when it is given them. Readers
// reject any other record type, a payload that does not decode as one of
// the three, and a file that ends inside a record; a file ending exactly
// after a record is complete. A future version that needs more (client
// messages, timing) gets a new magic line.
//
// # Limits and errors
//
// A Reader keeps one record in memory, in a buffer that grows only as a
// record's bytes actually arrive (at most doubling), so a hostile length
// costs no more memory than the bytes behind it; SetMaxRecordSize bounds a
// record (default DefaultMaxRecordSize, above PostgreSQL's ~1 GB). Errors
// about the data are *Error values naming the record number, byte offset
// and (in text) the line, wrapping ErrNotCapture, ErrVersion, ErrHeader,
// ErrTruncated, ErrTooLarge or ErrRecord.
package capture
