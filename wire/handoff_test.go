package wire

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
)

// A session started by someone else and handed over streams like one
// StartReplication started, and is ready for commands after Close.
func TestNewStreamHandOff(t *testing.T) {
	for _, buffered := range []bool{false, true} {
		fs := newFakeServer(t)
		c := fs.connect(t, nil)
		ctx := hostileCtx(t, 5*time.Second)
		nc := c.NetConn()
		if _, err := nc.Write(AppendQuery(nil, "START_REPLICATION SLOT s1 LOGICAL 0/0 (\"proto_version\" '4', \"publication_names\" 'pub')")); err != nil {
			t.Fatal(err)
		}
		h := HandOff{Kind: Logical, Decoder: codec.Options{ProtoVersion: 4}, Start: 0x1000, ServerVersionNum: 160004, AwaitCopyBoth: !buffered}
		if buffered {
			// The other driver read CopyBothResponse and a first transaction
			// in one read; it hands over what it did not consume.
			<-fs.started
			fs.send(fsTxn(3, 0x20000, 0x20100)...)
			var got []byte
			nc.SetReadDeadline(time.Now().Add(2 * time.Second))
			for len(got) < 5 || !bytes.Contains(got, []byte("v")) {
				b := make([]byte, 4096)
				n, err := nc.Read(b)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, b[:n]...)
			}
			nc.SetReadDeadline(time.Time{})
			if got[0] != 'W' {
				t.Fatalf("first byte %q", got[0])
			}
			h.Buffered = got[1+4+3:] // after CopyBothResponse (3-byte body)
		}
		s, err := NewStream(ctx, nc, h)
		if err != nil {
			t.Fatalf("NewStream: %v", err)
		}
		if !buffered {
			fs.send(fsTxn(3, 0x20000, 0x20100)...)
		}
		for i := 0; i < 3; i++ {
			m, err := s.Next(ctx)
			if err != nil {
				t.Fatalf("buffered %v, message %d: %v", buffered, i, err)
			}
			if pos, ok := AckPosition(m, s.WALStart()); ok {
				s.Ack(pos)
			}
		}
		if err := s.Close(ctx); err != nil {
			t.Fatalf("Close: %v", err)
		}
		us := fs.statusUpdates()
		if len(us) == 0 || us[len(us)-1].Flush != 0x20100 {
			t.Errorf("buffered %v: final status %+v, want flush 0/20100", buffered, us)
		}
		if _, err := s.Conn().Exec(ctx, "SELECT 1"); err != nil {
			t.Errorf("Exec after the handed-over stream closed: %v", err)
		}
	}
}

// A server error in answer to the handed-over START_REPLICATION comes back
// from NewStream.
func TestNewStreamHandOffError(t *testing.T) {
	fs := newFakeServer(t)
	fs.onQuery = func(fs *fakeServer, q string) bool {
		fs.send(fsErrorFields('E', "ERROR", "42704", "replication slot \"s1\" does not exist"), fsReady())
		return true
	}
	c := fs.connect(t, nil)
	nc := c.NetConn()
	nc.Write(AppendQuery(nil, "START_REPLICATION SLOT s1 LOGICAL 0/0"))
	_, err := NewStream(hostileCtx(t, 5*time.Second), nc, HandOff{Kind: Logical, AwaitCopyBoth: true})
	var se *ServerError
	if !errors.As(err, &se) || se.Code != "42704" {
		t.Fatalf("NewStream: %v, want the server's 42704", err)
	}
}

// Another output plugin: options passed through, payloads undecoded, and
// the idle rule waits until everything received is acknowledged.
func TestStartReplicationRaw(t *testing.T) {
	fs := newFakeServer(t)
	c := fs.connect(t, nil)
	ctx := hostileCtx(t, 5*time.Second)
	s, err := c.StartReplicationRaw(ctx, "s1", 0, []PluginOption{{Name: "format-version", Value: "2"}, {Name: "include-xids"}, {Name: "add-tables", Value: "public.o'k"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	qs := fs.queryLog()
	want := `START_REPLICATION SLOT s1 LOGICAL 0/0 ("format-version" '2', "include-xids", "add-tables" 'public.o''k')`
	if q := qs[len(qs)-1]; q != want {
		t.Errorf("query %s\nwant  %s", q, want)
	}
	if _, err := s.Next(ctx); err == nil || !strings.Contains(err.Error(), "NextRaw") {
		t.Errorf("Next on a raw stream: %v", err)
	}
	fs.send(fsXLogRaw(0x3000, []byte(`{"action":"B"}`)), fsXLogRaw(0x3100, []byte(`{"action":"C"}`)), fsKeepalive(0x5000, false))
	for _, want := range []string{`{"action":"B"}`, `{"action":"C"}`} {
		x, err := s.NextRaw(ctx)
		if err != nil || string(x.Data) != want {
			t.Fatalf("NextRaw: %v %q, want %s", err, x.Data, want)
		}
	}
	s.Ack(0x3000)
	if _, flush, _ := s.Positions(); flush != 0x3000 {
		t.Errorf("flush %v with 0/3100 unacknowledged, want 0/3000", flush)
	}
	// Read the keepalive: the idle rule must not confirm 0/5000 yet.
	nctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	s.NextRaw(nctx)
	cancel()
	if _, flush, _ := s.Positions(); flush != 0x3000 {
		t.Errorf("flush %v after a keepalive with 0/3100 unacknowledged, want 0/3000", flush)
	}
	s.Ack(0x3100)
	if _, flush, _ := s.Positions(); flush != 0x5000 {
		t.Errorf("flush %v once all is acknowledged, want the keepalive's 0/5000", flush)
	}
	if _, err := c.StartReplicationRaw(ctx, "s1", 0, []PluginOption{{Name: ""}}); err == nil {
		t.Error("an empty option name was accepted")
	}
}
