package portal

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLangSwitchRemembersChoice: the language switch of a signed-in person
// tells identity (PATCH /me locale), so that mails follow it; a failure
// there, nobody signed in, or a switch started from another site leave
// identity alone and the switch works all the same.
func TestLangSwitchRemembersChoice(t *testing.T) {
	t.Parallel()
	switchTo := func(p *portalTest, cookie, to, site string) result {
		r := httptest.NewRequest(http.MethodGet, "/lang?to="+to+"&back=/profile", nil)
		if site != "" {
			r.Header.Set("Sec-Fetch-Site", site)
		}
		return p.do(cookie, r)
	}
	switched := func(t *testing.T, r result, to string) {
		t.Helper()
		r.redirects(t, "/profile")
		if c := r.header.Get("Set-Cookie"); !strings.Contains(c, langCookie+"="+to) {
			t.Errorf("Set-Cookie %q, want %s=%s", c, langCookie, to)
		}
	}
	t.Run("signed in", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("PATCH /idp/api/v1/me", 200, meJSON)
		switched(t, switchTo(p, p.signIn(student()), "de", "same-origin"), "de")
		req := p.api.only(t, "PATCH /idp/api/v1/me")
		wantHeader(t, req, "If-Match", "*")
		wantHeader(t, req, "Authorization", "Bearer access-token")
		wantJSON(t, req, `{"locale":"de"}`)
	})
	t.Run("identity fails", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("PATCH /idp/api/v1/me", 503, `{"status":503,"detail":"down"}`)
		switched(t, switchTo(p, p.signIn(student()), "en", ""), "en")
		p.api.only(t, "PATCH /idp/api/v1/me")
	})
	t.Run("not signed in", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		switched(t, switchTo(p, "", "de", "same-origin"), "de")
		p.api.none(t, "PATCH /idp/api/v1/me")
	})
	t.Run("from another site", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		switched(t, switchTo(p, p.signIn(student()), "de", "cross-site"), "de")
		p.api.none(t, "PATCH /idp/api/v1/me")
	})
}

// TestRegisterSendsThePageLanguage: the registration carries the page's
// language (the switch's choice beats the browser's), which identity
// stores as the account's language for mails.
func TestRegisterSendsThePageLanguage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("POST /idp/api/v1/registrations", 201, `{"id":"new","email_verified":false}`)
	r := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader("username=neu&email=neu%40uni.example&password=a-fine-passphrase&password_again=a-fine-passphrase&given_name=N&family_name=Neu"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Accept-Language", "en-US")
	r.AddCookie(&http.Cookie{Name: langCookie, Value: "de"})
	p.do("", r)
	wantHeader(t, p.api.only(t, "POST /idp/api/v1/registrations"), "Accept-Language", "de")
}

// TestProfileMailLanguage: the profile page shows and saves the language
// of the person's mails.
func TestProfileMailLanguage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /idp/api/v1/me", 200, strings.Replace(meJSON, `"version"`, `"locale":"de","version"`, 1))
	p.api.on("PATCH /idp/api/v1/me", 200, meJSON)
	cookie := p.signIn(student())
	p.get(cookie, "/profile").want(t, http.StatusOK, `<label for="locale">`+msg("profile.locale")+`</label>`,
		`<option value="de" lang="de" selected>`, `<option value="">`+msg("profile.locale.browser")+`</option>`)

	p.post(cookie, "/profile", profileForm("locale", "de")).redirects(t, "/profile?done=saved")
	wantJSON(t, p.api.only(t, "PATCH /idp/api/v1/me"), `{"username":"ada","email":"ada@uni.example","display_name":"Ada Lovelace",`+
		`"given_name":"Ada","family_name":"Lovelace","semester":4,"locale":"de"}`)

	r := p.post(cookie, "/profile", profileForm("locale", "fr"))
	r.want(t, http.StatusUnprocessableEntity, `aria-describedby="locale-error"`, msg("profile.locale.invalid"))
	if n := len(p.api.sent("PATCH /idp/api/v1/me")); n != 1 {
		t.Errorf("an invalid language was sent to identity (%d PATCHes)", n)
	}
}
