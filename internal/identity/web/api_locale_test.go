package web

import (
	"net/http"
	"strings"
	"testing"

	"campus/internal/identity"
)

// TestAPILocale: the language a person chose for mails is registered
// from the page's language, shown in the account JSON, set and cleared
// with PATCH /me, and wins over the browser of a later request.
func TestAPILocale(t *testing.T) {
	t.Parallel()
	e := startAPI(t, withMail())
	e.addUser(t, "lotte", "lotte-password-1", identity.RoleStudent)
	tok := e.token(t, "lotte", "lotte-password-1")
	if me := e.must(t, http.StatusOK, "GET", "/api/v1/me", tok, nil); me.body["locale"] != nil {
		t.Fatalf("locale before any choice = %v, want null", me.body["locale"])
	}
	if r := e.must(t, http.StatusOK, "PATCH", "/api/v1/me", tok, map[string]any{"locale": "de"}, "If-Match", "*"); r.str("locale") != "de" {
		t.Fatalf("after PATCH locale de: %s", r)
	}
	if r := e.call(t, "PATCH", "/api/v1/me", tok, map[string]any{"locale": "fr"}, "If-Match", "*"); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.fieldErrors()["locale"], "en, de") {
		t.Errorf("locale fr: %d %s", r.status, r)
	}

	// A new address is confirmed by a mail in the chosen language, though
	// the request asks for English.
	e.must(t, http.StatusOK, "PATCH", "/api/v1/me", tok, map[string]any{"email": "lotte@neu.example"}, "If-Match", "*", "Accept-Language", "en-US")
	if m := e.mailTo(t, "lotte@neu.example", ""); !strings.Contains(m.Text, "Guten Tag") {
		t.Errorf("confirmation for a person who chose German, asked in English:\n%s", m.Text)
	}

	if r := e.must(t, http.StatusOK, "PATCH", "/api/v1/me", tok, map[string]any{"locale": nil}, "If-Match", "*"); r.body["locale"] != nil {
		t.Errorf("after PATCH locale null: %v", r.body["locale"])
	}

	// Registration: the page's language (the portal sends it as
	// Accept-Language) becomes the account's; none campus speaks, none.
	admin := e.token(t, "admin", adminPassword)
	for _, tc := range []struct{ user, al string }{{"deutsch", "de"}, {"french", "fr-FR"}, {"english", "en-GB,de;q=0.5"}} {
		r := e.must(t, http.StatusCreated, "POST", "/api/v1/registrations", "", map[string]any{"username": tc.user, "email": tc.user + "@uni.example",
			"password": "a-fine-passphrase", "given_name": "Reg", "family_name": "Istered"}, "Accept-Language", tc.al)
		got := e.must(t, http.StatusOK, "GET", "/api/v1/users/"+r.str("id"), admin, nil).body["locale"]
		want := map[string]any{"deutsch": "de", "french": nil, "english": "en"}[tc.user]
		if got != want {
			t.Errorf("registered with Accept-Language %q: locale %v, want %v", tc.al, got, want)
		}
	}
	if m := e.mailTo(t, "deutsch@uni.example", ""); !strings.Contains(m.Text, "Guten Tag") {
		t.Errorf("confirmation after registering on a German page:\n%s", m.Text)
	}
	// An administrator may set it too.
	id := e.must(t, http.StatusOK, "GET", "/api/v1/me", tok, nil).str("id")
	if r := e.must(t, http.StatusOK, "PATCH", "/api/v1/users/"+id, admin, map[string]any{"locale": "en"}, "If-Match", "*"); r.str("locale") != "en" {
		t.Errorf("admin PATCH locale: %s", r)
	}
}
