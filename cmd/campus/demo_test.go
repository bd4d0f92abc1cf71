package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"campus/internal/demo"
	identityservice "campus/internal/identity/service"
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

	// The demo's event: three polling stations' accounts, for the portal
	// only. Another application refuses them, after their PIN was checked.
	if demo.PortalClientID != identityservice.PortalClientID {
		t.Fatalf("the demo's portal client %q is not identity's %q", demo.PortalClientID, identityservice.PortalClientID)
	}
	ev := regexp.MustCompile(`(wahl-[a-z2-9]{8})\s+Polling station 1\s+([0-9]{8})`).FindStringSubmatch(r.stdout.String())
	if ev == nil || !strings.Contains(r.stdout.String(), `Accounts of the event "Student council election"`) {
		t.Fatalf("the demo event's accounts not printed:\n%s", r.stdout)
	}
	{
		b := p.browser(t)
		rp := newRP(t, p, app, oidc.ScopeOpenID)
		pg := getPage(t, b, rp.config.AuthCodeURL("st-event", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		pg = submitLogin(t, p, b, pg, ev[1], ev[2])
		if pg.location != nil && strings.HasPrefix(pg.location.String(), rp.config.RedirectURL) && pg.location.Query().Get("code") != "" {
			t.Fatal("an account of the demo event signed in to another application than the portal")
		}
		if !strings.Contains(pg.body, "does not give access") {
			t.Fatalf("the refusal does not say why (status %d):\n%s", pg.status, pg.body)
		}
	}

	// The messages service made the course groups from the demo's
	// enrolments and responsible staff (its first roster poll runs at
	// start): Ben is in his programme's group, whose admin is its lecturer.
	app2 := p.addClient(t, "--id", "demo-messages", "--first-party", "--redirect-uri", "https://check.uni.example/cb",
		"--scope", "openid,messages:read,messages:write")
	mtok, _ := newRP(t, p, app2, oidc.ScopeOpenID, "messages:read").signIn(t, p, p.browser(t), "ben.krueger", m[1])
	c := p.http
	var group map[string]any
	for deadline := time.Now().Add(30 * time.Second); group == nil; {
		status, _, raw := jsonCall(t, c, "GET", r.url+"/messages/v1/conversations?limit=100", mtok.AccessToken, nil)
		var list struct {
			Items []map[string]any `json:"items"`
		}
		if status != http.StatusOK || json.Unmarshal([]byte(raw), &list) != nil {
			t.Fatalf("conversations: %d %s", status, raw)
		}
		for _, it := range list.Items {
			if course, _ := it["course"].(map[string]any); it["kind"] == "course" && course["kind"] == "programme" {
				group = it
			}
		}
		if group == nil && time.Now().After(deadline) {
			t.Fatalf("no course group of Ben's programme: %s", raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
	status, _, raw := jsonCall(t, c, "GET", r.url+"/messages/v1/conversations/"+group["id"].(string), mtok.AccessToken, nil)
	var one struct {
		Members []struct{ ID, Role string } `json:"members"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(raw), &one) != nil || len(one.Members) < 4 {
		t.Fatalf("the course group: %d %s", status, raw)
	}
	admins := 0
	for _, m := range one.Members {
		if m.Role == "admin" {
			admins++
		}
	}
	if admins != 1 {
		t.Fatalf("the course group should have its lecturer as admin: %s", raw)
	}
}
