package bench

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/txn"
)

// passThroughInputs are the inputs of BenchmarkTxnPassThrough: plain
// (non-streamed) transactions, which the Assembler hands on change by
// change.
var passThroughInputs = []string{"txn-begin-insertx100-commit", "realistic-mix"}

// steadyMsgs splits an input into the Relation messages a session sends
// once (schema) and the rest (msgs), which a benchmark repeats. Relations
// are left out of the repeated part on both sides of the comparison: a
// session describes a table once, not once per hundred transactions.
func steadyMsgs(b *testing.B, in *Input) (schema []codec.Message, msgs [][]byte) {
	schema = []codec.Message{relation(ordersOID, "orders", orderColumns)}
	for i, p := range in.Parts {
		if r, ok := p.Msg.(*codec.Relation); ok {
			schema = append(schema, r)
			continue
		}
		// Private copies: advanceLSNs rewrites them between rounds.
		msgs = append(msgs, append([]byte(nil), in.Msgs[i]...))
	}
	if len(msgs) == 0 {
		b.Fatalf("%s: no messages", in.Name)
	}
	return schema, msgs
}

// advanceLSNs moves the Begin and Commit LSNs of msgs forward by d, so that
// the next round's transactions come later in the WAL, as the Assembler
// requires. Framed messages carry the pgoutput message after the 25-byte
// XLogData header.
func advanceLSNs(msgs [][]byte, framed bool, d lsn.LSN) {
	for _, m := range msgs {
		if framed {
			if m[0] != 'w' {
				continue
			}
			m = m[25:]
		}
		bump := func(off int) {
			binary.BigEndian.PutUint64(m[off:], binary.BigEndian.Uint64(m[off:])+uint64(d))
		}
		switch codec.MessageType(m[0]) {
		case codec.TypeBegin:
			bump(1)
		case codec.TypeCommit:
			bump(2)
			bump(10)
		}
	}
}

// decodeOne decodes one message of an input, unwrapping XLogData when the
// input is framed; nil for a keepalive.
func decodeOne(d *codec.Decoder, b []byte, framed bool) (codec.Message, lsn.LSN, error) {
	if !framed {
		m, err := d.Decode(b)
		return m, 0, err
	}
	rm, err := d.DecodeServerCopyData(b)
	if err != nil {
		return nil, 0, err
	}
	x, ok := rm.(*codec.XLogData)
	if !ok {
		return nil, 0, nil
	}
	m, err := d.Decode(x.Data)
	return m, x.WALStart, err
}

// passThrough runs rounds of an input's messages, decoded alone or also
// assembled.
type passThrough struct {
	in     *Input
	msgs   [][]byte
	size   int
	d      *codec.Decoder
	a      *txn.Assembler
	shadow *codec.Decoder // the decode-only side's own decoder
}

func newPassThrough(b *testing.B, in *Input) *passThrough {
	schema, msgs := steadyMsgs(b, in)
	p := &passThrough{in: in, msgs: msgs, d: codec.NewDecoder(in.Opts), shadow: codec.NewDecoder(in.Opts), a: txn.New(txn.Options{})}
	for _, m := range msgs {
		p.size += len(m)
	}
	for _, r := range schema {
		if err := p.a.Push(r, 0); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

// next moves the messages' LSNs on for the next round.
func (p *passThrough) next() { advanceLSNs(p.msgs, p.in.Framed, 1<<24) }

// decodeRound decodes one round, as a consumer without the Assembler does.
func (p *passThrough) decodeRound(b *testing.B) int {
	sink := 0
	for _, raw := range p.msgs {
		m, _, err := decodeOne(p.shadow, raw, p.in.Framed)
		if err != nil {
			b.Fatal(err)
		}
		if m != nil {
			sink++
		}
	}
	return sink
}

// assembleRound decodes one round and hands every message through the
// Assembler. Call next first: the round's transactions must come later in
// the WAL than the previous round's.
func (p *passThrough) assembleRound(b *testing.B) int {
	sink := 0
	for _, raw := range p.msgs {
		m, at, err := decodeOne(p.d, raw, p.in.Framed)
		if err != nil {
			b.Fatal(err)
		}
		if m == nil {
			continue
		}
		if err := p.a.Push(m, at); err != nil {
			b.Fatal(err)
		}
		sink += drainChanges(b, p.a)
	}
	return sink
}

// BenchmarkTxnPassThrough compares decoding alone ("decode") with decoding
// plus handing every message through a txn.Assembler and draining its
// events ("assemble"), on the same bytes. One op is one round of the
// input's messages; ns/msg is per message. "paired" runs a round of each
// in turn and times them apart, so that both see the same machine from
// moment to moment: its assemble/decode is the ratio to quote on a shared
// machine, where two runs one after the other can differ by more than the
// Assembler costs.
func BenchmarkTxnPassThrough(b *testing.B) {
	Inputs()
	for _, name := range passThroughInputs {
		in := inputMap[name]
		perMsg := func(b *testing.B, p *passThrough) {
			b.SetBytes(int64(p.size))
			b.ReportAllocs()
			b.ResetTimer()
		}
		report := func(b *testing.B, p *passThrough) {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/(float64(len(p.msgs))*float64(b.N)), "ns/msg")
		}
		b.Run(name+"/decode", func(b *testing.B) {
			p := newPassThrough(b, in)
			perMsg(b, p)
			sink := 0
			for i := 0; i < b.N; i++ {
				p.next() // as the assemble side must
				sink += p.decodeRound(b)
			}
			sinkInt = sink
			report(b, p)
		})
		b.Run(name+"/assemble", func(b *testing.B) {
			p := newPassThrough(b, in)
			perMsg(b, p)
			sink := 0
			for i := 0; i < b.N; i++ {
				p.next()
				sink += p.assembleRound(b)
			}
			sinkInt = sink
			report(b, p)
		})
		b.Run(name+"/paired", func(b *testing.B) {
			p := newPassThrough(b, in)
			perMsg(b, p)
			var dec, asm time.Duration
			sink := 0
			for i := 0; i < b.N; i++ {
				p.next()
				t0 := time.Now()
				sink += p.assembleRound(b)
				t1 := time.Now()
				sink += p.decodeRound(b)
				t2 := time.Now()
				asm, dec = asm+t1.Sub(t0), dec+t2.Sub(t1)
			}
			sinkInt = sink
			n := float64(len(p.msgs)) * float64(b.N)
			b.ReportMetric(float64(dec.Nanoseconds())/n, "decode-ns/msg")
			b.ReportMetric(float64(asm.Nanoseconds())/n, "assemble-ns/msg")
			b.ReportMetric(float64(asm)/float64(dec), "assemble/decode")
		})
	}
}

// drainChanges pulls a's events until EventNone and returns the number of
// columns of the new rows handed on, as a sink.
func drainChanges(b *testing.B, a *txn.Assembler) int {
	n := 0
	for {
		ev, err := a.Next()
		if err != nil {
			b.Fatal(err)
		}
		if ev.Kind == txn.EventNone {
			return n
		}
		if ev.Kind == txn.EventChange {
			n += ev.Change.New.Len()
		}
	}
}
