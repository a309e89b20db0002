package wire

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pgwal/pgwal/codec"
)

// LogicalOptions are pgoutput's START_REPLICATION options. Options the
// server version lacks are an ErrUnsupported error before anything is sent.
type LogicalOptions struct {
	// ProtoVersion is pgoutput's protocol version; 0 picks the highest the
	// server supports (PostgreSQL 14: 2, 15: 3, 16+: 4).
	ProtoVersion int
	// Publications to stream; names are case-sensitive as given.
	Publications []string
	Binary       bool // binary column values (PostgreSQL 14+)
	Messages     bool // pg_logical_emit_message messages (PostgreSQL 14+)
	// Streaming asks for large transactions while they are still in
	// progress: codec.StreamingOn (PostgreSQL 14+, protocol 2+) or
	// codec.StreamingParallel (PostgreSQL 16+, protocol 4). The zero value
	// (codec.StreamingAuto) and codec.StreamingOff send no option: off.
	Streaming codec.Streaming
	TwoPhase  bool   // prepared transactions at PREPARE (PostgreSQL 15+, protocol 3+)
	Origin    string // "", "any" or "none" (PostgreSQL 16+)
}

func pgoutputOptions(v int, o LogicalOptions) (int, []string, error) {
	maxProto := 1
	switch {
	case v >= 160000:
		maxProto = 4
	case v >= 150000:
		maxProto = 3
	case v >= 140000:
		maxProto = 2
	}
	proto := o.ProtoVersion
	if proto == 0 {
		proto = maxProto
	}
	if proto < 1 || proto > maxProto {
		return 0, nil, fmt.Errorf("%w: proto_version %d (server %d supports 1 to %d)", ErrUnsupported, proto, v, maxProto)
	}
	if len(o.Publications) == 0 {
		return 0, nil, errors.New("wire: StartReplication: no publications")
	}
	need := func(what string, min int) error {
		if v < min {
			return fmt.Errorf("%w: %s needs PostgreSQL %d (server %d)", ErrUnsupported, what, min/10000, v)
		}
		return nil
	}
	pubs := make([]string, len(o.Publications))
	for i, p := range o.Publications {
		if p == "" {
			return 0, nil, errors.New("wire: StartReplication: empty publication name")
		}
		pubs[i] = quoteIdent(p)
	}
	opts := []string{
		`"proto_version" ` + quoteLiteral(strconv.Itoa(proto)),
		`"publication_names" ` + quoteLiteral(strings.Join(pubs, ",")),
	}
	if o.Binary {
		if err := need("binary", 140000); err != nil {
			return 0, nil, err
		}
		opts = append(opts, `"binary" 'true'`)
	}
	if o.Messages {
		if err := need("messages", 140000); err != nil {
			return 0, nil, err
		}
		opts = append(opts, `"messages" 'true'`)
	}
	switch o.Streaming {
	case codec.StreamingAuto, codec.StreamingOff:
	case codec.StreamingOn:
		if err := need("streaming", 140000); err != nil {
			return 0, nil, err
		}
		if proto < 2 {
			return 0, nil, fmt.Errorf("%w: streaming needs proto_version 2", ErrUnsupported)
		}
		opts = append(opts, `"streaming" 'on'`)
	case codec.StreamingParallel:
		if err := need("streaming parallel", 160000); err != nil {
			return 0, nil, err
		}
		if proto < 4 {
			return 0, nil, fmt.Errorf("%w: streaming parallel needs proto_version 4", ErrUnsupported)
		}
		opts = append(opts, `"streaming" 'parallel'`)
	default:
		return 0, nil, fmt.Errorf("wire: StartReplication: streaming %d (want codec.StreamingOff, StreamingOn or StreamingParallel)", o.Streaming)
	}
	if o.TwoPhase {
		if err := need("two_phase", 150000); err != nil {
			return 0, nil, err
		}
		if proto < 3 {
			return 0, nil, fmt.Errorf("%w: two_phase needs proto_version 3", ErrUnsupported)
		}
		opts = append(opts, `"two_phase" 'true'`)
	}
	switch strings.ToLower(o.Origin) {
	case "":
	case "any", "none":
		if err := need("origin", 160000); err != nil {
			return 0, nil, err
		}
		opts = append(opts, `"origin" `+quoteLiteral(strings.ToLower(o.Origin)))
	default:
		return 0, nil, fmt.Errorf("wire: StartReplication: origin %q (want any or none)", o.Origin)
	}
	return proto, opts, nil
}
