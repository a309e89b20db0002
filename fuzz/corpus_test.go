package fuzz

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/capfile"
)

// capturedSeeds returns the real messages of testdata/pgoutput: for each
// capture file its options and its messages in order, with the stream
// state each message was sent in.
type capturedMessage struct {
	data     []byte
	inStream bool
	opts     codec.Options
}

func capturedSeeds(tb testing.TB) (msgs []capturedMessage, streams [][]byte) {
	files, _ := filepath.Glob("../testdata/pgoutput/pg*/*.txt")
	if len(files) == 0 {
		tb.Fatal("no captures in testdata/pgoutput")
	}
	seen := map[string]bool{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			tb.Fatal(err)
		}
		c, err := capfile.Read(f)
		f.Close()
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		opts, err := c.DecoderOptions()
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		d := codec.NewDecoder(opts)
		var stream []byte
		for _, m := range c.Messages {
			in := d.InStream()
			if _, err := d.Decode(m.Data); err != nil {
				tb.Fatalf("%s:%d: %v", name, m.Line, err)
			}
			if len(stream)+len(m.Data) < 8<<10 {
				stream = binary.BigEndian.AppendUint16(stream, uint16(len(m.Data)))
				stream = append(stream, m.Data...)
			}
			key := string(m.Data)
			if !seen[key] && len(m.Data) < 4096 {
				seen[key] = true
				msgs = append(msgs, capturedMessage{m.Data, in, opts})
			}
		}
		streams = append(streams, stream)
	}
	return msgs, streams
}

func seedVersion(o codec.Options) uint8   { return uint8(o.ProtoVersion) }
func seedStreaming(o codec.Options) uint8 { return uint8(o.Streaming) }
