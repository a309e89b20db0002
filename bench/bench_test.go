package bench

import (
	"errors"
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
