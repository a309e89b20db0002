package wal2json

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/internal/recvlogical"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/value"
	"github.com/pgwal/pgwal/wire"
)

// The comparison runs Debian's PostgreSQL 15 with its wal2json 2.5.
const (
	w2jBinDir = "/usr/lib/postgresql/15/bin"
	w2jPlugin = "/usr/lib/postgresql/15/lib/wal2json.so"
	// w2jPGOptions pins pg_recvlogical's session to the settings wire pins.
	w2jPGOptions = "PGOPTIONS=-c DateStyle=ISO -c IntervalStyle=postgres -c TimeZone=UTC -c extra_float_digits=3"
	pinned       = "SET DateStyle = ISO; SET IntervalStyle = postgres; SET TimeZone = 'UTC'; SET extra_float_digits = 3; SET search_path = '';\n"
)

// startServer starts the wal2json server, or skips (fails under CI=true).
func startServer(t *testing.T) *pgserver.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: no real server")
	}
	for _, f := range []string{w2jPlugin, w2jBinDir + "/postgres"} {
		if _, err := os.Stat(f); err != nil {
			msg := fmt.Sprintf("Debian's PostgreSQL 15 with wal2json is missing (%v): apt-get install postgresql-15 postgresql-15-wal2json", err)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return pgserver.StartT(t, pgserver.Config{BinDir: w2jBinDir, Version: 15, Settings: map[string]string{"wal_level": "logical"}})
}

// w2jRuns are the option sets compared, each read from its own slot.
var w2jRuns = [][]string{
	{"format-version=1"},
	{"format-version=1", "include-xids=1", "include-timestamp=true", "include-lsn=on", "include-type-oids", "include-pk=yes", "pretty-print=1"},
	{"format-version=1", "write-in-chunks=1", "include-typmod=false", "include-schemas=f", "include-xids=t"},
	{"format-version=1", "include-types=0", "include-type-oids=1", "include-pk=1",
		"add-tables=public.t_default, public.t_full,*.t_index,other.*", "filter-tables=public.t_full", "actions=insert,delete"},
	{"format-version=1", "pretty-print=1", "write-in-chunks=1", "include-pk=1", "include-lsn=1", "filter-msg-prefixes=b"},
	{"format-version=1", "include-typmod=0", "include-pk=1", "include-xids=1", "add-msg-prefixes=b,c"},
	{"format-version=2"},
	{"format-version=2", "include-xids=1", "include-timestamp=1", "include-lsn=1", "include-type-oids=1", "include-pk=1"},
	{"format-version=2", "include-transaction=false", "include-types=false", "include-schemas=false",
		"actions=update,truncate", "include-pk=1"},
	{"format-version=2", "add-tables=*.t_toast,public.types_t,other.Odd\\ \"Name\",public.t_trunc", "filter-tables=*.types_t",
		"add-msg-prefixes=a,b", "filter-msg-prefixes=a", "include-xids=1"},
	{"format-version", "include-typmod=false", "include-pk=1", "include-lsn=1", "pretty-print=1"},
}

// recorded is one pgoutput message of a session and its XLogData WALStart.
type recorded struct {
	msg      codec.Message
	walStart lsn.LSN
}

// TestCompareWal2JSON runs schema.sql, then creates a wal2json slot per
// option set in w2jRuns and two pgoutput slots (text and binary), then runs
// testdata/workload/07-types.sql, value/testdata/wal2json-extra.sql and workload.sql; it reads
// each wal2json slot with pg_recvlogical and the pgoutput slots with wire,
// prints the pgoutput sessions with Writer under the same options, and
// requires the bytes to be equal but for the differences in w2jExceptions.
func TestCompareWal2JSON(t *testing.T) {
	s := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	exec := func(sql string) string {
		t.Helper()
		out, err := s.ExecDB(ctx, pgserver.Database, sql)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	read := func(f string) string {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	exec(read("testdata/schema.sql"))
	for i := range w2jRuns {
		if err := recvlogical.CreateSlot(ctx, s, recvlogical.Options{Slot: fmt.Sprintf("w2j_%d", i), Plugin: "wal2json"}); err != nil {
			t.Fatal(err)
		}
	}
	exec("SELECT pg_create_logical_replication_slot('pg_text', 'pgoutput'); SELECT pg_create_logical_replication_slot('pg_bin', 'pgoutput')")
	exec(pinned + read("../testdata/workload/07-types.sql") + read("../value/testdata/wal2json-extra.sql"))
	exec(pinned + read("testdata/workload.sql"))
	exec("SELECT pg_logical_emit_message(true, 'end', 'end')")
	end := lsn.MustParse(exec("SELECT pg_current_wal_insert_lsn()"))

	pks := primaryKeys(t, exec)
	regs := regNames(t, exec)
	text := readPgoutput(ctx, t, s, "pg_text", false)
	bin := readPgoutput(ctx, t, s, "pg_bin", true)

	// The workload has what it is for: an unchanged TOAST value in an
	// update, truncates, both kinds of messages, a multi-change transaction.
	unchanged, truncates, msgs, multi := 0, 0, map[bool]int{}, 0
	n := 0
	for _, r := range text {
		switch m := r.msg.(type) {
		case *codec.Begin:
			n = 0
		case *codec.Insert, *codec.Delete:
			n++
		case *codec.Update:
			n++
			for _, c := range m.New {
				if c.Kind == codec.ColumnUnchanged {
					unchanged++
				}
			}
		case *codec.Truncate:
			truncates++
		case *codec.LogicalMessage:
			msgs[m.Transactional()]++
		case *codec.Commit:
			if n > 1 {
				multi++
			}
		}
	}
	if unchanged == 0 || truncates < 2 || msgs[true] < 2 || msgs[false] < 2 || multi < 3 {
		t.Fatalf("pgoutput sent %d unchanged TOAST values, %d truncates, messages %v, %d multi-change transactions", unchanged, truncates, msgs, multi)
	}

	used := map[string]int{}
	compared := 0
	for i, args := range w2jRuns {
		lines, err := recvlogical.Stream(ctx, s, recvlogical.Options{Slot: fmt.Sprintf("w2j_%d", i), EndPos: end,
			Env: []string{w2jPGOptions}, PluginOptions: args})
		if err != nil {
			t.Fatal(err)
		}
		w2j := strings.Join(lines, "\n") + "\n"
		opts, err := ParseOptions(args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, session := range []struct {
			name string
			msgs []recorded
		}{{"text", text}, {"binary", bin}} {
			var reg *value.Registry
			if session.name == "binary" {
				reg = regs
			}
			ours := render(t, opts, session.msgs, pks, reg)
			n, err := compareOutput(w2j, ours, opts, xidsOf(session.msgs), used)
			if err != nil {
				t.Errorf("%v, %s session: %v", args, session.name, err)
				continue
			}
			compared += n
		}
	}
	for _, e := range []string{exEmptyTxn, exDomainType, exNonTxComma} {
		if used[e] == 0 {
			t.Errorf("exception %q explained nothing: the workload lacks its case, or it is gone", e)
		}
	}
	t.Logf("%d option sets x 2 sessions: %d pieces equal byte for byte; exceptions used: %v", len(w2jRuns), compared, used)
}

// primaryKeys reads every user table's primary key columns.
func primaryKeys(t *testing.T, exec func(string) string) func(schema, table string) ([]string, bool) {
	out := exec(`SELECT n.nspname, c.relname, string_agg(a.attname, ',' ORDER BY a.attnum)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
		WHERE i.indisprimary AND n.nspname IN ('public', 'other') GROUP BY 1, 2`)
	m := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "|")
		if len(f) != 3 {
			t.Fatalf("primary keys: %q", line)
		}
		m[f[0]+"."+f[1]] = strings.Split(f[2], ",")
	}
	if len(m) < 5 {
		t.Fatalf("primary keys of %d tables: %v", len(m), m)
	}
	return func(schema, table string) ([]string, bool) {
		k, ok := m[schema+"."+table]
		return k, ok
	}
}

// regNames is a Registry that prints the workload's binary regclass and
// regtype values (bare OIDs) by name, as a consumer that read the catalog
// does; and knows the domain public.posint.
func regNames(t *testing.T, exec func(string) string) *value.Registry {
	names := map[uint32]string{}
	out := exec(pinned + `SELECT c_regclass::oid, c_regclass::text FROM public.types_t WHERE c_regclass IS NOT NULL
		UNION ALL SELECT c_regtype::oid, c_regtype::text FROM public.types_t WHERE c_regtype IS NOT NULL`)
	for _, line := range strings.Split(out, "\n") {
		oid, name, _ := strings.Cut(line, "|")
		n, err := strconv.ParseUint(oid, 10, 32)
		if err != nil {
			t.Fatalf("reg names: %q", line)
		}
		names[uint32(n)] = name
	}
	var r value.Registry
	for _, oid := range []uint32{2205, 2206} {
		base, _ := value.Lookup(oid)
		typ := *base
		typ.BinaryToText = func(dst []byte, _ *value.Type, _ int32, src []byte) ([]byte, error) {
			if len(src) != 4 {
				return dst, fmt.Errorf("reg value of %d bytes", len(src))
			}
			name, ok := names[binary.BigEndian.Uint32(src)]
			if !ok {
				return dst, fmt.Errorf("reg OID %d unknown", binary.BigEndian.Uint32(src))
			}
			return append(dst, name...), nil
		}
		r.Register(&typ)
	}
	return &r
}

// readPgoutput reads a pgoutput slot (publications w2j_*, messages on) up
// to the transaction with the "end" message, keeping copies.
func readPgoutput(ctx context.Context, t *testing.T, s *pgserver.Server, slot string, binary bool) []recorded {
	t.Helper()
	cfg, err := wire.ParseConfig(s.DSN("", "", pgserver.Database, "replication=database", "sslmode=disable"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := wire.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	st, err := conn.StartReplication(ctx, slot, 0, wire.LogicalOptions{
		Publications: []string{"w2j_main", "w2j_other", "w2j_nothing"}, Binary: binary, Messages: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []recorded
	sawEnd := false
	for {
		m, err := st.Next(ctx)
		if err != nil {
			t.Fatalf("%s after %d messages: %v", slot, len(out), err)
		}
		out = append(out, recorded{codec.Clone(m), st.WALStart()})
		if lm, ok := m.(*codec.LogicalMessage); ok && string(lm.Prefix) == "end" {
			sawEnd = true
		}
		if pos, ok := wire.AckPosition(m, st.WALStart()); ok {
			st.Ack(pos)
		}
		if _, ok := m.(*codec.Commit); ok && sawEnd {
			break
		}
	}
	st.Close(ctx)
	return out
}

func xidsOf(msgs []recorded) map[uint32]bool {
	x := map[uint32]bool{}
	for _, r := range msgs {
		if b, ok := r.msg.(*codec.Begin); ok {
			x[b.Xid] = true
		}
	}
	return x
}

// render prints a recorded session with a Writer, each piece as a string.
func render(t *testing.T, opts Options, msgs []recorded, pks func(string, string) ([]string, bool), reg *value.Registry) []string {
	t.Helper()
	var pieces []string
	w, err := NewWriter(opts, func(p []byte) error { pieces = append(pieces, string(p)); return nil })
	if err != nil {
		t.Fatal(err)
	}
	w.Types = reg
	f := NewFeeder(w)
	f.PrimaryKey = pks
	for _, r := range msgs {
		if err := f.Apply(r.msg, r.walStart); err != nil {
			t.Fatalf("%T: %v", r.msg, err)
		}
	}
	return pieces
}

// The differences TestCompareWal2JSON allows, each where it applies.
const (
	// wal2json prints every transaction, pgoutput (PostgreSQL 15+) does
	// not send one without published changes (DDL, as 07-types.sql's CREATE
	// TABLE): its empty object (format 1) or B and C pair (format 2) is
	// missing from Writer's output. Allowed only for a transaction whose
	// xid (when printed) pgoutput did not send.
	exEmptyTxn = "empty transaction"
	// pgoutput's Type message for a domain names its base type: wal2json
	// prints "public.posint" (or typname "posint"), Writer "integer" (or
	// "int4"), for public.t_dom's column d.
	exDomainType = "domain type name"
	// wal2json 2.5's format 1 puts a comma before a non-transactional
	// message's object when the transaction before it printed two or more
	// changes: {"change":[,{"kind":"message",... is not JSON; Writer
	// prints the valid object.
	exNonTxComma = "non-transactional message comma"
)

// compareOutput matches wal2json's output with Writer's pieces (each
// followed by a newline, as pg_recvlogical prints them), allowing only the
// exceptions; it returns how many pieces matched exactly.
func compareOutput(w2j string, ours []string, o Options, xids map[uint32]bool, used map[string]int) (int, error) {
	nl, ht, sp := "", "", ""
	if o.PrettyPrint {
		nl, ht, sp = "\n", "\t", " "
	}
	if o.IncludeTypes {
		n := strings.Count(w2j, `"public.posint"`) + strings.Count(w2j, `"posint"`)
		w2j = strings.ReplaceAll(w2j, `"public.posint"`, `"integer"`)
		w2j = strings.ReplaceAll(w2j, `"posint"`, `"int4"`)
		used[exDomainType] += n
	}
	var empty *regexp.Regexp
	if o.FormatVersion == 1 {
		q := regexp.QuoteMeta
		between := nl
		if o.WriteInChunks {
			between = "\n"
		}
		empty = regexp.MustCompile(`^\{` + q(nl) + `(?:` + q(ht) + `"xid":` + q(sp) + `(\d+),` + q(nl) + `)?(?:` + q(ht) + `"nextlsn":` + q(sp) + `"[0-9A-F]+/[0-9A-F]+",` + q(nl) + `)?(?:` +
			q(ht) + `"timestamp":` + q(sp) + `"[^"]+",` + q(nl) + `)?` + q(ht) + `"change":` + q(sp) + `\[` + q(between) + q(ht) + `\]` + q(nl) + `\}\n`)
	} else {
		empty = regexp.MustCompile(`^\{"action":"B"(?:,"xid":(\d+))?[^\n]*\}\n\{"action":"C"[^\n]*\}\n`)
	}
	pos, i, exact := 0, 0, 0
	for pos < len(w2j) || i < len(ours) {
		rest := w2j[pos:]
		if m := empty.FindStringSubmatch(rest); m != nil {
			// Writer's pieces from i, if they print the same empty
			// transaction, match it; else the exception applies.
			var b strings.Builder
			k := i
			for k < len(ours) && b.Len() < len(m[0]) {
				b.WriteString(ours[k] + "\n")
				k++
			}
			if b.String() == m[0] {
				pos, i, exact = pos+len(m[0]), k, exact+k-i
				continue
			}
			if x, err := strconv.ParseUint(m[1], 10, 32); m[1] == "" || err == nil && !xids[uint32(x)] {
				pos += len(m[0])
				used[exEmptyTxn]++
				continue
			}
		}
		if i < len(ours) && strings.HasPrefix(rest, ours[i]+"\n") {
			pos += len(ours[i]) + 1
			i++
			exact++
			continue
		}
		if i < len(ours) && o.FormatVersion == 1 && strings.Contains(ours[i], `"transactional":`+sp+`false`) {
			open := "[" + nl + ht + ht + "{"
			if c := strings.Replace(ours[i], open, "["+nl+ht+ht+",{", 1); strings.HasPrefix(rest, c+"\n") {
				pos += len(c) + 1
				i++
				used[exNonTxComma]++
				continue
			}
		}
		next := "(end)"
		if i < len(ours) {
			next = ours[i]
		}
		d := 0
		for d < len(rest) && d < len(next) && rest[d] == next[d] {
			d++
		}
		from := max(0, d-150)
		return exact, fmt.Errorf("after %d pieces, at byte %d of the next, wal2json prints\n%.400q\nWriter prints\n%.400q", i, d, rest[from:], next[from:])
	}
	return exact, nil
}
