package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"campus/internal/db/dbtest"
	"campus/internal/portal/store"
)

// fakeTokenEndpoint is identity as far as a refresh goes: discovery and a
// token endpoint that rotates refresh tokens and, as identity does, takes
// a second use of a spent one for a theft.
type fakeTokenEndpoint struct {
	srv       *httptest.Server
	refreshes atomic.Int32
	mu        sync.Mutex
	live      string // the one refresh token that may be used
	reused    bool
}

func newFakeTokenEndpoint(t *testing.T, live string) *fakeTokenEndpoint {
	t.Helper()
	f := &fakeTokenEndpoint{live: live}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": f.srv.URL, "authorization_endpoint": f.srv.URL + "/authorize",
			"token_endpoint": f.srv.URL + "/token", "jwks_uri": f.srv.URL + "/keys"})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		n := f.refreshes.Add(1)
		time.Sleep(100 * time.Millisecond) // a refresh takes a while: the others pile up
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.FormValue("grant_type") != "refresh_token" || r.FormValue("refresh_token") != f.live {
			f.reused = true
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant"}`)
			return
		}
		f.live = fmt.Sprintf("refresh-%d", n+1)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("access-%d", n+1), "token_type": "Bearer",
			"refresh_token": f.live, "expires_in": 300})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// Parallel requests of one session whose access token has expired (two
// tabs, a page and its download), on two replicas sharing the session
// table: one refresh reaches identity, and every request goes on with its
// tokens.
func TestConcurrentRefreshesAreOne(t *testing.T) {
	t.Parallel()
	idp := newFakeTokenEndpoint(t, "refresh-1")
	now := func() time.Time { return testNow }
	sessions := store.New(dbtest.SQLite(t, store.Migrations), now)
	var replicas []*relyingParty
	for range 2 {
		rp, err := newRelyingParty(OIDC{Issuer: idp.srv.URL, ClientID: "portal", Client: idp.srv.Client(), Scopes: []string{"openid"}},
			"https://portal.example", "", sessions, []byte("refresh test secret"), time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, rp)
	}
	sealed, err := replicas[0].sealed(tokens{Access: "access-1", Refresh: "refresh-1", Expiry: testNow.Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := sessions.Create(ctx, store.Session{IDHash: "h", Subject: "subject-1", Data: []byte(sealed),
		CreatedAt: testNow, ExpiresAt: testNow.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	const n = 8
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rp := replicas[i%len(replicas)]
			row, err := sessions.Get(ctx, "h")
			if err != nil {
				errs[i] = err
				return
			}
			s := &session{idHash: row.IDHash, Subject: row.Subject}
			if err := rp.opened(string(row.Data), &s.tokens); err != nil {
				errs[i] = err
				return
			}
			got[i], errs[i] = rp.accessToken(ctx, s)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || got[i] != "access-2" {
			t.Errorf("request %d: access token %q, %v; want access-2", i, got[i], errs[i])
		}
	}
	if c := idp.refreshes.Load(); c != 1 {
		t.Errorf("identity saw %d refreshes, want 1", c)
	}
	if idp.reused {
		t.Error("a spent refresh token was presented again")
	}
	// The session holds the new pair; the next request refreshes with it.
	row, err := sessions.Get(ctx, "h")
	if err != nil {
		t.Fatal(err)
	}
	var stored tokens
	if err := replicas[1].opened(string(row.Data), &stored); err != nil || stored.Refresh != "refresh-2" || stored.Access != "access-2" {
		t.Fatalf("stored tokens %+v, %v", stored, err)
	}
	if won, err := sessions.ClaimRefresh(ctx, "h", time.Second); err != nil || !won {
		t.Fatalf("the lease was not given up: %v, %v", won, err)
	}
}

// A request that finds the session ended while it waited is signed out.
func TestRefreshWaiterSeesSignOut(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return testNow }
	sessions := store.New(dbtest.SQLite(t, store.Migrations), now)
	rp, err := newRelyingParty(OIDC{}, "https://portal.example", "", sessions, []byte("secret"), time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := rp.sealed(tokens{Access: "a", Refresh: "r", Expiry: testNow.Add(-time.Minute)})
	ctx := context.Background()
	if err := sessions.Create(ctx, store.Session{IDHash: "h", Data: []byte(sealed), CreatedAt: testNow, ExpiresAt: testNow.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if won, err := sessions.ClaimRefresh(ctx, "h", time.Minute); err != nil || !won {
		t.Fatal("claim", won, err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		sessions.Delete(ctx, "h")
	}()
	s := &session{idHash: "h", tokens: tokens{Refresh: "r", Expiry: testNow.Add(-time.Minute)}}
	if _, err := rp.accessToken(ctx, s); !errors.Is(err, errSignedOut) {
		t.Fatalf("accessToken = %v, want errSignedOut", err)
	}
}

// A refresh that cannot reach identity (no answer, or 502-504) keeps the
// session and its refresh token for a later try; only identity's refusal
// (invalid_grant) signs the person out.
func TestRefreshWhileIdentityIsDown(t *testing.T) {
	t.Parallel()
	var mode atomic.Value // "down", "503", "up", "refuse"
	mode.Store("up")
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/authorize",
			"token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/keys"})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch mode.Load() {
		case "down": // a proxy in front of a stopped identity
			w.WriteHeader(http.StatusBadGateway)
		case "503":
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":"temporarily_unavailable"}`)
		case "refuse":
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant"}`)
		default:
			json.NewEncoder(w).Encode(map[string]any{"access_token": "access-2", "token_type": "Bearer", "refresh_token": "refresh-2", "expires_in": 300})
		}
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	now := func() time.Time { return testNow }
	sessions := store.New(dbtest.SQLite(t, store.Migrations), now)
	rp, err := newRelyingParty(OIDC{Issuer: srv.URL, ClientID: "portal", Client: srv.Client(), Scopes: []string{"openid"}},
		"https://portal.example", "", sessions, []byte("refresh test secret"), time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := rp.discover(ctx); err != nil {
		t.Fatal(err)
	}
	newSession := func(id string) *session {
		sealed, _ := rp.sealed(tokens{Access: "access-1", Refresh: "refresh-1", Expiry: testNow.Add(-time.Minute)})
		if err := sessions.Create(ctx, store.Session{IDHash: id, Subject: "s", Data: []byte(sealed), CreatedAt: testNow, ExpiresAt: testNow.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		return &session{idHash: id, Subject: "s", tokens: tokens{Access: "access-1", Refresh: "refresh-1", Expiry: testNow.Add(-time.Minute)}}
	}
	s := newSession("h")
	for _, m := range []string{"down", "503"} {
		mode.Store(m)
		if _, err := rp.accessToken(ctx, s); !errors.Is(err, errIdentityDown) || errors.Is(err, errSignedOut) {
			t.Fatalf("%s: accessToken = %v, want errIdentityDown", m, err)
		}
		if _, err := sessions.Get(ctx, "h"); err != nil {
			t.Fatalf("%s: the session ended: %v", m, err)
		}
	}
	// No answer at all: identity's port is closed.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	down, err := newRelyingParty(OIDC{Issuer: closed.URL, ClientID: "portal", Client: srv.Client(), Scopes: []string{"openid"}},
		"https://portal.example", "", sessions, []byte("refresh test secret"), time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := down.accessToken(ctx, newSession("h2")); !errors.Is(err, errIdentityDown) {
		t.Fatalf("identity's port closed: accessToken = %v, want errIdentityDown", err)
	}
	if _, err := sessions.Get(ctx, "h2"); err != nil {
		t.Fatalf("identity's port closed: the session ended: %v", err)
	}
	// Identity is back: the same refresh token works, the lease was let go.
	mode.Store("up")
	if tok, err := rp.accessToken(ctx, s); err != nil || tok != "access-2" {
		t.Fatalf("after the outage: %q, %v", tok, err)
	}
	// A refusal still signs out.
	mode.Store("refuse")
	r := newSession("h3")
	if _, err := rp.accessToken(ctx, r); !errors.Is(err, errSignedOut) {
		t.Fatalf("refused: accessToken = %v, want errSignedOut", err)
	}
	if _, err := sessions.Get(ctx, "h3"); err == nil {
		t.Fatal("a refused refresh left the session")
	}
}
