package portal

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// ---- registration

func registerForm(changes ...string) url.Values {
	f := url.Values{"given_name": {"Ada"}, "family_name": {"Lovelace"}, "username": {"ada"}, "email": {"ada@uni.example"},
		"password": {"correct horse"}, "password_again": {"correct horse"}, "programme_id": {"p1"}}
	for i := 0; i+1 < len(changes); i += 2 {
		f.Set(changes[i], changes[i+1])
	}
	return f
}

func TestRegisterPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /study/v1/programmes", 200, programmesJSON)
	r := p.get("", "/register?programme=p1")
	r.want(t, http.StatusOK, "<h1>"+msg("register.title")+"</h1>", `<option value="">`+msg("register.programme.later")+"</option>",
		`<option value="p1" selected>B.Sc. Computer Science</option>`, `<option value="p2">M.Sc. Mathematics</option>`,
		`name="password" value="" autocomplete="new-password"`)
	r.lacks(t, `aria-invalid`)
	req := p.api.only(t, "GET /study/v1/programmes")
	wantHeader(t, req, "Authorization", "")
	if q, _ := url.ParseQuery(req.Query); q.Get("limit") != "200" {
		t.Errorf("programmes query %v", q)
	}
	p.get("", "/register/done").want(t, http.StatusOK, msg("register.done.title"), msg("register.done"), `href="/auth/login?return=/my"`)

	p.api.on("GET /study/v1/programmes", 500, `{"detail":"boom"}`)
	p.get("", "/register").want(t, http.StatusBadGateway, msg("error.unavailable"))
}

func TestRegister(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) *portalTest {
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes", 200, programmesJSON)
		p.api.on("GET /study/v1/programmes/p1", 200, programmeJSON)
		return p
	}
	t.Run("fields missing", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		r := p.post("", "/register", url.Values{"given_name": {"  "}, "email": {"ada@uni.example"}})
		r.want(t, http.StatusUnprocessableEntity, `name="email" value="ada@uni.example"`)
		for _, f := range []string{"given_name", "family_name", "username", "password"} {
			r.want(t, http.StatusUnprocessableEntity, `name="`+f+`" value="" autocomplete=`, `<p class="field-error" id="`+f+`-error">`+msg("register.missing")+"</p>")
		}
		r.lacks(t, `id="email-error"`)
		p.api.none(t, "POST /idp/api/v1/registrations")
	})
	t.Run("passwords differ", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		r := p.post("", "/register", registerForm("password_again", "correct horsf"))
		r.want(t, http.StatusUnprocessableEntity, `<p class="field-error" id="password_again-error">`+msg("profile.password.mismatch")+"</p>",
			`name="password_again" value="" autocomplete="new-password" aria-invalid="true"`,
			`name="given_name" value="Ada"`, `name="username" value="ada"`, `<option value="p1" selected>`)
		r.lacks(t, "correct horse")
		p.api.none(t, "POST /idp/api/v1/registrations")
	})
	t.Run("user name taken", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		p.api.on("POST /idp/api/v1/registrations", 409, `{"status":409,"detail":"Refused.","errors":[{"field":"username","detail":"This user name is taken."}]}`)
		r := p.post("", "/register", registerForm())
		r.want(t, http.StatusUnprocessableEntity, `name="username" value="ada" autocomplete="username" aria-invalid="true" aria-describedby="username-error"`,
			`<p class="field-error" id="username-error">This user name is taken.</p>`, `name="family_name" value="Lovelace"`)
		r.lacks(t, "correct horse")
	})
	t.Run("unknown programme", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		p.api.on("GET /study/v1/programmes/gone", 404, `{"detail":"not found"}`)
		p.post("", "/register", registerForm("programme_id", "gone")).want(t, http.StatusUnprocessableEntity,
			`<select id="programme_id" name="programme_id" aria-invalid="true" aria-describedby="programme_id-error">`,
			msg("register.programme.unknown"))
		p.api.none(t, "POST /idp/api/v1/registrations")
	})
	t.Run("too many", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		p.api.on("POST /idp/api/v1/registrations", 429, `{"status":429,"detail":"Too many registrations."}`)
		p.post("", "/register", registerForm()).want(t, http.StatusTooManyRequests, `<p class="field-error" role="alert">`+msg("register.toomany")+"</p>")
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		p.api.on("POST /idp/api/v1/registrations", 500, `{"detail":"boom"}`)
		p.post("", "/register", registerForm()).want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
	for _, tt := range []struct{ remote, forwarded string }{
		{"203.0.113.7:51234", "203.0.113.7"},
		{"[2001:db8::1]:443", "2001:db8::1"},
	} {
		t.Run("made from "+tt.forwarded, func(t *testing.T) {
			t.Parallel()
			p := setup(t)
			p.api.on("POST /idp/api/v1/registrations", 201, `{"id":"u9"}`)
			form := registerForm("username", " ada ")
			r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Sec-Fetch-Site", "same-origin")
			r.RemoteAddr = tt.remote
			p.do("", r).redirects(t, "/register/done?confirm=1")
			req := p.api.only(t, "POST /idp/api/v1/registrations")
			wantHeader(t, req, "X-Forwarded-For", tt.forwarded)
			wantHeader(t, req, "Authorization", "")
			wantJSON(t, req, `{"username":"ada","email":"ada@uni.example","password":"correct horse","given_name":"Ada","family_name":"Lovelace",
				"programme_id":"p1","programme_title":"B.Sc. Computer Science"}`)
		})
	}
	t.Run("programme chosen later", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		p.api.on("POST /idp/api/v1/registrations", 201, `{"id":"u9"}`)
		p.api.on("POST /idp/api/v1/registrations", 201, `{"id":"u9","email_verified":true}`)
		p.post("", "/register", registerForm("programme_id", "")).redirects(t, "/register/done")
		body := jsonBody(t, p.api.only(t, "POST /idp/api/v1/registrations"))
		if _, ok := body["programme_id"]; ok {
			t.Errorf("sent a programme: %v", body)
		}
		p.api.none(t, "GET /study/v1/programmes/p1")
	})
}
