package wire_test

import (
	"database/sql"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/wire"
)

// commandSuite runs replication commands and SQL over replication=database
// (and replication=true) sessions of the superuser.
func commandSuite(t *testing.T, s *pgserver.Server) {
	v := s.VersionNum()
	logical := func(t *testing.T) *wire.Conn {
		t.Helper()
		return itConnect(t, itConfig(t, s, "", "", pgserver.Database, "replication=database", "sslmode=disable"))
	}
	physical := func(t *testing.T) *wire.Conn {
		t.Helper()
		return itConnect(t, itConfig(t, s, "", "", pgserver.Database, "replication=true", "sslmode=disable"))
	}
	unsupported := func(t *testing.T, what string, err error, supported bool) {
		t.Helper()
		if supported && err != nil {
			t.Fatalf("%s on %d: %v", what, v, err)
		}
		if !supported && !errors.Is(err, wire.ErrUnsupported) {
			t.Fatalf("%s on %d: %v, want ErrUnsupported", what, v, err)
		}
	}

	t.Run("IdentifySystemShow", func(t *testing.T) {
		c := logical(t)
		ctx := itCtx(t)
		info, err := c.IdentifySystem(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.SystemID == "" || info.Timeline != 1 || info.XLogPos == 0 || info.DBName != pgserver.Database {
			t.Errorf("IdentifySystem = %+v", info)
		}
		if _, err := strconv.ParseUint(info.SystemID, 10, 64); err != nil {
			t.Errorf("systemid %q: %v", info.SystemID, err)
		}
		num, err := c.Show(ctx, "server_version_num")
		if err != nil || num != strconv.Itoa(c.ServerVersionNum()) || num != strconv.Itoa(v) {
			t.Errorf("SHOW server_version_num = %q, %v; ServerVersionNum() = %d; server %d", num, err, c.ServerVersionNum(), v)
		}
		for _, bad := range []string{"", "server_version; DROP TABLE x", "a b", "wal'level"} {
			_, err := c.Show(ctx, bad)
			itClientError(t, err)
		}
		_, err = c.Show(ctx, "no_such_setting")
		itServerError(t, err, "42704")
		if _, err := c.IdentifySystem(ctx); err != nil {
			t.Fatalf("after errors: %v", err)
		}
		// A physical session has no database.
		p := physical(t)
		if info, err := p.IdentifySystem(ctx); err != nil || info.DBName != "" || info.Timeline != 1 {
			t.Errorf("physical IdentifySystem = %+v, %v", info, err)
		}
	})

	t.Run("TimelineHistory", func(t *testing.T) {
		c := logical(t)
		_, _, err := c.TimelineHistory(itCtx(t), 1)
		var se *wire.ServerError
		if !errors.As(err, &se) || se.Code == "" || se.Message == "" {
			t.Fatalf("TIMELINE_HISTORY 1: %v, want a *ServerError", err)
		}
		_, _, err = c.TimelineHistory(itCtx(t), 0)
		itClientError(t, err)
		if _, err := c.IdentifySystem(itCtx(t)); err != nil {
			t.Fatalf("after error: %v", err)
		}
	})

	t.Run("CreateLogicalSlots", func(t *testing.T) {
		c := logical(t)
		ctx := itCtx(t)
		sl, err := c.CreateReplicationSlot(ctx, "it_nothing", wire.SlotOptions{Temporary: true, Snapshot: "nothing"})
		if err != nil {
			t.Fatal(err)
		}
		if sl.Name != "it_nothing" || sl.ConsistentPoint == 0 || sl.SnapshotName != "" || sl.OutputPlugin != "pgoutput" {
			t.Errorf("nothing: %+v", sl)
		}
		sl, err = c.CreateReplicationSlot(ctx, "it_export", wire.SlotOptions{Temporary: true, Snapshot: "export"})
		if err != nil || sl.SnapshotName == "" || sl.ConsistentPoint == 0 {
			t.Fatalf("export: %+v, %v", sl, err)
		}
		// The default is export.
		if sl, err = c.CreateReplicationSlot(ctx, "it_default", wire.SlotOptions{Temporary: true}); err != nil || sl.SnapshotName == "" {
			t.Fatalf("default: %+v, %v", sl, err)
		}
		// use: inside a REPEATABLE READ transaction, which then sees the
		// slot's snapshot (legacy USE_SNAPSHOT syntax on 14).
		itMustExec(t, c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
		sl, err = c.CreateReplicationSlot(ctx, "it_use", wire.SlotOptions{Temporary: true, Snapshot: "use"})
		if err != nil || sl.ConsistentPoint == 0 || sl.SnapshotName != "" {
			t.Fatalf("use: %+v, %v", sl, err)
		}
		itMustExec(t, c, "SELECT count(*) FROM pg_class")
		itMustExec(t, c, "COMMIT")
		// A temporary slot can be dropped by its session.
		if err := c.DropReplicationSlot(ctx, "it_nothing", false); err != nil {
			t.Errorf("drop temporary: %v", err)
		}
		temps := func() string {
			rs := itMustExec(t, c, "SELECT string_agg(slot_name, ',' ORDER BY slot_name) AS s FROM pg_replication_slots WHERE temporary")
			return rs[0].Value(0, "s")
		}
		if got := temps(); got != "it_default,it_export,it_use" {
			t.Errorf("temporary slots: %q", got)
		}
		// use outside a transaction is the server's error.
		_, err = c.CreateReplicationSlot(ctx, "it_use2", wire.SlotOptions{Temporary: true, Snapshot: "use"})
		if !errors.As(err, new(*wire.ServerError)) {
			t.Fatalf("use outside a transaction: %v", err)
		}
		// Any error in a walsender drops the session's temporary slots
		// (documented for CREATE_REPLICATION_SLOT TEMPORARY).
		if got := temps(); got != "" {
			t.Errorf("temporary slots after an error: %q", got)
		}

		perm, err := c.CreateReplicationSlot(ctx, "it_perm", wire.SlotOptions{Snapshot: "nothing"})
		if err != nil || perm.ConsistentPoint == 0 {
			t.Fatalf("permanent: %+v, %v", perm, err)
		}
		_, err = c.CreateReplicationSlot(ctx, "it_perm", wire.SlotOptions{Snapshot: "nothing"})
		itServerError(t, err, "42710")
		rs := itMustExec(t, c, "SELECT slot_type, temporary, plugin FROM pg_replication_slots WHERE slot_name = 'it_perm'")
		if len(rs[0].Rows) != 1 || rs[0].Value(0, "temporary") != "f" || rs[0].Value(0, "plugin") != "pgoutput" {
			t.Errorf("it_perm in pg_replication_slots: %+v", rs[0].Rows)
		}

		_, err = c.CreateReplicationSlot(ctx, "it_2pc", wire.SlotOptions{Temporary: true, Snapshot: "nothing", TwoPhase: true})
		unsupported(t, "TWO_PHASE", err, v >= 150000)
		if v >= 150000 {
			rs := itMustExec(t, c, "SELECT two_phase FROM pg_replication_slots WHERE slot_name = 'it_2pc'")
			if rs[0].Value(0, "two_phase") != "t" {
				t.Errorf("it_2pc two_phase = %q", rs[0].Value(0, "two_phase"))
			}
		}
		_, err = c.CreateReplicationSlot(ctx, "it_failover", wire.SlotOptions{Snapshot: "nothing", Failover: true})
		unsupported(t, "FAILOVER", err, v >= 170000)
		if v >= 170000 {
			rs := itMustExec(t, c, "SELECT failover FROM pg_replication_slots WHERE slot_name = 'it_failover'")
			if rs[0].Value(0, "failover") != "t" {
				t.Errorf("it_failover failover = %q", rs[0].Value(0, "failover"))
			}
		}

		// ALTER_REPLICATION_SLOT: FAILOVER 17+, TWO_PHASE 18+.
		f, tr := false, true
		err = c.AlterReplicationSlot(ctx, "it_perm", &tr, nil)
		unsupported(t, "ALTER FAILOVER", err, v >= 170000)
		if v >= 170000 {
			rs := itMustExec(t, c, "SELECT failover FROM pg_replication_slots WHERE slot_name = 'it_perm'")
			if rs[0].Value(0, "failover") != "t" {
				t.Errorf("failover after ALTER = %q", rs[0].Value(0, "failover"))
			}
		}
		err = c.AlterReplicationSlot(ctx, "it_perm", nil, &tr)
		unsupported(t, "ALTER TWO_PHASE", err, v >= 180000)
		if v >= 180000 {
			rs := itMustExec(t, c, "SELECT two_phase FROM pg_replication_slots WHERE slot_name = 'it_perm'")
			if rs[0].Value(0, "two_phase") != "t" {
				t.Errorf("two_phase after ALTER = %q", rs[0].Value(0, "two_phase"))
			}
			if err := c.AlterReplicationSlot(ctx, "it_perm", &f, &f); err != nil {
				t.Errorf("ALTER both off: %v", err)
			}
		}
		if v >= 170000 {
			itServerError(t, c.AlterReplicationSlot(ctx, "it_missing", &f, nil), "42704")
		}

		for _, name := range []string{"it_perm", "it_failover"} {
			if name == "it_failover" && v < 170000 {
				continue
			}
			if err := c.DropReplicationSlot(ctx, name, true); err != nil {
				t.Errorf("drop %s WAIT: %v", name, err)
			}
		}
		itServerError(t, c.DropReplicationSlot(ctx, "it_perm", false), "42704")
		itServerError(t, c.DropReplicationSlot(ctx, "it_perm", true), "42704")

		for _, bad := range []string{"", "Upper", "a-b", "a b", "x;DROP", strings.Repeat("a", 64), "é"} {
			_, err := c.CreateReplicationSlot(ctx, bad, wire.SlotOptions{Temporary: true})
			itClientError(t, err)
			itClientError(t, c.DropReplicationSlot(ctx, bad, false))
		}
		// Options that do not fit the slot kind.
		_, err = c.CreateReplicationSlot(ctx, "it_bad", wire.SlotOptions{Temporary: true, ReserveWAL: true})
		itClientError(t, err)
		_, err = c.CreateReplicationSlot(ctx, "it_bad", wire.SlotOptions{Temporary: true, Snapshot: "bogus"})
		itClientError(t, err)
		if _, err := c.IdentifySystem(ctx); err != nil {
			t.Fatalf("after errors: %v", err)
		}
	})

	t.Run("PhysicalSlot", func(t *testing.T) {
		p := physical(t)
		l := logical(t)
		ctx := itCtx(t)
		sl, err := p.CreateReplicationSlot(ctx, "it_phys", wire.SlotOptions{Physical: true, ReserveWAL: true})
		if err != nil || sl.Name != "it_phys" {
			t.Fatalf("physical RESERVE_WAL: %+v, %v", sl, err)
		}
		rs := itMustExec(t, l, "SELECT slot_type, restart_lsn FROM pg_replication_slots WHERE slot_name = 'it_phys'")
		if rs[0].Value(0, "slot_type") != "physical" || rs[0].Value(0, "restart_lsn") == "" {
			t.Errorf("it_phys: %+v (RESERVE_WAL must set restart_lsn)", rs[0].Rows)
		}
		if _, err := p.CreateReplicationSlot(ctx, "it_phys_tmp", wire.SlotOptions{Physical: true, Temporary: true}); err != nil {
			t.Errorf("temporary physical: %v", err)
		}
		_, err = p.CreateReplicationSlot(ctx, "it_phys2", wire.SlotOptions{Physical: true, Snapshot: "nothing"})
		itClientError(t, err)

		st, err := p.ReadReplicationSlot(ctx, "it_phys")
		unsupported(t, "READ_REPLICATION_SLOT", err, v >= 150000)
		if v >= 150000 {
			if !st.Exists || st.SlotType != "physical" || st.RestartLSN == 0 || st.RestartLSN.String() != rs[0].Value(0, "restart_lsn") || st.RestartTLI != 1 {
				t.Errorf("READ_REPLICATION_SLOT it_phys = %+v, want physical at %s on timeline 1", st, rs[0].Value(0, "restart_lsn"))
			}
			st, err = p.ReadReplicationSlot(ctx, "it_missing")
			if err != nil || st.Exists {
				t.Errorf("READ_REPLICATION_SLOT it_missing = %+v, %v", st, err)
			}
			_, err = p.ReadReplicationSlot(ctx, "Bad-Name")
			itClientError(t, err)
		}
		if err := p.DropReplicationSlot(ctx, "it_phys", true); err != nil {
			t.Fatal(err)
		}
		itServerError(t, p.DropReplicationSlot(ctx, "it_phys", false), "42704")
	})

	t.Run("SQL", func(t *testing.T) {
		c := logical(t)
		rs := itMustExec(t, c, "CREATE TABLE public.it_sql (id int PRIMARY KEY, note text); CREATE PUBLICATION it_sql_pub FOR TABLE public.it_sql")
		if len(rs) != 2 || rs[0].Tag != "CREATE TABLE" || rs[1].Tag != "CREATE PUBLICATION" {
			t.Errorf("tags: %+v", rs)
		}
		rs = itMustExec(t, c, "SELECT 1 AS a, NULL::text AS b, '' AS c UNION ALL SELECT NULL, 'x', NULL; SELECT pubname FROM pg_publication")
		want := [][]sql.NullString{{{String: "1", Valid: true}, {}, {Valid: true}}, {{}, {String: "x", Valid: true}, {}}}
		if len(rs) != 2 || !cmp.Equal(rs[0].Rows, want) || !cmp.Equal(rs[0].Columns, []string{"a", "b", "c"}) || rs[0].Tag != "SELECT 2" {
			t.Errorf("NULLs: %s", cmp.Diff(want, rs[0].Rows))
		}
		if len(rs) == 2 && rs[1].Value(0, "pubname") != "it_sql_pub" {
			t.Errorf("pg_publication: %+v", rs[1].Rows)
		}
		for _, q := range []string{"SELEC 1", "SELECT 1; SELEC 2; SELECT 3"} {
			_, err := c.Exec(itCtx(t), q)
			se := itServerError(t, err, "42601")
			if se.Position == "" {
				t.Errorf("%q: no error position", q)
			}
			rs := itMustExec(t, c, "SELECT 42 AS x")
			if rs[0].Value(0, "x") != "42" {
				t.Fatalf("after a syntax error: %+v", rs)
			}
		}
		// Even an SQL error drops the session's temporary slots (walsender
		// error cleanup), which SlotOptions.Temporary's doc does not say.
		if _, err := c.CreateReplicationSlot(itCtx(t), "it_sql_tmp", wire.SlotOptions{Temporary: true, Snapshot: "nothing"}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Exec(itCtx(t), "SELECT * FROM it_no_such_table")
		itServerError(t, err, "42P01")
		if rs := itMustExec(t, c, "SELECT count(*) AS n FROM pg_replication_slots WHERE slot_name = 'it_sql_tmp'"); rs[0].Value(0, "n") != "0" {
			t.Errorf("temporary slot survived an SQL error")
		}
		// A failed transaction block is the server's state, not a broken Conn.
		itMustExec(t, c, "BEGIN")
		_, err = c.Exec(itCtx(t), "SELECT 1/0")
		itServerError(t, err, "22012")
		_, err = c.Exec(itCtx(t), "SELECT 1")
		itServerError(t, err, "25P02")
		itMustExec(t, c, "ROLLBACK")
		if _, err := c.IdentifySystem(itCtx(t)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("StartReplicationOptions", func(t *testing.T) {
		ctx := itCtx(t)
		nc, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		cc := &countConn{Conn: nc}
		c, err := wire.NewConn(ctx, cc, itConfig(t, s, "", "", pgserver.Database, "replication=database", "sslmode=disable"))
		if err != nil {
			nc.Close()
			t.Fatal(err)
		}
		defer c.Close()
		itMustExec(t, c, "CREATE TABLE public.it_opts (id int PRIMARY KEY); CREATE PUBLICATION it_opts_pub FOR TABLE public.it_opts")
		// A server-side refusal (no such slot) leaves the Conn usable. It
		// comes first: a walsender error drops the session's temporary slots.
		_, err = c.StartReplication(ctx, "it_no_slot", 0, wire.LogicalOptions{Publications: []string{"it_opts_pub"}})
		itServerError(t, err, "42704")
		if _, err := c.IdentifySystem(ctx); err != nil {
			t.Fatalf("IdentifySystem after a failed start: %v", err)
		}
		if _, err := c.CreateReplicationSlot(ctx, "it_opts", wire.SlotOptions{Temporary: true, Snapshot: "nothing"}); err != nil {
			t.Fatal(err)
		}
		maxProto := map[bool]int{true: 4, false: map[bool]int{true: 3, false: 2}[v >= 150000]}[v >= 160000]
		pubs := []string{"it_opts_pub"}
		cases := []struct {
			name string
			o    wire.LogicalOptions
			ok   bool // the server supports it
		}{
			{"proto_version max+1", wire.LogicalOptions{ProtoVersion: maxProto + 1}, false},
			{"proto_version 0-1", wire.LogicalOptions{ProtoVersion: -1}, false},
			{"binary", wire.LogicalOptions{Binary: true}, true},
			{"messages", wire.LogicalOptions{Messages: true}, true},
			{"streaming on", wire.LogicalOptions{Streaming: codec.StreamingOn}, true},
			{"streaming on proto 1", wire.LogicalOptions{Streaming: codec.StreamingOn, ProtoVersion: 1}, false},
			{"streaming parallel", wire.LogicalOptions{Streaming: codec.StreamingParallel}, v >= 160000},
			{"streaming parallel proto 3", wire.LogicalOptions{Streaming: codec.StreamingParallel, ProtoVersion: 3}, false},
			{"two_phase", wire.LogicalOptions{TwoPhase: true}, v >= 150000},
			{"two_phase proto 2", wire.LogicalOptions{TwoPhase: true, ProtoVersion: 2}, false},
			{"origin none", wire.LogicalOptions{Origin: "none"}, v >= 160000},
			{"origin any", wire.LogicalOptions{Origin: "any"}, v >= 160000},
		}
		for _, tc := range cases {
			if tc.ok {
				continue
			}
			tc.o.Publications = pubs
			w := cc.writes.Load()
			st, err := c.StartReplication(ctx, "it_opts", 0, tc.o)
			if !errors.Is(err, wire.ErrUnsupported) {
				if st != nil {
					st.Close(ctx)
				}
				t.Errorf("%s on %d: %v, want ErrUnsupported", tc.name, v, err)
			}
			if n := cc.writes.Load() - w; n != 0 {
				t.Errorf("%s: %d writes to the server, want none", tc.name, n)
			}
		}
		for _, o := range []wire.LogicalOptions{
			{},                           // no publications
			{Publications: []string{""}}, // empty name
			{Publications: pubs, Streaming: codec.Streaming(9)}, // bad value
			{Publications: pubs, Origin: "local"},               // bad value
		} {
			w := cc.writes.Load()
			_, err := c.StartReplication(ctx, "it_opts", 0, o)
			itClientError(t, err)
			if n := cc.writes.Load() - w; n != 0 {
				t.Errorf("%+v: %d writes to the server, want none", o, n)
			}
		}

		// Every option this version has, at once.
		all := wire.LogicalOptions{Publications: pubs, Binary: true, Messages: true, Streaming: codec.StreamingOn}
		for _, tc := range cases {
			if tc.ok {
				switch tc.name {
				case "streaming parallel":
					all.Streaming = codec.StreamingParallel
				case "two_phase":
					all.TwoPhase = true
				case "origin none":
					all.Origin = "none"
				}
			}
		}
		st, err := c.StartReplication(ctx, "it_opts", 0, all)
		if err != nil {
			t.Fatalf("StartReplication %+v on %d: %v", all, v, err)
		}
		if err := st.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if _, err := c.IdentifySystem(ctx); err != nil {
			t.Fatalf("IdentifySystem after Close: %v", err)
		}

		// Protocol 1 without options, on a new session.
		c2 := logical(t)
		if _, err := c2.CreateReplicationSlot(ctx, "it_opts1", wire.SlotOptions{Temporary: true, Snapshot: "nothing"}); err != nil {
			t.Fatal(err)
		}
		st, err = c2.StartReplication(ctx, "it_opts1", 0, wire.LogicalOptions{Publications: pubs, ProtoVersion: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}

	})

	t.Run("SecondLogicalStream", func(t *testing.T) {
		ctx := itCtx(t)
		c := logical(t)
		if _, err := c.CreateReplicationSlot(ctx, "it_twice", wire.SlotOptions{Temporary: true, Snapshot: "nothing"}); err != nil {
			t.Fatal(err)
		}
		pubs := []string{"it_opts_pub"}
		st, err := c.StartReplication(ctx, "it_twice", 0, wire.LogicalOptions{Publications: pubs})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Close(ctx); err != nil {
			t.Fatal(err)
		}
		// A second logical stream on the same session: PostgreSQL 14–18
		// would answer CopyBothResponse and end it at once (COPY 0, no
		// CopyDone), since the walsender never resets its end-of-stream
		// flags for logical replication. Wire refuses before sending, and
		// the Conn stays usable.
		_, err = c.StartReplication(ctx, "it_twice", 0, wire.LogicalOptions{Publications: pubs})
		if !errors.Is(err, wire.ErrSecondLogicalStream) {
			t.Fatalf("second StartReplication: %v, want ErrSecondLogicalStream", err)
		}
		if _, err := c.IdentifySystem(ctx); err != nil {
			t.Fatalf("IdentifySystem after a second stream: %v", err)
		}
	})

	t.Run("QuotedPublication", func(t *testing.T) {
		c := logical(t)
		ctx := itCtx(t)
		pub := `My,"Pub's`
		itMustExec(t, c, `CREATE TABLE public.it_pub_t (id int PRIMARY KEY, v text); CREATE TABLE public.it_other (id int PRIMARY KEY);
CREATE PUBLICATION `+pgserver.QuoteIdent(pub)+` FOR TABLE public.it_pub_t;
CREATE PUBLICATION "my,pub" FOR TABLE public.it_other`)
		if _, err := c.CreateReplicationSlot(ctx, "it_quoted", wire.SlotOptions{Temporary: true, Snapshot: "nothing"}); err != nil {
			t.Fatal(err)
		}
		st, err := c.StartReplication(ctx, "it_quoted", 0, wire.LogicalOptions{Publications: []string{pub}})
		if err != nil {
			t.Fatal(err)
		}
		w := itConnect(t, itConfig(t, s, "", "", pgserver.Database, "sslmode=disable"))
		itMustExec(t, w, "INSERT INTO it_other VALUES (1)")
		itMustExec(t, w, "INSERT INTO it_pub_t VALUES (7, 'seven')")
		rels := map[uint32]string{}
		for {
			m, err := st.Next(ctx)
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			switch m := m.(type) {
			case *codec.Relation:
				rels[m.RelationID] = string(m.Name)
			case *codec.Insert:
				if rels[m.RelationID] != "it_pub_t" || len(m.New) != 2 || string(m.New[0].Data) != "7" || string(m.New[1].Data) != "seven" {
					t.Fatalf("first Insert: relation %q, %d columns (%q); want it_pub_t (7, seven)", rels[m.RelationID], len(m.New), m.New[0].Data)
				}
				if err := st.Close(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := c.IdentifySystem(ctx); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
	})
}
