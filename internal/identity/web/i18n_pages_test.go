package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"campus/internal/i18n"
	"campus/internal/identity"
	"campus/internal/identity/policy"
	"campus/internal/mail"
)

// sameInBoth are the messages that read the same in English and German.
var sameInBoth = map[string]bool{"layout.switch.de": true, "layout.switch.en": true,
	"enrol.name": true, "security.col.name": true, "factor.default.webauthn": true}

// TestPageCatalogueComplete: every message of identity's pages is in
// English and in German, and no German message is the English one
// (except the few that are the same in both).
func TestPageCatalogueComplete(t *testing.T) {
	t.Parallel()
	if missing := catalogue.Missing(sameInBoth); len(missing) > 0 {
		t.Errorf("the catalogue is incomplete:\n%s", strings.Join(missing, "\n"))
	}
	for _, k := range catalogue.Keys(i18n.English) {
		if !sameInBoth[k] && T(i18n.English, k) == T(i18n.German, k) {
			t.Errorf("%q is the same in German as in English: %q", k, T(i18n.German, k))
		}
	}
}

// TestPagesUseKnownMessages: every message a template or identity's Go
// code asks for is in the catalogue (a missing one would show its name
// on the page), in both languages.
func TestPagesUseKnownMessages(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatal(err)
	}
	used := 0
	tmplKey := regexp.MustCompile(`T \$?\.Lang "([a-z_.]+)"`)
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			used++
			if !catalogue.Has(i18n.English, m[1]) || !catalogue.Has(i18n.German, m[1]) {
				t.Errorf("%s uses %q, which is not in the catalogue", f, m[1])
			}
		}
		if strings.Contains(string(b), "{{T ") && !tmplKey.Match(b) {
			t.Errorf("%s calls T in a way this test does not read", f)
		}
	}
	// The Go code names messages as string literals "page.key": each one
	// whose first part is a part of the catalogue must be in it.
	prefixes := map[string]bool{}
	for _, k := range catalogue.Keys(i18n.English) {
		p, _, _ := strings.Cut(k, ".")
		prefixes[p] = true
	}
	goKey := regexp.MustCompile(`"([a-z_]+)\.([a-z_.]+)"`)
	sources, _ := filepath.Glob("*.go")
	for _, f := range sources {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			if !prefixes[m[1]] || strings.HasSuffix(m[2], "html") || strings.HasSuffix(m[2], "css") || strings.HasSuffix(m[2], ".") {
				continue
			}
			used++
			if key := m[1] + "." + m[2]; !catalogue.Has(i18n.English, key) || !catalogue.Has(i18n.German, key) {
				t.Errorf("%s uses %q, which is not in the catalogue", f, key)
			}
		}
	}
	if used < 100 {
		t.Errorf("only %d uses of the catalogue found; is the test reading the pages?", used)
	}
}

// TestPageLanguageChoice: ui_locales of the sign-in first, then the
// switch's cookie, then Accept-Language, else English.
func TestPageLanguageChoice(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ui, cookie, accept string
		want                     i18n.Lang
	}{
		{"nothing said", "", "", "", i18n.English},
		{"German browser", "", "", "de-DE,de;q=0.9", i18n.German},
		{"French browser", "", "", "fr-FR", i18n.English},
		{"the switch over the browser", "", "en", "de", i18n.English},
		{"the switch to German", "", "de", "en", i18n.German},
		{"ui_locales over the switch", "de", "en", "en", i18n.German},
		{"ui_locales English over a German browser", "en-GB", "", "de", i18n.English},
		{"the first language spoken of ui_locales", "fr de en", "", "", i18n.German},
		{"ui_locales that campus does not speak", "fr ja", "de", "", i18n.German},
		{"a bad cookie", "", "xx", "de", i18n.German},
	} {
		r := httptest.NewRequest(http.MethodGet, "/login", nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: i18n.Cookie, Value: tc.cookie})
		}
		if got := pageLang(r, tc.ui); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestLanguageSwitchBack: the switch goes back only to identity's own
// pages on this origin.
func TestLanguageSwitchBack(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/idp/login?authRequestID=x": "/idp/login?authRequestID=x",
		"/idp/password/forgot":       "/idp/password/forgot",
		"/idp":                       "/idp",
		"":                           "/idp/logged-out",
		"https://evil.example/idp/":  "/idp/logged-out",
		"//evil.example/idp/login":   "/idp/logged-out",
		`/\evil.example`:             "/idp/logged-out",
		"/idp/login\r\nSet-Cookie:x": "/idp/logged-out",
		"/portal/my":                 "/idp/logged-out",
		"/idpx/login":                "/idp/logged-out",
		"idp/login":                  "/idp/logged-out",
		"javascript:alert(1)":        "/idp/logged-out",
	} {
		if got := localBack("/idp", in); got != want {
			t.Errorf("localBack(%q) = %q, want %q", in, got, want)
		}
	}
	if got := localBack("", "/login?authRequestID=x"); got != "/login?authRequestID=x" {
		t.Errorf("at the root: %q", got)
	}
	for _, tc := range []struct{ issuer, base, home, want string }{
		{"https://campus.uni.example/idp", "/idp", "https://campus.uni.example/", "/"},
		{"https://id.uni.example", "", "https://portal.uni.example/", "/"},
		{"https://id.uni.example/idp", "/idp", "https://portal.uni.example/", "/idp/"},
		{"https://id.uni.example/idp", "/idp", "", "/idp/"},
	} {
		if got := langCookiePath(tc.issuer, tc.base, tc.home); got != tc.want {
			t.Errorf("langCookiePath(%q, %q, %q) = %q, want %q", tc.issuer, tc.base, tc.home, got, tc.want)
		}
	}
}

// acceptLanguage is a transport that asks for a language on every request.
type acceptLanguage struct {
	lang string
	next http.RoundTripper
}

func (a acceptLanguage) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept-Language", a.lang)
	return a.next.RoundTrip(r)
}

// germanBrowser is a browser (p.browser) whose Accept-Language asks for
// German.
func (p *testIDP) germanBrowser(t testing.TB) *http.Client {
	b := p.browser(t)
	b.Transport = acceptLanguage{"de-DE,de;q=0.9,en;q=0.5", http.DefaultTransport}
	return b
}

func postPage(t testing.TB, b *http.Client, u string, form url.Values) page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return visit(t, b, req)
}

func csrfOf(t testing.TB, pg page) string {
	t.Helper()
	m := formCSRF.FindStringSubmatch(pg.body)
	if m == nil {
		t.Fatalf("no CSRF token on the page (%d):\n%s", pg.status, pg.body)
	}
	return m[1]
}

var (
	visibleTitle = regexp.MustCompile(`(?s)<title>(.*?)</title>`)
	headPart     = regexp.MustCompile(`(?s)<head>.*?</head>`)
	mailBody     = regexp.MustCompile(`(?s)<pre class="mail">.*?</pre>`)
	shownAttr    = regexp.MustCompile(`\b(?:placeholder|aria-label|title|alt)="([^"]*)"`)
	buttonValue  = regexp.MustCompile(`<input[^>]*type="(?:submit|button|reset)"[^>]*value="([^"]*)"`)
	anyTag       = regexp.MustCompile(`<[^>]*>`)
	formatVerb   = regexp.MustCompile(`%(\[\d+\])?[sdqv]`)
	wordChar     = regexp.MustCompile(`^\w|\w$`)
)

// visibleTexts is what a person reads on a page: its title, its text
// nodes, and the attributes that are shown (placeholder, aria-label,
// title, alt, the value of an input button). A mail's text in the
// developer mailbox is the mail's, not the page's.
func visibleTexts(body string) []string {
	var out []string
	if m := visibleTitle.FindStringSubmatch(body); m != nil {
		out = append(out, m[1])
	}
	body = mailBody.ReplaceAllString(headPart.ReplaceAllString(body, ""), "")
	for _, m := range shownAttr.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	for _, m := range buttonValue.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	out = append(out, anyTag.Split(body, -1)...)
	var texts []string
	for _, s := range out {
		if s = strings.Join(strings.Fields(html.UnescapeString(s)), " "); s != "" {
			texts = append(texts, s)
		}
	}
	return texts
}

// englishWords are words of English sentences that no German text of
// these pages has: they catch English that is in no catalogue (a text
// from another package, a forgotten literal).
var englishWords = map[string]bool{"the": true, "your": true, "you": true, "please": true, "this": true, "with": true,
	"and": true, "are": true, "is": true, "of": true, "for": true, "to": true, "sign": true, "here": true, "again": true,
	"try": true, "not": true, "can": true, "will": true, "has": true}

// englishCheck finds English on a German page: any English message of
// the catalogue or of the field errors (each literal part of a format),
// unless the German says the same, and English words.
type englishCheck struct {
	fragments []*regexp.Regexp
	names     []string
	// data is what the test itself typed or named (usernames, addresses,
	// application names), as whole words: it is the person's, not the
	// page's.
	data []*regexp.Regexp
}

func newEnglishCheck(data ...string) *englishCheck {
	c := &englishCheck{}
	for _, d := range data {
		c.data = append(c.data, regexp.MustCompile(`(^|[^\p{L}\p{N}_])`+regexp.QuoteMeta(d)+`($|[^\p{L}\p{N}_])`))
	}
	add := func(name, en, de string) {
		for _, frag := range formatVerb.Split(en, -1) {
			frag = strings.Trim(frag, " .,:;?!()\"'")
			if len([]rune(frag)) < 2 || !regexp.MustCompile(`[A-Za-z]`).MatchString(frag) || strings.Contains(de, frag) {
				continue
			}
			pat := regexp.QuoteMeta(frag)
			if wordChar.MatchString(frag[:1]) {
				pat = `\b` + pat
			}
			if wordChar.MatchString(frag[len(frag)-1:]) {
				pat += `\b`
			}
			c.fragments = append(c.fragments, regexp.MustCompile(pat))
			c.names = append(c.names, name)
		}
	}
	for _, k := range catalogue.Keys(i18n.English) {
		if !sameInBoth[k] {
			add(k, T(i18n.English, k), T(i18n.German, k))
		}
	}
	for _, en := range fieldErrorsInEnglish {
		de, _ := fieldPhrases.Translate(i18n.German, en)
		add("field error", en, de)
	}
	return c
}

// fieldErrorsInEnglish are the field errors the registration and reset
// pages can show (the API's details and the password policy's reasons).
var fieldErrorsInEnglish = []string{"is required", "does not match the password", "does not match the new password",
	"use 2 to 64 letters (a-z), digits, '.', '_' or '-', starting with a letter or digit",
	"is not an e-mail address like name@uni.example", "Use at least %d characters.", "Do not use your username or e-mail address in the password.",
	"This is one of the most commonly used passwords; choose another.", "is taken; choose another",
	"has an account already; sign in, or use another address", "may be at most %d characters"}

// german fails t for every English text on a German page, and for a page
// that does not say it is German.
func (c *englishCheck) german(t *testing.T, name string, pg page, status int) {
	t.Helper()
	if pg.status != status {
		t.Errorf("%s: status %d, want %d\n%s", name, pg.status, status, pg.body)
		return
	}
	for _, p := range c.problems(pg.body) {
		t.Errorf("%s: %s", name, p)
	}
}

var (
	letters    = regexp.MustCompile(`\p{L}+`)
	messageKey = regexp.MustCompile(`^[a-z_]+\.[a-z_.]+$`)
)

// problems lists what is not German on a page.
func (c *englishCheck) problems(body string) []string {
	var out []string
	if !strings.Contains(body, `<html lang="de">`) {
		out = append(out, "not marked as German")
	}
	if !strings.Contains(body, `hreflang="en"`) {
		out = append(out, "no switch to English")
	}
	for _, text := range visibleTexts(body) {
		for _, d := range c.data {
			text = d.ReplaceAllString(text, "$1 $2")
		}
		if strings.Contains(text, "%!") || messageKey.MatchString(text) {
			out = append(out, fmt.Sprintf("a broken message %q", text))
		}
		if text == "English" { // the switch names the other language in it
			continue
		}
		for i, re := range c.fragments {
			if re.MatchString(text) {
				out = append(out, fmt.Sprintf("English %q (of %s) in %q", re.String(), c.names[i], text))
			}
		}
		for _, w := range letters.FindAllString(text, -1) {
			if englishWords[strings.ToLower(w)] {
				out = append(out, fmt.Sprintf("the English word %q in %q", w, text))
			}
		}
	}
	return out
}

// TestEnglishCheckFindsEnglish: the check of the German walk finds the
// English of an English page, a message that lost its arguments or its
// name, and English words that are in no catalogue.
func TestEnglishCheckFindsEnglish(t *testing.T) {
	t.Parallel()
	p, err := parsePages(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	l := &login{pages: p, base: "/idp", logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	c := newEnglishCheck("Lernplattform")
	r := httptest.NewRequest(http.MethodGet, "/login?authRequestID=ar1", nil)
	w := httptest.NewRecorder()
	l.render(w, r, http.StatusOK, identity.AuthRequest{ID: "ar1"}, identity.Client{ID: "walk", Name: "Lernplattform"}, "", T(i18n.English, "login.err.wrong"))
	english := w.Body.String()
	found := strings.Join(c.problems(english), "\n")
	for _, want := range []string{"not marked as German", "no switch to English", "(of login.title)", "(of field.password)", "(of login.err.wrong)", "(of login.new)"} {
		if !strings.Contains(found, want) {
			t.Errorf("the English sign-in page: %q not found in\n%s", want, found)
		}
	}
	// A German page with mistakes in it.
	r.Header.Set("Accept-Language", "de")
	for _, tc := range []struct{ msg, want string }{
		{"Bitte melden Sie sich an: %!s(MISSING)", "a broken message"},
		{"login.err.nothing", "a broken message"},
		{"Die Verbindung zum Server ist unterbrochen; try again later.", `the English word "try"`},
		{"Bitte wählen Sie: Use at least 12 characters.", "of field error"},
		{"Please wait.", `the English word "Please"`},
	} {
		w := httptest.NewRecorder()
		l.render(w, withLang(r, i18n.German), http.StatusOK, identity.AuthRequest{ID: "ar1"}, identity.Client{ID: "walk", Name: "Lernplattform"}, "", tc.msg)
		if got := strings.Join(c.problems(w.Body.String()), "\n"); !strings.Contains(got, tc.want) {
			t.Errorf("%q: %q not found in\n%s", tc.msg, tc.want, got)
		}
	}
	w = httptest.NewRecorder()
	l.render(w, withLang(r, i18n.German), http.StatusOK, identity.AuthRequest{ID: "ar1"}, identity.Client{ID: "walk", Name: "Lernplattform"}, "", "")
	if got := c.problems(w.Body.String()); len(got) > 0 {
		t.Errorf("the German sign-in page:\n%s", strings.Join(got, "\n"))
	}
}

// TestGermanWalk renders every page of identity, and the sign-in page in
// each state a person can reach, for a browser that asks for German, and
// fails on any English text on them.
func TestGermanWalk(t *testing.T) {
	t.Parallel()
	e := startAPI(t, withMail(), withMailbox())
	admin := e.token(t, "admin", adminPassword)
	walk := e.addClient(t, identity.Client{ID: "walk", Name: "Lernplattform", FirstParty: true, RedirectURIs: []string{"https://walk.uni.example/cb"},
		GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile", "studies:write"}})
	walk.Scopes = []string{"openid", "profile"}
	other := e.addClient(t, identity.Client{ID: "outside", Name: "Mensa-App", RedirectURIs: []string{"https://outside.uni.example/cb"},
		GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile", "email", "offline_access"}})
	for _, u := range []string{"anna", "bert", "gesperrt", "nachts", "gast"} {
		e.addUser(t, u, u+"-passwort-1", identity.RoleStudent)
	}
	c := newEnglishCheck("anna", "bert", "gesperrt", "nachts", "gast", "neu", "Lernplattform", "Mensa-App", "uni.example", "campus",
		"smtp_host", "smtp_from", "SMTP", "B-INF")
	start := func(b *http.Client, cfg oauth2.Config, opts ...oauth2.AuthCodeOption) page {
		t.Helper()
		return getPage(t, b, cfg.AuthCodeURL("s", append(opts, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))...))
	}
	arOf := func(pg page) string {
		t.Helper()
		m := formAuthRequest.FindStringSubmatch(pg.body)
		if m == nil {
			t.Fatalf("no sign-in on the page (%d):\n%s", pg.status, pg.body)
		}
		return m[1]
	}

	// The sign-in page and its answers.
	b := e.germanBrowser(t)
	signin := start(b, walk)
	c.german(t, "sign-in", signin, http.StatusOK)
	if !strings.Contains(signin.body, "Lernplattform") {
		t.Errorf("the sign-in page does not name the application:\n%s", signin.body)
	}
	ar := arOf(signin)
	c.german(t, "wrong password", e.fillLogin(t, b, signin, "anna", "falsch-falsch-1"), http.StatusUnauthorized)
	c.german(t, "sign-in form expired", postPage(t, b, e.issuer+"/login", url.Values{"authRequestID": {ar}, "csrf": {strings.Repeat("x", 32)},
		"username": {"anna"}, "password": {"anna-passwort-1"}}), http.StatusForbidden)
	c.german(t, "sign-in link expired", getPage(t, b, e.issuer+"/login?authRequestID=nicht-mehr"), http.StatusBadRequest)

	// Refused by the account's rules, after the right password.
	for _, ch := range []struct{ method, path string }{{"POST", "/disable"}} {
		id, _, _ := e.store.AccountByLogin(context.Background(), "gesperrt")
		e.must(t, http.StatusOK, ch.method, "/api/v1/users/"+id.ID+ch.path, admin, nil, "If-Match", "*")
	}
	c.german(t, "account disabled", e.fillLogin(t, b, getPage(t, b, e.issuer+"/login?authRequestID="+ar), "gesperrt", "gesperrt-passwort-1"), http.StatusForbidden)
	nachts, _, _ := e.store.AccountByLogin(context.Background(), "nachts")
	now := time.Now().UTC()
	e.must(t, http.StatusOK, "PATCH", "/api/v1/users/"+nachts.ID, admin, map[string]any{"login_window": map[string]string{
		"earliest": now.Add(2 * time.Hour).Format("15:04"), "latest": now.Add(3 * time.Hour).Format("15:04"), "last_date": now.AddDate(0, 1, 0).Format("2006-01-02")}}, "If-Match", "*")
	window := e.fillLogin(t, b, getPage(t, b, e.issuer+"/login?authRequestID="+ar), "nachts", "nachts-passwort-1")
	c.german(t, "login window closed", window, http.StatusForbidden)
	if !strings.Contains(html.UnescapeString(window.body), "Die Anmeldung ist nur ") {
		t.Errorf("the window is not told in German:\n%s", window.body)
	}
	e.must(t, http.StatusCreated, "POST", "/api/v1/roles", admin, map[string]any{"name": "gaeste", "permissions": []string{}, "allowed_clients": []string{"console"}})
	gast, _, _ := e.store.AccountByLogin(context.Background(), "gast")
	e.must(t, http.StatusOK, "PUT", "/api/v1/users/"+gast.ID+"/roles", admin, map[string]any{"roles": []string{"gaeste"}}, "If-Match", "*")
	role := e.fillLogin(t, b, getPage(t, b, e.issuer+"/login?authRequestID="+ar), "gast", "gast-passwort-1")
	c.german(t, "application not allowed", role, http.StatusForbidden)
	if !strings.Contains(html.UnescapeString(role.body), "„gaeste“ gibt keinen Zugang zu Lernplattform") {
		t.Errorf("the role's refusal is not told in German:\n%s", role.body)
	}

	// Registration from the sign-in page, its errors, and the answer.
	reg := getPage(t, b, e.issuer+"/register?authRequestID="+ar)
	c.german(t, "registration", reg, http.StatusOK)
	bad := postPage(t, b, e.issuer+"/register", url.Values{"csrf": {csrfOf(t, reg)}, "authRequestID": {ar}, "username": {"n"},
		"email": {"kaputt"}, "password": {"kurz"}, "password_confirm": {"anders"}, "given_name": {""}, "family_name": {"Neu"}})
	c.german(t, "registration with mistakes", bad, http.StatusUnprocessableEntity)
	if !strings.Contains(html.UnescapeString(bad.body), "Verwenden Sie mindestens 10 Zeichen.") {
		t.Errorf("the password policy is not told in German:\n%s", bad.body)
	}
	c.german(t, "registration form expired", postPage(t, b, e.issuer+"/register", url.Values{"csrf": {strings.Repeat("x", 32)}, "username": {"neu"}}),
		http.StatusForbidden)
	done := postPage(t, b, e.issuer+"/register", url.Values{"csrf": {csrfOf(t, reg)}, "authRequestID": {ar}, "username": {"neu"},
		"email": {"neu@uni.example"}, "password": {"ein-langes-passwort-9"}, "password_confirm": {"ein-langes-passwort-9"},
		"given_name": {"Nina"}, "family_name": {"Neu"}})
	c.german(t, "registered", done, http.StatusOK)
	c.german(t, "registered, not confirmed", e.fillLogin(t, b, getPage(t, b, e.issuer+"/login?authRequestID="+ar), "neu", "ein-langes-passwort-9"),
		http.StatusForbidden)

	// A new confirmation link, and confirming.
	resend := getPage(t, b, e.issuer+"/confirm/resend?authRequestID="+ar)
	c.german(t, "new confirmation link", resend, http.StatusOK)
	c.german(t, "new confirmation link, empty", postPage(t, b, e.issuer+"/confirm/resend", url.Values{"csrf": {csrfOf(t, resend)}, "authRequestID": {ar}}),
		http.StatusUnprocessableEntity)
	c.german(t, "new confirmation link sent", postPage(t, b, e.issuer+"/confirm/resend", url.Values{"csrf": {csrfOf(t, resend)}, "email": {"neu@uni.example"}}),
		http.StatusOK)
	link := linkIn(t, e.mailTo(t, "neu@uni.example", ""))
	confirm := getPage(t, b, link)
	c.german(t, "confirm the address", confirm, http.StatusOK)
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(confirm.body)
	if token == nil {
		t.Fatalf("no confirmation form:\n%s", confirm.body)
	}
	c.german(t, "address confirmed", postPage(t, b, e.issuer+"/confirm", url.Values{"csrf": {csrfOf(t, confirm)}, "token": {token[1]}}), http.StatusOK)
	c.german(t, "confirmation link used", getPage(t, b, link), http.StatusBadRequest)
	c.german(t, "form expired", postPage(t, b, e.issuer+"/confirm", url.Values{"csrf": {strings.Repeat("x", 32)}, "token": {token[1]}}), http.StatusForbidden)

	// A forgotten password.
	forgot := getPage(t, b, e.issuer+"/password/forgot?authRequestID="+ar)
	c.german(t, "forgot password", forgot, http.StatusOK)
	c.german(t, "forgot password, empty", postPage(t, b, e.issuer+"/password/forgot", url.Values{"csrf": {csrfOf(t, forgot)}}), http.StatusUnprocessableEntity)
	c.german(t, "reset link sent", postPage(t, b, e.issuer+"/password/forgot", url.Values{"csrf": {csrfOf(t, forgot)}, "login": {"bert"}}), http.StatusOK)
	resetLink := linkIn(t, e.mailTo(t, "bert@uni.example", ""))
	reset := getPage(t, b, resetLink)
	c.german(t, "choose a new password", reset, http.StatusOK)
	rt := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(reset.body)
	if rt == nil {
		t.Fatalf("no reset form:\n%s", reset.body)
	}
	c.german(t, "new password refused", postPage(t, b, e.issuer+"/password/reset", url.Values{"csrf": {csrfOf(t, reset)}, "token": {rt[1]},
		"password": {"bert"}, "password_confirm": {"anders"}}), http.StatusUnprocessableEntity)
	c.german(t, "password changed", postPage(t, b, e.issuer+"/password/reset", url.Values{"csrf": {csrfOf(t, reset)}, "token": {rt[1]},
		"password": {"ein-neues-passwort-7"}, "password_confirm": {"ein-neues-passwort-7"}}), http.StatusOK)
	c.german(t, "reset link used", getPage(t, b, resetLink), http.StatusBadRequest)

	// Consent to an application outside the university.
	b2 := e.germanBrowser(t)
	consent := e.fillLogin(t, b2, start(b2, other), "anna", "anna-passwort-1")
	c.german(t, "consent", consent, http.StatusOK)
	if !strings.Contains(consent.body, "Mensa-App zulassen?") || !strings.Contains(consent.body, "Ihre E-Mail-Adresse sehen") {
		t.Errorf("the consent page does not ask in German:\n%s", consent.body)
	}
	c.german(t, "consent expired", postPage(t, b2, e.issuer+"/consent", url.Values{"authRequestID": {arOf(consent)}, "csrf": {strings.Repeat("x", 32)},
		"decision": {"allow"}}), http.StatusForbidden)

	// The step-up, and another person's password for it.
	b3 := e.germanBrowser(t)
	if pg := e.fillLogin(t, b3, start(b3, walk), "anna", "anna-passwort-1"); pg.status/100 != 3 {
		t.Fatalf("sign-in before the step-up: %d\n%s", pg.status, pg.body)
	}
	stepCfg := walk
	stepCfg.Scopes = []string{"openid", "studies:write"}
	step := start(b3, stepCfg, oauth2.SetAuthURLParam("prompt", "login"))
	c.german(t, "step-up", step, http.StatusOK)
	if !strings.Contains(step.body, "Passwort bestätigen") {
		t.Errorf("the step-up page is not in German:\n%s", step.body)
	}
	c.german(t, "step-up by another person", e.fillLogin(t, b3, step, "bert", "ein-neues-passwort-7"), http.StatusForbidden)

	// Signing out.
	var disc struct {
		EndSession string `json:"end_session_endpoint"`
	}
	resp, err := http.Get(e.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	c.german(t, "sign out?", getPage(t, b3, disc.EndSession), http.StatusOK)
	c.german(t, "sign-out form expired", postPage(t, b3, e.issuer+"/logout", url.Values{"csrf": {strings.Repeat("x", 32)}}), http.StatusForbidden)
	c.german(t, "sign-out link not valid", getPage(t, b3, disc.EndSession+"?id_token_hint=kaputt"), http.StatusBadRequest)
	c.german(t, "signed out", getPage(t, b3, e.issuer+"/logged-out"), http.StatusOK)

	// The developer mailbox.
	c.german(t, "empty developer mailbox", getPage(t, b, e.issuer+"/dev/mail"), http.StatusOK)
	if err := e.mailbox.Send(context.Background(), mail.Message{To: "anna@uni.example", Subject: "Bestätigen Sie Ihre Adresse",
		Text: "Bitte öffnen Sie https://campus.uni.example/idp/confirm?token=abc"}); err != nil {
		t.Fatal(err)
	}
	list := getPage(t, b, e.issuer+"/dev/mail")
	c.german(t, "developer mailbox", list, http.StatusOK)
	id := regexp.MustCompile(`/dev/mail/([^"]+)"`).FindStringSubmatch(list.body)
	if id == nil {
		t.Fatalf("no mail in the mailbox:\n%s", list.body)
	}
	c.german(t, "a mail in the developer mailbox", getPage(t, b, e.issuer+"/dev/mail/"+id[1]), http.StatusOK)
	c.german(t, "no such mail", getPage(t, b, e.issuer+"/dev/mail/nichts"), http.StatusNotFound)
	proxied, _ := http.NewRequest(http.MethodGet, e.issuer+"/dev/mail", nil)
	proxied.Header.Set("X-Forwarded-For", "203.0.113.9")
	c.german(t, "mailbox from afar", visit(t, b, proxied), http.StatusForbidden)
}

// TestGermanSignInAnswers renders the sign-in page with each answer it
// can give in German, including those the walk cannot provoke cheaply
// (an unreachable directory, too many attempts, an overloaded server, a
// broken configuration), and checks them for English as the walk does.
func TestGermanSignInAnswers(t *testing.T) {
	t.Parallel()
	p, err := parsePages(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	l := &login{pages: p, base: "/idp", logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	c := newEnglishCheck("Lernplattform", "anna", "campus", "gaeste", "UTC", "Europe/Berlin")
	de := i18n.German
	closed, _ := policy.ParseWindow("22:00", "06:00", "2026-01-01", "2026-12-31")
	after, _ := policy.ParseWindow("08:00", "18:00", "2026-03-01", "")
	answers := map[string]string{
		"wrong":             T(de, "login.err.wrong"),
		"form expired":      T(de, "login.err.form_expired"),
		"too many":          T(de, "login.err.too_many", waitIn(de, 42)),
		"too many, one":     T(de, "login.err.too_many", waitIn(de, 1)),
		"too many, minutes": T(de, "login.err.too_many", waitIn(de, 300)),
		"busy":              T(de, "login.err.busy"),
		"directory":         T(de, "login.err.directory"),
		"unconfirmed":       T(de, "login.err.unconfirmed"),
		"other person":      T(de, "login.err.other_person", "anna"),
		"other account":     T(de, "login.err.other_account"),
		"disabled":          T(de, "login.err.disabled"),
		"rules":             T(de, "login.err.rules"),
		"role":              refusalText(de, &policy.ClientError{Role: "gaeste", Client: "Lernplattform"}),
		"window":            refusalText(de, &policy.WindowError{Windows: []policy.Window{closed, after}, Zone: "Europe/Berlin"}),
	}
	for name, msg := range answers {
		for _, stepUp := range []bool{false, true} {
			ar := identity.AuthRequest{ID: "ar1"}
			if stepUp {
				ar.Prompt, ar.Scopes = []string{"login"}, []string{"openid", "studies:write"}
			}
			r := httptest.NewRequest(http.MethodGet, "/login?authRequestID=ar1", nil)
			r.Header.Set("Accept-Language", "de")
			r = withLang(r, langOf(r))
			w := httptest.NewRecorder()
			l.render(w, r, http.StatusForbidden, ar, identity.Client{ID: "walk", Name: "Lernplattform"}, "anna", msg)
			if stepUp {
				name += " (step-up)"
			}
			pg := page{status: w.Code, header: w.Header(), body: w.Body.String()}
			c.german(t, name, pg, http.StatusForbidden)
			if !strings.Contains(html.UnescapeString(pg.body), msg) {
				t.Errorf("%s: the answer is not on the page", name)
			}
		}
	}
	if got := T(de, "login.err.too_many", waitIn(de, 1)); !strings.Contains(got, "1 Sekunde ") {
		t.Errorf("one second: %q", got)
	}
	if got := waitIn(i18n.English, 1); got != "1 second" {
		t.Errorf("one second in English: %q", got)
	}
	if got := durationText(de, 48*time.Hour); got != "2 Tage" {
		t.Errorf("two days in German: %q", got)
	}
}

// TestEnglishStaysEnglish: a browser that asks for nothing gets English
// pages marked as English, with a switch to German.
func TestEnglishStaysEnglish(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	pg := getPage(t, p.browser(t), p.console.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	for _, want := range []string{`<html lang="en">`, "<title>Sign in · campus</title>", "Username or e-mail", `hreflang="de"`, ">Deutsch</a>"} {
		if !strings.Contains(pg.body, want) {
			t.Errorf("no %q on the English sign-in page:\n%s", want, pg.body)
		}
	}
}

// TestLanguageOfTheSignIn: ui_locales of the authorization request
// decides the sign-in's language over the browser's; identity's switch
// changes it for that sign-in and sets campus_lang, and goes back to the
// page; a switch to another site goes nowhere.
func TestLanguageOfTheSignIn(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	b := p.germanBrowser(t)
	// A German browser, but the application asks for English.
	pg := getPage(t, b, p.console.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("ui_locales", "en-GB de")))
	if !strings.Contains(pg.body, `<html lang="en">`) {
		t.Fatalf("ui_locales=en-GB on a German browser:\n%s", pg.body)
	}
	ar := formAuthRequest.FindStringSubmatch(pg.body)[1]
	if stored, err := p.store.AuthRequest(context.Background(), ar); err != nil || stored.UILocales != "en-GB de" {
		t.Fatalf("stored ui_locales %q, %v", stored.UILocales, err)
	}
	// The registration page of the same sign-in speaks its language too.
	if reg := getPage(t, b, p.issuer+"/register?authRequestID="+ar); !strings.Contains(reg.body, `<html lang="en">`) {
		t.Errorf("the registration of an English sign-in:\n%s", reg.body)
	}
	// The switch on the page.
	sw := regexp.MustCompile(`<a href="([^"]+)" lang="de" hreflang="de">Deutsch</a>`).FindStringSubmatch(pg.body)
	if sw == nil {
		t.Fatalf("no switch to German:\n%s", pg.body)
	}
	target, _ := url.Parse(p.issuer)
	switchURL, _ := target.Parse(html.UnescapeString(sw[1]))
	if back := switchURL.Query().Get("back"); back != "/idp/login?authRequestID="+ar {
		t.Errorf("the switch goes back to %q", back)
	}
	after := getPage(t, b, switchURL.String())
	if after.status != http.StatusOK || !strings.Contains(after.body, `<html lang="de">`) || !strings.Contains(after.body, "Anmelden") {
		t.Fatalf("after switching to German: %d\n%s", after.status, after.body)
	}
	loginURL, _ := target.Parse("/idp/login")
	cookies := b.Jar.Cookies(loginURL)
	found := false
	for _, ck := range cookies {
		found = found || (ck.Name == i18n.Cookie && ck.Value == "de")
	}
	if !found {
		t.Errorf("no campus_lang=de cookie after the switch: %v", cookies)
	}
	// The cookie alone decides pages without a sign-in, over the browser.
	en := p.browser(t)
	en.Transport = acceptLanguage{"de", http.DefaultTransport}
	toEnglish := p.issuer + "/lang?to=en&back=" + url.QueryEscape("/idp/logged-out")
	if out := getPage(t, en, toEnglish); !strings.Contains(out.body, `<html lang="en">`) || !strings.Contains(out.body, "Signed out") {
		t.Errorf("a German browser that chose English:\n%s", out.body)
	}
	// Never to another site.
	for _, back := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example"} {
		resp, err := p.http.Get(p.issuer + "/lang?to=de&back=" + url.QueryEscape(back))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/idp/logged-out" {
			t.Errorf("back=%q: %d to %q", back, resp.StatusCode, loc)
		}
		if ck := resp.Header.Get("Set-Cookie"); !strings.Contains(ck, "campus_lang=de") || !strings.Contains(ck, "Path=/idp/") || !strings.Contains(ck, "HttpOnly") {
			t.Errorf("the switch's cookie: %q", ck)
		}
	}
}

// TestGermanWalkWithoutMail: the registration reached without a sign-in,
// and its answer when no mail is configured (no confirmation link), in
// German.
func TestGermanWalkWithoutMail(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	c := newEnglishCheck("ohne", "uni.example", "campus")
	b := p.germanBrowser(t)
	reg := getPage(t, b, p.issuer+"/register")
	c.german(t, "registration without a sign-in", reg, http.StatusOK)
	done := postPage(t, b, p.issuer+"/register", url.Values{"csrf": {csrfOf(t, reg)}, "username": {"ohne"}, "email": {"ohne@uni.example"},
		"password": {"ein-langes-passwort-9"}, "password_confirm": {"ein-langes-passwort-9"}, "given_name": {"Olga"}, "family_name": {"Ohne"}})
	c.german(t, "registered without mail", done, http.StatusOK)
	taken := postPage(t, b, p.issuer+"/register", url.Values{"csrf": {csrfOf(t, reg)}, "username": {"ohne"}, "email": {"ohne@uni.example"},
		"password": {"ein-langes-passwort-9"}, "password_confirm": {"ein-langes-passwort-9"}, "given_name": {"Olga"}, "family_name": {"Ohne"}})
	c.german(t, "username taken", taken, http.StatusConflict)
	if !strings.Contains(taken.body, "Dieser Benutzername ist vergeben") {
		t.Errorf("the taken username is not told in German:\n%s", taken.body)
	}
	for _, path := range []string{"/confirm/resend", "/password/forgot"} {
		if pg := getPage(t, b, p.issuer+path); pg.status != http.StatusNotFound {
			t.Errorf("%s without mail: %d", path, pg.status)
		}
	}
}
