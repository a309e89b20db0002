package wire

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
)

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
	tc, err := c.tlsConfig(mode)
	if err != nil {
		return err
	}
	if c.cfg.SSLNegotiation == "direct" {
		// PostgreSQL 17+: TLS at once, with ALPN "postgresql".
		tc.NextProtos = []string{"postgresql"}
		return c.handshake(tc)
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
		return c.handshake(tc)
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

func (c *Conn) tlsConfig(mode SSLMode) (*tls.Config, error) {
	if c.cfg.TLSConfig != nil {
		return c.cfg.TLSConfig.Clone(), nil
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
			return nil, fmt.Errorf("wire: sslrootcert: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("wire: sslrootcert %s: no PEM certificates", c.cfg.SSLRootCert)
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
				return nil, fmt.Errorf("wire: sslmode verify-ca: %w", err)
			}
			roots = sys
		}
		tc.VerifyPeerCertificate = verifyChain(roots)
	case SSLVerifyFull:
	}
	return tc, nil
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

func (c *Conn) handshake(tc *tls.Config) error {
	t := tls.Client(c.conn, tc)
	if err := t.Handshake(); err != nil {
		return fmt.Errorf("wire: TLS handshake: %w", err)
	}
	c.conn = t
	c.tls = true
	return nil
}

// authenticate runs the exchange the server asks for.
