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
	v := c.ServerVersionNum()
	proto, opts, err := pgoutputOptions(v, o)
	if err != nil {
		return nil, err
	}
	dopts := codec.Options{ProtoVersion: proto, Streaming: codec.StreamingOff}
	if o.Streaming != "" { // pgoutputOptions accepted it
		dopts.Streaming, _ = codec.ParseStreaming(o.Streaming)
	}
	s := &Stream{c: c, logical: true}
	s.dec = codec.NewDecoder(dopts)
	if err := s.prepare(ctx, slot, start); err != nil {
		return nil, err
	}
	q := "START_REPLICATION SLOT " + slot + " LOGICAL " + start.String() + " (" + strings.Join(opts, ", ") + ")"
	return s, s.start(ctx, q)
}

// StartPhysicalReplication starts physical replication at start on
// timeline (0: the current one), from slot if not "".
func (c *Conn) StartPhysicalReplication(ctx context.Context, slot string, start lsn.LSN, timeline int32) (*Stream, error) {
	q := "START_REPLICATION"
	if slot != "" {
		if err := checkSlotName(slot); err != nil {
			return nil, err
		}
		q += " SLOT " + slot
	}
	q += " PHYSICAL " + start.String()
	if timeline > 0 {
		q += " TIMELINE " + strconv.Itoa(int(timeline))
	}
	s := &Stream{c: c}
	if err := s.prepare(ctx, "", start); err != nil {
		return nil, err
	}
	return s, s.start(ctx, q)
}

// Stream is a replication stream in progress. Pull messages with Next (or
// NextRaw); acknowledge what your side has made durable with Ack.
//
// Status updates go out when the server asks for one, when Next is about to
// wait for the server and the flush position has moved, and on a timer.
// They follow these rules: the flush position never exceeds what
// was acknowledged, so a crash loses nothing and a restart redelivers only
// what was not acknowledged; when everything delivered is acknowledged and
// no transaction is open, the server's keepalive position is reported as
// is, so an idle slot advances and a server shutdown is not held up;
// positions never go backwards. The timer, derived from wal_sender_timeout,
// runs even while the consumer is busy elsewhere, so a slow consumer is not
// disconnected.
//
// Next and NextRaw must be called from one goroutine; Ack and SendStatus
// may be called from any.
type Stream struct {
	c       *Conn
	logical bool
	dec     *codec.Decoder
	slot    string

	// Current message, valid until the next call.
	xlog codec.XLogData
	last codec.Message

	mu           sync.Mutex
	received     lsn.LSN // highest WAL position received
	acked        lsn.LSN // highest position the user acknowledged
	keepaliveEnd lsn.LSN // WAL end of the latest keepalive
	pendingEnd   lsn.LSN // end of the last delivered unit that needs an ack
	openTxn      bool
	openStreams  map[uint32]struct{}
	floor        lsn.LSN // never report below this (the slot's confirmed position)
	sent         [3]lsn.LSN
	lastStatus   time.Time
	interval     time.Duration

	primary    codec.PrimaryStatusUpdate // the latest answer to RequestPrimaryStatus
	hasPrimary bool

	status    []byte // status message buffer (guarded by c.wmu)
	stopTimer chan struct{}
	timerDone chan struct{}
	ended     error
}

// prepare reads what the status rules need before streaming starts: the
// server's wal_sender_timeout and, for a logical slot, its confirmed
// position.
func (s *Stream) prepare(ctx context.Context, slot string, start lsn.LSN) error {
	s.slot = slot
	s.floor = start
	s.openStreams = map[uint32]struct{}{}
	s.interval = 10 * time.Second
	if t, err := s.c.Show(ctx, "wal_sender_timeout"); err == nil {
		if d, ok := parseDuration(t); ok && d > 0 {
			// Three updates per timeout: one lost or late update is harmless.
			s.interval = max(d/3, 50*time.Millisecond)
		}
	} else if !isServerError(err) {
		return err
	}
	if slot != "" && s.logical {
		rs, err := s.c.Exec(ctx, "SELECT confirmed_flush_lsn FROM pg_catalog.pg_replication_slots WHERE slot_name = "+quoteLiteral(slot))
		if err != nil && !isServerError(err) {
			return err
		}
		if err == nil && len(rs) == 1 && len(rs[0].Rows) == 1 && rs[0].Rows[0][0].Valid {
			if l, err := lsn.Parse(rs[0].Rows[0][0].String); err == nil && l > s.floor {
				s.floor = l
			}
		}
	}
	return nil
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

func (s *Stream) start(ctx context.Context, q string) error {
	if err := s.c.acquire(); err != nil {
		return err
	}
	if err := s.c.writeCtx(ctx, appendQuery(nil, q)); err != nil {
		s.c.release()
		return err
	}
	for {
		typ, body, err := s.c.readMsg(ctx)
		if err != nil {
			// START_REPLICATION may still be running on the server.
			s.c.fail(err)
			s.c.release()
			return err
		}
		switch typ {
		case msgCopyBothResponse:
			if s.logical {
				s.c.logicalStreamed = true
			}
			s.lastStatus = time.Now()
			s.c.startBatching()
			s.stopTimer = make(chan struct{})
			s.timerDone = make(chan struct{})
			go s.timer()
			return nil
		case msgErrorResponse:
			err := parseErrorFields(body)
			if _, rerr := s.drainToReady(ctx, nil); rerr != nil {
				err2 := rerr
				s.c.release()
				return fmt.Errorf("%w (and then %v)", err, err2)
			}
			s.c.release()
			return err
		case msgNoticeResponse:
			s.c.notice(body)
		case msgParameterStatus:
		default:
			// A physical start at the end of an old timeline answers with
			// a result set and no CopyBoth.
			if typ == msgRowDescription || typ == msgDataRow {
				end, err := s.endOfTimeline(ctx, typ, body)
				s.c.release()
				if err != nil {
					return err
				}
				return end
			}
			s.c.release()
			err := fmt.Errorf("%w: unexpected message %q after START_REPLICATION", ErrProtocol, typ)
			s.c.fail(err)
			return err
		}
	}
}

// Next returns the next pgoutput message of a logical stream. It answers
// keepalives on the way and returns only messages. What it returns is valid
// until the next call (see codec.Decoder); WALStart reports its position.
//
// Errors: a *ServerError from the server, ErrServerShutdown, ErrConnectionLost,
// a *codec.DecodeError, or ctx's error; after ctx's error Next can be called
// again and resumes where it was.
func (s *Stream) Next(ctx context.Context) (codec.Message, error) {
	if !s.logical {
		return nil, errors.New("wire: Next on a physical stream (use NextRaw)")
	}
	for {
		x, err := s.next(ctx)
		if err != nil {
			return nil, err
		}
		if len(x.Data) == 0 {
			continue // PostgreSQL 10–14 can send an empty payload after Begin
		}
		m, err := s.dec.Decode(x.Data)
		if err != nil {
			return nil, fmt.Errorf("wire: message at %v: %w", x.WALStart, err)
		}
		s.track(m, x.WALStart)
		return m, nil
	}
}

// NextRaw returns the next XLogData undecoded: its header and payload (one
// pgoutput message, or raw WAL on a physical stream). Logical payloads are
// still read for transaction boundaries, so the acknowledgement rules hold.
func (s *Stream) NextRaw(ctx context.Context) (*codec.XLogData, error) {
	x, err := s.next(ctx)
	if err != nil {
		return nil, err
	}
	s.last = nil
	if s.logical && len(x.Data) > 0 {
		m, err := s.dec.Decode(x.Data)
		if err != nil {
			return nil, fmt.Errorf("wire: message at %v: %w", x.WALStart, err)
		}
		s.track(m, x.WALStart)
		s.last = m
	}
	return x, nil
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

func (s *Stream) next(ctx context.Context) (*codec.XLogData, error) {
	if s.ended != nil {
		return nil, s.ended
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for {
		if !s.c.hasMessage() {
			// About to wait for the server: report a new flush position
			// first, as the built-in subscriber does.
			if err := s.reportIfChanged(); err != nil {
				return nil, s.end(err)
			}
		}
		typ, body, err := s.c.readStreamMsg(ctx)
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return nil, err
			}
			return nil, s.end(err)
		}
		switch typ {
		case msgCopyData:
			if len(body) >= codec.XLogDataHeaderSize && body[0] == codec.TagXLogData {
				s.xlog.WALStart = lsn.LSN(binary.BigEndian.Uint64(body[1:]))
				s.xlog.WALEnd = lsn.LSN(binary.BigEndian.Uint64(body[9:]))
				s.xlog.ServerTime = lsn.Timestamp(binary.BigEndian.Uint64(body[17:]))
				s.xlog.Data = body[codec.XLogDataHeaderSize:]
				pos := s.xlog.WALStart
				if !s.logical {
					pos += lsn.LSN(len(s.xlog.Data))
				}
				s.mu.Lock()
				s.received = max(s.received, pos)
				s.mu.Unlock()
				return &s.xlog, nil
			}
			m, err := s.dec.DecodeServerCopyData(body)
			if err != nil {
				err = fmt.Errorf("%w: %v", ErrProtocol, err)
				s.c.fail(err)
				return nil, s.end(err)
			}
			if p, ok := m.(*codec.PrimaryStatusUpdate); ok {
				s.mu.Lock()
				s.primary, s.hasPrimary = *p, true
				s.mu.Unlock()
			}
			if k, ok := m.(*codec.PrimaryKeepalive); ok {
				s.mu.Lock()
				s.keepaliveEnd = max(s.keepaliveEnd, k.WALEnd)
				s.mu.Unlock()
				if k.ReplyRequested {
					if err := s.SendStatus(context.Background(), false); err != nil {
						return nil, s.end(err)
					}
				}
			}
		case msgCopyDone:
			return nil, s.end(s.serverCopyDone(ctx))
		case msgCommandComplete:
			s.c.fail(ErrServerShutdown)
			return nil, s.end(ErrServerShutdown)
		case msgErrorResponse:
			err := parseErrorFields(body)
			s.c.fail(err)
			return nil, s.end(err)
		case msgNoticeResponse:
			s.c.notice(body)
		case msgParameterStatus:
		default:
			err := fmt.Errorf("%w: unexpected message %q during streaming", ErrProtocol, typ)
			s.c.fail(err)
			return nil, s.end(err)
		}
	}
}

// track follows transaction boundaries for the acknowledgement rules.
func (s *Stream) track(m codec.Message, walStart lsn.LSN) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch m := m.(type) {
	case *codec.Begin, *codec.BeginPrepare:
		s.openTxn = true
	case *codec.Commit:
		s.openTxn = false
		s.pendingEnd = max(s.pendingEnd, m.EndLSN)
	case *codec.Prepare:
		s.openTxn = false
		s.pendingEnd = max(s.pendingEnd, m.EndLSN)
	case *codec.CommitPrepared:
		s.pendingEnd = max(s.pendingEnd, m.EndLSN)
	case *codec.RollbackPrepared:
		s.pendingEnd = max(s.pendingEnd, m.RollbackEndLSN)
	case *codec.StreamStart:
		s.openStreams[m.Xid] = struct{}{}
	case *codec.StreamCommit:
		delete(s.openStreams, m.Xid)
		s.pendingEnd = max(s.pendingEnd, m.EndLSN)
	case *codec.StreamPrepare:
		delete(s.openStreams, m.Xid)
		s.pendingEnd = max(s.pendingEnd, m.EndLSN)
	case *codec.StreamAbort:
		if m.Xid == m.SubXid {
			delete(s.openStreams, m.Xid)
			s.pendingEnd = max(s.pendingEnd, walStart)
		}
	case *codec.LogicalMessage:
		if !m.InStream && !s.openTxn && !m.Transactional() {
			s.pendingEnd = max(s.pendingEnd, m.LSN)
		}
	}
}

// AckPosition returns the position to acknowledge once m (returned by Next
// at walStart) has been made durable, and whether m ends a unit of work:
// Commit, Prepare, Stream Commit, Stream Prepare, Commit Prepared, Rollback
// Prepared, a whole Stream Abort, or a non-transactional Message.
func AckPosition(m codec.Message, walStart lsn.LSN) (lsn.LSN, bool) {
	switch m := m.(type) {
	case *codec.Commit:
		return m.EndLSN, true
	case *codec.Prepare:
		return m.EndLSN, true
	case *codec.StreamPrepare:
		return m.EndLSN, true
	case *codec.CommitPrepared:
		return m.EndLSN, true
	case *codec.RollbackPrepared:
		return m.RollbackEndLSN, true
	case *codec.StreamCommit:
		return m.EndLSN, true
	case *codec.StreamAbort:
		return walStart, m.Xid == m.SubXid
	case *codec.LogicalMessage:
		return m.LSN, !m.Transactional() && !m.InStream
	}
	return 0, false
}

// Ack records that everything up to pos is durable on the consumer's side.
// The next status update reports it as flushed and applied. Positions
// beyond what was received are clamped; lower ones are ignored.
func (s *Stream) Ack(pos lsn.LSN) {
	s.mu.Lock()
	s.acked = max(s.acked, min(pos, max(s.received, s.keepaliveEnd)))
	s.mu.Unlock()
}

// Positions returns what the next status update would report.
func (s *Stream) Positions() (write, flush, apply lsn.LSN) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.positions()
	return p[0], p[1], p[2]
}

// positions computes write, flush and apply; s.mu is held.
func (s *Stream) positions() [3]lsn.LSN {
	write := s.received
	flush := s.acked
	if s.logical && !s.openTxn && len(s.openStreams) == 0 && s.acked >= s.pendingEnd && s.keepaliveEnd > 0 {
		// Caught up: report the server's position exactly, so an idle slot
		// advances and a shutdown (which waits for flush == sent) finishes.
		write = max(write, s.keepaliveEnd)
		flush = max(flush, s.keepaliveEnd)
	}
	if !s.logical && s.acked >= s.received {
		write = max(write, s.keepaliveEnd)
	}
	p := [3]lsn.LSN{write, flush, flush}
	for i := range p {
		if p[i] != 0 {
			p[i] = max(p[i], s.floor)
		}
		p[i] = max(p[i], s.sent[i]) // never backwards
	}
	return p
}

// reportIfChanged sends a status update when the flush position would
// change: an acknowledgement, or the idle rule catching up with a
// keepalive. Progress of the write position alone waits for the timer, so
// a busy stream does not pay a write per read.
func (s *Stream) reportIfChanged() error {
	s.mu.Lock()
	changed := s.positions()[1] != s.sent[1]
	s.mu.Unlock()
	if !changed {
		return nil
	}
	return s.SendStatus(context.Background(), false)
}

// SendStatus sends a standby status update now; with replyRequested the
// server answers with a keepalive at once. The write has its own deadline
// (ctx's if it has one in the future, else a few seconds), so an expired
// read context cannot break the session.
func (s *Stream) SendStatus(ctx context.Context, replyRequested bool) error {
	// Hold the write lock while choosing the positions, so updates reach
	// the server in the order they were computed and never go backwards.
	s.c.wmu.Lock()
	defer s.c.wmu.Unlock()
	s.mu.Lock()
	p := s.positions()
	s.sent = p
	s.lastStatus = time.Now()
	s.mu.Unlock()
	s.status = s.status[:0]
	s.status = append(s.status, 'd', 0, 0, 0, 4+codec.StandbyStatusUpdateSize)
	s.status = codec.AppendStandbyStatusUpdate(s.status, &codec.StandbyStatusUpdate{
		Write: p[0], Flush: p[1], Apply: p[2],
		ClientTime:     lsn.TimestampOf(time.Now()),
		ReplyRequested: replyRequested,
	})
	dl, ok := ctx.Deadline()
	if !ok || !time.Now().Before(dl) {
		dl = time.Now().Add(max(s.interval, 5*time.Second))
	}
	s.c.conn.SetWriteDeadline(dl)
	_, err := s.c.conn.Write(s.status)
	if err != nil {
		err = fmt.Errorf("wire: sending status update: %w", err)
		s.c.fail(err)
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
	b := []byte{'d', 0, 0, 0, 4 + codec.PrimaryStatusRequestSize}
	b = codec.AppendPrimaryStatusRequest(b, &codec.PrimaryStatusRequest{ClientTime: lsn.TimestampOf(time.Now())})
	return s.c.writeCtx(ctx, b)
}

// PrimaryStatus returns the latest primary status update the server sent,
// and whether one has arrived.
func (s *Stream) PrimaryStatus() (codec.PrimaryStatusUpdate, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.primary, s.hasPrimary
}

// timer sends status updates every interval, whatever the consumer is
// doing. It only writes; reads belong to Next.
func (s *Stream) timer() {
	defer close(s.timerDone)
	t := time.NewTicker(s.interval / 2)
	defer t.Stop()
	for {
		select {
		case <-s.stopTimer:
			return
		case <-t.C:
			s.mu.Lock()
			due := time.Since(s.lastStatus) >= s.interval
			s.mu.Unlock()
			if due {
				if err := s.SendStatus(context.Background(), false); err != nil {
					return
				}
			}
		}
	}
}

func (s *Stream) stopTimerLoop() {
	if s.stopTimer != nil {
		select {
		case <-s.stopTimer:
		default:
			close(s.stopTimer)
		}
		<-s.timerDone
	}
}

// end finishes the stream with err.
func (s *Stream) end(err error) error {
	if s.ended == nil {
		s.ended = err
		s.stopTimerLoop()
		s.c.release()
	}
	return s.ended
}

// ErrStreamEnded is returned by Next after Close, or after the server ended
// the stream with CopyDone (logical).
var ErrStreamEnded = errors.New("wire: replication stream ended")

// EndOfTimeline is returned by a physical stream when the server finished
// streaming a historic timeline: continue on NextTimeline at NextStart.
type EndOfTimeline struct {
	NextTimeline int64
	NextStart    lsn.LSN
}

func (e *EndOfTimeline) Error() string {
	return fmt.Sprintf("wire: end of timeline; continue on timeline %d at %v", e.NextTimeline, e.NextStart)
}

// serverCopyDone handles a CopyDone from the server: answer it, then read
// the results up to ReadyForQuery.
func (s *Stream) serverCopyDone(ctx context.Context) error {
	s.stopTimerLoop()
	if err := s.c.writeCtx(ctx, appendCopyDone(nil)); err != nil {
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
		typ, body, err := s.c.readMsg(ctx)
		if err != nil {
			return nil, err
		}
		switch typ {
		case msgReadyForQuery:
			if firstErr != nil {
				return end, firstErr
			}
			return end, nil
		case msgRowDescription:
			cols, _ = parseRowDescription(body)
		case msgDataRow:
			row, err := parseDataRow(body)
			if err == nil && len(row) >= 2 && len(cols) >= 2 {
				e := &EndOfTimeline{}
				e.NextTimeline, _ = strconv.ParseInt(row[0].String, 10, 64)
				e.NextStart, _ = lsn.Parse(row[1].String)
				end = e
			}
		case msgCommandComplete:
		case msgErrorResponse:
			if firstErr == nil {
				firstErr = parseErrorFields(body)
			}
		case msgNoticeResponse:
			s.c.notice(body)
		case msgCopyData, msgCopyDone, msgParameterStatus:
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
func (s *Stream) Close(ctx context.Context) error {
	if s.ended != nil {
		if errors.Is(s.ended, ErrStreamEnded) {
			return nil
		}
		return s.ended
	}
	s.stopTimerLoop()
	if err := s.SendStatus(ctx, false); err != nil {
		return s.end(err)
	}
	if err := s.c.writeCtx(ctx, appendCopyDone(nil)); err != nil {
		return s.end(err)
	}
	for {
		typ, body, err := s.c.readMsg(ctx)
		if err != nil {
			s.c.fail(err)
			return s.end(err)
		}
		switch typ {
		case msgCopyData, msgNoticeResponse, msgParameterStatus:
			continue
		case msgCopyDone:
			_, err := s.drainToReady(ctx, nil)
			if err != nil {
				return s.end(err)
			}
			s.end(ErrStreamEnded)
			return nil
		case msgCommandComplete:
			// Shutdown raced our CopyDone.
			s.c.fail(ErrServerShutdown)
			return s.end(ErrServerShutdown)
		case msgErrorResponse:
			err := parseErrorFields(body)
			s.c.fail(err)
			return s.end(err)
		default:
			err := fmt.Errorf("%w: unexpected message %q while closing the stream", ErrProtocol, typ)
			s.c.fail(err)
			return s.end(err)
		}
	}
}
