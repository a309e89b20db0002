package bench

import (
	"encoding/binary"
	"testing"

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

// BenchmarkTxnPassThrough compares decoding alone ("decode") with decoding
// plus handing every message through a txn.Assembler and draining its
// events ("assemble"), on the same bytes. One op is one round of the
// input's messages; ns/msg is per message.
func BenchmarkTxnPassThrough(b *testing.B) {
	for _, name := range passThroughInputs {
		in := inputMap[name]
		if in == nil {
			Inputs()
			in = inputMap[name]
		}
		schema, msgs := steadyMsgs(b, in)
		span := lsn.LSN(1 << 24)
		size := 0
		for _, m := range msgs {
			size += len(m)
		}
		report := func(b *testing.B) {
			n := float64(len(msgs)) * float64(b.N)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/msg")
		}
		b.Run(name+"/decode", func(b *testing.B) {
			d := codec.NewDecoder(in.Opts)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			sink := 0
			for i := 0; i < b.N; i++ {
				advanceLSNs(msgs, in.Framed, span)
				for _, p := range msgs {
					m, _, err := decodeOne(d, p, in.Framed)
					if err != nil {
						b.Fatal(err)
					}
					if m != nil {
						sink++
					}
				}
			}
			sinkInt = sink
			report(b)
		})
		b.Run(name+"/assemble", func(b *testing.B) {
			d := codec.NewDecoder(in.Opts)
			a := txn.New(txn.Options{})
			for _, r := range schema {
				if err := a.Push(r, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			sink := 0
			for i := 0; i < b.N; i++ {
				advanceLSNs(msgs, in.Framed, span)
				for _, p := range msgs {
					m, at, err := decodeOne(d, p, in.Framed)
					if err != nil {
						b.Fatal(err)
					}
					if m == nil {
						continue
					}
					if err := a.Push(m, at); err != nil {
						b.Fatal(err)
					}
					sink += drainChanges(b, a)
				}
			}
			sinkInt = sink
			report(b)
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
