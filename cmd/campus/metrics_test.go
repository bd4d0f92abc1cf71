package main

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"campus/internal/metrics"
)

var metricsURL = regexp.MustCompile(`msg="serving metrics" url=(http://\S+/metrics)`)

// scrape reads /metrics as Prometheus would and parses it.
func scrape(t *testing.T, u string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("scrape: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape: not the Prometheus text format: %v", err)
	}
	return fams
}

// metricValue is the value of the sample of family name with at least
// labels (name, value, ...); -1 when there is none.
func metricValue(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
next:
	for _, m := range fams[name].GetMetric() {
		for i := 0; i < len(labels); i += 2 {
			if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == labels[i] && l.GetValue() == labels[i+1] }) {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			return m.Untyped.GetValue()
		}
	}
	return -1
}

// TestMetricsScrape runs campus serve with --metrics-addr, signs in
// wrongly until an account locks, signs in rightly, calls the study API,
// makes a backup, and reads the figures back from /metrics.
func TestMetricsScrape(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "6000",
		"CAMPUS_MAX_LOGIN_ATTEMPTS": "2"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir, "--metrics-addr", "127.0.0.1:0", "--backup-at", "off")
	m := metricsURL.FindStringSubmatch(r.stderr.String())
	if m == nil {
		t.Fatalf("no metrics URL in the log:\n%s", r.stderr)
	}
	scrapeURL := m[1]
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}

	app := p.addClient(t, "--id", "wiki", "--first-party", "--redirect-uri", "https://wiki.uni.example/callback", "--scope", "openid")
	p.addUser(t, "mia", "mia-Passwort-2026")
	rp := newRP(t, p, app, oidc.ScopeOpenID)
	// Two wrong passwords lock mia (--max-login-attempts 2).
	b := p.browser(t)
	for range 2 {
		pg := getPage(t, b, rp.config.AuthCodeURL("st-wrong"))
		if pg = submitLogin(t, p, b, pg, "mia", "wrong-password"); pg.status != http.StatusUnauthorized {
			t.Fatalf("wrong password: status %d", pg.status)
		}
	}
	tok, _ := rp.signIn(t, p, p.browser(t), "admin", adminPassword)
	if tok.AccessToken == "" {
		t.Fatal("no access token")
	}
	for _, path := range []string{"/study/healthz", "/study/v1/programmes/no-such-programme", "/study/no/such/path/12345"} {
		get(t, p.http, r.url+path)
	}
	if out, err := campusCmd(t, "backup", "--data", dir); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}

	f := scrape(t, scrapeURL)
	tests := []struct {
		name   string
		family string
		labels []string
		want   float64
	}{
		{"failed sign-ins", metrics.SignIns, []string{"outcome", "failure"}, 2},
		{"successful sign-ins", metrics.SignIns, []string{"outcome", "success"}, 1},
		{"lockouts", metrics.Lockouts, nil, 1},
		{"audited lock", metrics.AuditEvents, []string{"action", "lock", "outcome", "success"}, 1},
		{"code grant tokens", metrics.TokensIssued, []string{"grant", "authorization_code"}, 1},
		{"sign-in form posts refused", metrics.HTTPRequests, []string{"service", "identity", "route", "POST /login", "method", "POST", "code", "401"}, 2},
		{"sign-in form post accepted", metrics.HTTPRequests, []string{"service", "identity", "route", "POST /login", "method", "POST", "code", "303"}, 1},
		{"study probe", metrics.HTTPRequests, []string{"service", "study", "route", "GET /healthz", "code", "200"}, 1},
		{"duration of the study probe", metrics.HTTPRequestDuration, []string{"service", "study", "route", "GET /healthz", "method", "GET"}, 1},
		{"study 404 under the catch-all", metrics.HTTPRequests, []string{"service", "study", "route", "/", "code", "404"}, 1},
		{"nothing in flight but the scrape's", metrics.HTTPInFlight, []string{"service", "study"}, 0},
		{"identity write pool", metrics.DBMaxOpenConnections, []string{"service", "identity", "pool", "write"}, 1},
		{"messages read pool", metrics.DBConnections, []string{"service", "messages", "pool", "read", "state", "in_use"}, 0},
		{"mail outbox, nothing given up", metrics.OutboxEntries, []string{"service", "identity", "outbox", "mail", "state", "failed"}, 0},
		{"logout outbox, nothing waiting", metrics.OutboxEntries, []string{"service", "identity", "outbox", "logout", "state", "pending"}, 0},
		{"study's notices outbox, nothing given up", metrics.OutboxEntries, []string{"service", "study", "outbox", "notices", "state", "failed"}, 0},
		{"the backup made", metrics.Backups, nil, 1},
		{"build", metrics.BuildInfo, []string{"version", version}, 1},
	}
	for _, tt := range tests {
		if got := metricValue(f, tt.family, tt.labels...); got != tt.want {
			t.Errorf("%s: %s%v = %v, want %v", tt.name, tt.family, tt.labels, got, tt.want)
		}
	}
	// Every token the token endpoint answered with is counted by its grant
	// (the services of the process get theirs with client credentials).
	var issued float64
	for _, s := range f[metrics.TokensIssued].GetMetric() {
		issued += s.GetCounter().GetValue()
	}
	if v := metricValue(f, metrics.HTTPRequests, "service", "identity", "route", "/oauth/token", "method", "POST", "code", "200"); v != issued || v < 1 {
		t.Errorf("token endpoint answered %v times, %s adds up to %v", v, metrics.TokensIssued, issued)
	}
	if v := metricValue(f, metrics.HTTPRequests, "service", "study", "route", "GET /v1/programmes/{id}", "code", "404"); v < 1 {
		t.Errorf("study API route by pattern: %v\n%v", v, f[metrics.HTTPRequests])
	}
	if made := metricValue(f, metrics.BackupNewestTimestamp); time.Since(time.Unix(int64(made), 0)) > time.Minute {
		t.Errorf("%s = %v, want about now", metrics.BackupNewestTimestamp, made)
	}
	if v := metricValue(f, "go_goroutines"); v <= 0 {
		t.Errorf("go_goroutines = %v: no runtime metrics", v)
	}
	for _, fam := range f {
		for _, s := range fam.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "route" && (strings.Contains(l.GetValue(), "no-such") || strings.Contains(l.GetValue(), "12345")) {
					t.Errorf("a raw path as a route label: %s %v", fam.GetName(), s.GetLabel())
				}
			}
		}
	}

	// The listener answers GET /metrics and nothing else, and ends with
	// the server.
	if resp, err := http.Get(strings.TrimSuffix(scrapeURL, "/metrics") + "/healthz"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /healthz on the metrics listener: %v %v", resp, err)
	}
	if resp, err := http.PostForm(scrapeURL, url.Values{}); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %v %v", resp, err)
	}
	if err := r.stop(); err != nil {
		t.Fatalf("campus stopped with %v", err)
	}
	c := &http.Client{Timeout: 2 * time.Second}
	if resp, err := c.Get(scrapeURL); err == nil {
		resp.Body.Close()
		t.Errorf("the metrics listener outlived the server: %s", resp.Status)
	}
}

// TestMetricsOffByDefault: without --metrics-addr nothing listens and the
// log says nothing of metrics.
func TestMetricsOffByDefault(t *testing.T) {
	t.Parallel()
	r := startCampus(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--backup-at", "off")
	if strings.Contains(r.stderr.String(), "serving metrics") {
		t.Errorf("metrics mentioned without --metrics-addr:\n%s", r.stderr)
	}
}

func TestMetricsAddrValidated(t *testing.T) {
	t.Parallel()
	err := runWith(t.Context(), env{getenv: envMap(nil), stdout: &syncBuffer{}, stderr: &syncBuffer{}},
		[]string{"study", "--data", t.TempDir(), "--metrics-addr", "9090"})
	if err == nil || !strings.Contains(fmt.Sprint(err), "--metrics-addr") {
		t.Errorf("--metrics-addr 9090: %v, want a usage error naming it", err)
	}
}
