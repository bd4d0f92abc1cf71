package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"campus/internal/identity"
	"campus/internal/identity/password"
)

// saturate swaps in a gate whose one slot is held and whose queue is
// empty, so that every password check is refused as busy, until the
// returned function gives the slot back. Not parallel: it swaps the
// process's gate, while the parallel tests wait for it (they resume only
// after the sequential ones finished).
func saturate(t *testing.T) (release func()) {
	t.Helper()
	was := password.DefaultGate
	g := password.NewGate(1, 0, time.Millisecond)
	held, free := make(chan struct{}), make(chan struct{})
	go g.Do(context.Background(), func() { close(held); <-free })
	<-held
	password.DefaultGate = g
	t.Cleanup(func() { password.DefaultGate = was })
	return func() { close(free); password.DefaultGate = was }
}

// TestSignInWhileBusy: when the server checks as many passwords as it can,
// a sign-in, a registration and a password change are answered 503 with
// Retry-After at once, the form keeps what was typed, and no failed
// attempt counts towards the lockout.
func TestSignInWhileBusy(t *testing.T) {
	e := startAPI(t)
	e.addUser(t, "bea", "bea-password-1", "student")
	tok := e.token(t, "bea", "bea-password-1")
	c := e.addClient(t, identity.Client{ID: "busy-app", FirstParty: true, RedirectURIs: []string{"https://busy.uni.example/cb"},
		GrantTypes: []string{"authorization_code"}, IDTokenAlg: "RS256", Scopes: []string{"openid"}})
	c.Scopes = []string{"openid"}
	id, _ := e.authorize(t, c)

	release := saturate(t)
	for i := 0; i < 8; i++ { // more than the lockout's 5 attempts
		resp := e.submitLogin(t, id, "bea", "bea-password-1")
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("sign-in %d while busy: %d Retry-After %q", i+1, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	reg := e.call(t, "POST", "/api/v1/registrations", "", map[string]any{"username": "busy", "email": "busy@uni.example",
		"password": "a-fine-passphrase", "given_name": "Busy", "family_name": "Bee"})
	if reg.status != http.StatusServiceUnavailable || reg.header.Get("Retry-After") == "" || !strings.Contains(reg.str("detail"), "try again") {
		t.Fatalf("registration while busy: %s", reg)
	}
	chg := e.call(t, "POST", "/api/v1/me/password", tok, map[string]any{"current_password": "bea-password-1", "new_password": "another-passphrase-2"})
	if chg.status != http.StatusServiceUnavailable || chg.header.Get("Retry-After") == "" {
		t.Fatalf("password change while busy: %s", chg)
	}
	release()

	// Nothing counted: the right password signs in at once.
	if resp := e.submitLogin(t, id, "bea", "bea-password-1"); resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in after the overload: %d, want a redirect back to the application", resp.StatusCode)
	}
}
