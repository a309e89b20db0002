// Command pgwal reads PostgreSQL logical replication bytes.
//
//	pgwal decode [flags] [file ...]   decode captured bytes to JSON lines
//
// Run "pgwal help decode" for the formats and examples.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `pgwal — PostgreSQL logical replication, byte for byte

Usage:
  pgwal decode [flags] [file ...]   decode captured pgoutput / CopyData bytes to JSON lines
  pgwal help [command]              show help

Run "pgwal decode -h" for the input formats and examples.
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
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[1] == "decode" {
			return decodeCmd([]string{"-h"}, stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "pgwal: unknown command %q\n\n%s", args[0], usage)
	return 2
}
