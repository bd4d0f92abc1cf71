package web

import (
	"bytes"
	"campus/internal/identity/datakeys"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/identity"
	"campus/internal/identity/mailer"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/policy"
	"campus/internal/identity/store"
)

// startReplicas runs n identity servers, each built by its own NewServer
// over its own pool on one SQLite database, behind a balancer that sends
// each request to the next replica in turn, as a deployment with several
// replicas runs. The returned testIDP talks to the balancer.
func startReplicas(t *testing.T, n int, login LoginConfig, opts ...idpOption) *testIDP {
	t.Helper()
	var cfg idpConfig
	for _, o := range opts {
		o(&cfg)
	}
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "identity.db")
	handlers := make([]http.Handler, n)
	var next atomic.Uint64
	mux := http.NewServeMux()
	mux.Handle("/idp/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := handlers[next.Add(1)%uint64(n)]
		http.StripPrefix("/idp", h).ServeHTTP(w, r)
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	issuer := srv.URL + "/idp"
	secret := bytes.Repeat([]byte{7}, 32)

	var mailDeps MailDeps
	if cfg.mail { // links are queued in the outbox; nothing sends them
		c, err := mailer.NewComposer("campus", issuer, time.Hour, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		mailDeps.Composer = c
	}
	var first *store.Store
	for i := range handlers {
		d, err := db.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		if i == 0 {
			if _, err := d.Migrate(ctx, store.Migrations); err != nil {
				t.Fatal(err)
			}
		}
		st := store.New(d, time.Now, datakeys.Test())
		if first == nil {
			first = st
		}
		keys, err := oidcop.NewKeys(st, secret, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		if err := keys.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
		storage := oidcop.NewStorage(st, keys, oidcop.Config{Issuer: issuer, SessionCookie: SessionCookie,
			APIAudiences: []string{APIAudience}, ConfirmFirst: mailDeps.Composer != nil}, "/idp/login", time.Now, logger)
		provider, err := oidcop.NewProvider(storage, secret, "/idp"+LoggedOutPath)
		if err != nil {
			t.Fatal(err)
		}
		if handlers[i], err = NewServer(Deps{Logger: logger, Issuer: issuer, Base: "/idp",
			Store: st, Storage: storage, Provider: provider, Now: time.Now, Login: login, Mail: mailDeps}); err != nil {
			t.Fatal(err)
		}
	}
	p := &testIDP{issuer: issuer, store: first, http: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	p.console = p.addClient(t, identity.Client{ID: "console", Name: "Admin console", FirstParty: true,
		RedirectURIs: []string{consoleRedirect}, GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile"}})
	return p
}

func replicaLogin(perIPPerMinute int) LoginConfig {
	return LoginConfig{Password: cheap, PerIPPerMinute: perIPPerMinute, Lockout: policy.Lockout{MaxAttempts: 1000, Duration: time.Minute},
		Policy: policy.PasswordPolicy{MinLength: 10, MaxLength: 256}}
}

// wantRetryAfter checks a refusal: 429 with a Retry-After of whole seconds
// within (0, most].
func wantRetryAfter(t *testing.T, what string, resp *http.Response, most time.Duration) {
	t.Helper()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("%s: status %d, want 429", what, resp.StatusCode)
	}
	s, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || s < 1 || time.Duration(s)*time.Second > most {
		t.Fatalf("%s: Retry-After %q, want 1 to %v in seconds", what, resp.Header.Get("Retry-After"), most)
	}
}

// Twelve registrations from one address through two replicas: the limit of
// ten an hour holds for the deployment, not per replica (issue 12).
func TestRegistrationLimitAcrossReplicas(t *testing.T) {
	t.Parallel()
	p := startReplicas(t, 2, replicaLogin(6000))
	register := func(i int) *http.Response {
		body, _ := json.Marshal(map[string]string{"username": fmt.Sprintf("reg%d", i), "email": fmt.Sprintf("reg%d@uni.example", i),
			"password": "river-stone-lantern-42", "given_name": "Given", "family_name": "Family"})
		resp, err := p.http.Post(p.issuer+"/api/v1/registrations", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 10 {
		if resp := register(i); resp.StatusCode != http.StatusCreated {
			t.Fatalf("registration %d: status %d", i+1, resp.StatusCode)
		}
	}
	for i := 10; i < 12; i++ {
		// six minutes for the next token at ten an hour
		wantRetryAfter(t, fmt.Sprintf("registration %d", i+1), register(i), 6*time.Minute)
	}
}

// Sign-ins per address through two replicas: 12 a minute means a burst of
// ten, whichever replica counts them.
func TestSignInLimitAcrossReplicas(t *testing.T) {
	t.Parallel()
	p := startReplicas(t, 2, replicaLogin(12))
	p.addUser(t, "sam", "sams-long-password")
	id, _ := p.authorize(t, p.console) // one request; the limit counts only form posts
	for i := range 10 {
		if resp := p.submitLogin(t, id, "sam", "wrong-password-"+strconv.Itoa(i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want the form again (401)", i+1, resp.StatusCode)
		}
	}
	for i := 10; i < 12; i++ {
		wantRetryAfter(t, fmt.Sprintf("attempt %d", i+1), p.submitLogin(t, id, "sam", "sams-long-password"), 5*time.Second)
	}
}

// Guesses at the current password with a stolen token, spread over two
// replicas: a burst of five per account for the deployment.
func TestPasswordChangeLimitAcrossReplicas(t *testing.T) {
	t.Parallel()
	p := startReplicas(t, 2, replicaLogin(6000))
	p.addUser(t, "sam", "sams-long-password")
	tok := p.signIn(t, p.console, "sam", "sams-long-password")
	guess := func(i int) *http.Response {
		body, _ := json.Marshal(map[string]string{"current_password": fmt.Sprintf("guess-%d-at-it", i), "new_password": "a-brand-new-phrase"})
		req, _ := http.NewRequest(http.MethodPost, p.issuer+"/api/v1/me/password", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := p.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 5 {
		if resp := guess(i); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d: status %d, want 422 (wrong current password)", i+1, resp.StatusCode)
		}
	}
	for i := 5; i < 7; i++ {
		// three minutes for the next token at twenty an hour
		wantRetryAfter(t, fmt.Sprintf("guess %d", i+1), guess(i), 3*time.Minute)
	}
}

// Requests for mailed links (here: password reset) from one address over
// two replicas: a burst of ten for the deployment.
func TestMailedLinkLimitAcrossReplicas(t *testing.T) {
	t.Parallel()
	p := startReplicas(t, 2, replicaLogin(6000), withMail())
	ask := func(i int) *http.Response {
		csrf := strings.Repeat("c", 32)
		form := url.Values{"csrf": {csrf}, "login": {fmt.Sprintf("someone%d@uni.example", i)}}
		req, _ := http.NewRequest(http.MethodPost, p.issuer+"/password/forgot", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: csrfCookie, Value: csrf})
		resp, err := p.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 10 {
		if resp := ask(i); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d", i+1, resp.StatusCode)
		}
	}
	for i := 10; i < 12; i++ {
		// two minutes for the next token at thirty an hour
		wantRetryAfter(t, fmt.Sprintf("request %d", i+1), ask(i), 2*time.Minute)
	}
}
