// Command pgwal reads PostgreSQL logical replication bytes.
//
//	pgwal decode [flags] [file ...]   decode captured bytes to JSON lines
//	pgwal stream [flags]              live changes from a slot as JSON lines
//	pgwal capture -o FILE [flags]     record a live session as a capture file
//
// Run "pgwal help <command>" for the flags and examples.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `pgwal — PostgreSQL logical replication, byte for byte

Usage:
  pgwal decode [flags] [file ...]   decode captured pgoutput / CopyData bytes to JSON lines
  pgwal stream [flags]              stream live changes from a replication slot as JSON lines
  pgwal capture -o FILE [flags]     record a live replication session as a capture file (for decode, wiretest)
  pgwal help [command]              show help

Run "pgwal <command> -h" for the flags and examples.
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
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			switch args[1] {
			case "decode":
				return decodeCmd([]string{"-h"}, stdin, stdout, stderr)
			case "stream":
				return streamCmd([]string{"-h"}, stdout, stderr)
			case "capture":
				return captureCmd([]string{"-h"}, stdout, stderr)
			}
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "pgwal: unknown command %q\n\n%s", args[0], usage)
	return 2
}
