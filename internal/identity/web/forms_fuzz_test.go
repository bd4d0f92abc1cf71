package web

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"campus/internal/identity/policy"
)

// FuzzSignInAndRegisterForms posts arbitrary form bodies to identity's
// sign-in and registration pages, as a browser (or anyone) can: with and
// without a valid authorization request and CSRF token. Every answer is
// a page (HTML) or a redirect, never a panic or a 5xx (the store is a
// healthy SQLite database here), and a form without the CSRF token never
// signs in or registers anyone.
func FuzzSignInAndRegisterForms(f *testing.F) {
	f.Add("username=admin&password=correct-horse-battery-staple", true, true)
	f.Add("username=admin&password=wrong", true, true)
	f.Add("username=ana&email=ana%40example.org&password=a+long+passphrase+here&password_confirm=a+long+passphrase+here&given_name=Ana&family_name=Lima", true, true)
	f.Add("username=ana&email=ana%40example.org&password=x&password_confirm=y", false, true)
	f.Add("username=%00%ff&email=@&given_name="+strings.Repeat("x", 300), true, false)
	f.Add("%zz=1&;&&=&username", true, true)
	f.Add("authRequestID=forged&csrf=x", false, false)
	f.Add("username[]=a&username=b&password=", true, true)
	f.Fuzz(func(t *testing.T, body string, withCSRF, withRequest bool) {
		p := startIDP(t)
		ar, _ := p.authorize(t, p.console)
		csrf := strings.Repeat("c", 32)
		full := body
		if withRequest {
			full += "&authRequestID=" + url.QueryEscape(ar)
		}
		if withCSRF {
			full += "&csrf=" + csrf
		}
		for _, path := range []string{"/login", "/register"} {
			req, _ := http.NewRequest(http.MethodPost, p.issuer+path, strings.NewReader(full))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: csrfCookie, Value: csrf})
			resp, err := p.http.Do(req)
			if err != nil {
				t.Fatalf("POST %s %q: %v", path, full, err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch c := resp.StatusCode; {
			case c >= 500:
				t.Fatalf("POST %s %q: %d\n%s", path, full, c, page)
			case c >= 300 && c < 400:
				if resp.Header.Get("Location") == "" {
					t.Fatalf("POST %s %q: %d without a Location", path, full, c)
				}
				if !withCSRF {
					t.Fatalf("POST %s %q without the CSRF token went through: %d to %s", path, full, c, resp.Header.Get("Location"))
				}
			default:
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(page), "</html>") {
					t.Fatalf("POST %s %q: %d %q, not a page:\n%s", path, full, c, ct, page)
				}
				// What the form echoes back is valid UTF-8, whatever came in.
				if !utf8.Valid(page) {
					t.Fatalf("POST %s %q: %d, the page is not valid UTF-8", path, full, c)
				}
			}
		}
	})
}

// FuzzRegistrationValidate: the registration's checks (the page's and the
// API's) take any values without a panic; what they let through has a
// username, an e-mail address with an @, names of valid UTF-8, and a
// password the policy accepts.
func FuzzRegistrationValidate(f *testing.F) {
	f.Add("ana", "ana@example.org", "a long passphrase here", "Ana", "Lima", "", "p1")
	f.Add("", "", "", "", "", "", "")
	f.Add("a", "@", "123", "\x00", "\xff", strings.Repeat("x", 201), "p")
	f.Add("ana lima", "ana@@example.org", "ana@example.org", "Ana", "Lima", "Ana Lima", "")
	pw := policy.PasswordPolicy{MinLength: 10, MaxLength: 256, RefuseCommon: true}
	f.Fuzz(func(t *testing.T, username, email, password, given, family, display, programme string) {
		in := registration{Username: username, Email: email, Password: password, GivenName: given, FamilyName: family,
			DisplayName: display, ProgrammeID: programme}
		in.trim()
		if errs := in.validate(pw); errs != nil {
			for _, e := range errs {
				if e.Field == "" || e.Detail == "" {
					t.Fatalf("%+v: a problem without a field or reason: %+v", in, e)
				}
			}
			return
		}
		if in.Username == "" || !strings.Contains(in.Email, "@") || in.Password == "" {
			t.Fatalf("accepted %+v", in)
		}
		for _, s := range []string{in.Username, in.Email, in.GivenName, in.FamilyName, in.DisplayName, in.ProgrammeID} {
			if !utf8.ValidString(s) {
				t.Fatalf("accepted %q, not UTF-8: %+v", s, in)
			}
		}
		if err := pw.Check(in.Password, in.Username, in.Email, in.GivenName, in.FamilyName, in.DisplayName); err != nil {
			t.Fatalf("accepted a password the policy refuses: %v", err)
		}
	})
}
