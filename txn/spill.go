package txn

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"os"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// The spill format is the codec's own: a streamed transaction's messages
// are kept as records, each a 4-byte big-endian length n, the 8-byte WAL
// position the message arrived at, and the n bytes codec.AppendMessage
// makes of it (with the stream xid prefix). Records live in memory until
// the budget is exceeded; then all of a transaction's records so far move
// to a temporary file and later ones are appended to it through a small
// write buffer. Replay reads the file front to back, then what is still in
// memory, one record at a time, and decodes each with codec.Messages: the
// whole transaction is never in memory at once.
//
// Aborted subtransactions: row messages carry the xid of the
// subtransaction that made them. A Stream Abort for a subtransaction adds
// its xid to a tombstone set applied at replay (Relation and Type records
// stay: the schema belongs to the top-level transaction). To keep disk and
// memory bounded by the live data, not by everything ever streamed, the
// store is compacted (live records copied to a new file, memory filtered
// in place) once dead bytes exceed live ones; that is amortized O(1) per
// byte and keeps storage within twice the live size plus the threshold.
const (
	recordHeader = 4 + 8
	writeChunk   = 64 << 10 // write buffer of a spilled transaction
	keepCap      = 2 * writeChunk
	maxRecord    = 1 << 30 // the server's own limit on one message
)

// compactMin: dead bytes below this are not worth a rewrite. A variable
// so tests can make compaction frequent.
var compactMin int64 = 64 << 10

// store holds one streamed transaction's records.
type store struct {
	mem     []byte   // records not on disk; they follow those in file
	file    *os.File // nil until the transaction first spills
	onDisk  int64    // bytes of records in file
	live    map[uint32]int64
	dead    int64
	aborted map[uint32]struct{}
}

// rowRecord reports whether a record of message type t belongs to the
// subtransaction of its xid prefix (and so goes with its abort).
func rowRecord(t byte) bool {
	switch codec.MessageType(t) {
	case codec.TypeInsert, codec.TypeUpdate, codec.TypeDelete, codec.TypeTruncate, codec.TypeLogicalMessage:
		return true
	}
	return false
}

// add appends m, which must carry the stream xid prefix (InStream).
func (s *store) add(m codec.Message, at lsn.LSN) {
	start := len(s.mem)
	s.mem = append(s.mem, make([]byte, recordHeader)...)
	s.mem = codec.AppendMessage(s.mem, m)
	n := len(s.mem) - start - recordHeader
	binary.BigEndian.PutUint32(s.mem[start:], uint32(n))
	binary.BigEndian.PutUint64(s.mem[start+4:], uint64(at))
	if rec := s.mem[start+recordHeader:]; rowRecord(rec[0]) && len(rec) >= 5 {
		if s.live == nil {
			s.live = make(map[uint32]int64)
		}
		s.live[binary.BigEndian.Uint32(rec[1:])] += int64(n + recordHeader)
	}
}

// flush moves the records in memory to the file, creating it in dir.
func (s *store) flush(dir string) error {
	if len(s.mem) == 0 {
		return nil
	}
	if s.file == nil {
		f, err := os.CreateTemp(dir, "pgwal-txn-*.spill")
		if err != nil {
			return err
		}
		s.file = f
	}
	n, err := s.file.WriteAt(s.mem, s.onDisk)
	s.onDisk += int64(n)
	if err != nil {
		return err
	}
	s.release()
	return nil
}

// release empties the memory part; a large buffer goes back to the
// runtime, so a spilled transaction holds no more than a write chunk.
func (s *store) release() {
	if cap(s.mem) > keepCap {
		s.mem = nil
	} else {
		s.mem = s.mem[:0]
	}
}

// abortSub drops the changes of subtransaction xid.
func (s *store) abortSub(xid uint32, dir string) error {
	if s.aborted == nil {
		s.aborted = make(map[uint32]struct{})
	}
	s.aborted[xid] = struct{}{}
	s.dead += s.live[xid]
	delete(s.live, xid)
	total := s.onDisk + int64(len(s.mem))
	if s.dead < compactMin || 2*s.dead <= total {
		return nil
	}
	return s.compact(dir)
}

// dropped reports whether a record is a change of an aborted
// subtransaction.
func (s *store) dropped(rec []byte) bool {
	if len(s.aborted) == 0 || len(rec) < 5 || !rowRecord(rec[0]) {
		return false
	}
	_, gone := s.aborted[binary.BigEndian.Uint32(rec[1:])]
	return gone
}

// compact rewrites the store without the records of aborted
// subtransactions.
func (s *store) compact(dir string) error {
	// Memory: filter in place.
	out := 0
	for off := 0; off+recordHeader <= len(s.mem); {
		n := int(binary.BigEndian.Uint32(s.mem[off:]))
		end := off + recordHeader + n
		if !s.dropped(s.mem[off+recordHeader : end]) {
			out += copy(s.mem[out:], s.mem[off:end])
		}
		off = end
	}
	s.mem = s.mem[:out]
	if s.file != nil {
		f, err := os.CreateTemp(dir, "pgwal-txn-*.spill")
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, writeChunk)
		var r recordReader
		r.reset(s.file, s.onDisk)
		var size int64
		for {
			rec, err := r.next()
			if err == io.EOF {
				break
			}
			if err == nil && !s.dropped(rec[recordHeader:]) {
				_, err = w.Write(rec)
				size += int64(len(rec))
			}
			if err != nil {
				f.Close()
				os.Remove(f.Name())
				return err
			}
		}
		if err := w.Flush(); err != nil {
			f.Close()
			os.Remove(f.Name())
			return err
		}
		s.closeFile()
		s.file, s.onDisk = f, size
	}
	s.dead = 0
	return nil
}

func (s *store) closeFile() error {
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	if rerr := os.Remove(s.file.Name()); err == nil {
		err = rerr
	}
	s.file, s.onDisk = nil, 0
	return err
}

// discard forgets everything and removes the file.
func (s *store) discard() error {
	s.mem = nil
	s.live, s.aborted, s.dead = nil, nil, 0
	return s.closeFile()
}

// errBadRecord: a spill record's length does not fit the file; the file
// was changed under us.
var errBadRecord = errors.New("txn: corrupt spill record")

// recordReader reads records from a spill file, one buffer at a time.
type recordReader struct {
	br   *bufio.Reader
	left int64
	buf  []byte
}

func (r *recordReader) reset(f *os.File, size int64) {
	sr := io.NewSectionReader(f, 0, size)
	if r.br == nil {
		r.br = bufio.NewReaderSize(sr, writeChunk)
	} else {
		r.br.Reset(sr)
	}
	r.left = size
}

// next returns the next whole record (header included), valid until the
// next call; io.EOF at the end.
func (r *recordReader) next() ([]byte, error) {
	if r.left == 0 {
		return nil, io.EOF
	}
	if r.left < recordHeader {
		return nil, errBadRecord
	}
	var h [recordHeader]byte
	if _, err := io.ReadFull(r.br, h[:]); err != nil {
		return nil, err
	}
	n := int64(binary.BigEndian.Uint32(h[:]))
	if n > maxRecord || n > r.left-recordHeader || n == 0 {
		return nil, errBadRecord
	}
	total := int(n) + recordHeader
	if cap(r.buf) < total {
		r.buf = make([]byte, total)
	}
	r.buf = r.buf[:total]
	copy(r.buf, h[:])
	if _, err := io.ReadFull(r.br, r.buf[recordHeader:]); err != nil {
		return nil, err
	}
	r.left -= int64(total)
	return r.buf, nil
}

// replay walks a store's records in order: the file, then memory,
// skipping the changes of aborted subtransactions, and decodes each.
type replay struct {
	s      *stream
	disk   recordReader
	memOff int
	msgs   codec.Messages
}

func (p *replay) start(s *stream) {
	p.s, p.memOff = s, 0
	if s.st.file != nil {
		p.disk.reset(s.st.file, s.st.onDisk)
	} else {
		p.disk.left = 0
	}
}

// next returns the next live message and its WAL position; ok is false at
// the end.
func (p *replay) next() (m codec.Message, at lsn.LSN, ok bool, err error) {
	st := &p.s.st
	for {
		var rec []byte
		if p.disk.left > 0 {
			if rec, err = p.disk.next(); err != nil {
				return nil, 0, false, err
			}
		} else {
			if p.memOff+recordHeader > len(st.mem) {
				return nil, 0, false, nil
			}
			n := int(binary.BigEndian.Uint32(st.mem[p.memOff:]))
			end := p.memOff + recordHeader + n
			rec = st.mem[p.memOff:end]
			p.memOff = end
		}
		body := rec[recordHeader:]
		if st.dropped(body) {
			continue
		}
		m, err := p.msgs.Decode(body, codec.Options{}, true)
		if err != nil {
			return nil, 0, false, err
		}
		return m, lsn.LSN(binary.BigEndian.Uint64(rec[4:])), true, nil
	}
}
