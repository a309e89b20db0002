package wire_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
	"github.com/pgwal/pgwal/wire/wiretest"
)

// The examples stream a session recorded from PostgreSQL 18 and replayed
// by wiretest, a fake walsender: point ConnectString at your database
// instead (with replication=database).
const recorded = "../testdata/pgoutput/pg18/live-v4-all.txt"

var recordedOptions = wire.LogicalOptions{
	Publications: []string{"pgwal_pub"}, Binary: true, Messages: true,
	Streaming: codec.StreamingParallel, TwoPhase: true, Origin: "any",
}

// Stream a slot: apply each message, acknowledge each unit of work once it
// is durable.
func Example() {
	rec, err := wiretest.LoadFile(recorded)
	if err != nil {
		panic(err)
	}
	srv, err := wiretest.Start(rec)
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	ctx := context.Background()
	conn, err := wire.ConnectString(ctx, srv.DSN())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	stream, err := conn.StartReplication(ctx, "my_slot", 0, recordedOptions)
	if err != nil {
		panic(err)
	}
	for i := 0; i < 4; i++ {
		m, err := stream.Next(ctx) // a codec.Message, valid until the next call
		if err != nil {
			panic(err)
		}
		fmt.Println(m.MessageType())
		// apply(m) here; then, once it is durable:
		if pos, ok := wire.AckPosition(m, stream.WALStart()); ok {
			stream.Ack(pos)
		}
	}
	if err := stream.Close(ctx); err != nil {
		panic(err)
	}
	// Output:
	// Begin
	// Type
	// Type
	// Type
}

// store is a consumer's durable state: what it applied and the position
// that goes with it, saved together (in one database transaction, say).
type store struct {
	commits int
	seen    map[uint32]int // xid → times applied
	pos     lsn.LSN
}

// consumeFrom streams from the stored position until the stream ends or fails.
func consumeFrom(ctx context.Context, dsn string, st *store) error {
	conn, err := wire.ConnectString(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Start from our own durable position, not just the slot's: after a
	// server crash the slot can be behind what we applied.
	stream, err := conn.StartReplication(ctx, "my_slot", st.pos, recordedOptions)
	if err != nil {
		return err
	}
	var xid uint32
	for {
		m, err := stream.Next(ctx)
		if err != nil {
			return err
		}
		switch m := m.(type) {
		case *codec.Begin:
			xid = m.Xid
		case *codec.BeginPrepare:
			xid = m.Xid
		case *codec.Commit, *codec.Prepare:
			st.seen[xid]++
			st.commits++
		}
		if pos, ok := wire.AckPosition(m, stream.WALStart()); ok {
			st.pos = pos // saved with the data it covers
			stream.Ack(pos)
		}
	}
}

// Reconnect after a lost connection and resume from the position stored
// with the data: nothing is lost, and nothing applied comes again. Here
// the replayed server hangs up after 40 messages, in the middle of the
// recording's 28 transactions.
func Example_reconnect() {
	rec, err := wiretest.LoadFile(recorded)
	if err != nil {
		panic(err)
	}
	srv, err := wiretest.Start(rec, wiretest.HangUpAfter(40))
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	st := &store{seen: map[uint32]int{}}
	reconnects := 0
	backoff := 10 * time.Millisecond
	for attempt := 0; attempt < 10; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := consumeFrom(ctx, srv.DSN(), st)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break // caught up and idle: the example ends here
		}
		if !wire.IsRetryable(err) { // 55006 (slot still active) is retryable
			panic(err)
		}
		reconnects++
		time.Sleep(backoff)
		backoff = min(2*backoff, 5*time.Second)
	}
	once := true
	for _, n := range st.seen {
		once = once && n == 1
	}
	fmt.Println("reconnects:", reconnects)
	fmt.Println("transactions:", st.commits, "each applied once:", once)
	// Output:
	// reconnects: 1
	// transactions: 28 each applied once: true
}

// Apply in batches: a ticker wakes the reading goroutine, which then makes
// its batch durable and confirms it to the server at once with AckNow,
// with no deadline on every Next. Between wakes Ack is not even needed.
func ExampleStream_Wake() {
	rec, err := wiretest.LoadFile(recorded)
	if err != nil {
		panic(err)
	}
	srv, err := wiretest.Start(rec)
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn, err := wire.ConnectString(ctx, srv.DSN())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	stream, err := conn.StartReplication(ctx, "my_slot", 0, recordedOptions)
	if err != nil {
		panic(err)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				stream.Wake()
			}
		}
	}()

	var batch []lsn.LSN // the units of work applied since the last flush
	durable, confirmed := 0, true
	for {
		m, err := stream.Next(ctx)
		if errors.Is(err, wire.ErrWoken) {
			if len(batch) == 0 {
				continue
			}
			// Make the batch durable here (one database transaction,
			// say), then confirm it.
			last := batch[len(batch)-1]
			if err := stream.AckNow(ctx, last); err != nil {
				panic(err)
			}
			// The server has it at once, not at the next periodic update
			// (20 s away here).
			wait, cancelWait := context.WithTimeout(context.Background(), 200*time.Millisecond)
			_, err := srv.WaitStatus(wait, func(u codec.StandbyStatusUpdate) bool { return u.Flush >= last })
			cancelWait()
			confirmed = confirmed && err == nil
			durable += len(batch)
			batch = batch[:0]
			continue
		}
		if errors.Is(err, context.DeadlineExceeded) {
			break // caught up and idle: the example ends here
		}
		if err != nil {
			panic(err)
		}
		if pos, ok := wire.AckPosition(m, stream.WALStart()); ok {
			batch = append(batch, pos) // apply(m) into the batch here
		}
	}
	fmt.Println("units of work made durable:", durable)
	fmt.Println("each batch confirmed when it was stored:", confirmed)
	// Output:
	// units of work made durable: 36
	// each batch confirmed when it was stored: true
}
