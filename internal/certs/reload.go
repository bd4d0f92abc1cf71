package certs

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// checkEvery bounds how often the files are looked at: a stat per
// handshake would be wasted work, a renewal seen within seconds is plenty.
const checkEvery = 2 * time.Second

// Reloader serves a certificate from a pair of PEM files and picks up new
// files (a renewed certificate) without a restart. A pair that fails to
// load is logged and the previous certificate is kept.
type Reloader struct {
	certFile, keyFile string
	logger            *slog.Logger
	now               func() time.Time

	mu        sync.Mutex
	cert      *tls.Certificate
	stamp     string
	lastCheck time.Time
}

// NewReloader loads the pair once; an error names the file at fault.
func NewReloader(certFile, keyFile string, logger *slog.Logger, now func() time.Time) (*Reloader, error) {
	r := &Reloader{certFile: certFile, keyFile: keyFile, logger: logger, now: now}
	stamp, err := r.fileStamp()
	if err != nil {
		return nil, err
	}
	c, err := loadPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	r.cert, r.stamp, r.lastCheck = c, stamp, now()
	return r, nil
}

func loadPair(certFile, keyFile string) (*tls.Certificate, error) {
	if _, err := os.ReadFile(certFile); err != nil {
		return nil, fmt.Errorf("TLS certificate %s: %w", certFile, err)
	}
	if _, err := os.ReadFile(keyFile); err != nil {
		return nil, fmt.Errorf("TLS key %s: %w", keyFile, err)
	}
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s with key %s: %w", certFile, keyFile, err)
	}
	return &c, nil
}

// fileStamp changes whenever either file is replaced or rewritten.
func (r *Reloader) fileStamp() (string, error) {
	ci, err := os.Stat(r.certFile)
	if err != nil {
		return "", fmt.Errorf("TLS certificate %s: %w", r.certFile, err)
	}
	ki, err := os.Stat(r.keyFile)
	if err != nil {
		return "", fmt.Errorf("TLS key %s: %w", r.keyFile, err)
	}
	return fmt.Sprint(ci.ModTime().UnixNano(), ci.Size(), ki.ModTime().UnixNano(), ki.Size()), nil
}

// GetCertificate is for tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.now(); now.Sub(r.lastCheck) >= checkEvery {
		r.lastCheck = now
		r.reloadLocked()
	}
	return r.cert, nil
}

func (r *Reloader) reloadLocked() {
	stamp, err := r.fileStamp()
	if err != nil {
		r.logger.Warn("TLS certificate files unreadable; serving the previous certificate", "err", err)
		return
	}
	if stamp == r.stamp {
		return
	}
	c, err := loadPair(r.certFile, r.keyFile)
	if err != nil {
		// Often a renewal writes the certificate and the key one after the
		// other; the next check sees the finished pair.
		r.logger.Warn("new TLS certificate does not load yet; serving the previous one", "err", err)
		return
	}
	r.cert, r.stamp = c, stamp
	r.logger.Info("TLS certificate reloaded", "cert", r.certFile, "not_after", c.Leaf.NotAfter)
}
