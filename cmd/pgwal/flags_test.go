package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pgwal/pgwal/lsn"
)

// Command lines refused before anything is sent: exit 2 (1 for a format
// that is not built), with a message naming the problem.
func TestStreamUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-S", "s"}, 2, "at least one action is needed"},
		{[]string{"--start", "--publication", "p"}, 2, "-S/--slot is required"},
		{[]string{"-S", "s", "--start"}, 2, "--publication is required"},
		{[]string{"-S", "s", "--drop-slot", "--start"}, 2, "cannot use --create-slot or --start together with --drop-slot"},
		{[]string{"-S", "s", "--drop-slot", "--create-slot"}, 2, "cannot use --create-slot or --start together with --drop-slot"},
		{[]string{"-S", "s", "--create-slot", "--start", "--publication", "p", "-I", "0/10"}, 2, "cannot use --create-slot or --drop-slot together with -I/--startpos"},
		{[]string{"-S", "s", "--create-slot", "-E", "0/10"}, 2, "-E/--endpos may only be specified with --start"},
		{[]string{"-S", "s", "--start", "0/0", "--publication", "p"}, 2, "--start is an action now, as in pg_recvlogical; give the start position with -I/--startpos 0/0"},
		{[]string{"-S", "s", "--start=1/AB", "--publication", "p"}, 2, "-I/--startpos 1/AB"},
		{[]string{"-S", "s", "--start", "-P", "wal2json"}, 2, "-P/--plugin wal2json: pgwal reads pgoutput and renders it itself; choose the output with --format"},
		{[]string{"-S", "s", "--start", "--publication", "p", "-o", "include-xids=1"}, 2, `--format pgwal has no option "include-xids"`},
		{[]string{"-S", "s", "--start", "--publication", "p", "--format", "wal2json", "-o", "format-version=3"}, 2, "format-version"},
		{[]string{"-S", "s", "--start", "--publication", "p", "--format", "wal2json", "-o", "include-not-null=1"}, 2, "include-not-null"},
		{[]string{"-S", "s", "--start", "--publication", "p", "--format", "wal2json", "--two-phase"}, 2, "standard output needs --state-dir"},
		{[]string{"-S", "s", "--start", "--publication", "p", "--state-dir", "d"}, 2, "--state-dir is for --format wal2json --two-phase"},
		{[]string{"-S", "s", "--start", "--publication", "p", "--format", "xml"}, 2, `--format "xml": want one of messages, pgwal, wal2json`},
		{[]string{"-S", "s", "--start", "--publication", "p", "-F", "-1"}, 2, `-F/--fsync-interval "-1"`},
		{[]string{"-S", "s", "--start", "--publication", "p", "-s", "x"}, 2, `-s/--status-interval "x"`},
		{[]string{"-S", "s", "--start", "--publication", "p", "-E", "zz"}, 2, `-E/--endpos "zz"`},
		{[]string{"-S", "s", "--start", "--publication", "p", "-p", "99999"}, 2, `-p/--port "99999"`},
		{[]string{"-S", "s", "--start", "--publication", "p", "-W"}, 2, "pgwal never prompts"},
		{[]string{"-S", "s", "--start", "--publication", "p", "--dsn", "host=x", "-d", "dbname=y"}, 2, "not both"},
		{[]string{"-S", "s", "--start", "--publication", "p", "-o", "streaming=sideways"}, 2, `--streaming "sideways"`},
		{[]string{"-S", "s", "--temporary", "--drop-slot"}, 2, "--temporary cannot be used with --drop-slot"},
		{[]string{"-S", "s", "--start", "--publication", "p", "extra"}, 2, `unexpected arguments ["extra"]`},
		{[]string{"--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"-S", "s", "--start", "--publication", "p", "--snapshot"}, 2, "--snapshot needs --create-slot --start"},
		{[]string{"-S", "s", "--create-slot", "--start", "--publication", "p", "--snapshot", "--temporary"}, 2, "--snapshot needs a slot that outlives"},
		{[]string{"-S", "s", "--create-slot", "--if-not-exists", "--start", "--publication", "p", "--snapshot"}, 2, "--snapshot cannot use an existing slot"},
		{[]string{"-S", "s", "--create-slot", "--start", "--publication", "p", "--snapshot", "--format", "messages"}, 2, "--snapshot cannot be shown with --format messages"},
		{[]string{"-S", "s", "--start", "--publication", "p", "--snapshot-jobs", "2"}, 2, "--snapshot-jobs needs --snapshot"},
	} {
		code, stdout, stderr := runCmd(append([]string{"stream"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	code, _, stderr := runCmd("capture", "-S", "s", "--publication", "p", "-o", "out.bin")
	if code != 2 || !strings.Contains(stderr, "the capture file is -f/--file now") {
		t.Errorf("capture -o: exit %d: %s", code, stderr)
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"stream", "--help"}, {"stream", "-h"}, {"stream", "-?"}, {"help", "stream"}} {
		code, stdout, _ := runCmd(args...)
		if code != 0 || !strings.Contains(stdout, "Exit status:") || !strings.Contains(stdout, "--fsync-interval") {
			t.Errorf("%q: exit %d", args, code)
		}
	}
	for _, args := range [][]string{{"--version"}, {"stream", "-V"}, {"stream", "--version"}} {
		code, stdout, _ := runCmd(args...)
		if code != 0 || !strings.HasPrefix(stdout, "pgwal ") || !strings.Contains(stdout, " go1.") {
			t.Errorf("%q: exit %d, %q", args, code, stdout)
		}
	}
	// -h with a value is the host, as in pg_recvlogical.
	_, cfg, code, done := parseReplFlags("stream", streamHelp, []string{"-h", "db.example", "-p", "6543", "-U", "u", "-d", "app", "-S", "s", "--create-slot"}, io.Discard, io.Discard, nil)
	if done || code != 0 || cfg.Host != "db.example" || cfg.Port != 6543 || cfg.User != "u" || cfg.Database != "app" {
		t.Errorf("connection flags: code %d, %+v", code, cfg)
	}
	// -d with a connection string; -h, -p and -U override it.
	_, cfg, _, done = parseReplFlags("stream", streamHelp, []string{"-d", "host=a port=1 dbname=b user=c", "-h", "z", "-S", "s", "--create-slot"}, io.Discard, io.Discard, nil)
	if done || cfg.Host != "z" || cfg.Port != 1 || cfg.Database != "b" || cfg.User != "c" {
		t.Errorf("-d connection string: %+v", cfg)
	}
}

// pgoutput's own -o options set the flags of that meaning; the others are
// the format's; seconds and LSNs parse as pg_recvlogical's.
func TestStreamFlagValues(t *testing.T) {
	f, _, code, done := parseReplFlags("stream", streamHelp, []string{"--slot=s", "--start", "-o", "publication_names=a,b", "-o", "proto_version=2",
		"-o", "binary=true", "-o", "streaming=on", "-o", "messages", "-I", "1/A0", "-E", "2/0", "-F", "0.5", "-s", "0", "-t", "-n", "-v", "-o", "x=1"}, io.Discard, io.Discard, nil)
	if done || code != 0 {
		t.Fatalf("code %d", code)
	}
	if strings.Join(f.publications, ",") != "a,b" || f.proto != 2 || !f.binary || f.streaming != "on" || !f.messages || !f.twoPhase || !f.noLoop || !f.verbose {
		t.Errorf("flags %+v", f)
	}
	if f.startpos != lsn.LSN(0x1_000000A0) || f.endpos != lsn.LSN(0x2_00000000) || f.fsyncInterval != 500*time.Millisecond || f.statusInterval != 0 {
		t.Errorf("positions and intervals: %v %v %v %v", f.startpos, f.endpos, f.fsyncInterval, f.statusInterval)
	}
	if len(f.options) != 1 || f.options[0].String() != "x=1" {
		t.Errorf("format options %v", f.options)
	}
	if f, _, _, _ := parseReplFlags("stream", streamHelp, []string{"-S", "s", "--enable-two-phase", "--create-slot"}, io.Discard, io.Discard, nil); f == nil || !f.twoPhase {
		t.Errorf("--enable-two-phase not taken")
	}
}

// No command line panics: every flag with odd values, in many orders.
func TestStreamFlagsNoPanic(t *testing.T) {
	names := []string{"-d", "-h", "-p", "-U", "-S", "--create-slot", "--drop-slot", "--start", "-I", "-E", "-f", "-F", "-s", "-o", "-n", "-v",
		"--if-not-exists", "-t", "-P", "--dsn", "--publication", "--format", "--binary", "--streaming", "--proto-version", "--messages",
		"--origin", "--batch", "--temporary", "--for", "--limit", "-w"}
	values := []string{"", "=", "0/0", "-1", "x=y", "postgres://[::1", "host='", "9999999999", "\x00", "on", "0"}
	var out bytes.Buffer
	for i := 0; i < 3000; i++ {
		var args []string
		for j := 0; j < 1+i%6; j++ {
			args = append(args, names[(i*7+j*13)%len(names)], values[(i*3+j*5)%len(values)])
		}
		parseReplFlags("stream", streamHelp, args, &out, &out, nil)
		out.Reset()
	}
}
