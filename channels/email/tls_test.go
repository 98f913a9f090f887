package email_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/notifyd/notifyd/channels/email"
	"github.com/notifyd/notifyd/internal/testmailpit"
)

func TestTLSModes(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSignedCert(t)
	tests := []struct {
		name    string
		flag    string // Mailpit flag that makes TLS mandatory
		url     func(addr string) string
		trusted bool
		config  bool // want a permanent configuration error
	}{
		{name: "starttls", flag: "--smtp-require-starttls", trusted: true,
			url: func(a string) string { return "smtp://notifyd:secret@" + a + "?tls=starttls" }},
		{name: "implicit", flag: "--smtp-require-tls", trusted: true,
			url: func(a string) string { return "smtps://notifyd:secret@" + a }},
		{name: "untrusted certificate", flag: "--smtp-require-starttls", config: true,
			url: func(a string) string { return "smtp://notifyd:secret@" + a }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mp := testmailpit.Start(t, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, tc.flag)
			cfg := email.Config{URL: tc.url(mp.SMTPAddr()), TLSConfig: &tls.Config{}}
			if tc.trusted {
				cfg.TLSConfig.RootCAs = pool
			}
			s := newSender(t, cfg)
			_, err := s.Send(context.Background(), message("ntf_tls"))
			if tc.config {
				if ce := asChannelError(t, err); !ce.Permanent || !ce.Config {
					t.Fatalf("err = %v, want a permanent configuration error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if n := mp.Count(t); n != 1 {
				t.Errorf("mailpit has %d messages, want 1", n)
			}
		})
	}
}

// selfSignedCert writes a certificate for 127.0.0.1 and returns its files and a pool
// that trusts it.
func selfSignedCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)
	return certFile, keyFile, pool
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
