package wiretest

import (
	"fmt"
	"io"
	"os"

	"github.com/pgwal/pgwal/capture"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// A Recording is a capture loaded into memory for replay: its header and
// the server CopyData payloads in order.
type Recording struct {
	Header capture.Header
	// Payloads are the server CopyData payloads ('w', 'k' or 's'
	// sub-messages) in the order they are replayed.
	Payloads [][]byte

	info []recordInfo
	last lsn.LSN // highest position in the recording
}

// recordInfo is what resuming needs to know about a record.
type recordInfo struct {
	quiet  bool    // after it, no transaction or streamed transaction is open
	end    lsn.LSN // highest end of a unit of work up to and including it
	schema bool    // a Relation or Type message, sent again on resume
}

// Load reads a capture (v1 or v2, see package capture).
func Load(r io.Reader) (*Recording, error) {
	cr, err := capture.NewReader(r)
	if err != nil {
		return nil, err
	}
	rec := &Recording{Header: cr.Header()}
	for {
		c, err := cr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		rec.Payloads = append(rec.Payloads, append([]byte(nil), c.Payload()...))
	}
	rec.analyze()
	return rec, nil
}

// LoadFile reads the capture file name.
func LoadFile(name string) (*Recording, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rec, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rec, nil
}

// analyze follows transaction boundaries through the recording, so a
// session that resumes from a confirmed position can skip what is done.
// Past a payload that does not decode nothing is skipped.
func (rec *Recording) analyze() {
	rec.info = make([]recordInfo, len(rec.Payloads))
	opts, _ := rec.Header.DecoderOptions() // checked by capture.NewReader
	d := codec.NewDecoder(opts)
	var (
		openTxn bool
		streams = map[uint32]bool{}
		end     lsn.LSN
		broken  bool
	)
	for i, p := range rec.Payloads {
		m, err := d.DecodeServerCopyData(p)
		if err != nil {
			broken = true
		}
		switch x := m.(type) {
		case *codec.XLogData:
			rec.last = max(rec.last, x.WALStart, x.WALEnd)
			if broken || len(x.Data) == 0 {
				break
			}
			msg, err := d.Decode(x.Data)
			if err != nil {
				broken = true
				break
			}
			switch msg := msg.(type) {
			case *codec.Relation:
				// One sent in a stream block belongs to that streamed
				// transaction (and carries its xid): it is not resent
				// on its own.
				rec.info[i].schema = !msg.InStream
			case *codec.Type:
				rec.info[i].schema = !msg.InStream
			case *codec.Begin, *codec.BeginPrepare:
				openTxn = true
			case *codec.Commit:
				openTxn, end = false, max(end, msg.EndLSN)
			case *codec.Prepare:
				openTxn, end = false, max(end, msg.EndLSN)
			case *codec.CommitPrepared:
				end = max(end, msg.EndLSN)
			case *codec.RollbackPrepared:
				end = max(end, msg.RollbackEndLSN)
			case *codec.StreamStart:
				streams[msg.Xid] = true
			case *codec.StreamCommit:
				delete(streams, msg.Xid)
				end = max(end, msg.EndLSN)
			case *codec.StreamPrepare:
				delete(streams, msg.Xid)
				end = max(end, msg.EndLSN)
			case *codec.StreamAbort:
				if msg.Xid == msg.SubXid {
					delete(streams, msg.Xid)
					end = max(end, x.WALStart)
				}
			case *codec.LogicalMessage:
				if !msg.InStream && !openTxn && !msg.Transactional() {
					end = max(end, msg.LSN)
				}
			}
		case *codec.PrimaryKeepalive:
			rec.last = max(rec.last, x.WALEnd)
		}
		rec.info[i].quiet = !broken && !openTxn && len(streams) == 0 && !d.InStream()
		rec.info[i].end = end
	}
}

// resume returns the index of the first record to send to a session
// starting at pos, and the Relation and Type records before it to send
// first: everything up to the last quiet point whose units all end at or
// before pos is skipped, as a walsender skips transactions the slot has
// confirmed.
func (rec *Recording) resume(pos lsn.LSN) (start int, schema [][]byte) {
	if pos == 0 {
		return 0, nil
	}
	for i := len(rec.info) - 1; i >= 0; i-- {
		if in := rec.info[i]; in.quiet && in.end > 0 && in.end <= pos {
			start = i + 1
			break
		}
	}
	for i := 0; i < start; i++ {
		if rec.info[i].schema {
			schema = append(schema, rec.Payloads[i])
		}
	}
	return start, schema
}
