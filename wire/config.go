package wire

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/user"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ReplicationMode is the replication mode of the session: the value of the
// startup parameter "replication".
type ReplicationMode string

const (
	// ReplicationLogical is a logical walsender connected to a database;
	// plain SQL is allowed as well.
	ReplicationLogical ReplicationMode = "database"
	// ReplicationPhysical is a physical walsender.
	ReplicationPhysical ReplicationMode = "true"
	// ReplicationOff is a normal session.
	ReplicationOff ReplicationMode = ""
)

// SSLMode says whether and how TLS is used (libpq's sslmode). libpq's
// "allow" is not supported.
type SSLMode string

const (
	SSLDisable    SSLMode = "disable"     // plain TCP only
	SSLPrefer     SSLMode = "prefer"      // TLS if the server offers it, no verification
	SSLRequire    SSLMode = "require"     // TLS, no certificate verification
	SSLVerifyCA   SSLMode = "verify-ca"   // TLS, chain verified, host name not checked
	SSLVerifyFull SSLMode = "verify-full" // TLS, chain and host name verified
)

// Values of Config.SSLNegotiation.
const (
	// SSLNegotiationPostgres sends an SSLRequest before the TLS handshake.
	SSLNegotiationPostgres = "postgres"
	// SSLNegotiationDirect starts TLS immediately with ALPN "postgresql"
	// (PostgreSQL 17+).
	SSLNegotiationDirect = "direct"
)

// Config is a parsed connection string. ParseConfig fills every field that
// has a default; a hand-built Config may leave Host and Port zero, which
// Network treats as "localhost" and 5432.
type Config struct {
	Host            string        // host name, IP address, or a Unix socket directory (starts with '/'; '@' = Linux abstract namespace)
	Port            uint16        // default 5432
	User            string        // default: $PGUSER, else the OS user name
	Password        string        // default: $PGPASSWORD
	Database        string        // default: the user name
	SSLMode         SSLMode       // default prefer
	SSLRootCert     string        // PEM CA bundle file for verify-ca/verify-full; "" = the system roots
	SSLNegotiation  string        // SSLNegotiationPostgres (default) or SSLNegotiationDirect
	ApplicationName string        // startup parameter application_name
	ConnectTimeout  time.Duration // 0 = none; whole seconds, at least 2 s when > 0 (libpq)
	Replication     ReplicationMode
	// RuntimeParams holds every other key: startup parameters sent to the
	// server verbatim (options, client_encoding, DateStyle, TimeZone, ...).
	// ParseConfig never leaves it nil.
	RuntimeParams map[string]string

	// Not set by ParseConfig (no connection-string keys):
	MaxMessageSize int           // largest backend message accepted; 0 = DefaultMaxMessageSize
	TLSConfig      *tls.Config   // if non-nil, used (cloned) instead of one built from SSLMode/SSLRootCert
	OnNotice       func(*Notice) // called for each NoticeResponse; nil = notices dropped
	// Batching lets a running stream's reads wait a moment for more data,
	// for far fewer wake-ups per message; off when zero. See Batching.
	Batching Batching
	// ReceiveTimeout ends a stream that hears nothing from the server for
	// this long with ErrConnectionLost (ErrReceiveTimeout); status updates
	// that ask for a reply keep a live idle stream talking. 0: the
	// server's wal_sender_timeout (DefaultReceiveTimeout when that is 0);
	// negative: never.
	ReceiveTimeout time.Duration
}

// csKnownKeys are the connection-string keys that map to Config fields,
// with the environment variable consulted when the key is absent.
var csKnownKeys = map[string]string{
	"host":                      "PGHOST",
	"port":                      "PGPORT",
	"user":                      "PGUSER",
	"password":                  "PGPASSWORD",
	"dbname":                    "PGDATABASE",
	"sslmode":                   "PGSSLMODE",
	"sslrootcert":               "PGSSLROOTCERT",
	"sslnegotiation":            "PGSSLNEGOTIATION",
	"application_name":          "PGAPPNAME",
	"fallback_application_name": "",
	"connect_timeout":           "PGCONNECT_TIMEOUT",
	"replication":               "",
}

// csUnsupportedKeys are libpq-only options that this package does not
// implement. They are rejected rather than sent to the server as startup
// parameters.
var csUnsupportedKeys = []string{
	"authtype", "channel_binding", "gssdelegation", "gssencmode", "gsslib",
	"hostaddr", "keepalives", "keepalives_count", "keepalives_idle",
	"keepalives_interval", "krbsrvname", "load_balance_hosts",
	"max_protocol_version", "min_protocol_version", "oauth_client_id",
	"oauth_client_secret", "oauth_issuer", "oauth_scope", "passfile",
	"require_auth", "requirepeer", "requiressl", "scram_client_key",
	"scram_server_key", "service", "servicefile", "ssl",
	"ssl_max_protocol_version", "ssl_min_protocol_version", "sslcert",
	"sslcertmode", "sslcompression", "sslcrl", "sslcrldir", "sslkey",
	"sslkeylogfile", "sslpassword", "sslsni", "target_session_attrs",
	"tcp_user_timeout", "tty",
}

// csOSUser returns the operating system user name ("" if unknown). A
// variable so tests can replace it.
var csOSUser = func() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		name := u.Username
		if runtime.GOOS == "windows" { // DOMAIN\user
			if i := strings.LastIndexByte(name, '\\'); i >= 0 {
				name = name[i+1:]
			}
		}
		return name
	}
	if name := os.Getenv("USER"); name != "" {
		return name
	}
	return os.Getenv("USERNAME")
}

type csParam struct {
	key, val string
	pos      int // byte offset of the key in the connection string
}

func csErr(where, format string, args ...any) error {
	return fmt.Errorf("wire: invalid connection string: %s at %s", fmt.Sprintf(format, args...), where)
}

func csErrPos(pos int, format string, args ...any) error {
	return csErr("position "+strconv.Itoa(pos), format, args...)
}

// ParseConfig parses a libpq connection string, either a URL
// (postgres:// or postgresql://) or key=value pairs, and fills absent
// settings from the environment (PGHOST, PGPORT, PGUSER, PGPASSWORD,
// PGDATABASE, PGSSLMODE, PGSSLROOTCERT, PGSSLNEGOTIATION, PGAPPNAME,
// PGCONNECT_TIMEOUT; an empty variable counts as unset) and then from
// defaults: host "localhost" (never a Unix socket unless asked for), port
// 5432, user = OS user, dbname = user, sslmode prefer, sslnegotiation
// postgres.
//
// A key given with an empty value (a quoted empty value, or ?host= in a
// URL) means the built-in default and suppresses the environment variable;
// an empty URL component (postgres://@:/) counts as absent, as in libpq.
//
// Keys naming Config fields are matched case-insensitively. Unsupported
// libpq options (sslcert, service, target_session_attrs, ...) are an error;
// any other key becomes a RuntimeParams entry. Multiple hosts or ports are
// not supported. sslmode verify-ca/verify-full without sslrootcert verify
// against the system roots. Errors never quote the password.
func ParseConfig(connString string) (*Config, error) {
	var params []csParam
	var err error
	if csIsURL(connString) {
		params, err = csParseURL(connString)
	} else {
		params, err = csParseKeywordValue(connString)
	}
	if err != nil {
		return nil, err
	}

	c := &Config{RuntimeParams: map[string]string{}}
	explicit := map[string]string{}
	for _, p := range params {
		if strings.IndexByte(p.val, 0) >= 0 {
			return nil, csErr(p.key, "NUL byte in value")
		}
		lk := strings.ToLower(p.key)
		if _, ok := csKnownKeys[lk]; ok {
			explicit[lk] = p.val
			continue
		}
		for _, u := range csUnsupportedKeys {
			if lk == u {
				return nil, csErr(p.key, "option %q is not supported", p.key)
			}
		}
		if lk == "database" {
			return nil, csErr(p.key, "reserved startup parameter %q (use dbname)", p.key)
		}
		if strings.HasPrefix(lk, "_pq_.") {
			return nil, csErr(p.key, "reserved protocol option %q", p.key)
		}
		if !csValidKey(p.key) {
			return nil, csErr(p.key, "invalid key %q", p.key)
		}
		c.RuntimeParams[p.key] = p.val
	}

	// get returns the setting for key: explicit value (possibly empty), else
	// the non-empty environment variable, else "". where names its source.
	get := func(key string) (val, where string) {
		if v, ok := explicit[key]; ok {
			return v, key
		}
		if env := csKnownKeys[key]; env != "" {
			if v := os.Getenv(env); v != "" {
				return v, env
			}
		}
		return "", key
	}

	host, where := get("host")
	switch {
	case host == "":
		host = "localhost"
	case strings.IndexByte(host, ',') >= 0:
		return nil, csErr(where, "multiple hosts are not supported")
	}
	c.Host = host

	c.Port = 5432
	if port, where := get("port"); port != "" {
		if strings.IndexByte(port, ',') >= 0 {
			return nil, csErr(where, "multiple ports are not supported")
		}
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return nil, csErr(where, "invalid port %q (want 1-65535)", port)
		}
		c.Port = uint16(n)
	}

	c.User, _ = get("user")
	if c.User == "" {
		c.User = csOSUser()
		if c.User == "" {
			return nil, csErr("user", "cannot determine the user name (set user or PGUSER)")
		}
	}
	c.Password, _ = get("password")
	c.Database, _ = get("dbname")
	if c.Database == "" {
		c.Database = c.User
	}

	mode, modeWhere := get("sslmode")
	modeExplicit := mode != ""
	switch SSLMode(mode) {
	case "":
		c.SSLMode = SSLPrefer
	case SSLDisable, SSLPrefer, SSLRequire, SSLVerifyCA, SSLVerifyFull:
		c.SSLMode = SSLMode(mode)
	default:
		return nil, csErr(modeWhere, "invalid sslmode %q (valid: disable, prefer, require, verify-ca, verify-full)", mode)
	}

	// libpq 16: sslrootcert=system means the system roots, makes sslmode
	// default to verify-full and forbids weaker modes. It is stored as ""
	// (system roots) with sslmode verify-full.
	c.SSLRootCert, _ = get("sslrootcert")
	if c.SSLRootCert == "system" {
		if !modeExplicit {
			c.SSLMode = SSLVerifyFull
		} else if c.SSLMode != SSLVerifyFull {
			return nil, csErr(modeWhere, "weak sslmode %q may not be used with sslrootcert=system (use verify-full)", c.SSLMode)
		}
		c.SSLRootCert = ""
	}

	neg, where := get("sslnegotiation")
	switch neg {
	case "":
		neg = SSLNegotiationPostgres
	case SSLNegotiationPostgres:
	case SSLNegotiationDirect:
		if c.SSLMode == SSLDisable || c.SSLMode == SSLPrefer {
			return nil, csErr(where, "sslnegotiation=direct requires sslmode require, verify-ca or verify-full, not %q", c.SSLMode)
		}
	default:
		return nil, csErr(where, "invalid sslnegotiation %q (valid: postgres, direct)", neg)
	}
	c.SSLNegotiation = neg

	c.ApplicationName, _ = get("application_name")
	if c.ApplicationName == "" {
		c.ApplicationName, _ = get("fallback_application_name")
	}

	if ct, where := get("connect_timeout"); ct != "" {
		n, err := strconv.ParseInt(ct, 10, 32)
		if err != nil || n < 0 {
			return nil, csErr(where, "invalid connect_timeout %q (want integer seconds >= 0)", ct)
		}
		if n == 1 {
			n = 2 // libpq: a timeout of 1 s is unreliable, so it uses 2 s
		}
		c.ConnectTimeout = time.Duration(n) * time.Second
	}

	repl, where := get("replication")
	switch strings.ToLower(repl) {
	case "database":
		c.Replication = ReplicationLogical
	case "true", "on", "yes", "1":
		c.Replication = ReplicationPhysical
	case "", "false", "off", "no", "0":
		c.Replication = ReplicationOff
	default:
		return nil, csErr(where, "invalid replication %q (valid: database, true, on, yes, 1, false, off, no, 0)", repl)
	}
	return c, nil
}

// csValidKey reports whether k looks like a server parameter name:
// letters, digits, '_', '.' and '-'.
func csValidKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func csIsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func csIsURL(s string) bool {
	for _, p := range [...]string{"postgresql://", "postgres://"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return true
		}
	}
	return false
}

// csParseKeywordValue parses libpq's key=value form: whitespace-separated
// pairs, optional whitespace around '=', values optionally single-quoted.
// A backslash escapes the next character (quoted or not); inside quotes a
// doubled quote is also a literal quote (an extension: libpq rejects it).
func csParseKeywordValue(s string) ([]csParam, error) {
	var out []csParam
	i := 0
	for {
		for i < len(s) && csIsSpace(s[i]) {
			i++
		}
		if i >= len(s) {
			return out, nil
		}
		kpos := i
		for i < len(s) && s[i] != '=' && !csIsSpace(s[i]) {
			i++
		}
		key := s[kpos:i]
		if key == "" {
			return nil, csErrPos(kpos, "missing key before \"=\"")
		}
		if j := strings.Index(key, "://"); j > 0 {
			return nil, csErrPos(kpos, "unsupported URL scheme %q (want postgres:// or postgresql://)", key[:j])
		}
		for i < len(s) && csIsSpace(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '=' {
			return nil, csErrPos(kpos, "missing \"=\" after %q", key)
		}
		i++
		for i < len(s) && csIsSpace(s[i]) {
			i++
		}
		var b strings.Builder
		if i < len(s) && s[i] == '\'' {
			qpos := i
			i++
			closed := false
			for i < len(s) && !closed {
				switch c := s[i]; {
				case c == '\\' && i+1 < len(s):
					b.WriteByte(s[i+1])
					i += 2
				case c == '\\':
					i++ // dangling: reported as unterminated below
				case c == '\'' && i+1 < len(s) && s[i+1] == '\'':
					b.WriteByte('\'')
					i += 2
				case c == '\'':
					i++
					closed = true
				default:
					b.WriteByte(c)
					i++
				}
			}
			if !closed {
				return nil, csErrPos(qpos, "unterminated quoted value for %q", key)
			}
		} else {
			for i < len(s) && !csIsSpace(s[i]) {
				if s[i] == '\\' {
					if i+1 >= len(s) {
						return nil, csErrPos(i, "dangling backslash in value for %q", key)
					}
					i++
				}
				b.WriteByte(s[i])
				i++
			}
		}
		out = append(out, csParam{key: key, val: b.String(), pos: kpos})
	}
}

// csParseURL parses
// postgres[ql]://[user[:password]@][host][:port][/dbname][?key=value&...].
func csParseURL(s string) ([]csParam, error) {
	off := strings.Index(s, "://") + 3
	rest := s[off:]
	var out []csParam
	add := func(key, raw string, pos int) error {
		v, err := csPercentDecode(raw, pos)
		if err != nil {
			return err
		}
		if v != "" { // empty URL components count as absent
			out = append(out, csParam{key: key, val: v, pos: pos})
		}
		return nil
	}

	authEnd := strings.IndexAny(rest, "/?")
	if authEnd < 0 {
		authEnd = len(rest)
	}
	auth, apos := rest[:authEnd], off
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		userinfo := auth[:at]
		u, p, hasPass := strings.Cut(userinfo, ":")
		if err := add("user", u, apos); err != nil {
			return nil, err
		}
		if hasPass {
			if err := add("password", p, apos+len(u)+1); err != nil {
				return nil, err
			}
		}
		auth, apos = auth[at+1:], apos+at+1
	}

	var host, port string
	hpos, ppos := apos, 0
	if strings.HasPrefix(auth, "[") {
		end := strings.IndexByte(auth, ']')
		if end < 0 {
			return nil, csErrPos(apos, "missing \"]\" after IPv6 host")
		}
		host, hpos = auth[1:end], apos+1
		if host == "" {
			return nil, csErrPos(apos, "empty IPv6 host \"[]\"")
		}
		after := auth[end+1:]
		switch {
		case after == "":
		case after[0] == ':':
			port, ppos = after[1:], apos+end+2
		case after[0] == ',':
			return nil, csErr("host", "multiple hosts are not supported")
		default:
			return nil, csErrPos(apos+end+1, "unexpected %q after IPv6 host", after[0])
		}
	} else {
		h, p, hasPort := strings.Cut(auth, ":")
		host = h
		if hasPort {
			port, ppos = p, apos+len(h)+1
		}
	}
	if strings.IndexByte(host, ',') >= 0 || strings.IndexByte(port, ',') >= 0 {
		return nil, csErr("host", "multiple hosts are not supported")
	}
	if err := add("host", host, hpos); err != nil {
		return nil, err
	}
	if err := add("port", port, ppos); err != nil {
		return nil, err
	}

	rest, rpos := rest[authEnd:], off+authEnd
	if strings.HasPrefix(rest, "/") {
		db := rest[1:]
		if q := strings.IndexByte(db, '?'); q >= 0 {
			db = db[:q]
		}
		if err := add("dbname", db, rpos+1); err != nil {
			return nil, err
		}
		rest, rpos = rest[1+len(db):], rpos+1+len(db)
	}
	if !strings.HasPrefix(rest, "?") {
		return out, nil
	}
	rest, rpos = rest[1:], rpos+1
	for rest != "" {
		kv := rest
		if amp := strings.IndexByte(rest, '&'); amp >= 0 {
			kv, rest = rest[:amp], rest[amp+1:]
		} else {
			rest = ""
		}
		kpos := rpos
		rpos += len(kv) + 1
		if kv == "" {
			continue
		}
		rk, rv, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, csErrPos(kpos, "missing \"=\" in query parameter")
		}
		k, err := csPercentDecode(rk, kpos)
		if err != nil {
			return nil, err
		}
		v, err := csPercentDecode(rv, kpos+len(rk)+1)
		if err != nil {
			return nil, err
		}
		if k == "" {
			return nil, csErrPos(kpos, "missing key in query parameter")
		}
		if k == "ssl" && v == "true" { // libpq: JDBC compatibility
			k, v = "sslmode", string(SSLRequire)
		}
		out = append(out, csParam{key: k, val: v, pos: kpos})
	}
	return out, nil
}

// csPercentDecode decodes %XX escapes (and nothing else: '+' stays '+').
// pos is the offset of s in the connection string, for errors.
func csPercentDecode(s string, pos int) (string, error) {
	if strings.IndexByte(s, '%') < 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", csErrPos(pos+i, "invalid percent-encoding")
		}
		hi, ok1 := csUnhex(s[i+1])
		lo, ok2 := csUnhex(s[i+2])
		if !ok1 || !ok2 {
			return "", csErrPos(pos+i, "invalid percent-encoding")
		}
		c := hi<<4 | lo
		if c == 0 {
			return "", csErrPos(pos+i, "forbidden value %%00 in percent-encoding")
		}
		b = append(b, c)
		i += 2
	}
	return string(b), nil
}

func csUnhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// String returns c as a key=value connection string suitable for logs: the
// password, if any, is replaced by "********". Apart from the password,
// ParseConfig(c.String()) reproduces c.
func (c *Config) String() string {
	if c == nil {
		return "<nil>"
	}
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(csQuote(v))
	}
	add("host", c.Host)
	add("port", strconv.Itoa(int(c.Port)))
	add("user", c.User)
	if c.Password != "" {
		add("password", "********")
	}
	add("dbname", c.Database)
	if c.SSLMode != "" {
		add("sslmode", string(c.SSLMode))
	}
	if c.SSLRootCert != "" {
		add("sslrootcert", c.SSLRootCert)
	}
	if c.SSLNegotiation != "" {
		add("sslnegotiation", c.SSLNegotiation)
	}
	if c.ApplicationName != "" {
		add("application_name", c.ApplicationName)
	}
	if c.ConnectTimeout > 0 {
		secs := (c.ConnectTimeout + time.Second - 1) / time.Second
		add("connect_timeout", strconv.FormatInt(int64(secs), 10))
	}
	if c.Replication != ReplicationOff {
		add("replication", string(c.Replication))
	}
	keys := make([]string, 0, len(c.RuntimeParams))
	for k := range c.RuntimeParams {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(k, c.RuntimeParams[k])
	}
	return b.String()
}

// csQuote quotes v for a key=value connection string when needed.
func csQuote(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\n\v\f\r'\\") {
		return v
	}
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(v); i++ {
		if v[i] == '\'' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('\'')
	return b.String()
}

// Network returns the arguments for net.Dial: ("unix",
// "<dir>/.s.PGSQL.<port>") when Host starts with '/' (or '@', Linux's
// abstract namespace, as libpq does), else ("tcp", "host:port") with an IPv6
// host bracketed. A zero Host or Port means "localhost" or 5432.
func (c *Config) Network() (network, address string) {
	host, port := c.Host, c.Port
	if host == "" {
		host = "localhost"
	}
	if port == 0 {
		port = 5432
	}
	ps := strconv.Itoa(int(port))
	if strings.HasPrefix(host, "/") || strings.HasPrefix(host, "@") {
		return "unix", path.Join(host, ".s.PGSQL."+ps)
	}
	return "tcp", net.JoinHostPort(host, ps)
}
