package wire

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// The libpq connection options (fe-connect.c's PQconninfoOptions) and the
// environment variables libpq reads for them, in three groups: those this
// package implements, those that are startup parameters, and those it does
// not implement. Keys are case-sensitive, as in libpq.

// csKeys are the keys that map to Config fields, with the environment
// variable consulted when the key is absent ("" = none).
var csKeys = map[string]string{
	"host":                      "PGHOST",
	"hostaddr":                  "PGHOSTADDR",
	"port":                      "PGPORT",
	"user":                      "PGUSER",
	"password":                  "PGPASSWORD",
	"passfile":                  "PGPASSFILE",
	"dbname":                    "PGDATABASE",
	"sslmode":                   "PGSSLMODE",
	"sslrootcert":               "PGSSLROOTCERT",
	"sslcert":                   "PGSSLCERT",
	"sslkey":                    "PGSSLKEY",
	"sslpassword":               "",
	"sslcertmode":               "PGSSLCERTMODE",
	"sslnegotiation":            "PGSSLNEGOTIATION",
	"sslsni":                    "PGSSLSNI",
	"gssencmode":                "PGGSSENCMODE",
	"require_auth":              "PGREQUIREAUTH",
	"channel_binding":           "PGCHANNELBINDING",
	"application_name":          "PGAPPNAME",
	"fallback_application_name": "",
	"connect_timeout":           "PGCONNECT_TIMEOUT",
	"target_session_attrs":      "PGTARGETSESSIONATTRS",
	"load_balance_hosts":        "PGLOADBALANCEHOSTS",
	"keepalives":                "",
	"keepalives_idle":           "",
	"keepalives_interval":       "",
	"keepalives_count":          "",
	"tcp_user_timeout":          "",
	"replication":               "",
}

// csParamKeys are libpq keys that are startup parameters; they land in
// RuntimeParams under the same name, from the key or its variable.
var csParamKeys = map[string]string{
	"options":         "PGOPTIONS",
	"client_encoding": "PGCLIENTENCODING",
}

// csEnvParams are the variables libpq turns into startup parameters with
// no connection-string key of their own. They override the settings
// startupParams pins, as they would in libpq; a RuntimeParams entry of the
// same name (any case) wins over them.
var csEnvParams = [][2]string{
	{"PGDATESTYLE", "DateStyle"},
	{"PGTZ", "TimeZone"},
	{"PGGEQO", "geqo"},
}

// csUnsupportedKeys are libpq options this package does not implement,
// with their environment variables: an error when given or set, rather
// than silently ignored or sent to the server as startup parameters.
var csUnsupportedKeys = map[string]string{
	"authtype":                 "",
	"gssdelegation":            "PGGSSDELEGATION",
	"gsslib":                   "PGGSSLIB",
	"krbsrvname":               "PGKRBSRVNAME",
	"max_protocol_version":     "PGMAXPROTOCOLVERSION",
	"min_protocol_version":     "PGMINPROTOCOLVERSION",
	"oauth_client_id":          "",
	"oauth_client_secret":      "",
	"oauth_issuer":             "",
	"oauth_scope":              "",
	"requirepeer":              "PGREQUIREPEER",
	"requiressl":               "PGREQUIRESSL",
	"scram_client_key":         "",
	"scram_server_key":         "",
	"service":                  "PGSERVICE",
	"servicefile":              "PGSERVICEFILE",
	"ssl":                      "",
	"ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION",
	"ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION",
	"sslcompression":           "PGSSLCOMPRESSION",
	"sslcrl":                   "PGSSLCRL",
	"sslcrldir":                "PGSSLCRLDIR",
	"sslkeylogfile":            "",
	"tty":                      "",
}

// csCaseMismatch returns the libpq key that k spells in another case, or "".
func csCaseMismatch(k string) string {
	lk := strings.ToLower(k)
	if lk == k {
		return ""
	}
	for _, m := range []map[string]string{csKeys, csParamKeys, csUnsupportedKeys} {
		if _, ok := m[lk]; ok {
			return lk
		}
	}
	return ""
}

// csUnsupportedEnv returns an error for the first unsupported libpq
// variable that is set (non-empty).
func csUnsupportedEnv() error {
	for _, key := range csSortedKeys(csUnsupportedKeys) {
		env := csUnsupportedKeys[key]
		if env != "" && os.Getenv(env) != "" {
			return csErr(env, "environment variable %s (libpq's %s) is not supported; unset it", env, key)
		}
	}
	return nil
}

// csHome returns the directory libpq's per-user files live under: ~ on
// Unix, %APPDATA% on Windows ("" if unknown). A variable so tests can
// replace it.
var csHome = func() string {
	if runtime.GOOS == "windows" {
		return os.Getenv("APPDATA")
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return h
}

// csDefaultPassFile is libpq's default password file under home.
func csDefaultPassFile(home string) string {
	if home == "" {
		return ""
	}
	if runtime.GOOS == "windows" {
		return filepath.Join(home, "postgresql", "pgpass.conf")
	}
	return filepath.Join(home, ".pgpass")
}

// csDefaultSSLFile is libpq's default for sslcert ("postgresql.crt"),
// sslkey ("postgresql.key") and sslrootcert ("root.crt") under home.
func csDefaultSSLFile(home, name string) string {
	if home == "" {
		return ""
	}
	if runtime.GOOS == "windows" {
		return filepath.Join(home, "postgresql", name)
	}
	return filepath.Join(home, ".postgresql", name)
}

func csFileExists(path string) bool {
	if path == "" {
		return false
	}
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
