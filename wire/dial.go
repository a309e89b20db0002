package wire

import (
	"context"
	"fmt"
	"net"
)

// Connect dials the server cfg names and starts a session.
func Connect(ctx context.Context, cfg *Config) (*Conn, error) {
	if cfg.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.ConnectTimeout)
		defer cancel()
	}
	network, addr := cfg.Network()
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("wire: dial %s %s: %w", network, addr, err)
	}
	c, err := NewConn(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// ConnectString parses a postgres:// URL or key=value DSN and connects.
func ConnectString(ctx context.Context, dsn string) (*Conn, error) {
	cfg, err := ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	return Connect(ctx, cfg)
}
