package main

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"campus/internal/identity"
)

var (
	registerLink = regexp.MustCompile(`href="([^"]*/register\?authRequestID=[^"]+)"`)
	loginLink    = regexp.MustCompile(`href="([^"]*/login\?authRequestID=[^"]+)"`)
)

// regForm is a complete, valid registration.
func regForm(username string) url.Values {
	return url.Values{"username": {username}, "email": {username + "@uni.example"}, "given_name": {"Rita"}, "family_name": {"Regis"},
		"display_name": {""}, "password": {"a-sound-passphrase"}, "password_confirm": {"a-sound-passphrase"},
		"programme_id": {"B-INF"}, "programme_title": {"Computer Science"}}
}

// submitRegister posts the registration form shown on pg with vals (its
// CSRF token and authRequestID added) and does not follow the redirect.
func submitRegister(t *testing.T, p *idp, b *http.Client, pg page, vals url.Values) page {
	t.Helper()
	csrf := formCSRF.FindStringSubmatch(pg.body)
	if csrf == nil || !strings.Contains(pg.body, `action="/idp/register"`) {
		t.Fatalf("no registration form (status %d):\n%s", pg.status, pg.body)
	}
	form := url.Values{"csrf": {csrf[1]}}
	if ar := formAuthRequest.FindStringSubmatch(pg.body); ar != nil {
		form.Set("authRequestID", ar[1])
	}
	for k, v := range vals {
		form[k] = v
	}
	req, _ := http.NewRequest(http.MethodPost, p.issuer+"/register", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	stay := *b
	stay.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return visit(t, &stay, req)
}

func TestRegistrationPage(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "portal2", "--first-party", "--redirect-uri", "https://portal2.uni.example/cb")
	r := newRP(t, p, app, oidc.ScopeOpenID)
	p.addUser(t, "taken", "taken-password-1", identity.RoleStudent)

	t.Run("from the sign-in page and back", func(t *testing.T) {
		t.Parallel()
		b := p.browser(t)
		verifier := oauth2.GenerateVerifier()
		login := getPage(t, b, r.config.AuthCodeURL("s1", oauth2.S256ChallengeOption(verifier)))
		link := registerLink.FindStringSubmatch(login.body)
		if link == nil || !strings.Contains(login.body, "Create an account") {
			t.Fatalf("the sign-in page has no registration link:\n%s", login.body)
		}
		form := getPage(t, b, p.url+html.UnescapeString(link[1]))
		if form.status != http.StatusOK || !formAuthRequest.MatchString(form.body) {
			t.Fatalf("registration page: %d\n%s", form.status, form.body)
		}
		for _, f := range []string{"username", "email", "given_name", "family_name", "display_name", "password", "password_confirm", "programme_id", "programme_title"} {
			if !strings.Contains(form.body, `<label for="`+f+`"`) || !strings.Contains(form.body, `id="`+f+`" name="`+f+`"`) {
				t.Errorf("field %s lacks its label or input", f)
			}
		}
		done := submitRegister(t, p, b, form, regForm("rita"))
		if done.status != http.StatusSeeOther || done.location == nil || done.location.Path != "/idp/register/done" {
			t.Fatalf("after registering: %d %v\n%s", done.status, done.location, done.body)
		}
		confirm := getPage(t, b, done.location.String())
		back := loginLink.FindStringSubmatch(confirm.body)
		if confirm.status != http.StatusOK || !strings.Contains(confirm.body, "Your account is ready") || back == nil {
			t.Fatalf("confirmation page: %d\n%s", confirm.status, confirm.body)
		}
		if !strings.Contains(confirm.body, "We sent you a mail with a link that confirms your e-mail address") {
			t.Fatalf("the page does not say to confirm the address:\n%s", confirm.body)
		}
		p.confirmEmail(t, "rita@uni.example")
		// Back to the same sign-in request, and in with the new account.
		signIn := getPage(t, b, p.url+html.UnescapeString(back[1]))
		pg := submitLogin(t, p, b, signIn, "rita", "a-sound-passphrase")
		if _, err := r.config.Exchange(r.ctx, codeFrom(t, pg, r.config.RedirectURL, "s1"), oauth2.VerifierOption(verifier)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("without a sign-in request", func(t *testing.T) {
		t.Parallel()
		b := p.browser(t)
		form := getPage(t, b, p.issuer+"/register")
		done := submitRegister(t, p, b, form, regForm("solo"))
		if done.status != http.StatusSeeOther {
			t.Fatalf("status %d\n%s", done.status, done.body)
		}
		confirm := getPage(t, b, done.location.String())
		if !strings.Contains(confirm.body, "Your account is ready") || loginLink.MatchString(confirm.body) {
			t.Fatalf("confirmation without a request:\n%s", confirm.body)
		}
		// An expired or made-up request id is dropped, not an error.
		if pg := getPage(t, b, p.issuer+"/register?authRequestID=made-up"); pg.status != http.StatusOK || formAuthRequest.MatchString(pg.body) {
			t.Fatalf("made-up request id: %d", pg.status)
		}
	})

	t.Run("field errors keep the input", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name   string
			change url.Values
			status int
			field  string
			msg    string
		}{
			{"missing given name", url.Values{"given_name": {" "}}, http.StatusUnprocessableEntity, "given_name", "This is required."},
			{"bad e-mail", url.Values{"email": {"rita-at-uni"}}, http.StatusUnprocessableEntity, "email", "not an e-mail address"},
			{"bad username", url.Values{"username": {"r i t a"}}, http.StatusUnprocessableEntity, "username", "letters"},
			{"short password", url.Values{"password": {"short"}, "password_confirm": {"short"}}, http.StatusUnprocessableEntity, "password", "at least 10 characters"},
			{"common password", url.Values{"password": {"password1234"}, "password_confirm": {"password1234"}}, http.StatusUnprocessableEntity, "password", "commonly used"},
			{"passwords differ", url.Values{"password_confirm": {"another-passphrase"}}, http.StatusUnprocessableEntity, "password_confirm", "does not match"},
			{"taken username", url.Values{"username": {"Taken"}, "email": {"new-taken@uni.example"}}, http.StatusConflict, "username", "taken"},
			{"programme title too long", url.Values{"programme_title": {strings.Repeat("x", 201)}}, http.StatusUnprocessableEntity, "programme_title", "at most 200"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				b := p.browser(t)
				vals := regForm("kept")
				vals.Set("given_name", "Zoë <b>")
				for k, v := range tc.change {
					vals[k] = v
				}
				pg := submitRegister(t, p, b, getPage(t, b, p.issuer+"/register"), vals)
				if pg.status != tc.status {
					t.Fatalf("status %d, want %d\n%s", pg.status, tc.status, pg.body)
				}
				errID := tc.field + "-error"
				input := regexp.MustCompile(`<input [^>]*id="` + tc.field + `"[^>]*>`).FindString(pg.body)
				if !strings.Contains(input, `aria-invalid="true"`) || !strings.Contains(input, errID) {
					t.Errorf("input not marked invalid or not described by its error: %s", input)
				}
				errText := regexp.MustCompile(`<p class="error" id="` + errID + `">([^<]*)</p>`).FindStringSubmatch(pg.body)
				if errText == nil || !strings.Contains(html.UnescapeString(errText[1]), tc.msg) {
					t.Errorf("no error %q beside %s:\n%s", tc.msg, tc.field, pg.body)
				}
				if !strings.Contains(pg.body, `role="alert"`) || !strings.Contains(pg.body, `href="#`+tc.field+`"`) {
					t.Error("no error summary linking to the field")
				}
				// What was typed is kept (escaped), passwords never.
				for _, f := range []string{"username", "email", "family_name", "programme_id"} {
					if v := vals.Get(f); strings.TrimSpace(v) != "" && !strings.Contains(pg.body, `value="`+html.EscapeString(v)+`"`) {
						t.Errorf("%s %q not kept", f, v)
					}
				}
				if tc.field != "given_name" && !strings.Contains(pg.body, `value="Zoë &lt;b&gt;"`) {
					t.Error("given name not kept, or not escaped")
				}
				if strings.Contains(pg.body, vals.Get("password")) || strings.Contains(pg.body, vals.Get("password_confirm")) {
					t.Error("a password was sent back")
				}
				// The form still works: a fresh CSRF token is on it.
				if !formCSRF.MatchString(pg.body) {
					t.Error("no CSRF token on the re-shown form")
				}
			})
		}
	})

	t.Run("a taken e-mail address is answered as a free one", func(t *testing.T) {
		t.Parallel()
		b := p.browser(t)
		vals := regForm("fresh")
		vals.Set("email", "taken@uni.example")
		pg := submitRegister(t, p, b, getPage(t, b, p.issuer+"/register"), vals)
		if pg.status != http.StatusSeeOther || pg.location == nil || !strings.HasSuffix(pg.location.Path, "/register/done") {
			t.Fatalf("status %d, location %v\n%s", pg.status, pg.location, pg.body)
		}
		// Its owner is told instead.
		p.mailTo(t, "taken@uni.example", "tried to register")
	})

	t.Run("CSRF failure", func(t *testing.T) {
		t.Parallel()
		b := p.browser(t)
		form := getPage(t, b, p.issuer+"/register")
		forged := strings.Replace(form.body, formCSRF.FindStringSubmatch(form.body)[1], strings.Repeat("x", 32), 1)
		pg := submitRegister(t, p, b, page{status: form.status, body: forged}, regForm("forged"))
		if pg.status != http.StatusForbidden || !strings.Contains(pg.body, "Your form expired") || !strings.Contains(pg.body, `value="forged"`) {
			t.Fatalf("wrong CSRF token: %d\n%s", pg.status, pg.body)
		}
		// Another site's browser has no cookie at all.
		stranger := p.browser(t)
		if pg := submitRegister(t, p, stranger, form, regForm("forged")); pg.status != http.StatusForbidden {
			t.Fatalf("no CSRF cookie: %d", pg.status)
		}
		// Nothing was created: the name is still free.
		if pg := submitRegister(t, p, b, getPage(t, b, p.issuer+"/register"), regForm("forged")); pg.status != http.StatusSeeOther {
			t.Fatalf("forged name taken after refused attempts: %d\n%s", pg.status, pg.body)
		}
	})
}
