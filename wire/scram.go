package wire

import (
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
)

// SCRAM-SHA-256 (RFC 5802, RFC 7677) client side, as PostgreSQL speaks it.
const (
	scramMechanism     = "SCRAM-SHA-256"
	scramMechanismPlus = "SCRAM-SHA-256-PLUS"

	// scramMaxIterations caps the PBKDF2 iteration count a server may ask
	// for. A hostile or misconfigured server could otherwise make the client
	// spend minutes of CPU per connection attempt. PostgreSQL's default
	// (scram_iterations) is 4096; 10,000,000 takes a few seconds, which is
	// far beyond any sane setting.
	scramMaxIterations = 10_000_000

	// scramNonceBytes is the number of random bytes in the client nonce
	// (base64-encoded on the wire), as in libpq.
	scramNonceBytes = 18

	scramStateInitial = 0
	scramStateFinal   = 1 // clientFinal succeeded; waiting for server-final
	scramStateDone    = 2 // verified, or failed: no further steps
)

// scramClient runs one SCRAM-SHA-256[-PLUS] exchange.
type scramClient struct {
	password      []byte // SASLprep'd, or raw if SASLprep failed
	gs2Header     string // "n,,", "y,," or "p=tls-server-end-point,,"
	cbData        []byte // channel-binding data (PLUS only)
	user          string // PostgreSQL ignores it and libpq sends ""; tests set it
	clientNonce   string
	maxIterations int // scramMaxIterations; tests lower it

	state           int
	serverSignature []byte
	iterations      int // iteration count of the last PBKDF2 run (for tests)
}

func scramErrorf(format string, args ...any) error {
	return fmt.Errorf("wire: SCRAM: "+format, args...)
}

// newSCRAM starts an exchange. mechanism is "SCRAM-SHA-256" or
// "SCRAM-SHA-256-PLUS". cbData is the channel-binding data for -PLUS (the
// tls-server-end-point hash of the server certificate, see
// tlsServerEndPoint) and must be nil otherwise. clientCanBind says whether
// the client could have used channel binding (a TLS connection): without
// -PLUS it selects the GS2 header "y,," (could bind, server did not offer it)
// instead of "n,,". rand supplies the nonce; nil means crypto/rand.Reader.
//
// The password is prepared with saslprep; if that fails the raw bytes are
// used, as PostgreSQL does.
func newSCRAM(mechanism, password string, cbData []byte, clientCanBind bool, rand io.Reader) (*scramClient, error) {
	c := &scramClient{maxIterations: scramMaxIterations}
	switch mechanism {
	case scramMechanism:
		if cbData != nil {
			return nil, scramErrorf("channel-binding data given for %s; it needs %s", scramMechanism, scramMechanismPlus)
		}
		if clientCanBind {
			c.gs2Header = "y,,"
		} else {
			c.gs2Header = "n,,"
		}
	case scramMechanismPlus:
		if len(cbData) == 0 {
			return nil, scramErrorf("%s needs channel-binding data", scramMechanismPlus)
		}
		c.gs2Header = "p=tls-server-end-point,,"
		c.cbData = append([]byte(nil), cbData...)
	default:
		return nil, scramErrorf("unsupported mechanism %q", mechanism)
	}
	if p, ok := saslprep(password); ok {
		c.password = []byte(p)
	} else {
		c.password = []byte(password)
	}
	if rand == nil {
		rand = crand.Reader
	}
	var raw [scramNonceBytes]byte
	if _, err := io.ReadFull(rand, raw[:]); err != nil {
		return nil, scramErrorf("generating the client nonce: %w", err)
	}
	c.clientNonce = base64.StdEncoding.EncodeToString(raw[:])
	return c, nil
}

// clientFirstBare is client-first-message-bare: "n=<user>,r=<nonce>".
func (c *scramClient) clientFirstBare() string {
	return "n=" + scramEscapeName(c.user) + ",r=" + c.clientNonce
}

// scramEscapeName encodes a saslname: "=" as "=3D" and "," as "=2C".
func scramEscapeName(s string) string {
	if !strings.ContainsAny(s, ",=") {
		return s
	}
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

// clientFirst returns client-first-message, e.g. "n,,n=,r=<nonce>".
func (c *scramClient) clientFirst() []byte {
	return []byte(c.gs2Header + c.clientFirstBare())
}

// clientFinal parses server-first-message "r=<nonce>,s=<salt>,i=<count>" and
// returns client-final-message "c=<binding>,r=<nonce>,p=<proof>". Like libpq
// it rejects anything after i=; a leading reserved m= attribute is rejected
// as an unsupported mandatory extension. Iteration counts above
// scramMaxIterations are refused before any hashing. It may be called once.
func (c *scramClient) clientFinal(serverFirst []byte) ([]byte, error) {
	if c.state != scramStateInitial {
		return nil, scramErrorf("client-final-message already produced")
	}
	c.state = scramStateDone // until success
	attrs := strings.Split(string(serverFirst), ",")
	if err := scramCheckMandatoryExtension(attrs[0]); err != nil {
		return nil, err
	}
	if len(attrs) < 3 {
		return nil, scramErrorf("malformed server-first-message: want r=,s=,i=, got %d attribute(s)", len(attrs))
	}
	if len(attrs) > 3 {
		return nil, scramErrorf("malformed server-first-message: unexpected data after the iteration count")
	}
	nonce, err := scramAttr(attrs[0], 'r', "server-first-message")
	if err != nil {
		return nil, err
	}
	saltB64, err := scramAttr(attrs[1], 's', "server-first-message")
	if err != nil {
		return nil, err
	}
	iterStr, err := scramAttr(attrs[2], 'i', "server-first-message")
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(nonce); i++ {
		if nonce[i] < 0x21 || nonce[i] > 0x7e {
			return nil, scramErrorf("server nonce contains a non-printable character")
		}
	}
	if !strings.HasPrefix(nonce, c.clientNonce) {
		return nil, scramErrorf("server nonce does not extend the client nonce")
	}
	if len(nonce) == len(c.clientNonce) {
		return nil, scramErrorf("server nonce adds nothing to the client nonce")
	}
	salt, err := scramDecodeBase64(saltB64)
	if err != nil {
		return nil, scramErrorf("invalid salt: %v", err)
	}
	if len(salt) == 0 {
		return nil, scramErrorf("empty salt")
	}
	iterations, err := c.parseIterations(iterStr)
	if err != nil {
		return nil, err
	}

	channelBinding := base64.StdEncoding.EncodeToString(append([]byte(c.gs2Header), c.cbData...))
	withoutProof := "c=" + channelBinding + ",r=" + nonce
	authMessage := []byte(c.clientFirstBare() + "," + string(serverFirst) + "," + withoutProof)

	c.iterations = iterations
	salted := scramPBKDF2(c.password, salt, iterations)
	clientKey := scramHMAC(salted[:], []byte("Client Key"))
	storedKey := sha256.Sum256(clientKey)
	proof := scramHMAC(storedKey[:], authMessage)
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	serverKey := scramHMAC(salted[:], []byte("Server Key"))
	c.serverSignature = scramHMAC(serverKey, authMessage)
	c.state = scramStateFinal
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

func (c *scramClient) parseIterations(s string) (int, error) {
	if s == "" {
		return 0, scramErrorf("empty iteration count")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, scramErrorf("invalid iteration count %q", scramTruncate(s))
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > c.maxIterations {
		return 0, scramErrorf("iteration count %s exceeds the limit of %d", scramTruncate(s), c.maxIterations)
	}
	if n <= 0 {
		return 0, scramErrorf("iteration count must be positive, got %d", n)
	}
	return n, nil
}

// verifyServerFinal checks server-final-message: "v=<signature>" must carry
// the expected server signature (compared in constant time); "e=<error>" is
// returned as an error with the server's text.
func (c *scramClient) verifyServerFinal(serverFinal []byte) error {
	if c.state != scramStateFinal {
		return scramErrorf("server-final-message not expected now")
	}
	c.state = scramStateDone
	msg := string(serverFinal)
	first, _, more := strings.Cut(msg, ",")
	if err := scramCheckMandatoryExtension(first); err != nil {
		return err
	}
	if strings.HasPrefix(first, "e=") {
		return scramErrorf("server error: %q", scramTruncate(first[2:]))
	}
	v, err := scramAttr(first, 'v', "server-final-message")
	if err != nil {
		return err
	}
	if more {
		return scramErrorf("malformed server-final-message: unexpected data after the server signature")
	}
	sig, err := scramDecodeBase64(v)
	if err != nil {
		return scramErrorf("invalid server signature: %v", err)
	}
	if !hmac.Equal(sig, c.serverSignature) {
		return scramErrorf("server signature does not match: the server does not know the password")
	}
	return nil
}

// scramCheckMandatoryExtension rejects the reserved "m=" attribute (RFC
// 5802 section 5.1: its presence MUST cause authentication failure).
func scramCheckMandatoryExtension(attr string) error {
	if strings.HasPrefix(attr, "m=") {
		return scramErrorf("unsupported mandatory extension (m=)")
	}
	return nil
}

// scramAttr returns the value of attr, which must be "<name>=<non-empty value>".
func scramAttr(attr string, name byte, msg string) (string, error) {
	if len(attr) < 2 || attr[0] != name || attr[1] != '=' {
		return "", scramErrorf("malformed %s: expected attribute %c=, got %q", msg, name, scramTruncate(attr))
	}
	if len(attr) == 2 {
		return "", scramErrorf("malformed %s: empty %c= attribute", msg, name)
	}
	return attr[2:], nil
}

// scramDecodeBase64 decodes standard padded base64, rejecting the line
// breaks encoding/base64 would otherwise skip.
func scramDecodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in base64")
	}
	return base64.StdEncoding.Strict().DecodeString(s)
}

// scramTruncate shortens hostile server text before it goes into an error.
func scramTruncate(s string) string {
	const limit = 64
	if len(s) > limit {
		return s[:limit] + "..."
	}
	return s
}

func scramHMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// scramPBKDF2 is PBKDF2-HMAC-SHA-256 (RFC 8018) with a 32-byte output, i.e.
// SCRAM's Hi(). crypto/pbkdf2 needs Go 1.24; go.mod says 1.21.
func scramPBKDF2(password, salt []byte, iterations int) [sha256.Size]byte {
	m := hmac.New(sha256.New, password)
	m.Write(salt)
	m.Write([]byte{0, 0, 0, 1})
	u := m.Sum(nil)
	var out [sha256.Size]byte
	copy(out[:], u)
	for i := 1; i < iterations; i++ {
		m.Reset()
		m.Write(u)
		u = m.Sum(u[:0])
		for j := range out {
			out[j] ^= u[j]
		}
	}
	return out
}

// tlsServerEndPoint returns the tls-server-end-point channel-binding data
// (RFC 5929 section 4.1) for the server's certificate: its DER encoding
// hashed with the hash of its signature algorithm, where MD5 and SHA-1 are
// replaced by SHA-256. Other algorithms (Ed25519, MD2, unknown) have no
// defined hash, so channel binding is impossible with such a certificate.
func tlsServerEndPoint(cert *x509.Certificate) ([]byte, error) {
	if cert == nil {
		return nil, scramErrorf("no server certificate for channel binding")
	}
	var h hash.Hash
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.DSAWithSHA256, x509.ECDSAWithSHA256:
		h = sha256.New()
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		h = sha512.New384()
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		h = sha512.New()
	default:
		return nil, scramErrorf("channel binding is not possible with a server certificate signed with %v (no tls-server-end-point hash)", cert.SignatureAlgorithm)
	}
	h.Write(cert.Raw)
	return h.Sum(nil), nil
}
