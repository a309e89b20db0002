package wire_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
	"github.com/pgwal/pgwal/txn"
	"github.com/pgwal/pgwal/wire"
	"github.com/pgwal/pgwal/wire/wiretest"
)

// The recordings Units is tested against: streamed (parallel), two-phase
// and plain transactions, aborts and messages, from PostgreSQL 16 and 18.
var unitsRecordings = []string{
	"../testdata/pgoutput/pg16/live-v4-all.txt",
	"../testdata/pgoutput/pg18/live-v4-all.txt",
	"../testdata/pgoutput/pg15/live-v3-all.txt",
}

// unitText is a unit in plain text: kind, xid, GID, End and its changes,
// each with its relation and every column's state and value.
func unitText(u *txn.Unit, changes []string) string {
	return fmt.Sprintf("%v xid=%d gid=%q end=%v ack=%v prep=%v [%s]", u.Kind, u.Xid, u.GID, u.End, u.Ack,
		u.AckAfterStoringPrepared, strings.Join(changes, "; "))
}

func changeText(c *txn.Change) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v", c.Op)
	if c.Relation != nil {
		fmt.Fprintf(&b, " %s", c.Relation.Name)
	}
	row := func(name string, r txn.Row) {
		if !r.Sent() {
			return
		}
		fmt.Fprintf(&b, " %s(", name)
		for i := 0; i < r.Len(); i++ {
			v := r.At(i)
			fmt.Fprintf(&b, "%v:%q,", v.State, v.Data)
		}
		b.WriteString(")")
	}
	row("old", c.Old)
	row("new", c.New)
	if c.Op == txn.OpMessage {
		fmt.Fprintf(&b, " %q=%q", c.Prefix, c.Content)
	}
	return b.String()
}

// reference assembles the whole recording in one go: the units a consumer
// must end up with, in order.
func reference(t *testing.T, rec *wiretest.Recording) (units []string, ends []lsn.LSN) {
	t.Helper()
	opts, err := rec.Header.DecoderOptions()
	if err != nil {
		t.Fatal(err)
	}
	d := codec.NewDecoder(opts)
	a := txn.New(txn.Options{MemoryBudget: 1 << 10, SpillDir: t.TempDir()})
	defer a.Close()
	var changes []string
	for _, p := range rec.Payloads {
		m, err := d.DecodeServerCopyData(p)
		if err != nil {
			t.Fatal(err)
		}
		x, ok := m.(*codec.XLogData)
		if !ok || len(x.Data) == 0 {
			continue
		}
		msg, err := d.Decode(x.Data)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Push(msg, x.WALStart); err != nil {
			t.Fatal(err)
		}
		for {
			ev, err := a.Next()
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind == txn.EventNone {
				break
			}
			switch ev.Kind {
			case txn.EventBegin:
				changes = nil
			case txn.EventChange:
				changes = append(changes, changeText(ev.Change))
			case txn.EventEnd:
				units = append(units, unitText(ev.Unit, changes))
				ends = append(ends, ev.Unit.End)
			}
		}
	}
	return units, ends
}

// memStore is a consumer's durable store: applied units and the position,
// written together, atomically.
type memStore struct {
	mu       sync.Mutex
	units    []string
	position lsn.LSN
}

func (s *memStore) commit(unit string, end lsn.LSN) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.units = append(s.units, unit)
	s.position = end
}

func (s *memStore) Position(context.Context) (lsn.LSN, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.position, nil
}

func unitsOptions(rec *wiretest.Recording) wire.LogicalOptions {
	opts, _ := rec.Header.DecoderOptions()
	lo := wire.LogicalOptions{ProtoVersion: opts.ProtoVersion, Publications: []string{"pgwal_pub"}}
	if opts.Streaming != codec.StreamingAuto {
		lo.Streaming = opts.Streaming
	}
	return lo
}

// consumeUnits runs a consumer over Units until its stored position reaches
// last, applying each unit into store and confirming it. It returns the
// number of interrupted units it discarded.
func consumeUnits(t *testing.T, ctx context.Context, u *wire.Units, store *memStore, last lsn.LSN) (interrupted int) {
	t.Helper()
	var changes []string
	open := false
	for {
		if p, _ := store.Position(ctx); p >= last {
			return interrupted
		}
		ev, err := u.Next(ctx)
		if errors.Is(err, wire.ErrUnitInterrupted) {
			if !open {
				t.Fatalf("ErrUnitInterrupted with no unit open: %v", err)
			}
			interrupted++
			changes, open = nil, false
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v (stored %v, want %v)", err, store.position, last)
		}
		switch ev.Kind {
		case txn.EventBegin:
			if open {
				t.Fatalf("EventBegin inside a unit")
			}
			changes, open = nil, true
		case txn.EventChange:
			if !open {
				t.Fatalf("EventChange outside a unit")
			}
			changes = append(changes, changeText(ev.Change))
		case txn.EventEnd:
			open = false
			r := u.Receipt()
			if r.End() != ev.Unit.End {
				t.Fatalf("receipt End %v, unit End %v", r.End(), ev.Unit.End)
			}
			store.commit(unitText(ev.Unit, changes), r.End())
			if r.Kind() == txn.KindPrepared {
				if err := u.Applied(r); !errors.Is(err, wire.ErrPreparedNotStored) {
					t.Fatalf("Applied(prepared receipt) = %v, want ErrPreparedNotStored", err)
				}
				err = u.PreparedStored(r)
				if err != nil {
					t.Fatalf("PreparedStored: %v", err)
				}
			} else if err := u.Applied(r); err != nil {
				t.Fatalf("Applied: %v", err)
			}
			if err := u.Applied(r); !errors.Is(err, wire.ErrBadReceipt) {
				t.Fatalf("Applied twice = %v, want ErrBadReceipt", err)
			}
		default:
			t.Fatalf("Next returned %v", ev.Kind)
		}
	}
}

func newUnits(t *testing.T, srv *wiretest.Server, store *memStore, budget int64) *wire.Units {
	t.Helper()
	u, err := wire.NewUnits(wire.UnitsConfig{
		Slot:       "replay",
		Options:    unitsOptions(srv.Recording()),
		Assembler:  txn.Options{MemoryBudget: budget, SpillDir: t.TempDir()},
		Dial:       func(ctx context.Context) (*wire.Conn, error) { return wire.ConnectString(ctx, srv.DSN()) },
		Position:   store.Position,
		MinBackoff: time.Millisecond,
		MaxBackoff: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close(context.Background()) })
	return u
}

// TestUnitsResume replays recordings through sessions cut in every way the
// server can end one (FIN, RST, FATAL 57P01, shutdown), at many points,
// including inside streamed transactions: the consumer ends up with every
// unit exactly once, in order, as one uninterrupted assembly gives them.
func TestUnitsResume(t *testing.T) {
	for _, name := range unitsRecordings {
		rec, err := wiretest.LoadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		want, ends := reference(t, rec)
		if len(want) < 10 {
			t.Fatalf("%s: only %d units", name, len(want))
		}
		last := ends[len(ends)-1]
		for _, cut := range unitsCuts {
			t.Run(fmt.Sprintf("%s/cut%d", name[len("../testdata/pgoutput/"):], cut), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				var faults []wiretest.Option
				for i := 0; i < 40; i++ {
					n := cut + i%5
					switch i % 4 {
					case 0:
						faults = append(faults, wiretest.HangUpAfter(n))
					case 1:
						faults = append(faults, wiretest.ResetAfter(n))
					case 2:
						faults = append(faults, wiretest.ErrorAfter(n, "57P01", "terminating connection due to administrator command"))
					case 3:
						faults = append(faults, wiretest.ShutdownAfter(n))
					}
				}
				srv := wiretest.NewServerRecording(t, rec, faults...)
				store := &memStore{}
				u := newUnits(t, srv, store, 256) // spills nearly every streamed transaction
				interrupted := consumeUnits(t, ctx, u, store, last)
				if d := diffUnits(store.units, want); d != "" {
					t.Fatal(d)
				}
				st := u.Stats()
				if st.Retries == 0 || st.Sessions != st.Retries+1 {
					t.Fatalf("stats %+v: want retries and one session per retry plus one", st)
				}
				t.Logf("%d units, %d sessions, %d skipped as applied, %d interrupted units discarded", len(want), st.Sessions, st.Skipped, interrupted)
			})
		}
	}
}

func diffUnits(got, want []string) string {
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(got):
			return fmt.Sprintf("unit %d missing: %s", i, want[i])
		case i >= len(want):
			return fmt.Sprintf("unit %d extra: %s", i, got[i])
		case got[i] != want[i]:
			return fmt.Sprintf("unit %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	return ""
}

// TestUnitsNoAckPastUnconfirmed: a consumer that has not confirmed a unit
// (it crashed before storing it, or is still applying it) must never see
// the slot confirmed at or past that unit, however far it reads on and
// however often the stream reports status: otherwise a restart would skip
// a unit that was never applied.
func TestUnitsNoAckPastUnconfirmed(t *testing.T) {
	rec, err := wiretest.LoadFile(unitsRecordings[0])
	if err != nil {
		t.Fatal(err)
	}
	_, ends := reference(t, rec)
	for _, hold := range []int{0, 3, len(ends) / 2} {
		t.Run(fmt.Sprint("hold", hold), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			srv := wiretest.NewServerRecording(t, rec, wiretest.WALSenderTimeout(300*time.Millisecond), wiretest.KeepaliveInterval(20*time.Millisecond))
			store := &memStore{}
			u := newUnits(t, srv, store, 1<<20)
			var held []wire.Receipt
			n := 0
			for n < len(ends) {
				ev, err := u.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if ev.Kind != txn.EventEnd {
					continue
				}
				r := u.Receipt()
				if n < hold {
					var err error
					if r.Kind() == txn.KindPrepared {
						err = u.PreparedStored(r)
					} else {
						err = u.Applied(r)
					}
					if err != nil {
						t.Fatal(err)
					}
				} else {
					held = append(held, r) // applied but not confirmed
				}
				n++
			}
			// Everything is delivered; the stream now idles on
			// keepalives, reporting status several times a second. Wait
			// for five reports sent after the last acknowledgement (those
			// during delivery may predate it).
			after := len(srv.StatusUpdates()) + 5
			for deadline := time.Now().Add(5 * time.Second); len(srv.StatusUpdates()) < after && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			limit := ends[hold]
			if c := srv.Confirmed(); c >= limit {
				t.Fatalf("slot confirmed %v with unit %d (End %v) not confirmed by the consumer", c, hold, limit)
			}
			ups := srv.StatusUpdates()
			if len(ups) < after {
				t.Fatalf("only %d status updates after delivery: the check proves nothing", len(ups)-after+5)
			}
			for _, up := range ups {
				if up.Flush >= limit {
					t.Fatalf("status update flush %v past the first unconfirmed unit's End %v", up.Flush, limit)
				}
			}
			if hold > 0 && srv.Confirmed() < ends[hold-1] {
				t.Fatalf("confirmed %v, want the last confirmed End %v", srv.Confirmed(), ends[hold-1])
			}
			// A later receipt while an earlier prepared one is not stored
			// is refused; confirming them in order works.
			for i, r := range held {
				var err error
				if r.Kind() == txn.KindPrepared {
					if i+1 < len(held) {
						if err := u.Applied(held[len(held)-1]); !errors.Is(err, wire.ErrPreparedNotStored) {
							t.Fatalf("Applied past an unstored prepared unit = %v", err)
						}
					}
					err = u.PreparedStored(r)
				} else {
					err = u.Applied(r)
				}
				if err != nil {
					t.Fatalf("receipt %d: %v", i, err)
				}
			}
			if _, err := srv.WaitStatus(ctx, func(s codec.StandbyStatusUpdate) bool { return s.Flush >= ends[len(ends)-1] }); err != nil {
				t.Fatalf("after confirming everything the slot did not catch up: %v", err)
			}
		})
	}
}

// TestUnitsStaleReceipt: after a reconnect a receipt of the earlier session
// is refused, and nothing is acknowledged for it.
func TestUnitsStaleReceipt(t *testing.T) {
	rec, err := wiretest.LoadFile(unitsRecordings[0])
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := wiretest.NewServerRecording(t, rec, wiretest.HangUpAfter(60))
	store := &memStore{}
	u := newUnits(t, srv, store, 1<<20)
	var first wire.Receipt
	for u.Stats().Sessions < 2 {
		ev, err := u.Next(ctx)
		if err != nil && !errors.Is(err, wire.ErrUnitInterrupted) {
			t.Fatal(err)
		}
		if err == nil && ev.Kind == txn.EventEnd && first.End() == 0 {
			first = u.Receipt()
		}
	}
	if first.End() == 0 {
		t.Fatal("no unit in the first session")
	}
	if err := u.Applied(first); !errors.Is(err, wire.ErrStaleReceipt) {
		t.Fatalf("Applied(stale) = %v, want ErrStaleReceipt", err)
	}
	if err := u.Applied(wire.Receipt{}); !errors.Is(err, wire.ErrBadReceipt) {
		t.Fatalf("Applied(zero) = %v, want ErrBadReceipt", err)
	}
}

// unitsCuts are the session lengths (messages per session, +0..4) of
// TestUnitsResume: short ones cut inside nearly every unit, long ones
// resume past Relation and Type messages sent inside stream blocks (which
// wiretest must not send again on their own).
var unitsCuts = []int{3, 5, 7, 9, 11, 13, 17, 19, 31, 47, 73}

// rewindProxy forwards to target and rewrites every START_REPLICATION …
// LOGICAL X/X to start at 0/0: a server that restarts the slot from an
// older point than asked, sending again units the consumer has applied.
func rewindProxy(t *testing.T, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	re := regexp.MustCompile(`LOGICAL [0-9A-F]+/[0-9A-F]+`)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			go func() { io.Copy(c, s); c.Close() }()
			go func() {
				defer s.Close()
				r := bufio.NewReader(c)
				// The start-up packet has no type byte.
				var n uint32
				if binary.Read(r, binary.BigEndian, &n) != nil || n < 4 {
					return
				}
				body := make([]byte, n-4)
				if _, err := io.ReadFull(r, body); err != nil {
					return
				}
				s.Write(binary.BigEndian.AppendUint32(nil, n))
				s.Write(body)
				for {
					typ, err := r.ReadByte()
					if err != nil {
						return
					}
					if binary.Read(r, binary.BigEndian, &n) != nil || n < 4 {
						return
					}
					body := make([]byte, n-4)
					if _, err := io.ReadFull(r, body); err != nil {
						return
					}
					if typ == 'Q' {
						body = re.ReplaceAll(body, []byte("LOGICAL 0/0"))
					}
					out := append([]byte{typ}, binary.BigEndian.AppendUint32(nil, uint32(len(body)+4))...)
					if _, err := s.Write(append(out, body...)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestUnitsSkipApplied: when the server sends again units that end at or
// before the stored position (it restarted the slot from an older point),
// Units drops them: each unit is applied once, and the drops are counted.
func TestUnitsSkipApplied(t *testing.T) {
	rec, err := wiretest.LoadFile(unitsRecordings[0])
	if err != nil {
		t.Fatal(err)
	}
	want, ends := reference(t, rec)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var faults []wiretest.Option
	for i := 0; i < 8; i++ {
		faults = append(faults, wiretest.HangUpAfter(25*(i+1)))
	}
	srv := wiretest.NewServerRecording(t, rec, faults...)
	addr := rewindProxy(t, srv.Addr())
	store := &memStore{}
	u, err := wire.NewUnits(wire.UnitsConfig{
		Slot:      "replay",
		Options:   unitsOptions(rec),
		Assembler: txn.Options{MemoryBudget: 256, SpillDir: t.TempDir()},
		Dial: func(ctx context.Context) (*wire.Conn, error) {
			return wire.ConnectString(ctx, "postgres://u@"+addr+"/replay?replication=database&sslmode=disable")
		},
		Position:   store.Position,
		MinBackoff: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close(ctx)
	interrupted := consumeUnits(t, ctx, u, store, ends[len(ends)-1])
	if d := diffUnits(store.units, want); d != "" {
		t.Fatal(d)
	}
	st := u.Stats()
	if st.Skipped == 0 || st.Sessions < 3 {
		t.Fatalf("stats %+v: want sessions restarted from 0/0 and units skipped", st)
	}
	t.Logf("%d units, %d sessions, %d sent again and skipped, %d interrupted", len(want), st.Sessions, st.Skipped, interrupted)
}
