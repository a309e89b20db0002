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

// SSLNegotiation says how TLS is started (libpq's sslnegotiation).
type SSLNegotiation string

const (
	// SSLNegotiationPostgres sends an SSLRequest before the TLS handshake.
	SSLNegotiationPostgres SSLNegotiation = "postgres"
	// SSLNegotiationDirect starts TLS immediately with ALPN "postgresql"
	// (PostgreSQL 17+) and refuses a server that does not select that
	// protocol.
	SSLNegotiationDirect SSLNegotiation = "direct"
)

// SSLCertMode says whether a client certificate is sent (libpq's
// sslcertmode).
type SSLCertMode string

const (
	SSLCertDisable SSLCertMode = "disable" // never send a client certificate
	SSLCertAllow   SSLCertMode = "allow"   // send one if configured and the server asks (the default)
	SSLCertRequire SSLCertMode = "require" // fail unless the server asked for one and one was sent
)

// ChannelBinding says whether SCRAM channel binding is used (libpq's
// channel_binding).
type ChannelBinding string

const (
	ChannelBindingDisable ChannelBinding = "disable" // never SCRAM-SHA-256-PLUS
	ChannelBindingPrefer  ChannelBinding = "prefer"  // SCRAM-SHA-256-PLUS when the server offers it over TLS (the default)
	// ChannelBindingRequire refuses to finish authentication unless it was
	// SCRAM-SHA-256-PLUS over TLS: it is the only mode that detects a TLS
	// man in the middle when sslmode does not verify the server.
	ChannelBindingRequire ChannelBinding = "require"
)

// TargetSessionAttrs says what kind of server is acceptable (libpq's
// target_session_attrs). With several hosts the first acceptable one wins.
type TargetSessionAttrs string

const (
	TargetAny           TargetSessionAttrs = "any"            // any server (the default)
	TargetReadWrite     TargetSessionAttrs = "read-write"     // default_transaction_read_only off and not in hot standby
	TargetReadOnly      TargetSessionAttrs = "read-only"      // the opposite of read-write
	TargetPrimary       TargetSessionAttrs = "primary"        // not in hot standby
	TargetStandby       TargetSessionAttrs = "standby"        // in hot standby
	TargetPreferStandby TargetSessionAttrs = "prefer-standby" // a standby if one is reachable, else any
)

// DefaultTCPUserTimeout is the TCP_USER_TIMEOUT (Linux) set on sockets
// Connect dials when Config.TCPUserTimeout is zero: data the server has not
// acknowledged for this long aborts the connection. Without it a write into
// a black-holed connection is retransmitted for about 15 minutes
// (tcp_retries2) before anything fails, while a replication session's
// status updates go out every few seconds and the server gives up on the
// client after wal_sender_timeout (60 s by default). One minute puts the
// client's detection of a dead path on the same scale; the kernel
// acknowledges segments even when the server process is busy, so a slow
// server does not trip it. libpq's default is 0, the OS default.
const DefaultTCPUserTimeout = 60 * time.Second

// DefaultKeepalivesIdle and DefaultKeepalivesInterval apply when Config
// leaves keepalives_idle / keepalives_interval zero: the values Go's net
// package uses (and so wire did before these settings existed). libpq
// leaves them at the OS defaults (2 hours idle on Linux).
const (
	DefaultKeepalivesIdle     = 15 * time.Second
	DefaultKeepalivesInterval = 15 * time.Second
)

// Endpoint is one server of a multi-host connection string.
type Endpoint struct {
	Host     string // as Config.Host
	HostAddr string // as Config.HostAddr
	Port     uint16 // as Config.Port
}

// Config is a parsed connection string. ParseConfig fills every field that
// has a default; a hand-built Config may leave Host and Port zero, which
// Network treats as "localhost" and 5432, and every other field zero for
// its documented default.
type Config struct {
	Host string // host name, IP address, or a Unix socket directory (starts with '/'; '@' = Linux abstract namespace)
	// HostAddr is a numeric IP address dialled instead of resolving Host
	// (libpq's hostaddr); Host still names the server for TLS verification
	// and the password file.
	HostAddr string
	Port     uint16 // default 5432
	// Fallbacks are further servers, tried in order after Host (libpq's
	// host=a,b port=1,2); nil for one server. See Connect.
	Fallbacks []Endpoint
	User      string // default: $PGUSER, else the OS user name
	Password  string // default: $PGPASSWORD, else the password file
	// PassFile is the password file consulted when Password is empty
	// (libpq's passfile); ParseConfig's default is ~/.pgpass
	// (%APPDATA%\postgresql\pgpass.conf on Windows); "" = none.
	PassFile    string
	Database    string  // default: the user name
	SSLMode     SSLMode // default prefer
	SSLRootCert string  // PEM CA bundle file for verify-ca/verify-full; "" = the system roots
	// SSLCert and SSLKey are a PEM client certificate (chain) and its
	// private key; SSLPassword decrypts a legacy encrypted PEM key.
	SSLCert, SSLKey, SSLPassword string
	SSLCertMode                  SSLCertMode    // "" = allow
	SSLNegotiation               SSLNegotiation // SSLNegotiationPostgres (default) or SSLNegotiationDirect
	// RequireAuth restricts the authentication methods the server may ask
	// for (libpq's require_auth): e.g. "scram-sha-256", "password,md5",
	// "!password", "none". "" = any.
	RequireAuth        string
	ChannelBinding     ChannelBinding     // "" = prefer
	ApplicationName    string             // startup parameter application_name
	ConnectTimeout     time.Duration      // per host; 0 = none; whole seconds, at least 2 s when > 0 (libpq)
	TargetSessionAttrs TargetSessionAttrs // "" = any
	LoadBalanceHosts   bool               // try the servers in random order (load_balance_hosts=random)
	// TCP keepalives, on unless KeepalivesOff; zero durations and count
	// mean DefaultKeepalivesIdle, DefaultKeepalivesInterval and the OS's
	// probe count. Interval and count are set on Linux only.
	KeepalivesOff      bool
	KeepalivesIdle     time.Duration
	KeepalivesInterval time.Duration
	KeepalivesCount    int
	// TCPUserTimeout is TCP_USER_TIMEOUT (Linux only): 0 means
	// DefaultTCPUserTimeout, a negative value the OS default.
	TCPUserTimeout time.Duration
	Replication    ReplicationMode
	// RuntimeParams holds every other key: startup parameters sent to the
	// server verbatim (options, client_encoding, DateStyle, TimeZone, ...).
	// ParseConfig never leaves it nil.
	RuntimeParams map[string]string

	// Not set by ParseConfig (no connection-string keys):
	MaxMessageSize int           // largest backend message accepted; 0 = DefaultMaxMessageSize
	TLSConfig      *tls.Config   // if non-nil, used (cloned) instead of one built from SSLMode/SSLRootCert/SSLCert
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
	// StatusInterval is how often a stream sends a status update on its
	// own timer, whatever the consumer is doing. 0: a third of the
	// server's wal_sender_timeout (10 s when that is 0 or unknown);
	// negative: never. Either way the stream still answers a keepalive
	// that asks for a reply (a walsender asks after half of
	// wal_sender_timeout in silence, so a live client is not dropped),
	// reports a new flush position before Next waits for the server, and
	// probes a silent server for the receive timeout (a status update
	// asking for a reply after a third of ReceiveTimeout without a byte):
	// turn that off with a negative ReceiveTimeout.
	StatusInterval time.Duration
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

func csSortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ParseConfig parses a libpq connection string, either a URL
// (postgres:// or postgresql://) or key=value pairs, fills absent settings
// from the environment (an empty variable counts as unset) and then from
// defaults.
//
// Supported keys, with their environment variables and defaults:
//
//	host                  PGHOST               "localhost" (never a Unix socket unless asked for); a list: a,b
//	hostaddr              PGHOSTADDR           none; numeric IPs, one per host (Config.HostAddr)
//	port                  PGPORT               5432; one for all hosts or one per host
//	user                  PGUSER               the OS user name
//	password              PGPASSWORD           the password file's entry, if any
//	passfile              PGPASSFILE           ~/.pgpass (see Config.PassFile)
//	dbname                PGDATABASE           the user name
//	sslmode               PGSSLMODE            prefer (disable, prefer, require, verify-ca, verify-full)
//	sslrootcert           PGSSLROOTCERT        ~/.postgresql/root.crt if it exists, else the system roots; "system" = system roots with verify-full
//	sslcert, sslkey       PGSSLCERT, PGSSLKEY  ~/.postgresql/postgresql.crt and .key if the certificate exists
//	sslpassword           -                    none; decrypts a legacy PEM-encrypted key (not PKCS#8)
//	sslcertmode           PGSSLCERTMODE        allow (disable, allow, require)
//	sslnegotiation        PGSSLNEGOTIATION     postgres (postgres, direct)
//	require_auth          PGREQUIREAUTH        any (password, md5, scram-sha-256, none; a list, or a list of !method)
//	channel_binding       PGCHANNELBINDING     prefer (disable, prefer, require)
//	application_name      PGAPPNAME            fallback_application_name
//	connect_timeout       PGCONNECT_TIMEOUT    none; seconds, per host
//	target_session_attrs  PGTARGETSESSIONATTRS any (read-write, read-only, primary, standby, prefer-standby)
//	load_balance_hosts    PGLOADBALANCEHOSTS   disable (disable, random)
//	keepalives            -                    1 (0 = off)
//	keepalives_idle       -                    15 s (DefaultKeepalivesIdle)
//	keepalives_interval   -                    15 s (DefaultKeepalivesInterval; Linux only)
//	keepalives_count      -                    the OS default (Linux only)
//	tcp_user_timeout      -                    60000 ms (DefaultTCPUserTimeout; 0 = the OS default; Linux only)
//	replication           -                    off (database, true/on/yes/1, false/off/no/0)
//	gssencmode            PGGSSENCMODE         disable or prefer accepted (no GSSAPI: both mean none); require is an error
//	sslsni                PGSSLSNI             1 accepted (the server name is sent when it is a host name); 0 is an error
//	options               PGOPTIONS            startup parameter, kept in RuntimeParams
//	client_encoding       PGCLIENTENCODING     startup parameter, kept in RuntimeParams
//
// PGDATESTYLE, PGTZ and PGGEQO become the startup parameters DateStyle,
// TimeZone and geqo (RuntimeParams), as in libpq: when set, they replace
// the DateStyle=ISO and TimeZone=UTC the session otherwise pins; a key of
// the same name in the connection string wins over them.
//
// A key given with an empty value (a quoted empty value, or ?host= in a
// URL) means the built-in default and suppresses the environment variable;
// an empty URL component (postgres://@:/) counts as absent, as in libpq.
//
// Keys are case-sensitive, as in libpq; a libpq key spelled in another
// case (Host=x) is an error rather than a startup parameter. Unsupported
// libpq options are an error, and so is their environment variable when
// set: service (PGSERVICE), servicefile (PGSERVICEFILE), sslcrl (PGSSLCRL),
// sslcrldir (PGSSLCRLDIR), sslcompression (PGSSLCOMPRESSION), requirepeer
// (PGREQUIREPEER), ssl_min/max_protocol_version, min/max_protocol_version,
// krbsrvname, gsslib, gssdelegation, requiressl, sslkeylogfile, the oauth_
// and scram_ keys, authtype, tty, and the URL's ssl=false. Any other key
// becomes a RuntimeParams entry (a pgwal extension: libpq rejects unknown
// keys). Errors never quote a password.
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
	if err := csUnsupportedEnv(); err != nil {
		return nil, err
	}

	c := &Config{RuntimeParams: map[string]string{}}
	explicit := map[string]string{}
	for _, p := range params {
		if strings.IndexByte(p.val, 0) >= 0 {
			return nil, csErr(p.key, "NUL byte in value")
		}
		if _, ok := csKeys[p.key]; ok {
			explicit[p.key] = p.val
			continue
		}
		if _, ok := csUnsupportedKeys[p.key]; ok {
			return nil, csErr(p.key, "option %q is not supported", p.key)
		}
		if lk := csCaseMismatch(p.key); lk != "" {
			return nil, csErr(p.key, "invalid connection option %q (keys are case-sensitive: %q)", p.key, lk)
		}
		lk := strings.ToLower(p.key)
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
	for _, key := range csSortedKeys(csParamKeys) {
		if _, ok := c.RuntimeParams[key]; !ok {
			if v := os.Getenv(csParamKeys[key]); v != "" {
				c.RuntimeParams[key] = v
			}
		}
	}
	for _, ep := range csEnvParams {
		if v := os.Getenv(ep[0]); v != "" && !csHasParam(c.RuntimeParams, ep[1]) {
			c.RuntimeParams[ep[1]] = v
		}
	}

	// get returns the setting for key: explicit value (possibly empty), else
	// the non-empty environment variable, else "". where names its source.
	get := func(key string) (val, where string) {
		if v, ok := explicit[key]; ok {
			return v, key
		}
		if env := csKeys[key]; env != "" {
			if v := os.Getenv(env); v != "" {
				return v, env
			}
		}
		return "", key
	}

	eps, err := csEndpoints(get)
	if err != nil {
		return nil, err
	}
	c.Host, c.HostAddr, c.Port = eps[0].Host, eps[0].HostAddr, eps[0].Port
	if len(eps) > 1 {
		c.Fallbacks = eps[1:]
	}

	c.User, _ = get("user")
	if c.User == "" {
		c.User = csOSUser()
		if c.User == "" {
			return nil, csErr("user", "cannot determine the user name (set user or PGUSER)")
		}
	}
	c.Password, _ = get("password")
	home := csHome()
	c.PassFile, _ = get("passfile")
	if c.PassFile == "" {
		c.PassFile = csDefaultPassFile(home)
	}
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
	switch c.SSLRootCert {
	case "system":
		if !modeExplicit {
			c.SSLMode = SSLVerifyFull
		} else if c.SSLMode != SSLVerifyFull {
			return nil, csErr(modeWhere, "weak sslmode %q may not be used with sslrootcert=system (use verify-full)", c.SSLMode)
		}
		c.SSLRootCert = ""
	case "":
		if def := csDefaultSSLFile(home, "root.crt"); c.SSLMode != SSLDisable && csFileExists(def) {
			c.SSLRootCert = def
		}
	}

	cm, where := get("sslcertmode")
	switch SSLCertMode(cm) {
	case "":
		c.SSLCertMode = SSLCertAllow
	case SSLCertDisable, SSLCertAllow, SSLCertRequire:
		c.SSLCertMode = SSLCertMode(cm)
	default:
		return nil, csErr(where, "invalid sslcertmode %q (valid: disable, allow, require)", cm)
	}
	c.SSLCert, _ = get("sslcert")
	c.SSLKey, _ = get("sslkey")
	c.SSLPassword, _ = get("sslpassword")
	if c.SSLCert == "" && c.SSLCertMode != SSLCertDisable && c.SSLMode != SSLDisable {
		if def := csDefaultSSLFile(home, "postgresql.crt"); csFileExists(def) {
			c.SSLCert = def
		}
	}
	if c.SSLCert != "" && c.SSLKey == "" {
		c.SSLKey = csDefaultSSLFile(home, "postgresql.key")
	}
	if c.SSLCertMode == SSLCertRequire && c.SSLCert == "" {
		return nil, csErr(where, "sslcertmode=require without a client certificate (set sslcert)")
	}

	neg, where := get("sslnegotiation")
	switch SSLNegotiation(neg) {
	case "":
		c.SSLNegotiation = SSLNegotiationPostgres
	case SSLNegotiationPostgres:
		c.SSLNegotiation = SSLNegotiationPostgres
	case SSLNegotiationDirect:
		if c.SSLMode == SSLDisable || c.SSLMode == SSLPrefer {
			return nil, csErr(where, "sslnegotiation=direct requires sslmode require, verify-ca or verify-full, not %q", c.SSLMode)
		}
		c.SSLNegotiation = SSLNegotiationDirect
	default:
		return nil, csErr(where, "invalid sslnegotiation %q (valid: postgres, direct)", neg)
	}

	if v, where := get("sslsni"); v != "" && v != "1" {
		return nil, csErr(where, "sslsni=%q is not supported (the server name is always sent when it is a host name)", v)
	}
	switch v, where := get("gssencmode"); v {
	case "", "disable", "prefer":
	case "require":
		return nil, csErr(where, "gssencmode=require is not supported (no GSSAPI)")
	default:
		return nil, csErr(where, "invalid gssencmode %q (valid: disable, prefer)", v)
	}

	ra, where := get("require_auth")
	if _, err := parseRequireAuth(ra); err != nil {
		return nil, csErr(where, "%v", err)
	}
	c.RequireAuth = ra

	cb, where := get("channel_binding")
	switch ChannelBinding(cb) {
	case "":
		c.ChannelBinding = ChannelBindingPrefer
	case ChannelBindingDisable, ChannelBindingPrefer, ChannelBindingRequire:
		c.ChannelBinding = ChannelBinding(cb)
	default:
		return nil, csErr(where, "invalid channel_binding %q (valid: disable, prefer, require)", cb)
	}
	if c.ChannelBinding == ChannelBindingRequire && c.SSLMode == SSLDisable {
		return nil, csErr(where, "channel_binding=require needs TLS, not sslmode=disable")
	}

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

	tsa, where := get("target_session_attrs")
	switch TargetSessionAttrs(tsa) {
	case "":
		c.TargetSessionAttrs = TargetAny
	case TargetAny, TargetReadWrite, TargetReadOnly, TargetPrimary, TargetStandby, TargetPreferStandby:
		c.TargetSessionAttrs = TargetSessionAttrs(tsa)
	default:
		return nil, csErr(where, "invalid target_session_attrs %q (valid: any, read-write, read-only, primary, standby, prefer-standby)", tsa)
	}

	switch lb, where := get("load_balance_hosts"); lb {
	case "", "disable":
	case "random":
		c.LoadBalanceHosts = true
	default:
		return nil, csErr(where, "invalid load_balance_hosts %q (valid: disable, random)", lb)
	}

	if err := csKeepalives(c, get); err != nil {
		return nil, err
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

// csHasParam reports whether params has name in any case (server parameter
// names are case-insensitive).
func csHasParam(params map[string]string, name string) bool {
	for k := range params {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// csEndpoints pairs the host, hostaddr and port lists.
func csEndpoints(get func(string) (string, string)) ([]Endpoint, error) {
	hostS, _ := get("host")
	addrS, addrWhere := get("hostaddr")
	portS, portWhere := get("port")
	hosts := strings.Split(hostS, ",")
	var addrs []string
	if addrS != "" {
		addrs = strings.Split(addrS, ",")
		if hostS == "" {
			hosts = make([]string, len(addrs))
		} else if len(addrs) != len(hosts) {
			return nil, csErr(addrWhere, "%d hostaddr values for %d hosts", len(addrs), len(hosts))
		}
	}
	ports := strings.Split(portS, ",")
	if len(ports) != 1 && len(ports) != len(hosts) {
		return nil, csErr(portWhere, "%d ports for %d hosts (want one, or one per host)", len(ports), len(hosts))
	}
	eps := make([]Endpoint, len(hosts))
	for i := range hosts {
		ep := &eps[i]
		ep.Host = hosts[i]
		if addrs != nil {
			ep.HostAddr = addrs[i]
			if ep.HostAddr != "" && net.ParseIP(strings.SplitN(ep.HostAddr, "%", 2)[0]) == nil {
				return nil, csErr(addrWhere, "invalid hostaddr %q (want a numeric IP address)", ep.HostAddr)
			}
		}
		if ep.Host == "" {
			ep.Host = ep.HostAddr
			if ep.Host == "" {
				ep.Host = "localhost"
			}
		}
		p := ports[0]
		if len(ports) > 1 {
			p = ports[i]
		}
		ep.Port = 5432
		if p != "" {
			n, err := strconv.ParseUint(p, 10, 16)
			if err != nil || n == 0 {
				return nil, csErr(portWhere, "invalid port %q (want 1-65535)", p)
			}
			ep.Port = uint16(n)
		}
	}
	return eps, nil
}

// csKeepalives reads the keepalives and tcp_user_timeout keys.
func csKeepalives(c *Config, get func(string) (string, string)) error {
	num := func(key, unit string) (int64, bool, error) {
		v, where := get(key)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			return 0, false, csErr(where, "invalid %s %q (want %s >= 0)", key, v, unit)
		}
		return n, true, nil
	}
	n, ok, err := num("keepalives", "an integer")
	if err != nil {
		return err
	}
	c.KeepalivesOff = ok && n == 0
	if n, _, err = num("keepalives_idle", "integer seconds"); err != nil {
		return err
	}
	c.KeepalivesIdle = time.Duration(n) * time.Second
	if n, _, err = num("keepalives_interval", "integer seconds"); err != nil {
		return err
	}
	c.KeepalivesInterval = time.Duration(n) * time.Second
	if n, _, err = num("keepalives_count", "an integer"); err != nil {
		return err
	}
	c.KeepalivesCount = int(n)
	if n, ok, err = num("tcp_user_timeout", "integer milliseconds"); err != nil {
		return err
	}
	switch {
	case ok && n == 0:
		c.TCPUserTimeout = -1 // libpq: 0 = the OS default
	case ok:
		c.TCPUserTimeout = time.Duration(n) * time.Millisecond
	}
	return nil
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

	// A host list: host[:port] or [v6][:port], separated by commas, each
	// entry percent-decoded on its own (host names hold no commas, so the
	// joined list splits back the same way).
	var hosts, ports []string
	hpos, ppos := apos, 0
	epos := apos
	for _, entry := range strings.Split(auth, ",") {
		var host, port string
		hp, pp := epos, 0
		if strings.HasPrefix(entry, "[") {
			end := strings.IndexByte(entry, ']')
			if end < 0 {
				return nil, csErrPos(epos, "missing \"]\" after IPv6 host")
			}
			host, hp = entry[1:end], epos+1
			if host == "" {
				return nil, csErrPos(epos, "empty IPv6 host \"[]\"")
			}
			switch after := entry[end+1:]; {
			case after == "":
			case after[0] == ':':
				port, pp = after[1:], epos+end+2
			default:
				return nil, csErrPos(epos+end+1, "unexpected %q after IPv6 host", after[0])
			}
		} else {
			h, p, hasPort := strings.Cut(entry, ":")
			host = h
			if hasPort {
				port, pp = p, epos+len(h)+1
			}
		}
		var err error
		if host, err = csPercentDecode(host, hp); err != nil {
			return nil, err
		}
		if port, err = csPercentDecode(port, pp); err != nil {
			return nil, err
		}
		if len(hosts) == 0 {
			hpos = hp
		}
		if ppos == 0 && pp != 0 {
			ppos = pp
		}
		hosts, ports = append(hosts, host), append(ports, port)
		epos += len(entry) + 1
	}
	if h := csJoinNonEmpty(hosts); h != "" { // decoded already
		out = append(out, csParam{key: "host", val: h, pos: hpos})
	}
	if p := csJoinNonEmpty(ports); p != "" {
		out = append(out, csParam{key: "port", val: p, pos: ppos})
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

// csJoinNonEmpty joins list with commas, or returns "" if every entry is
// empty (one default for all hosts).
func csJoinNonEmpty(list []string) string {
	for _, s := range list {
		if s != "" {
			return strings.Join(list, ",")
		}
	}
	return ""
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
	eps := c.endpoints()
	hosts, addrs, ports := make([]string, len(eps)), make([]string, len(eps)), make([]string, len(eps))
	anyAddr := false
	for i, ep := range eps {
		hosts[i], addrs[i], ports[i] = ep.Host, ep.HostAddr, strconv.Itoa(int(ep.Port))
		anyAddr = anyAddr || ep.HostAddr != ""
	}
	add("host", strings.Join(hosts, ","))
	if anyAddr {
		add("hostaddr", strings.Join(addrs, ","))
	}
	add("port", strings.Join(ports, ","))
	add("user", c.User)
	if c.Password != "" {
		add("password", "********")
	}
	if c.PassFile != "" && c.PassFile != csDefaultPassFile(csHome()) {
		add("passfile", c.PassFile)
	}
	add("dbname", c.Database)
	if c.SSLMode != "" {
		add("sslmode", string(c.SSLMode))
	}
	if c.SSLRootCert != "" {
		add("sslrootcert", c.SSLRootCert)
	}
	if c.SSLCert != "" {
		add("sslcert", c.SSLCert)
	}
	if c.SSLKey != "" {
		add("sslkey", c.SSLKey)
	}
	if c.SSLPassword != "" {
		add("sslpassword", "********")
	}
	if c.SSLCertMode != "" && c.SSLCertMode != SSLCertAllow {
		add("sslcertmode", string(c.SSLCertMode))
	}
	if c.SSLNegotiation != "" {
		add("sslnegotiation", string(c.SSLNegotiation))
	}
	if c.RequireAuth != "" {
		add("require_auth", c.RequireAuth)
	}
	if c.ChannelBinding != "" && c.ChannelBinding != ChannelBindingPrefer {
		add("channel_binding", string(c.ChannelBinding))
	}
	if c.ApplicationName != "" {
		add("application_name", c.ApplicationName)
	}
	if c.ConnectTimeout > 0 {
		secs := (c.ConnectTimeout + time.Second - 1) / time.Second
		add("connect_timeout", strconv.FormatInt(int64(secs), 10))
	}
	if c.TargetSessionAttrs != "" && c.TargetSessionAttrs != TargetAny {
		add("target_session_attrs", string(c.TargetSessionAttrs))
	}
	if c.LoadBalanceHosts {
		add("load_balance_hosts", "random")
	}
	if c.KeepalivesOff {
		add("keepalives", "0")
	}
	seconds := func(k string, d time.Duration) {
		if d > 0 {
			add(k, strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
		}
	}
	seconds("keepalives_idle", c.KeepalivesIdle)
	seconds("keepalives_interval", c.KeepalivesInterval)
	if c.KeepalivesCount > 0 {
		add("keepalives_count", strconv.Itoa(c.KeepalivesCount))
	}
	switch {
	case c.TCPUserTimeout < 0:
		add("tcp_user_timeout", "0")
	case c.TCPUserTimeout > 0:
		add("tcp_user_timeout", strconv.FormatInt(int64((c.TCPUserTimeout+time.Millisecond-1)/time.Millisecond), 10))
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

// endpoints returns the servers c names, the first one first.
func (c *Config) endpoints() []Endpoint {
	return append([]Endpoint{{Host: c.Host, HostAddr: c.HostAddr, Port: c.Port}}, c.Fallbacks...)
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

// Network returns the arguments for net.Dial for the first server: ("tcp",
// "hostaddr:port") when HostAddr is set, else ("unix",
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
	if c.HostAddr != "" {
		return "tcp", net.JoinHostPort(c.HostAddr, ps)
	}
	if strings.HasPrefix(host, "/") || strings.HasPrefix(host, "@") {
		return "unix", path.Join(host, ".s.PGSQL."+ps)
	}
	return "tcp", net.JoinHostPort(host, ps)
}
