// Package capfile reads and writes the text format of the captured corpus
// in testdata/pgoutput: a header of "# key: value" lines, then one pgoutput
// message per line as "<lsn> <xid> <hex>". See testdata/README.md.
package capfile

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// Magic is the first line of every capture file.
const Magic = "# pgwal capture v1"

// File is a parsed capture.
type File struct {
	Header   map[string]string // "# key: value" lines, keys as written
	Messages []Message
}

// Message is one captured pgoutput message.
type Message struct {
	Line int     // 1-based line number in the file
	LSN  lsn.LSN // as returned by pg_logical_slot_peek_binary_changes
	Xid  uint32
	Data []byte
}

// Read parses a capture file. Errors name the line.
func Read(r io.Reader) (*File, error) {
	f := &File{Header: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 256<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if n == 1 {
			if line != Magic {
				return nil, fmt.Errorf("line 1: not a pgwal capture (want %q)", Magic)
			}
			continue
		}
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if k, v, ok := strings.Cut(strings.TrimSpace(line[1:]), ":"); ok && len(f.Messages) == 0 {
				f.Header[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 3 {
			return nil, fmt.Errorf("line %d: want \"<lsn> <xid> <hex>\", got %d fields", n, len(fields))
		}
		l, err := lsn.Parse(fields[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		x, err := strconv.ParseUint(fields[1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("line %d: xid: %w", n, err)
		}
		data, err := hex.DecodeString(fields[2])
		if err != nil {
			return nil, fmt.Errorf("line %d: hex: %w", n, err)
		}
		f.Messages = append(f.Messages, Message{Line: n, LSN: l, Xid: uint32(x), Data: data})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("empty file")
	}
	return f, nil
}

// DecoderOptions returns the codec options the header describes
// (proto_version, streaming).
func (f *File) DecoderOptions() (codec.Options, error) {
	var o codec.Options
	if v := f.Header["proto_version"]; v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 4 {
			return o, fmt.Errorf("header proto_version %q: want 1 to 4", v)
		}
		o.ProtoVersion = p
	}
	s, err := codec.ParseStreaming(f.Header["streaming"])
	if err != nil {
		return o, fmt.Errorf("header: %w", err)
	}
	o.Streaming = s
	return o, nil
}

// Expect returns the message type letters the header says the capture must
// contain.
func (f *File) Expect() []string { return strings.Fields(f.Header["expect"]) }
