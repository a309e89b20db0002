package wire

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"
)

// NewConn starts a session over an established transport: TLS
// negotiation as cfg.SSLMode asks, the startup message, authentication, and
// the server's parameters up to ReadyForQuery. On error the caller still
// owns nc.
func NewConn(ctx context.Context, nc net.Conn, cfg *Config) (*Conn, error) {
	c := newConn(nc, cfg)
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
		defer nc.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	err := c.startup()
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("wire: startup: %w (%w)", ctx.Err(), err)
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

func (c *Conn) startup() error {
	if err := c.negotiateTLS(); err != nil {
		return err
	}
	c.rd = Framer{r: c.conn, max: c.maxMessageSize()} // over TLS now, if any
	if err := c.write(appendStartup(nil, c.startupParams())); err != nil {
		return err
	}
	if err := c.authenticate(); err != nil {
		return err
	}
	for {
		typ, body, err := c.receive(context.Background(), readOpts{})
		if err != nil {
			return err
		}
		switch typ {
		case msgBackendKeyData:
			if len(body) >= 8 {
				c.pid = binary.BigEndian.Uint32(body)
				c.key = append([]byte(nil), body[4:]...)
			}
		case msgReadyForQuery:
			return nil
		case msgErrorResponse:
			return parseErrorFields(body)
		case msgNegotiateProtocol:
			// The server speaks an older minor version: fine for 3.0.
		default:
			return fmt.Errorf("%w: unexpected message %q during startup", ErrProtocol, typ)
		}
	}
}

// pinned are the settings a session asks for unless the user sets them:
// text values of dates, times, intervals and floats then read the same on
// every server, whatever its configuration. On a replication session an
// empty search_path (as pg_recvlogical sets) makes the text of regclass,
// regtype and other catalog names schema-qualified whatever the role's
// settings, and keeps objects a role can create out of name lookup; SQL
// run on such a session must qualify its names.
var pinned = map[string]string{
	"search_path":        "",
	"client_encoding":    "UTF8",
	"DateStyle":          "ISO",
	"IntervalStyle":      "postgres",
	"extra_float_digits": "3",
	"TimeZone":           "UTC",
}

// optionsSettings returns the names of the settings an options startup
// parameter sets (-c name=value, -cname=value, --name=value), split on
// white space with backslash escapes as the server does; '-' in a name is
// '_'.
func optionsSettings(options string) []string {
	var words []string
	var w strings.Builder
	esc, in := false, false
	for _, r := range options {
		switch {
		case esc:
			w.WriteRune(r)
			esc, in = false, true
		case r == '\\':
			esc = true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	var names []string
	for i := 0; i < len(words); i++ {
		var set string
		switch wd := words[i]; {
		case wd == "-c" && i+1 < len(words):
			i++
			set = words[i]
		case strings.HasPrefix(wd, "--"):
			set = wd[2:]
		case strings.HasPrefix(wd, "-c"):
			set = wd[2:]
		default:
			continue
		}
		if name, _, ok := strings.Cut(set, "="); ok {
			names = append(names, strings.ReplaceAll(name, "-", "_"))
		}
	}
	return names
}

// startupParams pins the settings that make text values predictable; the
// user's RuntimeParams (which ParseConfig also fills from PGDATESTYLE, PGTZ,
// PGGEQO, PGOPTIONS and PGCLIENTENCODING) override them.
func (c *Conn) startupParams() [][2]string {
	p := map[string]string{}
	for k, v := range pinned {
		p[k] = v
	}
	if c.cfg.Replication == ReplicationOff {
		// An SQL session keeps the role's search_path: its queries name
		// tables as the user wrote them.
		delete(p, "search_path")
	}
	unpin := func(name string) {
		// Server parameter names are case-insensitive: the user's
		// "datestyle" replaces the pinned "DateStyle" rather than being
		// sent as well.
		for pk := range pinned {
			if strings.EqualFold(pk, name) {
				delete(p, pk)
			}
		}
	}
	for k, v := range c.cfg.RuntimeParams {
		unpin(k)
		if strings.EqualFold(k, "options") {
			// The server applies options first and the startup
			// parameters after, so a pin would silently win over the
			// user's -c setting: leave the setting to options.
			for _, name := range optionsSettings(v) {
				unpin(name)
			}
		}
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
