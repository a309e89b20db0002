package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// StartReplication starts logical replication from slot at start (0/0:
// from the slot's confirmed position) and returns the stream. The Conn
// must have been opened with replication=database.
func (c *Conn) StartReplication(ctx context.Context, slot string, start lsn.LSN, o LogicalOptions) (*Stream, error) {
	if err := checkSlotName(slot); err != nil {
		return nil, err
	}
	if c.logicalStreamed {
		return nil, ErrSecondLogicalStream
	}
	proto, opts, err := pgoutputOptions(c.ServerVersionNum(), o)
	if err != nil {
		return nil, err
	}
	dopts := codec.Options{ProtoVersion: proto, Streaming: o.Streaming}
	if o.Streaming == codec.StreamingAuto {
		dopts.Streaming = codec.StreamingOff
	}
	s := newStream(c, Logical)
	s.dec = codec.NewDecoder(dopts)
	if err := s.prepare(ctx, slot, start); err != nil {
		return nil, err
	}
	q := "START_REPLICATION SLOT " + slot + " LOGICAL " + start.String() + " (" + strings.Join(opts, ", ") + ")"
	if err := s.start(ctx, q); err != nil {
		return nil, err
	}
	return s, nil
}

// PluginOption is one output plugin option for StartReplicationRaw. An
// empty Value sends the name alone, as pg_recvlogical's -o name does.
type PluginOption struct {
	Name, Value string
}

// StartReplicationRaw starts logical replication from slot with an output
// plugin other than pgoutput (wal2json, test_decoding, ...): the options
// are passed to the plugin as given and its payloads are handed out
// undecoded by NextRaw. As nothing marks transaction boundaries, the idle
// rule confirms a keepalive's position only once everything received has
// been acknowledged (StreamKind LogicalRaw).
func (c *Conn) StartReplicationRaw(ctx context.Context, slot string, start lsn.LSN, opts []PluginOption) (*Stream, error) {
	if err := checkSlotName(slot); err != nil {
		return nil, err
	}
	if c.logicalStreamed {
		return nil, ErrSecondLogicalStream
	}
	q := "START_REPLICATION SLOT " + slot + " LOGICAL " + start.String()
	if len(opts) > 0 {
		parts := make([]string, len(opts))
		for i, o := range opts {
			if o.Name == "" || strings.IndexByte(o.Name, 0) >= 0 || strings.IndexByte(o.Value, 0) >= 0 {
				return nil, fmt.Errorf("wire: StartReplicationRaw: option %q: empty name or NUL byte", o.Name)
			}
			parts[i] = quoteIdent(o.Name)
			if o.Value != "" {
				parts[i] += " " + quoteLiteral(o.Value)
			}
		}
		q += " (" + strings.Join(parts, ", ") + ")"
	}
	s := newStream(c, LogicalRaw)
	if err := s.prepare(ctx, slot, start); err != nil {
		return nil, err
	}
	if err := s.start(ctx, q); err != nil {
		return nil, err
	}
	return s, nil
}

// Kind says what the stream carries.
func (s *Stream) Kind() StreamKind { return s.kind }

// StartPhysicalReplication starts physical replication at start on
// timeline (0: the current one), from slot if not "".
func (c *Conn) StartPhysicalReplication(ctx context.Context, slot string, start lsn.LSN, timeline uint32) (*Stream, error) {
	q := "START_REPLICATION"
	if slot != "" {
		if err := checkSlotName(slot); err != nil {
			return nil, err
		}
		q += " SLOT " + slot
	}
	q += " PHYSICAL " + start.String()
	if timeline > 0 {
		q += " TIMELINE " + strconv.FormatUint(uint64(timeline), 10)
	}
	s := newStream(c, Physical)
	if err := s.prepare(ctx, "", start); err != nil {
		return nil, err
	}
	if err := s.start(ctx, q); err != nil {
		return nil, err
	}
	return s, nil
}

// Stream is a replication stream in progress. Pull messages with Next (or
// NextRaw); acknowledge what your side has made durable with Ack.
//
// Status updates go out when the server asks for one, when Next is about
// to wait for the server and the flush position has moved, at AckNow, and
// on a timer (Config.StatusInterval; by default derived from
// wal_sender_timeout) that runs even while the consumer is busy
// elsewhere, so a slow consumer is not disconnected. Their positions follow
// AckTracker's rules: nothing is confirmed that was not acknowledged.
//
// A stream that hears nothing from the server for the receive timeout
// (Config.ReceiveTimeout; by default wal_sender_timeout) ends with a
// *TransportError matching ErrConnectionLost and ErrReceiveTimeout. To
// tell an idle stream from a dead one, the timer asks the server for a
// keepalive (a status update with the reply flag) once a third of that
// time has passed in silence; a live server answers at once.
//
// Goroutines: Next and NextRaw are called from one goroutine at a time.
// Ack, AckNow, Positions, SendStatus, LastReceive, LastKeepalive,
// PrimaryStatus, Wake and Close are safe from any goroutine; Close while
// Next is blocked on the server is the usual way to shut down: both return
// promptly. Wake makes a blocked Next return ErrWoken and leaves the
// stream running.
type Stream struct {
	c    *Conn
	kind StreamKind
	dec  *codec.Decoder
	slot string

	// The reader's: held by Next, NextRaw, and Close's shutdown.
	rmu     sync.Mutex
	xlog    codec.XLogData // the current message, valid until the next call
	last    codec.Message
	entered time.Time // when the running Next began

	mu         sync.Mutex
	ack        *AckTracker
	reading    bool          // a Next or NextRaw is running
	closeReq   *closeRequest // Close asked the running reader to shut down
	woken      bool          // Wake asked the reader to return ErrWoken
	ending     bool          // the stream is ending: no more read interruptions
	closing    bool          // Close owns the stream
	ended      error         // why the stream ended; nil while it runs
	lastStatus time.Time
	lastPing   time.Time
	interval   time.Duration // between status updates
	quiet      time.Duration // the receive timeout; 0 = none
	primary    codec.PrimaryStatusUpdate
	hasPrimary bool
	keepalive  codec.PrimaryKeepalive // the latest one the reader processed
	hasKA      bool

	status    []byte // status message buffer (guarded by c.wmu)
	timerStop chan struct{}
	stopOnce  sync.Once
	timerDone chan struct{}
}

// closeRequest is Close asking the running reader to shut the stream down.
type closeRequest struct {
	ctx  context.Context
	done chan struct{}
	err  error
}

func newStream(c *Conn, kind StreamKind) *Stream {
	// Every kind decodes the server's keepalives; Logical also pgoutput.
	return &Stream{c: c, kind: kind, dec: codec.NewDecoder(codec.Options{})}
}

// prepare reads what the status rules need before streaming starts: the
// server's wal_sender_timeout and, for a logical slot, its confirmed
// position.
func (s *Stream) prepare(ctx context.Context, slot string, start lsn.LSN) error {
	s.slot = slot
	floor := start
	wst := time.Duration(-1)
	if t, err := s.c.Show(ctx, "wal_sender_timeout"); err == nil {
		if d, ok := parseDuration(t); ok {
			wst = d
		}
	} else if !isServerError(err) {
		return err
	}
	s.interval, s.quiet = streamTimes(wst, s.c.cfg.ReceiveTimeout, s.c.cfg.StatusInterval)
	if slot != "" && s.kind != Physical {
		rs, err := s.c.Exec(ctx, "SELECT confirmed_flush_lsn FROM pg_catalog.pg_replication_slots WHERE slot_name = "+quoteLiteral(slot))
		if err != nil && !isServerError(err) {
			return err
		}
		if err == nil {
			if l, ok := parseConfirmedFlush(rs); ok && l > floor {
				floor = l
			}
		}
	}
	s.ack = NewAckTracker(s.kind, floor)
	return nil
}

// streamTimes derives the status interval (negative: no periodic
// updates) and the receive timeout from wal_sender_timeout (negative:
// unknown; 0: disabled on the server), Config.ReceiveTimeout (0: derive;
// negative: none) and Config.StatusInterval (0: derive; negative: never).
func streamTimes(walSenderTimeout, receiveTimeout, statusInterval time.Duration) (interval, quiet time.Duration) {
	switch {
	case statusInterval != 0:
		interval = statusInterval
	case walSenderTimeout > 0:
		// Three updates per timeout: one lost or late update is harmless.
		interval = max(walSenderTimeout/3, 50*time.Millisecond)
	default:
		interval = 10 * time.Second
	}
	switch {
	case receiveTimeout > 0:
		quiet = receiveTimeout
	case receiveTimeout < 0:
		quiet = 0
	case walSenderTimeout > 0:
		// The server gives up on a silent client after wal_sender_timeout;
		// the client gives up on a silent server after the same.
		quiet = max(walSenderTimeout, 300*time.Millisecond)
	default:
		quiet = DefaultReceiveTimeout
	}
	return interval, quiet
}

// DefaultReceiveTimeout is the receive timeout when the server's
// wal_sender_timeout is 0 (disabled) or unknown and Config.ReceiveTimeout
// is 0.
const DefaultReceiveTimeout = 60 * time.Second

// parseConfirmedFlush reads the confirmed_flush_lsn query's answer: one
// row with one non-NULL value.
func parseConfirmedFlush(rs []Result) (lsn.LSN, bool) {
	if len(rs) != 1 {
		return 0, false
	}
	v, ok := rs[0].Get(0, "confirmed_flush_lsn")
	if !ok || !v.Valid || len(rs[0].Rows) != 1 {
		return 0, false
	}
	l, err := lsn.Parse(v.String)
	return l, err == nil
}

func isServerError(err error) bool {
	var se *ServerError
	return errors.As(err, &se)
}

// parseDuration reads a SHOW value such as "60s", "2500ms", "1min", "0".
func parseDuration(v string) (time.Duration, bool) {
	i := 0
	for i < len(v) && '0' <= v[i] && v[i] <= '9' {
		i++
	}
	n, err := strconv.Atoi(v[:i])
	if err != nil {
		return 0, false
	}
	unit := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond, "s": time.Second,
		"min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[v[i:]]
	if unit == 0 {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// start sends START_REPLICATION and reads the answer: CopyBothResponse,
// an error, or (physical, at the end of a historic timeline) a result set.
func (s *Stream) start(ctx context.Context, q string) error {
	if err := s.c.acquire(); err != nil {
		return err
	}
	if err := s.c.send(ctx, "START_REPLICATION", AppendQuery(nil, q)); err != nil {
		s.c.release()
		return err
	}
	if err := s.awaitCopyBoth(ctx); err != nil {
		s.c.release()
		return err
	}
	s.run()
	return nil
}

// awaitCopyBoth reads START_REPLICATION's answer up to CopyBothResponse.
func (s *Stream) awaitCopyBoth(ctx context.Context) error {
	for {
		typ, body, err := s.c.receive(ctx, readOpts{})
		if err != nil {
			// START_REPLICATION may still be running on the server.
			s.c.fail(err)
			return err
		}
		switch typ {
		case msgCopyBothResponse:
			return nil
		case msgErrorResponse:
			err := s.c.serverError(body)
			if _, rerr := s.drainToReady(ctx, nil); rerr != nil {
				return fmt.Errorf("%w (and then %w)", err, rerr)
			}
			return err
		case msgRowDescription, msgDataRow:
			// A physical start at the end of an old timeline answers with
			// a result set and no CopyBoth.
			end, err := s.endOfTimeline(ctx, typ, body)
			if err != nil {
				return err
			}
			return end
		default:
			err := fmt.Errorf("%w: unexpected message %q after START_REPLICATION", ErrProtocol, typ)
			s.c.fail(err)
			return err
		}
	}
}

// run starts streaming: CopyBoth has begun.
func (s *Stream) run() {
	if s.kind != Physical {
		s.c.logicalStreamed = true
	}
	now := time.Now()
	s.lastStatus, s.lastPing = now, now
	s.c.lastRecv.Store(now.UnixNano())
	s.c.startBatching()
	s.timerStop = make(chan struct{})
	s.timerDone = make(chan struct{})
	s.c.stream.Store(s)
	go s.timer()
}

// Next returns the next pgoutput message, decoded; it and its byte fields
// are valid until the next call. Keepalives are answered inside. With ctx
// ended, Next returns ctx's error and can be called again: the stream
// resumes where it was.
//
// Errors other than ctx's and ErrWoken end the stream; every later call
// returns the same one. The list, and what to do:
//   - ErrStreamEnded: Close was called, or the server ended the stream
//     with CopyDone.
//   - ErrWoken: Wake was called. Not an error of the stream, which goes
//     on: call Next again.
//   - ErrConnectionLost (a *TransportError: EOF, reset, a failed status
//     write, ErrReceiveTimeout): reconnect.
//   - ErrServerShutdown: the server is shutting down; reconnect.
//   - *ServerError: e.g. 57P01 admin shutdown (reconnect), 58P01 or 42704
//     (missing slot, publication).
//   - an error wrapping a *codec.DecodeError: a message pgwal cannot
//     decode; the stream cannot go on past it, and nothing after it is
//     confirmed. Reconnecting would send it again.
//   - ErrProtocol, ErrMessageTooLarge: the server broke the protocol or
//     the size limit.
//
// IsRetryable tells the retryable ones apart.
func (s *Stream) Next(ctx context.Context) (codec.Message, error) {
	if s.kind != Logical {
		return nil, fmt.Errorf("wire: Next on a %v stream (use NextRaw)", s.kind)
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	m, x, err := s.nextMessage(ctx)
	if lerr := s.leave(); lerr != nil {
		return nil, lerr // closed: m was not delivered
	}
	if err != nil {
		return nil, err
	}
	s.deliver(m, x.WALStart)
	return m, nil
}

// nextMessage reads and decodes the next non-empty XLogData. A payload
// that does not decode ends the stream: going on would deliver what
// follows it and let its acknowledgement confirm the lost message too.
func (s *Stream) nextMessage(ctx context.Context) (codec.Message, *codec.XLogData, error) {
	for {
		x, err := s.next(ctx)
		if err != nil {
			return nil, nil, err
		}
		if len(x.Data) == 0 {
			continue // PostgreSQL 10–14 can send an empty payload after Begin
		}
		m, err := s.dec.Decode(x.Data)
		if err != nil {
			err = fmt.Errorf("wire: message at %v: %w", x.WALStart, err)
			s.c.fail(err)
			return nil, nil, s.end(err)
		}
		return m, x, nil
	}
}

// deliver records m as handed to the consumer.
func (s *Stream) deliver(m codec.Message, walStart lsn.LSN) {
	s.mu.Lock()
	s.ack.Delivered(m, walStart)
	s.mu.Unlock()
}

// NextRaw returns the next XLogData undecoded: its header and payload (one
// pgoutput message, another plugin's output, or raw WAL on a physical
// stream), valid until the next call. pgoutput payloads are still decoded
// for transaction boundaries, so the acknowledgement rules hold; the errors
// are Next's. On a LogicalRaw or Physical stream, acknowledge the WALStart
// (physical: WALStart + len(Data)) of what you have made durable.
func (s *Stream) NextRaw(ctx context.Context) (*codec.XLogData, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	s.last = nil
	var x *codec.XLogData
	var m codec.Message
	var err error
	if s.kind == Logical {
		m, x, err = s.nextMessage(ctx)
	} else {
		x, err = s.next(ctx)
	}
	if lerr := s.leave(); lerr != nil {
		return nil, lerr
	}
	if err != nil {
		return nil, err
	}
	if m != nil {
		s.deliver(m, x.WALStart)
		s.last = m
	}
	return x, nil
}

// enter starts a read: one at a time, and none once Close has begun.
func (s *Stream) enter() error {
	s.rmu.Lock()
	s.mu.Lock()
	err := s.ended
	if err == nil && s.closing {
		err = ErrStreamEnded
	}
	if err == nil {
		s.reading = true
	}
	s.mu.Unlock()
	if err != nil {
		s.rmu.Unlock()
		return err
	}
	s.entered = time.Now()
	return nil
}

// leave ends a read. If Close asked for the stream to end meanwhile, the
// reader shuts it down here, and what it read is not delivered.
func (s *Stream) leave() error {
	s.mu.Lock()
	req := s.closeReq
	s.reading = false
	if req != nil {
		s.closing = true
		s.stopWakesLocked()
	}
	s.mu.Unlock()
	defer s.rmu.Unlock()
	if req == nil {
		return nil
	}
	s.c.clearInterrupt()
	req.err = s.shutdown(req.ctx)
	close(req.done)
	if errors.Is(s.endedErr(), ErrStreamEnded) {
		return ErrStreamEnded
	}
	return s.endedErr()
}

func (s *Stream) endedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

// closeRequested reports whether Close is waiting for the reader.
func (s *Stream) closeRequested() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeReq != nil
}

// Message returns the message NextRaw decoded last for the
// acknowledgement rules (nil for a physical stream or an empty payload);
// valid like NextRaw's result.
func (s *Stream) Message() codec.Message { return s.last }

// DecoderOptions returns the protocol version and streaming mode the
// stream negotiated, for decoding its payloads elsewhere.
func (s *Stream) DecoderOptions() codec.Options {
	if s.dec == nil {
		return codec.Options{}
	}
	return s.dec.Options()
}

// WALStart is the WAL position of the message Next or NextRaw returned
// last (0 for Relation and Type messages: the server does not say).
func (s *Stream) WALStart() lsn.LSN { return s.xlog.WALStart }

// ServerTime is when the server sent the last message.
func (s *Stream) ServerTime() lsn.Timestamp { return s.xlog.ServerTime }

// LastReceive is when bytes last arrived from the server: data or a
// keepalive. A stream that is idle but alive keeps it recent.
func (s *Stream) LastReceive() time.Time { return time.Unix(0, s.c.lastRecv.Load()) }

// next reads up to the next XLogData, handling keepalives and the end of
// the stream. Errors other than ctx's end the stream.
func (s *Stream) next(ctx context.Context) (*codec.XLogData, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for {
		if s.closeRequested() {
			return nil, ErrStreamEnded // leave shuts the stream down
		}
		if s.takeWake() {
			if b := s.c.brokenErr(); b != nil {
				return nil, s.end(b) // a status write failed meanwhile
			}
			return nil, ErrWoken
		}
		if !s.c.rd.HasMessage() {
			// About to wait for the server: report a new flush position
			// first, as the built-in subscriber does.
			if err := s.reportIfChanged(context.Background()); err != nil {
				return nil, s.end(err)
			}
		}
		// Silence counts from the last byte, or from when this call began
		// if the consumer was away meanwhile (bytes may be waiting).
		from := time.Unix(0, s.c.lastRecv.Load())
		if from.Before(s.entered) {
			from = s.entered
		}
		typ, body, err := s.c.receive(ctx, readOpts{batch: true, quiet: s.quiet, quietFrom: from})
		if err != nil {
			if errors.Is(err, errInterrupted) {
				s.c.clearInterrupt()
				if b := s.c.brokenErr(); b != nil {
					return nil, s.end(b) // a status write failed
				}
				continue // Close: checked above
			}
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return nil, err
			}
			return nil, s.end(err)
		}
		switch typ {
		case msgCopyData:
			if x, ok := s.xlogData(body); ok {
				return x, nil
			}
			if err := s.serverCopyData(body); err != nil {
				return nil, s.end(err)
			}
		case msgCopyDone:
			if err := s.beginEnding(); err != nil {
				return nil, s.end(err)
			}
			return nil, s.end(s.serverCopyDone(ctx))
		case msgCommandComplete:
			s.c.fail(ErrServerShutdown)
			return nil, s.end(ErrServerShutdown)
		case msgErrorResponse:
			err := s.c.serverError(body)
			s.c.fail(err)
			return nil, s.end(err)
		default:
			err := fmt.Errorf("%w: unexpected message %q during streaming", ErrProtocol, typ)
			s.c.fail(err)
			return nil, s.end(err)
		}
	}
}

// xlogData takes a CopyData body that is an XLogData: the header is read
// in place, the payload is a view clipped to its length.
func (s *Stream) xlogData(body []byte) (*codec.XLogData, bool) {
	if len(body) < codec.XLogDataHeaderSize || body[0] != codec.TagXLogData {
		return nil, false
	}
	s.xlog.WALStart = lsn.LSN(binary.BigEndian.Uint64(body[1:]))
	s.xlog.WALEnd = lsn.LSN(binary.BigEndian.Uint64(body[9:]))
	s.xlog.ServerTime = lsn.Timestamp(binary.BigEndian.Uint64(body[17:]))
	s.xlog.Data = body[codec.XLogDataHeaderSize:len(body):len(body)]
	s.mu.Lock()
	s.ack.Received(s.xlog.WALStart, len(s.xlog.Data))
	s.mu.Unlock()
	return &s.xlog, true
}

// serverCopyData handles the server's other CopyData messages: keepalives
// (answered when asked) and PostgreSQL 19's primary status.
func (s *Stream) serverCopyData(body []byte) error {
	m, err := s.dec.DecodeServerCopyData(body)
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrProtocol, err)
		s.c.fail(err)
		return err
	}
	switch m := m.(type) {
	case *codec.PrimaryKeepalive:
		s.mu.Lock()
		s.ack.Keepalive(m.WALEnd)
		s.keepalive, s.hasKA = *m, true
		s.mu.Unlock()
		if m.ReplyRequested {
			return s.SendStatus(context.Background(), false)
		}
	case *codec.PrimaryStatusUpdate:
		s.mu.Lock()
		s.primary, s.hasPrimary = *m, true
		s.mu.Unlock()
	case *codec.XLogData:
		// A short XLogData: DecodeServerCopyData reported it above.
	}
	return nil
}

// Ack records that everything up to pos is durable on the consumer's side.
// The next status update reports it as flushed and applied. Positions
// beyond what was received are clamped; lower ones are ignored.
func (s *Stream) Ack(pos lsn.LSN) {
	s.mu.Lock()
	s.ack.Ack(pos)
	s.mu.Unlock()
}

// Positions returns what the next status update would report.
func (s *Stream) Positions() (write, flush, apply lsn.LSN) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ack.Positions()
}

// AckNow is Ack, then at once a status update if that moved the flush
// position, instead of at the next update the stream would send anyway
// (up to Config.StatusInterval later). A consumer that has made a unit of
// work durable narrows the window in which a crash of either side makes
// the server send it again. It costs a write: call it per durable batch
// rather than per message, and keep Ack for the rest.
//
// The update follows AckTracker's rules like every other, so its flush
// position is never past what was acknowledged; the one exception is the
// idle rule's (everything delivered acknowledged, no transaction open:
// the server's last keepalive position), as for any update. pos beyond
// what was received is clamped, and a lower one changes nothing (no
// update is sent).
//
// ctx bounds the write as for SendStatus. The error is the write's: a
// failed write breaks the session (Next then reports it too), and after
// the stream has ended AckNow returns ErrStreamEnded and sends nothing.
// Safe from any goroutine.
func (s *Stream) AckNow(ctx context.Context, pos lsn.LSN) error {
	s.Ack(pos)
	return s.reportIfChanged(ctx)
}

// reportIfChanged sends a status update when the flush position would
// change: an acknowledgement, or the idle rule catching up with a
// keepalive. Progress of the write position alone waits for the timer, so
// a busy stream does not pay a write per read.
func (s *Stream) reportIfChanged(ctx context.Context) error {
	s.mu.Lock()
	quiet := s.ended == nil && !s.ack.FlushChanged()
	s.mu.Unlock()
	if quiet {
		return nil // no write lock taken: most reads change nothing
	}
	return s.sendStatus(ctx, false, true)
}

// SendStatus sends a standby status update now; with replyRequested the
// server answers with a keepalive at once. The write has its own deadline
// (ctx's if it has one in the future, else a few seconds), so an expired
// read context cannot break the session. After the stream has ended it
// returns ErrStreamEnded and sends nothing: the connection may be back in
// command mode, or carrying a later stream.
func (s *Stream) SendStatus(ctx context.Context, replyRequested bool) error {
	return s.sendStatus(ctx, replyRequested, false)
}

// sendStatus is SendStatus; onlyIfFlushChanged skips the update (and
// returns nil) when it would not move the flush position, decided under
// the write lock so two callers do not both send it.
func (s *Stream) sendStatus(ctx context.Context, replyRequested, onlyIfFlushChanged bool) error {
	// Hold the write lock while choosing the positions, so updates reach
	// the server in the order they were computed and never go backwards.
	s.c.wmu.Lock()
	defer s.c.wmu.Unlock()
	s.mu.Lock()
	if s.ended != nil {
		s.mu.Unlock()
		return ErrStreamEnded
	}
	if onlyIfFlushChanged && !s.ack.FlushChanged() {
		s.mu.Unlock()
		return nil
	}
	u := s.ack.Update(lsn.TimestampOf(time.Now()), replyRequested)
	s.lastStatus = time.Now()
	if replyRequested {
		s.lastPing = s.lastStatus
	}
	s.mu.Unlock()
	s.status = appendStandbyStatus(s.status[:0], &u)
	return s.writeLocked(ctx, "status update", s.status)
}

// writeLocked writes one of the stream's messages with c.wmu held. Without
// a deadline in ctx it gets one of a few seconds, so a stalled connection
// cannot hold the write lock for ever. A failed write breaks the session
// and wakes the reader, so Next reports it.
func (s *Stream) writeLocked(ctx context.Context, what string, b []byte) error {
	dl, ok := ctx.Deadline()
	if !ok || !time.Now().Before(dl) {
		// No deadline, or one already past: the write gets its own, and
		// a context that ended cannot break the session.
		ctx, dl = context.Background(), time.Now().Add(max(s.interval, 5*time.Second))
	}
	err := s.c.writeUntil(ctx, dl, what, b)
	if err != nil {
		s.c.interruptRead()
	}
	return err
}

// RequestPrimaryStatus asks a PostgreSQL 19+ primary for its status (the
// 'p' message); the answer arrives on the stream, and PrimaryStatus returns
// it once Next or NextRaw has read it. Older servers end the connection on
// this message, so it is refused with ErrUnsupported before anything is
// sent.
func (s *Stream) RequestPrimaryStatus(ctx context.Context) error {
	if v := s.c.ServerVersionNum(); v < 190000 {
		return fmt.Errorf("%w: the primary status request needs PostgreSQL 19 (server %d)", ErrUnsupported, v)
	}
	b := appendPrimaryStatusRequest(nil, &codec.PrimaryStatusRequest{ClientTime: lsn.TimestampOf(time.Now())})
	return s.sendMessage(ctx, "primary status request", b)
}

// SendHotStandbyFeedback sends hot standby feedback on a physical stream:
// the standby's oldest xmin (and catalog xmin), so the primary keeps the
// rows its queries still need. It is refused on a logical stream.
func (s *Stream) SendHotStandbyFeedback(ctx context.Context, h codec.HotStandbyFeedback) error {
	if s.kind != Physical {
		return errors.New("wire: hot standby feedback is for physical streams")
	}
	if h.ClientTime == 0 {
		h.ClientTime = lsn.TimestampOf(time.Now())
	}
	return s.sendMessage(ctx, "hot standby feedback", appendHotStandbyFeedback(nil, &h))
}

// sendMessage writes one client CopyData while the stream runs.
func (s *Stream) sendMessage(ctx context.Context, what string, b []byte) error {
	s.c.wmu.Lock()
	defer s.c.wmu.Unlock()
	if s.endedErr() != nil {
		return ErrStreamEnded
	}
	return s.writeLocked(ctx, what, b)
}

// PrimaryStatus returns the latest primary status update the server sent,
// and whether one has arrived.
func (s *Stream) PrimaryStatus() (codec.PrimaryStatusUpdate, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.primary, s.hasPrimary
}

// LastKeepalive returns the latest primary keepalive Next or NextRaw has
// processed, and whether one has: the server's WAL end when it sent it
// (how far the server has gone, for a lag against what was acknowledged),
// its clock then, and whether it asked for a reply (already answered).
func (s *Stream) LastKeepalive() (codec.PrimaryKeepalive, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keepalive, s.hasKA
}

// timer sends status updates every interval (none if it is negative),
// whatever the consumer is doing, and asks for a keepalive when the server
// has been silent for a third of the receive timeout. It only writes;
// reads belong to Next.
func (s *Stream) timer() {
	defer close(s.timerDone)
	var tick time.Duration // the shortest period the timer serves
	if s.interval > 0 {
		tick = s.interval
	}
	if s.quiet > 0 && (tick == 0 || s.quiet/3 < tick) {
		tick = s.quiet / 3
	}
	if tick == 0 {
		<-s.timerStop // neither periodic updates nor a probe
		return
	}
	t := time.NewTicker(max(tick/2, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.timerStop:
			return
		case <-t.C:
			now := time.Now()
			silent := now.Sub(time.Unix(0, s.c.lastRecv.Load()))
			s.mu.Lock()
			due := s.interval > 0 && now.Sub(s.lastStatus) >= s.interval
			ping := s.quiet > 0 && silent >= s.quiet/3 && now.Sub(s.lastPing) >= s.quiet/3
			s.mu.Unlock()
			if due || ping {
				if err := s.SendStatus(context.Background(), ping); err != nil {
					return
				}
			}
		}
	}
}

// stopTimer stops the timer goroutine and waits for it, unless ctx ends
// first: then a write it is blocked in is broken off.
func (s *Stream) stopTimer(ctx context.Context) {
	if s.timerStop == nil {
		return
	}
	s.stopOnce.Do(func() { close(s.timerStop) })
	select {
	case <-s.timerDone:
	case <-ctx.Done():
		s.c.conn.SetWriteDeadline(past)
		<-s.timerDone
	}
}

// doneContext has ended: stopTimer then breaks a blocked write at once.
var doneContext = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// end finishes the stream with err (the first error stays).
func (s *Stream) end(err error) error {
	s.mu.Lock()
	first := s.ended == nil
	if first {
		s.ended = err
	}
	err = s.ended
	s.mu.Unlock()
	if first {
		ctx := context.Background()
		if s.c.brokenErr() != nil {
			ctx = doneContext // a timer blocked in a write on a dead connection is not waited for
		}
		s.stopTimer(ctx)
		s.c.stream.CompareAndSwap(s, nil)
		if b := s.c.batch; b != nil {
			b.streaming = false
			b.quiet()
		}
		s.c.release()
	}
	return err
}

// ErrStreamEnded is returned by Next after Close, or after the server ended
// the stream with CopyDone (logical).
var ErrStreamEnded = errors.New("wire: replication stream ended")

// EndOfTimeline is returned by a physical stream when the server finished
// streaming a historic timeline: continue on NextTimeline at NextStart.
type EndOfTimeline struct {
	NextTimeline uint32
	NextStart    lsn.LSN
}

func (e *EndOfTimeline) Error() string {
	return fmt.Sprintf("wire: end of timeline; continue on timeline %d at %v", e.NextTimeline, e.NextStart)
}

// serverCopyDone handles a CopyDone from the server: answer it, then read
// the results up to ReadyForQuery.
func (s *Stream) serverCopyDone(ctx context.Context) error {
	s.stopTimer(ctx)
	if err := s.c.send(ctx, "CopyDone", AppendCopyDone(nil)); err != nil {
		return err
	}
	end, err := s.drainToReady(ctx, nil)
	if err != nil {
		return err
	}
	if end != nil {
		return end
	}
	return ErrStreamEnded
}

// drainToReady reads until ReadyForQuery, dropping late CopyData, and
// returns a timeline switch result if one came; cols are the columns of a
// result set whose RowDescription was already read.
func (s *Stream) drainToReady(ctx context.Context, cols []string) (*EndOfTimeline, error) {
	var end *EndOfTimeline
	var firstErr error
	for {
		typ, body, err := s.c.receive(ctx, readOpts{})
		if err != nil {
			return nil, err
		}
		switch typ {
		case msgReadyForQuery:
			return end, firstErr
		case msgRowDescription:
			cols, _ = parseRowDescription(body)
		case msgDataRow:
			if row, err := parseDataRow(body); err == nil && len(row) >= 2 && len(cols) >= 2 {
				if tli, err := parseTimeline(row[0].String); err == nil {
					start, _ := lsn.Parse(row[1].String)
					end = &EndOfTimeline{NextTimeline: tli, NextStart: start}
				}
			}
		case msgCommandComplete:
		case msgErrorResponse:
			if se := s.c.serverError(body); firstErr == nil {
				firstErr = se
			}
		case msgCopyData, msgCopyDone:
			// Late data after our CopyDone is dropped, as libpq does.
		default:
			err := fmt.Errorf("%w: unexpected message %q after CopyDone", ErrProtocol, typ)
			s.c.fail(err)
			return nil, err
		}
	}
}

// endOfTimeline reads the answer to a physical START_REPLICATION at the
// very end of a historic timeline: a result set instead of CopyBoth. typ
// and body are its first message.
func (s *Stream) endOfTimeline(ctx context.Context, typ byte, body []byte) (*EndOfTimeline, error) {
	var cols []string
	if typ == msgRowDescription {
		cols, _ = parseRowDescription(body)
	}
	end, err := s.drainToReady(ctx, cols)
	if err != nil {
		return nil, err
	}
	if end == nil {
		return nil, fmt.Errorf("%w: START_REPLICATION answered with a result set that names no timeline", ErrProtocol)
	}
	return end, nil
}

// Close ends the stream cleanly: a final status update, CopyDone, and
// reading up to ReadyForQuery while dropping late data. The Conn can then
// run commands again, and start another physical stream; a logical stream
// needs a new connection (ErrSecondLogicalStream).
//
// Close may be called from any goroutine. If a Next is waiting for the
// server, Close asks it to shut the stream down and waits for that; Next
// then returns ErrStreamEnded, and a message it had read but not returned
// is not delivered (nor confirmed). If ctx ends first, Close returns ctx's
// error and the connection is left broken.
func (s *Stream) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.ended != nil {
		err := s.ended
		s.mu.Unlock()
		if errors.Is(err, ErrStreamEnded) {
			return nil
		}
		return err
	}
	if s.reading {
		req := s.closeReq
		if req == nil {
			req = &closeRequest{ctx: ctx, done: make(chan struct{})}
			s.closeReq = req
		}
		if !s.ending {
			// Under s.mu: once the reader is ending the stream (answering
			// the server's CopyDone), an interruption would cut into
			// that; leave then finishes the Close.
			s.c.interruptRead()
		}
		s.mu.Unlock()
		select {
		case <-req.done:
			return req.err
		case <-ctx.Done():
			// The reader is stuck in a write, or the server does not
			// answer: break the connection so the reader returns too.
			s.c.fail(fmt.Errorf("wire: closing the stream: %w", ctx.Err()))
			s.c.conn.SetDeadline(past)
			return ctx.Err()
		}
	}
	s.closing = true
	s.stopWakesLocked()
	s.mu.Unlock()
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if err := s.endedErr(); err != nil {
		if errors.Is(err, ErrStreamEnded) {
			return nil
		}
		return err
	}
	return s.shutdown(ctx)
}

// shutdown is the clean end of the stream; the caller holds rmu.
func (s *Stream) shutdown(ctx context.Context) error {
	if err := s.endedErr(); err != nil {
		if errors.Is(err, ErrStreamEnded) {
			return nil
		}
		return err
	}
	s.stopTimer(ctx)
	if err := ctx.Err(); err != nil {
		// No time left for the goodbye: the session is left broken.
		err = fmt.Errorf("wire: closing the stream: %w", err)
		s.c.fail(err)
		return s.end(err)
	}
	if err := s.SendStatus(ctx, false); err != nil {
		return s.end(err)
	}
	if err := s.c.send(ctx, "CopyDone", AppendCopyDone(nil)); err != nil {
		return s.end(err)
	}
	for {
		typ, body, err := s.c.receive(ctx, readOpts{})
		if err != nil {
			s.c.fail(err)
			return s.end(err)
		}
		switch typ {
		case msgCopyData:
			continue
		case msgCopyDone:
			if _, err := s.drainToReady(ctx, nil); err != nil {
				return s.end(err)
			}
			s.end(ErrStreamEnded)
			return nil
		case msgCommandComplete:
			// Shutdown raced our CopyDone.
			s.c.fail(ErrServerShutdown)
			return s.end(ErrServerShutdown)
		case msgErrorResponse:
			err := s.c.serverError(body)
			s.c.fail(err)
			return s.end(err)
		default:
			err := fmt.Errorf("%w: unexpected message %q while closing the stream", ErrProtocol, typ)
			s.c.fail(err)
			return s.end(err)
		}
	}
}
