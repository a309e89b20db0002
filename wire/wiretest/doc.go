// Package wiretest is a fake PostgreSQL walsender for tests: it replays a
// recorded logical replication session (a capture file, package capture)
// to any client on a loopback port, records what the client acknowledges,
// and injects faults on cue. Record a real session once with
// "pgwal capture", then test a consumer against it forever:
//
//	func TestConsumer(t *testing.T) {
//		srv := wiretest.NewServer(t, "testdata/session.pgwal", wiretest.HangUpAfter(100))
//		ctx := context.Background()
//		conn, err := wire.ConnectString(ctx, srv.DSN())
//		if err != nil {
//			t.Fatal(err)
//		}
//		defer conn.Close()
//		st, err := conn.StartReplication(ctx, "app", 0, wire.LogicalOptions{
//			Publications: []string{"app"}, Streaming: codec.StreamingOn, // as recorded
//		})
//		if err != nil {
//			t.Fatal(err)
//		}
//		for {
//			m, err := st.Next(ctx)
//			if err != nil {
//				break // wire.ErrConnectionLost after 100 messages
//			}
//			consume(m)
//		}
//		for _, u := range srv.StatusUpdates() {
//			// assert on u.Flush: what the consumer acknowledged
//		}
//	}
//
// # What the server does
//
// Start-up: an SSLRequest (or GSSENCRequest) is answered 'N'; any user is
// let in without a password (AuthenticationOk), then ParameterStatus
// (server_version from the capture header, or the ServerVersion option),
// BackendKeyData and ReadyForQuery.
//
// Queries: IDENTIFY_SYSTEM; SHOW wal_sender_timeout, server_version and
// server_version_num; the confirmed_flush_lsn SELECT a wire.Stream runs;
// START_REPLICATION SLOT name LOGICAL X/X (options). Any slot name is
// accepted, but the proto_version and streaming options must match the
// capture header's (otherwise an ErrorResponse, SQLSTATE 22023: the bytes
// would not decode the same). Other queries get an ErrorResponse (42601)
// unless HandleQuery answers them.
//
// Streaming: CopyBothResponse, then every recorded CopyData in order
// (XLogData with its recorded header, and recorded keepalives), then a
// keepalive at the last position at once and every KeepaliveInterval.
// Standby status updates are recorded (StatusUpdates, WaitStatus,
// Confirmed); one that asks for a reply gets a keepalive; SendKeepalive
// sends one that asks for a reply. A client CopyDone is answered with
// CopyDone, CommandComplete and ReadyForQuery, and the connection can run
// commands again.
//
// Resuming: the server keeps a slot's confirmed position, the highest
// flush position reported (or ConfirmedFlush). A session starting at a
// later point than the beginning skips the records up to the last point
// where no transaction was open and every unit of work ended at or before
// max(start, confirmed) — as a walsender skips confirmed transactions —
// and first sends the Relation and Type messages it skipped, as a new
// walsender would describe the relations again.
//
// Faults (HangUpAfter, ResetAfter, StallAfter, ErrorAfter, ShutdownAfter)
// script one session each, in order: a test can cut the first session and
// check that the second resumes without loss.
//
// The server speaks the backend protocol itself; it does not depend on
// package wire, so it can test any client.
package wiretest
