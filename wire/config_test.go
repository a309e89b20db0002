package wire

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var csEnvVars = []string{
	"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSSLMODE",
	"PGSSLROOTCERT", "PGSSLNEGOTIATION", "PGAPPNAME", "PGCONNECT_TIMEOUT",
}

// cleanEnv empties every PG* variable ParseConfig reads (empty = unset) and
// makes the OS user "osuser".
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, k := range csEnvVars {
		t.Setenv(k, "")
	}
	old := csOSUser
	csOSUser = func() string { return "osuser" }
	t.Cleanup(func() { csOSUser = old })
}

// defCfg is what ParseConfig("") returns in a clean environment, changed by f.
func defCfg(f func(c *Config)) *Config {
	c := &Config{
		Host:           "localhost",
		Port:           5432,
		User:           "osuser",
		Database:       "osuser",
		SSLMode:        SSLPrefer,
		SSLNegotiation: SSLNegotiationPostgres,
		RuntimeParams:  map[string]string{},
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
			name: "known keys case-insensitive",
			in:   "HOST=h SSLMode=require DbName=d",
			want: defCfg(func(c *Config) { c.Host, c.SSLMode, c.Database = "h", SSLRequire, "d" }),
		},
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
	for _, k := range csEnvVars {
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
		{"multiple hosts url", "postgres://h1,h2/db", nil, p + "multiple hosts are not supported at host"},
		{"multiple hosts url ports", "postgres://h1:1,h2:2/db", nil, p + "multiple hosts are not supported at host"},
		{"multiple hosts ipv6", "postgres://[::1],[::2]/db", nil, p + "multiple hosts are not supported at host"},
		{"multiple hosts kv", "host=h1,h2", nil, p + "multiple hosts are not supported at host"},
		{"multiple hosts query", "postgres:///d?host=a,b", nil, p + "multiple hosts are not supported at host"},
		{"multiple hosts env", "", map[string]string{"PGHOST": "a,b"}, p + "multiple hosts are not supported at PGHOST"},
		{"multiple ports", "port=1,2", nil, p + "multiple ports are not supported at port"},
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
		{"unsupported mixed case", "SSLCert=x", nil, p + `option "SSLCert" is not supported at SSLCert`},
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
	for _, k := range csUnsupportedKeys {
		cases = append(cases, errCase{"unsupported " + k, k + "=1", nil, p + `option "` + k + `" is not supported at ` + k})
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
