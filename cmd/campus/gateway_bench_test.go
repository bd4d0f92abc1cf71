package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"campus/internal/certs"
)

// BenchmarkGatewayKey compares a request with an API key through the
// portal's same-origin gateway (/api/study/..., the key checked at
// identity and remembered for a minute by the gateway and by the study
// service) with the same request sent straight to the study API with a
// JWT, in the same run against `campus serve --demo`: the B.Sc.'s whole
// tree.
//
//	go test -run '^$' -bench GatewayKey -benchtime 1x ./cmd/campus
func BenchmarkGatewayKey(b *testing.B) {
	dir := b.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	e := env{getenv: envMap(map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_MFA_ROLES": "none"}), stdout: io.Discard, stderr: io.Discard,
		ready: func(u string) { ready <- u }}
	go runWith(ctx, e, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--demo", "--log-level", "error"})
	url := <-ready
	client, err := certs.Client(filepath.Join(dir, "tls", "cert.pem"))
	if err != nil {
		b.Fatal(err)
	}
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64

	p := &idp{running: &running{url: url}, dir: dir, issuer: url + "/idp", http: client}
	app := p.addClient(b, "--id", "bench", "--first-party", "--redirect-uri", "https://bench.uni.example/cb")
	tok, _ := newRP(b, p, app, oidc.ScopeOpenID).signIn(b, p, p.browser(b), "admin", adminPassword)
	req, _ := http.NewRequest(http.MethodPost, url+"/idp/api/v1/me/api-keys", bytes.NewReader([]byte(`{"name":"bench"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var made struct {
		Key string `json:"key"`
	}
	json.NewDecoder(resp.Body).Decode(&made)
	resp.Body.Close()
	if made.Key == "" {
		b.Fatalf("no key: %s", resp.Status)
	}
	list := studyAPI{t: b, p: p}.must(http.StatusOK, "GET", "/v1/programmes", nil)
	var id string
	for _, it := range list.body["items"].([]any) {
		if it.(map[string]any)["degree"] == "B.Sc." {
			id = it.(map[string]any)["id"].(string)
		}
	}

	const workers, d = 32, 6 * time.Second
	direct, gateway := url+"/study/v1/programmes/"+id, url+"/api/study/v1/programmes/"+id
	loadGen(b, client, direct, tok.AccessToken, workers, time.Second) // warm up both paths
	loadGen(b, client, gateway, made.Key, workers, time.Second)
	jwtRPS, jwtP99 := loadGen(b, client, direct, tok.AccessToken, workers, d)
	keyRPS, keyP99 := loadGen(b, client, gateway, made.Key, workers, d)
	b.ReportMetric(jwtRPS, "jwt-direct-req/s")
	b.ReportMetric(float64(jwtP99.Microseconds())/1000, "jwt-direct-p99-ms")
	b.ReportMetric(keyRPS, "key-gateway-req/s")
	b.ReportMetric(float64(keyP99.Microseconds())/1000, "key-gateway-p99-ms")
	b.ReportMetric(100*(jwtRPS/keyRPS-1), "%-extra-cost")
}
