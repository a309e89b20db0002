package wire

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pgwal/pgwal/codec"
	"github.com/pgwal/pgwal/lsn"
)

// LastKeepalive reports the latest keepalive Next processed, as the server
// sent it, and nothing before the first.
func TestLastKeepalive(t *testing.T) {
	fs, _, s := fakeStream(t, nil)
	if ka, ok := s.LastKeepalive(); ok {
		t.Fatalf("LastKeepalive before any: %+v", ka)
	}
	ctx := hostileCtx(t, 5*time.Second)
	for i, ka := range []codec.PrimaryKeepalive{
		{WALEnd: 0x20000, ServerTime: 1000},
		{WALEnd: 0x30000, ServerTime: 2000, ReplyRequested: true},
		{WALEnd: 0x30000, ServerTime: 3000},
	} {
		at := lsn.LSN(0x40000 + i*0x100)
		fs.send(fsCopyData(codec.AppendPrimaryKeepalive(nil, &ka)),
			fsXLog(at, &codec.LogicalMessage{LSN: at, Prefix: []byte("p"), Content: []byte("x")}))
		if _, err := s.Next(ctx); err != nil {
			t.Fatalf("keepalive %d: Next: %v", i, err)
		}
		got, ok := s.LastKeepalive()
		if !ok {
			t.Fatalf("keepalive %d: LastKeepalive reports none", i)
		}
		if diff := cmp.Diff(ka, got); diff != "" {
			t.Errorf("keepalive %d: LastKeepalive (-sent +got):\n%s", i, diff)
		}
	}
}
