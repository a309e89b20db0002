package wire

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fsCopyOut is a whole COPY OUT answer: CopyOutResponse (binary, ncols),
// one CopyData per row, CopyDone, CommandComplete, ReadyForQuery.
func fsCopyOut(ncols int, rows [][]byte) []byte {
	resp := []byte{1, byte(ncols >> 8), byte(ncols)}
	for i := 0; i < ncols; i++ {
		resp = append(resp, 0, 1)
	}
	b := fsMsg('H', resp)
	for _, r := range rows {
		b = append(b, fsCopyData(r)...)
	}
	b = append(b, fsCopyDone()...)
	b = append(b, fsCommandComplete(fmt.Sprintf("COPY %d", len(rows)))...)
	return append(b, fsReady()...)
}

func copyServer(t *testing.T, answer func(fs *fakeServer, q string) bool) *Conn {
	fs := newFakeServer(t)
	fs.onQuery = answer
	return fs.connect(t, nil)
}

func TestCopyOutRows(t *testing.T) {
	rows := [][]byte{[]byte("first"), {}, []byte("third row")}
	c := copyServer(t, func(fs *fakeServer, q string) bool {
		if strings.HasPrefix(q, "COPY") {
			fs.sendRaw(fsCopyOut(2, rows))
			return true
		}
		return false
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []string
	var resp CopyOutResponse
	n, err := c.CopyOutStart(ctx, "COPY t TO STDOUT (FORMAT binary)", func(r CopyOutResponse) error {
		resp = r
		return nil
	}, func(row []byte) error {
		got = append(got, string(row))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || strings.Join(got, "|") != "first||third row" {
		t.Fatalf("rows %d %q", n, got)
	}
	if resp.Format != CopyBinary || len(resp.ColumnFormats) != 2 || resp.ColumnFormats[1] != CopyBinary {
		t.Fatalf("response %+v", resp)
	}
	// The session is ready for the next command.
	if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
}

func TestCopyOutServerErrorMidCopy(t *testing.T) {
	c := copyServer(t, func(fs *fakeServer, q string) bool {
		if strings.HasPrefix(q, "COPY") {
			b := fsMsg('H', []byte{1, 0, 1, 0, 1})
			b = append(b, fsCopyData([]byte("row1"))...)
			b = append(b, fsErrorFields('E', "ERROR", "22012", "division by zero")...)
			fs.sendRaw(append(b, fsReady()...))
			return true
		}
		return false
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	seen := 0
	_, err := c.CopyOut(ctx, "COPY (SELECT 1/0) TO STDOUT", func(row []byte) error { seen++; return nil })
	var se *ServerError
	if !errors.As(err, &se) || se.Code != "22012" || seen != 1 {
		t.Fatalf("err %v (rows seen %d)", err, seen)
	}
	if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatalf("session not usable after a COPY error: %v", err)
	}
}

func TestCopyOutNotACopy(t *testing.T) {
	c := copyServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.CopyOut(ctx, "SELECT 1", func(row []byte) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "not a COPY") {
		t.Fatalf("err %v", err)
	}
	if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatalf("session not usable: %v", err)
	}
}

func TestCopyOutProtocolViolation(t *testing.T) {
	c := copyServer(t, func(fs *fakeServer, q string) bool {
		fs.sendRaw(append(fsCopyData([]byte("x")), fsReady()...))
		return true
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.CopyOut(ctx, "COPY t TO STDOUT", func(row []byte) error { return nil })
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("err %v", err)
	}
	if _, err := c.Exec(ctx, "SELECT 1"); !errors.Is(err, ErrClosed) {
		t.Fatalf("a protocol violation must break the session: %v", err)
	}
}

func TestCopyOutMessageLimit(t *testing.T) {
	fs := newFakeServer(t)
	fs.onQuery = func(fs *fakeServer, q string) bool {
		fs.sendRaw(fsCopyOut(1, [][]byte{make([]byte, 100), make([]byte, 5000)}))
		return true
	}
	cfg := fs.config()
	cfg.MaxMessageSize = 1000
	c := fs.connect(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.CopyOut(ctx, "COPY t TO STDOUT", func(row []byte) error { return nil })
	if !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("err %v", err)
	}
}

// TestCopyOutAllocs: memory does not follow the row count. A COPY of 50,000
// rows costs the same few allocations as one of 500 (the CopyOutResponse's
// column formats; the read buffer is reused): each row is a view into it.
func TestCopyOutAllocs(t *testing.T) {
	row := make([]byte, 200)
	small, big := make([][]byte, 500), make([][]byte, 50000)
	for i := range big {
		big[i] = row
	}
	for i := range small {
		small[i] = row
	}
	answers := map[string][]byte{"COPY small": fsCopyOut(3, small), "COPY big": fsCopyOut(3, big)}
	c := copyServer(t, func(fs *fakeServer, q string) bool {
		fs.sendRaw(answers[q])
		return true
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var total int64
	fn := func(row []byte) error { total += int64(len(row)); return nil }
	run := func(q string, want int64) float64 {
		return testing.AllocsPerRun(3, func() {
			n, err := c.CopyOut(ctx, q, fn)
			if err != nil || n != want {
				t.Fatalf("%s: %d rows, %v", q, n, err)
			}
		})
	}
	a1, a2 := run("COPY small", 500), run("COPY big", 50000)
	if a2 > a1+2 || a2 > 10 {
		t.Fatalf("allocations grow with rows: %v for 500 rows, %v for 50000", a1, a2)
	}
	t.Logf("allocs per CopyOut: %v (500 rows), %v (50000 rows)", a1, a2)
}

func FuzzCopyResponse(f *testing.F) {
	f.Add([]byte{1, 0, 2, 0, 1, 0, 1})
	f.Add([]byte{0, 0, 0})
	f.Add([]byte{1, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseCopyResponse(b)
		if err == nil && (len(r.ColumnFormats) != (len(b)-3)/2 || r.Format > CopyBinary) {
			t.Fatalf("%v accepted as %+v", b, r)
		}
	})
}
