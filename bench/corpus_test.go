package bench

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pgwal/pgwal/codec"
)

// pglogreplTypes are the pgoutput message types pglogrepl (pinned
// a9884f6bd75a) has a decoder for. An error on one of these is a finding.
const pglogreplTypes = "BCOMRYIUDTSEcA"

// pglogreplTally is what pglogrepl did with the captured messages of one type.
type pglogreplTally struct {
	count, full, partial, failed int
	what                         map[string]int // error text or dropped fields → count
}

// TestCorpusAgreesWithPglogrepl decodes every captured message in order with
// pgwal (one Decoder per file, tracking the stream state itself) and with
// pglogrepl (Parse for protocol 1 captures, ParseV2 with the stream state
// for 2+), and compares every field pglogrepl exposes. It logs, per message
// type, what pglogrepl cannot decode.
func TestCorpusAgreesWithPglogrepl(t *testing.T) {
	c := loadCorpus(t)
	tally := map[byte]*pglogreplTally{}
	disagreements := 0
	report := func(format string, args ...any) {
		disagreements++
		if disagreements <= 20 {
			t.Errorf(format, args...)
		}
	}
	var d *codec.Decoder
	file := ""
	for i := range c.Msgs {
		cm := &c.Msgs[i]
		where := fmt.Sprintf("%s:%d", cm.File, cm.Line)
		if cm.File != file {
			file = cm.File
			d = codec.NewDecoder(c.Options[cm.Dec])
		}
		if d.InStream() != cm.InStream {
			t.Fatalf("%s: pgwal's stream state %v, the loader's %v", where, d.InStream(), cm.InStream)
		}
		m, err := d.Decode(cm.Data)
		if err != nil {
			t.Fatalf("%s: pgwal: %v\nbytes: %x", where, err, cm.Data)
		}
		if byte(m.MessageType()) != cm.Type {
			t.Fatalf("%s: pgwal decoded a %v from a '%c'", where, m.MessageType(), cm.Type)
		}
		tl := tally[cm.Type]
		if tl == nil {
			tl = &pglogreplTally{what: map[string]int{}}
			tally[cm.Type] = tl
		}
		tl.count++

		got, perr := parseCorpusPglogrepl(cm)
		seen := PglogreplFull
		switch {
		case perr != nil:
			seen = PglogreplNone
			tl.failed++
			tl.what[fmt.Sprintf("error %q", perr.Error())]++
			if strings.IndexByte(pglogreplTypes, cm.Type) >= 0 {
				report("%s: FINDING: pglogrepl fails on a %v ('%c', a type it supports; inStream=%v, v2=%v): %v\nbytes: %x",
					where, m.MessageType(), cm.Type, cm.InStream, cm.V2, perr, cm.Data)
			}
		case strings.IndexByte(pglogreplTypes, cm.Type) < 0:
			report("%s: pglogrepl decodes a %v ('%c') as %T, which it has no decoder for", where, m.MessageType(), cm.Type, got)
		default:
			if a, ok := m.(*codec.StreamAbort); ok && a.Parallel {
				seen = PglogreplPartial
				tl.partial++
				tl.what["decodes xid, subxid; drops abort LSN, abort time (parallel form)"]++
			} else {
				tl.full++
			}
			want := asPglogrepl(m, cm.V2)
			if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
				report("%s: %v (inStream=%v): pglogrepl disagrees (-pgwal +pglogrepl):\n%s\nbytes: %x",
					where, m.MessageType(), cm.InStream, diff, cm.Data)
			}
		}
		if seen != cm.Pglogrepl {
			t.Errorf("%s: the loader classified pglogrepl's support as %d, the test sees %d", where, cm.Pglogrepl, seen)
		}
	}
	if disagreements > 0 {
		t.Errorf("%d disagreements in %d messages (first 20 shown)", disagreements, len(c.Msgs))
	}
	t.Log(pglogreplTable(tally, len(c.Msgs), len(c.Files)))
}

// pglogreplTable renders the per-type summary for the log (and README).
func pglogreplTable(tally map[byte]*pglogreplTally, total, files int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pglogrepl on the captured corpus (%d messages, %d files):\n", total, files)
	b.WriteString("| type | in corpus | pglogrepl: complete | partial | error | what happens |\n|---|--:|--:|--:|--:|---|\n")
	letters := []byte(CorpusTypeOrder)
	for l := range tally {
		if strings.IndexByte(CorpusTypeOrder, l) < 0 {
			letters = append(letters, l)
		}
	}
	full, partial, failed := 0, 0, 0
	for _, l := range letters {
		tl := tally[l]
		if tl == nil {
			continue
		}
		full, partial, failed = full+tl.full, partial+tl.partial, failed+tl.failed
		var what []string
		for w, n := range tl.what {
			what = append(what, fmt.Sprintf("%s ×%d", w, n))
		}
		sort.Strings(what)
		if len(what) == 0 {
			what = []string{"decoded, agrees"}
		}
		fmt.Fprintf(&b, "| `%c` %v | %d | %d | %d | %d | %s |\n", l, codec.MessageType(l), tl.count, tl.full, tl.partial, tl.failed,
			strings.Join(what, "; "))
	}
	fmt.Fprintf(&b, "| all | %d | %d | %d | %d | |\n", total, full, partial, failed)
	return b.String()
}

// TestCorpusDecodesWithoutAllocating: with warm decoders, pgwal decodes the
// whole corpus, and each message type's messages, with 0 allocations —
// Relation and Type included (the decoder reuses its column buffer).
func TestCorpusDecodesWithoutAllocating(t *testing.T) {
	c := loadCorpus(t)
	for _, in := range c.Inputs {
		decs := c.NewDecoders()
		if _, i, err := decodeCorpusPgwal(decs, in.Hot); err != nil {
			t.Fatalf("%s: %v", in.Name, corpusErr(in.Msgs, i, err))
		}
		n := testing.AllocsPerRun(5, func() {
			if _, i, err := decodeCorpusPgwal(decs, in.Hot); err != nil {
				t.Fatalf("%s: %v", in.Name, corpusErr(in.Msgs, i, err))
			}
		})
		if n == 0 {
			continue
		}
		t.Errorf("%s: %v allocations per pass over %d messages", in.Name, n, len(in.Msgs))
		// Name the messages that allocate.
		shown := 0
		for i := range in.Hot {
			h := in.Hot[i : i+1]
			if a := testing.AllocsPerRun(3, func() { _, _, _ = decodeCorpusPgwal(decs, h) }); a != 0 && shown < 10 {
				shown++
				m := &in.Msgs[i]
				t.Errorf("  %s:%d ('%c', %d bytes): %v allocations", m.File, m.Line, m.Type, len(m.Data), a)
			}
		}
	}
}

// TestCorpusFloor: the floor accepts every captured message, walks the same
// variable-width fields pgwal decodes (its sum matches), and rejects every
// strict prefix and one trailing byte of each.
func TestCorpusFloor(t *testing.T) {
	c := loadCorpus(t)
	decs := c.NewDecoders()
	bad := 0
	for i := range c.Msgs {
		cm := &c.Msgs[i]
		where := fmt.Sprintf("%s:%d ('%c')", cm.File, cm.Line, cm.Type)
		sum, ok := FloorPgoutput(cm.Data, cm.InStream, cm.Parallel)
		if !ok {
			t.Errorf("%s: floor rejects it: %x", where, cm.Data)
			if bad++; bad > 20 {
				t.Fatal("too many")
			}
			continue
		}
		d := decs[cm.Dec]
		d.SetInStream(cm.InStream)
		m, err := d.Decode(cm.Data)
		if err != nil {
			t.Fatalf("%s: pgwal: %v", where, err)
		}
		if want := variableLength(m); sum != want {
			t.Errorf("%s: floor sum %d, pgwal's variable fields %d", where, sum, want)
		}
		b := cm.Data
		cuts := []int{0, 1, 5, 20, len(b) / 2, len(b) - 1}
		if len(b) <= 4096 {
			cuts = cuts[:0]
			for n := 0; n < len(b); n++ {
				cuts = append(cuts, n)
			}
		}
		for _, n := range cuts {
			if n >= len(b) {
				continue
			}
			if _, ok := FloorPgoutput(b[:n:n], cm.InStream, cm.Parallel); ok {
				t.Errorf("%s: floor accepts a %d-byte prefix of %d", where, n, len(b))
			}
		}
		if _, ok := FloorPgoutput(append(b[:len(b):len(b)], 0), cm.InStream, cm.Parallel); ok {
			t.Errorf("%s: floor accepts a trailing byte", where)
		}
	}
}

// variableLength is what the floor's sum should be for m: the total length
// of its variable-width fields (and the relation count of a Truncate).
func variableLength(m codec.Message) int {
	tuple := func(t codec.Tuple) (n int) {
		for _, c := range t {
			n += len(c.Data)
		}
		return n
	}
	switch m := m.(type) {
	case *codec.Origin:
		return len(m.Name)
	case *codec.Relation:
		n := len(m.Namespace) + len(m.Name)
		for _, c := range m.Columns {
			n += len(c.Name)
		}
		return n
	case *codec.Type:
		return len(m.Namespace) + len(m.Name)
	case *codec.Insert:
		return tuple(m.New)
	case *codec.Update:
		return tuple(m.Old) + tuple(m.New)
	case *codec.Delete:
		return tuple(m.Old)
	case *codec.Truncate:
		return len(m.RelationIDs)
	case *codec.LogicalMessage:
		return len(m.Prefix) + len(m.Content)
	case *codec.BeginPrepare:
		return len(m.GID)
	case *codec.Prepare:
		return len(m.GID)
	case *codec.CommitPrepared:
		return len(m.GID)
	case *codec.RollbackPrepared:
		return len(m.GID)
	case *codec.StreamPrepare:
		return len(m.GID)
	}
	return 0
}

// TestCorpusInputs: the corpus has the 50 captures, the per-type inputs
// partition it, and the pglogrepl subset is exactly what pglogrepl decodes
// completely.
func TestCorpusInputs(t *testing.T) {
	c := loadCorpus(t)
	if len(c.Files) != 50 {
		t.Errorf("%d capture files, want 50", len(c.Files))
	}
	perType := 0
	for _, in := range c.Inputs {
		if in.Letter != 0 {
			perType += len(in.Msgs)
		}
		if len(in.Msgs) == 0 {
			t.Errorf("%s: empty", in.Name)
		}
	}
	if perType != len(c.Msgs) {
		t.Errorf("per-type inputs hold %d messages, the corpus %d", perType, len(c.Msgs))
	}
	all, sub := c.Inputs[0], c.Inputs[1]
	if all.Name != "corpus-all" || sub.Name != "corpus-pglogrepl-subset" {
		t.Fatalf("inputs start with %s, %s", all.Name, sub.Name)
	}
	if len(all.PglogreplMsgs) != len(sub.Msgs) || all.PglogreplBytes != sub.Bytes {
		t.Errorf("corpus-all's pglogrepl messages differ from corpus-pglogrepl-subset")
	}
	for _, m := range sub.Msgs {
		if m.Pglogrepl != PglogreplFull {
			t.Errorf("%s:%d in the subset, but pglogrepl support is %d", m.File, m.Line, m.Pglogrepl)
		}
	}
	if _, i, err := decodeCorpusPglogrepl(sub.Hot); err != nil {
		t.Errorf("pglogrepl on its subset: %v", corpusErr(sub.Msgs, i, err))
	}
	for _, in := range c.Inputs {
		if len(in.Hot) != len(in.Msgs) || len(in.PglogreplHot) != len(in.PglogreplMsgs) {
			t.Errorf("%s: hot slices out of step", in.Name)
		}
		if in.PglogreplSkip == "" && len(in.PglogreplHot) == 0 {
			t.Errorf("%s: no messages for pglogrepl, yet not skipped", in.Name)
		}
	}
}
