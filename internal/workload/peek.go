package workload

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
)

// Row is one captured pgoutput message.
type Row struct {
	// LSN: for Peek the function's lsn column; for Stream the WALStart of
	// the XLogData message that carried it. Both are the position pgoutput
	// was writing for (the decoding context's write_location): the
	// transaction's first LSN for Begin, the change's for a change, the
	// end for Commit. The server may send 0/0 in the XLogData header.
	LSN lsn.LSN
	// Xid: for Peek the function's xid column (the transaction being
	// decoded); for Stream 0, since XLogData carries no xid.
	Xid  uint32
	Data []byte // the message bytes
}

// Peek returns the messages pg_logical_slot_peek_binary_changes gives for
// spec from its PeekSlot (in a session with
// debug_logical_replication_streaming = immediate for spec.Immediate).
// Peeking does not consume: every spec sees the whole workload.
func Peek(ctx context.Context, s *pgserver.Server, spec Spec) ([]Row, error) {
	args := []string{pgserver.QuoteLiteral(spec.PeekSlot()), "NULL", "NULL"}
	for _, o := range spec.Options() {
		args = append(args, pgserver.QuoteLiteral(o[0]), pgserver.QuoteLiteral(o[1]))
	}
	q := ""
	if spec.Immediate {
		q = "SET debug_logical_replication_streaming = immediate;\n"
	}
	q += "SELECT lsn, xid, encode(data, 'hex') FROM pg_logical_slot_peek_binary_changes(" + strings.Join(args, ", ") + ");"
	res, err := exec(ctx, s, spec.FileName(), q)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, line := range strings.Split(res, "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) != 3 {
			return nil, fmt.Errorf("%s: bad peek row %q", spec.FileName(), line)
		}
		l, err := lsn.Parse(f[0])
		if err != nil {
			return nil, fmt.Errorf("%s: peek row %q: %w", spec.FileName(), line, err)
		}
		x, err := strconv.ParseUint(f[1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%s: peek row %q: xid: %w", spec.FileName(), line, err)
		}
		data, err := hex.DecodeString(f[2])
		if err != nil {
			return nil, fmt.Errorf("%s: peek row %q: %w", spec.FileName(), line, err)
		}
		rows = append(rows, Row{LSN: l, Xid: uint32(x), Data: data})
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: peek returned nothing", spec.FileName())
	}
	return rows, nil
}
