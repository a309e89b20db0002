// Package txn assembles pgoutput messages into units of work: whole
// transactions (plain, streamed, two-phase), COMMIT / ROLLBACK PREPARED,
// streamed aborts and non-transactional logical messages, each with the
// position to acknowledge once it is applied.
//
//	a := txn.New(txn.Options{MemoryBudget: 16 << 20, SpillDir: dir})
//	defer a.Close()
//	d := codec.NewDecoder(codec.Options{ProtoVersion: 4, Streaming: codec.StreamingParallel})
//	for x := range xlogData { // each *codec.XLogData of the session, in order
//		m, err := d.Decode(x.Data)
//		if err != nil {
//			return err
//		}
//		if err := a.Push(m, x.WALStart); err != nil {
//			return err // a *txn.Error: what, where (LSN, xid)
//		}
//		for {
//			ev, err := a.Next()
//			if err != nil {
//				return err
//			}
//			switch ev.Kind {
//			case txn.EventNone:
//				// decode the next message
//			case txn.EventBegin:
//				target.Begin(ev.Unit.Kind, ev.Unit.Xid, ev.Unit.GID)
//			case txn.EventChange:
//				c := ev.Change // c.Relation, c.Old, c.New: valid until the next Next
//				target.Apply(c)
//			case txn.EventEnd:
//				u := ev.Unit
//				switch u.Kind {
//				case txn.KindPrepared:
//					target.StorePrepared(u.GID, u.End) // durably: never sent again
//					ack(u.AckAfterStoringPrepared)
//				default:
//					target.Commit(u.End) // durably, with u.End
//					ack(u.Ack)
//				}
//			}
//			if ev.Kind == txn.EventNone {
//				break
//			}
//		}
//	}
//
// # Shape
//
// The caller pushes each decoded message and pulls events: EventBegin,
// EventChange (one per change, in order) and EventEnd per unit. There are
// no goroutines or channels; one Push yields at most a few events, except
// that a streamed transaction's end yields all its changes, read back one
// per Next. Pull keeps the consumer in control of pace and memory (a slow
// target is never outrun) and lets the hot path run without allocation:
// the Unit and the Change are the Assembler's own, reused, and valid until
// the next Push or Next. Push refuses a message while events are pending.
//
// # Units
//
// A Begin … Commit transaction passes straight through: pgoutput sends it
// only after it committed, so each change is handed on as it arrives,
// never buffered, in O(1) memory. Its EventBegin waits for the first
// change (an Origin may follow Begin); its End and Ack are known at
// EventEnd.
//
// A streamed transaction (protocol 2+, streaming on or parallel) arrives
// in Stream Start … Stream Stop blocks of several xids, interleaved, and
// is delivered at its Stream Commit (KindTransaction, Streamed) or Stream
// Prepare (KindPrepared, Streamed). Until then its messages are kept in
// the codec's own encoding, within Options.MemoryBudget across all open
// streamed transactions: past the budget the largest spills to a
// temporary file, read back lazily as the caller pulls. Messages are held
// in 64 KiB chunks, never copied as they accumulate, and the budget counts
// the chunks' size, so it is the memory really held (a budget below one
// chunk spills every message); the Go heap stays near the budget, about
// 1.1× it in the 1 GiB benchmark of bench/README.md. A Stream Abort of
// the whole transaction drops it and its file (a KindAbort unit, whose Ack
// may be acknowledged); one of a subtransaction drops only the changes
// carrying that subtransaction's xid, through a tombstone set applied at
// replay and compaction once the dropped bytes outweigh the live ones.
// With Options.Immediate, streamed blocks are handed on as they arrive
// instead (KindStreamChunk), for consumers that apply tentatively and undo
// on KindAbort.
//
// Two-phase: Begin Prepare … Prepare (or a streamed transaction ended by
// Stream Prepare) is one KindPrepared unit. COMMIT PREPARED and ROLLBACK
// PREPARED are their own units naming the GID, because the server does not
// send the prepared changes again then: it sent them once, at PREPARE. That
// is also why KindPrepared has no Ack but AckAfterStoringPrepared:
// acknowledging a PREPARE (or anything after it) tells the server the
// prepared transaction is safe on the consumer's side, and it is never
// sent again; store it durably under its GID first.
//
// A non-transactional logical message is a KindMessage unit with one
// change. Its Ack is its LSN (the end of its WAL record), as for
// codec.UnitEnd: the server skips a message whose record starts before the
// confirmed position.
//
// # Schema
//
// Relation and Type messages outside stream blocks apply to the session.
// Inside a block they belong to the streamed transaction of the block's
// Stream Start (whatever xid their prefix carries: a subtransaction's as
// often as the top-level one) until its Stream Commit or Stream Prepare,
// when they become the session's, and are dropped at its abort. A change
// always resolves against the schema in force for its own transaction at
// that point; a plain codec.RelationCache fed every message would let a
// rolled-back ALTER of one streamed transaction rename the columns of
// another's changes.
//
// # Columns
//
// Rows are Row values whose columns are Present (text or binary), Null,
// Unchanged (unchanged TOAST, not sent) or Absent (non-key columns of a
// key-only old row: on the wire NULL placeholders, not NULLs). When the
// old row is the full row (REPLICA IDENTITY FULL) unchanged columns of the
// new row are filled from it and marked Filled; otherwise they stay
// Unchanged, never NULL, unless Options.FillUnchanged supplies them.
//
// # Consistency
//
// Push and Next check what the protocol promises and return a *Error
// naming the message, the LSN and the xid: ErrLSNMismatch (a Commit that
// does not match its Begin), ErrNoTransaction (a change outside a
// transaction or stream block), ErrUnknownStream, ErrUnknownGID (unless
// Options.AllowUnknownGID), ErrLSNBackwards (a unit ending before the
// previous one), ErrOutOfOrder. Resolving a change against its schema can
// fail with codec.ErrUnknownRelation or codec.ErrColumnCount.
//
// # Resuming
//
// Store each applied unit's End with its data, in the same durable
// transaction, then acknowledge its Ack (AckAfterStoringPrepared). After a
// crash or a lost connection:
//
//  1. Read the stored position P (the End of the last applied unit; 0 if
//     none).
//  2. START_REPLICATION … LOGICAL P. The server starts at the larger of P
//     and the slot's confirmed position: every unit not applied ends after
//     P (its final record starts at or after P), so none is skipped; one
//     that was applied but not acknowledged may come again.
//  3. Call Reset(P) on the Assembler (or create one with ResumeAfter: P
//     and AllowUnknownGID, since the PREPARE of a pending COMMIT PREPARED
//     may have been acknowledged in an earlier session). Reset drops the
//     streamed transactions received in part, and their spill files: the
//     server streams them again from their first block. From then on
//     units that end at or before P are dropped, so nothing applied is
//     delivered twice even when the server restarts the slot from an
//     older point.
//
// The Assembler keeps no goroutine and no file open between units except
// for spilled transactions still open; Close removes those files.
package txn
