package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wal2json"
)

// Two-phase with --format wal2json.
//
// pgoutput sends a prepared transaction's changes once, at its PREPARE, and
// then only COMMIT PREPARED or ROLLBACK PREPARED naming its GID; the
// wal2json plugin, which has no two-phase callbacks, prints it at COMMIT
// PREPARED as an ordinary transaction (xid, commit LSN, end and time of the
// COMMIT PREPARED record) and prints nothing at PREPARE or ROLLBACK
// PREPARED. Acknowledging the PREPARE tells the server the changes are
// safe, so they must be stored durably first: a preparedStore keeps each
// prepared transaction in its own file in a state directory.
//
//   - PREPARE: the changes, as the wal2json Writer takes them, are streamed
//     to NAME.tmp; the file is fsynced, renamed to NAME.prepared and the
//     directory fsynced; only then is the unit reported complete, so its
//     position may be acknowledged. NAME is a hash of the GID and the
//     PREPARE's end, so a GID used again never overwrites a live file.
//   - COMMIT PREPARED: the stored changes are printed between a Begin and a
//     Commit made from the COMMIT PREPARED record, as wal2json prints them.
//     The file is removed only once the output holding that print is
//     durable (outputDurable, called by makeDurable after the fsync), never
//     before. The end of the COMMIT PREPARED is then recorded in the file
//     "committed" (fsynced before the removal): a COMMIT PREPARED resent
//     after a restart whose file is gone and that ends at or before it was
//     printed already, and is skipped. One ending after it whose PREPARE is
//     not stored is an error naming the GID: its PREPARE was acknowledged
//     by someone else (another state directory, another format).
//   - ROLLBACK PREPARED: the file is removed at once. Nothing waits on it:
//     only a COMMIT PREPARED of the same PREPARE reads the file, and none
//     can follow its ROLLBACK PREPARED. If the rollback is resent, finding
//     no file is not an error; if the server goes back before the PREPARE,
//     it resends the PREPARE, which stores the file again.
//
// A restart (a new process, or a new session) reads the directory again;
// NAME.tmp files are PREPAREs never reported complete, so never
// acknowledged: they are removed, and the server sends them again.
type preparedStore struct {
	dir       string
	byGID     map[string][]preparedFile
	pending   map[string]lsn.LSN // file to remove -> end the output must be durable through
	committed lsn.LSN            // the value in the file "committed"

	// The PREPARE being stored.
	cur  *os.File
	bw   *bufio.Writer
	enc  *gob.Encoder
	curF preparedFile
	rels map[*wal2json.Relation]int
}

type preparedFile struct {
	name       string // base name in dir
	gid        string
	prepareEnd lsn.LSN
}

// preparedHeader opens a state file; preparedRecord follows, one per
// relation first used, change, truncate or message, then one of op 'e'.
type preparedHeader struct {
	Version    int
	GID        string
	Xid        uint32
	PrepareLSN lsn.LSN
	PrepareEnd lsn.LSN
	Origin     string
}

type preparedRecord struct {
	Op       byte // 'r' relation, 'c' change, 't' truncate, 'm' message, 'e' end
	Rel      int  // 'r': the index it defines; 'c': the change's relation
	Relation *wal2json.Relation
	Kind     wal2json.ChangeKind
	LSN      lsn.LSN
	OldKind  codec.OldTupleKind
	HasNew   bool
	HasOld   bool
	New, Old codec.Tuple
	Rels     []int
	Options  uint8
	Prefix   []byte
	Content  []byte
}

const (
	preparedVersion = 1
	preparedSuffix  = ".prepared"
	committedFile   = "committed"
)

// openPreparedStore creates dir if needed and reads what it holds.
func openPreparedStore(dir string) (*preparedStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("two-phase state directory: %w", err)
	}
	if err := syncDir(filepath.Dir(filepath.Clean(dir))); err != nil {
		return nil, fmt.Errorf("two-phase state directory: %w", err)
	}
	s := &preparedStore{dir: dir, byGID: map[string][]preparedFile{}, pending: map[string]lsn.LSN{}}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("two-phase state directory: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".tmp"):
			// Never complete, never acknowledged: sent again.
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return nil, fmt.Errorf("two-phase state directory: %w", err)
			}
		case strings.HasSuffix(name, preparedSuffix):
			h, err := readPreparedHeader(filepath.Join(dir, name))
			if err != nil {
				return nil, err
			}
			s.byGID[h.GID] = append(s.byGID[h.GID], preparedFile{name: name, gid: h.GID, prepareEnd: h.PrepareEnd})
		case name == committedFile:
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				return nil, fmt.Errorf("two-phase state directory: %w", err)
			}
			if s.committed, err = lsn.Parse(strings.TrimSpace(string(b))); err != nil {
				return nil, fmt.Errorf("two-phase state directory: %s: %w", name, err)
			}
		}
	}
	return s, nil
}

func readPreparedHeader(path string) (*preparedHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("two-phase state: %w", err)
	}
	defer f.Close()
	var h preparedHeader
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&h); err != nil {
		return nil, fmt.Errorf("two-phase state: %s: %w", path, err)
	}
	if h.Version != preparedVersion {
		return nil, fmt.Errorf("two-phase state: %s: version %d, want %d", path, h.Version, preparedVersion)
	}
	return &h, nil
}

// fileName is where the PREPARE of gid ending at end is kept.
func preparedName(gid string, end lsn.LSN) string {
	sum := sha256.Sum256([]byte(gid))
	return fmt.Sprintf("%x-%016x%s", sum[:12], uint64(end), preparedSuffix)
}

// begin starts storing a PREPARE.
func (s *preparedStore) begin(gid string, xid uint32, at, end lsn.LSN, origin string) error {
	s.abandon()
	s.curF = preparedFile{name: preparedName(gid, end), gid: gid, prepareEnd: end}
	f, err := os.OpenFile(filepath.Join(s.dir, s.curF.name+".tmp"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("storing prepared transaction %q: %w", gid, err)
	}
	s.cur, s.bw = f, bufio.NewWriterSize(f, 64<<10)
	s.enc = gob.NewEncoder(s.bw)
	s.rels = map[*wal2json.Relation]int{}
	return s.put(&preparedHeader{Version: preparedVersion, GID: gid, Xid: xid, PrepareLSN: at, PrepareEnd: end, Origin: origin})
}

func (s *preparedStore) put(v any) error {
	if s.cur == nil {
		return errors.New("--format wal2json: a change of a prepared transaction outside one")
	}
	if err := s.enc.Encode(v); err != nil {
		return fmt.Errorf("storing prepared transaction %q: %w", s.curF.gid, err)
	}
	return nil
}

// rel returns r's index in the file being written, writing it first.
func (s *preparedStore) rel(r *wal2json.Relation) (int, error) {
	if i, ok := s.rels[r]; ok {
		return i, nil
	}
	i := len(s.rels)
	s.rels[r] = i
	return i, s.put(&preparedRecord{Op: 'r', Rel: i, Relation: r})
}

func (s *preparedStore) change(c *wal2json.Change) error {
	i, err := s.rel(c.Relation)
	if err != nil {
		return err
	}
	return s.put(&preparedRecord{Op: 'c', Rel: i, Kind: c.Kind, LSN: c.LSN, OldKind: c.OldKind,
		HasNew: c.New != nil, HasOld: c.Old != nil, New: c.New, Old: c.Old})
}

func (s *preparedStore) truncate(t *wal2json.Truncate) error {
	r := &preparedRecord{Op: 't', LSN: t.LSN, Options: t.Options}
	for _, rel := range t.Relations {
		i, err := s.rel(rel)
		if err != nil {
			return err
		}
		r.Rels = append(r.Rels, i)
	}
	return s.put(r)
}

func (s *preparedStore) message(m *wal2json.Message) error {
	return s.put(&preparedRecord{Op: 'm', LSN: m.LSN, Prefix: m.Prefix, Content: m.Content})
}

// end makes the PREPARE being stored durable: after it returns, the
// PREPARE may be acknowledged.
func (s *preparedStore) end() error {
	if err := s.put(&preparedRecord{Op: 'e'}); err != nil {
		return err
	}
	f, bw, cf := s.cur, s.bw, s.curF
	s.cur, s.bw, s.enc, s.rels = nil, nil, nil, nil
	tmp, final := filepath.Join(s.dir, cf.name+".tmp"), filepath.Join(s.dir, cf.name)
	err := flushSyncClose(bw, f)
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("storing prepared transaction %q: %w", cf.gid, err)
	}
	// An older PREPARE of the same GID was resolved before this one could
	// be made: its file is stale, but it may be what a COMMIT PREPARED
	// printed in output not durable yet, so it goes with the next sync.
	files := s.byGID[cf.gid][:0]
	for _, old := range s.byGID[cf.gid] {
		switch {
		case old.name == cf.name: // sent again: rewritten
		case old.prepareEnd < cf.prepareEnd:
			s.pending[old.name] = max(s.pending[old.name], cf.prepareEnd)
			files = append(files, old)
		default:
			files = append(files, old)
		}
	}
	s.byGID[cf.gid] = append(files, cf)
	return nil
}

func flushSyncClose(bw *bufio.Writer, f *os.File) error {
	err := bw.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// abandon drops a PREPARE stored in part (the session ended in it).
func (s *preparedStore) abandon() {
	if s.cur == nil {
		return
	}
	s.cur.Close()
	os.Remove(filepath.Join(s.dir, s.curF.name+".tmp"))
	s.cur, s.bw, s.enc, s.rels = nil, nil, nil, nil
}

// lookup finds the stored PREPARE a COMMIT PREPARED of gid at commitLSN
// resolves: the latest one before it.
func (s *preparedStore) lookup(gid string, commitLSN lsn.LSN) (preparedFile, bool) {
	var best preparedFile
	found := false
	for _, f := range s.byGID[gid] {
		if (commitLSN == 0 || f.prepareEnd <= commitLSN) && (!found || f.prepareEnd > best.prepareEnd) {
			best, found = f, true
		}
	}
	return best, found
}

// replay reads the stored PREPARE f and hands its changes to the Writer,
// calling flush after each (the output's bound on memory).
func (s *preparedStore) replay(f preparedFile, w *wal2json.Writer, flush func() error) error {
	fail := func(err error) error {
		return fmt.Errorf("prepared transaction %q: reading %s: %w", f.gid, filepath.Join(s.dir, f.name), err)
	}
	file, err := os.Open(filepath.Join(s.dir, f.name))
	if err != nil {
		return fail(err)
	}
	defer file.Close()
	dec := gob.NewDecoder(bufio.NewReaderSize(file, 64<<10))
	var h preparedHeader
	if err := dec.Decode(&h); err != nil {
		return fail(err)
	}
	if h.GID != f.gid {
		return fail(fmt.Errorf("it holds GID %q", h.GID))
	}
	var rels []*wal2json.Relation
	relAt := func(i int) (*wal2json.Relation, error) {
		if i < 0 || i >= len(rels) || rels[i] == nil {
			return nil, fmt.Errorf("relation %d not defined", i)
		}
		return rels[i], nil
	}
	for {
		var r preparedRecord
		if err := dec.Decode(&r); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fail(err)
		}
		switch r.Op {
		case 'e':
			return nil
		case 'r':
			for len(rels) <= r.Rel {
				rels = append(rels, nil)
			}
			rels[r.Rel] = r.Relation
			continue
		case 'c':
			rel, err := relAt(r.Rel)
			if err != nil {
				return fail(err)
			}
			c := wal2json.Change{Kind: r.Kind, LSN: r.LSN, Relation: rel, OldKind: r.OldKind}
			if r.HasNew {
				c.New = orEmpty(r.New)
			}
			if r.HasOld {
				c.Old = orEmpty(r.Old)
			}
			err = w.Change(&c)
			if err != nil {
				return err
			}
		case 't':
			t := wal2json.Truncate{LSN: r.LSN, Options: r.Options}
			for _, i := range r.Rels {
				rel, err := relAt(i)
				if err != nil {
					return fail(err)
				}
				t.Relations = append(t.Relations, rel)
			}
			if err := w.Truncate(&t); err != nil {
				return err
			}
		case 'm':
			if err := w.Message(&wal2json.Message{LSN: r.LSN, Transactional: true, Prefix: r.Prefix, Content: r.Content}); err != nil {
				return err
			}
		default:
			return fail(fmt.Errorf("record %q", r.Op))
		}
		if err := flush(); err != nil {
			return err
		}
	}
}

func orEmpty(t codec.Tuple) codec.Tuple {
	if t == nil {
		return codec.Tuple{}
	}
	return t
}

// committedPrepared queues f's removal once the output is durable through
// end, the end of the COMMIT PREPARED that printed it; older files of the
// GID are stale and go with it.
func (s *preparedStore) committedPrepared(f preparedFile, end lsn.LSN) {
	for _, o := range s.byGID[f.gid] {
		if o.prepareEnd <= f.prepareEnd {
			s.pending[o.name] = max(s.pending[o.name], end)
		}
	}
}

// rolledBack removes the file of the PREPARE of gid that ended at
// prepareEnd (0: the latest), at once (see preparedStore).
func (s *preparedStore) rolledBack(gid string, prepareEnd, at lsn.LSN) error {
	var f preparedFile
	found := false
	if prepareEnd != 0 {
		for _, o := range s.byGID[gid] {
			if o.prepareEnd == prepareEnd {
				f, found = o, true
			}
		}
	} else {
		f, found = s.lookup(gid, at)
	}
	if !found {
		return nil
	}
	if err := os.Remove(filepath.Join(s.dir, f.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("prepared transaction %q rolled back: %w", gid, err)
	}
	s.forget(f)
	return nil
}

func (s *preparedStore) forget(f preparedFile) {
	files := s.byGID[f.gid][:0]
	for _, o := range s.byGID[f.gid] {
		if o.name != f.name {
			files = append(files, o)
		}
	}
	if len(files) == 0 {
		delete(s.byGID, f.gid)
	} else {
		s.byGID[f.gid] = files
	}
	delete(s.pending, f.name)
}

// outputDurable is called once the output is durable through upTo: the
// files of COMMIT PREPAREDs printed in it are removed, after the highest
// such end is recorded in "committed".
func (s *preparedStore) outputDurable(upTo lsn.LSN) error {
	if len(s.pending) == 0 {
		return nil
	}
	var done []preparedFile
	mark := s.committed
	for _, fs := range s.byGID {
		for _, f := range fs {
			if end, ok := s.pending[f.name]; ok && end <= upTo {
				done = append(done, f)
				mark = max(mark, end)
			}
		}
	}
	if len(done) == 0 {
		return nil
	}
	if mark > s.committed {
		if err := writeFileSync(s.dir, committedFile, []byte(mark.String()+"\n")); err != nil {
			return fmt.Errorf("two-phase state: %w", err)
		}
		s.committed = mark
	}
	for _, f := range done {
		if err := os.Remove(filepath.Join(s.dir, f.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("two-phase state: %w", err)
		}
		s.forget(f)
	}
	return syncDir(s.dir)
}

// writeFileSync replaces dir/name with b durably.
func writeFileSync(dir, name string, b []byte) error {
	tmp := filepath.Join(dir, name+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// outputDurabler is a formatter that keeps state beside the output and
// must hear when the output is durable (makeDurable calls it after the
// fsync, with the end of the last complete unit in the durable output).
type outputDurabler interface {
	outputDurable(upTo lsn.LSN) error
}

// unknownGIDError is a COMMIT PREPARED whose PREPARE is not stored.
func unknownGIDError(gid string, end lsn.LSN, dir string) error {
	return fmt.Errorf("--format wal2json: COMMIT PREPARED %s (ending at %v): its PREPARE is not in the state directory %s; "+
		"it was acknowledged without being stored there (another --state-dir, another --format, another client of the slot). "+
		"Its changes are not available any more; -I past %v skips it", strconv.Quote(gid), end, dir, end)
}

// setupTwoPhase gives --format wal2json --two-phase its state directory:
// --state-dir, else FILE.pgwal-prepared beside -f FILE.
func setupTwoPhase(f *replFlags, fm formatter) error {
	w, ok := fm.(*wal2jsonFormat)
	if !ok || !f.twoPhase {
		if f.stateDir != "" {
			return usagef("--state-dir is for --format wal2json --two-phase")
		}
		return nil
	}
	dir := f.stateDir
	if dir == "" {
		if f.file == "" || f.file == "-" {
			return usagef("--format wal2json --two-phase writing to standard output needs --state-dir DIR (where prepared transactions wait for their COMMIT PREPARED)")
		}
		dir = f.file + ".pgwal-prepared"
	}
	st, err := openPreparedStore(dir)
	if err != nil {
		return err
	}
	w.prep = st
	return nil
}
