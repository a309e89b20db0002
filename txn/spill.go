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
// to a temporary file and later ones are appended to it a chunk at a time.
// Replay reads the file front to back, then what is still in memory, one
// record at a time, and decodes each with codec.Messages: the whole
// transaction is never in memory at once.
//
// In memory, records sit in fixed-size chunks (a record larger than a
// chunk gets one of its own) recycled through the Assembler's chunkPool.
// One growing buffer would leave a trail of outgrown copies behind it, as
// much garbage again as the data, and the Go heap would peak at several
// times the budget; chunks are never copied, and the budget counts their
// capacity, which is what is really held.
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
	memChunk     = 64 << 10 // a memory chunk, and the write unit of a spilled transaction
	writeChunk   = memChunk // read buffer of a spill file
	keepCap      = 2 * memChunk
	maxRecord    = 1 << 30 // the server's own limit on one message
)

// compactMin: dead bytes below this are not worth a rewrite. A variable
// so tests can make compaction frequent.
var compactMin int64 = 64 << 10

// chunkPool hands out memory chunks and takes them back, for all the
// streams of one Assembler, and holds the buffer records are encoded in.
type chunkPool struct {
	free    [][]byte
	scratch []byte
}

func (p *chunkPool) get(n int) []byte {
	if n > memChunk {
		return make([]byte, 0, n)
	}
	if k := len(p.free); k > 0 {
		c := p.free[k-1]
		p.free[k-1] = nil
		p.free = p.free[:k-1]
		return c
	}
	return make([]byte, 0, memChunk)
}

func (p *chunkPool) put(c []byte) {
	if cap(c) == memChunk {
		p.free = append(p.free, c[:0])
	}
}

// drain lets the runtime have the free chunks: no streamed transaction is
// open, and a long quiet spell should not hold the budget's worth.
func (p *chunkPool) drain() {
	clear(p.free)
	p.free = p.free[:0]
	if cap(p.scratch) > keepCap {
		p.scratch = nil
	}
}

// store holds one streamed transaction's records.
type store struct {
	chunks  [][]byte // records not on disk, in order; they follow those in file
	held    int64    // capacity of chunks: the memory counted against the budget
	file    *os.File // nil until the transaction first spills
	onDisk  int64    // bytes of records in file
	live    map[uint32]int64
	dead    int64
	aborted map[uint32]struct{}
}

// memBytes returns the bytes of records in memory.
func (s *store) memBytes() int64 {
	var n int64
	for _, c := range s.chunks {
		n += int64(len(c))
	}
	return n
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

// add appends m, which must carry the stream xid prefix (InStream), and
// returns the bytes of chunks it took.
func (s *store) add(m codec.Message, at lsn.LSN, p *chunkPool) int64 {
	rec := codec.AppendMessage(append(p.scratch[:0], make([]byte, recordHeader)...), m)
	p.scratch = rec
	n := len(rec) - recordHeader
	binary.BigEndian.PutUint32(rec, uint32(n))
	binary.BigEndian.PutUint64(rec[4:], uint64(at))
	if body := rec[recordHeader:]; rowRecord(body[0]) && len(body) >= 5 {
		if s.live == nil {
			s.live = make(map[uint32]int64)
		}
		s.live[binary.BigEndian.Uint32(body[1:])] += int64(len(rec))
	}
	var took int64
	last := len(s.chunks) - 1
	if last < 0 || cap(s.chunks[last])-len(s.chunks[last]) < len(rec) {
		c := p.get(len(rec))
		took = int64(cap(c))
		s.chunks = append(s.chunks, c)
		last++
	}
	s.chunks[last] = append(s.chunks[last], rec...)
	s.held += took
	if cap(p.scratch) > keepCap {
		p.scratch = nil
	}
	return took
}

// flush moves the records in memory to the file, creating it in dir.
func (s *store) flush(dir string, p *chunkPool) error {
	if len(s.chunks) == 0 {
		return nil
	}
	if s.file == nil {
		f, err := os.CreateTemp(dir, "pgwal-txn-*.spill")
		if err != nil {
			return err
		}
		s.file = f
	}
	for i, c := range s.chunks {
		// On an error the unwritten chunks stay and onDisk does not move
		// past them, so a later flush writes them again.
		if _, err := s.file.WriteAt(c, s.onDisk); err != nil {
			s.releaseChunks(i, p)
			return err
		}
		s.onDisk += int64(len(c))
	}
	s.releaseChunks(len(s.chunks), p)
	return nil
}

// releaseChunks gives the first n chunks back to the pool and keeps the
// rest, reusing the slice.
func (s *store) releaseChunks(n int, p *chunkPool) {
	for _, c := range s.chunks[:n] {
		s.held -= int64(cap(c))
		p.put(c)
	}
	rest := copy(s.chunks, s.chunks[n:])
	clear(s.chunks[rest:])
	s.chunks = s.chunks[:rest]
}

// abortSub drops the changes of subtransaction xid.
func (s *store) abortSub(xid uint32, dir string, p *chunkPool) error {
	if s.aborted == nil {
		s.aborted = make(map[uint32]struct{})
	}
	s.aborted[xid] = struct{}{}
	s.dead += s.live[xid]
	delete(s.live, xid)
	total := s.onDisk + s.memBytes()
	if s.dead < compactMin || 2*s.dead <= total {
		return nil
	}
	return s.compact(dir, p)
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
func (s *store) compact(dir string, p *chunkPool) error {
	// Memory: filter each chunk in place, and give back the emptied ones.
	kept := s.chunks[:0]
	for _, c := range s.chunks {
		out := 0
		for off := 0; off+recordHeader <= len(c); {
			end := off + recordHeader + int(binary.BigEndian.Uint32(c[off:]))
			if !s.dropped(c[off+recordHeader : end]) {
				out += copy(c[out:], c[off:end])
			}
			off = end
		}
		if out == 0 {
			s.held -= int64(cap(c))
			p.put(c)
			continue
		}
		kept = append(kept, c[:out])
	}
	clear(s.chunks[len(kept):])
	s.chunks = kept
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

// discard forgets everything, gives the chunks back and removes the file.
func (s *store) discard(p *chunkPool) error {
	s.releaseChunks(len(s.chunks), p)
	s.chunks = nil
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
	// The header is read into the record buffer: a local array would
	// escape through io.Reader and cost an allocation per record.
	if cap(r.buf) < recordHeader {
		r.buf = make([]byte, recordHeader, writeChunk)
	}
	h := r.buf[:recordHeader]
	if _, err := io.ReadFull(r.br, h); err != nil {
		return nil, err
	}
	n := int64(binary.BigEndian.Uint32(h))
	if n > maxRecord || n > r.left-recordHeader || n == 0 {
		return nil, errBadRecord
	}
	total := int(n) + recordHeader
	if cap(r.buf) < total {
		r.buf = append(make([]byte, 0, total), h...)
	}
	r.buf = r.buf[:total]
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
	chunk  int // the chunk being read, once the file is done
	memOff int // the next record's offset in it
	msgs   codec.Messages
}

func (p *replay) start(s *stream) {
	p.s, p.chunk, p.memOff = s, 0, 0
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
			for p.chunk < len(st.chunks) && p.memOff+recordHeader > len(st.chunks[p.chunk]) {
				p.chunk, p.memOff = p.chunk+1, 0
			}
			if p.chunk == len(st.chunks) {
				return nil, 0, false, nil
			}
			c := st.chunks[p.chunk]
			end := p.memOff + recordHeader + int(binary.BigEndian.Uint32(c[p.memOff:]))
			rec = c[p.memOff:end]
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
