package demo

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
)

func needServer(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no real server")
	}
	if len(pgserver.Available()) == 0 {
		msg := "no PostgreSQL server binaries (make postgres)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

var upLine = regexp.MustCompile(`is up on (\S+) \(data in (\S+)\)`)

// gone waits until the server's data directory is removed and its port
// refuses connections.
func gone(t *testing.T, addr, dataDir string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, statErr := os.Stat(dataDir)
		c, dialErr := net.DialTimeout("tcp", addr, time.Second)
		if c != nil {
			c.Close()
		}
		if os.IsNotExist(statErr) && dialErr != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server left behind: data dir %s (stat: %v), %s accepting: %v", dataDir, statErr, addr, dialErr == nil)
		}
	}
}

func buildDemo(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "demo")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/demo").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startDemo runs the demo binary and reads its output up to the line that
// says where the server is.
func startDemo(t *testing.T, bin string) (cmd *exec.Cmd, lines *bufio.Reader, stdout interface{ Close() error }, stderr *bytes.Buffer, addr, dataDir string) {
	t.Helper()
	cmd = exec.Command(bin)
	stderr = &bytes.Buffer{}
	cmd.Stderr = stderr
	r, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines = bufio.NewReader(r)
	for i := 0; i < 3; i++ {
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the demo: %v (%s)", err, stderr.String())
		}
		if m := upLine.FindStringSubmatch(line); m != nil {
			addr, dataDir = m[1], m[2]
		}
	}
	if dataDir == "" {
		t.Fatal("the demo did not say where its server is")
	}
	return cmd, lines, r, stderr, addr, dataDir
}

func waitExit(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not end")
	}
	return cmd.ProcessState.ExitCode()
}

// make demo | head -3, Ctrl-C, and a failed step all stop the server and
// remove its files.
func TestCleanup(t *testing.T) {
	needServer(t)
	bin := buildDemo(t)

	t.Run("closed pipe", func(t *testing.T) {
		cmd, _, stdout, stderr, addr, dataDir := startDemo(t, bin)
		stdout.Close() // as head does after three lines
		if code := waitExit(t, cmd); code != 0 || stderr.Len() != 0 {
			t.Errorf("exit %d (want 0, quietly): %s", code, stderr.String())
		}
		gone(t, addr, dataDir)
	})

	t.Run("interrupt", func(t *testing.T) {
		cmd, lines, _, stderr, addr, dataDir := startDemo(t, bin)
		go func() { // keep reading, as a terminal does
			for {
				if _, err := lines.ReadString('\n'); err != nil {
					return
				}
			}
		}()
		cmd.Process.Signal(syscall.SIGINT)
		if code := waitExit(t, cmd); code != 130 || !strings.Contains(stderr.String(), "interrupted") {
			t.Errorf("exit %d (want 130): %s", code, stderr.String())
		}
		gone(t, addr, dataDir)
	})

	t.Run("failed step", func(t *testing.T) {
		failStep = "SELECT 1/0"
		defer func() { failStep = "" }()
		var out bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		err := Run(ctx, &out, 5*time.Second)
		if err == nil || !strings.Contains(err.Error(), "division by zero") {
			t.Fatalf("Run: %v\n%s", err, out.String())
		}
		m := upLine.FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no server line in:\n%s", out.String())
		}
		gone(t, m[1], m[2])
	})
}
