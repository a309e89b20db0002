// Package capfile loads a whole capture file into memory, for the tests and
// tools that want every message at once. It is a thin layer over the public
// package capture, which reads both the v1 text corpus format
// (testdata/README.md) and the v2 binary format one record at a time.
package capfile

import (
	"io"
	"strings"

	"github.com/pgwal/pgwal/capture"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// Magic is the first line of a v1 (text) capture file.
const Magic = capture.MagicV1

// File is a parsed capture.
type File struct {
	Header   map[string]string // header keys as written
	Messages []Message
}

// Message is one captured pgoutput message.
type Message struct {
	Line int     // 1-based line number in a v1 file; 0 in a v2 file
	LSN  lsn.LSN // v1: the lsn column; live and v2 captures: the XLogData WALStart
	Xid  uint32
	Data []byte
}

// Read parses a capture file of either version. Keepalive records of a v2
// file are skipped. Errors are *capture.Error values naming the line or
// record.
func Read(r io.Reader) (*File, error) {
	cr, err := capture.NewReader(r)
	if err != nil {
		return nil, err
	}
	f := &File{Header: cr.Header()}
	for {
		rec, err := cr.Next()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			return nil, err
		}
		if rec.Kind != capture.KindXLogData {
			continue
		}
		f.Messages = append(f.Messages, Message{
			Line: rec.Line, LSN: rec.XLogData.WALStart, Xid: rec.Xid,
			Data: append([]byte(nil), rec.XLogData.Data...),
		})
	}
}

// DecoderOptions returns the codec options the header describes
// (proto_version, streaming).
func (f *File) DecoderOptions() (codec.Options, error) {
	return capture.Header(f.Header).DecoderOptions()
}

// Expect returns the message type letters the header says the capture must
// contain.
func (f *File) Expect() []string { return strings.Fields(f.Header["expect"]) }
