package wire

// A scriptable fake PostgreSQL walsender over loopback TCP, built with the
// codec's encoders. It performs start-up (answering an SSLRequest with 'N'),
// answers the queries StartReplication runs (SHOW wal_sender_timeout, the
// confirmed_flush_lsn SELECT, START_REPLICATION), and records every
// CopyData the client sends, so tests can assert on status updates.

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

type fakeServer struct {
	t  testing.TB
	ln net.Listener

	// Script knobs; set before the client connects.
	serverVersion    string                              // server_version parameter ("" = 16.4)
	walSenderTimeout string                              // SHOW wal_sender_timeout answer
	confirmedFlush   string                              // confirmed_flush_lsn answer ("" = NULL)
	copyBothDelay    time.Duration                       // delay before CopyBothResponse
	onQuery          func(fs *fakeServer, q string) bool // true: handled
	onCopyDone       func(fs *fakeServer)                // client CopyDone while streaming; nil = CopyDone, CommandComplete, ReadyForQuery
	answerPings      bool                                // answer a status update asking for a reply with a keepalive, as a walsender does
	keepaliveEnd     lsn.LSN                             // the WAL end those keepalives carry

	wmu sync.Mutex
	nc  net.Conn

	mu             sync.Mutex
	updates        []codec.StandbyStatusUpdate
	updateTimes    []time.Time
	queries        []string
	otherCopyData  [][]byte
	clientCopyDone bool
	sawSSLRequest  bool
	params         map[string]string
	streaming      bool
	started        chan struct{} // closed after CopyBothResponse
	done           chan struct{} // serve returned
}

func newFakeServer(t testing.TB) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	fs := &fakeServer{
		t: t, ln: ln,
		walSenderTimeout: "60s",
		confirmedFlush:   "0/1000",
		params:           map[string]string{},
		started:          make(chan struct{}),
		done:             make(chan struct{}),
	}
	go fs.serve()
	t.Cleanup(fs.close)
	return fs
}

func (fs *fakeServer) close() {
	fs.ln.Close()
	fs.wmu.Lock()
	if fs.nc != nil {
		fs.nc.Close()
	}
	fs.wmu.Unlock()
	select {
	case <-fs.done:
	case <-time.After(5 * time.Second):
		fs.t.Errorf("fake server did not stop")
	}
}

func (fs *fakeServer) config() *Config {
	port := fs.ln.Addr().(*net.TCPAddr).Port
	return &Config{
		Host: "127.0.0.1", Port: uint16(port), User: "repl", Database: "app",
		SSLMode: SSLPrefer, Replication: ReplicationLogical,
		RuntimeParams: map[string]string{},
	}
}

// connect opens a client Conn to the fake server.
func (fs *fakeServer) connect(t testing.TB, cfg *Config) *Conn {
	t.Helper()
	if cfg == nil {
		cfg = fs.config()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Connect(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// fakeStream connects and starts logical replication on slot "s1".
func fakeStream(t testing.TB, setup func(fs *fakeServer, cfg *Config)) (*fakeServer, *Conn, *Stream) {
	t.Helper()
	fs := newFakeServer(t)
	cfg := fs.config()
	if setup != nil {
		setup(fs, cfg)
	}
	c := fs.connect(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := c.StartReplication(ctx, "s1", 0, LogicalOptions{Publications: []string{"pub"}, Streaming: codec.StreamingOn})
	if err != nil {
		t.Fatalf("StartReplication: %v", err)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer ccancel()
		s.Close(cctx)
	})
	return fs, c, s
}

func (fs *fakeServer) serve() {
	defer close(fs.done)
	nc, err := fs.ln.Accept()
	if err != nil {
		return
	}
	fs.wmu.Lock()
	fs.nc = nc
	fs.wmu.Unlock()
	defer nc.Close()
	if err := fs.startup(nc); err != nil {
		return
	}
	dec := codec.NewDecoder(codec.Options{})
	hdr := make([]byte, 5)
	for {
		if _, err := io.ReadFull(nc, hdr); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(hdr[1:]))
		if n < 4 || n > 1<<20 {
			fs.t.Errorf("fake server: client message %q with length %d", hdr[0], n)
			return
		}
		body := make([]byte, n-4)
		if _, err := io.ReadFull(nc, body); err != nil {
			return
		}
		switch hdr[0] {
		case 'Q':
			q := string(trimNUL(body))
			fs.mu.Lock()
			fs.queries = append(fs.queries, q)
			fs.mu.Unlock()
			if fs.onQuery != nil && fs.onQuery(fs, q) {
				continue
			}
			fs.answer(q)
		case 'd':
			m, err := dec.DecodeClientCopyData(body)
			fs.mu.Lock()
			ping := false
			if u, ok := m.(*codec.StandbyStatusUpdate); ok && err == nil {
				fs.updates = append(fs.updates, *u)
				fs.updateTimes = append(fs.updateTimes, time.Now())
				ping = u.ReplyRequested && fs.answerPings
			} else {
				fs.otherCopyData = append(fs.otherCopyData, body)
			}
			end := fs.keepaliveEnd
			fs.mu.Unlock()
			if ping {
				fs.send(fsKeepalive(end, false))
			}
		case 'c':
			fs.mu.Lock()
			fs.clientCopyDone = true
			fs.streaming = false
			fs.mu.Unlock()
			if fs.onCopyDone != nil {
				fs.onCopyDone(fs)
			} else {
				fs.send(fsCopyDone(), fsCommandComplete("START_REPLICATION"), fsReady())
			}
		case 'X':
			return
		default:
			fs.t.Errorf("fake server: unexpected client message %q", hdr[0])
			return
		}
	}
}

func (fs *fakeServer) startup(nc net.Conn) error {
	for {
		var h [8]byte
		if _, err := io.ReadFull(nc, h[:]); err != nil {
			return err
		}
		n := int(binary.BigEndian.Uint32(h[:]))
		code := binary.BigEndian.Uint32(h[4:])
		if code == sslRequestCode {
			fs.mu.Lock()
			fs.sawSSLRequest = true
			fs.mu.Unlock()
			if _, err := nc.Write([]byte{'N'}); err != nil {
				return err
			}
			continue
		}
		if code != protocolVersion30 || n < 8 || n > 10000 {
			return errors.New("bad startup packet")
		}
		rest := make([]byte, n-8)
		if _, err := io.ReadFull(nc, rest); err != nil {
			return err
		}
		parts := strings.Split(string(rest), "\x00")
		fs.mu.Lock()
		for i := 0; i+1 < len(parts); i += 2 {
			if parts[i] != "" {
				fs.params[parts[i]] = parts[i+1]
			}
		}
		fs.mu.Unlock()
		break
	}
	key := binary.BigEndian.AppendUint32(nil, 4242)
	key = binary.BigEndian.AppendUint32(key, 0xdeadbeef)
	version := fs.serverVersion
	if version == "" {
		version = "16.4"
	}
	fs.send(
		fsMsg('R', binary.BigEndian.AppendUint32(nil, 0)),
		fsParam("server_version", version),
		fsParam("server_encoding", "UTF8"),
		fsMsg('K', key),
		fsReady(),
	)
	return nil
}

func (fs *fakeServer) answer(q string) {
	switch {
	case q == "SHOW wal_sender_timeout":
		fs.send(fsRowResult("wal_sender_timeout", fs.walSenderTimeout, "SHOW")...)
	case strings.HasPrefix(q, "SHOW "):
		fs.send(fsRowResult(strings.TrimPrefix(q, "SHOW "), "x", "SHOW")...)
	case strings.HasPrefix(q, "SELECT confirmed_flush_lsn"):
		fs.send(fsRowResult("confirmed_flush_lsn", fs.confirmedFlush, "SELECT 1")...)
	case strings.HasPrefix(q, "START_REPLICATION"):
		if fs.copyBothDelay > 0 {
			time.Sleep(fs.copyBothDelay)
		}
		fs.mu.Lock()
		fs.streaming = true
		fs.mu.Unlock()
		fs.send(fsMsg('W', []byte{0, 0, 0}))
		select {
		case <-fs.started:
		default:
			close(fs.started)
		}
	default:
		fs.send(fsRowResult("?column?", "1", "SELECT 1")...)
	}
}

// send writes messages as one write.
func (fs *fakeServer) send(msgs ...[]byte) {
	var b []byte
	for _, m := range msgs {
		b = append(b, m...)
	}
	fs.sendRaw(b)
}

func (fs *fakeServer) sendRaw(b []byte) {
	fs.wmu.Lock()
	defer fs.wmu.Unlock()
	if fs.nc == nil {
		return
	}
	fs.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	fs.nc.Write(b)
}

// hangUp closes the server's side of the connection.
func (fs *fakeServer) hangUp() {
	fs.wmu.Lock()
	defer fs.wmu.Unlock()
	if fs.nc != nil {
		fs.nc.Close()
	}
}

func (fs *fakeServer) statusUpdates() []codec.StandbyStatusUpdate {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]codec.StandbyStatusUpdate(nil), fs.updates...)
}

func (fs *fakeServer) queryLog() []string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]string(nil), fs.queries...)
}

// waitUpdate waits for a status update (after the first skip ones) that
// satisfies ok.
func (fs *fakeServer) waitUpdate(skip int, timeout time.Duration, ok func(u codec.StandbyStatusUpdate) bool) (codec.StandbyStatusUpdate, bool) {
	deadline := time.Now().Add(timeout)
	for {
		us := fs.statusUpdates()
		for i := skip; i < len(us); i++ {
			if ok(us[i]) {
				return us[i], true
			}
		}
		if time.Now().After(deadline) {
			return codec.StandbyStatusUpdate{}, false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// checkMonotonic asserts that write, flush and apply never went backwards.
func (fs *fakeServer) checkMonotonic(t testing.TB) {
	t.Helper()
	us := fs.statusUpdates()
	for i := 1; i < len(us); i++ {
		p, q := us[i-1], us[i]
		if q.Write < p.Write || q.Flush < p.Flush || q.Apply < p.Apply {
			t.Errorf("status update %d went backwards: write %v→%v flush %v→%v apply %v→%v",
				i, p.Write, q.Write, p.Flush, q.Flush, p.Apply, q.Apply)
			return
		}
	}
}

// Backend message builders.

func fsMsg(typ byte, body []byte) []byte {
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(4+len(body)))
	return append(b, body...)
}

func fsParam(k, v string) []byte {
	return fsMsg('S', []byte(k+"\x00"+v+"\x00"))
}

func fsReady() []byte { return fsMsg('Z', []byte{'I'}) }

func fsCopyDone() []byte { return fsMsg('c', nil) }

func fsCommandComplete(tag string) []byte { return fsMsg('C', []byte(tag+"\x00")) }

// fsRowResult is RowDescription, DataRow, CommandComplete, ReadyForQuery
// for one text column (val "" is NULL).
func fsRowResult(col, val, tag string) [][]byte {
	var rd []byte
	rd = binary.BigEndian.AppendUint16(rd, 1)
	rd = append(rd, col...)
	rd = append(rd, 0)
	rd = binary.BigEndian.AppendUint32(rd, 0)  // table OID
	rd = binary.BigEndian.AppendUint16(rd, 0)  // attnum
	rd = binary.BigEndian.AppendUint32(rd, 25) // text
	rd = binary.BigEndian.AppendUint16(rd, 0xffff)
	rd = binary.BigEndian.AppendUint32(rd, 0xffffffff)
	rd = binary.BigEndian.AppendUint16(rd, 0)
	var dr []byte
	dr = binary.BigEndian.AppendUint16(dr, 1)
	if val == "" {
		dr = binary.BigEndian.AppendUint32(dr, 0xffffffff)
	} else {
		dr = binary.BigEndian.AppendUint32(dr, uint32(len(val)))
		dr = append(dr, val...)
	}
	return [][]byte{fsMsg('T', rd), fsMsg('D', dr), fsCommandComplete(tag), fsReady()}
}

// fsErrorFields builds an ErrorResponse ('E') or NoticeResponse ('N').
func fsErrorFields(typ byte, severity, code, msg string) []byte {
	var b []byte
	for _, f := range []struct {
		c byte
		v string
	}{{'S', severity}, {'V', severity}, {'C', code}, {'M', msg}} {
		b = append(b, f.c)
		b = append(b, f.v...)
		b = append(b, 0)
	}
	return fsMsg(typ, append(b, 0))
}

func fsCopyData(payload []byte) []byte { return fsMsg('d', payload) }

// fsXLog wraps a pgoutput message in XLogData at walStart.
func fsXLog(walStart lsn.LSN, m codec.Message) []byte {
	b := codec.AppendXLogDataHeader(nil, walStart, walStart, lsn.TimestampOf(time.Now()))
	return fsCopyData(codec.AppendMessage(b, m))
}

// fsXLogRaw wraps an arbitrary payload in XLogData at walStart.
func fsXLogRaw(walStart lsn.LSN, payload []byte) []byte {
	b := codec.AppendXLogDataHeader(nil, walStart, walStart, lsn.TimestampOf(time.Now()))
	return fsCopyData(append(b, payload...))
}

func fsKeepalive(walEnd lsn.LSN, reply bool) []byte {
	return fsCopyData(codec.AppendPrimaryKeepalive(nil, &codec.PrimaryKeepalive{
		WALEnd: walEnd, ServerTime: lsn.TimestampOf(time.Now()), ReplyRequested: reply,
	}))
}

func fsInsert(rel uint32, val string) *codec.Insert {
	return &codec.Insert{RelationID: rel, New: codec.Tuple{{Kind: codec.ColumnText, Data: []byte(val)}}}
}

// fsTxn is Begin, one Insert and Commit for a transaction whose commit
// record ends at end (the Commit's XLogData is at end, as PostgreSQL sends
// it).
func fsTxn(xid uint32, begin, end lsn.LSN) [][]byte {
	return [][]byte{
		fsXLog(begin, &codec.Begin{FinalLSN: end - 8, Xid: xid}),
		fsXLog(begin+8, fsInsert(16384, "v")),
		fsXLog(end, &codec.Commit{CommitLSN: end - 8, EndLSN: end}),
	}
}

// TestFakeServerSession checks the fake server itself: start-up with an
// SSLRequest, the queries StartReplication runs, a scripted transaction and
// a clean Close.
func TestFakeServerSession(t *testing.T) {
	fs, c, s := fakeStream(t, nil)
	if !fs.sawSSLRequest {
		t.Errorf("no SSLRequest with sslmode=prefer")
	}
	if c.ServerVersionNum() != 160004 || c.PID() != 4242 {
		t.Errorf("version %d pid %d", c.ServerVersionNum(), c.PID())
	}
	fs.mu.Lock()
	if fs.params["replication"] != "database" || fs.params["user"] != "repl" {
		t.Errorf("startup params %v", fs.params)
	}
	fs.mu.Unlock()
	qs := fs.queryLog()
	if len(qs) != 3 || qs[0] != "SHOW wal_sender_timeout" || !strings.Contains(qs[1], "confirmed_flush_lsn") ||
		!strings.HasPrefix(qs[2], "START_REPLICATION SLOT s1 LOGICAL 0/0 (") {
		t.Fatalf("queries %q", qs)
	}
	fs.send(fsTxn(7, 0x20000, 0x20100)...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []string
	for i := 0; i < 3; i++ {
		m, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		got = append(got, m.MessageType().String())
		if pos, ok := AckPosition(m, s.WALStart()); ok {
			s.Ack(pos)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	us := fs.statusUpdates()
	if len(us) == 0 || us[len(us)-1].Flush != 0x20100 {
		t.Errorf("messages %v; final status %+v", got, us)
	}
	fs.checkMonotonic(t)
	if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
		t.Errorf("Exec after Close: %v", err)
	}
}
