package bench

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pglogrepl"

	"github.com/pgwal/pgwal/codec"
)

// Sinks, so that no result can be optimised away.
var (
	sinkAny any
	sinkInt int
	sinkU64 uint64
)

// decodePgwal decodes every message of in with one reused decoder, as a
// client would: CopyData framing first when the input is framed, then the
// XLogData payload. It returns the last message decoded.
func decodePgwal(d *codec.Decoder, in *Input) (last any, err error) {
	d.SetInStream(in.Parts[0].InStream)
	if !in.Framed {
		for _, b := range in.Msgs {
			m, err := d.Decode(b)
			if err != nil {
				return nil, err
			}
			last = m
		}
		return last, nil
	}
	for _, b := range in.Msgs {
		rm, err := d.DecodeServerCopyData(b)
		if err != nil {
			return nil, err
		}
		last = rm
		if x, ok := rm.(*codec.XLogData); ok && !in.FramingOnly {
			m, err := d.Decode(x.Data)
			if err != nil {
				return nil, err
			}
			last = m
		}
	}
	return last, nil
}

var errNotCopyData = errors.New("not a server CopyData message")

// decodePglogrepl decodes every message of in with pglogrepl: Parse for
// protocol 1 inputs, ParseV2 (with the caller-tracked stream state) for
// protocol 2+, ParseXLogData / ParsePrimaryKeepaliveMessage for the framing.
// It returns the last message and a sum over the framing fields.
func decodePglogrepl(in *Input) (last pglogrepl.Message, sum uint64, err error) {
	for i, b := range in.Msgs {
		payload := b
		if in.Framed {
			switch b[0] {
			case 'w':
				x, err := pglogrepl.ParseXLogData(b[1:])
				if err != nil {
					return nil, 0, err
				}
				sum += uint64(x.WALStart) + uint64(len(x.WALData))
				if in.FramingOnly {
					continue
				}
				payload = x.WALData
			case 'k':
				k, err := pglogrepl.ParsePrimaryKeepaliveMessage(b[1:])
				if err != nil {
					return nil, 0, err
				}
				sum += uint64(k.ServerWALEnd)
				continue
			default:
				return nil, 0, errNotCopyData
			}
		}
		var m pglogrepl.Message
		if in.V2 {
			m, err = pglogrepl.ParseV2(payload, in.Parts[i].InStream)
		} else {
			m, err = pglogrepl.Parse(payload)
		}
		if err != nil {
			return nil, 0, err
		}
		last = m
	}
	return last, sum, nil
}

// decodeFloor walks every message of in with the floor.
func decodeFloor(in *Input) (sum int, ok bool) {
	parallel := in.parallel()
	for i, b := range in.Msgs {
		var n int
		if in.Framed {
			n, ok = FloorServerCopyData(b, in.Parts[i].InStream, parallel, in.FramingOnly)
		} else {
			n, ok = FloorPgoutput(b, in.Parts[i].InStream, parallel)
		}
		if !ok {
			return 0, false
		}
		sum += n
	}
	return sum, true
}

// reportPerMessage adds ns/msg and msgs/s for inputs of several messages.
func reportPerMessage(b *testing.B, in *Input) {
	n := len(in.Msgs)
	if n < 2 || b.N == 0 {
		return
	}
	msgs := float64(n) * float64(b.N)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/msgs, "ns/msg")
	b.ReportMetric(msgs/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkDecode(b *testing.B) {
	for _, in := range Inputs() {
		in := in
		b.Run(in.Name, func(b *testing.B) {
			b.Run("pgwal", func(b *testing.B) {
				d := codec.NewDecoder(in.Opts)
				if _, err := decodePgwal(d, in); err != nil { // warm-up: grows the decoder's buffers
					b.Fatal(err)
				}
				b.SetBytes(int64(len(in.Buf)))
				b.ReportAllocs()
				b.ResetTimer()
				var last any
				for i := 0; i < b.N; i++ {
					m, err := decodePgwal(d, in)
					if err != nil {
						b.Fatal(err)
					}
					last = m
				}
				reportPerMessage(b, in)
				sinkAny = last
			})
			b.Run("pglogrepl", func(b *testing.B) {
				if in.PglogreplSkip != "" {
					b.Skip(in.PglogreplSkip)
				}
				if _, _, err := decodePglogrepl(in); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(in.Buf)))
				b.ReportAllocs()
				b.ResetTimer()
				var last pglogrepl.Message
				var sum uint64
				for i := 0; i < b.N; i++ {
					m, s, err := decodePglogrepl(in)
					if err != nil {
						b.Fatal(err)
					}
					last, sum = m, sum+s
				}
				reportPerMessage(b, in)
				sinkAny, sinkU64 = last, sum
			})
			b.Run("floor", func(b *testing.B) {
				if _, ok := decodeFloor(in); !ok {
					b.Fatal("floor rejects the input")
				}
				b.SetBytes(int64(len(in.Buf)))
				b.ReportAllocs()
				b.ResetTimer()
				sum := 0
				for i := 0; i < b.N; i++ {
					n, ok := decodeFloor(in)
					if !ok {
						b.Fatal("floor rejects the input")
					}
					sum += n
				}
				reportPerMessage(b, in)
				sinkInt = sum
			})
		})
	}
	benchmarkCorpus(b)
}

// decodeCorpusPgwal decodes msgs with decs (one decoder per option set of
// the corpus), telling the decoder the stream state before each message. On
// an error it returns the message's index.
func decodeCorpusPgwal(decs []*codec.Decoder, msgs []HotMsg) (last codec.Message, i int, err error) {
	for i = range msgs {
		m := &msgs[i]
		d := decs[m.Dec]
		d.SetInStream(m.InStream)
		if last, err = d.Decode(m.Data); err != nil {
			return nil, i, err
		}
	}
	return last, 0, nil
}

// decodeCorpusPglogrepl decodes msgs with pglogrepl: Parse for protocol 1
// captures, ParseV2 with the stream state for protocol 2+.
func decodeCorpusPglogrepl(msgs []HotMsg) (last pglogrepl.Message, i int, err error) {
	for i = range msgs {
		m := &msgs[i]
		if m.V2 {
			last, err = pglogrepl.ParseV2(m.Data, m.InStream)
		} else {
			last, err = pglogrepl.Parse(m.Data)
		}
		if err != nil {
			return nil, i, err
		}
	}
	return last, 0, nil
}

// decodeCorpusFloor walks msgs with the floor.
func decodeCorpusFloor(msgs []HotMsg) (sum int, ok bool) {
	for i := range msgs {
		m := &msgs[i]
		n, ok := FloorPgoutput(m.Data, m.InStream, m.Parallel)
		if !ok {
			return 0, false
		}
		sum += n
	}
	return sum, true
}

// corpusErr names the captured message an error is about.
func corpusErr(ms []CorpusMsg, i int, err error) error {
	return fmt.Errorf("%s:%d ('%c'): %w", ms[i].File, ms[i].Line, ms[i].Type, err)
}

func reportMsgs(b *testing.B, n int) {
	if b.N == 0 || n == 0 {
		return
	}
	msgs := float64(n) * float64(b.N)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/msgs, "ns/msg")
	b.ReportMetric(msgs/b.Elapsed().Seconds(), "msgs/s")
}

func loadCorpus(tb testing.TB) *Corpus {
	tb.Helper()
	c, err := LoadedCorpus()
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// benchmarkCorpus is BenchmarkDecode/corpus-*: captured messages decoded one
// by one, each with its session's options and stream state.
func benchmarkCorpus(b *testing.B) {
	c := loadCorpus(b)
	for _, in := range c.Inputs {
		in := in
		b.Run(in.Name, func(b *testing.B) {
			b.Run("pgwal", func(b *testing.B) {
				decs := c.NewDecoders()
				if _, i, err := decodeCorpusPgwal(decs, in.Hot); err != nil { // warm-up
					b.Fatal(corpusErr(in.Msgs, i, err))
				}
				b.SetBytes(int64(in.Bytes))
				b.ReportAllocs()
				b.ResetTimer()
				var last codec.Message
				for i := 0; i < b.N; i++ {
					m, i, err := decodeCorpusPgwal(decs, in.Hot)
					if err != nil {
						b.Fatal(corpusErr(in.Msgs, i, err))
					}
					last = m
				}
				reportMsgs(b, len(in.Msgs))
				sinkAny = last
			})
			b.Run("pglogrepl", func(b *testing.B) {
				if in.PglogreplSkip != "" {
					b.Skip(in.PglogreplSkip)
				}
				if _, i, err := decodeCorpusPglogrepl(in.PglogreplHot); err != nil {
					b.Fatal(corpusErr(in.PglogreplMsgs, i, err))
				}
				b.SetBytes(int64(in.PglogreplBytes))
				b.ReportAllocs()
				b.ResetTimer()
				var last pglogrepl.Message
				for i := 0; i < b.N; i++ {
					m, i, err := decodeCorpusPglogrepl(in.PglogreplHot)
					if err != nil {
						b.Fatal(corpusErr(in.PglogreplMsgs, i, err))
					}
					last = m
				}
				reportMsgs(b, len(in.PglogreplMsgs))
				sinkAny = last
			})
			b.Run("floor", func(b *testing.B) {
				if _, ok := decodeCorpusFloor(in.Hot); !ok {
					b.Fatal("floor rejects the input")
				}
				b.SetBytes(int64(in.Bytes))
				b.ReportAllocs()
				b.ResetTimer()
				sum := 0
				for i := 0; i < b.N; i++ {
					n, ok := decodeCorpusFloor(in.Hot)
					if !ok {
						b.Fatal("floor rejects the input")
					}
					sum += n
				}
				reportMsgs(b, len(in.Msgs))
				sinkInt = sum
			})
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, in := range Inputs() {
		in := in
		b.Run(in.Name, func(b *testing.B) {
			buf := in.Encode(make([]byte, 0, len(in.Buf)))
			b.SetBytes(int64(len(in.Buf)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf = in.Encode(buf[:0])
			}
			reportPerMessage(b, in)
			sinkInt = len(buf)
		})
	}
}
