package pgserver

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
)

// ServerUserName is the unprivileged OS user the servers run as when the
// harness runs as root (PostgreSQL refuses to run as root).
const ServerUserName = "pgwal"

type osUser struct {
	name     string
	uid, gid uint32
}

var (
	serverUserOnce sync.Once
	serverUserVal  *osUser
	serverUserErr  error
)

// serverUser returns the user to run the server as, or nil when not root.
func serverUser() (*osUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	serverUserOnce.Do(func() { serverUserVal, serverUserErr = ensureServerUser() })
	return serverUserVal, serverUserErr
}

func lookupUser(name string) (*osUser, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("user %s: bad uid/gid %q/%q", name, u.Uid, u.Gid)
	}
	if uid == 0 {
		return nil, fmt.Errorf("user %s has uid 0", name)
	}
	return &osUser{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
}

func ensureServerUser() (*osUser, error) {
	if u, err := lookupUser(ServerUserName); err == nil {
		return u, nil
	}
	out, uaErr := exec.Command("useradd", "--system", "--no-create-home",
		"--shell", "/usr/sbin/nologin", ServerUserName).CombinedOutput()
	// Another process may have created it concurrently (useradd then fails
	// with "already exists"): look it up again either way.
	if u, err := lookupUser(ServerUserName); err == nil {
		return u, nil
	}
	if u, err := lookupUser("nobody"); err == nil {
		return u, nil
	}
	return nil, fmt.Errorf("pgserver: running as root and cannot get an unprivileged user: useradd %s: %v: %s; no user nobody",
		ServerUserName, uaErr, out)
}

func (u *osUser) cred() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: []uint32{}}}
}

// canReach reports whether user u can traverse to and execute path.
func (u *osUser) canReach(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	for p := abs; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if ok {
			perm := uint32(fi.Mode().Perm())
			var bits uint32
			switch {
			case st.Uid == u.uid:
				bits = perm >> 6
			case st.Gid == u.gid:
				bits = perm >> 3
			default:
				bits = perm
			}
			if bits&1 == 0 {
				return fmt.Errorf("%s (mode %v, owner uid %d) is not searchable/executable by user %s (uid %d)",
					p, fi.Mode().Perm(), st.Uid, u.name, u.uid)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}
