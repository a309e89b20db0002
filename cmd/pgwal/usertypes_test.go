package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/internal/recvlogical"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/value"
)

// userTypesSetup: a table whose columns are user types of every kind a
// binary session needs the catalogs for (mda: a domain over an array),
// and domains whose names format_type quotes (qd) or whose base has a
// type modifier (vc), which the formats name from the catalogs.
const userTypesSetup = `
CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy, "very"');
CREATE DOMAIN public.mood_d AS public.mood;
CREATE DOMAIN public.mood_dd AS public.mood_d;
CREATE DOMAIN public.posint AS int CHECK (VALUE > 0);
CREATE DOMAIN public.moods AS public.mood[];
CREATE TYPE public.pair AS (m public.mood, n public.posint, note text);
CREATE TYPE public.moodrange AS RANGE (subtype = public.mood);
CREATE SCHEMA "Odd";
CREATE DOMAIN "Odd"."Pos Int" AS public.posint;
CREATE DOMAIN public.vc AS varchar(5);
CREATE TABLE public.ut (id int PRIMARY KEY, m public.mood, ms public.mood[], md public.mood_dd,
  mds public.mood_dd[], p public.pair, ps public.pair[], pi public.posint,
  mr public.moodrange, mmr public.moodmultirange, mda public.moods, qd "Odd"."Pos Int", vc public.vc);
CREATE PUBLICATION pub FOR ALL TABLES;`

const userTypesWorkload = `
INSERT INTO public.ut VALUES (1, 'ok', '{sad,"happy, \"very\""}', 'sad', '{ok,NULL}',
  ROW('happy, "very"', 7, 'a (b)'), ARRAY[ROW('ok', 1, NULL)::public.pair, NULL], 42,
  '[sad,ok]', '{[sad,ok), (ok,)}', '[0:1]={ok,sad}', 5, 'abc');
INSERT INTO public.ut (id) VALUES (2);
INSERT INTO public.ut (id, ms, ps, mr) VALUES (3, '{}', '{}', 'empty');
UPDATE public.ut SET m = 'happy, "very"', pi = 1, p = ROW(NULL, NULL, ''), qd = 2 WHERE id = 1;
DELETE FROM public.ut WHERE id = 2;`

// userTypesDomainNames: how --format pgwal names the domain columns of
// public.ut (as format_type spells them, as it names other user types), where pgoutput's
// Type messages name their base types.
var userTypesDomainNames = []string{
	`{"name":"md","type":"public.mood_dd"`,
	`{"name":"pi","type":"public.posint"`,
	`{"name":"mda","type":"public.moods"`,
	`{"name":"qd","type":"\"Odd\".\"Pos Int\""`,
	`{"name":"vc","type":"public.vc"`,
}

// userTypeFormat is one --format run compared.
type userTypeFormat struct {
	name string
	args []string
}

// userTypeFormats: the --format runs compared; wal2json's format 2 prints
// each column's type with format_type, format 1 without include-typmod
// pg_type.typname.
var userTypeFormats = []userTypeFormat{
	{"wal2json", []string{"--format", "wal2json", "-o", "format-version=2", "-o", "include-types=1", "-o", "include-lsn=1", "-o", "include-xids=1"}},
	{"wal2json_v1_typname", []string{"--format", "wal2json", "-o", "format-version=1", "-o", "include-typmod=0", "-o", "include-lsn=1"}},
	{"pgwal", []string{"--format", "pgwal"}},
}

// pgwal stream --binary of enums, arrays of them, domains over user
// domains, composites with enum fields, ranges over an enum and a domain
// over int prints what the same stream prints without --binary (which
// needs no catalog), byte for byte, in --format wal2json and pgwal, on
// every server version.
func TestStreamBinaryUserTypes(t *testing.T) {
	for _, v := range pgserver.VersionsT(t) {
		t.Run(fmt.Sprint("PostgreSQL ", v), func(t *testing.T) {
			s := pgserver.StartT(t, pgserver.Config{Version: v})
			f := newFixture(s, 30*time.Second)
			f.sql(t, userTypesSetup)
			out, _ := compareBinaryUserTypes(t, f, userTypesWorkload, 5)
			for _, want := range userTypesDomainNames {
				for mode, got := range out["pgwal"] {
					if !strings.Contains(got, want) {
						t.Errorf("--format pgwal (%s) does not print %s:\n%s", mode, want, got)
					}
				}
			}
		})
	}
}

// compareBinaryUserTypes runs work and streams it with and without
// --binary in each format; lines is how many --format pgwal prints. It
// returns each format's output of each mode ("text", "binary").
func compareBinaryUserTypes(t *testing.T, f *fixture, work string, lines int) (map[string]map[string]string, lsn.LSN) {
	t.Helper()
	for _, ft := range userTypeFormats {
		for _, mode := range []string{"text", "binary"} {
			if r := runSync("stream", "--dsn", f.dsn, "-S", ft.name+"_"+mode, "--create-slot"); r.code != 0 {
				t.Fatalf("create slot: exit %d: %s", r.code, r.stderr)
			}
		}
	}
	f.sql(t, work)
	end := f.sql(t, "CHECKPOINT; SELECT pg_current_wal_insert_lsn()")
	endLSN, err := lsn.Parse(end)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, ft := range userTypeFormats {
		t.Run(ft.name, func(t *testing.T) {
			got := map[string]string{}
			got["text"], got["binary"] = textAndBinary(t, f, ft.name, end, ft.args...)
			if ft.name == "pgwal" {
				if n := strings.Count(got["text"], "\n"); n != lines {
					t.Errorf("%d changes printed, want %d:\n%s", n, lines, got["text"])
				}
			}
			if !strings.Contains(got["binary"], `happy, \\\"very\\\"`) && !strings.Contains(got["binary"], `happy, \"very\"`) {
				t.Errorf("the enum label is not in the output:\n%s", got["binary"])
			}
			out[ft.name] = got
		})
	}
	return out, endLSN
}

// A type created while streaming (a new enum column, a domain over it) is
// loaded by a reconnection, and the output still equals that of a text
// session started afterwards, the domain named as such; so does a text
// session's that was streaming. With --no-loop the binary session's error
// says to start again; a text session goes on, naming the domain by its
// base type as the Type message does.
func TestStreamBinaryNewUserType(t *testing.T) {
	s := pgserver.StartT(t, pgserver.Config{})
	f := newFixture(s, 30*time.Second)
	f.sql(t, userTypesSetup)
	for _, slot := range []string{"live_text", "live_bin", "live_noloop", "live_textlive", "live_textnoloop"} {
		if r := runSync("stream", "--dsn", f.dsn, "-S", slot, "--create-slot"); r.code != 0 {
			t.Fatalf("create slot: exit %d: %s", r.code, r.stderr)
		}
	}
	args := func(more ...string) []string {
		return append([]string{"stream", "--dsn", f.dsn, "--start", "--publication", "pub", "-f", "-", "--format", "pgwal"}, more...)
	}
	_, bin := runAsync(args("--binary", "-S", "live_bin", "--for", "8s")...)
	_, noloop := runAsync(args("--binary", "-S", "live_noloop", "--no-loop", "--for", "20s")...)
	_, textLive := runAsync(args("-S", "live_textlive", "--for", "8s")...)
	_, textNoloop := runAsync(args("-S", "live_textnoloop", "--no-loop", "--for", "8s")...)
	f.waitActive(t, "live_bin", bin)
	f.waitActive(t, "live_noloop", noloop)
	f.waitActive(t, "live_textlive", textLive)
	f.waitActive(t, "live_textnoloop", textNoloop)
	f.sql(t, userTypesWorkload+`
CREATE TYPE public.color AS ENUM ('red', 'green');
CREATE DOMAIN public.color_d AS public.color;
ALTER TABLE public.ut ADD COLUMN c public.color, ADD COLUMN cs public.color[], ADD COLUMN cd public.color_d;
INSERT INTO public.ut (id, c, cs, cd) VALUES (10, 'green', '{red,NULL}', 'red');`)
	end := f.sql(t, "CHECKPOINT; SELECT pg_current_wal_insert_lsn()")
	text := runSync("stream", "--dsn", f.dsn, "--start", "--publication", "pub", "-f", "-", "--format", "pgwal", "-S", "live_text", "-E", end)
	if text.code != 0 {
		t.Fatalf("text session: exit %d: %s", text.code, text.stderr)
	}
	b := wait(t, bin)
	if b.code != 0 {
		t.Fatalf("binary session: exit %d: %s", b.code, b.stderr)
	}
	if d := cmp.Diff(text.stdout, b.stdout); d != "" {
		t.Errorf("--binary differs from the text session (-text +binary):\n%s", d)
	}
	if !strings.Contains(b.stderr, "reconnecting to load it") || !strings.Contains(b.stdout, `"green"`) {
		t.Errorf("no reconnection for the new type: stderr %s\nstdout %s", b.stderr, b.stdout)
	}
	if !strings.Contains(text.stdout, `{"name":"cd","type":"public.color_d"`) {
		t.Errorf("the new domain is not named so:\n%s", text.stdout)
	}
	tl := wait(t, textLive)
	if tl.code != 0 || !strings.Contains(tl.stderr, "reconnecting to load it") {
		t.Fatalf("streaming text session: exit %d, no reconnection for the new types: %s", tl.code, tl.stderr)
	}
	if d := cmp.Diff(text.stdout, tl.stdout); d != "" {
		t.Errorf("the text session that was streaming differs (-after +streaming):\n%s", d)
	}
	tn := wait(t, textNoloop)
	if tn.code != 0 || !strings.Contains(tn.stdout, `{"name":"cd","type":"public.color"`) {
		t.Errorf("text --no-loop: exit %d, stderr %s\nstdout %s", tn.code, tn.stderr, tn.stdout)
	}
	n := wait(t, noloop)
	if n.code == 0 || !strings.Contains(n.stderr, "start pgwal stream again to load it") {
		t.Errorf("--no-loop: exit %d, stderr %s", n.code, n.stderr)
	}
}

// On Debian's PostgreSQL 15, --format wal2json of the user types, with
// and without --binary, prints what the wal2json plugin prints, byte for
// byte, domain columns' types included (format_type's public.posint,
// "Odd"."Pos Int", or typname's posint, where pgoutput names the base
// type), with and without include-typmod.
func TestStreamBinaryUserTypesWal2JSONPlugin(t *testing.T) {
	s := wal2jsonServer(t)
	f := newFixture(s, 30*time.Second)
	f.sql(t, userTypesSetup)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var w2j []userTypeFormat
	for _, ft := range userTypeFormats {
		if strings.HasPrefix(ft.name, "wal2json") {
			w2j = append(w2j, ft)
			if err := recvlogical.CreateSlot(ctx, s, recvlogical.Options{Slot: "plugin_" + ft.name, Plugin: "wal2json"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, end := compareBinaryUserTypes(t, f, userTypesWorkload, 5)
	for _, ft := range w2j {
		var opts []string
		for i, a := range ft.args {
			if a == "-o" {
				opts = append(opts, ft.args[i+1])
			}
		}
		want, err := recvlogical.Stream(ctx, s, recvlogical.Options{Slot: "plugin_" + ft.name, PluginOptions: opts, EndPos: end, Env: []string{w2jEnv}})
		if err != nil {
			t.Fatal(err)
		}
		if len(want) < 4 {
			t.Fatalf("%s: wal2json printed only %d lines", ft.name, len(want))
		}
		for _, mode := range []string{"text", "binary"} {
			if d := cmp.Diff(want, strings.Split(strings.TrimSuffix(got[ft.name][mode], "\n"), "\n")); d != "" {
				t.Errorf("%s: pgwal --format wal2json (%s) differs from the wal2json plugin (-plugin +pgwal):\n%s", ft.name, mode, d)
			}
		}
	}
	for _, name := range []string{`"public.posint"`, `"Odd"."Pos Int"`, `"public.moods"`} {
		if !strings.Contains(got["wal2json"]["text"], name) {
			t.Errorf("format 2 does not name a domain %s:\n%s", name, got["wal2json"]["text"])
		}
	}
	if !strings.Contains(got["wal2json_v1_typname"]["text"], `"posint"`) {
		t.Errorf("format 1 without include-typmod does not name a domain posint:\n%s", got["wal2json_v1_typname"]["text"])
	}
}

// Domains are registered base first whatever order the catalog rows
// come in, containers whenever; a domain over a type that is not known
// (an extension's base type) is left out.
func TestRegisterUserTypes(t *testing.T) {
	rows := []userType{
		{oid: 30005, name: "_dd", typtype: 'b', category: 'A', elem: 30003},
		{oid: 30003, name: "dd", typtype: 'd', category: 'E', base: 30002},
		{oid: 30002, name: "d", typtype: 'd', category: 'E', base: 30001},
		{oid: 30001, name: "mood", typtype: 'e', category: 'E'},
		{oid: 30006, name: "ext", typtype: 'b', category: 'U'},
		{oid: 30007, name: "ext_d", typtype: 'd', category: 'U', base: 30006},
		{oid: 30008, name: "pair", typtype: 'c', category: 'C'},
		{oid: 30009, name: "moodrange", typtype: 'r', category: 'R', sub: 30003},
	}
	var r value.Registry
	registerUserTypes(&r, rows)
	arr, err := value.AppendArrayBinary(nil, 30003, nil, []codec.Column{{Kind: codec.ColumnBinary, Data: []byte("ok")}, {Kind: codec.ColumnNull}})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := value.AppendRecordBinary(nil, []value.Field{{OID: 30003, Column: codec.Column{Kind: codec.ColumnBinary, Data: []byte("a b")}}})
	if err != nil {
		t.Fatal(err)
	}
	rng := value.AppendRangeBinary(nil, value.RawRange{Flags: value.RangeLowerInc | value.RangeUpperInf, Kind: codec.ColumnBinary, Lower: []byte("sad")})
	for _, tc := range []struct {
		oid  uint32
		src  []byte
		want string
	}{
		{30003, []byte("ok"), "ok"},
		{30005, arr, "{ok,NULL}"},
		{30008, rec, `("a b")`},
		{30009, rng, "[sad,)"},
	} {
		got, err := r.AppendText(nil, tc.oid, -1, tc.src)
		if err != nil || string(got) != tc.want {
			t.Errorf("OID %d: %q, %v; want %q", tc.oid, got, err, tc.want)
		}
	}
	for _, oid := range []uint32{30006, 30007} {
		if _, ok := r.Lookup(oid); ok {
			t.Errorf("OID %d registered, want it unknown", oid)
		}
	}
}

// A session started after the user types were made, on a slot whose WAL
// predates them, decodes that WAL: loading the types must not leave the
// walsender with today's description of a table (pg_publication_tables
// opens each table, and decoding then failed with "cache lookup failed
// for type" on a type the old WAL does not know).
func TestStreamUserTypesOlderWAL(t *testing.T) {
	s := pgserver.StartT(t, pgserver.Config{})
	f := newFixture(s, 30*time.Second)
	f.sql(t, `CREATE TABLE public.ut (id int PRIMARY KEY);
CREATE PUBLICATION pub FOR ALL TABLES;`)
	for _, slot := range []string{"old_text", "old_binary"} {
		if r := runSync("stream", "--dsn", f.dsn, "-S", slot, "--create-slot"); r.code != 0 {
			t.Fatalf("create slot: exit %d: %s", r.code, r.stderr)
		}
	}
	f.sql(t, `INSERT INTO public.ut VALUES (1);
CREATE TYPE public.color AS ENUM ('red', 'green');
ALTER TABLE public.ut ADD COLUMN c public.color;
INSERT INTO public.ut VALUES (2, 'green');`)
	end := f.sql(t, "CHECKPOINT; SELECT pg_current_wal_insert_lsn()")
	got := map[string]string{}
	got["text"], got["bin"] = textAndBinary(t, f, "old", end, "--format", "pgwal")
	if n := strings.Count(got["bin"], "\n"); n != 2 || !strings.Contains(got["bin"], `"green"`) {
		t.Errorf("%d changes printed, want 2, the second green:\n%s", n, got["bin"])
	}
}

// textAndBinary streams slots prefix_text and prefix_binary up to end, the
// second with --binary, and reports where their outputs differ.
func textAndBinary(t *testing.T, f *fixture, prefix, end string, args ...string) (text, binary string) {
	t.Helper()
	var out [2]string
	for i, mode := range []string{"text", "binary"} {
		a := append([]string{"stream", "--dsn", f.dsn, "-S", prefix + "_" + mode, "--start", "--publication", "pub", "-E", end, "-f", "-"}, args...)
		if mode == "binary" {
			a = append(a, "--binary")
		}
		r := runSync(a...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", mode, r.code, r.stderr)
		}
		out[i] = r.stdout
	}
	if d := cmp.Diff(out[0], out[1]); d != "" {
		t.Errorf("--binary differs from the text session (-text +binary):\n%s", d)
	}
	return out[0], out[1]
}
