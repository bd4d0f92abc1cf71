package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"campus/internal/problem"
	"campus/internal/tokencheck"
)

// TestNotFoundTellsNothing: a member asking for an id that does not
// exist and a stranger asking for one that does get the same answer.
func TestNotFoundTellsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/v1/conversations/%s", "/v1/conversations/%s/messages", "/v1/attachments/%s"} {
		id := map[string]string{"/v1/conversations/%s": e.group.ID, "/v1/conversations/%s/messages": e.group.ID, "/v1/attachments/%s": e.file}[path]
		_, missing := e.do(tokenOf(bob), req{method: "GET", path: strings.Replace(path, "%s", "0190f3a4-nothing", 1)})
		_, hidden := e.do(tokenOf(mallory), req{method: "GET", path: strings.Replace(path, "%s", id, 1)})
		if string(missing) != string(hidden) {
			t.Errorf("%s: a missing id answers %s, another's %s", path, missing, hidden)
		}
	}
}

func TestTokensInTheURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, _ := e.do("", req{method: "GET", path: "/v1/unread?key=" + tokenOf(bob)})
	if resp.StatusCode != e401 {
		t.Errorf("an access token as ?key=: %d, want 401", resp.StatusCode)
	}
	resp, _ = e.do("", req{method: "GET", path: "/v1/unread?key=" + keyBob})
	if resp.StatusCode != ok {
		t.Errorf("an API key as ?key=: %d, want 200", resp.StatusCode)
	}
	resp, _ = e.do("", req{method: "GET", path: "/v1/unread?key=nope"})
	if resp.StatusCode != e401 {
		t.Errorf("an unknown key: %d, want 401", resp.StatusCode)
	}
}

// behind is a verifier whose revocation feed is behind: it cannot promise
// that a token was not revoked before a request.
type behind struct{ tokens }

func (behind) RevocationsUpTo(context.Context, time.Time) bool { return false }

// TestChangesWaitForRevocations: with identity's revocation feed out of
// reach, reads go on and changes answer 503, so that no change is made
// with a token revoked meanwhile.
func TestChangesWaitForRevocations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h, err := NewServer(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Store: e.st, Hub: e.hub,
		JWT: behind{tokens{"a.b.c": {Subject: bob, ClientID: "portal", Scopes: []string{scopeRead, scopeWrite}, Roles: []string{"student"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	h = problem.Localize(h)
	get := httptest.NewRequest(http.MethodGet, "/v1/unread", nil)
	get.Header.Set("Authorization", "Bearer a.b.c")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, get)
	if rec.Code != http.StatusOK {
		t.Errorf("a read: %d", rec.Code)
	}
	put := httptest.NewRequest(http.MethodPut, "/v1/me/presence", strings.NewReader(`{"hidden":true}`))
	put.Header.Set("Authorization", "Bearer a.b.c")
	put.Header.Set("Content-Type", "application/json")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, put)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("a change: %d %v", rec.Code, rec.Header())
	}
}

func TestContentDisposition(t *testing.T) {
	t.Parallel()
	tests := []struct{ kind, name, want string }{
		{"attachment", "plan.pdf", `attachment; filename="plan.pdf"; filename*=UTF-8''plan.pdf`},
		{"inline", "Grüße; a=b.png", `inline; filename="Gr__e; a=b.png"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%3B%20a%3Db.png`},
		{"attachment", `100% "echt".txt`, `attachment; filename="100_ _echt_.txt"; filename*=UTF-8''100%25%20%22echt%22.txt`},
	}
	for _, tt := range tests {
		if got := contentDisposition(tt.kind, tt.name); got != tt.want {
			t.Errorf("contentDisposition(%q, %q)\n got %s\nwant %s", tt.kind, tt.name, got, tt.want)
		}
	}
}

// TestRevocationEndsDetachedStream: over HTTP/1.1 the event stream leaves
// the handler once started (realtime.Hub.Serve); the guard still ends it
// within about a second of identity revoking the token.
func TestRevocationEndsDetachedStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var revoked atomic.Bool
	h, err := NewServer(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Store: e.st, Hub: e.hub,
		JWT: tokens{"a.b.c": {Subject: bob, ClientID: "portal", Scopes: []string{scopeRead, scopeWrite}, Roles: []string{"student"},
			Expiry: time.Now().Add(time.Hour)}},
		Revoked: func(*tokencheck.Claims) bool { return revoked.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer a.b.c")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 1 {
		t.Fatalf("stream: %d HTTP/%d", resp.StatusCode, resp.ProtoMajor)
	}
	ended := make(chan time.Time, 1)
	go func() {
		io.Copy(io.Discard, resp.Body)
		ended <- time.Now()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for e.hub.Streams() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	at := time.Now()
	revoked.Store(true)
	select {
	case end := <-ended:
		if d := end.Sub(at); d > 3*time.Second {
			t.Errorf("the stream ended %s after the revocation", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream stayed open after the revocation")
	}
}
