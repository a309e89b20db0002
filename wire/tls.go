package wire

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
)

// alpnPostgres is the ALPN protocol of direct TLS (PostgreSQL 17+).
const alpnPostgres = "postgresql"

func (c *Conn) negotiateTLS() error {
	mode := c.cfg.SSLMode
	if mode == "" {
		mode = SSLPrefer
	}
	if mode == SSLDisable || c.conn.LocalAddr().Network() == "unix" {
		if mode == SSLRequire || mode == SSLVerifyCA || mode == SSLVerifyFull {
			if c.conn.LocalAddr().Network() == "unix" {
				return fmt.Errorf("wire: sslmode %s over a Unix socket: the server offers no TLS there", mode)
			}
		}
		return nil
	}
	tc, cs, err := c.tlsConfig(mode)
	if err != nil {
		return err
	}
	if c.cfg.SSLNegotiation == SSLNegotiationDirect {
		// PostgreSQL 17+: TLS at once, with ALPN "postgresql". A server
		// that does not select it is refused: it may be another protocol's
		// server tricked into talking to us (libpq does the same).
		tc.NextProtos = []string{alpnPostgres}
		if err := c.handshake(tc, cs); err != nil {
			return err
		}
		if p := c.conn.(*tls.Conn).ConnectionState().NegotiatedProtocol; p != alpnPostgres {
			return fmt.Errorf("%w: direct TLS: the server selected ALPN protocol %q, want %q (not a PostgreSQL 17+ server?)", ErrProtocol, p, alpnPostgres)
		}
		return nil
	}
	if err := c.write(appendSSLRequest(nil)); err != nil {
		return err
	}
	// Read exactly one byte: anything after it must come through TLS
	// (CVE-2021-23222).
	var answer [1]byte
	if _, err := io.ReadFull(c.conn, answer[:]); err != nil {
		return fmt.Errorf("wire: SSLRequest: %w", err)
	}
	switch answer[0] {
	case 'S':
		return c.handshake(tc, cs)
	case 'N':
		if mode == SSLPrefer {
			return nil
		}
		return fmt.Errorf("wire: sslmode %s, but the server does not accept TLS", mode)
	case 'E':
		// An error before TLS is not shown: it cannot be trusted
		// (CVE-2024-10977).
		return fmt.Errorf("%w: the server answered SSLRequest with an error message", ErrProtocol)
	}
	return fmt.Errorf("%w: answer %q to SSLRequest", ErrProtocol, answer[0])
}

// clientCertState follows the client certificate through a handshake, for
// sslcertmode=require.
type clientCertState struct {
	mode      SSLCertMode
	requested bool // the server sent a CertificateRequest
	sent      bool // a certificate was offered in reply
}

func (c *Conn) tlsConfig(mode SSLMode) (*tls.Config, *clientCertState, error) {
	cs := &clientCertState{mode: c.cfg.SSLCertMode}
	if c.cfg.TLSConfig != nil {
		return c.cfg.TLSConfig.Clone(), cs, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	host, _, _ := net.SplitHostPort(c.conn.RemoteAddr().String())
	if c.cfg.Host != "" && !strings.HasPrefix(c.cfg.Host, "/") && !strings.HasPrefix(c.cfg.Host, "@") {
		host = c.cfg.Host
	}
	tc.ServerName = host
	var roots *x509.CertPool
	if c.cfg.SSLRootCert != "" {
		pem, err := os.ReadFile(c.cfg.SSLRootCert)
		if err != nil {
			return nil, nil, fmt.Errorf("wire: sslrootcert: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("wire: sslrootcert %s: no PEM certificates", c.cfg.SSLRootCert)
		}
		tc.RootCAs = roots
	}
	switch mode {
	case SSLPrefer, SSLRequire:
		// Encryption without authentication of the server, like libpq
		// (unless a root certificate was given: then verify-ca).
		tc.InsecureSkipVerify = true
		if roots != nil {
			tc.VerifyPeerCertificate = verifyChain(roots)
		}
	case SSLVerifyCA:
		tc.InsecureSkipVerify = true // the chain is checked, the name is not
		if roots == nil {
			sys, err := x509.SystemCertPool()
			if err != nil {
				return nil, nil, fmt.Errorf("wire: sslmode verify-ca: %w", err)
			}
			roots = sys
		}
		tc.VerifyPeerCertificate = verifyChain(roots)
	case SSLVerifyFull:
	}
	var cert *tls.Certificate
	if c.cfg.SSLCert != "" && cs.mode != SSLCertDisable {
		kp, err := loadClientCert(c.cfg.SSLCert, c.cfg.SSLKey, c.cfg.SSLPassword)
		if err != nil {
			return nil, nil, err
		}
		cert = &kp
	}
	tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		cs.requested = true
		if cert == nil {
			return &tls.Certificate{}, nil // none: the server decides
		}
		cs.sent = true
		return cert, nil
	}
	return tc, cs, nil
}

// ErrClientCertificate: the client certificate or key (sslcert, sslkey,
// sslpassword) cannot be used.
var ErrClientCertificate = errors.New("wire: client certificate")

// loadClientCert reads a PEM certificate (chain) and its PEM private key.
// A key encrypted with legacy PEM encryption ("Proc-Type: 4,ENCRYPTED", as
// openssl's -traditional -aes256 writes) is decrypted with password; a
// PKCS#8-encrypted key ("ENCRYPTED PRIVATE KEY") is not supported, as Go's
// standard library cannot decrypt it. The key file must not be readable by
// others (see checkKeyFilePerm), as libpq requires.
func loadClientCert(certFile, keyFile, password string) (tls.Certificate, error) {
	fail := func(format string, args ...any) (tls.Certificate, error) {
		return tls.Certificate{}, fmt.Errorf("%w: %s", ErrClientCertificate, fmt.Sprintf(format, args...))
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return fail("sslcert: %v", err)
	}
	if keyFile == "" {
		return fail("sslcert %s given without sslkey", certFile)
	}
	if err := checkKeyFilePerm(keyFile); err != nil {
		return fail("sslkey: %v", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return fail("sslkey: %v", err)
	}
	var block *pem.Block
	for rest := keyPEM; ; {
		block, rest = pem.Decode(rest)
		if block == nil {
			return fail("sslkey %s: no PEM private key", keyFile)
		}
		if strings.HasSuffix(block.Type, "PRIVATE KEY") {
			break
		}
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" {
		return fail("sslkey %s: PKCS#8-encrypted keys are not supported (Go's standard library cannot decrypt them); "+
			"decrypt it, or re-encrypt it with legacy PEM encryption (openssl pkey -traditional -aes256)", keyFile)
	}
	//lint:ignore SA1019 legacy PEM encryption is the only encrypted key format the standard library reads; it is what sslpassword decrypts here.
	if x509.IsEncryptedPEMBlock(block) {
		if password == "" {
			return fail("sslkey %s is encrypted: set sslpassword", keyFile)
		}
		//lint:ignore SA1019 see above
		der, err := x509.DecryptPEMBlock(block, []byte(password))
		if err != nil {
			return fail("sslkey %s: cannot decrypt it with sslpassword (wrong password?)", keyFile)
		}
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der})
	} else {
		keyPEM = pem.EncodeToMemory(block)
	}
	kp, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fail("sslcert %s / sslkey %s: %v", certFile, keyFile, err)
	}
	return kp, nil
}

// verifyChain checks the server's chain against roots, not its name.
func verifyChain(roots *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("wire: server sent no certificate")
		}
		certs := make([]*x509.Certificate, len(raw))
		for i, r := range raw {
			cert, err := x509.ParseCertificate(r)
			if err != nil {
				return err
			}
			certs[i] = cert
		}
		inter := x509.NewCertPool()
		for _, cert := range certs[1:] {
			inter.AddCert(cert)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
		return err
	}
}

func (c *Conn) handshake(tc *tls.Config, cs *clientCertState) error {
	t := tls.Client(c.conn, tc)
	if err := t.Handshake(); err != nil {
		return fmt.Errorf("wire: TLS handshake: %w", err)
	}
	c.conn = t
	c.tls = true
	if cs.mode == SSLCertRequire && !(cs.requested && cs.sent) {
		if !cs.requested {
			return fmt.Errorf("%w: sslcertmode=require, but the server did not ask for a client certificate", ErrClientCertificate)
		}
		return fmt.Errorf("%w: sslcertmode=require, but no client certificate was configured", ErrClientCertificate)
	}
	return nil
}
