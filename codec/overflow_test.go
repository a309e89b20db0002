package codec

import (
	"errors"
	"testing"
)

// Counts near the top of uint32 must be rejected as too large on every
// platform. On 32-bit ones, int(count)*4 overflows and once let a 10-byte
// Truncate size a slice by its count: makeslice panicked. Run this file
// with GOARCH=386 too.
func TestTruncateHugeCountOn32Bit(t *testing.T) {
	for _, n := range []uint32{0x40000001, 0x40000000, 0x80000000, 0x80000001, 0xC0000000, 0xFFFFFFFF} {
		for _, inStream := range []bool{false, true} {
			in := cat(b1('T'), b4(n), b1(0), b4(16390))
			at := 1
			if inStream {
				in = cat(b1('T'), b4(xid), b4(n), b1(0), b4(16390))
				at = 5
			}
			var d Decoder
			d.SetInStream(inStream)
			m, err := d.Decode(in)
			var de *DecodeError
			if !errors.Is(err, ErrCountTooLarge) || !errors.As(err, &de) || de.Field != "relation count" || de.Offset != at {
				t.Errorf("count %#x, in stream %v: Decode = %v, %v; want ErrCountTooLarge at relation count, offset %d", n, inStream, m, err, at)
			}
			if cap(d.msgs.relationIDs) != 0 {
				t.Errorf("count %#x: relation ID buffer grew to %d", n, cap(d.msgs.relationIDs))
			}
		}
	}
}
