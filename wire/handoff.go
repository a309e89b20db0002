package wire

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// HandOff describes a replication session that another driver started
// (connected, authenticated, START_REPLICATION sent), for NewStream.
type HandOff struct {
	// Kind of stream: Logical (pgoutput, decoded), LogicalRaw (another
	// plugin) or Physical.
	Kind StreamKind
	// Decoder is what the session negotiated for pgoutput: the
	// proto_version and streaming option it asked for.
	Decoder codec.Options
	// Start is a position the status updates never go below: the start
	// position given to START_REPLICATION, or better the slot's
	// confirmed_flush_lsn.
	Start lsn.LSN
	// WALSenderTimeout is the server's wal_sender_timeout (0: unknown;
	// the defaults then apply: a status update every 10 s and
	// DefaultReceiveTimeout).
	WALSenderTimeout time.Duration
	// ServerVersionNum, e.g. 170004 (0: unknown), for the commands a
	// stream gates on the version.
	ServerVersionNum int
	// AwaitCopyBoth: START_REPLICATION was sent but its answer not read;
	// NewStream reads it (CopyBothResponse, or an error).
	AwaitCopyBoth bool
	// Buffered holds bytes the driver already read from the connection
	// and did not consume: they come before anything read from it.
	Buffered []byte
	// Config carries MaxMessageSize, ReceiveTimeout, StatusInterval,
	// Batching and OnNotice; the connection settings in it are not used.
	// nil: defaults.
	Config *Config
}

// NewStream runs a replication stream over nc, a connection another driver
// started and handed over in CopyBoth mode (or right after sending
// START_REPLICATION, with AwaitCopyBoth): for example pgconn's Hijack. The
// stream then owns nc: reading, keepalive replies, status updates by
// AckTracker's rules, Close with CopyDone. After Close the server is
// ready for commands again, and nc is the caller's once more; Stream.Conn
// runs them.
func NewStream(ctx context.Context, nc net.Conn, h HandOff) (*Stream, error) {
	var cfg Config
	if h.Config != nil {
		cfg = *h.Config
	}
	switch h.Kind {
	case Logical, LogicalRaw, Physical:
	default:
		return nil, fmt.Errorf("wire: NewStream: %v", h.Kind)
	}
	c := newConn(nc, &cfg)
	if h.ServerVersionNum > 0 {
		c.params["server_version"] = versionString(h.ServerVersionNum)
	}
	c.rd.Buffer(h.Buffered)
	c.busy = true
	s := newStream(c, h.Kind)
	if h.Kind == Logical {
		s.dec = codec.NewDecoder(h.Decoder)
	}
	wst := h.WALSenderTimeout
	if wst <= 0 {
		wst = -1
	}
	s.interval, s.quiet = streamTimes(wst, cfg.ReceiveTimeout, cfg.StatusInterval)
	s.ack = NewAckTracker(h.Kind, h.Start)
	if h.AwaitCopyBoth {
		if err := s.awaitCopyBoth(ctx); err != nil {
			return nil, err
		}
	}
	s.run()
	return s, nil
}

// versionString turns 170004 into "17.4" (and 90624 into "9.6.24").
func versionString(v int) string {
	if v >= 100000 {
		return strconv.Itoa(v/10000) + "." + strconv.Itoa(v%10000)
	}
	return strconv.Itoa(v/10000) + "." + strconv.Itoa(v/100%100) + "." + strconv.Itoa(v%100)
}

// Conn returns the session the stream runs on: for commands once the
// stream has been closed.
func (s *Stream) Conn() *Conn { return s.c }
