package wire

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"strconv"
	"strings"
	"time"
)

// ErrTargetSessionAttrs: the server is not what Config.TargetSessionAttrs
// asks for (e.g. a standby when read-write is wanted).
var ErrTargetSessionAttrs = errors.New("wire: server does not match target_session_attrs")

// HostError is the failure of one server of a multi-host Connect.
type HostError struct {
	Host string // the server as the connection string names it: host:port, or host (hostaddr):port
	Err  error
}

func (e *HostError) Error() string {
	return e.Host + ": " + strings.TrimPrefix(e.Err.Error(), "wire: ")
}
func (e *HostError) Unwrap() error { return e.Err }

// ConnectError is the error of a Connect that tried several servers (or
// one twice, for prefer-standby) and failed on all: every attempt in order.
// errors.Is and errors.As see each attempt's error.
type ConnectError struct {
	Attempts []*HostError
}

func (e *ConnectError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wire: connection failed after %d attempts", len(e.Attempts))
	for i, a := range e.Attempts {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(a.Error())
	}
	return b.String()
}

func (e *ConnectError) Unwrap() []error {
	errs := make([]error, len(e.Attempts))
	for i, a := range e.Attempts {
		errs[i] = a
	}
	return errs
}

// Connect dials the servers cfg names (Host, then each of Fallbacks, in
// random order with LoadBalanceHosts) and starts a session on the first
// that accepts it and matches TargetSessionAttrs. ConnectTimeout applies to
// each attempt, ctx to the whole. With one server the error is that
// server's; with several it is a *ConnectError naming each.
//
// TargetSessionAttrs is checked as libpq does: from the
// default_transaction_read_only and in_hot_standby parameters the server
// reports at startup (PostgreSQL 14+), else with SHOW
// transaction_read_only or SELECT pg_is_in_recovery() (the latter is not
// possible on a physical replication connection). prefer-standby tries
// every server for a standby first, then every server again for any.
//
// Sockets get TCP keepalives and TCP_USER_TIMEOUT as Config says.
func Connect(ctx context.Context, cfg *Config) (*Conn, error) {
	eps := cfg.endpoints()
	if cfg.LoadBalanceHosts && len(eps) > 1 {
		rand.Shuffle(len(eps), func(i, j int) { eps[i], eps[j] = eps[j], eps[i] })
	}
	passes := []TargetSessionAttrs{cfg.TargetSessionAttrs}
	if cfg.TargetSessionAttrs == TargetPreferStandby {
		passes = []TargetSessionAttrs{TargetStandby, TargetAny}
	}
	var attempts []*HostError
tries:
	for _, want := range passes {
		for _, ep := range eps {
			c, err := connectOne(ctx, cfg, ep, want)
			if err == nil {
				return c, nil
			}
			attempts = append(attempts, &HostError{Host: ep.String(), Err: err})
			if ctx.Err() != nil {
				break tries
			}
		}
	}
	if len(attempts) == 1 {
		return nil, attempts[0].Err
	}
	return nil, &ConnectError{Attempts: attempts}
}

// String is host:port, or host (hostaddr):port.
func (ep Endpoint) String() string {
	port := ep.Port
	if port == 0 {
		port = 5432
	}
	h := ep.Host
	if h == "" {
		h = "localhost"
	}
	if strings.IndexByte(h, ':') >= 0 {
		h = "[" + h + "]"
	}
	if ep.HostAddr != "" && ep.HostAddr != ep.Host {
		h += " (" + ep.HostAddr + ")"
	}
	return h + ":" + strconv.Itoa(int(port))
}

// connectOne connects to one server of cfg.
func connectOne(ctx context.Context, cfg *Config, ep Endpoint, want TargetSessionAttrs) (*Conn, error) {
	hc := *cfg
	hc.Host, hc.HostAddr, hc.Port, hc.Fallbacks = ep.Host, ep.HostAddr, ep.Port, nil
	if hc.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, hc.ConnectTimeout)
		defer cancel()
	}
	network, addr := hc.Network()
	nc, err := newDialer(&hc).DialContext(ctx, network, addr)
	if err != nil {
		return nil, dialError(network, addr, err)
	}
	c, err := NewConn(ctx, nc, &hc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	if err := c.checkTarget(ctx, want); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// dialError wraps a dial error once: a *net.OpError already says
// "dial tcp host:port: ...".
func dialError(network, addr string, err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return fmt.Errorf("wire: %w", err)
	}
	return fmt.Errorf("wire: dial %s %s: %w", network, addr, err)
}

// newDialer returns the dialer for cfg's sockets: keepalives and
// TCP_USER_TIMEOUT (see tcpOptions).
func newDialer(cfg *Config) *net.Dialer {
	o := tcpOptionsFor(cfg)
	d := &net.Dialer{KeepAlive: o.goKeepAlive()}
	if o.needsControl() {
		d.Control = o.control
	}
	return d
}

// tcpOptions are the socket options of one dial.
type tcpOptions struct {
	keepalives     bool
	idle, interval time.Duration
	count          int
	userTimeout    time.Duration // 0 = leave the OS default
}

func tcpOptionsFor(cfg *Config) tcpOptions {
	o := tcpOptions{
		keepalives: !cfg.KeepalivesOff,
		idle:       cfg.KeepalivesIdle,
		interval:   cfg.KeepalivesInterval,
		count:      cfg.KeepalivesCount,
	}
	if o.idle <= 0 {
		o.idle = DefaultKeepalivesIdle
	}
	if o.interval <= 0 {
		o.interval = DefaultKeepalivesInterval
	}
	switch {
	case cfg.TCPUserTimeout == 0:
		o.userTimeout = DefaultTCPUserTimeout
	case cfg.TCPUserTimeout > 0:
		o.userTimeout = cfg.TCPUserTimeout
	}
	return o
}

// checkTarget checks the session against target_session_attrs want.
func (c *Conn) checkTarget(ctx context.Context, want TargetSessionAttrs) error {
	if want == "" || want == TargetAny {
		return nil
	}
	var readOnly, standby bool
	var err error
	switch want {
	case TargetReadWrite, TargetReadOnly:
		readOnly, err = c.isReadOnly(ctx)
	default:
		standby, err = c.isStandby(ctx)
	}
	if err != nil {
		return fmt.Errorf("wire: checking target_session_attrs=%s: %w", want, err)
	}
	bad := ""
	switch want {
	case TargetReadWrite:
		if readOnly {
			bad = "the server is read-only"
		}
	case TargetReadOnly:
		if !readOnly {
			bad = "the server is not read-only"
		}
	case TargetPrimary:
		if standby {
			bad = "the server is a standby (in hot standby)"
		}
	case TargetStandby:
		if !standby {
			bad = "the server is not a standby"
		}
	}
	if bad != "" {
		return fmt.Errorf("%w %s: %s", ErrTargetSessionAttrs, want, bad)
	}
	return nil
}

// isReadOnly: default_transaction_read_only or in hot standby.
func (c *Conn) isReadOnly(ctx context.Context) (bool, error) {
	dtro, ok1 := c.params["default_transaction_read_only"]
	hs, ok2 := c.params["in_hot_standby"]
	if ok1 && ok2 {
		return dtro == "on" || hs == "on", nil
	}
	return c.queryBool(ctx, "SHOW transaction_read_only", "transaction_read_only")
}

// isStandby: in hot standby (recovery).
func (c *Conn) isStandby(ctx context.Context) (bool, error) {
	if hs, ok := c.params["in_hot_standby"]; ok {
		return hs == "on", nil
	}
	if c.cfg.Replication == ReplicationPhysical {
		return false, errors.New("the server does not report in_hot_standby (before PostgreSQL 14) and a physical replication connection cannot run SELECT pg_is_in_recovery()")
	}
	return c.queryBool(ctx, "SELECT pg_catalog.pg_is_in_recovery()", "pg_is_in_recovery")
}

func (c *Conn) queryBool(ctx context.Context, sql, col string) (bool, error) {
	rs, err := c.Exec(ctx, sql)
	if err != nil {
		return false, err
	}
	if len(rs) == 0 {
		return false, fmt.Errorf("%w: no result for %s", ErrProtocol, sql)
	}
	switch v := rs[0].Value(0, col); v {
	case "on", "t":
		return true, nil
	case "off", "f":
		return false, nil
	default:
		return false, fmt.Errorf("%w: %s returned %q", ErrProtocol, sql, v)
	}
}

// ConnectString parses a postgres:// URL or key=value DSN and connects.
func ConnectString(ctx context.Context, dsn string) (*Conn, error) {
	cfg, err := ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	return Connect(ctx, cfg)
}
