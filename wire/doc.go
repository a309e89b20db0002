// Package wire drives a PostgreSQL replication session over a net.Conn:
// start-up, TLS, authentication (trust, password, MD5, SCRAM-SHA-256 and
// SCRAM-SHA-256-PLUS), replication commands, and a logical or physical
// replication stream that answers keepalives and acknowledges positions by
// rules that never lose a change.
//
//	cfg, _ := wire.ParseConfig("postgres://repl@db.example/app?replication=database&sslmode=verify-full")
//	conn, err := wire.Connect(ctx, cfg)
//	if err != nil {
//		return err
//	}
//	defer conn.Close()
//	stream, err := conn.StartReplication(ctx, "my_slot", 0, wire.LogicalOptions{
//		Publications: []string{"my_pub"},
//		Streaming:    codec.StreamingOn,
//	})
//	if err != nil {
//		return err
//	}
//	for {
//		m, err := stream.Next(ctx) // a codec.Message, valid until the next call
//		if err != nil {
//			return err // wire.IsRetryable(err): close, reconnect, resume
//		}
//		apply(m)
//		if pos, ok := wire.AckPosition(m, stream.WALStart()); ok {
//			stream.Ack(pos) // after apply has made m durable
//		}
//	}
//
// The stream reads into one buffer that grows only as bytes arrive, up to
// Config.MaxMessageSize, and decodes with a reused codec.Decoder, so the
// receive path allocates nothing per message in the steady state. Status
// updates are written by the stream's own timer (Config.StatusInterval;
// by default derived from the server's wal_sender_timeout, negative for
// none), in answer to keepalives, and when Next is about to wait with a
// new flush position; reads and writes never share a deadline.
//
// Ack only records a position; the server hears of it with the next
// status update. A consumer that has just made a batch durable can call
// AckNow instead, which sends that update at once, so a crash has fewer
// applied transactions to send again. Both follow the same rules
// (AckTracker): nothing is confirmed past what was acknowledged.
//
// Wake makes a Next blocked on the server return ErrWoken from another
// goroutine, without ending the stream or losing a message: a reading
// loop can flush a batch on a ticker (ExampleStream_Wake) with no
// deadline on every Next. LastKeepalive reports the server's last
// keepalive (its WAL end and clock), for lag reports.
//
// A consumer that keeps up with the server spends its CPU on wake-ups, not
// on decoding: the walsender sends each message on its own. Config.Batching
// lets a stream's reads wait a few milliseconds for a batch instead:
//
//	cfg.Batching = wire.Batching{MinBytes: 64 << 10, MaxDelay: 5 * time.Millisecond}
//
// Errors from the server are *ServerError values carrying the SQLSTATE,
// message, detail and hint. Every failure of the transport is a
// *TransportError matching ErrConnectionLost; IsRetryable says which
// errors a reconnect loop should retry, including what a restarting
// server gives: a refused dial (syscall.ECONNREFUSED) and 57P03
// (Example_reconnect shows one).
//
// The files, one job each: config.go (connection strings), dial.go,
// startup.go, tls.go, auth.go (with scram.go, md5.go, saslprep.go),
// framer.go (backend message framing), messages.go (frontend messages),
// receive.go (the one receive loop: notices and parameter changes are
// handled there, wherever they arrive), ctxwatch.go (context cancellation
// of reads), query.go and result.go (simple queries and their parsing),
// commands.go (replication commands and their result parsers),
// options.go (pgoutput options), ack.go (the acknowledgement rules, with
// no socket inside), stream.go (reading, keepalives, the status timer,
// AckNow, shutdown), wake.go (Wake), handoff.go (streams over another
// driver's connection) and batch.go (read batching).
package wire
