package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// replFlags are the flags of stream and capture: pg_recvlogical's, with
// its names and meanings, and pgwal's own.
type replFlags struct {
	// Connection (pg_recvlogical's -d, -h, -p, -U; pgwal's --dsn).
	dsn, dbname, host, port, user string
	noPassword, forcePassword     bool

	// Actions and the slot.
	slot        string
	createSlot  bool
	dropSlot    bool
	start       bool
	ifNotExists bool
	temporary   bool
	twoPhase    bool

	// Streaming (pg_recvlogical's).
	startposText, endposText string
	startpos, endpos         lsn.LSN
	file                     string
	fsyncText, statusText    string
	fsyncInterval            time.Duration
	statusInterval           time.Duration
	options                  optionList
	noLoop                   bool
	verbose                  bool
	version                  bool
	flagErr                  string // why a flag was refused, without the flag package's wrapping

	// pgwal's own.
	publications listFlag
	format       string
	transactions bool // --format pgwal: one object per transaction
	snapshot     bool // with --create-slot --start: copy the tables first
	snapshotJobs int
	stateDir     string // --format wal2json --two-phase: where prepared transactions wait
	proto        int
	binary       bool
	messages     bool
	streaming    string
	origin       string
	forDur       time.Duration
	limit        int
	batch        string
}

// listFlag is a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// pluginOption is one -o name[=value].
type pluginOption struct {
	Name, Value string
	HasValue    bool
}

func (o pluginOption) String() string {
	if o.HasValue {
		return o.Name + "=" + o.Value
	}
	return o.Name
}

// optionList collects -o/--option, in order.
type optionList []pluginOption

func (l *optionList) String() string {
	var parts []string
	for _, o := range *l {
		parts = append(parts, o.String())
	}
	return strings.Join(parts, " ")
}

func (l *optionList) Set(v string) error {
	name, value, has := strings.Cut(v, "=")
	if name == "" {
		return errors.New("want NAME or NAME=VALUE")
	}
	*l = append(*l, pluginOption{Name: name, Value: value, HasValue: has})
	return nil
}

// startFlag is the --start action. It was an LSN before pgwal followed
// pg_recvlogical; an LSN given to it says where that went.
type startFlag struct {
	p   *bool
	err *string // set to the message of a refused value
}

func (s startFlag) String() string {
	if s.p == nil {
		return "false"
	}
	return strconv.FormatBool(*s.p)
}
func (s startFlag) IsBoolFlag() bool { return true }
func (s startFlag) Set(v string) error {
	if looksLikeLSN(v) {
		*s.err = fmt.Sprintf("--start is an action now, as in pg_recvlogical; give the start position with -I/--startpos %s", v)
		return errors.New(*s.err)
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		*s.err = "--start takes no value (it is the action; the start position is -I/--startpos LSN)"
		return errors.New(*s.err)
	}
	*s.p = b
	return nil
}

func looksLikeLSN(v string) bool {
	_, err := lsn.Parse(v)
	return err == nil && strings.Contains(v, "/")
}

// refusedFlag is a pg_recvlogical flag pgwal does not take, with why.
type refusedFlag struct {
	msg    func(v string) string
	isBool bool
	value  *string // set to the message
}

func (r *refusedFlag) String() string   { return "" }
func (r *refusedFlag) IsBoolFlag() bool { return r.isBool }
func (r *refusedFlag) Set(v string) error {
	*r.value = r.msg(v)
	return errors.New(*r.value)
}

// both registers a flag under a short and a long name.
func both(fs *flag.FlagSet, short, long string, v flag.Value) {
	if short != "" {
		fs.Var(v, short, "")
	}
	fs.Var(v, long, "")
}

type boolValue struct{ p *bool }

func (b boolValue) String() string {
	if b.p == nil {
		return "false"
	}
	return strconv.FormatBool(*b.p)
}
func (b boolValue) IsBoolFlag() bool { return true }
func (b boolValue) Set(v string) error {
	x, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("takes no value")
	}
	*b.p = x
	return nil
}

type stringValue struct{ p *string }

func (s stringValue) String() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}
func (s stringValue) Set(v string) error { *s.p = v; return nil }

type intValue struct{ p *int }

func (i intValue) String() string {
	if i.p == nil {
		return "0"
	}
	return strconv.Itoa(*i.p)
}
func (i intValue) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return errors.New("want an integer")
	}
	*i.p = n
	return nil
}

type durationValue struct{ p *time.Duration }

func (d durationValue) String() string {
	if d.p == nil {
		return "0s"
	}
	return d.p.String()
}
func (d durationValue) Set(v string) error {
	x, err := time.ParseDuration(v)
	if err != nil {
		return errors.New("want a duration such as 30s")
	}
	*d.p = x
	return nil
}

func (f *replFlags) register(fs *flag.FlagSet) {
	s := func(short, long string, p *string) { both(fs, short, long, stringValue{p}) }
	b := func(short, long string, p *bool) { both(fs, short, long, boolValue{p}) }
	// Connection.
	s("", "dsn", &f.dsn)
	s("d", "dbname", &f.dbname)
	s("h", "host", &f.host)
	s("p", "port", &f.port)
	s("U", "username", &f.user)
	b("w", "no-password", &f.noPassword)
	b("W", "password", &f.forcePassword)
	// Actions, slot.
	s("S", "slot", &f.slot)
	b("", "create-slot", &f.createSlot)
	b("", "drop-slot", &f.dropSlot)
	both(fs, "", "start", startFlag{&f.start, &f.flagErr})
	b("", "if-not-exists", &f.ifNotExists)
	b("", "temporary", &f.temporary)
	b("t", "two-phase", &f.twoPhase)
	b("", "enable-two-phase", &f.twoPhase) // pg_recvlogical 18's name for -t
	// Streaming.
	s("I", "startpos", &f.startposText)
	s("E", "endpos", &f.endposText)
	s("f", "file", &f.file)
	s("F", "fsync-interval", &f.fsyncText)
	s("s", "status-interval", &f.statusText)
	both(fs, "o", "option", &f.options)
	b("n", "no-loop", &f.noLoop)
	b("v", "verbose", &f.verbose)
	b("V", "version", &f.version)
	both(fs, "P", "plugin", &refusedFlag{msg: func(v string) string {
		return fmt.Sprintf("-P/--plugin %s: pgwal reads pgoutput and renders it itself; choose the output with --format (pgwal or wal2json) and name the publication with --publication", v)
	}, value: &f.flagErr})
	// pgwal's own.
	fs.Var(&f.publications, "publication", "")
	s("", "format", &f.format)
	both(fs, "", "proto-version", intValue{&f.proto})
	b("", "binary", &f.binary)
	b("", "messages", &f.messages)
	b("", "transactions", &f.transactions)
	b("", "snapshot", &f.snapshot)
	both(fs, "", "snapshot-jobs", intValue{&f.snapshotJobs})
	s("", "state-dir", &f.stateDir)
	s("", "streaming", &f.streaming)
	s("", "origin", &f.origin)
	both(fs, "", "for", durationValue{&f.forDur})
	both(fs, "", "limit", intValue{&f.limit})
	s("", "batch", &f.batch)
	f.format, f.streaming, f.batch = "pgwal", "off", "auto"
	f.fsyncText, f.statusText = "10", "10"
}

// seconds parses pg_recvlogical's SECS (fractions allowed; 0 disables).
func seconds(flagName, v string) (time.Duration, error) {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || x < 0 || math.IsNaN(x) || x > 1e6 {
		return 0, usagef("%s %q: want a number of seconds, 0 or more", flagName, v)
	}
	return time.Duration(x * float64(time.Second)), nil
}

// pgoutputOptionNames are pgoutput's own option names: -o with one of them
// sets the pgwal flag of the same meaning, so a pg_recvlogical -P pgoutput
// command line moves over as it is.
var pgoutputOptionNames = map[string]string{
	"proto_version": "--proto-version", "publication_names": "--publication", "binary": "--binary",
	"messages": "--messages", "streaming": "--streaming", "origin": "--origin", "two_phase": "--two-phase",
}

// applyPgoutputOption takes a -o naming a pgoutput option.
func (f *replFlags) applyPgoutputOption(o pluginOption) error {
	v := strings.Trim(o.Value, `"'`)
	boolOpt := func(p *bool) error {
		if !o.HasValue {
			*p = true
			return nil
		}
		x, err := parsePGBool(v)
		if err != nil {
			return usagef("-o %s: want a boolean", o)
		}
		*p = x
		return nil
	}
	switch o.Name {
	case "proto_version":
		n, err := strconv.Atoi(v)
		if err != nil {
			return usagef("-o %s: want an integer", o)
		}
		f.proto = n
	case "publication_names":
		f.publications.Set(v)
	case "binary":
		return boolOpt(&f.binary)
	case "messages":
		return boolOpt(&f.messages)
	case "two_phase":
		return boolOpt(&f.twoPhase)
	case "streaming":
		if x, err := parsePGBool(v); err == nil {
			f.streaming = map[bool]string{true: "on", false: "off"}[x]
		} else {
			f.streaming = v
		}
	case "origin":
		f.origin = v
	}
	return nil
}

func parsePGBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "t", "true", "on", "yes", "y":
		return true, nil
	case "0", "f", "false", "off", "no", "n":
		return false, nil
	}
	return false, errors.New("not a boolean")
}

// check validates the flags before anything is sent; cmd is "stream" or
// "capture". Errors are usage errors (exit 2) unless said otherwise.
func (f *replFlags) check(cmd string) error {
	if f.forcePassword {
		return usagef("-W/--password: pgwal never prompts; give the password in PGPASSWORD, the connection string or ~/.pgpass")
	}
	var rest optionList
	for _, o := range f.options {
		if _, ok := pgoutputOptionNames[o.Name]; ok {
			if err := f.applyPgoutputOption(o); err != nil {
				return err
			}
			continue
		}
		rest = append(rest, o)
	}
	f.options = rest
	if f.temporary {
		if f.dropSlot {
			return usagef("--temporary cannot be used with --drop-slot")
		}
		f.createSlot, f.start = true, true
		if f.slot == "" {
			f.slot = fmt.Sprintf("pgwal_%d", os.Getpid())
		}
	}
	if cmd == "capture" {
		if f.dropSlot {
			return usagef("--drop-slot is for pgwal stream")
		}
		f.start = true // capture always streams
	}
	if f.slot == "" {
		return usagef("-S/--slot is required (or --temporary for a temporary slot)")
	}
	if !f.createSlot && !f.dropSlot && !f.start {
		return usagef("at least one action is needed: --create-slot, --start or --drop-slot")
	}
	if f.dropSlot && (f.createSlot || f.start) {
		return usagef("cannot use --create-slot or --start together with --drop-slot")
	}
	if f.startposText != "" && (f.createSlot || f.dropSlot) {
		return usagef("cannot use --create-slot or --drop-slot together with -I/--startpos")
	}
	if f.endposText != "" && !f.start {
		return usagef("-E/--endpos may only be specified with --start")
	}
	var err error
	if f.startposText != "" {
		if f.startpos, err = lsn.Parse(f.startposText); err != nil {
			return usagef("-I/--startpos %q: %v", f.startposText, err)
		}
	}
	if f.endposText != "" {
		if f.endpos, err = lsn.Parse(f.endposText); err != nil {
			return usagef("-E/--endpos %q: %v", f.endposText, err)
		}
	}
	if f.fsyncInterval, err = seconds("-F/--fsync-interval", f.fsyncText); err != nil {
		return err
	}
	if f.statusInterval, err = seconds("-s/--status-interval", f.statusText); err != nil {
		return err
	}
	if f.start && len(f.publications) == 0 {
		return usagef("--publication is required (the publications to stream, e.g. --publication my_pub)")
	}
	switch f.streaming {
	case "", "off", "on", "parallel":
	default:
		return usagef("--streaming %q: want off, on or parallel", f.streaming)
	}
	switch strings.ToLower(f.origin) {
	case "", "any", "none":
	default:
		return usagef("--origin %q: want any or none", f.origin)
	}
	if f.proto < 0 || f.proto > 4 {
		return usagef("--proto-version %d: want 1 to 4 (0: the highest the server supports)", f.proto)
	}
	if f.limit < 0 || f.forDur < 0 {
		return usagef("--limit and --for must not be negative")
	}
	switch f.batch {
	case "auto", "off":
	default:
		if d, err := time.ParseDuration(f.batch); err != nil || d <= 0 {
			return usagef("--batch %s: want auto, off or a positive duration", f.batch)
		}
	}
	return nil
}

// config builds the connection settings: --dsn or a -d connection string,
// then -d NAME, -h, -p and -U over it (as pg_recvlogical's options override
// its connection string), then the PG* environment variables for the rest.
func (f *replFlags) config(cmd string) (*wire.Config, error) {
	dsn := f.dsn
	dbname := f.dbname
	if isConnString(dbname) {
		if dsn != "" {
			return nil, usagef("give the connection string in --dsn or -d/--dbname, not both")
		}
		dsn, dbname = dbname, ""
	}
	cfg, err := wire.ParseConfig(dsn)
	if err != nil {
		which := "--dsn"
		if f.dsn == "" && f.dbname != "" {
			which = "-d/--dbname"
		}
		if dsn == "" {
			which = "the PG* environment variables"
		}
		return nil, usagef("%s: %v", which, err)
	}
	if dbname != "" {
		cfg.Database = dbname
	}
	if f.host != "" {
		cfg.Host, cfg.HostAddr, cfg.Fallbacks = f.host, "", nil
	}
	if f.port != "" {
		p, err := strconv.ParseUint(f.port, 10, 16)
		if err != nil || p == 0 {
			return nil, usagef("-p/--port %q: want a port number", f.port)
		}
		cfg.Port = uint16(p)
		for i := range cfg.Fallbacks {
			cfg.Fallbacks[i].Port = uint16(p)
		}
	}
	if f.user != "" {
		cfg.User = f.user
	}
	switch cfg.Replication {
	case wire.ReplicationOff:
		cfg.Replication = wire.ReplicationLogical
	case wire.ReplicationPhysical:
		return nil, usagef("--dsn: replication must be \"database\" (logical), not physical")
	}
	if cfg.ApplicationName == "" {
		cfg.ApplicationName = "pgwal " + cmd
	}
	switch f.batch {
	case "auto":
	case "off":
		cfg.Batching = wire.Batching{MinBytes: -1}
	default:
		d, _ := time.ParseDuration(f.batch) // checked
		cfg.Batching = wire.Batching{MaxDelay: d, Always: true}
	}
	return cfg, nil
}

// isConnString says whether a -d value is a connection string (libpq's
// rule: a URI, or anything with an '=').
func isConnString(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") || strings.Contains(s, "=")
}

// parseReplFlags parses args; code is the exit status when done.
func parseReplFlags(name, help string, args []string, stdout, stderr io.Writer, extra func(*flag.FlagSet)) (f *replFlags, cfg *wire.Config, code int, done bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f = &replFlags{}
	f.register(fs)
	if extra != nil {
		extra(fs)
	}
	fail := func(format string, a ...any) (*replFlags, *wire.Config, int, bool) {
		fmt.Fprintf(stderr, "pgwal %s: "+format+"\n", append([]any{name}, a...)...)
		fmt.Fprintf(stderr, "Try \"pgwal %s --help\" for more information.\n", name)
		return nil, nil, 2, true
	}
	for i, a := range args {
		if a == "--" {
			break
		}
		// -h is the host, as in pg_recvlogical; alone at the end it asks
		// for help, as --help and -? do.
		if a == "--help" || a == "-help" || a == "-?" || (a == "-h" && i == len(args)-1) {
			fmt.Fprint(stdout, help)
			return nil, nil, 0, true
		}
	}
	if err := fs.Parse(args); err != nil {
		if f.flagErr != "" {
			return fail("%s", f.flagErr)
		}
		return fail("%v", err)
	}
	if f.version {
		fmt.Fprintln(stdout, versionLine())
		return nil, nil, 0, true
	}
	if fs.NArg() > 0 {
		if f.start && looksLikeLSN(fs.Arg(0)) {
			return fail("--start is an action now, as in pg_recvlogical; give the start position with -I/--startpos %s", fs.Arg(0))
		}
		return fail("unexpected arguments %q", fs.Args())
	}
	if err := f.check(name); err != nil {
		return fail("%v", err)
	}
	cfg, err := f.config(name)
	if err != nil {
		return fail("%v", err)
	}
	return f, cfg, 0, false
}
