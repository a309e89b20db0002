package wiretest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// A Server is a fake walsender replaying a Recording on a loopback port.
// Create it with NewServer (in a test) or Start; it accepts any number of
// connections until Close.
type Server struct {
	rec *Recording
	cfg config
	ln  net.Listener
	wg  sync.WaitGroup

	closeOnce sync.Once

	mu        sync.Mutex
	conns     map[*conn]struct{}
	closed    bool
	updates   []codec.StandbyStatusUpdate
	queries   []string
	problems  []error // protocol violations by clients
	sessions  int     // START_REPLICATION sessions so far
	confirmed lsn.LSN // the slot's confirmed position: the highest flush reported
	streaming *conn   // the connection streaming now, if any
	changed   chan struct{}
}

// Option configures a Server.
type Option func(*config)

type config struct {
	serverVersion     string
	walSenderTimeout  time.Duration
	keepaliveInterval time.Duration
	confirmed         lsn.LSN
	faults            []fault
	query             func(q string) (*Result, error)
}

// ServerVersion sets the server_version the server reports (default: the
// capture header's server_version, else "18.0"). It decides which
// protocol versions and options a wire client will ask for.
func ServerVersion(v string) Option { return func(c *config) { c.serverVersion = v } }

// WALSenderTimeout sets the answer to SHOW wal_sender_timeout (default
// 60s); a wire client sends status updates three times per timeout.
func WALSenderTimeout(d time.Duration) Option { return func(c *config) { c.walSenderTimeout = d } }

// KeepaliveInterval sets how often the server sends a keepalive once the
// recording has been sent (default 1s; one is also sent at once when the
// replay ends). Keepalives in the recording are replayed where they are.
func KeepaliveInterval(d time.Duration) Option { return func(c *config) { c.keepaliveInterval = d } }

// ConfirmedFlush sets the slot's confirmed position at the start (default
// 0/0). A session resumes at the later of it and the START_REPLICATION
// position, skipping the records that are done (see Server).
func ConfirmedFlush(pos lsn.LSN) Option { return func(c *config) { c.confirmed = pos } }

// HandleQuery lets a test answer queries the server does not know, or
// override those it does. fn returns nil, nil to leave a query to the
// server; an error is sent as an ErrorResponse (SQLSTATE XX000 unless it
// is an *Error).
func HandleQuery(fn func(query string) (*Result, error)) Option {
	return func(c *config) { c.query = fn }
}

// Result is a text result set to answer a query with.
type Result struct {
	Columns []string
	Rows    [][]string // text values, one per column
	Tag     string     // CommandComplete tag; "" = "SELECT <rows>"
}

// Error is an error the server reports with an ErrorResponse.
type Error struct {
	Severity string // ERROR (default) or FATAL; FATAL closes the connection
	Code     string // SQLSTATE
	Message  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (SQLSTATE %s)", e.Severity, e.Message, e.Code)
}

// Faults. Each option scripts one replication session: the first fault
// option given applies to the first START_REPLICATION, the second to the
// second, and so on; later sessions replay cleanly. After is a number of
// recorded CopyData messages sent in that session (keepalives included);
// when the session has fewer to send, the fault comes after the last.

type faultKind int

const (
	faultHangUp faultKind = iota + 1
	faultReset
	faultStall
	faultError
	faultShutdown
)

type fault struct {
	kind  faultKind
	after int
	err   Error
}

func addFault(f fault) Option { return func(c *config) { c.faults = append(c.faults, f) } }

// HangUpAfter closes the connection (a TCP FIN) after n messages, as a
// walsender does when wal_sender_timeout expires: the client sees EOF.
func HangUpAfter(n int) Option { return addFault(fault{kind: faultHangUp, after: n}) }

// ResetAfter aborts the connection (a TCP RST) after n messages.
func ResetAfter(n int) Option { return addFault(fault{kind: faultReset, after: n}) }

// StallAfter stops sending after n messages and keeps the connection
// open, still reading (and recording) what the client sends: a black hole.
func StallAfter(n int) Option { return addFault(fault{kind: faultStall, after: n}) }

// ErrorAfter sends an ErrorResponse with SQLSTATE code after n messages.
// Codes of class 57P (operator intervention, e.g. 57P01 terminated by
// administrator) are FATAL and close the connection; others are ERROR,
// followed by ReadyForQuery as a walsender does.
func ErrorAfter(n int, code, message string) Option {
	sev := "ERROR"
	if strings.HasPrefix(code, "57P") {
		sev = "FATAL"
	}
	return addFault(fault{kind: faultError, after: n, err: Error{Severity: sev, Code: code, Message: message}})
}

// ShutdownAfter ends the stream after n messages the way a walsender does
// when the server shuts down: CommandComplete without CopyDone, then the
// connection closes.
func ShutdownAfter(n int) Option { return addFault(fault{kind: faultShutdown, after: n}) }

// NewServer loads the capture file name and starts a Server replaying it;
// the test fails if that fails. Close runs at the end of the test, and
// then the test fails if a client broke the protocol.
func NewServer(t testing.TB, name string, opts ...Option) *Server {
	t.Helper()
	rec, err := LoadFile(name)
	if err != nil {
		t.Fatalf("wiretest: %v", err)
	}
	return NewServerRecording(t, rec, opts...)
}

// NewServerRecording is NewServer for a Recording already loaded.
func NewServerRecording(t testing.TB, rec *Recording, opts ...Option) *Server {
	t.Helper()
	s, err := Start(rec, opts...)
	if err != nil {
		t.Fatalf("wiretest: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		if err := s.Err(); err != nil {
			t.Errorf("wiretest: %v", err)
		}
	})
	return s
}

// Start starts a Server replaying rec on a loopback port. Call Close when
// done.
func Start(rec *Recording, opts ...Option) (*Server, error) {
	cfg := config{walSenderTimeout: 60 * time.Second, keepaliveInterval: time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.serverVersion == "" {
		cfg.serverVersion = rec.Header.ServerVersion()
	}
	if cfg.serverVersion == "" {
		cfg.serverVersion = "18.0"
	}
	if cfg.keepaliveInterval <= 0 {
		cfg.keepaliveInterval = time.Second
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("wiretest: listen: %w", err)
	}
	s := &Server{rec: rec, cfg: cfg, ln: ln, conns: map[*conn]struct{}{}, confirmed: cfg.confirmed, changed: make(chan struct{})}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// DSN returns a connection string for a logical replication session with
// the server (sslmode=prefer: the server declines TLS).
func (s *Server) DSN() string {
	return "postgres://replay@" + s.Addr() + "/replay?replication=database&sslmode=prefer"
}

// Recording returns what the server replays.
func (s *Server) Recording() *Recording { return s.rec }

// StatusUpdates returns every standby status update clients have sent, in
// the order they arrived, over all sessions.
func (s *Server) StatusUpdates() []codec.StandbyStatusUpdate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]codec.StandbyStatusUpdate(nil), s.updates...)
}

// WaitStatus waits until a status update satisfying ok has arrived (one
// that arrived earlier counts) and returns it, or returns ctx's error.
func (s *Server) WaitStatus(ctx context.Context, ok func(codec.StandbyStatusUpdate) bool) (codec.StandbyStatusUpdate, error) {
	for {
		s.mu.Lock()
		for _, u := range s.updates {
			if ok(u) {
				s.mu.Unlock()
				return u, nil
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return codec.StandbyStatusUpdate{}, ctx.Err()
		}
	}
}

// Confirmed returns the slot's confirmed position: the highest flush
// position a client has reported (or ConfirmedFlush's).
func (s *Server) Confirmed() lsn.LSN {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.confirmed
}

// Queries returns every query clients have sent, in order.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

// Sessions returns how many replication sessions have started.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// ErrNotStreaming: SendKeepalive found no replication session.
var ErrNotStreaming = errors.New("wiretest: no replication session is streaming")

// SendKeepalive sends a keepalive at the current position to the session
// that is streaming; with replyRequested the client must answer at once.
func (s *Server) SendKeepalive(replyRequested bool) error {
	s.mu.Lock()
	c := s.streaming
	s.mu.Unlock()
	if c == nil {
		return ErrNotStreaming
	}
	return c.keepalive(replyRequested)
}

// Err reports the protocol violations clients committed (unexpected
// messages, malformed status updates), nil if none.
func (s *Server) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.problems...)
}

// Close stops the server: it closes the listener and every connection and
// waits for all of its goroutines.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.ln.Close()
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return nil
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		c := &conn{s: s, nc: nc, rd: frontendReader{r: nc}}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go c.serve()
	}
}

func (s *Server) problem(err error) {
	s.mu.Lock()
	s.problems = append(s.problems, err)
	s.mu.Unlock()
}

func (s *Server) addQuery(q string) {
	s.mu.Lock()
	s.queries = append(s.queries, q)
	s.mu.Unlock()
}

func (s *Server) addUpdate(u codec.StandbyStatusUpdate) {
	s.mu.Lock()
	s.updates = append(s.updates, u)
	s.confirmed = max(s.confirmed, u.Flush)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// serverVersionNum turns "18.4" or "16beta1" into 180004 or 160000.
func serverVersionNum(v string) int {
	i := 0
	for i < len(v) && '0' <= v[i] && v[i] <= '9' {
		i++
	}
	major, _ := strconv.Atoi(v[:i])
	minor := 0
	if i < len(v) && v[i] == '.' {
		j := i + 1
		for j < len(v) && '0' <= v[j] && v[j] <= '9' {
			j++
		}
		minor, _ = strconv.Atoi(v[i+1 : j])
	}
	if major < 10 {
		return major * 10000
	}
	return major*10000 + minor
}
