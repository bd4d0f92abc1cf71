package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestAPIProblemsFollowAcceptLanguage: identity's API answers a
// validation error, a 404 and a 401 in German when the client asks for
// German, and in English when it does not; the OAuth challenge stays
// English (RFC 6750 section 3).
func TestAPIProblemsFollowAcceptLanguage(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	tok := e.token(t, "admin", adminPassword)
	short := map[string]any{"current_password": adminPassword, "new_password": "Zq7!xw"}

	de := e.must(t, http.StatusUnprocessableEntity, "POST", "/api/v1/me/password", tok, short, "Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
	if got := de.header.Get("Content-Language"); got != "de" {
		t.Errorf("Content-Language = %q, want de", got)
	}
	if !strings.Contains(strings.Join(de.header.Values("Vary"), ","), "Accept-Language") {
		t.Errorf("Vary = %q, want Accept-Language in it", de.header.Values("Vary"))
	}
	if de.str("title") != "Ungültige Eingabe" || de.str("detail") != "Einige Felder stimmen nicht; siehe errors." {
		t.Errorf("German title and detail: %s", de)
	}
	if got := de.fieldErrors()["new_password"]; got != "Verwenden Sie mindestens 10 Zeichen." {
		t.Errorf("German new_password error = %q", got)
	}

	en := e.must(t, http.StatusUnprocessableEntity, "POST", "/api/v1/me/password", tok, short)
	if got := en.header.Get("Content-Language"); got != "" {
		t.Errorf("English answer has Content-Language %q", got)
	}
	if en.str("title") != "Invalid input" || en.fieldErrors()["new_password"] != "Use at least 10 characters." {
		t.Errorf("English answer: %s", en)
	}

	missing := e.must(t, http.StatusNotFound, "GET", "/api/v1/nothing-here", tok, nil, "Accept-Language", "de")
	if missing.str("title") != "Nicht gefunden" || missing.str("detail") != "Diesen API-Endpunkt gibt es nicht; siehe /api/v1/openapi.yaml." {
		t.Errorf("German 404: %s", missing)
	}

	anon := e.must(t, http.StatusUnauthorized, "GET", "/api/v1/users", "", nil, "Accept-Language", "de")
	if anon.str("title") != "Nicht angemeldet" || !strings.HasPrefix(anon.str("detail"), "Ein gültiges Zugriffstoken ist erforderlich") {
		t.Errorf("German 401: %s", anon)
	}
	if ch := anon.header.Get("WWW-Authenticate"); ch != `Bearer realm="campus"` {
		t.Errorf("WWW-Authenticate = %q", ch)
	}
	bad := e.must(t, http.StatusUnauthorized, "GET", "/api/v1/users", "not-a-token", nil, "Accept-Language", "de")
	if ch := bad.header.Get("WWW-Authenticate"); !strings.Contains(ch, `error_description="the token is not valid or has expired"`) {
		t.Errorf("WWW-Authenticate of a bad token = %q; error_description stays English", ch)
	}
	if bad.str("detail") != "Ein gültiges Zugriffstoken ist erforderlich (Authorization: Bearer ...): Das Token ist ungültig oder abgelaufen." {
		t.Errorf("German 401 of a bad token: %s", bad)
	}
}
