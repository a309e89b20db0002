package wire

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
)

// The PostgreSQL 19 primary status request goes out only to a 19+ server,
// and the answer is kept for PrimaryStatus.
func TestPrimaryStatus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	fs, _, s := fakeStream(t, nil) // a PostgreSQL 16 server
	if err := s.RequestPrimaryStatus(ctx); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("RequestPrimaryStatus on 16: %v, want ErrUnsupported", err)
	}
	fs.send(fsXLog(0x100, &codec.Begin{FinalLSN: 0x200, Xid: 1}))
	if _, err := s.Next(ctx); err != nil {
		t.Fatal(err)
	}
	fs.mu.Lock()
	sent := len(fs.otherCopyData)
	fs.mu.Unlock()
	if sent != 0 {
		t.Fatalf("a refused request still sent %d CopyData", sent)
	}

	fs19, _, s19 := fakeStream(t, func(fs *fakeServer, cfg *Config) { fs.serverVersion = "19beta1" })
	if _, ok := s19.PrimaryStatus(); ok {
		t.Fatal("PrimaryStatus before any answer")
	}
	if err := s19.RequestPrimaryStatus(ctx); err != nil {
		t.Fatalf("RequestPrimaryStatus on 19: %v", err)
	}
	want := codec.PrimaryStatusUpdate{WriteLSN: 0x5000, OldestXidInCommit: 1<<32 | 700, NextXid: 1<<32 | 760, ServerTime: 42}
	fs19.send(fsMsg('d', codec.AppendPrimaryStatusUpdate(nil, &want)), fsXLog(0x100, &codec.Begin{FinalLSN: 0x200, Xid: 1}))
	if _, err := s19.Next(ctx); err != nil {
		t.Fatal(err)
	}
	got, ok := s19.PrimaryStatus()
	if !ok || got != want {
		t.Errorf("PrimaryStatus = %+v, %v; want %+v", got, ok, want)
	}
	// The fake server reads the request on its own goroutine.
	var seen [][]byte
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		fs19.mu.Lock()
		seen = append([][]byte(nil), fs19.otherCopyData...)
		fs19.mu.Unlock()
		if len(seen) > 0 {
			break
		}
	}
	if len(seen) != 1 {
		t.Fatalf("server saw %d non-status CopyData, want the one request", len(seen))
	}
	var d codec.Decoder
	if m, err := d.DecodeClientCopyData(seen[0]); err != nil {
		t.Errorf("request does not decode: %v", err)
	} else if _, ok := m.(*codec.PrimaryStatusRequest); !ok {
		t.Errorf("server got %T, want a primary status request", m)
	}
}
