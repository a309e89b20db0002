package wire

import (
	"bytes"
	"errors"
	"io"
	"os"
	"runtime"
	"testing"
	"testing/iotest"
)

// mrFrames builds n messages of increasing size and returns the stream and
// the expected bodies.
func mrFrames(n, step int) ([]byte, [][]byte) {
	var stream []byte
	var bodies [][]byte
	for i := 0; i < n; i++ {
		body := bytes.Repeat([]byte{byte('a' + i%26)}, i*step)
		stream = append(stream, fsMsg(byte('A'+i%26), body)...)
		bodies = append(bodies, body)
	}
	return stream, bodies
}

func mrCheckAll(t *testing.T, m *Framer, bodies [][]byte) {
	t.Helper()
	for i, want := range bodies {
		typ, body, err := m.ReadMessage()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if typ != byte('A'+i%26) || !bytes.Equal(body, want) {
			t.Fatalf("message %d: type %q, %d bytes; want %q, %d bytes", i, typ, len(body), 'A'+i%26, len(want))
		}
	}
	if _, _, err := m.ReadMessage(); err != io.EOF {
		t.Fatalf("after the last message: %v, want io.EOF", err)
	}
}

func TestFramerOneByteReads(t *testing.T) {
	stream, bodies := mrFrames(40, 37)
	m := &Framer{r: iotest.OneByteReader(bytes.NewReader(stream)), max: 1 << 20}
	mrCheckAll(t, m, bodies)
}

func TestFramerManyMessagesOneRead(t *testing.T) {
	stream, bodies := mrFrames(200, 1)
	m := &Framer{r: bytes.NewReader(stream), max: 1 << 20}
	mrCheckAll(t, m, bodies)
}

// chunkReader returns at most size bytes per Read and counts what it gave.
type chunkReader struct {
	data []byte
	size int
	n    int
	// failAt makes the Read after n reaches failAt return errOnce once.
	failAt  int
	errOnce error
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.errOnce != nil && r.n >= r.failAt {
		err := r.errOnce
		r.errOnce = nil
		return 0, err
	}
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.size, len(r.data))
	if r.errOnce != nil && r.n < r.failAt {
		k = min(k, r.failAt-r.n)
	}
	copy(p, r.data[:k])
	r.data = r.data[k:]
	r.n += k
	return k, nil
}

func TestFramerGrowthBoundedByReceived(t *testing.T) {
	stream, bodies := mrFrames(30, 20000) // up to ~580 kB
	for _, size := range []int{1000, 4096, 65536} {
		cr := &chunkReader{data: stream, size: size}
		m := &Framer{r: cr, max: 1 << 20}
		largest := 0
		for i, want := range bodies {
			_, body, err := m.ReadMessage()
			if err != nil || !bytes.Equal(body, want) {
				t.Fatalf("chunk %d, message %d: %v", size, i, err)
			}
			largest = max(largest, 5+len(want))
			// A declared length is believed once 1/32 of it is here.
			if c := cap(m.buf); c > max(minBuffer, (1<<trustShift)*cr.n) {
				t.Fatalf("chunk %d, message %d: buffer %d bytes after %d received", size, i, c, cr.n)
			}
			// Only one message (plus one read) is ever held.
			if c := cap(m.buf); c > max(minBuffer, 2*(largest+size)) {
				t.Fatalf("chunk %d, message %d: buffer %d bytes, largest message %d", size, i, c, largest)
			}
		}
	}
	// A huge declared length with little data: the buffer follows the data.
	for _, sent := range []int{0, 100, 9000, 100000} {
		data := append(frameHeader('d', 1<<30), make([]byte, sent)...)
		cr := &chunkReader{data: data, size: 4096}
		m := &Framer{r: cr, max: DefaultMaxMessageSize}
		if _, _, err := m.ReadMessage(); err != io.ErrUnexpectedEOF {
			t.Fatalf("%d bytes: %v, want io.ErrUnexpectedEOF", sent, err)
		}
		if c := cap(m.buf); c > max(minBuffer, 2*cr.n) {
			t.Fatalf("%d bytes received, buffer %d", cr.n, c)
		}
	}
}

func TestFramerBodyValidUntilNextCall(t *testing.T) {
	stream, bodies := mrFrames(50, 300)
	m := &Framer{r: &chunkReader{data: stream, size: 777}, max: 1 << 20}
	for i, want := range bodies {
		_, body, err := m.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if cap(body) != len(body) {
			t.Fatalf("message %d: body has spare capacity %d (appends would clobber the next message)", i, cap(body)-len(body))
		}
		if !bytes.Equal(body, want) {
			t.Fatalf("message %d corrupted before the next call", i)
		}
	}
}

func TestFramerResumeAfterTimeout(t *testing.T) {
	stream, bodies := mrFrames(6, 5000)
	for failAt := 1; failAt < len(stream); failAt += 997 {
		cr := &chunkReader{data: stream, size: 1500, failAt: failAt, errOnce: os.ErrDeadlineExceeded}
		m := &Framer{r: cr, max: 1 << 20}
		timeouts := 0
		for i := 0; i < len(bodies); {
			_, body, err := m.ReadMessage()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				timeouts++
				continue
			}
			if err != nil || !bytes.Equal(body, bodies[i]) {
				t.Fatalf("failAt %d, message %d: %v", failAt, i, err)
			}
			i++
		}
		if timeouts != 1 {
			t.Fatalf("failAt %d: %d timeouts", failAt, timeouts)
		}
	}
}

func TestFramerErrors(t *testing.T) {
	for _, tc := range []struct {
		data []byte
		want error
	}{
		{frameHeader('d', 3), ErrProtocol},
		{frameHeader('d', 0), ErrProtocol},
		{frameHeader('d', 4+1025), ErrMessageTooLarge},
		{frameHeader('d', 0xffffffff), ErrMessageTooLarge},
		{[]byte{'d', 0, 0}, io.ErrUnexpectedEOF},
		{nil, io.EOF},
	} {
		m := &Framer{r: bytes.NewReader(tc.data), max: 1024}
		for i := 0; i < 2; i++ { // the error is sticky
			if _, _, err := m.ReadMessage(); !errors.Is(err, tc.want) {
				t.Errorf("% x: %v, want %v", tc.data, err, tc.want)
			}
		}
		if cap(m.buf) > minBuffer {
			t.Errorf("% x: buffer %d", tc.data, cap(m.buf))
		}
	}
}

// sizeRecorder records the size of every Read it is given.
type sizeRecorder struct {
	r     io.Reader
	sizes []int
}

func (s *sizeRecorder) Read(p []byte) (int, error) {
	s.sizes = append(s.sizes, len(p))
	return s.r.Read(p)
}

// TestMsgReaderRoom: with room set (read batching), every read is offered
// at least room bytes, whatever is left unread, and the messages come out
// intact.
func TestFramerRoom(t *testing.T) {
	const room = 16 << 10
	stream, bodies := mrFrames(300, 97) // bodies up to 29 KB, crossing every buffer edge
	rec := &sizeRecorder{r: iotest.HalfReader(bytes.NewReader(stream))}
	m := &Framer{r: rec, max: 1 << 20, room: room}
	mrCheckAll(t, m, bodies)
	for i, n := range rec.sizes {
		if n < room {
			t.Fatalf("read %d was offered %d bytes, want at least %d", i, n, room)
		}
	}
	if len(m.buf) > 4*(room+300*97) {
		t.Errorf("buffer grew to %d bytes", len(m.buf))
	}
	// Without room, reads near the end of the buffer are offered less.
	rec = &sizeRecorder{r: iotest.HalfReader(bytes.NewReader(stream))}
	m = &Framer{r: rec, max: 1 << 20}
	mrCheckAll(t, m, bodies)
	small := 0
	for _, n := range rec.sizes {
		if n < room {
			small++
		}
	}
	if small == 0 {
		t.Errorf("no read under %d bytes without room: the check above proves nothing", room)
	}
}

// TestFramerLargeMessageMemory: one large message costs about its own size
// in allocations, not the 2–3× of growing by doubling.
func TestFramerLargeMessageMemory(t *testing.T) {
	for _, n := range []int{3 << 20, 64 << 20} {
		stream := fsMsg('d', bytes.Repeat([]byte{7}, n))
		m := NewFramer(&chunkReader{data: stream, size: 64 << 10}, nil)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, body, err := m.ReadMessage()
		runtime.ReadMemStats(&after)
		if err != nil || len(body) != n {
			t.Fatalf("%d bytes: %v, %d", n, err, len(body))
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		if limit := uint64(n) + uint64(n)/8 + 1<<20; alloc > limit {
			t.Errorf("a %d-byte message allocated %d bytes (%.2f×), want at most %d", n, alloc, float64(alloc)/float64(n), limit)
		}
		t.Logf("%d-byte message: %d bytes allocated (%.3f×)", n, alloc, float64(alloc)/float64(n))
	}
}

// TestFramerShrinks: the buffer grown for a large message is given back
// once a small message follows, and kept for a run of large ones.
func TestFramerShrinks(t *testing.T) {
	big := fsMsg('d', make([]byte, 4<<20))
	small := fsMsg('d', []byte("x"))
	var stream []byte
	stream = append(stream, big...)
	stream = append(stream, big...)
	for i := 0; i < 3; i++ {
		stream = append(stream, small...)
	}
	m := NewFramer(bytes.NewReader(stream), nil)
	caps := []int{}
	for i := 0; i < 5; i++ {
		if _, _, err := m.ReadMessage(); err != nil {
			t.Fatal(err)
		}
		caps = append(caps, cap(m.buf))
	}
	if caps[1] < 4<<20 {
		t.Errorf("buffer %d after the second large message", caps[1])
	}
	if caps[4] > 2*minBuffer {
		t.Errorf("buffer still %d bytes after small messages followed a large one (capacities %v)", caps[4], caps)
	}
}

// TestFramerBuffered: bytes handed over with Buffer are read first.
func TestFramerBuffered(t *testing.T) {
	stream, bodies := mrFrames(20, 50)
	m := NewFramer(bytes.NewReader(stream[777:]), nil)
	m.Buffer(stream[:777])
	mrCheckAll(t, m, bodies)
}
