package wire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
)

// fuzzConn is a net.Conn whose reads come from a byte slice and whose writes
// are discarded.
type fuzzConn struct {
	r *bytes.Reader
}

func (c *fuzzConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *fuzzConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *fuzzConn) Close() error                     { return nil }
func (c *fuzzConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *fuzzConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *fuzzConn) SetDeadline(time.Time) error      { return nil }
func (c *fuzzConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fuzzConn) SetWriteDeadline(time.Time) error { return nil }

// fuzzStream is a logical Stream just after CopyBothResponse, reading data
// as the server's side. The status timer is not started.
func fuzzStream(data []byte, streaming codec.Streaming) *Stream {
	c := &Conn{conn: &fuzzConn{r: bytes.NewReader(data)}, params: map[string]string{}, busy: true}
	c.cfg.MaxMessageSize = 1 << 20
	c.rd = Framer{r: c.conn, max: c.maxMessageSize()}
	s := &Stream{c: c, kind: Logical, ack: NewAckTracker(Logical, 0), interval: time.Second}
	s.dec = codec.NewDecoder(codec.Options{ProtoVersion: 4, Streaming: streaming})
	return s
}

func fuzzTypedError(err error) bool {
	var se *ServerError
	var de *codec.DecodeError
	var eot *EndOfTimeline
	return errors.Is(err, ErrProtocol) || errors.Is(err, ErrConnectionLost) || errors.Is(err, ErrMessageTooLarge) ||
		errors.Is(err, ErrServerShutdown) || errors.Is(err, ErrStreamEnded) ||
		errors.As(err, &se) || errors.As(err, &de) || errors.As(err, &eot)
}

func fuzzSeedSession() []byte {
	var b []byte
	b = append(b, fsKeepalive(0x1000, true)...)
	for _, m := range fsTxn(7, 0x20000, 0x20100) {
		b = append(b, m...)
	}
	b = append(b, fsXLog(0x20200, &codec.StreamStart{Xid: 9, FirstSegment: true})...)
	b = append(b, fsXLog(0x20208, &codec.Insert{InStream: true, Xid: 9, RelationID: 1,
		New: codec.Tuple{{Kind: codec.ColumnNull}}})...)
	b = append(b, fsXLog(0x20210, &codec.StreamStop{})...)
	b = append(b, fsXLog(0x20300, &codec.StreamCommit{Xid: 9, CommitLSN: 0x20300, EndLSN: 0x20308})...)
	b = append(b, fsErrorFields('N', "NOTICE", "00000", "hello")...)
	b = append(b, fsParam("a", "b")...)
	b = append(b, fsKeepalive(0x30000, false)...)
	b = append(b, fsCopyDone()...)
	b = append(b, fsCopyData([]byte("late"))...)
	b = append(b, fsCommandComplete("START_REPLICATION")...)
	b = append(b, fsReady()...)
	return b
}

func FuzzBackendStream(f *testing.F) {
	f.Add(fuzzSeedSession(), uint8(0))
	f.Add(fuzzSeedSession(), uint8(3))
	f.Add(fsErrorFields('E', "FATAL", "57P01", "terminating connection due to administrator command"), uint8(0))
	f.Add(append(fsCommandComplete("COPY 0"), fsReady()...), uint8(1))
	f.Add(append(frameHeader('d', 1<<30), 'w', 0), uint8(0))
	f.Add(fsXLogRaw(0x10, []byte{'I', 0}), uint8(0))
	f.Add(append(fsCopyDone(), append(fsRowResult("next_tli", "2", "SELECT")[0], fsReady()...)...), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		streaming := codec.StreamingOn
		if mode&4 != 0 {
			streaming = codec.StreamingOff
		}
		s := fuzzStream(data, streaming)
		ctx := context.Background()
		closeAfter := int(mode & 3) // 3: never Close
		var last error
		for i := 0; i <= len(data)/5+2; i++ {
			if i == closeAfter {
				err := s.Close(ctx)
				if err != nil && !fuzzTypedError(err) {
					t.Fatalf("Close: untyped error %v", err)
				}
				if _, err := s.Next(ctx); err == nil {
					t.Fatalf("Next after Close returned a message")
				}
				break
			}
			var err error
			if mode&8 != 0 {
				_, err = s.NextRaw(ctx)
			} else {
				_, err = s.Next(ctx)
			}
			if err == nil {
				s.Ack(s.WALStart())
				w, fl, ap := s.Positions()
				if fl > w || ap != fl {
					t.Fatalf("positions write %v flush %v apply %v", w, fl, ap)
				}
				continue
			}
			if !fuzzTypedError(err) {
				t.Fatalf("untyped error %v", err)
			}
			var de *codec.DecodeError
			if errors.As(err, &de) {
				continue // the stream goes on after a bad payload
			}
			last = err
			if _, err2 := s.Next(ctx); err2 != err {
				t.Fatalf("after %v, Next returned %v", err, err2)
			}
			break
		}
		_ = last
		if c := cap(s.c.rd.buf); c > max(minBuffer, 2*len(data)) {
			t.Fatalf("buffer %d bytes for %d bytes of input", c, len(data))
		}
	})
}

// FuzzFramer checks Framer against a direct parse of the same bytes,
// read in chunks of varying size.
func FuzzFramer(f *testing.F) {
	seed, _ := mrFrames(5, 3)
	f.Add(seed, uint8(1))
	f.Add(seed, uint8(0))
	f.Add(frameHeader('d', 3), uint8(7))
	f.Add(append(frameHeader('d', 2000), 1, 2), uint8(2))
	f.Add(fuzzSeedSession(), uint8(13))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		const limit = 1024
		size := int(chunk)%64 + 1
		cr := &chunkReader{data: data, size: size}
		m := &Framer{r: cr, max: limit}
		rest := data
		for {
			typ, body, err := m.ReadMessage()
			// The reference parse.
			var want error
			var wantTyp byte
			var wantBody []byte
			switch {
			case len(rest) == 0:
				want = io.EOF
			case len(rest) < 5:
				want = io.ErrUnexpectedEOF
			default:
				n := int64(binary.BigEndian.Uint32(rest[1:]))
				switch {
				case n < 4:
					want = ErrProtocol
				case n-4 > limit:
					want = ErrMessageTooLarge
				case int64(len(rest)) < 1+n:
					want = io.ErrUnexpectedEOF
				default:
					wantTyp, wantBody = rest[0], rest[5:1+n]
					rest = rest[1+n:]
				}
			}
			if want != nil {
				if !errors.Is(err, want) {
					t.Fatalf("got %v, want %v", err, want)
				}
				break
			}
			if err != nil || typ != wantTyp || !bytes.Equal(body, wantBody) {
				t.Fatalf("got %q %d bytes %v, want %q %d bytes", typ, len(body), err, wantTyp, len(wantBody))
			}
			if c := cap(m.buf); c > max(minBuffer, 2*cr.n) {
				t.Fatalf("buffer %d after %d bytes", c, cr.n)
			}
		}
		if c := cap(m.buf); c > max(minBuffer, 2*len(data)) {
			t.Fatalf("buffer %d for %d bytes", c, len(data))
		}
	})
}

// FuzzResultParsers feeds arbitrary RowDescription and DataRow bodies to
// the result parsers and every command's result parser: none may panic.
func FuzzResultParsers(f *testing.F) {
	rs := fsRowResult("slot_type", "physical", "X")
	f.Add(rs[0][5:], rs[1][5:])
	f.Add([]byte{0, 0}, []byte{0, 0})
	f.Add([]byte{0, 1, 'a', 0}, []byte{0, 1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, desc, row []byte) {
		cols, err := parseRowDescription(desc)
		if err != nil {
			return
		}
		r := &Result{Columns: cols}
		for len(row) > 0 {
			n := int(row[0]) % (len(row) + 1)
			vals, err := parseDataRow(row[:n])
			row = row[max(n, 1):]
			if err != nil {
				continue
			}
			r.Rows = append(r.Rows, vals)
		}
		ParseIdentifySystem(r)
		ParseReadReplicationSlot(r)
		ParseCreateReplicationSlot(r)
		ParseTimelineHistory(r)
		parseShow(r)
		parseConfirmedFlush([]Result{*r})
		for i := -1; i <= len(r.Rows); i++ {
			for _, c := range append(cols, "") {
				r.Value(i, c)
			}
		}
	})
}
