package value

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/leanovate/gopter"
)

// numProps runs properties with enough cases to reach the edges.
func numProps(t *testing.T) *gopter.Properties {
	p := gopter.DefaultTestParameters()
	p.MinSuccessfulTests = 3000
	return gopter.NewProperties(p)
}

func numHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// numWantErr checks err is an *Error naming oid that matches sentinel.
func numWantErr(t *testing.T, what string, err error, oid uint32, sentinel error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.OID != oid || !errors.Is(err, sentinel) {
		t.Errorf("%s: error %v, want an *Error for OID %d matching %v", what, err, oid, sentinel)
	}
}

// numZeroAllocs fails if f allocates.
func numZeroAllocs(t *testing.T, what string, f func()) {
	t.Helper()
	if n := testing.AllocsPerRun(100, f); n != 0 {
		t.Errorf("%s: %v allocs/op, want 0", what, n)
	}
}
