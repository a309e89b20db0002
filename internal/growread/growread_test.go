package growread

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestReadN(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 10_000)
	for _, c := range []struct {
		name    string
		in      []byte
		n       int
		wantErr error
	}{
		{"whole", data, len(data), nil},
		{"prefix", data, 5, nil},
		{"empty", data, 0, nil},
		{"short", data[:7000], len(data), io.ErrUnexpectedEOF},
		{"nothing", nil, 10, io.EOF},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReadN(bytes.NewReader(c.in), nil, c.n)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			want := c.in[:min(c.n, len(c.in))]
			if !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes, want %d", len(got), len(want))
			}
		})
	}
}

// A declared length far beyond the input allocates what arrived, at most
// twice over, not the length.
func TestReadNGrowsWithTheInput(t *testing.T) {
	got, err := ReadN(bytes.NewReader(make([]byte, 10_000)), nil, 1<<30)
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(got) != 10_000 {
		t.Fatalf("got %d bytes, %v", len(got), err)
	}
	if cap(got) > 2*16<<10 {
		t.Fatalf("buffer of %d bytes for 10,000 that arrived", cap(got))
	}
}

// A buffer big enough is reused.
func TestReadNReuses(t *testing.T) {
	buf := make([]byte, 0, 64)
	got, err := ReadN(bytes.NewReader([]byte("hello")), buf, 5)
	if err != nil || string(got) != "hello" || &got[0] != &buf[:1][0] {
		t.Fatalf("got %q, %v, reused %v", got, err, err == nil && &got[0] == &buf[:1][0])
	}
}
