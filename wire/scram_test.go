package wire

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// RFC 7677 section 3.
const (
	rfcUser        = "user"
	rfcPassword    = "pencil"
	rfcClientNonce = "rOprNGfwEbeRWgbNEkqO"
	rfcClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
	rfcServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
	rfcClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
	rfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
)

// rfcClient returns a client set up to reproduce the RFC 7677 exchange.
func rfcClient(t testing.TB, mechanism string, cbData []byte, canBind bool) *scramClient {
	t.Helper()
	c, err := newSCRAM(mechanism, rfcPassword, cbData, canBind, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.user = rfcUser
	c.clientNonce = rfcClientNonce
	return c
}

func TestSCRAMRFC7677(t *testing.T) {
	c := rfcClient(t, "SCRAM-SHA-256", nil, false)
	if got := string(c.clientFirst()); got != rfcClientFirst {
		t.Fatalf("clientFirst = %q, want %q", got, rfcClientFirst)
	}
	final, err := c.clientFinal([]byte(rfcServerFirst))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rfcClientFinal, string(final)); diff != "" {
		t.Fatalf("clientFinal mismatch (-want +got):\n%s", diff)
	}
	if c.iterations != 4096 {
		t.Errorf("iterations = %d", c.iterations)
	}
	if err := c.verifyServerFinal([]byte(rfcServerFinal)); err != nil {
		t.Fatal(err)
	}
	if err := c.verifyServerFinal([]byte(rfcServerFinal)); err == nil {
		t.Error("second verifyServerFinal succeeded")
	}
}

func TestSCRAMClientFirstDefaults(t *testing.T) {
	nonce := bytes.Repeat([]byte{0xab}, scramNonceBytes)
	wantNonce := base64.StdEncoding.EncodeToString(nonce)
	for _, tc := range []struct {
		mech    string
		cb      []byte
		canBind bool
		want    string
	}{
		{"SCRAM-SHA-256", nil, false, "n,,n=,r=" + wantNonce},
		{"SCRAM-SHA-256", nil, true, "y,,n=,r=" + wantNonce},
		{"SCRAM-SHA-256-PLUS", []byte{1, 2, 3}, true, "p=tls-server-end-point,,n=,r=" + wantNonce},
	} {
		c, err := newSCRAM(tc.mech, "pw", tc.cb, tc.canBind, bytes.NewReader(nonce))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(c.clientFirst()); got != tc.want {
			t.Errorf("%s canBind=%v: clientFirst = %q, want %q", tc.mech, tc.canBind, got, tc.want)
		}
	}
	// Random nonces differ.
	a, _ := newSCRAM("SCRAM-SHA-256", "pw", nil, false, nil)
	b, _ := newSCRAM("SCRAM-SHA-256", "pw", nil, false, rand.Reader)
	if a.clientNonce == b.clientNonce || len(a.clientNonce) != 24 {
		t.Errorf("nonces %q %q", a.clientNonce, b.clientNonce)
	}
}

func TestSCRAMUserEscaping(t *testing.T) {
	c := rfcClient(t, "SCRAM-SHA-256", nil, false)
	c.user = "a,b=c"
	if got, want := string(c.clientFirst()), "n,,n=a=2Cb=3Dc,r="+rfcClientNonce; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSCRAMNewErrors(t *testing.T) {
	for _, tc := range []struct {
		mech string
		cb   []byte
		rd   *bytes.Reader
		want string
	}{
		{"SCRAM-SHA-1", nil, nil, "unsupported mechanism"},
		{"SCRAM-SHA-256-PLUS", nil, nil, "needs channel-binding data"},
		{"SCRAM-SHA-256", []byte{1}, nil, "channel-binding data given"},
		{"SCRAM-SHA-256", nil, bytes.NewReader([]byte{1, 2}), "client nonce"},
	} {
		var err error
		if tc.rd != nil {
			_, err = newSCRAM(tc.mech, "pw", tc.cb, false, tc.rd)
		} else {
			_, err = newSCRAM(tc.mech, "pw", tc.cb, false, nil)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "wire: SCRAM: ") {
			t.Errorf("%s: err = %v, want %q", tc.mech, err, tc.want)
		}
	}
}

func TestSCRAMChannelBinding(t *testing.T) {
	cb := []byte("\x00\x01fake-cert-hash\xff")
	c := rfcClient(t, "SCRAM-SHA-256-PLUS", cb, true)
	final, err := c.clientFinal([]byte(rfcServerFirst))
	if err != nil {
		t.Fatal(err)
	}
	want := "c=" + base64.StdEncoding.EncodeToString(append([]byte("p=tls-server-end-point,,"), cb...)) + ","
	if !strings.HasPrefix(string(final), want) {
		t.Errorf("clientFinal = %q, want prefix %q", final, want)
	}
	// The RFC's server signature covers c=biws, so it must not verify here.
	if err := c.verifyServerFinal([]byte(rfcServerFinal)); err == nil {
		t.Error("server signature for another channel binding accepted")
	}

	c = rfcClient(t, "SCRAM-SHA-256", nil, true)
	final, err = c.clientFinal([]byte(rfcServerFirst))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(final), "c=eSws,") { // base64("y,,")
		t.Errorf("clientFinal = %q, want c=eSws", final)
	}
}

func TestSCRAMPasswordSASLprep(t *testing.T) {
	final := func(pw string) string {
		c, err := newSCRAM("SCRAM-SHA-256", pw, nil, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.clientNonce = rfcClientNonce
		c.maxIterations = 4096
		f, err := c.clientFinal([]byte(rfcServerFirst))
		if err != nil {
			t.Fatal(err)
		}
		return string(f)
	}
	if final("pass\u00A0word") != final("pass word") {
		t.Error("NBSP not mapped to space")
	}
	if final("pen\u00ADcil") != final("pencil") {
		t.Error("soft hyphen not removed")
	}
	if final("pass\u00A0word\x01") == final("pass word\x01") {
		t.Error("prohibited password was mapped instead of used raw")
	}
}

func TestSCRAMServerFirstErrors(t *testing.T) {
	n := rfcClientNonce
	for _, tc := range []struct{ in, want string }{
		{"", "malformed server-first-message"},
		{"garbage", "malformed server-first-message"},
		{"m=ext," + rfcServerFirst, "unsupported mandatory extension"},
		{"m=ext", "unsupported mandatory extension"},
		{rfcServerFirst + ",m=x", "unexpected data after the iteration count"},
		{rfcServerFirst + ",x=y", "unexpected data after the iteration count"},
		{rfcServerFirst + ",", "unexpected data"},
		{"s=W22ZaJ0SNY7soEsUEjb6gQ==,r=" + n + "x,i=4096", "expected attribute r="},
		{"r=" + n + "x,i=4096", "malformed server-first-message"},
		{"r=" + n + "x,s=AAAA,x=1", "expected attribute i="},
		{"r=,s=AAAA,i=1", "empty r= attribute"},
		{"r=other" + n + ",s=AAAA,i=1", "server nonce does not extend the client nonce"},
		{"r=" + n[:10] + ",s=AAAA,i=1", "server nonce does not extend the client nonce"},
		{"r=" + n + ",s=AAAA,i=1", "adds nothing"},
		{"r=" + n + "x\x7f,s=AAAA,i=1", "non-printable"},
		{"r=" + n + "x y,s=AAAA,i=1", "non-printable"},
		{"r=" + n + "x,s=,i=1", "empty s= attribute"},
		{"r=" + n + "x,s=====,i=1", "invalid salt"},
		{"r=" + n + "x,s=AAA,i=1", "invalid salt"},
		{"r=" + n + "x,s=AA\nAA,i=1", "invalid salt"},
		{"r=" + n + "x,s=AB==,i=1", "invalid salt"}, // non-zero padding bits (strict decoding)
		{"r=" + n + "x,s=AAAA,i=", "empty i= attribute"},
		{"r=" + n + "x,s=AAAA,i=0", "must be positive"},
		{"r=" + n + "x,s=AAAA,i=-1", "invalid iteration count"},
		{"r=" + n + "x,s=AAAA,i=+5", "invalid iteration count"},
		{"r=" + n + "x,s=AAAA,i=4096 ", "invalid iteration count"},
		{"r=" + n + "x,s=AAAA,i=0x10", "invalid iteration count"},
		{"r=" + n + "x,s=AAAA,i=10000001", "exceeds the limit of 10000000"},
		{"r=" + n + "x,s=AAAA,i=99999999999999999999999999", "exceeds the limit"},
	} {
		c := rfcClient(t, "SCRAM-SHA-256", nil, false)
		start := time.Now()
		out, err := c.clientFinal([]byte(tc.in))
		if err == nil || out != nil {
			t.Errorf("%q: out=%q err=nil", tc.in, out)
			continue
		}
		if !strings.HasPrefix(err.Error(), "wire: SCRAM: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %q, want %q", tc.in, err, tc.want)
		}
		if c.iterations != 0 || time.Since(start) > time.Second {
			t.Errorf("%q: PBKDF2 ran (%d iterations)", tc.in, c.iterations)
		}
		if err := c.verifyServerFinal([]byte(rfcServerFinal)); err == nil {
			t.Errorf("%q: verifyServerFinal succeeded after a failed clientFinal", tc.in)
		}
		if _, err := c.clientFinal([]byte(rfcServerFirst)); err == nil {
			t.Errorf("%q: clientFinal retry succeeded", tc.in)
		}
	}
}

func TestSCRAMServerFinalErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "expected attribute v="},
		{"e=invalid-proof", `server error: "invalid-proof"`},
		{"e=other-error,x=1", `server error: "other-error"`},
		{"m=x," + rfcServerFinal, "unsupported mandatory extension"},
		{"v=", "empty v= attribute"},
		{"v=!!!!", "invalid server signature"},
		{"v=AAAA", "does not match"},
		{"v=" + base64.StdEncoding.EncodeToString(make([]byte, 32)), "does not match"},
		{rfcServerFinal + ",x=y", "unexpected data after the server signature"},
		{strings.ToUpper(rfcServerFinal), "expected attribute v="},
		{rfcServerFinal[:len(rfcServerFinal)-1], "invalid server signature"},
	} {
		c := rfcClient(t, "SCRAM-SHA-256", nil, false)
		if _, err := c.clientFinal([]byte(rfcServerFirst)); err != nil {
			t.Fatal(err)
		}
		err := c.verifyServerFinal([]byte(tc.in))
		if err == nil || !strings.HasPrefix(err.Error(), "wire: SCRAM: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.in, err, tc.want)
		}
	}
	c := rfcClient(t, "SCRAM-SHA-256", nil, false)
	if err := c.verifyServerFinal([]byte(rfcServerFinal)); err == nil {
		t.Error("verifyServerFinal before clientFinal succeeded")
	}
}

func TestSCRAMIterationCap(t *testing.T) {
	c := rfcClient(t, "SCRAM-SHA-256", nil, false)
	if c.maxIterations != scramMaxIterations || scramMaxIterations != 10_000_000 {
		t.Fatalf("maxIterations = %d", c.maxIterations)
	}
	c.maxIterations = 4095
	if _, err := c.clientFinal([]byte(rfcServerFirst)); err == nil || !strings.Contains(err.Error(), "exceeds the limit of 4095") {
		t.Fatalf("err = %v", err)
	}
	if c.iterations != 0 {
		t.Errorf("PBKDF2 ran")
	}
}

func TestSCRAMPBKDF2(t *testing.T) {
	// RFC 7914 section 11, PBKDF2-HMAC-SHA256 (first 32 bytes of dkLen 64).
	for _, tc := range []struct {
		p, s string
		c    int
		want string
	}{
		{"passwd", "salt", 1, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"},
		{"Password", "NaCl", 80000, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"},
	} {
		got := scramPBKDF2([]byte(tc.p), []byte(tc.s), tc.c)
		if h := hex.EncodeToString(got[:]); h != tc.want {
			t.Errorf("PBKDF2(%q, %q, %d) = %s, want %s", tc.p, tc.s, tc.c, h, tc.want)
		}
	}
}

func newTestCert(t *testing.T, key any, pub any, alg x509.SignatureAlgorithm) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:       big.NewInt(1),
		Subject:            pkix.Name{CommonName: "pgwal-test"},
		NotBefore:          time.Now().Add(-time.Hour),
		NotAfter:           time.Now().Add(time.Hour),
		SignatureAlgorithm: alg,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if cert.SignatureAlgorithm != alg {
		t.Fatalf("cert signed with %v, want %v", cert.SignatureAlgorithm, alg)
	}
	return cert
}

func TestTLSServerEndPoint(t *testing.T) {
	k256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c256 := newTestCert(t, k256, &k256.PublicKey, x509.ECDSAWithSHA256)
	got, err := tlsServerEndPoint(c256)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(c256.Raw)
	if !bytes.Equal(got, want[:]) {
		t.Errorf("P-256: got %x, want %x", got, want)
	}

	k384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	c384 := newTestCert(t, k384, &k384.PublicKey, x509.ECDSAWithSHA384)
	got, err = tlsServerEndPoint(c384)
	if err != nil {
		t.Fatal(err)
	}
	want384 := sha512.Sum384(c384.Raw)
	if !bytes.Equal(got, want384[:]) {
		t.Errorf("P-384: got %x, want %x", got, want384)
	}

	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	ced := newTestCert(t, priv, pub, x509.PureEd25519)
	if _, err := tlsServerEndPoint(ced); err == nil || !strings.Contains(err.Error(), "channel binding is not possible") {
		t.Errorf("Ed25519: err = %v", err)
	}

	// Algorithm mapping without real signatures (only Raw and
	// SignatureAlgorithm are used).
	raw := []byte("not really DER")
	s256, s384, s512 := sha256.Sum256(raw), sha512.Sum384(raw), sha512.Sum512(raw)
	for _, tc := range []struct {
		alg  x509.SignatureAlgorithm
		want []byte
	}{
		{x509.MD5WithRSA, s256[:]},
		{x509.SHA1WithRSA, s256[:]},
		{x509.ECDSAWithSHA1, s256[:]},
		{x509.DSAWithSHA1, s256[:]},
		{x509.SHA256WithRSAPSS, s256[:]},
		{x509.SHA384WithRSA, s384[:]},
		{x509.SHA512WithRSA, s512[:]},
		{x509.ECDSAWithSHA512, s512[:]},
		{x509.SHA512WithRSAPSS, s512[:]},
		{x509.MD2WithRSA, nil},
		{x509.UnknownSignatureAlgorithm, nil},
	} {
		got, err := tlsServerEndPoint(&x509.Certificate{Raw: raw, SignatureAlgorithm: tc.alg})
		if tc.want == nil {
			if err == nil {
				t.Errorf("%v: no error", tc.alg)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%v: got %x, %v; want %x", tc.alg, got, err, tc.want)
		}
	}
	if _, err := tlsServerEndPoint(nil); err == nil {
		t.Error("nil certificate: no error")
	}
}
