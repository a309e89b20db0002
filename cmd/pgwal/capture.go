package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/wire"
)

const captureHelp = `Usage: pgwal capture -o FILE [flags]

Records a live logical replication session as raw bytes: every XLogData the
server sends, framed as the backend CopyData message it arrived in ('d',
Int32 length, XLogData header, pgoutput message) — the "wire" input format
of "pgwal decode". Keepalives are not recorded (the client answers them
before the recording layer sees them), nor is anything before or after
streaming. Each unit of work is acknowledged to the server only after the
file has been flushed and fsynced up to its end.

The connection, slot and option flags are those of "pgwal stream". When
done, the decode command for the file (with the negotiated proto_version and
streaming option) is printed on standard error.

Examples:
  pgwal capture --dsn postgres://repl@db/app --slot s --create-slot --publication p --for 30s -o session.bin
  pgwal decode -format wire -proto 4 -streaming on session.bin
  pgwal capture --temporary --publication p --streaming on --two-phase --limit 500 -o - | xxd | head

Flags:
`

func captureCmd(args []string, stdout, stderr io.Writer) int {
	var outName string
	f, code, done := parseReplFlags("capture", captureHelp, args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&outName, "o", "", "output file (required; - for standard output)")
	})
	if done {
		return code
	}
	if outName == "" {
		fmt.Fprintln(stderr, "pgwal capture: -o FILE is required")
		return 1
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
	s, err := openSession(ctx, f, "capture", stderr)
	if err != nil {
		if ctx.Err() != nil {
			return 0
		}
		fmt.Fprintf(stderr, "pgwal capture: %v\n", err)
		return 1
	}
	c := &capturer{out: bufio.NewWriterSize(w, 64<<10), file: file}
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
		fmt.Fprintf(stderr, "pgwal capture: %d messages, %d bytes in %s; decode with:\n  pgwal decode -format wire -proto %d -streaming %s %s\n",
			c.msgs, c.bytes, outName, s.opts.ProtoVersion, s.opts.Streaming, outName)
	}
	return 0
}

type capturer struct {
	out   *bufio.Writer
	file  *os.File // nil for standard output
	frame []byte
	msgs  int
	bytes int64
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

// loop writes each XLogData as a CopyData backend message and acknowledges
// units of work once they are on disk.
func (c *capturer) loop(ctx context.Context, st *wire.Stream, limit int) error {
	for n := 0; limit == 0 || n < limit; n++ {
		x, err := st.NextRaw(ctx)
		if err != nil {
			return err
		}
		c.frame = append(c.frame[:0], 'd', 0, 0, 0, 0)
		c.frame = codec.AppendXLogData(c.frame, x)
		binary.BigEndian.PutUint32(c.frame[1:], uint32(len(c.frame)-1))
		if _, err := c.out.Write(c.frame); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		c.msgs++
		c.bytes += int64(len(c.frame))
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
