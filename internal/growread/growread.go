// Package growread reads a length-prefixed body without trusting the
// length: the buffer grows only as bytes arrive, so a hostile or corrupt
// length costs no memory until the input backs it.
package growread

import "io"

// first is the first allocation for a body larger than the buffer.
const first = 4 << 10

// ReadN reads n bytes from r into buf's backing array (buf's length is
// ignored), growing it at most twofold per step as bytes fill it. It
// returns what was read, all n bytes unless err is not nil, in a slice
// whose backing array the caller keeps for the next call.
func ReadN(r io.Reader, buf []byte, n int) ([]byte, error) {
	b := buf[:0]
	for len(b) < n {
		if len(b) == cap(b) {
			nb := make([]byte, len(b), min(n, max(2*cap(b), first)))
			copy(nb, b)
			b = nb
		}
		k, err := io.ReadFull(r, b[len(b):min(n, cap(b))])
		b = b[:len(b)+k]
		if err != nil {
			return b, err
		}
	}
	return b, nil
}
