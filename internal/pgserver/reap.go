package pgserver

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Servers outlive a test process killed hard (go test -timeout, SIGKILL),
// since Stop never runs. Each server dir records its owner process; the
// first Start in a process stops and removes servers whose owner is gone.

const ownerFile = "owner.pid"

var reapOnce sync.Once

// procStart returns the start time (in clock ticks) of a process, "" if gone.
func procStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19] // field 22: starttime
}

func ownerRecord() string {
	pid := os.Getpid()
	return fmt.Sprintf("%d %s\n", pid, procStart(pid))
}

func ownerAlive(rec string) bool {
	f := strings.Fields(rec)
	if len(f) < 1 {
		return false
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		return false
	}
	st := procStart(pid)
	if st == "" {
		return false
	}
	return len(f) < 2 || f[1] == st
}

func reapStale(tmp string, logf func(string, ...any)) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, "pgwal-pg*"))
	for _, d := range dirs {
		rec, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			// being created right now, or not ours: leave young ones alone
			if fi, err := os.Stat(d); err != nil || time.Since(fi.ModTime()) < 10*time.Minute {
				continue
			}
		} else if ownerAlive(string(rec)) {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			line, _, _ := strings.Cut(string(b), "\n")
			if pid, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && pid > 1 {
				if cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); strings.Contains(string(cmd), "postgres") {
					syscall.Kill(pid, syscall.SIGQUIT) // immediate shutdown
					for i := 0; i < 50 && procStart(pid) != ""; i++ {
						time.Sleep(100 * time.Millisecond)
					}
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		if err := os.RemoveAll(d); err == nil && logf != nil {
			logf("pgserver: removed stale server dir %s", d)
		}
	}
}
