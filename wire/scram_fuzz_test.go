package wire

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzSCRAM feeds arbitrary server-first and server-final messages to a
// client: it must never panic, must reject garbage with a "wire: SCRAM: "
// error, and must never run PBKDF2 with more iterations than the cap.
func FuzzSCRAM(f *testing.F) {
	f.Add([]byte(rfcServerFirst), []byte(rfcServerFinal), false)
	f.Add([]byte(rfcServerFirst), []byte(rfcServerFinal), true)
	f.Add([]byte(rfcServerFirst), []byte("e=invalid-proof"), false)
	f.Add([]byte("m=x,"+rfcServerFirst), []byte(rfcServerFinal), false)
	f.Add([]byte("r="+rfcClientNonce+"x,s=AAAA,i=4097"), []byte("v="), false)
	f.Add([]byte("r="+rfcClientNonce+"x,s=,i=1"), []byte("v=!!"), false)
	f.Add([]byte{}, []byte{}, false)
	const limit = 4096 // keeps executions fast; the logic is the same for 10_000_000
	f.Fuzz(func(t *testing.T, serverFirst, serverFinal []byte, plus bool) {
		mech, cb := "SCRAM-SHA-256", []byte(nil)
		if plus {
			mech, cb = "SCRAM-SHA-256-PLUS", []byte("cert-hash")
		}
		c := rfcClient(t, mech, cb, plus)
		c.maxIterations = limit
		final, err := c.clientFinal(serverFirst)
		if c.iterations > limit {
			t.Fatalf("PBKDF2 ran %d iterations, cap %d", c.iterations, limit)
		}
		if err != nil {
			if final != nil || !strings.HasPrefix(err.Error(), "wire: SCRAM: ") {
				t.Fatalf("final=%q err=%v", final, err)
			}
			if c.iterations != 0 {
				t.Fatalf("PBKDF2 ran before rejecting: %v", err)
			}
			if c.verifyServerFinal(serverFinal) == nil {
				t.Fatal("verifyServerFinal succeeded after a failed clientFinal")
			}
			return
		}
		if !bytes.HasPrefix(serverFirst, []byte("r="+rfcClientNonce)) || c.iterations < 1 {
			t.Fatalf("accepted %q", serverFirst)
		}
		if !bytes.HasPrefix(final, []byte("c=")) || !bytes.Contains(final, []byte(",p=")) {
			t.Fatalf("malformed client-final %q", final)
		}
		err = c.verifyServerFinal(serverFinal)
		if err == nil {
			if !bytes.HasPrefix(serverFinal, []byte("v=")) {
				t.Fatalf("accepted server-final %q", serverFinal)
			}
			if !plus && string(serverFirst) == rfcServerFirst && string(serverFinal) != rfcServerFinal {
				t.Fatalf("accepted wrong server-final %q", serverFinal)
			}
		} else if !strings.HasPrefix(err.Error(), "wire: SCRAM: ") {
			t.Fatalf("err = %v", err)
		}
		if c.verifyServerFinal(serverFinal) == nil {
			t.Fatal("second verifyServerFinal succeeded")
		}
	})
}
