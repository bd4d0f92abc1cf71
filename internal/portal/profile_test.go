package portal

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// ---- profile

func TestProfilePage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /idp/api/v1/me", 200, meJSON)
	cookie := p.signIn(student())
	r := p.get(cookie, "/profile")
	r.want(t, http.StatusOK, msg("profile.title"), `<input type="hidden" name="version" value="3">`,
		`name="username" value="ada"`, `name="email" value="ada@uni.example"`, `name="display_name" value="Ada Student"`,
		`name="given_name" value="Ada"`, `name="family_name" value="Student"`, `name="semester" value="3"`,
		`action="/profile/password"`)
	r.lacks(t, `aria-invalid`, `class="notice"`)
	wantHeader(t, p.api.sent("GET /idp/api/v1/me")[0], "Authorization", "Bearer access-token")

	p.get(cookie, "/profile?done=saved").want(t, http.StatusOK, `<p class="notice" role="status">`+msg("profile.saved")+"</p>")
	p.get(cookie, "/profile?done=password").want(t, http.StatusOK, msg("profile.password.changed"))
	p.get(cookie, "/profile?done=other").lacks(t, `class="notice"`)

	// A new address waiting for its confirmation is named beside the field.
	p.api.on("GET /idp/api/v1/me", 200, strings.Replace(meJSON, `"version"`, `"pending_email":"new@uni.example","version"`, 1))
	p.get(cookie, "/profile").want(t, http.StatusOK, `id="email-pending"`, msg("profile.email.pending", "new@uni.example"),
		`name="email" value="ada@uni.example"`)

	p.api.on("GET /idp/api/v1/me", 503, `{"detail":"down"}`)
	// Identity unavailable: a 503 page that says so, with a retry hint.
	down := p.get(cookie, "/profile")
	down.want(t, http.StatusServiceUnavailable, msg("error.identity.down"))
	if down.header.Get("Retry-After") == "" {
		t.Error("no Retry-After while identity is down")
	}
	p.api.on("GET /idp/api/v1/me", 500, `{"detail":"broken"}`)
	p.get(cookie, "/profile").want(t, http.StatusBadGateway, msg("error.unavailable"))
}

// profileForm is the profile form as sent from version 3.
func profileForm(changes ...string) url.Values {
	f := url.Values{"version": {"3"}, "username": {"ada"}, "email": {"ada@uni.example"}, "display_name": {"Ada Lovelace"},
		"given_name": {"Ada"}, "family_name": {"Lovelace"}, "semester": {"4"}}
	for i := 0; i+1 < len(changes); i += 2 {
		f.Set(changes[i], changes[i+1])
	}
	return f
}

func TestProfileSave(t *testing.T) {
	t.Parallel()
	t.Run("saved", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("PATCH /idp/api/v1/me", 200, meJSON)
		p.api.on("GET /idp/api/v1/me", 200, meJSON)
		cookie := p.signIn(student())
		p.post(cookie, "/profile", profileForm("email", "  ada@lovelace.example ")).redirects(t, "/profile?done=saved")
		req := p.api.only(t, "PATCH /idp/api/v1/me")
		wantHeader(t, req, "If-Match", `"3"`)
		wantHeader(t, req, "Authorization", "Bearer access-token")
		wantJSON(t, req, `{"username":"ada","email":"ada@lovelace.example","display_name":"Ada Lovelace","given_name":"Ada","family_name":"Lovelace","semester":4,"locale":null}`)
		// The bar shows the new name from now on.
		p.get(cookie, "/profile").want(t, http.StatusOK, msg("nav.signedin", "Ada Lovelace"))
	})
	t.Run("changed meanwhile", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("PATCH /idp/api/v1/me", 412, `{"status":412,"detail":"It was changed since you read it."}`)
		p.api.on("GET /idp/api/v1/me", 200, `{"id":"subject-1","username":"ada","email":"ada@king.example","display_name":"Ada King","semester":5,"version":4}`)
		r := p.post(p.signIn(student()), "/profile", profileForm())
		r.want(t, http.StatusConflict, msg("profile.conflict"), msg("profile.conflict.title"),
			msg("profile.conflict.theirs"), msg("profile.conflict.yours"),
			"<td>Ada King</td><td>Ada Lovelace</td>", "<td>ada@king.example</td><td>ada@uni.example</td>", "<td>5</td><td>4</td>",
			// The form keeps what was typed; saving again overwrites version 4 knowingly.
			`name="display_name" value="Ada Lovelace"`, `<input type="hidden" name="version" value="4">`)
		wantHeader(t, p.api.only(t, "PATCH /idp/api/v1/me"), "If-Match", `"3"`)
	})
	t.Run("field refused by identity", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("PATCH /idp/api/v1/me", 422, `{"status":422,"detail":"The request has invalid fields.",
			"errors":[{"field":"email","detail":"is not an e-mail address"},{"field":"email","detail":"second message"}]}`)
		r := p.post(p.signIn(student()), "/profile", profileForm("email", "not-an-address"))
		r.want(t, http.StatusUnprocessableEntity,
			`name="email" value="not-an-address" autocomplete="email" aria-invalid="true" aria-describedby="email-error"`,
			`<p class="field-error" id="email-error">is not an e-mail address</p>`,
			`name="display_name" value="Ada Lovelace"`, `name="semester" value="4"`)
		r.lacks(t, "second message", `name="username" value="ada" autocomplete="username" aria-invalid`)
	})
	t.Run("user name taken", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("PATCH /idp/api/v1/me", 409, `{"status":409,"errors":[{"field":"username","detail":"This user name is taken."}]}`)
		p.post(p.signIn(student()), "/profile", profileForm("username", "grace")).want(t, http.StatusUnprocessableEntity,
			`name="username" value="grace" autocomplete="username" aria-invalid="true"`, "This user name is taken.")
	})
	t.Run("refused without fields", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("PATCH /idp/api/v1/me", 400, `{"status":400,"detail":"The body is not a merge patch."}`)
		p.post(p.signIn(student()), "/profile", profileForm()).want(t, http.StatusUnprocessableEntity,
			`<p class="field-error" role="alert">The body is not a merge patch.</p>`)
	})
	t.Run("semester checked here", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		cookie := p.signIn(student())
		for _, sem := range []string{"many", "41", "-1"} {
			r := p.post(cookie, "/profile", profileForm("semester", sem))
			r.want(t, http.StatusUnprocessableEntity, msg("profile.semester.invalid"),
				`name="semester" value="`+sem+`" aria-invalid="true" aria-describedby="semester-error"`,
				`name="display_name" value="Ada Lovelace"`, `<input type="hidden" name="version" value="3">`)
		}
		p.api.none(t, "PATCH /idp/api/v1/me")
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("PATCH /idp/api/v1/me", 500, `{"detail":"boom"}`)
		p.post(p.signIn(student()), "/profile", profileForm()).want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	form := func(current, next, again string) url.Values {
		return url.Values{"current_password": {current}, "new_password": {next}, "new_password_again": {again}}
	}
	t.Run("changed", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("POST /idp/api/v1/me/password", 204, "")
		p.post(p.signIn(student()), "/profile/password", form("old secret", "new secret 123", "new secret 123")).
			redirects(t, "/profile?done=password")
		req := p.api.only(t, "POST /idp/api/v1/me/password")
		wantJSON(t, req, `{"current_password":"old secret","new_password":"new secret 123"}`)
		wantHeader(t, req, "Authorization", "Bearer access-token")
	})
	t.Run("new passwords differ", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me", 200, meJSON)
		r := p.post(p.signIn(student()), "/profile/password", form("old secret", "new secret 123", "new secret 124"))
		r.want(t, http.StatusUnprocessableEntity, msg("profile.password.mismatch"),
			`name="new_password_again" value="" autocomplete="new-password" aria-invalid="true"`,
			`name="email" value="ada@uni.example"`)
		r.lacks(t, "old secret", "new secret 123")
		p.api.none(t, "POST /idp/api/v1/me/password")
	})
	t.Run("current password missing", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me", 200, meJSON)
		p.post(p.signIn(student()), "/profile/password", form("", "new secret 123", "new secret 123")).
			want(t, http.StatusUnprocessableEntity, msg("profile.password.current.missing"), `id="current_password-error"`)
		p.api.none(t, "POST /idp/api/v1/me/password")
	})
	t.Run("current password wrong", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me", 200, meJSON)
		p.api.on("POST /idp/api/v1/me/password", 422, `{"status":422,"detail":"Refused.","errors":[{"field":"current_password","detail":"The current password is wrong."}]}`)
		r := p.post(p.signIn(student()), "/profile/password", form("guess", "new secret 123", "new secret 123"))
		r.want(t, http.StatusUnprocessableEntity, `name="current_password" value="" autocomplete="current-password" aria-invalid="true"`,
			`<p class="field-error" id="current_password-error">The current password is wrong.</p>`)
		r.lacks(t, "guess", `id="new_password-error"`)
	})
	t.Run("new password refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /idp/api/v1/me", 200, meJSON)
		p.api.on("POST /idp/api/v1/me/password", 422, `{"status":422,"detail":"The password is too short."}`)
		p.post(p.signIn(student()), "/profile/password", form("old secret", "short", "short")).want(t, http.StatusUnprocessableEntity,
			`<p class="field-error" id="new_password-error">The password is too short.</p>`)
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("POST /idp/api/v1/me/password", 500, `{"detail":"boom"}`)
		p.post(p.signIn(student()), "/profile/password", form("old secret", "new secret 123", "new secret 123")).
			want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}
