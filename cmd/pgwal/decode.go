package main

import (
	"bufio"
	"bytes"
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

The input is read as it is decoded, one message at a time: memory holds
the largest message (and, for pgwal and wal2json, what they hold of a
transaction), whatever the input's size.

Exit status: 0 when every input decoded; 1 at the first error in the
data, after printing what it decoded before it, with one line naming the
input and where in it (line, record or byte offset); 2 for a bad command
line.

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
		if err := decodeInput(name, stdin, o, out); err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "pgwal decode: %v\n", err)
			return 1
		}
	}
	return 0
}

// decodeInput decodes one named input ("-": stdin) as it reads it.
func decodeInput(name string, stdin io.Reader, o decodeOptions, w io.Writer) error {
	in := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	return decodeStream(name, in, o, w)
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
	// rec is the record being printed, one reused: encoding a Record
	// value would copy it to the heap for every message.
	rec msgjson.Record
}

// record writes a protocol-view record (the framing, keepalives): only
// the messages output has them.
func (e *emitter) record(r msgjson.Record) error {
	if e.fm != nil {
		return nil
	}
	e.rec = r
	return e.enc.Encode(&e.rec)
}

// pgoutput decodes and prints one pgoutput message delivered at WAL
// position at; shown says whether the protocol view prints the position
// (a v1 capture line always has one, an XLogData header of 0/0 has none).
func (e *emitter) pgoutput(payload []byte, at lsn.LSN, shown bool) error {
	m, err := e.d.Decode(payload)
	if err != nil {
		return err
	}
	if e.fm != nil {
		_, _, err := e.fm.Write(e.w, m, at)
		return err
	}
	e.cat.Apply(m)
	e.rec = e.cat.Message(m)
	if shown {
		e.rec.LSN = at.String()
	}
	return e.enc.Encode(&e.rec)
}

// decodeStream decodes one input as it reads it: memory holds one message
// (and what the output format keeps), whatever the input's size.
func decodeStream(name string, in io.Reader, o decodeOptions, w io.Writer) error {
	br := bufio.NewReaderSize(in, decodeBufSize)
	format := o.format
	if format == "auto" {
		var err error
		if format, err = detectReader(br); err != nil {
			return &decodeError{Name: name, Err: err}
		}
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
		if w, ok := fm.(*wal2jsonFormat); ok {
			// A two-phase capture: wal2json prints a prepared transaction
			// at its COMMIT PREPARED, so it waits in a store until then,
			// made at the first one. Nothing is acknowledged here, so the
			// store need not outlive the run.
			var dir string
			defer func() {
				if dir != "" {
					os.RemoveAll(dir)
				}
			}()
			w.newPrep = func() (*preparedStore, error) {
				var err error
				if dir, err = os.MkdirTemp("", "pgwal-decode-prepared-*"); err != nil {
					return nil, err
				}
				return openPreparedStore(dir)
			}
		}
		e.fm = fm
	}
	switch format {
	case "capture":
		return e.capture(name, br, o)
	case "hex", "wire":
		opts, err := decoderOptions(o, codec.Options{})
		if err != nil {
			return err
		}
		e.d = codec.NewDecoder(opts)
		if format == "hex" {
			return e.hex(name, br)
		}
		return e.wire(name, br)
	}
	return fmt.Errorf("--input %q: want auto, capture, hex or wire", format)
}

// capture decodes a capture file of either version record by record.
func (e *emitter) capture(name string, in io.Reader, o decodeOptions) error {
	r, err := capture.NewReader(in)
	if err != nil {
		return &decodeError{Name: name, Err: err}
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
			return &decodeError{Name: name, Err: err} // a *capture.Error says where
		}
		if r.Version() == 1 {
			if err := e.pgoutput(rec.XLogData.Data, rec.XLogData.WALStart, true); err != nil {
				return &decodeError{Name: name, Line: rec.Line, Err: err}
			}
			continue
		}
		if err := e.backend('d', rec.Payload()); err != nil {
			return &decodeError{Name: name, Record: rec.Num, Offset: rec.Offset, Err: err}
		}
	}
}

// hex decodes one pgoutput message per line of hex digits.
func (e *emitter) hex(name string, br *bufio.Reader) error {
	lr := &lineReader{br: br}
	var payload []byte
	for {
		line, err := lr.next(2*int64(maxMessage) + 64<<10)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &decodeError{Name: name, Line: lr.n + 1, Err: err}
		}
		digits := hexDigits(line)
		if len(digits) == 0 {
			continue
		}
		if payload, err = decodeHex(payload, digits); err != nil {
			return &decodeError{Name: name, Line: lr.n, Err: fmt.Errorf("not hex: %w", err)}
		}
		if err := e.pgoutput(payload, 0, false); err != nil {
			return &decodeError{Name: name, Line: lr.n, Err: err}
		}
	}
}

// wire walks backend messages: type byte, Int32 length (including itself),
// body. A declared length the input does not hold is an error.
func (e *emitter) wire(name string, br *bufio.Reader) error {
	r := &wireReader{br: br}
	for {
		start := r.off
		typ, body, err := r.next(name)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := e.backend(typ, body); err != nil {
			return &decodeError{Name: name, Message: r.num, Offset: start, Type: typ, HasType: true, Err: err}
		}
	}
}

func (e *emitter) backend(typ byte, body []byte) error {
	switch typ {
	case 'd':
		m, err := e.d.DecodeServerCopyData(body)
		if err != nil {
			return err
		}
		if x, ok := m.(*codec.XLogData); ok {
			if len(x.Data) == 0 { // PostgreSQL 10–14 can send an empty one
				return e.record(msgjson.CopyData(m))
			}
			return e.pgoutput(x.Data, x.WALStart, x.WALStart != 0)
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
