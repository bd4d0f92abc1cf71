package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"campus/internal/config"
)

// runHealthcheck asks a running campus whether it is ready (GET /readyz)
// and exits 0 only on 200: the container image's HEALTHCHECK, which has
// no curl.
func runHealthcheck(ctx context.Context, e env, args []string) error {
	var target string
	var timeout time.Duration
	s := config.NewSet("healthcheck", "Ask a running campus whether it is ready (GET /readyz); exit status 0 when it is. For container health checks.")
	s.String(&target, "healthcheck.url", "url", "CAMPUS_HEALTHCHECK_URL", "https://127.0.0.1:8443/readyz",
		"The readiness URL; on a loopback address the certificate is not checked (campus's own self-signed one)")
	s.Duration(&timeout, "healthcheck.timeout", "timeout", "CAMPUS_HEALTHCHECK_TIMEOUT", "5s", "How long to wait for the answer")
	if err := load(s, e, args); err != nil {
		return err
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return &config.UsageError{Command: "healthcheck", Problems: []string{fmt.Sprintf("--url %q: want an http(s) URL, as https://127.0.0.1:8443/readyz", target)}}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
		// The probe sends nothing secret and runs beside the server, whose
		// certificate may be the self-signed one of its data directory.
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // loopback only, see above
	}
	client := &http.Client{Transport: transport, Timeout: timeout}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s %s", resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(e.stdout, "ready")
	return nil
}
