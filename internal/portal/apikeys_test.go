package portal

import (
	"net/http"
	"net/url"
	"testing"
)

// ---- API access

const keysJSON = `{"items":[{"id":"k1","name":"calendar","prefix":"campus_AbCdEf","created_at":"2026-11-01T10:00:00Z","expires_at":null,"last_used_at":"2026-11-20T08:30:00Z"}]}`

func TestAPIAccessPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /idp/api/v1/me/api-keys", 200, keysJSON)
	p.get(p.signIn(student()), "/api-access").want(t, http.StatusOK, msg("apikeys.title"), "calendar", "campus_AbCdEf…", msg("apikeys.never"),
		"/v1/me/grades?key=YOUR_KEY", `action="/api-access/k1/revoke"`)
	p2 := newPortal(t)
	p2.api.on("GET /idp/api/v1/me/api-keys", 500, `{}`)
	p2.get(p2.signIn(student()), "/api-access").want(t, http.StatusBadGateway, msg("error.unavailable"))
}

func TestCreateAPIKey(t *testing.T) {
	t.Parallel()
	t.Run("made, shown once", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me/api-keys", 200, keysJSON)
		p.api.on("POST /idp/api/v1/me/api-keys", 201, `{"id":"k2","name":"sheet","prefix":"campus_XyZ123","key":"campus_XyZ123secretsecretsecretsecretsecretsecret","created_at":"2026-11-22T09:00:00Z","expires_at":null,"last_used_at":null}`)
		r := p.post(p.signIn(student()), "/api-access", url.Values{"name": {"sheet"}, "days": {"0"}})
		r.want(t, http.StatusCreated, msg("apikeys.new.once"), `value="campus_XyZ123secretsecretsecretsecretsecretsecret"`,
			"/v1/me/grades?key=campus_XyZ123secretsecretsecretsecretsecretsecret")
		wantJSON(t, p.api.only(t, "POST /idp/api/v1/me/api-keys"), `{"name":"sheet"}`)
	})
	t.Run("with an expiry", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me/api-keys", 200, `{"items":[]}`)
		p.api.on("POST /idp/api/v1/me/api-keys", 201, `{"id":"k3","name":"x","prefix":"campus_a","key":"campus_abc","created_at":"2026-11-22T09:00:00Z"}`)
		p.post(p.signIn(student()), "/api-access", url.Values{"name": {"x"}, "days": {"30"}}).want(t, http.StatusCreated)
		body := jsonBody(t, p.api.only(t, "POST /idp/api/v1/me/api-keys"))
		if exp, _ := body["expires_at"].(string); exp == "" {
			t.Fatalf("no expiry sent: %v", body)
		}
	})
	t.Run("no name, bad expiry", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me/api-keys", 200, `{"items":[]}`)
		p.post(p.signIn(student()), "/api-access", url.Values{"name": {" "}, "days": {"forever"}}).
			want(t, http.StatusUnprocessableEntity, `id="name-error"`, `id="days-error"`, msg("apikeys.days.invalid"))
		p.api.none(t, "POST /idp/api/v1/me/api-keys")
	})
	t.Run("refused by identity", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me/api-keys", 200, keysJSON)
		p.api.on("POST /idp/api/v1/me/api-keys", 409, `{"status":409,"detail":"You have 20 keys already; revoke one you no longer use first."}`)
		p.post(p.signIn(student()), "/api-access", url.Values{"name": {"one too many"}, "days": {"90"}}).
			want(t, http.StatusUnprocessableEntity, "You have 20 keys already", `value="one too many"`)
	})
}

func TestRevokeAPIKey(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("DELETE /idp/api/v1/me/api-keys/k1", 204, ``)
	p.post(p.signIn(student()), "/api-access/k1/revoke", nil).redirects(t, "/api-access?done=revoked")
	p.api.only(t, "DELETE /idp/api/v1/me/api-keys/k1")
	p2 := newPortal(t)
	p2.api.on("DELETE /idp/api/v1/me/api-keys/k1", 500, `{}`)
	p2.post(p2.signIn(student()), "/api-access/k1/revoke", nil).want(t, http.StatusBadGateway)
}
