package workload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pgwal/pgwal/internal/pgserver"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/wire"
)

// ReplicationConfig is a wire configuration for a replication=database
// connection to the workload database of s, as the superuser over TCP.
func ReplicationConfig(s *pgserver.Server) (*wire.Config, error) {
	return wire.ParseConfig(s.DSN("", "", pgserver.Database, "replication=database", "sslmode=disable"))
}

// StreamStats describes how a live stream went.
type StreamStats struct {
	Empty int // XLogData messages with no payload (skipped)
}

// Stream captures spec's LiveSlot over a replication connection, as a
// consumer would: START_REPLICATION with spec's options, every message
// read with NextRaw and acknowledged once it ends a unit of work
// (wire.AckPosition), until the stream has reported a WAL position at or
// past until (Result.EndLSN: after every change of the workload) and no
// message came for idle. Then the stream is closed cleanly. The slot must
// exist before the workload ran (Run with Slots). Empty XLogData payloads
// are skipped.
func Stream(ctx context.Context, s *pgserver.Server, spec Spec, until lsn.LSN, idle time.Duration) ([]Row, *StreamStats, error) {
	cfg, err := ReplicationConfig(s)
	if err != nil {
		return nil, nil, err
	}
	conn, err := wire.Connect(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	st, err := conn.StartReplication(ctx, spec.LiveSlot(), 0, spec.LogicalOptions())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", spec.LiveFileName(), err)
	}
	rows, stats, err := ReadUntilIdle(ctx, st, until, idle)
	if err != nil {
		st.Close(ctx)
		return nil, nil, fmt.Errorf("%s: %w", spec.LiveFileName(), err)
	}
	if err := st.Close(ctx); err != nil {
		return nil, nil, fmt.Errorf("%s: close: %w", spec.LiveFileName(), err)
	}
	if len(rows) == 0 {
		return nil, nil, fmt.Errorf("%s: the stream delivered nothing", spec.LiveFileName())
	}
	return rows, stats, nil
}

// ReadUntilIdle reads st with NextRaw, acknowledging as a consumer would,
// until st's reported write position (the highest XLogData or keepalive
// position, see wire.Stream.Positions) is at or past until and no message
// came for idle; then it returns the messages read, without closing st.
// While waiting it asks the server for a keepalive, so the position
// arrives without waiting for wal_sender_timeout.
func ReadUntilIdle(ctx context.Context, st *wire.Stream, until lsn.LSN, idle time.Duration) ([]Row, *StreamStats, error) {
	var rows []Row
	stats := &StreamStats{}
	last := time.Now()
	poll := min(idle/2, 250*time.Millisecond)
	if poll <= 0 {
		poll = 50 * time.Millisecond
	}
	for {
		rctx, cancel := context.WithTimeout(ctx, poll)
		x, err := st.NextRaw(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				w, _, _ := st.Positions()
				return rows, stats, fmt.Errorf("stream not idle at %v (reported %v): %w", until, w, ctx.Err())
			}
			if errors.Is(err, context.DeadlineExceeded) {
				if w, _, _ := st.Positions(); w >= until && time.Since(last) >= idle {
					return rows, stats, nil
				}
				if err := st.SendStatus(ctx, true); err != nil {
					return rows, stats, err
				}
				continue
			}
			return rows, stats, err
		}
		last = time.Now()
		if len(x.Data) == 0 {
			stats.Empty++
			continue
		}
		rows = append(rows, Row{LSN: x.WALStart, Data: bytes.Clone(x.Data)})
		if pos, ok := wire.AckPosition(st.Message(), x.WALStart); ok {
			st.Ack(pos) // the row is "durable" once appended
		}
	}
}
