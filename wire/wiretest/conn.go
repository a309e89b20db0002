package wiretest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// conn is one client connection.
type conn struct {
	s   *Server
	nc  net.Conn
	rd  frontendReader
	dec codec.Decoder

	wmu     sync.Mutex // one writer at a time: the replay and the reader's answers
	wbuf    []byte
	stalled bool // guarded by wmu: a stall fault; nothing more is sent

	database string

	mu      sync.Mutex
	pos     lsn.LSN       // highest WAL position sent in this session
	stop    chan struct{} // closed to end the replay; nil when not streaming
	stopped chan struct{} // closed when the replay goroutine has returned
}

func (c *conn) serve() {
	defer c.s.wg.Done()
	defer func() {
		c.nc.Close()
		c.endReplay()
		c.s.mu.Lock()
		delete(c.s.conns, c)
		if c.s.streaming == c {
			c.s.streaming = nil
		}
		c.s.mu.Unlock()
	}()
	if err := c.startup(); err != nil {
		return
	}
	for {
		typ, body, err := c.rd.next()
		if err != nil {
			if errors.Is(err, errClientMessage) {
				c.s.problem(err)
			}
			return
		}
		streaming := c.isStreaming()
		switch {
		case typ == 'X':
			return
		case typ == 'Q' && !streaming:
			q := strings.TrimRight(strings.TrimSuffix(string(body), "\x00"), "; \t\n")
			c.s.addQuery(q)
			if !c.query(q) {
				return
			}
		case typ == 'd':
			if streaming && !c.copyData(body) {
				return
			}
			// Outside a stream: late data after the server ended it; dropped.
		case typ == 'c':
			if streaming {
				c.endReplay()
				c.send(func(b []byte) []byte {
					b = appendCopyDone(b)
					b = appendCommandComplete(b, "COPY 0")
					b = appendCommandComplete(b, "START_REPLICATION")
					return appendReadyForQuery(b)
				})
			}
		default:
			c.s.problem(fmt.Errorf("wiretest: unexpected frontend message %q (streaming: %v)", typ, streaming))
			return
		}
	}
}

// startup answers SSL and GSS requests with 'N', reads the startup
// packet, and accepts the client without a password.
func (c *conn) startup() error {
	var h [8]byte
	for {
		if _, err := io.ReadFull(c.nc, h[:]); err != nil {
			return err
		}
		n := binary.BigEndian.Uint32(h[:])
		code := binary.BigEndian.Uint32(h[4:])
		if n < 8 || n > 10000 {
			err := fmt.Errorf("wiretest: startup packet of %d bytes", n)
			c.s.problem(err)
			return err
		}
		rest := make([]byte, n-8)
		if _, err := io.ReadFull(c.nc, rest); err != nil {
			return err
		}
		switch {
		case code == sslRequestCode || code == gssEncRequestCode:
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return err
			}
			continue
		case code == cancelRequestCode:
			return errors.New("cancel request")
		case code>>16 != 3:
			err := fmt.Errorf("wiretest: startup protocol version %d.%d", code>>16, code&0xffff)
			c.s.problem(err)
			return err
		}
		parts := strings.Split(string(rest), "\x00")
		params := map[string]string{}
		for i := 0; i+1 < len(parts); i += 2 {
			params[parts[i]] = parts[i+1]
		}
		c.database = params["database"]
		if c.database == "" {
			c.database = params["user"]
		}
		return c.send(func(b []byte) []byte {
			if code&0xffff != 0 {
				b = appendNegotiateProtocol(b)
			}
			b = appendAuthOK(b)
			for _, p := range [][2]string{
				{"server_version", c.s.cfg.serverVersion},
				{"server_encoding", "UTF8"},
				{"client_encoding", "UTF8"},
				{"DateStyle", "ISO, MDY"},
				{"integer_datetimes", "on"},
				{"standard_conforming_strings", "on"},
				{"TimeZone", "UTC"},
				{"application_name", params["application_name"]},
			} {
				b = appendParameterStatus(b, p[0], p[1])
			}
			b = appendBackendKeyData(b, 4242, 0x5eed)
			return appendReadyForQuery(b)
		})
	}
}

// send builds messages with fill and writes them in one write.
func (c *conn) send(fill func([]byte) []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.stalled {
		return nil
	}
	c.wbuf = fill(c.wbuf[:0])
	_, err := c.nc.Write(c.wbuf)
	return err
}

func (c *conn) sendError(e *Error) error {
	return c.send(func(b []byte) []byte { return appendReadyForQuery(appendErrorResponse(b, e)) })
}

var startRE = regexp.MustCompile(`^START_REPLICATION\s+SLOT\s+("[^"]*"|\S+)\s+LOGICAL\s+(\S+)(?:\s+\((.*)\))?$`)

// query answers one simple query; false ends the connection.
func (c *conn) query(q string) bool {
	if fn := c.s.cfg.query; fn != nil {
		res, err := fn(q)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				e = &Error{Code: "XX000", Message: err.Error()}
			}
			return c.sendError(e) == nil && e.Severity != "FATAL"
		}
		if res != nil {
			return c.result(res)
		}
	}
	switch {
	case q == "IDENTIFY_SYSTEM":
		return c.result(&Result{
			Columns: []string{"systemid", "timeline", "xlogpos", "dbname"},
			Rows:    [][]string{{"7300000000000000001", "1", c.s.rec.last.String(), c.database}},
			Tag:     "IDENTIFY_SYSTEM",
		})
	case strings.HasPrefix(q, "SHOW "):
		name := strings.TrimSpace(q[5:])
		var v string
		switch name {
		case "wal_sender_timeout":
			v = strconv.FormatInt(c.s.cfg.walSenderTimeout.Milliseconds(), 10) + "ms"
		case "server_version":
			v = c.s.cfg.serverVersion
		case "server_version_num":
			v = strconv.Itoa(serverVersionNum(c.s.cfg.serverVersion))
		default:
			return c.sendError(&Error{Code: "42704", Message: fmt.Sprintf("unrecognized configuration parameter %q", name)}) == nil
		}
		return c.result(&Result{Columns: []string{name}, Rows: [][]string{{v}}, Tag: "SHOW"})
	case strings.HasPrefix(q, "SELECT confirmed_flush_lsn FROM pg_catalog.pg_replication_slots WHERE slot_name = "):
		return c.result(&Result{Columns: []string{"confirmed_flush_lsn"}, Rows: [][]string{{c.s.Confirmed().String()}}})
	case strings.HasPrefix(q, "START_REPLICATION"):
		return c.startReplication(q)
	}
	return c.sendError(&Error{Code: "42601", Message: fmt.Sprintf("wiretest: no answer for %q (see HandleQuery)", q)}) == nil
}

func (c *conn) result(r *Result) bool {
	return c.send(func(b []byte) []byte { return appendReadyForQuery(appendResult(b, r)) }) == nil
}

// startReplication checks the command against the recording and starts
// the replay.
func (c *conn) startReplication(q string) bool {
	m := startRE.FindStringSubmatch(q)
	if m == nil {
		return c.sendError(&Error{Code: "0A000", Message: "wiretest replays logical sessions: want START_REPLICATION SLOT name LOGICAL X/X (options)"}) == nil
	}
	start, err := lsn.Parse(m[2])
	if err != nil {
		return c.sendError(&Error{Code: "42601", Message: fmt.Sprintf("invalid start position %q", m[2])}) == nil
	}
	if e := c.checkOptions(m[3]); e != nil {
		return c.sendError(e) == nil
	}
	s := c.s
	s.mu.Lock()
	s.sessions++
	var f *fault
	if n := s.sessions; n <= len(s.cfg.faults) {
		f = &s.cfg.faults[n-1]
	}
	from, schema := s.rec.resume(max(start, s.confirmed))
	s.streaming = c
	s.mu.Unlock()

	if err := c.send(appendCopyBothResponse); err != nil {
		return false
	}
	c.mu.Lock()
	c.stop, c.stopped = make(chan struct{}), make(chan struct{})
	stop, stopped := c.stop, c.stopped
	c.mu.Unlock()
	s.wg.Add(1)
	go c.replay(from, schema, f, stop, stopped)
	return true
}

var optionRE = regexp.MustCompile(`"?(proto_version|streaming)"?\s+'([^']*)'`)

// checkOptions refuses a session whose pgoutput options would make the
// recorded bytes mean something else: another proto_version or streaming
// mode than the capture header's.
func (c *conn) checkOptions(opts string) *Error {
	want, _ := c.s.rec.Header.DecoderOptions()
	got := map[string]string{"streaming": "off"}
	for _, m := range optionRE.FindAllStringSubmatch(opts, -1) {
		got[m[1]] = strings.ToLower(m[2])
	}
	if want.ProtoVersion != 0 && got["proto_version"] != strconv.Itoa(want.ProtoVersion) {
		return &Error{Code: "22023", Message: fmt.Sprintf("wiretest: the capture was recorded with proto_version %d, the client asked for %q", want.ProtoVersion, got["proto_version"])}
	}
	if s := got["streaming"]; s == "true" {
		got["streaming"] = "on"
	} else if s == "false" {
		got["streaming"] = "off"
	}
	if want.Streaming != codec.StreamingAuto && got["streaming"] != want.Streaming.String() {
		return &Error{Code: "22023", Message: fmt.Sprintf("wiretest: the capture was recorded with streaming %s, the client asked for %s", want.Streaming, got["streaming"])}
	}
	return nil
}

func (c *conn) isStreaming() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stop != nil
}

// endReplay stops the replay goroutine, if one runs, and waits for it.
func (c *conn) endReplay() {
	c.mu.Lock()
	stop, stopped := c.stop, c.stopped
	c.stop = nil
	c.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	<-stopped
	c.s.mu.Lock()
	if c.s.streaming == c {
		c.s.streaming = nil
	}
	c.s.mu.Unlock()
}

// leaveCopy marks the stream ended by the server (an error or shutdown).
func (c *conn) leaveCopy() {
	c.mu.Lock()
	c.stop = nil
	c.mu.Unlock()
	c.s.mu.Lock()
	if c.s.streaming == c {
		c.s.streaming = nil
	}
	c.s.mu.Unlock()
}

// copyData handles a CopyData from a streaming client; false ends the
// connection.
func (c *conn) copyData(body []byte) bool {
	m, err := c.dec.DecodeClientCopyData(body)
	if err != nil {
		c.s.problem(fmt.Errorf("wiretest: client CopyData %x: %w", body, err))
		return false
	}
	switch m := m.(type) {
	case *codec.StandbyStatusUpdate:
		c.s.addUpdate(*m)
		if m.ReplyRequested {
			return c.keepalive(false) == nil
		}
	case *codec.PrimaryStatusRequest:
		if serverVersionNum(c.s.cfg.serverVersion) < 190000 {
			c.s.problem(fmt.Errorf("wiretest: primary status request to a server version %s walsender, which ends the connection", c.s.cfg.serverVersion))
			return false
		}
		c.mu.Lock()
		pos := c.pos
		c.mu.Unlock()
		return c.send(func(b []byte) []byte {
			return appendCopyData(b, codec.AppendPrimaryStatusUpdate(nil, &codec.PrimaryStatusUpdate{
				WriteLSN: max(pos, c.s.rec.last), ServerTime: lsn.TimestampOf(time.Now()),
			}))
		}) == nil
	}
	return true
}

// keepalive sends a keepalive at the session's position.
func (c *conn) keepalive(replyRequested bool) error {
	c.mu.Lock()
	pos := c.pos
	c.mu.Unlock()
	k := codec.PrimaryKeepalive{WALEnd: pos, ServerTime: lsn.TimestampOf(time.Now()), ReplyRequested: replyRequested}
	return c.send(func(b []byte) []byte {
		b, at := begin(b, 'd')
		return end(codec.AppendPrimaryKeepalive(b, &k), at)
	})
}

// replay sends the schema records, then the recording from record from,
// then keepalives until stopped; f, if not nil, cuts it short.
func (c *conn) replay(from int, schema [][]byte, f *fault, stop, stopped chan struct{}) {
	defer c.s.wg.Done()
	defer close(stopped)
	sent := 0
	send := func(p []byte) bool {
		select {
		case <-stop:
			return false
		default:
		}
		err := c.send(func(b []byte) []byte { return appendCopyData(b, p) })
		if err != nil {
			return false
		}
		var d codec.Decoder
		if m, err := d.DecodeServerCopyData(p); err == nil {
			c.mu.Lock()
			switch m := m.(type) {
			case *codec.XLogData:
				c.pos = max(c.pos, m.WALStart, m.WALEnd)
			case *codec.PrimaryKeepalive:
				c.pos = max(c.pos, m.WALEnd)
			}
			c.mu.Unlock()
		}
		return true
	}
	for _, p := range schema {
		if !send(p) {
			return
		}
	}
	for _, p := range c.s.rec.Payloads[from:] {
		if f != nil && sent >= f.after {
			break
		}
		if !send(p) {
			return
		}
		sent++
	}
	if f != nil {
		c.fault(f)
		return
	}
	// Caught up: a walsender waiting for WAL sends keepalives.
	t := time.NewTicker(c.s.cfg.keepaliveInterval)
	defer t.Stop()
	for {
		if c.keepalive(false) != nil {
			return
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

func (c *conn) fault(f *fault) {
	switch f.kind {
	case faultHangUp:
		c.nc.Close()
	case faultReset:
		if tc, ok := c.nc.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		c.nc.Close()
	case faultStall:
		// Send nothing more, not even answers; the reader goes on
		// recording status updates.
		c.wmu.Lock()
		c.stalled = true
		c.wmu.Unlock()
	case faultError:
		fatal := f.err.Severity == "FATAL"
		c.leaveCopy()
		c.send(func(b []byte) []byte {
			b = appendErrorResponse(b, &f.err)
			if !fatal {
				b = appendReadyForQuery(b)
			}
			return b
		})
		if fatal {
			c.nc.Close()
		}
	case faultShutdown:
		c.leaveCopy()
		c.send(func(b []byte) []byte { return appendCommandComplete(b, "COPY 0") })
		c.nc.Close()
	}
}
