package certs

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// ServerConfig is the TLS configuration campus serves with: TLS 1.2 or
// newer, Go's default (forward-secret, AEAD) cipher suites, HTTP/2.
func ServerConfig(getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: getCert,
		NextProtos:     []string{"h2", "http/1.1"},
	}
}

// Static serves one fixed certificate.
func Static(c tls.Certificate) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &c, nil }
}

// ACME returns a TLS configuration that obtains and renews certificates for
// domains from Let's Encrypt, caching them in cacheDir. The TLS-ALPN-01
// challenge is answered on the same port, so that port must be reachable
// from the internet as 443.
func ACME(domains []string, email, cacheDir string) (*tls.Config, *autocert.Manager) {
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(cacheDir),
		HostPolicy: autocert.HostWhitelist(domains...),
		Email:      email,
	}
	cfg := ServerConfig(m.GetCertificate)
	cfg.NextProtos = append(cfg.NextProtos, acme.ALPNProto)
	return cfg, m
}

// ClientConfig is the TLS configuration for calling another campus service:
// the system roots plus, when caFile is set, the certificates in it (an
// internal CA, or another service's self-signed certificate).
func ClientConfig(caFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("CA file %s: %w", caFile, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s: no PEM certificate in it", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// Client is an HTTP client for calling another campus service over TLS
// with the given CA file (empty for the system roots).
func Client(caFile string) (*http.Client, error) {
	tc, err := ClientConfig(caFile)
	if err != nil {
		return nil, err
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tc
	t.MaxIdleConnsPerHost = 32
	return &http.Client{Transport: t, Timeout: 15 * time.Second}, nil
}

// SelfSignedDir is where the self-signed certificate lives in a data dir.
func SelfSignedDir(dataDir string) string { return filepath.Join(dataDir, "tls") }
