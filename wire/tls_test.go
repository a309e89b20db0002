package wire

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCert makes a self-signed ECDSA certificate for localhost and
// 127.0.0.1 (server and client use); f may adjust the template.
func testCert(t *testing.T, f func(*x509.Certificate)) tls.Certificate {
	t.Helper()
	cert, _, _ := testCertPEM(t, f)
	return cert
}

// testCertPEM is testCert with the PEM of the certificate and of its
// PKCS#8 key.
func testCertPEM(t *testing.T, f func(*x509.Certificate)) (tls.Certificate, []byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if f != nil {
		f(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key
}

func writeFile(t *testing.T, dir, name string, data []byte, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// Direct TLS refuses a server that does not select ALPN "postgresql".
func TestTLSDirectRequiresALPN(t *testing.T) {
	cert := testCert(t, nil)
	for _, tc := range []struct {
		name string
		alpn []string
		ok   bool
	}{
		{"no ALPN", nil, false},
		{"postgresql", []string{"postgresql"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newAuthServer(t, func(s *authServer) error { s.ok(); return s.drain() })
			s.tlsCert, s.direct, s.alpn = &cert, true, tc.alpn
			s.start()
			cfg := s.config()
			cfg.SSLMode, cfg.SSLNegotiation = SSLRequire, SSLNegotiationDirect
			err := connectAuth(t, s, cfg)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "ALPN") {
				t.Fatalf("Connect: %v, want an ALPN protocol error", err)
			}
		})
	}
}

func TestTLSClientCertificate(t *testing.T) {
	dir := t.TempDir()
	_, certPEM, key := testCertPEM(t, func(c *x509.Certificate) { c.Subject.CommonName = "u" })
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile := writeFile(t, dir, "c.crt", certPEM, 0o644)
	keyFile := writeFile(t, dir, "c.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	server := testCert(t, nil)

	run := func(t *testing.T, mode SSLCertMode, request bool) ([]*x509.Certificate, error) {
		s := newAuthServer(t, func(s *authServer) error { s.ok(); return s.drain() })
		s.tlsCert = &server
		if request {
			s.tlsConf = func(tc *tls.Config) { tc.ClientAuth = tls.RequestClientCert }
		}
		s.start()
		cfg := s.config()
		cfg.SSLMode, cfg.SSLCert, cfg.SSLKey, cfg.SSLCertMode = SSLRequire, certFile, keyFile, mode
		err := connectAuth(t, s, cfg)
		return s.peer, err
	}
	t.Run("sent when asked", func(t *testing.T) {
		peer, err := run(t, SSLCertAllow, true)
		if err != nil || len(peer) != 1 || peer[0].Subject.CommonName != "u" {
			t.Fatalf("peer %v, err %v: want the client certificate", peer, err)
		}
	})
	t.Run("sslcertmode=disable", func(t *testing.T) {
		peer, err := run(t, SSLCertDisable, true)
		if err != nil || len(peer) != 0 {
			t.Fatalf("peer %v, err %v: want no client certificate", peer, err)
		}
	})
	t.Run("sslcertmode=require, server does not ask", func(t *testing.T) {
		_, err := run(t, SSLCertRequire, false)
		if !errors.Is(err, ErrClientCertificate) {
			t.Fatalf("err %v, want ErrClientCertificate", err)
		}
	})
	t.Run("sslcertmode=require, server asks", func(t *testing.T) {
		if _, err := run(t, SSLCertRequire, true); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLoadClientCert(t *testing.T) {
	dir := t.TempDir()
	_, certPEM, key := testCertPEM(t, nil)
	certFile := writeFile(t, dir, "c.crt", certPEM, 0o644)
	sec1, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	//lint:ignore SA1019 making a legacy encrypted key, the format sslpassword supports
	enc, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", sec1, []byte("key pw"), x509.PEMCipherAES256)
	if err != nil {
		t.Fatal(err)
	}
	plain := writeFile(t, dir, "plain.key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), 0o600)
	encrypted := writeFile(t, dir, "enc.key", pem.EncodeToMemory(enc), 0o600)
	pkcs8enc := writeFile(t, dir, "p8.key", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}}), 0o600)
	open := writeFile(t, dir, "open.key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), 0o644)

	for _, tc := range []struct {
		name, key, password, wantErr string
	}{
		{"plain", plain, "", ""},
		{"legacy encrypted", encrypted, "key pw", ""},
		{"legacy encrypted, no password", encrypted, "", "is encrypted: set sslpassword"},
		{"legacy encrypted, wrong password", encrypted, "nope pw", "cannot decrypt it with sslpassword"},
		{"PKCS#8 encrypted", pkcs8enc, "key pw", "PKCS#8-encrypted keys are not supported"},
		{"readable by others", open, "", "group or world access"},
		{"missing", filepath.Join(dir, "none.key"), "", "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kp, err := loadClientCert(certFile, tc.key, tc.password)
			if tc.wantErr == "" {
				if err != nil || len(kp.Certificate) != 1 {
					t.Fatalf("loadClientCert: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrClientCertificate) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("loadClientCert: %v, want ErrClientCertificate with %q", err, tc.wantErr)
			}
			if tc.password != "" && strings.Contains(err.Error(), tc.password) {
				t.Errorf("error quotes sslpassword: %v", err)
			}
		})
	}
}
