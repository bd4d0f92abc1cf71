package certs

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSelfSignedIsCreatedOnceAndReused(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tls")
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	hosts := []string{"localhost", "127.0.0.1", "::1"}

	c1, created, err := SelfSigned(dir, hosts, now)
	if err != nil || !created {
		t.Fatalf("first SelfSigned: created=%v err=%v", created, err)
	}
	leaf := c1.Leaf
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("certificate does not cover %s: %v", h, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key.pem mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}

	c2, created, err := SelfSigned(dir, hosts, now.Add(24*time.Hour))
	if err != nil || created {
		t.Fatalf("second SelfSigned: created=%v err=%v", created, err)
	}
	if !c2.Leaf.Equal(leaf) {
		t.Fatal("second start made a new certificate")
	}

	tests := []struct {
		name  string
		hosts []string
		at    time.Time
	}{
		{"near expiry", hosts, leaf.NotAfter.Add(-renewBefore / 2)},
		{"new host", append(hosts, "campus.example.org"), now},
	}
	for _, tt := range tests {
		c, created, err := SelfSigned(dir, tt.hosts, tt.at)
		if err != nil || !created || c.Leaf.Equal(leaf) {
			t.Errorf("%s: created=%v err=%v; want a new certificate", tt.name, created, err)
		}
	}
}

func TestSelfSignedRefusesBrokenFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cert.pem"), []byte("junk"), 0o644)
	os.WriteFile(filepath.Join(dir, "key.pem"), []byte("junk"), 0o600)
	_, _, err := SelfSigned(dir, []string{"localhost"}, time.Now())
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("SelfSigned over junk = %v; want an error naming %s", err, dir)
	}
}

func TestReloaderPicksUpRenewedCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(host string) *x509.Certificate {
		certPEM, keyPEM, err := newSelfSigned([]string{host}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := writeAtomic(keyFile, keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := writeAtomic(certFile, certPEM, 0o644); err != nil {
			t.Fatal(err)
		}
		c, _ := tls.X509KeyPair(certPEM, keyPEM)
		return c.Leaf
	}
	first := write("one.example")
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r, err := NewReloader(certFile, keyFile, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	get := func() *x509.Certificate {
		c, err := r.GetCertificate(nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.Leaf
	}
	if !get().Equal(first) {
		t.Fatal("reloader does not serve the first certificate")
	}

	second := write("two.example")
	if !get().Equal(first) {
		t.Fatal("reloader looked at the files before checkEvery passed")
	}
	clock = clock.Add(checkEvery)
	if !get().Equal(second) {
		t.Fatal("renewed certificate not picked up")
	}

	// A half-written renewal keeps the previous certificate in service.
	os.WriteFile(certFile, []byte("-----BEGIN CERTIFICATE-----\ntruncated"), 0o644)
	clock = clock.Add(checkEvery)
	if !get().Equal(second) {
		t.Fatal("broken files replaced the certificate in service")
	}
}

func TestNewReloaderNamesTheMissingFile(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope.pem")
	_, err := NewReloader(missing, missing, slog.Default(), time.Now)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("NewReloader = %v; want an error naming %s", err, missing)
	}
}

func TestClientConfigTrustsCAFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, _, err := SelfSigned(dir, []string{"localhost"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	cfg, err := ClientConfig(filepath.Join(dir, "cert.pem"))
	if err != nil || cfg.RootCAs == nil {
		t.Fatalf("ClientConfig: %v", err)
	}
	if _, err := ClientConfig(filepath.Join(dir, "key.pem")); err == nil {
		t.Fatal("ClientConfig accepted a file without certificates")
	}
}
