package main

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"campus/internal/certs"
	"campus/internal/httpserver"
)

// load sends GETs to url from workers for d and reports requests per
// second and the 99th percentile latency.
func loadGen(b *testing.B, client *http.Client, url, token string, workers int, d time.Duration) (float64, time.Duration) {
	b.Helper()
	var mu sync.Mutex
	var lat []time.Duration
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("GET %s: %d", url, resp.StatusCode)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(lat)
	if len(lat) == 0 {
		return 0, 0
	}
	return float64(len(lat)) / d.Seconds(), lat[len(lat)*99/100]
}

// BenchmarkProgrammeTree compares GET /study/v1/programmes/{id} (the whole
// tree of the demo's B.Sc., with a JWT verified on every request) with a
// bare net/http handler returning a constant body of the same size over
// the same TLS, in the same run: the machine's ceiling.
//
//	go test -run '^$' -bench ProgrammeTree -benchtime 1x ./cmd/campus
func BenchmarkProgrammeTree(b *testing.B) {
	dir := b.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	e := env{getenv: envMap(map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_MFA_ROLES": "none"}), stdout: io.Discard, stderr: io.Discard,
		ready: func(u string) { ready <- u }}
	go runWith(ctx, e, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--demo", "--log-level", "error"})
	url := <-ready
	caCert := filepath.Join(dir, "tls", "cert.pem")
	client, err := certs.Client(caCert)
	if err != nil {
		b.Fatal(err)
	}
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64

	// A token from the real sign-in, and the B.Sc.'s id.
	p := &idp{running: &running{url: url}, dir: dir, issuer: url + "/idp", http: client}
	app := p.addClient(b, "--id", "bench", "--first-party", "--redirect-uri", "https://bench.uni.example/cb")
	tok, _ := newRP(b, p, app, oidc.ScopeOpenID).signIn(b, p, p.browser(b), "admin", adminPassword)
	list := studyAPI{t: b, p: p}.must(http.StatusOK, "GET", "/v1/programmes", nil)
	var id string
	for _, it := range list.body["items"].([]any) {
		if it.(map[string]any)["degree"] == "B.Sc." {
			id = it.(map[string]any)["id"].(string)
		}
	}
	treeURL := url + "/study/v1/programmes/" + id
	one := studyAPI{t: b, p: p, token: tok.AccessToken}.must(http.StatusOK, "GET", "/v1/programmes/"+id, nil)

	// The ceiling: a bare handler with a body of the same size, same TLS.
	body := []byte(one.raw)
	c, _, err := certs.SelfSigned(filepath.Join(dir, "tls"), []string{"localhost", "127.0.0.1", "::1"}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	bare := httpserver.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}), &tls.Config{Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go bare.ServeTLS(ln, "", "")
	defer bare.Close()
	bareURL := "https://" + ln.Addr().String() + "/"

	const workers, d = 32, 8 * time.Second
	loadGen(b, client, treeURL, tok.AccessToken, workers, time.Second) // warm up
	ceilRPS, ceilP99 := loadGen(b, client, bareURL, "", workers, d)
	rps, p99 := loadGen(b, client, treeURL, tok.AccessToken, workers, d)
	b.ReportMetric(float64(len(body)), "body-bytes")
	b.ReportMetric(ceilRPS, "bare-req/s")
	b.ReportMetric(float64(ceilP99.Microseconds())/1000, "bare-p99-ms")
	b.ReportMetric(rps, "tree-req/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "tree-p99-ms")
	b.ReportMetric(100*rps/ceilRPS, "%-of-ceiling")
}
