// Command pgwal reads PostgreSQL logical replication bytes.
//
//	pgwal decode [flags] [file ...]   decode captured bytes to JSON lines
//	pgwal stream [flags]              pg_recvlogical's actions and flags, for pgoutput
//	pgwal capture -f FILE [flags]     record a live session as a capture file
//	pgwal --version
//
// Run "pgwal help <command>" for the flags and examples.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
)

const usage = `pgwal — PostgreSQL logical replication, byte for byte

Usage:
  pgwal decode [flags] [file ...]   decode captured pgoutput / CopyData bytes to JSON lines
  pgwal stream [flags]              create, drop and stream from a replication slot, as pg_recvlogical
  pgwal capture -f FILE [flags]     record a live replication session as a capture file (for decode, wiretest)
  pgwal help [command]              show help
  pgwal --version                   show the version

Run "pgwal <command> --help" for the flags and examples.

Exit status: 0 success or a clean stop, 1 an error, 2 a bad command line.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "decode":
		return decodeCmd(args[1:], stdin, stdout, stderr)
	case "stream":
		return streamCmd(args[1:], stdout, stderr)
	case "capture":
		return captureCmd(args[1:], stdout, stderr)
	case "version", "-V", "-version", "--version":
		fmt.Fprintln(stdout, versionLine())
		return 0
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			switch args[1] {
			case "decode":
				return decodeCmd([]string{"-h"}, stdin, stdout, stderr)
			case "stream":
				return streamCmd([]string{"--help"}, stdout, stderr)
			case "capture":
				return captureCmd([]string{"--help"}, stdout, stderr)
			}
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "pgwal: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// versionLine is the module version (from the build information), the VCS
// revision when known, and the Go version.
func versionLine() string {
	v, rev := "(devel)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		dirty := ""
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value[:min(12, len(s.Value))]
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
		if rev != "" {
			rev = " " + rev + dirty
		}
	}
	return fmt.Sprintf("pgwal %s%s %s %s/%s", v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
