package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pgwal/pgwal/capture"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/msgjson"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

const decodeHelp = `Usage: pgwal decode [flags] [file ...]

Decodes captured logical replication bytes and prints them as JSON lines.
Reads standard input when no file is given.

Output (--format):
  messages  (default) the protocol view: one object per message, its type,
            positions, xids, and for row changes the relation and column
            names (resolved from the Relation messages seen earlier) with
            each value as typed JSON and its kind (text, binary, null,
            unchanged); CopyData framing and keepalives of a wire stream too
  pgwal     whole transactions assembled (package txn): one object per
            change, as pgwal stream prints it (-o transactions: one per
            transaction)
  wal2json  as the wal2json plugin prints it, -o taking its options

Input formats (--input, detected by default):
  capture  a capture file (package capture), either version: v2 as written
           by "pgwal capture" ("# pgwal capture v2", "# key: value" header
           lines, then the server's CopyData messages), or the v1 text of
           testdata ("# pgwal capture v1", header lines, then
           "<lsn> <xid> <hex>" lines); proto_version and streaming come
           from the header
  hex      one pgoutput message per line in hex ('#' starts a comment)
  wire     a raw replication stream as the server sent it: backend messages
           (type byte, Int32 length, body); CopyData payloads are decoded as
           XLogData / keepalives, XLogData payloads as pgoutput

Examples:
  pgwal decode session.pgwal
  pgwal decode testdata/pgoutput/pg17/v4-all.txt
  pgwal decode testdata/pgoutput/pg16/v4-parallel.txt | jq 'select(.type=="Stream Abort")'
  pgwal decode --format pgwal testdata/pgoutput/pg17/v2-stream.txt
  pgwal decode --format wal2json -o format-version=2 -o include-xids=1 session.pgwal
  echo 49000040064e0001740000000131 | pgwal decode --input hex
  pgwal decode --input wire -proto 4 -streaming parallel session.bin

Flags:
`

type decodeOptions struct {
	format    string // the input's
	output    string
	options   []pluginOption
	proto     int
	streaming string
}

func decodeCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o decodeOptions
	fs.StringVar(&o.format, "input", "auto", "input format: auto, capture, hex or wire")
	fs.StringVar(&o.output, "format", "messages", "output: messages, pgwal or wal2json")
	fs.Func("o", "`name=value` option of the output format (repeatable)", func(v string) error {
		name, value, has := strings.Cut(v, "=")
		o.options = append(o.options, pluginOption{Name: name, Value: value, HasValue: has})
		return nil
	})
	fs.IntVar(&o.proto, "proto", 0, "pgoutput proto_version the session negotiated (0: from the capture header, else any)")
	fs.StringVar(&o.streaming, "streaming", "", "streaming option of the session: off, on or parallel (default: from the header, else by length)")
	fs.Usage = func() {
		fmt.Fprint(stderr, decodeHelp)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch o.output {
	case "auto", "capture", "hex", "wire":
		fmt.Fprintf(stderr, "pgwal decode: --format %s: --format now names the output (messages, pgwal, wal2json); the input format is --input %s\n", o.output, o.output)
		return 2
	}
	if _, err := newFormatter(o.output, o.options); err != nil {
		fmt.Fprintf(stderr, "pgwal decode: %v\n", err)
		return 2
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	names := fs.Args()
	if len(names) == 0 {
		names = []string{"-"}
	}
	for _, name := range names {
		var data []byte
		var err error
		if name == "-" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(name)
		}
		if err == nil {
			err = decodeBytes(name, data, o, out)
		}
		if err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "pgwal decode: %v\n", err)
			return 1
		}
	}
	return 0
}

// detect guesses the input format from its first bytes.
func detect(data []byte) string {
	t := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case bytes.HasPrefix(t, []byte("# pgwal capture v")):
		return "capture"
	case len(t) > 0 && t[0] == '#':
		return "hex"
	}
	// Hex when the first line is all hex digits and spaces: a wire stream
	// can start with 'd', itself a hex digit, but its length bytes are not.
	line, _, _ := bytes.Cut(t, []byte("\n"))
	if len(line) == 0 {
		return "wire"
	}
	for _, c := range bytes.TrimRight(line, "\r") {
		if !isHex(c) && c != ' ' && c != '\t' {
			return "wire"
		}
	}
	return "hex"
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func decoderOptions(o decodeOptions, header codec.Options) (codec.Options, error) {
	opts := header
	if o.proto != 0 {
		if o.proto < 1 || o.proto > 4 {
			return opts, fmt.Errorf("-proto %d: want 1 to 4", o.proto)
		}
		opts.ProtoVersion = o.proto
	}
	if o.streaming != "" {
		s, err := codec.ParseStreaming(o.streaming)
		if err != nil {
			return opts, fmt.Errorf("-streaming %q: want off, on, parallel or auto", o.streaming)
		}
		opts.Streaming = s
	}
	return opts, nil
}

type emitter struct {
	enc *json.Encoder
	d   *codec.Decoder
	cat msgjson.Catalog
	// fm renders the pgoutput messages for an output other than the
	// protocol view, which alone shows the framing around them.
	fm formatter
	w  io.Writer
}

// record writes a protocol-view record (the framing, keepalives): only
// the messages output has them.
func (e *emitter) record(r msgjson.Record) error {
	if e.fm != nil {
		return nil
	}
	return e.enc.Encode(r)
}

func (e *emitter) pgoutput(payload []byte, at string) error {
	m, err := e.d.Decode(payload)
	if err != nil {
		return err
	}
	if e.fm != nil {
		var pos lsn.LSN
		if at != "" {
			if pos, err = lsn.Parse(at); err != nil {
				return err
			}
		}
		_, _, err := e.fm.Write(e.w, m, pos)
		return err
	}
	e.cat.Apply(m)
	r := e.cat.Message(m)
	r.LSN = at
	return e.enc.Encode(r)
}

func decodeBytes(name string, data []byte, o decodeOptions, w io.Writer) error {
	format := o.format
	if format == "auto" {
		format = detect(data)
	}
	e := &emitter{enc: json.NewEncoder(w), w: w}
	e.enc.SetEscapeHTML(false)
	if o.output != "messages" {
		fm, err := newFormatter(o.output, o.options)
		if err != nil {
			return err
		}
		if c, ok := fm.(interface{ Close() error }); ok {
			defer c.Close()
		}
		e.fm = fm
	}
	switch format {
	case "capture":
		return e.capture(name, data, o)
	case "hex":
		opts, err := decoderOptions(o, codec.Options{})
		if err != nil {
			return err
		}
		e.d = codec.NewDecoder(opts)
		for i, line := range strings.Split(string(data), "\n") {
			if j := strings.IndexByte(line, '#'); j >= 0 {
				line = line[:j]
			}
			line = strings.Join(strings.Fields(line), "")
			if line == "" {
				continue
			}
			payload, err := hex.DecodeString(line)
			if err != nil {
				return fmt.Errorf("%s:%d: not hex: %w", name, i+1, err)
			}
			if err := e.pgoutput(payload, ""); err != nil {
				return fmt.Errorf("%s:%d: %w", name, i+1, err)
			}
		}
		return nil
	case "wire":
		opts, err := decoderOptions(o, codec.Options{})
		if err != nil {
			return err
		}
		e.d = codec.NewDecoder(opts)
		return e.wire(name, data)
	}
	return fmt.Errorf("--input %q: want auto, capture, hex or wire", format)
}

// capture decodes a capture file of either version record by record.
func (e *emitter) capture(name string, data []byte, o decodeOptions) error {
	r, err := capture.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	header, _ := r.Header().DecoderOptions() // NewReader checked it
	opts, err := decoderOptions(o, header)
	if err != nil {
		return err
	}
	e.d = codec.NewDecoder(opts)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if r.Version() == 1 {
			if err := e.pgoutput(rec.XLogData.Data, rec.XLogData.WALStart.String()); err != nil {
				return fmt.Errorf("%s:%d: %w", name, rec.Line, err)
			}
			continue
		}
		if err := e.backend('d', rec.Payload()); err != nil {
			return fmt.Errorf("%s: record %d at byte offset %d: %w", name, rec.Num, rec.Offset, err)
		}
	}
}

// wire walks backend messages: type byte, Int32 length (including itself),
// body. The declared length is checked against the bytes present.
func (e *emitter) wire(name string, data []byte) error {
	for off, n := 0, 1; off < len(data); n++ {
		if len(data)-off < 5 {
			return fmt.Errorf("%s: byte offset %d (message %d): truncated backend message header", name, off, n)
		}
		typ := data[off]
		length := int64(binary.BigEndian.Uint32(data[off+1:]))
		if length < 4 || length > int64(len(data)-off-1) {
			return fmt.Errorf("%s: byte offset %d (message %d, type %q): length %d does not fit the %d bytes left",
				name, off, n, typ, length, len(data)-off-1)
		}
		body := data[off+5 : off+1+int(length)]
		if err := e.backend(typ, body); err != nil {
			return fmt.Errorf("%s: byte offset %d (message %d, type %q): %w", name, off, n, typ, err)
		}
		off += 1 + int(length)
	}
	return nil
}

func (e *emitter) backend(typ byte, body []byte) error {
	switch typ {
	case 'd':
		m, err := e.d.DecodeServerCopyData(body)
		if err != nil {
			return err
		}
		if x, ok := m.(*codec.XLogData); ok {
			at := ""
			if x.WALStart != 0 {
				at = x.WALStart.String()
			}
			if len(x.Data) == 0 { // PostgreSQL 10–14 can send an empty one
				return e.record(msgjson.CopyData(m))
			}
			return e.pgoutput(x.Data, at)
		}
		return e.record(msgjson.CopyData(m))
	case 'W':
		return e.record(msgjson.Record{Type: "CopyBothResponse"})
	case 'c':
		return e.record(msgjson.Record{Type: "CopyDone"})
	case 'C':
		tag := string(bytes.TrimRight(body, "\x00"))
		return e.record(msgjson.Record{Type: "CommandComplete", Prefix: &tag})
	case 'E', 'N':
		text := backendNotice(body)
		t := "ErrorResponse"
		if typ == 'N' {
			t = "NoticeResponse"
		}
		return e.record(msgjson.Record{Type: t, Content: &text})
	}
	return e.record(msgjson.Record{Type: fmt.Sprintf("backend message %q", typ)})
}

// backendNotice joins the severity, SQLSTATE and message fields.
func backendNotice(body []byte) string {
	e := wire.ParseErrorResponse(body)
	return strings.TrimSpace(e.Severity + " " + e.Code + ": " + e.Message)
}
