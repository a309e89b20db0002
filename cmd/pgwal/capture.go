package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pgwal/pgwal/capture"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/wire"
)

const captureHelp = `Usage: pgwal capture -f FILE [flags]

Records a live logical replication session in a capture file (format v2,
package capture): a header with what decoding and replaying it needs
(server_version, proto_version, streaming, slot_name, the publications and
options), then every XLogData the server sent, header and pgoutput message,
as the CopyData message it arrived in. Keepalives are not recorded (the
client answers them before the recording layer sees them), nor is anything
before or after streaming. Each unit of work is acknowledged to the server
only after the file has been flushed and fsynced up to its end.

"pgwal decode FILE" decodes the file with the options in its header;
wire/wiretest.NewServer replays it to a client in tests.

The connection, slot and pgoutput flags are those of "pgwal stream"
(-d, -h, -p, -U, --dsn, -S, --create-slot, --if-not-exists, --temporary,
-I, -t, --publication, --binary, --streaming, ...); capture always streams
(--start is implied) and never reconnects. When done, the decode command
for the file is printed on standard error.

  -f, --file=FILE   the capture file (required; - for standard output).
                    Before pgwal followed pg_recvlogical this was -o, which
                    now passes output options in pgwal stream.

Exit status: 0 clean stop (SIGINT/SIGTERM, --for, --limit), 1 error, 2 bad
command line.

Examples:
  pgwal capture --dsn postgres://repl@db/app -S s --create-slot --publication p --for 30s -f session.pgwal
  pgwal decode session.pgwal
  pgwal capture --temporary --publication p --streaming on --two-phase --limit 500 -f - | head -c 400
`

func captureCmd(args []string, stdout, stderr io.Writer) int {
	f, cfg, code, done := parseReplFlags("capture", captureHelp, args, stdout, stderr, nil)
	if done {
		return code
	}
	outName := f.file
	if len(f.options) > 0 {
		fmt.Fprintf(stderr, "pgwal capture: -o %s: the capture file is -f/--file now (-o passes output options, as in pg_recvlogical; capture has none)\n", f.options[0])
		return 2
	}
	if outName == "" {
		fmt.Fprintln(stderr, "pgwal capture: -f FILE is required (- for standard output)")
		return 2
	}
	var w io.Writer = stdout
	var file *os.File
	if outName != "-" {
		var err error
		file, err = os.Create(outName)
		if err != nil {
			fmt.Fprintf(stderr, "pgwal capture: %v\n", err)
			return 1
		}
		defer file.Close()
		w = file
	}
	ctx, cancel := runContext(f)
	defer cancel()
	s, err := openSession(ctx, f, cfg, stderr)
	if err != nil {
		if ctx.Err() != nil {
			return 0
		}
		fmt.Fprintf(stderr, "pgwal capture: %v\n", err)
		return 1
	}
	c := &capturer{out: bufio.NewWriterSize(w, 64<<10), file: file}
	c.w, err = capture.NewWriter(c.out, captureHeader(s, f))
	if err != nil {
		s.finish(err, ctx)
		fmt.Fprintf(stderr, "pgwal capture: %v\n", err)
		return 1
	}
	err = s.finish(c.loop(ctx, s.stream, f.limit), ctx)
	if ferr := c.flush(); err == nil && ferr != nil {
		err = ferr
	}
	if file != nil {
		if cerr := file.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "pgwal capture: %v\n", err)
		return 1
	}
	if outName != "-" {
		fmt.Fprintf(stderr, "pgwal capture: %d messages, %d bytes in %s; decode with:\n  pgwal decode %s\n",
			c.w.Records(), c.w.Offset(), outName, outName)
	}
	return 0
}

// session is capture's one replication stream.
type session struct {
	conn   *wire.Conn
	stream *wire.Stream
	opts   codec.Options // what the stream's decoder uses
}

// openSession connects, creates the slot if asked and starts replication
// at -I (default: the slot's confirmed position).
func openSession(ctx context.Context, f *replFlags, cfg *wire.Config, stderr io.Writer) (*session, error) {
	conn, err := connect(ctx, cfg, "capture", stderr)
	if err != nil {
		return nil, err
	}
	logf := func(format string, args ...any) {
		if f.verbose || (f.temporary && strings.HasPrefix(format, "replication slot")) {
			fmt.Fprintf(stderr, "pgwal capture: "+format+"\n", args...)
		}
	}
	if f.createSlot {
		if err := createSlot(ctx, conn, f, logf); err != nil {
			conn.Close()
			return nil, err
		}
	}
	st, err := startStream(ctx, conn, f, cfg.Database, f.startpos)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &session{conn: conn, stream: st, opts: st.DecoderOptions()}, nil
}

// finish closes the stream and the connection. A stop by signal, --for or
// --limit is a clean end; anything else is the error to report.
func (s *session) finish(runErr error, ctx context.Context) error {
	if runErr != nil && !(ctx.Err() != nil && errors.Is(runErr, ctx.Err())) {
		s.conn.Close()
		return runErr
	}
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.stream.Close(cctx)
	s.conn.Close()
	if err != nil {
		return fmt.Errorf("closing the stream: %w", err)
	}
	return nil
}

type capturer struct {
	out  *bufio.Writer
	w    *capture.Writer
	file *os.File // nil for standard output
}

// captureHeader describes the session for decoding and replay.
func captureHeader(s *session, f *replFlags) capture.Header {
	h := capture.Header{
		capture.KeyServerVersion: s.conn.ParameterStatus("server_version"),
		capture.KeySlot:          f.slot,
		"source":                 "replication",
		"publications":           strings.Join(f.publications, ","),
		"binary":                 strconv.FormatBool(f.binary),
		"messages":               strconv.FormatBool(f.messages),
		"two_phase":              strconv.FormatBool(f.twoPhase),
		"start":                  f.startpos.String(),
		"captured_at":            time.Now().UTC().Format(time.RFC3339),
	}
	if f.origin != "" {
		h["origin"] = strings.ToLower(f.origin)
	}
	h.SetDecoderOptions(s.opts)
	return h
}

// flush makes what was written durable.
func (c *capturer) flush() error {
	if err := c.out.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if c.file != nil {
		if err := c.file.Sync(); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
	}
	return nil
}

// loop writes each XLogData as a record and acknowledges units of work
// once they are on disk.
func (c *capturer) loop(ctx context.Context, st *wire.Stream, limit int) error {
	for n := 0; limit == 0 || n < limit; n++ {
		x, err := st.NextRaw(ctx)
		if err != nil {
			return err
		}
		if err := c.w.WriteXLogData(x); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		m := st.Message()
		if m == nil {
			continue
		}
		if pos, ok := wire.AckPosition(m, x.WALStart); ok {
			if err := c.flush(); err != nil {
				return err
			}
			st.Ack(pos)
		}
	}
	return nil
}
