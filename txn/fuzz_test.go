package txn

import (
	"encoding/binary"
	"testing"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// fuzzInput frames messages for FuzzAssembler: a flags byte, then per
// message a 2-byte length, an 8-byte WAL position and the payload.
func fuzzInput(flags byte, msgs []wireMsg) []byte {
	b := []byte{flags}
	for _, w := range msgs {
		b = binary.BigEndian.AppendUint16(b, uint16(len(w.b)))
		b = binary.BigEndian.AppendUint64(b, uint64(w.at))
		b = append(b, w.b...)
	}
	return b
}

var fuzzBudgets = [...]int64{-1, 1, 100, 4 << 10, Unlimited}

// FuzzAssembler: arbitrary message sequences never panic, never hold more
// streamed bytes in memory than the budget (the one message being handled
// aside), and leave no spill file behind.
func FuzzAssembler(f *testing.F) {
	for seed := int64(0); seed < 6; seed++ {
		s := session(seed, []uint8{4, 5, 7, 4, 0, 1, 6, 7, 8, 2, 3, 9, 4, 8}, seed%2 == 0)
		f.Add(fuzzInput(byte(seed), s.msgs))
	}
	f.Fuzz(fuzzBody)
}

func fuzzBody(t *testing.T, data []byte) {
	{
		if len(data) == 0 {
			return
		}
		flags := data[0]
		budget := fuzzBudgets[int(flags&7)%len(fuzzBudgets)]
		dir := t.TempDir()
		a := New(Options{MemoryBudget: budget, SpillDir: dir, Immediate: flags&8 != 0, AllowUnknownGID: flags&16 != 0})
		limit := max(budget, 0)
		d := codec.NewDecoder(codec.Options{})
		check := func() {
			if a.Buffered() > limit || a.Buffered() < 0 {
				t.Fatalf("buffered %d bytes, budget %d", a.Buffered(), limit)
			}
		}
		for b := data[1:]; len(b) >= 10; {
			n := int(binary.BigEndian.Uint16(b))
			at := lsn.LSN(binary.BigEndian.Uint64(b[2:]))
			b = b[10:]
			n = min(n, len(b))
			payload := b[:n]
			b = b[n:]
			m, err := d.Decode(payload)
			if err != nil {
				continue
			}
			if err := a.Push(m, at); err != nil {
				a.Reset(0)
				d.Reset()
				continue
			}
			check()
			for i := 0; ; i++ {
				ev, err := a.Next()
				if err != nil {
					a.Reset(0)
					d.Reset()
					break
				}
				check()
				if ev.Kind == EventNone {
					break
				}
				if ev.Unit == nil || (ev.Kind == EventChange) != (ev.Change != nil) {
					t.Fatalf("event %+v", ev)
				}
			}
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		emptyDir(t, dir)
	}
}
