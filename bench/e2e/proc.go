package main

// Server-side CPU from /proc: the walsender serving a drain is a child of
// the postmaster. Its own utime+stime is sampled while it runs (the last
// reading before it exits), and when the postmaster reaps it its whole CPU
// time lands in the postmaster's cutime+cstime, which gives the exact total
// over the drain (every backend that exits during the drain counts; the
// harness runs no SQL while a client drains, and autovacuum is off).

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clkTck is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux
// architecture Go supports.
const clkTck = 100

type procStat struct {
	PPID                         int
	UTime, STime, CUTime, CSTime int64 // clock ticks
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	// f[0] is field 3 (state): field k is f[k-3].
	var s procStat
	nums := []*int64{&s.UTime, &s.STime, &s.CUTime, &s.CSTime}
	for j, p := range nums {
		if *p, err = strconv.ParseInt(f[11+j], 10, 64); err != nil {
			return s, fmt.Errorf("/proc/%d/stat: %v", pid, err)
		}
	}
	s.PPID, err = strconv.Atoi(f[1])
	return s, err
}

func ticks(t int64) time.Duration { return time.Duration(t) * time.Second / clkTck }

// children lists the postmaster's child processes.
func children(postmaster int) map[int]bool {
	kids := map[int]bool{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, err := readStat(pid); err == nil && s.PPID == postmaster {
			kids[pid] = true
		}
	}
	return kids
}

func postmasterPID(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(line))
}

// serverMeter measures the server side of one drain.
type serverMeter struct {
	postmaster int
	before     map[int]bool
	base       procStat

	mu      sync.Mutex
	pid     int           // the walsender, once seen
	sampled time.Duration // its utime+stime at the last reading
	stop    chan struct{}
	done    chan struct{}
}

func startMeter(postmaster int) (*serverMeter, error) {
	m := &serverMeter{postmaster: postmaster, before: children(postmaster), stop: make(chan struct{}), done: make(chan struct{})}
	var err error
	if m.base, err = readStat(postmaster); err != nil {
		return nil, err
	}
	go m.sample()
	return m, nil
}

func (m *serverMeter) sample() {
	defer close(m.done)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		m.mu.Lock()
		pid := m.pid
		m.mu.Unlock()
		if pid == 0 {
			for kid := range children(m.postmaster) {
				if m.before[kid] {
					continue
				}
				if cl, err := os.ReadFile("/proc/" + strconv.Itoa(kid) + "/cmdline"); err == nil && bytes.Contains(cl, []byte("walsender")) {
					pid = kid
					break
				}
			}
		}
		if pid != 0 {
			s, err := readStat(pid)
			m.mu.Lock()
			m.pid = pid
			if err == nil {
				m.sampled = ticks(s.UTime + s.STime)
			}
			m.mu.Unlock()
			if err != nil {
				return // gone
			}
		}
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
	}
}

// finish waits (after the client exited) until every backend started
// during the drain has been reaped, and returns the postmaster's reaped-
// children CPU over the drain and the walsender's last sampled CPU.
func (m *serverMeter) finish(timeout time.Duration) (reaped, sampled time.Duration, pid int, err error) {
	deadline := time.Now().Add(timeout)
	for {
		left := false
		for kid := range children(m.postmaster) {
			if !m.before[kid] {
				left = true
			}
		}
		if !left {
			break
		}
		if time.Now().After(deadline) {
			close(m.stop)
			<-m.done
			return 0, 0, 0, fmt.Errorf("a backend of the drain still runs %v after the client exited", timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(m.stop)
	<-m.done
	end, err := readStat(m.postmaster)
	if err != nil {
		return 0, 0, 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return ticks(end.CUTime + end.CSTime - m.base.CUTime - m.base.CSTime), m.sampled, m.pid, nil
}
