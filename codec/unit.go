package codec

import "github.com/pgwal/pgwal/lsn"

// UnitEnd reports whether m ends a unit of work and, if so, the position to
// acknowledge (report as flushed) once the unit is durably applied. The
// units are: a transaction (Commit), a prepared transaction's PREPARE,
// COMMIT PREPARED or ROLLBACK PREPARED, a streamed transaction's Stream
// Commit, Stream Prepare or whole Stream Abort, and a non-transactional
// logical decoding message, which the server sends outside any
// transaction.
//
// walStart is the WALStart of the XLogData that carried m. Only a Stream
// Abort needs it: it has no end position of its own (the parallel form's
// AbortLSN is where the abort record starts, not where it ends). The abort
// of one subtransaction (SubXid != Xid) ends nothing.
func UnitEnd(m Message, walStart lsn.LSN) (end lsn.LSN, ok bool) {
	switch m := m.(type) {
	case *Commit:
		return m.EndLSN, true
	case *Prepare:
		return m.EndLSN, true
	case *StreamPrepare:
		return m.EndLSN, true
	case *CommitPrepared:
		return m.EndLSN, true
	case *RollbackPrepared:
		return m.RollbackEndLSN, true
	case *StreamCommit:
		return m.EndLSN, true
	case *StreamAbort:
		if m.Xid == m.SubXid {
			return walStart, true
		}
	case *LogicalMessage:
		if !m.Transactional() && !m.InStream {
			return m.LSN, true
		}
	}
	return 0, false
}
