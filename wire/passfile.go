package wire

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// The password file (libpq's .pgpass): lines of
//
//	hostname:port:database:username:password
//
// where a field of just "*" matches anything, a backslash makes the next
// character literal (\: and \\), empty lines and lines starting with '#'
// are skipped, and the first matching line wins. It is read only when the
// server asks for a password and Config.Password is empty.

// passFileHost is the host name a server is looked up under: "localhost"
// for a Unix socket in a default socket directory (libpq compares the
// socket directory with its compiled-in default; both common defaults
// count here), the host otherwise.
func passFileHost(host string) string {
	switch strings.TrimRight(host, "/") {
	case "", "/tmp", "/var/run/postgresql", "/run/postgresql":
		return "localhost"
	}
	return host
}

// passFilePassword looks the session's server up in Config.PassFile. note
// says why the file was not used when that is worth telling the user
// (" (...)"), e.g. because it is readable by others.
func (c *Conn) passFilePassword() (password, note string) {
	host := c.cfg.Host
	if host == "" {
		host = c.cfg.HostAddr
	}
	port := c.cfg.Port
	if port == 0 {
		port = 5432
	}
	pw, err := lookupPassFile(c.cfg.PassFile, passFileHost(host), strconv.Itoa(int(port)), c.cfg.Database, c.cfg.User)
	if err != nil {
		return "", " (" + err.Error() + ")"
	}
	return pw, ""
}

// lookupPassFile returns the password of the first line of the file at
// path matching the four fields, or "". A missing file is no error; a file
// readable by group or others is ignored with an error (as libpq warns and
// ignores it), and so is one that is not a regular file.
func lookupPassFile(path, host, port, database, user string) (string, error) {
	if path == "" {
		return "", nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", nil
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("password file %q ignored: not a regular file", path)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("password file %q ignored: it has group or world access; permissions should be u=rw (0600) or less", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("password file %q: %v", path, err)
	}
	defer f.Close()
	want := [4]string{host, port, database, user}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		fields, wild := passFileFields(line)
		if len(fields) < 5 {
			continue
		}
		match := true
		for i, w := range want {
			if !wild[i] && fields[i] != w {
				match = false
				break
			}
		}
		if match {
			return fields[4], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("password file %q: %v", path, err)
	}
	return "", nil
}

// passFileFields splits a line at unescaped colons and removes the escapes;
// wild[i] says field i was an unescaped "*". Only five fields are returned:
// like libpq, the password ends at the next unescaped colon.
func passFileFields(line string) (fields []string, wild [5]bool) {
	var b strings.Builder
	raw := true // the field so far has no escapes
	for i := 0; i < len(line) && len(fields) < 5; i++ {
		switch ch := line[i]; {
		case ch == '\\' && i+1 < len(line):
			i++
			b.WriteByte(line[i])
			raw = false
		case ch == ':':
			wild[len(fields)] = raw && b.String() == "*"
			fields = append(fields, b.String())
			b.Reset()
			raw = true
		default:
			b.WriteByte(ch)
		}
	}
	if len(fields) < 5 {
		wild[len(fields)] = raw && b.String() == "*"
		fields = append(fields, b.String())
	}
	return fields, wild
}
