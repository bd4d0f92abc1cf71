package main

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// RFC 9325 section 4.2: TLS 1.2 with AEAD suites only.
func TestTLSRefusesCBCSuites(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startCampus(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	pem, _ := os.ReadFile(filepath.Join(dir, "tls", "cert.pem"))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	addr := strings.TrimPrefix(r.url, "https://")
	dial := func(suites ...uint16) error {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12, CipherSuites: suites})
		if err == nil {
			c.Close()
		}
		return err
	}
	for name, s := range map[string]uint16{
		"ECDHE-ECDSA-AES128-SHA": tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
		"ECDHE-ECDSA-AES256-SHA": tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		"ECDHE-RSA-AES128-SHA":   tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		"ECDHE-RSA-AES256-SHA":   tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		"AES256-SHA":             tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	} {
		if err := dial(s); err == nil {
			t.Errorf("TLS 1.2 handshake with only %s succeeded", name)
		}
	}
	if err := dial(tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256); err != nil {
		t.Errorf("TLS 1.2 with AES-GCM: %v", err)
	}
	if err := dial(tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256); err != nil {
		t.Errorf("TLS 1.2 with ChaCha20-Poly1305: %v", err)
	}
}

func TestStaticDirectoriesAreNotListed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startCampus(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	c := tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))
	for _, path := range []string{"/static/", "/idp/static/", "/static/.", "/idp/static/./"} {
		if res := get(t, c, r.url+path); res.status != http.StatusNotFound || strings.Contains(res.body, ".css") {
			t.Errorf("GET %s = %d:\n%s", path, res.status, res.body)
		}
	}
	for _, path := range []string{"/static/campus.css", "/idp/static/identity.css"} {
		if res := get(t, c, r.url+path); res.status != http.StatusOK {
			t.Errorf("GET %s = %d", path, res.status)
		}
	}
}
