package codec

import (
	"testing"
)

// Decoding with a reused Decoder allocates nothing, for every message type,
// once its buffers have grown.
func TestDecodeDoesNotAllocate(t *testing.T) {
	for _, tc := range decodeCases() {
		d := NewDecoder(tc.opts)
		in := tc.in
		run := func() {
			d.SetInStream(tc.inStream)
			if _, err := d.Decode(in); err != nil {
				t.Fatal(err)
			}
		}
		run()
		if n := testing.AllocsPerRun(200, run); n != 0 {
			t.Errorf("%s: %v allocations per Decode", tc.name, n)
		}
	}
	// A Messages allocates as little: the Decoder is built on it.
	var ms Messages
	for _, tc := range decodeCases() {
		run := func() {
			if _, err := ms.Decode(tc.in, tc.opts, tc.inStream); err != nil {
				t.Fatal(err)
			}
		}
		run()
		if n := testing.AllocsPerRun(200, run); n != 0 {
			t.Errorf("Messages: %s: %v allocations per Decode", tc.name, n)
		}
	}
	var d Decoder
	for _, in := range [][]byte{
		cat(b1('w'), b8(1), b8(2), b8(3), []byte("payload")),
		cat(b1('k'), b8(1), b8(2), b1(1)),
	} {
		if n := testing.AllocsPerRun(200, func() { _, _ = d.DecodeServerCopyData(in) }); n != 0 {
			t.Errorf("DecodeServerCopyData(%q): %v allocations", in[0], n)
		}
	}
	status := AppendStandbyStatusUpdate(nil, &StandbyStatusUpdate{Write: 1})
	if n := testing.AllocsPerRun(200, func() { _, _ = d.DecodeClientCopyData(status) }); n != 0 {
		t.Errorf("DecodeClientCopyData: %v allocations", n)
	}
	buf := make([]byte, 0, 256)
	m := &StandbyStatusUpdate{Write: 1, Flush: 2, Apply: 3}
	if n := testing.AllocsPerRun(200, func() { buf = AppendStandbyStatusUpdate(buf[:0], m) }); n != 0 {
		t.Errorf("AppendStandbyStatusUpdate: %v allocations", n)
	}
}

// Hostile counts cannot make the decoder allocate: the count is checked
// against the bytes that are there before any buffer grows.
func TestHostileCountsDoNotAllocate(t *testing.T) {
	cases := [][]byte{
		cat(b1('I'), b4(1), b1('N'), b2(0xFFFF)),
		cat(b1('R'), b4(1), str(""), str("t"), b1('d'), b2(0xFFFF)),
		cat(b1('T'), b4(0xFFFFFFFF), b1(0)),
		cat(b1('M'), b1(0), b8(1), str(""), b4(0x7FFFFFFF)),
	}
	for _, in := range cases {
		var d Decoder
		n := testing.AllocsPerRun(50, func() {
			// A new decoder each run, so any buffer growth would count.
			d = Decoder{}
			_, _ = d.Decode(in)
		})
		// The only allocation is the *DecodeError itself (and its formatted
		// field name for tuple fields).
		if n > 2 {
			t.Errorf("%q: %v allocations for a rejected hostile count", in[0], n)
		}
		if cap(d.msgs.newColumns) != 0 || cap(d.msgs.relationColumns) != 0 || cap(d.msgs.relationIDs) != 0 {
			t.Errorf("%q: buffers grew for a rejected count", in[0])
		}
	}
}
