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
// newer, forward-secret AEAD cipher suites only, HTTP/2.
func ServerConfig(getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		CipherSuites:   CipherSuites,
		GetCertificate: getCert,
		NextProtos:     []string{"h2", "http/1.1"},
	}
}

// CipherSuites are the TLS 1.2 suites campus offers: ECDHE key exchange
// with AES-GCM or ChaCha20-Poly1305 (RFC 9325 section 4.2). Go's default
// list still has the CBC suites (ECDHE-*-AES128-SHA, AES256-SHA), which
// RFC 9325 only tolerates. TLS 1.3's suites are all AEAD and not
// configurable. HTTP/2 requires one of the GCM suites (RFC 9113 section
// 9.2.2); both are here.
var CipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
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
