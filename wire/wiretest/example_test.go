package wiretest_test

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/pgwal/pgwal/capture"
	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/wire"
	"github.com/pgwal/pgwal/wire/wiretest"
)

// record streams a session from dsn into a capture file, n messages long:
// what "pgwal capture" does, run once against a real server.
func record(ctx context.Context, dsn, slot string, lo wire.LogicalOptions, file io.Writer, n int) error {
	conn, err := wire.ConnectString(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	st, err := conn.StartReplication(ctx, slot, 0, lo)
	if err != nil {
		return err
	}
	h := capture.Header{capture.KeyServerVersion: conn.ParameterStatus("server_version"), capture.KeySlot: slot}
	h.SetDecoderOptions(st.DecoderOptions())
	w, err := capture.NewWriter(file, h)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		x, err := st.NextRaw(ctx)
		if err != nil {
			return err
		}
		if err := w.WriteXLogData(x); err != nil {
			return err
		}
	}
	return st.Close(ctx)
}

// Record a session once, then replay it to a wire client. Here the
// "real" server is itself a replay of a capture from the corpus; point
// record at your database instead.
func Example() {
	ctx := context.Background()
	lo := wire.LogicalOptions{Publications: []string{"pgwal_pub"}, Streaming: codec.StreamingParallel}

	upstream, err := wiretest.LoadFile("../../testdata/pgoutput/pg18/live-v4-all.txt")
	if err != nil {
		panic(err)
	}
	real, err := wiretest.Start(upstream)
	if err != nil {
		panic(err)
	}
	defer real.Close()
	f, err := os.CreateTemp("", "session-*.pgwal")
	if err != nil {
		panic(err)
	}
	defer os.Remove(f.Name())
	if err := record(ctx, real.DSN(), "app", lo, f, 8); err != nil {
		panic(err)
	}
	f.Close()

	// In a test: srv := wiretest.NewServer(t, "testdata/session.pgwal").
	rec, err := wiretest.LoadFile(f.Name())
	if err != nil {
		panic(err)
	}
	srv, err := wiretest.Start(rec)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	conn, err := wire.ConnectString(ctx, srv.DSN())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	st, err := conn.StartReplication(ctx, "app", 0, lo)
	if err != nil {
		panic(err)
	}
	for i := 0; i < 8; i++ {
		m, err := st.Next(ctx)
		if err != nil {
			panic(err)
		}
		fmt.Println(m.MessageType())
	}
	// Output:
	// Begin
	// Type
	// Type
	// Type
	// Relation
	// Insert
	// Insert
	// Insert
}
