package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"campus/internal/config"
	"campus/internal/devicelogin"
	identityservice "campus/internal/identity/service"
)

// codeWatcher is a command's stderr that reports the user code campus
// login shows.
type codeWatcher struct {
	syncBuffer
	code chan string
}

var shownCode = regexp.MustCompile(`enter the code ([A-Z]{4}-[A-Z]{4})`)

func (w *codeWatcher) Write(p []byte) (int, error) {
	n, err := w.syncBuffer.Write(p)
	if m := shownCode.FindStringSubmatch(w.String()); m != nil {
		select {
		case w.code <- m[1]:
		default:
		}
	}
	return n, err
}

// approveDevice signs in on identity's verification page as the person
// would (a browser of its own) and approves the code.
func approveDevice(t *testing.T, p *idp, code, username, pw string) {
	t.Helper()
	b := p.browser(t)
	csrfOf := func(pg page) string {
		m := formCSRF.FindStringSubmatch(pg.body)
		if m == nil {
			t.Fatalf("no form (status %d):\n%s", pg.status, pg.body)
		}
		return m[1]
	}
	pg := getPage(t, b, p.issuer+"/device?user_code="+url.QueryEscape(code))
	post := func(form url.Values) page {
		req, _ := http.NewRequest(http.MethodPost, p.issuer+"/device", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return visit(t, b, req)
	}
	pg = post(url.Values{"csrf": {csrfOf(pg)}, "step": {"code"}, "user_code": {code}})
	pg = post(url.Values{"csrf": {csrfOf(pg)}, "step": {"approve"}, "user_code": {code}, "decision": {"approve"},
		"username": {username}, "password": {pw}})
	if pg.status != http.StatusOK || !strings.Contains(pg.body, "Device connected") {
		t.Fatalf("approval: %d\n%s", pg.status, pg.body)
	}
}

// TestLoginTokenScript is the README's three commands: campus login URL
// --write (approved in a browser by an administrator), TOKEN=$(campus
// token URL), and a programme created with it.
func TestLoginTokenScript(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A study token lifetime other than the default: the token follows it.
	r := startCampus(t, map[string]string{"CAMPUS_ADMIN_PASSWORD": adminPassword, "CAMPUS_DEVICE_POLL_INTERVAL": "1s", "CAMPUS_STEP_UP_TTL": "12m"},
		"serve", "--addr", "127.0.0.1:0", "--data", dir)
	p := &idp{running: r, dir: dir, issuer: r.url + "/idp", http: tlsClient(t, filepath.Join(dir, "tls", "cert.pem"))}
	creds := filepath.Join(t.TempDir(), "config", "campus", "credentials.json")
	cliEnv := envMap(map[string]string{"CAMPUS_CREDENTIALS": creds})
	cert := filepath.Join(dir, "tls", "cert.pem")

	// 1. campus login URL --write --ca-cert FILE
	stderr := &codeWatcher{code: make(chan string, 1)}
	done := make(chan error, 1)
	go func() {
		done <- runWith(context.Background(), env{getenv: cliEnv, stdout: &syncBuffer{}, stderr: stderr},
			[]string{"login", r.url, "--write", "--ca-cert", cert})
	}()
	select {
	case code := <-stderr.code:
		approveDevice(t, p, code, "admin", adminPassword)
	case err := <-done:
		t.Fatalf("campus login ended before showing a code: %v\n%s", err, stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("campus login showed no code:\n%s", stderr.String())
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("campus login: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("campus login did not finish:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "Signed in to "+r.url) || !strings.Contains(stderr.String(), "studies:write") {
		t.Errorf("login output:\n%s", stderr.String())
	}

	// 2. TOKEN=$(campus token URL)
	var out syncBuffer
	if err := runWith(context.Background(), env{getenv: cliEnv, stdout: &out, stderr: &syncBuffer{}}, []string{"token", r.url}); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())

	// 3. curl -H "Authorization: Bearer $TOKEN" POST /study/v1/programmes
	api := studyAPI{t: t, p: p, token: token}
	api.must(http.StatusCreated, "POST", "/v1/programmes", map[string]any{"title": "M.Sc. Data Science", "degree": "M.Sc.",
		"semesters": 4, "credits_required": 120, "language": "en", "status": "draft"})

	// The credentials: the file 0600 in a directory 0700.
	for path, want := range map[string]os.FileMode{creds: 0o600, filepath.Dir(creds): 0o700} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, %v; want mode %o", path, fi.Mode(), err, want)
		}
	}
	// The study token lasts --step-up-ttl exactly (12m here), longer than
	// the access token's 10m (iat and exp may fall either side of a second).
	_, c := claims(t, token)
	if life := c["exp"].(float64) - c["iat"].(float64); life < 719 || life > 720 {
		t.Errorf("the study token lasts %vs, want 720", life)
	}

	// Once it expires (a clock 16 minutes on), campus token says how to get
	// it again; --read-only refreshes to a token without studies:write.
	later := func() time.Time { return time.Now().Add(16 * time.Minute) }
	o := devicelogin.Options{URL: r.url, Path: creds, Now: later}
	if _, err := devicelogin.Token(context.Background(), o, false); !errors.Is(err, devicelogin.ErrStepUpGone) ||
		!strings.Contains(err.Error(), "campus login --write") {
		t.Fatalf("expired study token: %v", err)
	}
	read, err := devicelogin.Token(context.Background(), o, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, rc := claims(t, read); strings.Contains(rc["scope"].(string), "studies:write") || !strings.Contains(rc["scope"].(string), "grades:read") {
		t.Fatalf("refreshed token's scope %q", rc["scope"])
	}
	if read == token {
		t.Fatal("no new token after the refresh")
	}
	// Without studies:write the study API says what is missing and for how
	// long the study token lasts, from the one setting.
	if r := (studyAPI{t: t, p: p, token: read}).do("POST", "/v1/programmes", map[string]any{"title": "X", "degree": "B.Sc.",
		"semesters": 6, "credits_required": 180, "language": "en"}); r.status != http.StatusForbidden ||
		!strings.Contains(r.raw, "--step-up-ttl (15 minutes by default)") || !strings.Contains(r.raw, "campus login --write") {
		t.Fatalf("write with the read token: %d %s", r.status, r.raw)
	}

	// campus logout revokes and forgets.
	if err := runWith(context.Background(), env{getenv: cliEnv, stdout: &syncBuffer{}, stderr: &syncBuffer{}}, []string{"logout", r.url}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(creds)
	var f struct{ Sites map[string]any }
	if json.Unmarshal(b, &f); len(f.Sites) != 0 {
		t.Fatalf("credentials after logout: %s", b)
	}
	if err := runWith(context.Background(), env{getenv: cliEnv, stdout: &syncBuffer{}, stderr: &syncBuffer{}}, []string{"token", r.url}); err == nil ||
		!strings.Contains(err.Error(), "campus login") {
		t.Fatalf("token after logout: %v", err)
	}
}

// TestStepUpLifetimeTexts: every text that gives the study token's
// lifetime gives --step-up-ttl's default, and names the setting.
func TestStepUpLifetimeTexts(t *testing.T) {
	t.Parallel()
	var o identityservice.Config
	s := config.NewSet("serve", "")
	registerIdentity(s, &o)
	if err := s.Load(nil, envMap(nil)); err != nil {
		t.Fatal(err)
	}
	want := strconv.Itoa(int(o.StepUpTTL.Minutes()))
	if o.StepUpTTL != 15*time.Minute {
		t.Fatalf("--step-up-ttl defaults to %s; change this test and every text with it", o.StepUpTTL)
	}
	minutes := regexp.MustCompile(`(\d+) ?min`)
	for _, f := range []string{"../../README.md", "../../docs/operations.md", "../../api/study.yaml", "../../internal/study/api/server.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		named := false
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.Contains(line, "step-up-ttl") && !strings.Contains(line, "study token") {
				continue
			}
			for _, m := range minutes.FindAllStringSubmatch(line, -1) {
				if m[1] != want {
					t.Errorf("%s gives the study token %s minutes, the setting %s:\n%s", f, m[1], want, line)
				}
			}
			if strings.Contains(line, "--step-up-ttl") && strings.Contains(line, want+" min") {
				named = true
			}
		}
		if !named {
			t.Errorf("%s does not give the study token's lifetime as --step-up-ttl, %s minutes by default", f, want)
		}
	}
}

// TestDeviceAndStepUpSettings: the study token's lifetime and the device
// grant's settings are refused outside their bounds, all at once.
func TestDeviceAndStepUpSettings(t *testing.T) {
	t.Parallel()
	var out, errOut syncBuffer
	err := run(context.Background(), []string{"serve", "--data", t.TempDir(), "--step-up-ttl", "2h", "--device-code-ttl", "10s",
		"--device-poll-interval", "1500ms"}, envMap(nil), &out, &errOut)
	var ue *config.UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("want a usage error, got %v", err)
	}
	for _, want := range []string{"--step-up-ttl 2h0m0s: want 1m to 1h", "--device-code-ttl 10s: want 1m to 1h",
		"--device-poll-interval 1.5s: want whole seconds from 1s to 1m"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v lacks %q", err, want)
		}
	}
	// campus login needs the URL, and a URL it can trust.
	if err := run(context.Background(), []string{"login"}, envMap(nil), &out, &errOut); !errors.As(err, &ue) {
		t.Fatalf("login without a URL: %v", err)
	}
	if err := run(context.Background(), []string{"login", "http://campus.example", "--credentials", filepath.Join(t.TempDir(), "c.json")},
		envMap(nil), &out, &errOut); err == nil || !strings.Contains(err.Error(), "want an https:// URL") {
		t.Fatalf("login over plain http: %v", err)
	}
}
