package wire

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Conn is one PostgreSQL session over a net.Conn: started up and
// authenticated, ready for simple queries and replication commands.
//
// A Conn runs one command at a time. During streaming the Stream owns it;
// its writes (status updates) and reads never share a deadline.
type Conn struct {
	conn   net.Conn // the transport; a *tls.Conn after TLS negotiation
	cfg    Config
	rd     msgReader
	tls    bool
	params map[string]string
	pid    uint32
	key    []byte

	wmu sync.Mutex // one writer at a time (commands, status updates)

	mu     sync.Mutex
	broken error // set when the connection can no longer be used
	busy   bool  // a command or stream is running

	logicalStreamed bool // a logical stream has run on this session

	wlk sync.Mutex // guards w: the reader sets it, Close clears it
	w   ctxWatch   // read-side cancellation

	batch *batchConn // the transport when Config.Batching applies, else nil
}

// Connect dials the server cfg names and starts a session.
func Connect(ctx context.Context, cfg *Config) (*Conn, error) {
	if cfg.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.ConnectTimeout)
		defer cancel()
	}
	network, addr := cfg.Network()
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("wire: dial %s %s: %w", network, addr, err)
	}
	c, err := NewConn(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// ConnectString parses a postgres:// URL or key=value DSN and connects.
func ConnectString(ctx context.Context, dsn string) (*Conn, error) {
	cfg, err := ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	return Connect(ctx, cfg)
}

// NewConn starts a session over an established transport: TLS
// negotiation as cfg.SSLMode asks, the startup message, authentication, and
// the server's parameters up to ReadyForQuery. On error the caller still
// owns nc.
func NewConn(ctx context.Context, nc net.Conn, cfg *Config) (*Conn, error) {
	c := &Conn{conn: nc, cfg: *cfg, params: map[string]string{}}
	if b := newBatchConn(nc, cfg.Batching); b != nil {
		c.batch, c.conn = b, b
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
		defer nc.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	err := c.startup()
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("wire: startup: %w (%v)", ctx.Err(), err)
	}
	if err != nil {
		if c.conn != nc {
			// Keep the caller's transport open for them to close.
			c.conn = nc
		}
		return nil, err
	}
	return c, nil
}

func (c *Conn) maxMessageSize() int {
	if c.cfg.MaxMessageSize > 0 {
		return c.cfg.MaxMessageSize
	}
	return DefaultMaxMessageSize
}

func (c *Conn) startup() error {
	if err := c.negotiateTLS(); err != nil {
		return err
	}
	c.rd = msgReader{r: c.conn, max: c.maxMessageSize()}
	if err := c.write(appendStartup(nil, c.startupParams())); err != nil {
		return err
	}
	if err := c.authenticate(); err != nil {
		return err
	}
	for {
		typ, body, err := c.rd.next()
		if err != nil {
			return c.readErr(err)
		}
		switch typ {
		case msgParameterStatus:
			k, v, ok := twoStrings(body)
			if ok {
				c.params[k] = v
			}
		case msgBackendKeyData:
			if len(body) >= 8 {
				c.pid = binary.BigEndian.Uint32(body)
				c.key = append([]byte(nil), body[4:]...)
			}
		case msgReadyForQuery:
			return nil
		case msgErrorResponse:
			return parseErrorFields(body)
		case msgNoticeResponse:
			c.notice(body)
		case msgNegotiateProtocol:
			// The server speaks an older minor version: fine for 3.0.
		default:
			return fmt.Errorf("%w: unexpected message %q during startup", ErrProtocol, typ)
		}
	}
}

// startupParams pins the settings that make text values predictable; the
// user's RuntimeParams override them.
func (c *Conn) startupParams() [][2]string {
	p := map[string]string{
		"client_encoding":    "UTF8",
		"DateStyle":          "ISO",
		"IntervalStyle":      "postgres",
		"extra_float_digits": "3",
		"TimeZone":           "UTC",
	}
	for k, v := range c.cfg.RuntimeParams {
		p[k] = v
	}
	params := [][2]string{{"user", c.cfg.User}}
	if c.cfg.Database != "" {
		params = append(params, [2]string{"database", c.cfg.Database})
	}
	if c.cfg.Replication != ReplicationOff {
		params = append(params, [2]string{"replication", string(c.cfg.Replication)})
	}
	if c.cfg.ApplicationName != "" {
		params = append(params, [2]string{"application_name", c.cfg.ApplicationName})
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		params = append(params, [2]string{k, p[k]})
	}
	return params
}

func (c *Conn) negotiateTLS() error {
	mode := c.cfg.SSLMode
	if mode == "" {
		mode = SSLPrefer
	}
	if mode == SSLDisable || c.conn.LocalAddr().Network() == "unix" {
		if mode == SSLRequire || mode == SSLVerifyCA || mode == SSLVerifyFull {
			if c.conn.LocalAddr().Network() == "unix" {
				return fmt.Errorf("wire: sslmode %s over a Unix socket: the server offers no TLS there", mode)
			}
		}
		return nil
	}
	tc, err := c.tlsConfig(mode)
	if err != nil {
		return err
	}
	if c.cfg.SSLNegotiation == "direct" {
		// PostgreSQL 17+: TLS at once, with ALPN "postgresql".
		tc.NextProtos = []string{"postgresql"}
		return c.handshake(tc)
	}
	if err := c.write(appendSSLRequest(nil)); err != nil {
		return err
	}
	// Read exactly one byte: anything after it must come through TLS
	// (CVE-2021-23222).
	var answer [1]byte
	if _, err := io.ReadFull(c.conn, answer[:]); err != nil {
		return fmt.Errorf("wire: SSLRequest: %w", err)
	}
	switch answer[0] {
	case 'S':
		return c.handshake(tc)
	case 'N':
		if mode == SSLPrefer {
			return nil
		}
		return fmt.Errorf("wire: sslmode %s, but the server does not accept TLS", mode)
	case 'E':
		// An error before TLS is not shown: it cannot be trusted
		// (CVE-2024-10977).
		return fmt.Errorf("%w: the server answered SSLRequest with an error message", ErrProtocol)
	}
	return fmt.Errorf("%w: answer %q to SSLRequest", ErrProtocol, answer[0])
}

func (c *Conn) tlsConfig(mode SSLMode) (*tls.Config, error) {
	if c.cfg.TLSConfig != nil {
		return c.cfg.TLSConfig.Clone(), nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	host, _, _ := net.SplitHostPort(c.conn.RemoteAddr().String())
	if c.cfg.Host != "" && !strings.HasPrefix(c.cfg.Host, "/") && !strings.HasPrefix(c.cfg.Host, "@") {
		host = c.cfg.Host
	}
	tc.ServerName = host
	var roots *x509.CertPool
	if c.cfg.SSLRootCert != "" {
		pem, err := os.ReadFile(c.cfg.SSLRootCert)
		if err != nil {
			return nil, fmt.Errorf("wire: sslrootcert: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("wire: sslrootcert %s: no PEM certificates", c.cfg.SSLRootCert)
		}
		tc.RootCAs = roots
	}
	switch mode {
	case SSLPrefer, SSLRequire:
		// Encryption without authentication of the server, like libpq
		// (unless a root certificate was given: then verify-ca).
		tc.InsecureSkipVerify = true
		if roots != nil {
			tc.VerifyPeerCertificate = verifyChain(roots)
		}
	case SSLVerifyCA:
		tc.InsecureSkipVerify = true // the chain is checked, the name is not
		if roots == nil {
			sys, err := x509.SystemCertPool()
			if err != nil {
				return nil, fmt.Errorf("wire: sslmode verify-ca: %w", err)
			}
			roots = sys
		}
		tc.VerifyPeerCertificate = verifyChain(roots)
	case SSLVerifyFull:
	}
	return tc, nil
}

// verifyChain checks the server's chain against roots, not its name.
func verifyChain(roots *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("wire: server sent no certificate")
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, r := range raw {
			cert, err := x509.ParseCertificate(r)
			if err != nil {
				return err
			}
			certs[i] = cert
		}
		inter := x509.NewCertPool()
		for _, cert := range certs[1:] {
			inter.AddCert(cert)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
		return err
	}
}

func (c *Conn) handshake(tc *tls.Config) error {
	t := tls.Client(c.conn, tc)
	if err := t.Handshake(); err != nil {
		return fmt.Errorf("wire: TLS handshake: %w", err)
	}
	c.conn = t
	c.tls = true
	return nil
}

// authenticate runs the exchange the server asks for.
func (c *Conn) authenticate() error {
	var sc *scramClient
	scramDone := false
	for {
		typ, body, err := c.rd.next()
		if err != nil {
			return c.readErr(err)
		}
		switch typ {
		case msgErrorResponse:
			return parseErrorFields(body)
		case msgNegotiateProtocol:
			continue
		case msgAuthentication:
		default:
			return fmt.Errorf("%w: unexpected message %q during authentication", ErrProtocol, typ)
		}
		if len(body) < 4 {
			return fmt.Errorf("%w: short authentication request", ErrProtocol)
		}
		code, data := binary.BigEndian.Uint32(body), body[4:]
		switch code {
		case 0: // AuthenticationOk
			if sc != nil && !scramDone {
				return fmt.Errorf("%w: server finished SCRAM without proving it knows the password", ErrProtocol)
			}
			return nil
		case 3: // cleartext password
			if c.cfg.Password == "" {
				return errors.New("wire: the server asks for a password and none was given")
			}
			err = c.write(appendPasswordMessage(nil, []byte(c.cfg.Password)))
		case 5: // MD5
			if len(data) != 4 {
				return fmt.Errorf("%w: MD5 request without a 4-byte salt", ErrProtocol)
			}
			if c.cfg.Password == "" {
				return errors.New("wire: the server asks for a password and none was given")
			}
			var salt [4]byte
			copy(salt[:], data)
			err = c.write(appendPasswordMessage(nil, []byte(md5Password(c.cfg.User, c.cfg.Password, salt))))
		case 10: // SASL: the server's mechanisms
			sc, err = c.startSCRAM(data)
		case 11: // SASL continue
			if sc == nil {
				return fmt.Errorf("%w: SASL continue before SASL", ErrProtocol)
			}
			var final []byte
			final, err = sc.clientFinal(data)
			if err == nil {
				err = c.write(appendSASLResponse(nil, final))
			}
		case 12: // SASL final
			if sc == nil {
				return fmt.Errorf("%w: SASL final before SASL", ErrProtocol)
			}
			err = sc.verifyServerFinal(data)
			scramDone = err == nil
		default:
			return fmt.Errorf("wire: authentication method %d is not supported (use trust, password, md5 or scram-sha-256)", code)
		}
		if err != nil {
			return err
		}
	}
}

func (c *Conn) startSCRAM(list []byte) (*scramClient, error) {
	var plus, plain bool
	for len(list) > 0 && list[0] != 0 {
		i := indexNUL(list)
		if i < 0 {
			break
		}
		switch string(list[:i]) {
		case "SCRAM-SHA-256":
			plain = true
		case "SCRAM-SHA-256-PLUS":
			plus = true
		}
		list = list[i+1:]
	}
	if c.cfg.Password == "" {
		return nil, errors.New("wire: the server asks for a password (SCRAM) and none was given")
	}
	var cb []byte
	mech := "SCRAM-SHA-256"
	if plus && c.tls {
		if t, ok := c.conn.(*tls.Conn); ok {
			if certs := t.ConnectionState().PeerCertificates; len(certs) > 0 {
				if data, err := tlsServerEndPoint(certs[0]); err == nil {
					mech, cb = "SCRAM-SHA-256-PLUS", data
				}
			}
		}
	}
	if cb == nil && !plain {
		return nil, errors.New("wire: the server offers no SASL mechanism this client supports")
	}
	sc, err := newSCRAM(mech, c.cfg.Password, cb, c.tls, rand.Reader)
	if err != nil {
		return nil, err
	}
	return sc, c.write(appendSASLInitial(nil, mech, sc.clientFirst()))
}

// write sends b, whole, as one writer.
func (c *Conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.conn.Write(b)
	if err != nil {
		return fmt.Errorf("wire: write: %w", err)
	}
	return nil
}

// writeCtx sends b with a write deadline from ctx. Only the write deadline
// is touched, never the read one.
func (c *Conn) writeCtx(ctx context.Context, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	dl, _ := ctx.Deadline()
	c.conn.SetWriteDeadline(dl)
	_, err := c.conn.Write(b)
	if err != nil {
		if ctxErr := contextCause(ctx, err, dl); ctxErr != nil {
			err = ctxErr
		}
		// Part of a message may have gone out: the session is unusable.
		c.fail(err)
		return fmt.Errorf("wire: write: %w", err)
	}
	return nil
}

// readMsg returns the next backend message, honouring ctx through the read
// deadline only. A message already buffered costs no system call and no
// allocation.
func (c *Conn) readMsg(ctx context.Context) (byte, []byte, error) { return c.read(ctx, false) }

// readStreamMsg is readMsg for a running stream: with Config.Batching on,
// a read waits at most the batching delay for MinBytes, then takes what is
// there.
func (c *Conn) readStreamMsg(ctx context.Context) (byte, []byte, error) { return c.read(ctx, true) }

func (c *Conn) read(ctx context.Context, stream bool) (byte, []byte, error) {
	if c.hasMessage() {
		return c.rd.next()
	}
	b := c.batch
	batched := stream && b != nil && b.on
	if !batched {
		b.stop() // only a running stream batches its reads
	}
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	c.watch(ctx)
	dl, _ := ctx.Deadline()
	rdl := dl
	if batched {
		if wait := time.Now().Add(b.delay); dl.IsZero() || wait.Before(dl) {
			rdl = wait
		}
	}
	err := c.setReadDeadline(ctx, rdl)
	var typ byte
	var body []byte
	if err == nil {
		typ, body, err = c.rd.next()
	}
	if batched && !rdl.Equal(dl) && err != nil && ctx.Err() == nil && errors.Is(err, os.ErrDeadlineExceeded) {
		// Fewer than MinBytes within the delay: take what has arrived,
		// or wait for the next byte.
		b.stop()
		if err = c.setReadDeadline(ctx, dl); err == nil {
			typ, body, err = c.rd.next()
		}
		b.start()
	}
	if err != nil {
		if ctxErr := contextCause(ctx, err, dl); ctxErr != nil {
			// The bytes read so far stay buffered: the next call resumes.
			return 0, nil, ctxErr
		}
		return 0, nil, c.readErr(err)
	}
	return typ, body, nil
}

// setReadDeadline sets the socket's read deadline and reports ctx's error
// if ctx ended meanwhile: its callback's deadline may have been
// overwritten.
func (c *Conn) setReadDeadline(ctx context.Context, t time.Time) error {
	c.conn.SetReadDeadline(t)
	return ctx.Err()
}

// ctxWatch interrupts reads when a context is cancelled. One registration
// serves every read with the same context (same Done channel), so waiting
// for the server allocates nothing per read.
type ctxWatch struct {
	done  <-chan struct{} // the watched context's Done channel
	stop  func() bool
	fired chan struct{} // closed once the callback has run
}

// watch makes sure a cancellation of ctx interrupts the next read.
func (c *Conn) watch(ctx context.Context) {
	done := ctx.Done()
	c.wlk.Lock()
	defer c.wlk.Unlock()
	if done == c.w.done {
		return
	}
	c.unwatchLocked()
	if done == nil {
		return
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.conn.SetReadDeadline(time.Unix(1, 0))
		close(fired)
	})
	c.w = ctxWatch{done: done, stop: stop, fired: fired}
}

// unwatch drops the registration, waiting for a callback already running
// so it cannot move the deadline of a later read.
func (c *Conn) unwatch() {
	c.wlk.Lock()
	defer c.wlk.Unlock()
	c.unwatchLocked()
}

func (c *Conn) unwatchLocked() {
	if c.w.stop != nil && !c.w.stop() {
		<-c.w.fired
	}
	c.w = ctxWatch{}
}

// contextCause returns ctx's error when err came from ctx: cancellation, or
// the socket deadline copied from ctx, which can fire a moment before ctx
// itself reports it.
func contextCause(ctx context.Context, err error, deadline time.Time) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !deadline.IsZero() && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(deadline) {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// hasMessage reports whether a whole message is buffered, so reading it
// needs no system call.
func (c *Conn) hasMessage() bool {
	if c.rd.buffered() < 5 {
		return false
	}
	n := int(binary.BigEndian.Uint32(c.rd.buf[c.rd.start+1:]))
	return n >= 4 && c.rd.buffered() >= 1+n
}

// readErr turns a transport error into what the caller should see, and
// marks the connection broken.
func (c *Conn) readErr(err error) error {
	if errors.Is(err, ErrMessageTooLarge) || errors.Is(err, ErrProtocol) {
		c.fail(err)
		return err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
		err = fmt.Errorf("%w: %v", ErrConnectionLost, err)
	} else {
		err = fmt.Errorf("wire: read: %w", err)
	}
	c.fail(err)
	return err
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && strings.Contains(ne.Err.Error(), "reset")
}

func (c *Conn) fail(err error) {
	c.mu.Lock()
	if c.broken == nil {
		c.broken = err
	}
	c.mu.Unlock()
}

func (c *Conn) notice(body []byte) {
	if c.cfg.OnNotice != nil {
		c.cfg.OnNotice((*Notice)(parseErrorFields(body)))
	}
}

// acquire marks the connection busy for one command.
func (c *Conn) acquire() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return fmt.Errorf("%w: %v", ErrClosed, c.broken)
	}
	if c.busy {
		return errors.New("wire: connection busy: another command or a stream is running")
	}
	c.busy = true
	return nil
}

func (c *Conn) release() {
	c.mu.Lock()
	c.busy = false
	c.mu.Unlock()
}

// ParameterStatus returns a server parameter reported at startup or since
// (server_version, server_encoding, integer_datetimes, …).
func (c *Conn) ParameterStatus(name string) string { return c.params[name] }

// ServerVersionNum returns the server's version number, e.g. 170004, from
// the server_version parameter.
func (c *Conn) ServerVersionNum() int {
	return parseServerVersion(c.params["server_version"])
}

// parseServerVersion turns "17.4", "16.2 (Debian 16.2-1)", "19beta1" or
// "10.23" into 170004, 160002, 190000, 100023.
func parseServerVersion(v string) int {
	end := 0
	for end < len(v) && (v[end] == '.' || '0' <= v[end] && v[end] <= '9') {
		end++
	}
	parts := strings.Split(v[:end], ".")
	major, _ := strconv.Atoi(parts[0])
	minor := 0
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	if major >= 10 {
		return major*10000 + minor
	}
	patch := 0
	if len(parts) > 2 {
		patch, _ = strconv.Atoi(parts[2])
	}
	return major*10000 + minor*100 + patch
}

// PID is the server process ID.
func (c *Conn) PID() uint32 { return c.pid }

// TLS reports whether the session is encrypted.
func (c *Conn) TLS() bool { return c.tls }

// NetConn returns the transport (the *tls.Conn after TLS negotiation).
func (c *Conn) NetConn() net.Conn { return c.conn }

// Close sends Terminate and closes the transport.
func (c *Conn) Close() error {
	c.mu.Lock()
	alreadyBroken := c.broken != nil
	if c.broken == nil {
		c.broken = ErrClosed
	}
	c.mu.Unlock()
	c.unwatch()
	if !alreadyBroken {
		c.wmu.Lock()
		c.conn.SetWriteDeadline(time.Now().Add(time.Second))
		c.conn.Write(appendTerminate(nil))
		c.wmu.Unlock()
	}
	return c.conn.Close()
}

// Result is one statement's outcome of a simple query: its columns, rows
// in text format (NULL as an invalid sql.NullString) and command tag.
type Result struct {
	Columns []string
	Rows    [][]sql.NullString
	Tag     string
}

// Value returns the text of column name in row i, "" when NULL or absent.
func (r *Result) Value(i int, name string) string {
	for j, c := range r.Columns {
		if c == name && i < len(r.Rows) && j < len(r.Rows[i]) {
			return r.Rows[i][j].String
		}
	}
	return ""
}

// Exec runs sql with the simple query protocol and returns one Result per
// statement. It is how replication commands (IDENTIFY_SYSTEM, SHOW, …) and,
// on a replication=database session, plain SQL are sent. A server error
// ends with a *ServerError after the server is ready again.
func (c *Conn) Exec(ctx context.Context, sql string) ([]Result, error) {
	if err := c.acquire(); err != nil {
		return nil, err
	}
	defer c.release()
	if err := c.writeCtx(ctx, appendQuery(nil, sql)); err != nil {
		return nil, err
	}
	return c.readResults(ctx)
}

func (c *Conn) readResults(ctx context.Context) ([]Result, error) {
	var results []Result
	var cur *Result
	var firstErr error
	for {
		typ, body, err := c.readMsg(ctx)
		if err != nil {
			if ctx.Err() != nil {
				// The command is still running on the server; the session
				// cannot be reused safely.
				c.fail(err)
			}
			return nil, err
		}
		switch typ {
		case msgRowDescription:
			results = append(results, Result{})
			cur = &results[len(results)-1]
			cur.Columns, err = parseRowDescription(body)
		case msgDataRow:
			if cur == nil {
				results = append(results, Result{})
				cur = &results[len(results)-1]
			}
			var row []sql.NullString
			row, err = parseDataRow(body)
			cur.Rows = append(cur.Rows, row)
		case msgCommandComplete:
			if cur == nil {
				results = append(results, Result{})
				cur = &results[len(results)-1]
			}
			cur.Tag = string(trimNUL(body))
			cur = nil
		case msgEmptyQuery:
			cur = nil
		case msgErrorResponse:
			if firstErr == nil {
				firstErr = parseErrorFields(body)
			}
		case msgNoticeResponse:
			c.notice(body)
		case msgParameterStatus:
			if k, v, ok := twoStrings(body); ok {
				c.params[k] = v
			}
		case msgNotification:
		case msgReadyForQuery:
			return results, firstErr
		case msgCopyBothResponse, msgCopyOutResponse, msgCopyInResponse:
			err = fmt.Errorf("%w: Exec cannot run a command that starts COPY (use StartReplication)", ErrProtocol)
			c.fail(err)
			return nil, err
		default:
			err = fmt.Errorf("%w: unexpected message %q in a query result", ErrProtocol, typ)
		}
		if err != nil {
			c.fail(err)
			return nil, err
		}
	}
}

func parseRowDescription(body []byte) ([]string, error) {
	if len(body) < 2 {
		return nil, fmt.Errorf("%w: short RowDescription", ErrProtocol)
	}
	n := int(binary.BigEndian.Uint16(body))
	body = body[2:]
	if n > len(body)/19 { // a field takes at least 19 bytes
		return nil, fmt.Errorf("%w: RowDescription with %d fields in %d bytes", ErrProtocol, n, len(body))
	}
	cols := make([]string, n)
	for i := range cols {
		end := indexNUL(body)
		if end < 0 || len(body) < end+19 {
			return nil, fmt.Errorf("%w: malformed RowDescription", ErrProtocol)
		}
		cols[i] = string(body[:end])
		body = body[end+19:]
	}
	return cols, nil
}

func parseDataRow(body []byte) ([]sql.NullString, error) {
	if len(body) < 2 {
		return nil, fmt.Errorf("%w: short DataRow", ErrProtocol)
	}
	n := int(binary.BigEndian.Uint16(body))
	body = body[2:]
	if n > len(body)/4 {
		return nil, fmt.Errorf("%w: DataRow with %d values in %d bytes", ErrProtocol, n, len(body))
	}
	row := make([]sql.NullString, n)
	for i := range row {
		if len(body) < 4 {
			return nil, fmt.Errorf("%w: malformed DataRow", ErrProtocol)
		}
		l := int32(binary.BigEndian.Uint32(body))
		body = body[4:]
		if l < 0 {
			continue
		}
		if int(l) > len(body) {
			return nil, fmt.Errorf("%w: DataRow value longer than the message", ErrProtocol)
		}
		row[i] = sql.NullString{String: string(body[:l]), Valid: true}
		body = body[l:]
	}
	return row, nil
}

func twoStrings(b []byte) (string, string, bool) {
	i := indexNUL(b)
	if i < 0 {
		return "", "", false
	}
	j := indexNUL(b[i+1:])
	if j < 0 {
		return "", "", false
	}
	return string(b[:i]), string(b[i+1 : i+1+j]), true
}

func trimNUL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == 0 {
		return b[:n-1]
	}
	return b
}
