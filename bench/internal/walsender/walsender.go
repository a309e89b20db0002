// Package walsender is a scripted walsender for the bench programs: it
// lets in one client on loopback (trust authentication), answers the
// queries a wire stream runs before streaming, and hands the connection to
// a function once START_REPLICATION has been answered with CopyBoth. The
// client's CopyData (status updates) is read and dropped; its CopyDone is
// answered as a walsender does.
package walsender

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
)

// Msg frames one backend message.
func Msg(typ byte, body []byte) []byte {
	b := append([]byte{typ}, binary.BigEndian.AppendUint32(nil, uint32(4+len(body)))...)
	return append(b, body...)
}

// row is a one-row, one-column text result up to ReadyForQuery.
func row(col, val string) []byte {
	var rd []byte
	rd = binary.BigEndian.AppendUint16(rd, 1)
	rd = append(append(rd, col...), 0)
	rd = append(rd, make([]byte, 18)...)
	var dr []byte
	dr = binary.BigEndian.AppendUint16(dr, 1)
	dr = binary.BigEndian.AppendUint32(dr, uint32(len(val)))
	dr = append(dr, val...)
	out := append(Msg('T', rd), Msg('D', dr)...)
	out = append(out, Msg('C', []byte("SELECT 1\x00"))...)
	return append(out, Msg('Z', []byte{'I'})...)
}

// Serve accepts one client on ln and serves it; stream runs in its own
// goroutine once streaming has begun, and done closes when the client has
// gone. Serve returns when the client hangs up.
func Serve(ln net.Listener, stream func(nc net.Conn, done <-chan struct{})) error {
	nc, err := ln.Accept()
	if err != nil {
		return err
	}
	defer nc.Close()
	var hdr [8]byte
	if _, err := io.ReadFull(nc, hdr[:]); err != nil {
		return err
	}
	if _, err := io.ReadFull(nc, make([]byte, binary.BigEndian.Uint32(hdr[:])-8)); err != nil {
		return err
	}
	var out []byte
	out = append(out, Msg('R', make([]byte, 4))...)
	out = append(out, Msg('S', []byte("server_version\x0018.4\x00"))...)
	out = append(out, Msg('K', make([]byte, 8))...)
	out = append(out, Msg('Z', []byte{'I'})...)
	if _, err := nc.Write(out); err != nil {
		return err
	}
	done := make(chan struct{})
	defer close(done)
	for {
		var h [5]byte
		if _, err := io.ReadFull(nc, h[:]); err != nil {
			return nil
		}
		body := make([]byte, binary.BigEndian.Uint32(h[1:])-4)
		if _, err := io.ReadFull(nc, body); err != nil {
			return nil
		}
		switch q := strings.TrimSuffix(string(body), "\x00"); {
		case h[0] == 'c': // the client's CopyDone
			nc.Write(append(append(Msg('c', nil), Msg('C', []byte("COPY 0\x00"))...), Msg('Z', []byte{'I'})...))
		case h[0] != 'Q': // status updates
		case strings.HasPrefix(q, "SHOW"):
			nc.Write(row("wal_sender_timeout", "60s"))
		case strings.HasPrefix(q, "SELECT"):
			nc.Write(row("confirmed_flush_lsn", "0/1000"))
		case strings.HasPrefix(q, "START_REPLICATION"):
			nc.Write(Msg('W', []byte{0, 0, 0}))
			go stream(nc, done)
		default:
			return errors.New("walsender: unexpected query " + q)
		}
	}
}
