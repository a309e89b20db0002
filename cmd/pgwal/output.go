package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// output is where pgwal stream writes: a file (-f FILE, opened for
// appending as pg_recvlogical does) or standard output (-f -). Rendered
// bytes collect in buf and reach the file in whole messages, so a crash
// never leaves half a line; buf[:cut] holds complete units of work.
type output struct {
	name     string // "-" for standard output
	stdout   io.Writer
	f        *os.File // the open file; nil for a non-file standard output
	regular  bool     // a regular file: fsync applies
	fsync    bool     // -F > 0
	buf      []byte
	cut      int
	unsync   bool // bytes written since the last fsync
	lastSync time.Time
}

// maxBuffered is how much output waits in memory for the end of its unit
// of work before it is written anyway (a big streamed transaction).
const maxBuffered = 1 << 20

func openOutput(name string, stdout io.Writer, fsync bool) (*output, error) {
	o := &output{name: name, stdout: stdout, fsync: fsync, lastSync: time.Now()}
	if name == "-" {
		if f, ok := stdout.(*os.File); ok {
			o.f = f
			if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
				o.regular = true
			}
		}
		return o, nil
	}
	return o, o.open()
}

func (o *output) open() error {
	f, err := os.OpenFile(o.name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening output file: %w", err)
	}
	o.f, o.regular = f, true
	return nil
}

// Write collects rendered bytes.
func (o *output) Write(p []byte) (int, error) {
	o.buf = append(o.buf, p...)
	return len(p), nil
}

// endMessage is called after each message: a long partial unit is written
// out so memory stays bounded.
func (o *output) endMessage(complete bool) error {
	if complete {
		o.cut = len(o.buf)
	}
	if len(o.buf) >= maxBuffered {
		return o.flush()
	}
	return nil
}

// dropPartial forgets rendered bytes of an unfinished unit not yet
// written: after a lost connection the server sends the unit again.
func (o *output) dropPartial() { o.buf = o.buf[:o.cut] }

// flush writes what is collected.
func (o *output) flush() error {
	if len(o.buf) == 0 {
		return nil
	}
	var err error
	if o.f != nil {
		_, err = o.f.Write(o.buf)
	} else {
		_, err = o.stdout.Write(o.buf)
	}
	o.buf, o.cut = o.buf[:0], 0
	if err != nil {
		return writeError(err)
	}
	o.unsync = true
	return nil
}

// durable writes what is collected and, for a file with -F > 0, fsyncs it.
func (o *output) durable() error {
	if err := o.flush(); err != nil {
		return err
	}
	if o.unsync && o.regular && o.fsync {
		if err := o.f.Sync(); err != nil {
			return writeError(err)
		}
		o.lastSync = time.Now()
	}
	o.unsync = false
	return nil
}

// syncsLater says whether complete units may wait in memory for the next
// fsync (a file with -F > 0) rather than be written and acknowledged at
// once (a pipe, a terminal, or -F 0).
func (o *output) syncsLater() bool { return o.regular && o.fsync }

// reopen closes and reopens the file (SIGHUP, for log rotation); the
// caller has made everything durable first.
func (o *output) reopen() error {
	if o.name == "-" {
		return nil
	}
	if err := o.f.Close(); err != nil {
		return writeError(err)
	}
	return o.open()
}

func (o *output) close() error {
	if o.name == "-" || o.f == nil {
		return nil
	}
	return o.f.Close()
}

// errOutput marks a failed write of the output: fatal, never retried.
type outputError struct{ err error }

func (e *outputError) Error() string {
	if errors.Is(e.err, syscall.EPIPE) {
		return "writing output: broken pipe (the reader went away); nothing unwritten was acknowledged"
	}
	return "writing output: " + e.err.Error()
}
func (e *outputError) Unwrap() error { return e.err }

func writeError(err error) error { return &outputError{err} }
