package wire

import "errors"

// ErrWoken is what Next and NextRaw return after Wake. It is no failure:
// the stream goes on, nothing was lost, and the next call resumes where
// this one stopped. IsRetryable reports false for it.
var ErrWoken = errors.New("wire: Next woken by Stream.Wake")

// Wake makes a Next or NextRaw that is waiting for the server return
// ErrWoken promptly, without ending the stream; if none is running, the
// next call returns ErrWoken at once. Wakes that come before a call takes
// them count as one. A message is never lost to a Wake: one
// that was read whole is returned (the Wake then waits for the next call),
// and the bytes of one half read stay buffered for the next call. Use it
// to have the reading goroutine do other work (flush a batch, look at a
// shutdown flag) without a deadline on every Next.
//
// Wake is safe from any goroutine. After the stream ended, once Close has
// begun, or while the reader answers the server's CopyDone, it does
// nothing.
//
// It uses the interruption Close uses: a flag, then the read deadline
// moved into the past; the reader takes the flag before it waits again.
func (s *Stream) Wake() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ending || s.ended != nil || s.closeReq != nil {
		return // the interruption would cut into the reads that end the stream
	}
	s.woken = true
	// Under s.mu, so the reader cannot take the flag before the read is
	// interrupted and then be interrupted by a Wake it already answered.
	s.c.interruptRead()
}

// takeWake answers a pending Wake: true if the reader is to return
// ErrWoken. It clears the read interruption the Wake set; an
// interruption from Close or a failed status write that it also clears
// is not lost: leave sees Close's request, and brokenErr the failure.
func (s *Stream) takeWake() bool {
	s.mu.Lock()
	woken := s.woken
	s.woken = false
	s.mu.Unlock()
	if woken {
		s.c.clearInterrupt()
	}
	return woken
}

// stopWakesLocked makes later Wakes do nothing and drops a pending one with
// its interruption: Close is about to end the stream, and the
// interruption would cut into its reads. The caller holds s.mu.
func (s *Stream) stopWakesLocked() {
	s.ending = true
	if s.woken {
		s.woken = false
		s.c.clearInterrupt()
	}
}

// beginEnding is the reader's turn to end the stream (the server sent
// CopyDone): from now on neither Wake nor Close interrupts its reads, and
// an interruption already asked for is dropped (Close's request stays, for
// leave). A status write that failed meanwhile, whose interruption this
// also drops, is reported instead: its connection is broken.
func (s *Stream) beginEnding() error {
	s.mu.Lock()
	s.ending = true
	s.woken = false
	s.c.clearInterrupt()
	s.mu.Unlock()
	return s.c.brokenErr()
}
