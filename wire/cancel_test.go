package wire

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAppendCancelRequest(t *testing.T) {
	got := appendCancelRequest(nil, 0x01020304, []byte{9, 8, 7, 6, 5, 4})
	want := []byte{0, 0, 0, 18, 0x04, 0xd2, 0x16, 0x2e, 1, 2, 3, 4, 9, 8, 7, 6, 5, 4}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CancelRequest (-want +got):\n%s", diff)
	}
}

// Cancel sends the session's process ID and key over a new connection to
// the same address, encrypted when the session is.
func TestCancelRequest(t *testing.T) {
	cert := testCert(t, nil)
	for _, tc := range []struct {
		name    string
		tls     bool
		sslmode SSLMode
	}{
		{"plain", false, SSLPrefer},
		{"tls", true, SSLPrefer},
		{"tls require", true, SSLRequire},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ps *paramServer
			if tc.tls {
				ps = newParamServerTLS(t, nil, &cert)
			} else {
				ps = newParamServer(t, nil)
			}
			cfg := multiConfig(ps.endpoint())
			cfg.SSLMode = tc.sslmode
			c, err := Connect(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.TLS() != tc.tls {
				t.Fatalf("TLS() = %v", c.TLS())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := c.Cancel(ctx); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-ps.cancels:
				if diff := cmp.Diff(cancelSeen{pid: 1, key: []byte{0, 0, 0, 2}, tls: tc.tls}, got, cmp.AllowUnexported(cancelSeen{})); diff != "" {
					t.Errorf("CancelRequest (-want +got):\n%s", diff)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no CancelRequest")
			}
		})
	}
	t.Run("no key", func(t *testing.T) {
		if err := (&Conn{}).Cancel(context.Background()); !errors.Is(err, ErrNoCancelKey) {
			t.Errorf("Cancel without a key: %v", err)
		}
	})
}
