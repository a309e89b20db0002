package wire

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// csEnvVars are every variable ParseConfig reads.
func csEnvVars() []string {
	var vars []string
	for _, m := range []map[string]string{csKeys, csParamKeys, csUnsupportedKeys} {
		for _, env := range m {
			if env != "" {
				vars = append(vars, env)
			}
		}
	}
	for _, ep := range csEnvParams {
		vars = append(vars, ep[0])
	}
	return vars
}

const testHome = "/pgwal-test-home"

// cleanEnv empties every PG* variable ParseConfig reads (empty = unset),
// makes the OS user "osuser" and the home directory testHome.
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, k := range csEnvVars() {
		t.Setenv(k, "")
	}
	old, oldHome := csOSUser, csHome
	csOSUser = func() string { return "osuser" }
	csHome = func() string { return testHome }
	t.Cleanup(func() { csOSUser, csHome = old, oldHome })
}

// defCfg is what ParseConfig("") returns in a clean environment, changed by f.
func defCfg(f func(c *Config)) *Config {
	c := &Config{
		Host:               "localhost",
		Port:               5432,
		User:               "osuser",
		Database:           "osuser",
		PassFile:           csDefaultPassFile(testHome),
		SSLMode:            SSLPrefer,
		SSLCertMode:        SSLCertAllow,
		SSLNegotiation:     SSLNegotiationPostgres,
		ChannelBinding:     ChannelBindingPrefer,
		TargetSessionAttrs: TargetAny,
		RuntimeParams:      map[string]string{},
	}
	if f != nil {
		f(c)
	}
	return c
}

type configCase struct {
	name string
	in   string
	env  map[string]string
	want *Config
}

func runConfigCases(t *testing.T, cases []configCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			got, err := ParseConfig(tc.in)
			if err != nil {
				t.Fatalf("ParseConfig(%q): %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseConfig(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParseConfigURL(t *testing.T) {
	runConfigCases(t, []configCase{
		{name: "bare scheme", in: "postgres://", want: defCfg(nil)},
		{name: "postgresql scheme", in: "postgresql://h", want: defCfg(func(c *Config) { c.Host = "h" })},
		{name: "scheme case-insensitive", in: "PostgreSQL://h", want: defCfg(func(c *Config) { c.Host = "h" })},
		{
			name: "full",
			in:   "postgres://bob:s%40c%3Aret@db.example.com:6543/app?sslmode=require&application_name=my%20app",
			want: defCfg(func(c *Config) {
				c.Host, c.Port, c.User, c.Password, c.Database = "db.example.com", 6543, "bob", "s@c:ret", "app"
				c.SSLMode, c.ApplicationName = SSLRequire, "my app"
			}),
		},
		{
			name: "raw colon in password",
			in:   "postgres://u:a:b@h/d",
			want: defCfg(func(c *Config) { c.Host, c.User, c.Password, c.Database = "h", "u", "a:b", "d" }),
		},
		{
			name: "raw @ in password, last @ ends userinfo",
			in:   "postgres://u:p@ss@h/d",
			want: defCfg(func(c *Config) { c.Host, c.User, c.Password, c.Database = "h", "u", "p@ss", "d" }),
		},
		{
			name: "percent-encoded user",
			in:   "postgres://us%65r%2Bx@h",
			want: defCfg(func(c *Config) { c.Host, c.User, c.Database = "h", "user+x", "user+x" }),
		},
		{name: "user only", in: "postgres://bob@h", want: defCfg(func(c *Config) { c.Host, c.User, c.Database = "h", "bob", "bob" })},
		{name: "empty password", in: "postgres://bob:@h", want: defCfg(func(c *Config) { c.Host, c.User, c.Database = "h", "bob", "bob" })},
		{name: "IPv6", in: "postgres://[::1]:5433/db", want: defCfg(func(c *Config) { c.Host, c.Port, c.Database = "::1", 5433, "db" })},
		{name: "IPv6 no port", in: "postgres://[2001:db8::7]/db", want: defCfg(func(c *Config) { c.Host, c.Database = "2001:db8::7", "db" })},
		{name: "IPv6 zone", in: "postgres://[fe80::1%25eth0]", want: defCfg(func(c *Config) { c.Host = "fe80::1%eth0" })},
		{
			name: "socket dir in host",
			in:   "postgres://%2Fvar%2Frun%2Fpostgresql/db",
			want: defCfg(func(c *Config) { c.Host, c.Database = "/var/run/postgresql", "db" }),
		},
		{name: "socket dir in query", in: "postgres:///db?host=/tmp", want: defCfg(func(c *Config) { c.Host, c.Database = "/tmp", "db" })},
		{name: "abstract socket", in: "postgres://%40pg", want: defCfg(func(c *Config) { c.Host = "@pg" })},
		{name: "no host", in: "postgres:///mydb", want: defCfg(func(c *Config) { c.Database = "mydb" })},
		{name: "port only", in: "postgres://:6000", want: defCfg(func(c *Config) { c.Port = 6000 })},
		{name: "no db", in: "postgres://h:1", want: defCfg(func(c *Config) { c.Host, c.Port = "h", 1 })},
		{name: "empty db", in: "postgres://h/", want: defCfg(func(c *Config) { c.Host = "h" })},
		{name: "db percent and plus", in: "postgres://h/my%20db+x", want: defCfg(func(c *Config) { c.Host, c.Database = "h", "my db+x" })},
		{name: "db with slash", in: "postgres://h/a/b", want: defCfg(func(c *Config) { c.Host, c.Database = "h", "a/b" })},
		{
			name: "query overrides",
			in:   "postgres://u@h:1/d?host=other&port=7000&user=v&dbname=e&password=p%26w",
			want: defCfg(func(c *Config) { c.Host, c.Port, c.User, c.Database, c.Password = "other", 7000, "v", "e", "p&w" }),
		},
		{
			name: "query params",
			in: "postgres://h/d?replication=database&connect_timeout=10&sslrootcert=%2Fca.pem&sslmode=verify-full" +
				"&sslnegotiation=direct&options=-c%20search_path%3Dfoo&client_encoding=UTF8&DateStyle=ISO,%20MDY&",
			want: defCfg(func(c *Config) {
				c.Host, c.Database = "h", "d"
				c.Replication, c.ConnectTimeout = ReplicationLogical, 10*time.Second
				c.SSLRootCert, c.SSLMode, c.SSLNegotiation = "/ca.pem", SSLVerifyFull, SSLNegotiationDirect
				c.RuntimeParams = map[string]string{"options": "-c search_path=foo", "client_encoding": "UTF8", "DateStyle": "ISO, MDY"}
			}),
		},
		{name: "value with =", in: "postgres://h?options=-c%20a=b", want: defCfg(func(c *Config) {
			c.Host, c.RuntimeParams = "h", map[string]string{"options": "-c a=b"}
		})},
		{name: "ssl=true", in: "postgres://h?ssl=true", want: defCfg(func(c *Config) { c.Host, c.SSLMode = "h", SSLRequire })},
		{name: "empty query", in: "postgres://h?", want: defCfg(func(c *Config) { c.Host = "h" })},
		{name: "explicit empty query value", in: "postgres://h?application_name=&sslmode=", want: defCfg(func(c *Config) { c.Host = "h" })},
	})
}

func TestParseConfigKeywordValue(t *testing.T) {
	runConfigCases(t, []configCase{
		{name: "empty", in: "", want: defCfg(nil)},
		{name: "blank", in: " \t\n ", want: defCfg(nil)},
		{
			name: "spec example",
			in:   `host=localhost port=5432 dbname=app user=bob password='it''s \\ secret' replication=database`,
			want: defCfg(func(c *Config) {
				c.User, c.Database, c.Password, c.Replication = "bob", "app", `it's \ secret`, ReplicationLogical
			}),
		},
		{name: "backslash quote", in: `password='it\'s'`, want: defCfg(func(c *Config) { c.Password = "it's" })},
		{name: "quoted spaces and =", in: `password=' a = b '`, want: defCfg(func(c *Config) { c.Password = " a = b " })},
		{name: "quoted only quote", in: `password=''''`, want: defCfg(func(c *Config) { c.Password = "'" })},
		{name: "unquoted backslash escapes", in: `password=a\ b\\c\'`, want: defCfg(func(c *Config) { c.Password = `a b\c'` })},
		{name: "unquoted value ends at space", in: `options=-c geqo=off`, want: defCfg(func(c *Config) {
			c.RuntimeParams = map[string]string{"options": "-c", "geqo": "off"}
		})},
		{
			name: "spaces around =",
			in:   "host = h \t port= 1\napplication_name =x",
			want: defCfg(func(c *Config) { c.Host, c.Port, c.ApplicationName = "h", 1, "x" }),
		},
		{name: "empty quoted value then key", in: "password='' host=h", want: defCfg(func(c *Config) { c.Host = "h" })},
		{name: "no space after quote (libpq)", in: "user='a'dbname=b", want: defCfg(func(c *Config) { c.User, c.Database = "a", "b" })},
		{name: "libpq quirk: empty unquoted value takes next word", in: "host= port=5432", want: defCfg(func(c *Config) { c.Host = "port=5432" })},
		{name: "last wins", in: "port=1 port=2", want: defCfg(func(c *Config) { c.Port = 2 })},
		{
			name: "runtime params pass through",
			in:   `DateStyle=ISO options='-c geqo=off' client_encoding=UTF8 my.setting=1 search-path=x`,
			want: defCfg(func(c *Config) {
				c.RuntimeParams = map[string]string{"DateStyle": "ISO", "options": "-c geqo=off", "client_encoding": "UTF8", "my.setting": "1", "search-path": "x"}
			}),
		},
		{name: "empty runtime value", in: "options=''", want: defCfg(func(c *Config) { c.RuntimeParams = map[string]string{"options": ""} })},
		{name: "socket dir", in: "host=/tmp", want: defCfg(func(c *Config) { c.Host = "/tmp" })},
		{name: "IPv6", in: "host=::1 port=65535", want: defCfg(func(c *Config) { c.Host, c.Port = "::1", 65535 })},
		{name: "connect_timeout 0", in: "connect_timeout=0", want: defCfg(nil)},
		{name: "connect_timeout 1 is 2s", in: "connect_timeout=1", want: defCfg(func(c *Config) { c.ConnectTimeout = 2 * time.Second })},
		{name: "connect_timeout 30", in: "connect_timeout=30", want: defCfg(func(c *Config) { c.ConnectTimeout = 30 * time.Second })},
		{name: "sslmode disable", in: "sslmode=disable", want: defCfg(func(c *Config) { c.SSLMode = SSLDisable })},
		{name: "sslmode verify-ca no root", in: "sslmode=verify-ca", want: defCfg(func(c *Config) { c.SSLMode = SSLVerifyCA })},
		{name: "sslrootcert=system defaults verify-full", in: "sslrootcert=system", want: defCfg(func(c *Config) { c.SSLMode = SSLVerifyFull })},
		{name: "sslrootcert=system verify-full", in: "sslrootcert=system sslmode=verify-full", want: defCfg(func(c *Config) { c.SSLMode = SSLVerifyFull })},
		{
			name: "direct negotiation",
			in:   "sslnegotiation=direct sslmode=verify-ca sslrootcert=/ca.pem",
			want: defCfg(func(c *Config) {
				c.SSLNegotiation, c.SSLMode, c.SSLRootCert = SSLNegotiationDirect, SSLVerifyCA, "/ca.pem"
			}),
		},
		{name: "sslnegotiation postgres", in: "sslnegotiation=postgres sslmode=disable", want: defCfg(func(c *Config) { c.SSLMode = SSLDisable })},
		{name: "fallback_application_name", in: "fallback_application_name=fb", want: defCfg(func(c *Config) { c.ApplicationName = "fb" })},
		{name: "application_name beats fallback", in: "fallback_application_name=fb application_name=a", want: defCfg(func(c *Config) { c.ApplicationName = "a" })},
	})
}

func TestParseConfigReplication(t *testing.T) {
	var cases []configCase
	for in, want := range map[string]ReplicationMode{
		"database": ReplicationLogical, "DATABASE": ReplicationLogical,
		"true": ReplicationPhysical, "on": ReplicationPhysical, "yes": ReplicationPhysical, "1": ReplicationPhysical, "TRUE": ReplicationPhysical,
		"false": ReplicationOff, "off": ReplicationOff, "no": ReplicationOff, "0": ReplicationOff, "''": ReplicationOff,
	} {
		want := want
		cases = append(cases, configCase{name: in, in: "replication=" + in, want: defCfg(func(c *Config) { c.Replication = want })})
	}
	runConfigCases(t, cases)
}

func TestParseConfigEnv(t *testing.T) {
	allEnv := map[string]string{
		"PGHOST": "envhost", "PGPORT": "7777", "PGUSER": "envuser", "PGPASSWORD": "envpw",
		"PGDATABASE": "envdb", "PGSSLMODE": "require", "PGSSLROOTCERT": "/env/ca.pem",
		"PGSSLNEGOTIATION": "direct", "PGAPPNAME": "envapp", "PGCONNECT_TIMEOUT": "5",
	}
	fromEnv := defCfg(func(c *Config) {
		c.Host, c.Port, c.User, c.Password, c.Database = "envhost", 7777, "envuser", "envpw", "envdb"
		c.SSLMode, c.SSLRootCert, c.SSLNegotiation = SSLRequire, "/env/ca.pem", SSLNegotiationDirect
		c.ApplicationName, c.ConnectTimeout = "envapp", 5*time.Second
	})
	runConfigCases(t, []configCase{
		{name: "all from env kv", in: "", env: allEnv, want: fromEnv},
		{name: "all from env url", in: "postgres://", env: allEnv, want: fromEnv},
		{name: "empty URL parts are absent", in: "postgres://@:/", env: allEnv, want: fromEnv},
		{
			name: "explicit beats env",
			in:   "host=h port=1 user=u password=p dbname=d sslmode=verify-full sslrootcert=/ca sslnegotiation=postgres application_name=a connect_timeout=9",
			env:  allEnv,
			want: defCfg(func(c *Config) {
				c.Host, c.Port, c.User, c.Password, c.Database = "h", 1, "u", "p", "d"
				c.SSLMode, c.SSLRootCert, c.ApplicationName, c.ConnectTimeout = SSLVerifyFull, "/ca", "a", 9*time.Second
			}),
		},
		{
			name: "explicit empty value suppresses env",
			in:   "host='' port='' password='' dbname='' sslmode='' sslrootcert='' sslnegotiation='' application_name='' connect_timeout=''",
			env:  allEnv,
			want: defCfg(func(c *Config) { c.User, c.Database = "envuser", "envuser" }),
		},
		{name: "db defaults to PGUSER", in: "", env: map[string]string{"PGUSER": "pu"}, want: defCfg(func(c *Config) { c.User, c.Database = "pu", "pu" })},
		{name: "db defaults to explicit user", in: "user=x", env: map[string]string{"PGUSER": "pu"}, want: defCfg(func(c *Config) { c.User, c.Database = "x", "x" })},
		{name: "PGHOST socket", in: "", env: map[string]string{"PGHOST": "/run/pg"}, want: defCfg(func(c *Config) { c.Host = "/run/pg" })},
		{
			name: "PGSSLMODE verify-full with sslrootcert=system",
			in:   "sslrootcert=system", env: map[string]string{"PGSSLMODE": "verify-full"},
			want: defCfg(func(c *Config) { c.SSLMode = SSLVerifyFull }),
		},
		{name: "PGAPPNAME beats fallback", in: "fallback_application_name=fb", env: map[string]string{"PGAPPNAME": "e"}, want: defCfg(func(c *Config) { c.ApplicationName = "e" })},
		{name: "PGCONNECT_TIMEOUT 1", in: "", env: map[string]string{"PGCONNECT_TIMEOUT": "1"}, want: defCfg(func(c *Config) { c.ConnectTimeout = 2 * time.Second })},
	})
}

func TestParseConfigOSUser(t *testing.T) {
	for _, k := range csEnvVars() {
		t.Setenv(k, "")
	}
	t.Setenv("USER", "fallbackuser")
	c, err := ParseConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if c.User == "" || c.Database != c.User {
		t.Errorf("User %q, Database %q: want the OS user for both", c.User, c.Database)
	}

	cleanEnv(t)
	csOSUser = func() string { return "" }
	_, err = ParseConfig("host=h")
	want := "wire: invalid connection string: cannot determine the user name (set user or PGUSER) at user"
	if err == nil || err.Error() != want {
		t.Errorf("no OS user: got error %v, want %q", err, want)
	}
}

func TestParseConfigErrors(t *testing.T) {
	const p = "wire: invalid connection string: "
	type errCase struct {
		name, in string
		env      map[string]string
		want     string
	}
	cases := []errCase{
		// hosts and ports
		{"more ports than hosts", "port=1,2", nil, p + "2 ports for 1 hosts (want one, or one per host) at port"},
		{"fewer ports than hosts", "host=a,b,c port=1,2", nil, p + "2 ports for 3 hosts (want one, or one per host) at port"},
		{"hostaddr count", "host=a,b hostaddr=127.0.0.1", nil, p + "1 hostaddr values for 2 hosts at hostaddr"},
		{"hostaddr not numeric", "hostaddr=db.example", nil, p + `invalid hostaddr "db.example" (want a numeric IP address) at hostaddr`},
		{"port in list", "host=a,b port=1,x", nil, p + `invalid port "x" (want 1-65535) at port`},
		{"port 0", "port=0", nil, p + `invalid port "0" (want 1-65535) at port`},
		{"port 65536", "port=65536", nil, p + `invalid port "65536" (want 1-65535) at port`},
		{"port negative", "port=-1", nil, p + `invalid port "-1" (want 1-65535) at port`},
		{"port plus", "port=+1", nil, p + `invalid port "+1" (want 1-65535) at port`},
		{"port text", "port=abc", nil, p + `invalid port "abc" (want 1-65535) at port`},
		{"port url", "postgres://h:x/db", nil, p + `invalid port "x" (want 1-65535) at port`},
		{"port ipv6 url", "postgres://[::1]:99999", nil, p + `invalid port "99999" (want 1-65535) at port`},
		{"unbracketed ipv6 url", "postgres://::1/db", nil, p + `invalid port ":1" (want 1-65535) at port`},
		{"port env", "", map[string]string{"PGPORT": "x"}, p + `invalid port "x" (want 1-65535) at PGPORT`},
		// connect_timeout
		{"timeout negative", "connect_timeout=-1", nil, p + `invalid connect_timeout "-1" (want integer seconds >= 0) at connect_timeout`},
		{"timeout fraction", "connect_timeout=1.5", nil, p + `invalid connect_timeout "1.5" (want integer seconds >= 0) at connect_timeout`},
		{"timeout text", "connect_timeout=10s", nil, p + `invalid connect_timeout "10s" (want integer seconds >= 0) at connect_timeout`},
		{"timeout huge", "connect_timeout=99999999999", nil, p + `invalid connect_timeout "99999999999" (want integer seconds >= 0) at connect_timeout`},
		{"timeout env", "", map[string]string{"PGCONNECT_TIMEOUT": "x"}, p + `invalid connect_timeout "x" (want integer seconds >= 0) at PGCONNECT_TIMEOUT`},
		// replication
		{"replication bogus", "replication=logical", nil, p + `invalid replication "logical" (valid: database, true, on, yes, 1, false, off, no, 0) at replication`},
		{"replication prefix", "postgres://h?replication=t", nil, p + `invalid replication "t" (valid: database, true, on, yes, 1, false, off, no, 0) at replication`},
		// TLS
		{"sslmode allow", "sslmode=allow", nil, p + `invalid sslmode "allow" (valid: disable, prefer, require, verify-ca, verify-full) at sslmode`},
		{"sslmode bogus", "sslmode=REQUIRE", nil, p + `invalid sslmode "REQUIRE" (valid: disable, prefer, require, verify-ca, verify-full) at sslmode`},
		{"sslmode env", "", map[string]string{"PGSSLMODE": "x"}, p + `invalid sslmode "x" (valid: disable, prefer, require, verify-ca, verify-full) at PGSSLMODE`},
		{"sslnegotiation bogus", "sslnegotiation=tls", nil, p + `invalid sslnegotiation "tls" (valid: postgres, direct) at sslnegotiation`},
		{"direct default sslmode", "sslnegotiation=direct", nil, p + `sslnegotiation=direct requires sslmode require, verify-ca or verify-full, not "prefer" at sslnegotiation`},
		{"direct disable", "sslnegotiation=direct sslmode=disable", nil, p + `sslnegotiation=direct requires sslmode require, verify-ca or verify-full, not "disable" at sslnegotiation`},
		{"direct env", "sslmode=prefer", map[string]string{"PGSSLNEGOTIATION": "direct"}, p + `sslnegotiation=direct requires sslmode require, verify-ca or verify-full, not "prefer" at PGSSLNEGOTIATION`},
		{"system root weak", "sslrootcert=system sslmode=require", nil, p + `weak sslmode "require" may not be used with sslrootcert=system (use verify-full) at sslmode`},
		{"system root weak env", "sslrootcert=system", map[string]string{"PGSSLMODE": "verify-ca"}, p + `weak sslmode "verify-ca" may not be used with sslrootcert=system (use verify-full) at PGSSLMODE`},
		// keys
		{"reserved database", "database=x", nil, p + `reserved startup parameter "database" (use dbname) at database`},
		{"reserved _pq_", "_pq_.foo=1", nil, p + `reserved protocol option "_pq_.foo" at _pq_.foo`},
		{"invalid key", "a'b=1", nil, p + `invalid key "a'b" at a'b`},
		{"invalid key url", "postgres://h?bad%20key=1", nil, p + `invalid key "bad key" at bad key`},
		{"ssl=false", "postgres://h?ssl=false", nil, p + `option "ssl" is not supported at ssl`},
		{"known key in another case", "SSLCert=x", nil, p + `invalid connection option "SSLCert" (keys are case-sensitive: "sslcert") at SSLCert`},
		{"Host", "Host=x", nil, p + `invalid connection option "Host" (keys are case-sensitive: "host") at Host`},
		{"DBNAME url", "postgres://h?DBNAME=d", nil, p + `invalid connection option "DBNAME" (keys are case-sensitive: "dbname") at DBNAME`},
		{"unsupported key in another case", "Service=x", nil, p + `invalid connection option "Service" (keys are case-sensitive: "service") at Service`},
		{"NUL in value", "application_name=a\x00b", nil, p + "NUL byte in value at application_name"},
		// key=value syntax
		{"not a dsn", "localhost", nil, p + `missing "=" after "localhost" at position 0`},
		{"missing = later", "host=h  port", nil, p + `missing "=" after "port" at position 8`},
		{"missing = before next key", "host port=1", nil, p + `missing "=" after "host" at position 0`},
		{"empty key", "host=h =x", nil, p + `missing key before "=" at position 7`},
		{"unterminated quote", "password='secret", nil, p + `unterminated quoted value for "password" at position 9`},
		{"unterminated after escape", `password='a\'`, nil, p + `unterminated quoted value for "password" at position 9`},
		{"unterminated dangling backslash", `password='a\`, nil, p + `unterminated quoted value for "password" at position 9`},
		{"unterminated doubled quote", `password='''`, nil, p + `unterminated quoted value for "password" at position 9`},
		{"dangling backslash", `password=abc\`, nil, p + `dangling backslash in value for "password" at position 12`},
		{"other scheme", "mysql://h/db", nil, p + `unsupported URL scheme "mysql" (want postgres:// or postgresql://) at position 0`},
		// URL syntax
		{"missing ]", "postgres://[::1/db", nil, p + `missing "]" after IPv6 host at position 11`},
		{"junk after ]", "postgres://[::1]x/db", nil, p + `unexpected 'x' after IPv6 host at position 16`},
		{"empty brackets", "postgres://[]/db", nil, p + `empty IPv6 host "[]" at position 11`},
		{"bad percent", "postgres://h/%zz", nil, p + "invalid percent-encoding at position 13"},
		{"short percent", "postgres://h/ab%2", nil, p + "invalid percent-encoding at position 15"},
		{"percent at end", "postgres://h/ab%", nil, p + "invalid percent-encoding at position 15"},
		{"percent NUL", "postgres://u%00@h", nil, p + "forbidden value %00 in percent-encoding at position 12"},
		{"bad percent password", "postgres://u:pw%zz@h", nil, p + "invalid percent-encoding at position 15"},
		{"bad percent query value", "postgres://h?a=%z1", nil, p + "invalid percent-encoding at position 15"},
		{"query without =", "postgres://h?sslmode", nil, p + `missing "=" in query parameter at position 13`},
		{"query without = later", "postgres://h?a=1&b", nil, p + `missing "=" in query parameter at position 17`},
		{"query empty key", "postgres://h?=1", nil, p + `missing key in query parameter at position 13`},
	}
	for k, env := range csUnsupportedKeys {
		cases = append(cases, errCase{"unsupported " + k, k + "=1", nil, p + `option "` + k + `" is not supported at ` + k})
		if env != "" {
			cases = append(cases, errCase{"unsupported env " + env, "", map[string]string{env: "x"},
				p + "environment variable " + env + " (libpq's " + k + ") is not supported; unset it at " + env})
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := ParseConfig(tc.in)
			if err == nil {
				t.Fatalf("ParseConfig(%q) = %v, want error %q", tc.in, c, tc.want)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("ParseConfig(%q) error mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// Errors never contain the password.
func TestParseConfigErrorHidesPassword(t *testing.T) {
	cleanEnv(t)
	for _, in := range []string{
		"postgres://u:hunter2@h:bad/db",
		"postgres://u:hunter2%zz@h/db",
		"password='hunter2",
		"password=hunter2 port=0",
		"password=hunter2 sslmode=x",
	} {
		_, err := ParseConfig(in)
		if err == nil {
			t.Fatalf("ParseConfig(%q): no error", in)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseConfig(%q) error leaks the password: %v", in, err)
		}
	}
}

func TestConfigString(t *testing.T) {
	cases := []struct {
		name string
		cfg  *Config
		want string
	}{
		{"nil", nil, "<nil>"},
		{"zero", &Config{}, "host='' port=0 user='' dbname=''"},
		{
			"full",
			&Config{
				Host: "db", Port: 5433, User: "bob", Password: "it's secret", Database: "my db",
				SSLMode: SSLVerifyFull, SSLRootCert: `C:\ca.pem`, SSLNegotiation: SSLNegotiationDirect,
				ApplicationName: "app", ConnectTimeout: 1500 * time.Millisecond, Replication: ReplicationLogical,
				RuntimeParams: map[string]string{"options": "-c a=b", "DateStyle": "ISO", "empty": ""},
			},
			`host=db port=5433 user=bob password=******** dbname='my db' sslmode=verify-full sslrootcert='C:\\ca.pem' ` +
				`sslnegotiation=direct application_name=app connect_timeout=2 replication=database DateStyle=ISO empty='' options='-c a=b'`,
		},
		{"ipv6 no password", &Config{Host: "::1", Port: 5432, User: "u", Database: "d"}, "host=::1 port=5432 user=u dbname=d"},
		{"quote in value", &Config{Host: "/tmp", Port: 1, User: "o'neil", Database: "d"}, `host=/tmp port=1 user='o\'neil' dbname=d`},
	}
	for _, tc := range cases {
		if diff := cmp.Diff(tc.want, tc.cfg.String()); diff != "" {
			t.Errorf("%s: String() mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
}

// ParseConfig(c.String()) reproduces c except for the masked password.
func TestConfigStringRoundTrip(t *testing.T) {
	cleanEnv(t)
	for _, in := range []string{
		"",
		`postgres://bob:pw@[::1]:6000/my%20db?sslmode=verify-ca&sslrootcert=%2Fa%20b%2Fca.pem&application_name=x%27y%5Cz&replication=on`,
		`host=/tmp user='a b' dbname='' connect_timeout=7 options='-c x=\'y\'' TimeZone=UTC client_encoding=''`,
		"sslnegotiation=direct sslmode=require replication=database",
	} {
		c, err := ParseConfig(in)
		if err != nil {
			t.Fatalf("ParseConfig(%q): %v", in, err)
		}
		s := c.String()
		if c.Password != "" && strings.Contains(s, c.Password) {
			t.Errorf("String() %q leaks the password", s)
		}
		c2, err := ParseConfig(s)
		if err != nil {
			t.Fatalf("ParseConfig(String() = %q): %v", s, err)
		}
		if c.Password != "" {
			c.Password = "********"
		}
		if diff := cmp.Diff(c, c2); diff != "" {
			t.Errorf("round trip of %q via %q (-want +got):\n%s", in, s, diff)
		}
	}
}

func TestConfigNetwork(t *testing.T) {
	cases := []struct {
		host          string
		port          uint16
		network, addr string
	}{
		{"localhost", 5432, "tcp", "localhost:5432"},
		{"10.0.0.1", 6000, "tcp", "10.0.0.1:6000"},
		{"::1", 5433, "tcp", "[::1]:5433"},
		{"fe80::1%eth0", 5432, "tcp", "[fe80::1%eth0]:5432"},
		{"/var/run/postgresql", 5432, "unix", "/var/run/postgresql/.s.PGSQL.5432"},
		{"/tmp/", 6000, "unix", "/tmp/.s.PGSQL.6000"},
		{"/", 5432, "unix", "/.s.PGSQL.5432"},
		{"@pg", 5432, "unix", "@pg/.s.PGSQL.5432"},
		{"", 0, "tcp", "localhost:5432"},
		{"/tmp", 0, "unix", "/tmp/.s.PGSQL.5432"},
	}
	for _, tc := range cases {
		c := &Config{Host: tc.host, Port: tc.port}
		network, addr := c.Network()
		if diff := cmp.Diff([2]string{tc.network, tc.addr}, [2]string{network, addr}); diff != "" {
			t.Errorf("Network() for host %q port %d (-want +got):\n%s", tc.host, tc.port, diff)
		}
	}
}

func TestParseConfigHosts(t *testing.T) {
	runConfigCases(t, []configCase{
		{name: "kv list", in: "host=a,b port=1,2", want: defCfg(func(c *Config) {
			c.Host, c.Port, c.Fallbacks = "a", 1, []Endpoint{{Host: "b", Port: 2}}
		})},
		{name: "one port for all", in: "host=a,b,/tmp port=7", want: defCfg(func(c *Config) {
			c.Host, c.Port, c.Fallbacks = "a", 7, []Endpoint{{Host: "b", Port: 7}, {Host: "/tmp", Port: 7}}
		})},
		{name: "empty entries default", in: "host=a, port=,9", want: defCfg(func(c *Config) {
			c.Host, c.Port, c.Fallbacks = "a", 5432, []Endpoint{{Host: "localhost", Port: 9}}
		})},
		{name: "url list", in: "postgres://a:1,b:2/db", want: defCfg(func(c *Config) {
			c.Host, c.Port, c.Database, c.Fallbacks = "a", 1, "db", []Endpoint{{Host: "b", Port: 2}}
		})},
		{name: "url list partial ports", in: "postgres://a,[::1]:2,c/db", want: defCfg(func(c *Config) {
			c.Host, c.Port, c.Database, c.Fallbacks = "a", 5432, "db", []Endpoint{{Host: "::1", Port: 2}, {Host: "c", Port: 5432}}
		})},
		{name: "url percent-encoded hosts", in: "postgres://%2Ftmp,h%61", want: defCfg(func(c *Config) {
			c.Host, c.Port, c.Fallbacks = "/tmp", 5432, []Endpoint{{Host: "ha", Port: 5432}}
		})},
		{name: "env list", in: "", env: map[string]string{"PGHOST": "a,b", "PGPORT": "1,2"}, want: defCfg(func(c *Config) {
			c.Host, c.Port, c.Fallbacks = "a", 1, []Endpoint{{Host: "b", Port: 2}}
		})},
		{name: "hostaddr with host", in: "host=db.example hostaddr=10.0.0.1", want: defCfg(func(c *Config) {
			c.Host, c.HostAddr = "db.example", "10.0.0.1"
		})},
		{name: "hostaddr alone names the host", in: "hostaddr=10.0.0.1,::1 port=1,2", want: defCfg(func(c *Config) {
			c.Host, c.HostAddr, c.Port = "10.0.0.1", "10.0.0.1", 1
			c.Fallbacks = []Endpoint{{Host: "::1", HostAddr: "::1", Port: 2}}
		})},
		{name: "PGHOSTADDR", in: "host=h", env: map[string]string{"PGHOSTADDR": "127.0.0.1"}, want: defCfg(func(c *Config) {
			c.Host, c.HostAddr = "h", "127.0.0.1"
		})},
	})
	c := &Config{Host: "db.example", HostAddr: "10.0.0.1", Port: 6000}
	if n, a := c.Network(); n != "tcp" || a != "10.0.0.1:6000" {
		t.Errorf("Network() with HostAddr = %s %s", n, a)
	}
}

func TestParseConfigLibpqKeys(t *testing.T) {
	runConfigCases(t, []configCase{
		{name: "client certificate", in: "sslcert=/c.pem sslkey=/k.pem sslpassword=pw sslcertmode=require", want: defCfg(func(c *Config) {
			c.SSLCert, c.SSLKey, c.SSLPassword, c.SSLCertMode = "/c.pem", "/k.pem", "pw", SSLCertRequire
		})},
		{name: "sslkey defaults beside an explicit sslcert", in: "sslcert=/c.pem", want: defCfg(func(c *Config) {
			c.SSLCert, c.SSLKey = "/c.pem", testHome+"/.postgresql/postgresql.key"
		})},
		{name: "cert env", in: "", env: map[string]string{"PGSSLCERT": "/e.crt", "PGSSLKEY": "/e.key", "PGSSLCERTMODE": "disable"}, want: defCfg(func(c *Config) {
			c.SSLCert, c.SSLKey, c.SSLCertMode = "/e.crt", "/e.key", SSLCertDisable
		})},
		{name: "passfile", in: "passfile=/p", want: defCfg(func(c *Config) { c.PassFile = "/p" })},
		{name: "PGPASSFILE", in: "", env: map[string]string{"PGPASSFILE": "/e"}, want: defCfg(func(c *Config) { c.PassFile = "/e" })},
		{name: "require_auth", in: "require_auth=scram-sha-256,none channel_binding=require", want: defCfg(func(c *Config) {
			c.RequireAuth, c.ChannelBinding = "scram-sha-256,none", ChannelBindingRequire
		})},
		{name: "require_auth env", in: "", env: map[string]string{"PGREQUIREAUTH": "!password", "PGCHANNELBINDING": "disable"}, want: defCfg(func(c *Config) {
			c.RequireAuth, c.ChannelBinding = "!password", ChannelBindingDisable
		})},
		{name: "target and balance", in: "target_session_attrs=prefer-standby load_balance_hosts=random", want: defCfg(func(c *Config) {
			c.TargetSessionAttrs, c.LoadBalanceHosts = TargetPreferStandby, true
		})},
		{name: "target env", in: "", env: map[string]string{"PGTARGETSESSIONATTRS": "read-write", "PGLOADBALANCEHOSTS": "disable"}, want: defCfg(func(c *Config) {
			c.TargetSessionAttrs = TargetReadWrite
		})},
		{name: "keepalives", in: "keepalives=0 keepalives_idle=30 keepalives_interval=5 keepalives_count=3 tcp_user_timeout=2500", want: defCfg(func(c *Config) {
			c.KeepalivesOff, c.KeepalivesIdle, c.KeepalivesInterval, c.KeepalivesCount = true, 30*time.Second, 5*time.Second, 3
			c.TCPUserTimeout = 2500 * time.Millisecond
		})},
		{name: "keepalives 1", in: "keepalives=1", want: defCfg(nil)},
		{name: "tcp_user_timeout 0 is the OS default", in: "tcp_user_timeout=0", want: defCfg(func(c *Config) { c.TCPUserTimeout = -1 })},
		{name: "gssencmode and sslsni accepted", in: "gssencmode=disable sslsni=1", env: map[string]string{"PGGSSENCMODE": "prefer"}, want: defCfg(nil)},
		{name: "PGOPTIONS and friends", in: "", env: map[string]string{
			"PGOPTIONS": "-c geqo=off", "PGCLIENTENCODING": "UTF8", "PGTZ": "Europe/Paris", "PGDATESTYLE": "ISO, DMY", "PGGEQO": "off",
		}, want: defCfg(func(c *Config) {
			c.RuntimeParams = map[string]string{
				"options": "-c geqo=off", "client_encoding": "UTF8", "TimeZone": "Europe/Paris", "DateStyle": "ISO, DMY", "geqo": "off",
			}
		})},
		{name: "explicit params beat the env, in any case", in: "options=-cx=1 timezone=UTC datestyle=ISO", env: map[string]string{
			"PGOPTIONS": "-c geqo=off", "PGTZ": "Europe/Paris", "PGDATESTYLE": "German",
		}, want: defCfg(func(c *Config) {
			c.RuntimeParams = map[string]string{"options": "-cx=1", "timezone": "UTC", "datestyle": "ISO"}
		})},
	})
}

func TestParseConfigLibpqKeyErrors(t *testing.T) {
	const p = "wire: invalid connection string: "
	for _, tc := range []struct{ in, want string }{
		{"sslcertmode=maybe", p + `invalid sslcertmode "maybe" (valid: disable, allow, require) at sslcertmode`},
		{"sslcertmode=require", p + `sslcertmode=require without a client certificate (set sslcert) at sslcertmode`},
		{"require_auth=kerberos", p + `invalid require_auth method "kerberos" (valid: password, md5, scram-sha-256, none, gss, sspi, oauth; ! negates) at require_auth`},
		{"require_auth=md5,!password", p + `require_auth "md5,!password" mixes negated and plain methods at require_auth`},
		{"require_auth=md5,md5", p + `require_auth method "md5" given twice at require_auth`},
		{"require_auth=md5,", p + `invalid require_auth method "" (valid: password, md5, scram-sha-256, none, gss, sspi, oauth; ! negates) at require_auth`},
		{"channel_binding=yes", p + `invalid channel_binding "yes" (valid: disable, prefer, require) at channel_binding`},
		{"channel_binding=require sslmode=disable", p + `channel_binding=require needs TLS, not sslmode=disable at channel_binding`},
		{"target_session_attrs=master", p + `invalid target_session_attrs "master" (valid: any, read-write, read-only, primary, standby, prefer-standby) at target_session_attrs`},
		{"load_balance_hosts=on", p + `invalid load_balance_hosts "on" (valid: disable, random) at load_balance_hosts`},
		{"keepalives=x", p + `invalid keepalives "x" (want an integer >= 0) at keepalives`},
		{"keepalives_idle=-1", p + `invalid keepalives_idle "-1" (want integer seconds >= 0) at keepalives_idle`},
		{"tcp_user_timeout=1s", p + `invalid tcp_user_timeout "1s" (want integer milliseconds >= 0) at tcp_user_timeout`},
		{"gssencmode=require", p + `gssencmode=require is not supported (no GSSAPI) at gssencmode`},
		{"sslsni=0", p + `sslsni="0" is not supported (the server name is always sent when it is a host name) at sslsni`},
	} {
		cleanEnv(t)
		_, err := ParseConfig(tc.in)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseConfig(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// libpq's default client certificate and root certificate are used only
// when they exist.
func TestParseConfigDefaultSSLFiles(t *testing.T) {
	cleanEnv(t)
	home := t.TempDir()
	csHome = func() string { return home }
	c, err := ParseConfig("")
	if err != nil || c.SSLCert != "" || c.SSLKey != "" || c.SSLRootCert != "" {
		t.Fatalf("no files: %+v, %v", c, err)
	}
	dir := filepath.Join(home, ".postgresql")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"postgresql.crt", "root.crt"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err = ParseConfig("")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "postgresql.crt"); c.SSLCert != want {
		t.Errorf("SSLCert = %q, want %q", c.SSLCert, want)
	}
	if want := filepath.Join(dir, "postgresql.key"); c.SSLKey != want {
		t.Errorf("SSLKey = %q, want %q", c.SSLKey, want)
	}
	if want := filepath.Join(dir, "root.crt"); c.SSLRootCert != want {
		t.Errorf("SSLRootCert = %q, want %q", c.SSLRootCert, want)
	}
	c, err = ParseConfig("sslmode=disable")
	if err != nil || c.SSLCert != "" || c.SSLRootCert != "" {
		t.Errorf("sslmode=disable still picks the default files: %+v, %v", c, err)
	}
	c, err = ParseConfig("sslcertmode=disable")
	if err != nil || c.SSLCert != "" {
		t.Errorf("sslcertmode=disable still picks the default certificate: %+v, %v", c, err)
	}
}

func TestConfigStringLibpqRoundTrip(t *testing.T) {
	cleanEnv(t)
	in := "host=a,b hostaddr=10.0.0.1,10.0.0.2 port=1,2 passfile=/p sslcert=/c sslkey=/k sslpassword=secret sslcertmode=require " +
		"require_auth=!md5 channel_binding=require target_session_attrs=standby load_balance_hosts=random " +
		"keepalives=0 keepalives_idle=9 keepalives_interval=8 keepalives_count=7 tcp_user_timeout=0"
	c, err := ParseConfig(in)
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	if strings.Contains(s, "secret") {
		t.Errorf("String() %q leaks sslpassword", s)
	}
	c2, err := ParseConfig(s)
	if err != nil {
		t.Fatalf("ParseConfig(%q): %v", s, err)
	}
	c.SSLPassword = "********"
	if diff := cmp.Diff(c, c2); diff != "" {
		t.Errorf("round trip via %q (-want +got):\n%s", s, diff)
	}
}

// A connection-string parameter replaces the session's pinned setting of
// the same name in any case, instead of both being sent.
func TestStartupParamsCaseInsensitiveOverride(t *testing.T) {
	c := &Conn{cfg: Config{User: "u", RuntimeParams: map[string]string{"datestyle": "German", "TIMEZONE": "Europe/Paris"}}}
	seen := map[string]string{}
	for _, kv := range c.startupParams() {
		lk := strings.ToLower(kv[0])
		if _, dup := seen[lk]; dup {
			t.Errorf("parameter %s sent twice", kv[0])
		}
		seen[lk] = kv[1]
	}
	if seen["datestyle"] != "German" || seen["timezone"] != "Europe/Paris" {
		t.Errorf("startup parameters %v: want the user's DateStyle and TimeZone", seen)
	}
}
