package pgserver

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// MinVersion and MaxVersion bound the major versions the harness knows about.
const (
	MinVersion = 14
	MaxVersion = 18
)

// install is one usable set of server binaries.
type install struct {
	Major   int
	BinDir  string
	Source  string // "env PGWAL_PG_BIN", "cache", "system", ...
	Version string // `postgres --version` output
}

// CacheDir returns the directory scripts/fetch-postgres.sh fills:
// $PGWAL_PG_CACHE, else /var/cache/pgwal/postgres when running as root (so
// the unprivileged server user can reach it; /root is usually 0700), else
// ${XDG_CACHE_HOME:-$HOME/.cache}/pgwal/postgres.
func CacheDir() string {
	if d := os.Getenv("PGWAL_PG_CACHE"); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/var/cache/pgwal/postgres"
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "pgwal", "postgres")
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return filepath.Join(os.TempDir(), "pgwal-cache", "postgres")
	}
	return filepath.Join(home, ".cache", "pgwal", "postgres")
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

type probeResult struct {
	major   int
	version string
	err     error
}

var (
	probeMu    sync.Mutex
	probeCache = map[string]probeResult{}
)

// probe runs `<bin>/postgres --version` (cached per path and mtime).
func probe(binDir string) (int, string, error) {
	pg := filepath.Join(binDir, "postgres")
	fi, err := os.Stat(pg)
	if err != nil {
		return 0, "", err
	}
	for _, b := range []string{"initdb", "pg_ctl"} {
		if _, err := os.Stat(filepath.Join(binDir, b)); err != nil {
			return 0, "", fmt.Errorf("%s missing", b)
		}
	}
	key := pg + "\x00" + fi.ModTime().String()
	probeMu.Lock()
	r, ok := probeCache[key]
	probeMu.Unlock()
	if ok {
		return r.major, r.version, r.err
	}
	out, err := exec.Command(pg, "--version").CombinedOutput()
	v := strings.TrimSpace(string(out))
	if err != nil {
		r = probeResult{err: fmt.Errorf("%s --version: %v: %s", pg, err, v)}
	} else if m := versionRE.FindStringSubmatch(v); m == nil {
		r = probeResult{err: fmt.Errorf("%s --version: unexpected output %q", pg, v)}
	} else {
		n, _ := strconv.Atoi(m[1])
		r = probeResult{major: n, version: v}
	}
	probeMu.Lock()
	probeCache[key] = r
	probeMu.Unlock()
	return r.major, r.version, r.err
}

// candidates lists usable installs in priority order: per-version env vars,
// PGWAL_PG_BIN, the download cache, the system (Debian) install.
// Problems with explicitly configured locations are returned as notes.
func candidates() (list []install, notes []string) {
	add := func(dir, source string, want int, explicit bool) {
		if dir == "" {
			return
		}
		major, v, err := probe(dir)
		if err != nil {
			if explicit {
				notes = append(notes, fmt.Sprintf("%s=%s unusable: %v", source, dir, err))
			}
			return
		}
		if want != 0 && major != want {
			notes = append(notes, fmt.Sprintf("%s=%s is PostgreSQL %d, not %d", source, dir, major, want))
			return
		}
		list = append(list, install{Major: major, BinDir: dir, Source: source, Version: v})
	}
	for v := MaxVersion; v >= MinVersion; v-- {
		name := fmt.Sprintf("PGWAL_PG%d_BIN", v)
		add(os.Getenv(name), "env "+name, v, true)
	}
	add(os.Getenv("PGWAL_PG_BIN"), "env PGWAL_PG_BIN", 0, true)
	cache := CacheDir()
	for v := MaxVersion; v >= MinVersion; v-- {
		add(filepath.Join(cache, strconv.Itoa(v), "bin"), "cache", v, false)
	}
	for v := MaxVersion; v >= MinVersion; v-- {
		add(fmt.Sprintf("/usr/lib/postgresql/%d/bin", v), "system", v, false)
	}
	return list, notes
}

// Available returns the major versions that can be started here, ascending.
func Available() []int {
	list, _ := candidates()
	seen := map[int]bool{}
	var out []int
	for _, in := range list {
		if !seen[in.Major] {
			seen[in.Major] = true
			out = append(out, in.Major)
		}
	}
	sort.Ints(out)
	return out
}

// findInstall picks the binaries for a major version (0 = newest available).
func findInstall(version int) (install, error) {
	list, notes := candidates()
	var best *install
	for i := range list {
		in := &list[i]
		if version != 0 {
			if in.Major == version {
				return *in, nil
			}
			continue
		}
		if best == nil || in.Major > best.Major {
			best = in
		}
	}
	if best != nil {
		return *best, nil
	}
	what := "any PostgreSQL version"
	if version != 0 {
		what = fmt.Sprintf("PostgreSQL %d", version)
	}
	msg := fmt.Sprintf("no binaries for %s (looked at PGWAL_PG%s_BIN, PGWAL_PG_BIN, cache %s, /usr/lib/postgresql/N/bin)",
		what, versionOrN(version), CacheDir())
	if len(notes) > 0 {
		msg += "; " + strings.Join(notes, "; ")
	}
	return install{}, fmt.Errorf("pgserver: %s", msg)
}

// configInstall picks the binaries cfg asks for: cfg.BinDir if set, else
// what findInstall finds for cfg.Version.
func configInstall(cfg Config) (install, error) {
	if cfg.BinDir == "" {
		return findInstall(cfg.Version)
	}
	major, v, err := probe(cfg.BinDir)
	if err != nil {
		return install{}, fmt.Errorf("pgserver: BinDir %s unusable: %v", cfg.BinDir, err)
	}
	if cfg.Version != 0 && major != cfg.Version {
		return install{}, fmt.Errorf("pgserver: BinDir %s is PostgreSQL %d, not %d", cfg.BinDir, major, cfg.Version)
	}
	return install{Major: major, BinDir: cfg.BinDir, Source: "Config.BinDir", Version: v}, nil
}

func versionOrN(v int) string {
	if v == 0 {
		return "NN"
	}
	return strconv.Itoa(v)
}

// ClientBin finds a PostgreSQL client program (psql, pg_recvlogical,
// pg_basebackup, ...): first next to the server binaries in binDir (may be
// ""), then in the newest /usr/lib/postgresql/N/bin, then /usr/bin and PATH.
// The npm server packages ship no client programs; Debian's
// postgresql-client-NN does (a 15 client talks fine to 14..18 servers).
func ClientBin(binDir, name string) (string, error) {
	var dirs []string
	if binDir != "" {
		dirs = append(dirs, binDir)
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin"); len(m) > 0 {
		sort.Slice(m, func(i, j int) bool {
			a, _ := strconv.Atoi(filepath.Base(filepath.Dir(m[i])))
			b, _ := strconv.Atoi(filepath.Base(filepath.Dir(m[j])))
			return a > b
		})
		dirs = append(dirs, m...)
	}
	dirs = append(dirs, "/usr/bin")
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("pgserver: client program %s not found (apt-get install -y postgresql-client)", name)
}
