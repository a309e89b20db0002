package wire

import (
	"crypto/md5"
	"fmt"
	"io"
	"testing"
)

func TestMD5PasswordStoredHash(t *testing.T) {
	// Published value: the pg_authid hash of user "postgres" with password
	// "postgres" is md53175bce1d3201d16594cebf9d7eb3f9d.
	if got, want := fmt.Sprintf("%x", md5.Sum([]byte("postgres"+"postgres"))), "3175bce1d3201d16594cebf9d7eb3f9d"; got != want {
		t.Fatalf("inner hash = %s, want %s", got, want)
	}
}

func TestMD5Password(t *testing.T) {
	for _, tc := range []struct {
		user, password string
		salt           [4]byte
	}{
		{"postgres", "postgres", [4]byte{0x01, 0x02, 0x03, 0x04}},
		{"alice", "s3cr3t", [4]byte{0xde, 0xad, 0xbe, 0xef}},
		{"", "", [4]byte{}},
		{"bob", "pass\x00word\xff", [4]byte{0xff, 0x00, 0x7f, 0x80}},
	} {
		// Independent computation, step by step through io.WriteString and %x.
		h1 := md5.New()
		io.WriteString(h1, tc.password)
		io.WriteString(h1, tc.user)
		stage1 := fmt.Sprintf("%x", h1.Sum(nil))
		h2 := md5.New()
		io.WriteString(h2, stage1)
		h2.Write(tc.salt[:])
		want := fmt.Sprintf("md5%x", h2.Sum(nil))

		got := md5Password(tc.user, tc.password, tc.salt)
		if got != want {
			t.Errorf("md5Password(%q, %q, %x) = %s, want %s", tc.user, tc.password, tc.salt, got, want)
		}
		if len(got) != 35 {
			t.Errorf("len = %d, want 35", len(got))
		}
	}
	// Fixed vector seen in another client's tests.
	if got, want := md5Password("alice", "secret", [4]byte{1, 2, 3, 4}), "md598a0412b9c31436fc53776e863350083"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	// Fixed vector: md5(hex-inner("postgres","postgres") + 01 02 03 04).
	// hex-inner = 3175bce1d3201d16594cebf9d7eb3f9d (published), salt appended raw.
	inner := "3175bce1d3201d16594cebf9d7eb3f9d"
	want := fmt.Sprintf("md5%x", md5.Sum(append([]byte(inner), 1, 2, 3, 4)))
	if got := md5Password("postgres", "postgres", [4]byte{1, 2, 3, 4}); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
