package main

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
)

func TestServeDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_SIGN_INS_PER_IP_MINUTE": "600"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir, "--demo")
	m := regexp.MustCompile(`ben\.krueger\s+student\s+B\.Sc\. Computer Science\s+(\S+)`).FindStringSubmatch(r.stdout.String())
	if m == nil {
		t.Fatalf("demo credentials not printed:\n%s", r.stdout)
	}
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}

	// The public catalogue shows both programmes with shared modules.
	anon := studyAPI{t: t, p: p}
	list := anon.must(http.StatusOK, "GET", "/v1/programmes", nil)
	if items := list.body["items"].([]any); len(items) != 2 {
		t.Fatalf("programmes: %s", list.raw)
	}
	if mods := anon.must(http.StatusOK, "GET", "/v1/modules?limit=200", nil); len(mods.body["items"].([]any)) != 30 {
		t.Fatalf("modules: %d", len(mods.body["items"].([]any)))
	}

	// A demo student signs in and sees grades and earned credits.
	app := p.addClient(t, "--id", "demo-check", "--first-party", "--redirect-uri", "https://check.uni.example/cb")
	tok, _ := newRP(t, p, app, oidc.ScopeOpenID).signIn(t, p, p.browser(t), "ben.krueger", m[1])
	ben := studyAPI{t: t, p: p, token: tok.AccessToken}
	grades := ben.must(http.StatusOK, "GET", "/v1/me/grades", nil)
	progs := grades.body["programmes"].([]any)
	if len(grades.body["records"].([]any)) < 20 || len(progs) != 1 || progs[0].(map[string]any)["credits_earned"].(float64) < 60 {
		t.Fatalf("ben's grades: %d records, %v", len(grades.body["records"].([]any)), progs)
	}
	if !strings.Contains(grades.raw, `"status":"passed"`) {
		t.Fatal("no passed module in the overview")
	}
}
