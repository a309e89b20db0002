package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/jackc/pglogrepl"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/capfile"
)

// The captured corpus: every message of ../testdata/pgoutput/pg*/v*.txt
// (real pgoutput bytes from PostgreSQL 14–18, protocol 1–4; format in
// ../testdata/README.md), read with internal/capfile (this module's import
// path is inside the main module's tree, so Go allows it).

// DefaultCorpusDir is the captured corpus, relative to the bench directory
// (where `go test` and `go run ./cmd/benchreport` run).
var DefaultCorpusDir = filepath.Join("..", "testdata", "pgoutput")

// PglogreplSupport says how much of a message pglogrepl decodes.
type PglogreplSupport uint8

const (
	// PglogreplFull: pglogrepl decodes the message and exposes every field.
	PglogreplFull PglogreplSupport = iota
	// PglogreplPartial: pglogrepl decodes it without error but silently
	// drops fields (the parallel Stream Abort's abort LSN and time).
	PglogreplPartial
	// PglogreplNone: pglogrepl returns an error.
	PglogreplNone
)

// CorpusMsg is one captured message with what a decoder must be told to
// decode it.
type CorpusMsg struct {
	File string // e.g. "pg16/v4-all.txt"
	Line int    // 1-based line in File
	Type byte   // pgoutput message type letter
	// Dec indexes Corpus.Options: the decoder options of File's session.
	Dec int
	// V2 says pglogrepl must be called through ParseV2 (protocol 2+).
	V2 bool
	// Parallel says the session asked for streaming 'parallel'.
	Parallel bool
	// InStream is the stream state before the message: whether it is sent
	// between a Stream Start and a Stream Stop (tracked while loading).
	InStream bool
	Data     []byte
	// Pglogrepl says how much of it pglogrepl decodes; PglogreplErr is
	// pglogrepl's error when it cannot.
	Pglogrepl    PglogreplSupport
	PglogreplErr string
}

// HotMsg is the part of a CorpusMsg a benchmark loop reads, packed into 32
// bytes so that the loop's own memory traffic stays small next to the
// decoding it measures.
type HotMsg struct {
	Data     []byte
	Dec      uint8 // index into Corpus.Options
	InStream bool
	Parallel bool
	V2       bool
}

func hotMsgs(ms []CorpusMsg) []HotMsg {
	if ms == nil {
		return nil
	}
	h := make([]HotMsg, len(ms))
	for i, m := range ms {
		h[i] = HotMsg{Data: m.Data, Dec: uint8(m.Dec), InStream: m.InStream, Parallel: m.Parallel, V2: m.V2}
	}
	return h
}

// CorpusInput is a benchmark input made of captured messages, decoded one by
// one with their own options and stream state.
type CorpusInput struct {
	Name string
	// Letter is the message type of a per-type input, 0 for a mix.
	Letter byte
	// Msgs are what pgwal and the floor decode, in corpus order.
	Msgs []CorpusMsg
	// Bytes is the total length of Msgs (what SetBytes counts).
	Bytes int
	// PglogreplMsgs are what pglogrepl decodes: Msgs, or the subset it can
	// decode (corpus-all), or nil when it decodes none of them.
	PglogreplMsgs  []CorpusMsg
	PglogreplBytes int
	// Hot and PglogreplHot are Msgs and PglogreplMsgs as the benchmark
	// loops read them.
	Hot, PglogreplHot []HotMsg
	// PglogreplSkip says why pglogrepl is not benchmarked on this input;
	// PglogreplNote what it decodes only partly or leaves out.
	PglogreplSkip string
	PglogreplNote string
}

// Corpus is the loaded corpus.
type Corpus struct {
	Files   []string        // relative to the corpus directory, sorted
	Options []codec.Options // distinct decoder options; CorpusMsg.Dec indexes it
	Msgs    []CorpusMsg     // every message, file by file, in order
	Inputs  []*CorpusInput  // corpus-all, corpus-pglogrepl-subset, then one per type
}

// NewDecoders returns one fresh decoder per option set of the corpus.
func (c *Corpus) NewDecoders() []*codec.Decoder {
	ds := make([]*codec.Decoder, len(c.Options))
	for i, o := range c.Options {
		ds[i] = codec.NewDecoder(o)
	}
	return ds
}

var (
	corpusOnce    sync.Once
	corpus        *Corpus
	corpusLoadErr error
)

// LoadedCorpus loads DefaultCorpusDir once.
func LoadedCorpus() (*Corpus, error) {
	corpusOnce.Do(func() { corpus, corpusLoadErr = LoadCorpus(DefaultCorpusDir) })
	return corpus, corpusLoadErr
}

// CorpusTypeOrder is the report order of the message types (as in
// ../testdata/README.md).
const CorpusTypeOrder = "BCOMRYIUDTSEcAbPKrp"

// MessageTypeSlug is the benchmark-name form of a message type.
func MessageTypeSlug(t byte) string {
	return strings.ReplaceAll(strings.ToLower(codec.MessageType(t).String()), " ", "-")
}

// LoadCorpus reads every pg*/v*.txt under dir.
func LoadCorpus(dir string) (*Corpus, error) {
	files, err := filepath.Glob(filepath.Join(dir, "pg*", "v*.txt"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no captures in %s (pg*/v*.txt)", dir)
	}
	sort.Strings(files)
	c := &Corpus{}
	var bufs [][]byte
	for _, name := range files {
		rel, _ := filepath.Rel(dir, name)
		rel = filepath.ToSlash(rel)
		opts, msgs, err := readCapture(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		dec := -1
		for i, o := range c.Options {
			if o == opts {
				dec = i
			}
		}
		if dec < 0 {
			if len(c.Options) == 255 {
				return nil, fmt.Errorf("more than 255 option sets")
			}
			dec = len(c.Options)
			c.Options = append(c.Options, opts)
		}
		inStream := false
		for _, m := range msgs {
			cm := CorpusMsg{File: rel, Line: m.Line, Type: m.Data[0], Dec: dec, V2: opts.ProtoVersion >= 2,
				Parallel: opts.Streaming == codec.StreamingParallel, InStream: inStream, Data: m.Data}
			switch cm.Type {
			case 'S':
				inStream = true
			case 'E':
				inStream = false
			}
			cm.Pglogrepl, cm.PglogreplErr = classifyPglogrepl(&cm)
			c.Msgs = append(c.Msgs, cm)
			bufs = append(bufs, m.Data)
		}
		if inStream {
			return nil, fmt.Errorf("%s: ends inside a stream block", rel)
		}
		c.Files = append(c.Files, rel)
	}
	// Every message back to back in one buffer, so that the benchmarks walk
	// memory the way a client's receive buffer would.
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	buf := make([]byte, 0, total)
	for i := range c.Msgs {
		start := len(buf)
		buf = append(buf, c.Msgs[i].Data...)
		c.Msgs[i].Data = buf[start:len(buf):len(buf)]
	}
	c.buildInputs()
	return c, nil
}

// classifyPglogrepl decodes m with pglogrepl once, to tell what it can do.
func classifyPglogrepl(m *CorpusMsg) (PglogreplSupport, string) {
	if _, err := parseCorpusPglogrepl(m); err != nil {
		return PglogreplNone, err.Error()
	}
	if m.Type == 'A' && m.Parallel {
		return PglogreplPartial, ""
	}
	return PglogreplFull, ""
}

func parseCorpusPglogrepl(m *CorpusMsg) (pglogrepl.Message, error) {
	if m.V2 {
		return pglogrepl.ParseV2(m.Data, m.InStream)
	}
	return pglogrepl.Parse(m.Data)
}

func msgBytes(ms []CorpusMsg) int {
	n := 0
	for i := range ms {
		n += len(ms[i].Data)
	}
	return n
}

func (c *Corpus) buildInputs() {
	var subset []CorpusMsg
	for _, m := range c.Msgs {
		if m.Pglogrepl == PglogreplFull {
			subset = append(subset, m)
		}
	}
	all := &CorpusInput{Name: "corpus-all", Msgs: c.Msgs, PglogreplMsgs: subset,
		PglogreplNote: fmt.Sprintf("pglogrepl decodes only the %d of %d messages it decodes completely (corpus-pglogrepl-subset), so its ns/op covers less work and pglogrepl/pgwal understates the speedup",
			len(subset), len(c.Msgs))}
	sub := &CorpusInput{Name: "corpus-pglogrepl-subset", Msgs: subset, PglogreplMsgs: subset}
	c.Inputs = append(c.Inputs, all, sub)

	byType := map[byte][]CorpusMsg{}
	for _, m := range c.Msgs {
		byType[m.Type] = append(byType[m.Type], m)
	}
	letters := []byte(CorpusTypeOrder)
	for t := range byType {
		if strings.IndexByte(CorpusTypeOrder, t) < 0 {
			letters = append(letters, t) // not expected; still benchmarked
		}
	}
	for _, t := range letters {
		ms := byType[t]
		if len(ms) == 0 {
			continue
		}
		in := &CorpusInput{Name: "corpus-" + MessageTypeSlug(t), Letter: t, Msgs: ms, PglogreplMsgs: ms}
		none, partial := 0, 0
		for _, m := range ms {
			switch m.Pglogrepl {
			case PglogreplNone:
				none++
			case PglogreplPartial:
				partial++
			}
		}
		switch {
		case none == len(ms):
			in.PglogreplMsgs = nil
			in.PglogreplSkip = fmt.Sprintf("pglogrepl returns an error for every '%c' message (%s)", t, ms[0].PglogreplErr)
		case none > 0:
			var ok []CorpusMsg
			for _, m := range ms {
				if m.Pglogrepl != PglogreplNone {
					ok = append(ok, m)
				}
			}
			in.PglogreplMsgs = ok
			in.PglogreplNote = fmt.Sprintf("pglogrepl fails on %d of %d, benchmarked on the rest", none, len(ms))
		case partial > 0:
			in.PglogreplNote = fmt.Sprintf("%d of %d are the protocol 4 parallel form: pglogrepl decodes them but drops the abort LSN and abort time", partial, len(ms))
		}
		c.Inputs = append(c.Inputs, in)
	}
	for _, in := range c.Inputs {
		in.Bytes = msgBytes(in.Msgs)
		in.PglogreplBytes = msgBytes(in.PglogreplMsgs)
		in.Hot, in.PglogreplHot = hotMsgs(in.Msgs), hotMsgs(in.PglogreplMsgs)
	}
}

// readCapture parses one capture file: the decoder options from its
// header, and the messages.
func readCapture(name string) (codec.Options, []capfile.Message, error) {
	f, err := os.Open(name)
	if err != nil {
		return codec.Options{}, nil, err
	}
	defer f.Close()
	c, err := capfile.Read(f)
	if err != nil {
		return codec.Options{}, nil, err
	}
	opts, err := c.DecoderOptions()
	if err != nil {
		return opts, nil, err
	}
	if opts.ProtoVersion == 0 || opts.Streaming == codec.StreamingAuto {
		return opts, nil, fmt.Errorf("header must give proto_version and streaming")
	}
	for _, m := range c.Messages {
		if len(m.Data) == 0 {
			return opts, nil, fmt.Errorf("line %d: empty message", m.Line)
		}
	}
	return opts, c.Messages, nil
}
