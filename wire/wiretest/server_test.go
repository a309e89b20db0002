package wiretest_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pgwal/pgwal/capture"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
	"github.com/pgwal/pgwal/wire/wiretest"
)

const liveAll = "../../testdata/pgoutput/pg18/live-v4-all.txt"

func liveFiles(t *testing.T) []string {
	files, _ := filepath.Glob("../../testdata/pgoutput/pg18/live-*.txt")
	if len(files) == 0 {
		t.Fatal("no live captures in testdata/pgoutput/pg18")
	}
	return files
}

// connect starts a logical stream with the options the recording needs.
func connect(t *testing.T, ctx context.Context, srv *wiretest.Server) (*wire.Conn, *wire.Stream) {
	t.Helper()
	c, err := wire.ConnectString(ctx, srv.DSN())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	opts, _ := srv.Recording().Header.DecoderOptions()
	lo := wire.LogicalOptions{ProtoVersion: opts.ProtoVersion, Publications: []string{"pgwal_pub"}}
	if opts.Streaming != codec.StreamingAuto {
		lo.Streaming = opts.Streaming
	}
	st, err := c.StartReplication(ctx, "replay", 0, lo)
	if err != nil {
		t.Fatalf("StartReplication: %v", err)
	}
	return c, st
}

// toV2 rewrites a capture in format v2, giving every record a server time.
func toV2(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := capture.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(name), ".txt")+".pgwal")
	var buf bytes.Buffer
	w, err := capture.NewWriter(&buf, capture.Header{
		capture.KeyServerVersion: r.Header().ServerVersion(), capture.KeyProtoVersion: r.Header()[capture.KeyProtoVersion],
		capture.KeyStreaming: r.Header()[capture.KeyStreaming], capture.KeySlot: "replay",
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; ; i++ {
		rec, err := r.Next()
		if err != nil {
			break
		}
		x := rec.XLogData
		x.ServerTime = lsn.Timestamp(i * 1000)
		if err := w.WriteXLogData(&x); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// A wire client replaying each live capture receives every message, byte
// for byte and in order, with its XLogData header; acknowledging every
// unit of work moves the confirmed position to the end, and a clean Close
// works.
func TestReplayLiveCorpus(t *testing.T) {
	for _, name := range liveFiles(t) {
		for _, file := range []string{name, toV2(t, name)} {
			t.Run(filepath.Base(file), func(t *testing.T) {
				srv := wiretest.NewServer(t, file, wiretest.KeepaliveInterval(50*time.Millisecond))
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				_, st := connect(t, ctx, srv)
				var lastEnd lsn.LSN
				for i, p := range srv.Recording().Payloads {
					x, err := st.NextRaw(ctx)
					if err != nil {
						t.Fatalf("message %d: %v", i+1, err)
					}
					want, err := codec.DecodeXLogData(p)
					if err != nil {
						t.Fatal(err)
					}
					if x.WALStart != want.WALStart || x.WALEnd != want.WALEnd || x.ServerTime != want.ServerTime || !bytes.Equal(x.Data, want.Data) {
						t.Fatalf("message %d: got %v %v %v %x\nwant %v %v %v %x", i+1,
							x.WALStart, x.WALEnd, x.ServerTime, x.Data, want.WALStart, want.WALEnd, want.ServerTime, want.Data)
					}
					if m := st.Message(); m != nil {
						if pos, ok := wire.AckPosition(m, x.WALStart); ok {
							st.Ack(pos)
							lastEnd = pos
						}
					}
				}
				if lastEnd == 0 {
					t.Fatal("no unit of work in the capture")
				}
				// Idle after the replay: the client reports the end.
				wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
				defer wcancel()
				go func() { st.Next(wctx) }() // read the keepalives
				if _, err := srv.WaitStatus(wctx, func(u codec.StandbyStatusUpdate) bool { return u.Flush >= lastEnd }); err != nil {
					t.Fatalf("no status update with flush %v: %v (updates %v)", lastEnd, err, srv.StatusUpdates())
				}
				if srv.Confirmed() < lastEnd {
					t.Errorf("confirmed %v < %v", srv.Confirmed(), lastEnd)
				}
			})
		}
	}
}

func TestCloseAndCommands(t *testing.T) {
	srv := wiretest.NewServer(t, liveAll)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wire.ConnectString(ctx, srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.ParameterStatus("server_version") != "18.4" || c.ServerVersionNum() != 180004 {
		t.Errorf("server_version %q", c.ParameterStatus("server_version"))
	}
	info, err := c.IdentifySystem(ctx)
	if err != nil || info.Timeline != 1 || info.DBName != "replay" || info.XLogPos == 0 {
		t.Fatalf("IDENTIFY_SYSTEM: %+v %v", info, err)
	}
	if v, err := c.Show(ctx, "server_version_num"); err != nil || v != "180004" {
		t.Errorf("SHOW server_version_num: %q %v", v, err)
	}
	var se *wire.ServerError
	if _, err := c.Show(ctx, "work_mem"); !errors.As(err, &se) || se.Code != "42704" {
		t.Errorf("SHOW work_mem: %v", err)
	}
	st, err := c.StartReplication(ctx, "replay", 0, wire.LogicalOptions{Publications: []string{"p"}, Streaming: codec.StreamingParallel})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := st.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// The session is usable again after CopyDone.
	if _, err := c.IdentifySystem(ctx); err != nil {
		t.Errorf("after Close: %v", err)
	}
	qs := srv.Queries()
	if len(qs) != 7 || !strings.HasPrefix(qs[5], "START_REPLICATION SLOT replay LOGICAL 0/0 (") {
		t.Errorf("queries %q", qs)
	}
}

// The server refuses options that would make the recorded bytes mean
// something else.
func TestOptionMismatch(t *testing.T) {
	srv := wiretest.NewServer(t, liveAll)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, lo := range []wire.LogicalOptions{
		{Publications: []string{"p"}, Streaming: codec.StreamingOn},
		{Publications: []string{"p"}, ProtoVersion: 3, Streaming: codec.StreamingOn},
	} {
		c, err := wire.ConnectString(ctx, srv.DSN())
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.StartReplication(ctx, "replay", 0, lo)
		var se *wire.ServerError
		if !errors.As(err, &se) || se.Code != "22023" {
			t.Errorf("%+v: %v, want SQLSTATE 22023", lo, err)
		}
		c.Close()
	}
}

// Each fault surfaces on the client side as an error, after exactly the
// messages sent before it.
func TestFaults(t *testing.T) {
	const n = 7
	cases := []struct {
		name  string
		opt   wiretest.Option
		check func(error) bool
	}{
		{"hang up", wiretest.HangUpAfter(n), func(err error) bool { return errors.Is(err, wire.ErrConnectionLost) }},
		{"reset", wiretest.ResetAfter(n), func(err error) bool { return errors.Is(err, wire.ErrConnectionLost) }},
		{"stall", wiretest.StallAfter(n), func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{"error", wiretest.ErrorAfter(n, "58P01", "requested WAL segment has already been removed"), func(err error) bool {
			var se *wire.ServerError
			return errors.As(err, &se) && se.Code == "58P01" && se.Severity == "ERROR"
		}},
		{"fatal", wiretest.ErrorAfter(n, "57P01", "terminating connection due to administrator command"), func(err error) bool {
			var se *wire.ServerError
			return errors.As(err, &se) && se.Code == "57P01" && se.Severity == "FATAL"
		}},
		{"shutdown", wiretest.ShutdownAfter(n), func(err error) bool { return errors.Is(err, wire.ErrServerShutdown) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := wiretest.NewServer(t, liveAll, tc.opt)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, st := connect(t, ctx, srv)
			for i := 0; i < n; i++ {
				if _, err := st.NextRaw(ctx); err != nil {
					t.Fatalf("message %d: %v", i+1, err)
				}
			}
			nctx, ncancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer ncancel()
			x, err := st.NextRaw(nctx)
			if err == nil {
				t.Fatalf("message %d arrived: %x", n+1, x.Data)
			}
			if !tc.check(err) {
				t.Fatalf("error %v (%T)", err, err)
			}
			c.Close()
		})
	}
}

// A fault applies to one session: the next connection resumes after what
// was confirmed, with the Relation and Type messages again, and loses
// nothing.
func TestResumeAfterStall(t *testing.T) {
	const n = 40
	srv := wiretest.NewServer(t, liveAll, wiretest.StallAfter(n))
	rec := srv.Recording()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, st := connect(t, ctx, srv)
	var acked lsn.LSN
	for i := 0; i < n; i++ {
		x, err := st.NextRaw(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pos, ok := wire.AckPosition(st.Message(), x.WALStart); ok && st.Message() != nil {
			st.Ack(pos)
			acked = pos
		}
	}
	if acked == 0 {
		t.Fatalf("no unit of work in the first %d messages", n)
	}
	if err := st.SendStatus(ctx, false); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitStatus(ctx, func(u codec.StandbyStatusUpdate) bool { return u.Flush == acked }); err != nil {
		t.Fatal(err)
	}
	c.Close()

	_, st = connect(t, ctx, srv)
	d := codec.NewDecoder(st.DecoderOptions())
	var got [][]byte
	schema := true
	for len(got) < len(rec.Payloads) {
		x, err := st.NextRaw(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m, err := d.Decode(x.Data)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m.(*codec.Relation); schema && ok {
			continue
		}
		if _, ok := m.(*codec.Type); schema && ok {
			continue
		}
		schema = false
		got = append(got, append([]byte(nil), x.Data...))
		if len(got) == 1 {
			if _, ok := m.(*codec.Begin); !ok {
				t.Fatalf("resumed with %v, want a Begin", m.MessageType())
			}
		}
		if bytes.Equal(x.Data, lastPayloadData(t, rec)) {
			break
		}
	}
	// What the second session sent is the recording's tail, starting at or
	// before where the first session stopped.
	start := len(rec.Payloads) - len(got)
	if start > n || start <= 0 {
		t.Fatalf("resumed at record %d, first session stopped at %d", start+1, n)
	}
	for i, p := range got {
		w, _ := codec.DecodeXLogData(rec.Payloads[start+i])
		if !bytes.Equal(p, w.Data) {
			t.Fatalf("resumed message %d differs from record %d", i+1, start+i+1)
		}
	}
	// Nothing confirmed is sent again.
	d = codec.NewDecoder(st.DecoderOptions())
	for _, p := range rec.Payloads[start:] {
		x, _ := codec.DecodeXLogData(p)
		m, err := d.Decode(x.Data)
		if err != nil {
			t.Fatal(err)
		}
		if cm, ok := m.(*codec.Commit); ok && cm.EndLSN <= acked {
			t.Fatalf("commit at %v sent again, confirmed %v", cm.EndLSN, acked)
		}
	}
	if srv.Sessions() != 2 {
		t.Errorf("%d sessions", srv.Sessions())
	}
}

func lastPayloadData(t *testing.T, rec *wiretest.Recording) []byte {
	x, err := codec.DecodeXLogData(rec.Payloads[len(rec.Payloads)-1])
	if err != nil {
		t.Fatal(err)
	}
	return x.Data
}

// A keepalive asking for a reply gets one; a ping from the client gets a
// keepalive back.
func TestKeepaliveReply(t *testing.T) {
	srv2 := wiretest.NewServer(t, liveAll, wiretest.KeepaliveInterval(time.Hour))
	if err := srv2.SendKeepalive(true); !errors.Is(err, wiretest.ErrNotStreaming) {
		t.Errorf("before streaming: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, st := connect(t, ctx, srv2)
	n := len(srv2.Recording().Payloads)
	for i := 0; i < n; i++ {
		if _, err := st.NextRaw(ctx); err != nil {
			t.Fatal(err)
		}
	}
	before := len(srv2.StatusUpdates())
	if err := srv2.SendKeepalive(true); err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer rcancel()
	st.Next(rctx) // answers the keepalive on the way, then times out
	if got := len(srv2.StatusUpdates()); got <= before {
		t.Fatalf("no status update after a reply-requested keepalive (%d before, %d after)", before, got)
	}
	if err := st.SendStatus(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, err := srv2.WaitStatus(ctx, func(u codec.StandbyStatusUpdate) bool { return u.ReplyRequested }); err != nil {
		t.Fatal(err)
	}
}

// Close ends every connection and goroutine, even with a client in the
// middle of a stream.
func TestCloseWithClients(t *testing.T) {
	rec, err := wiretest.LoadFile(liveAll)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wiretest.Start(rec, wiretest.StallAfter(3))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, st := connect(t, ctx, srv)
	st.NextRaw(ctx)
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	for i := 0; ; i++ { // two messages may still be buffered
		_, err := st.NextRaw(ctx)
		if err == nil && i < 2 {
			continue
		}
		if !errors.Is(err, wire.ErrConnectionLost) {
			t.Errorf("after Close: %v", err)
		}
		break
	}
}

// Close waits for every goroutine the server started. (The wire client's
// own stream timer may outlive a Conn closed under it; only the server's
// goroutines are counted.)
func TestNoGoroutineLeak(t *testing.T) {
	rec, err := wiretest.LoadFile(liveAll)
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range []wiretest.Option{wiretest.StallAfter(5), wiretest.HangUpAfter(5), wiretest.KeepaliveInterval(time.Millisecond)} {
		srv, err := wiretest.Start(rec, opt)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, st := connect(t, ctx, srv)
		st.NextRaw(ctx)
		srv.Close()
		buf := make([]byte, 1<<20)
		if stacks := string(buf[:runtime.Stack(buf, true)]); strings.Contains(stacks, "wire/wiretest.(") {
			t.Fatalf("server goroutines left after Close:\n%s", stacks)
		}
		c.Close()
		cancel()
	}
}
