package portal

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The German walk of the portal (issue 13): every page, rendered for a
// browser that asks for German, must not show English text of the
// catalogue, nor English sentences that are in no catalogue. What the
// APIs answered (titles, names, descriptions) is the data of the page,
// not its text, and is left out.

var (
	walkTitle   = regexp.MustCompile(`(?s)<title>(.*?)</title>`)
	walkHead    = regexp.MustCompile(`(?s)<head>.*?</head>`)
	walkAttr    = regexp.MustCompile(`\b(?:placeholder|aria-label|title|alt)="([^"]*)"`)
	walkButton  = regexp.MustCompile(`<input[^>]*type="(?:submit|button|reset)"[^>]*value="([^"]*)"`)
	walkTag     = regexp.MustCompile(`<[^>]*>`)
	walkVerb    = regexp.MustCompile(`%(\[\d+\])?[sdqv]`)
	walkWord    = regexp.MustCompile(`^\w|\w$`)
	walkLetters = regexp.MustCompile(`\p{L}+`)
	walkKey     = regexp.MustCompile(`^[a-z_]+\.[a-z_.]+$`)
)

// walkEnglishWords are words of English sentences that no German text
// of the portal has.
var walkEnglishWords = map[string]bool{"the": true, "your": true, "you": true, "please": true, "this": true, "with": true,
	"and": true, "are": true, "is": true, "of": true, "for": true, "to": true, "here": true, "again": true, "try": true,
	"not": true, "can": true, "will": true, "has": true}

// walkTexts is what a person reads on a page: title, text nodes and the
// attributes that are shown.
func walkTexts(body string) []string {
	var raw []string
	if m := walkTitle.FindStringSubmatch(body); m != nil {
		raw = append(raw, m[1])
	}
	body = walkHead.ReplaceAllString(body, "")
	for _, m := range walkAttr.FindAllStringSubmatch(body, -1) {
		raw = append(raw, m[1])
	}
	for _, m := range walkButton.FindAllStringSubmatch(body, -1) {
		raw = append(raw, m[1])
	}
	raw = append(raw, walkTag.Split(body, -1)...)
	var out []string
	for _, s := range raw {
		if s = strings.Join(strings.Fields(html.UnescapeString(s)), " "); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// sameWords are English messages (or their parts) that are German words
// too, and the brand.
var sameWords = map[string]bool{"Module": true, "Semester": true, "Status": true, "Programme": true, "campus": true,
	"Deutsch": true} // the language switch's name of German on English pages

// technical are names a German page shows as they are: the CSV columns
// and the placeholder of the API examples.
var technical = []string{"attempt", "subject", "grade", "graded_on", "status", "YOUR_KEY"}

// germanCheck finds English on a German page of the portal.
type germanCheck struct {
	fragments []*regexp.Regexp
	keys      []string
	data      []*regexp.Regexp
}

// newGermanCheck knows every English message of the portal's catalogue,
// and takes the strings of the given API answers (JSON) and the extra
// strings as data.
func newGermanCheck(answers []string, extra ...string) *germanCheck {
	c := &germanCheck{}
	for key, en := range messages[English] {
		de := messages[German][key]
		for _, frag := range walkVerb.Split(en, -1) {
			frag = strings.Trim(frag, " .,:;?!()\"'…·–—/")
			if len([]rune(frag)) < 2 || !regexp.MustCompile(`[A-Za-z]{2}`).MatchString(frag) || strings.Contains(de, frag) || sameWords[frag] {
				continue
			}
			pat := regexp.QuoteMeta(frag)
			if walkWord.MatchString(frag[:1]) {
				pat = `\b` + pat
			}
			if walkWord.MatchString(frag[len(frag)-1:]) {
				pat += `\b`
			}
			c.fragments = append(c.fragments, regexp.MustCompile(pat))
			c.keys = append(c.keys, key)
		}
	}
	var data []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			data = append(data, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	for _, a := range answers {
		var v any
		if err := json.Unmarshal([]byte(a), &v); err != nil {
			panic(err)
		}
		walk(v)
	}
	data = append(append(data, extra...), technical...)
	// Longest first, so that "Computer Science" goes before "Science".
	sort.Slice(data, func(i, j int) bool { return len(data[i]) > len(data[j]) })
	for _, d := range data {
		if strings.TrimSpace(d) != "" {
			c.data = append(c.data, regexp.MustCompile(`(^|[^\p{L}\p{N}_])`+regexp.QuoteMeta(d)+`($|[^\p{L}\p{N}_])`))
		}
	}
	return c
}

// problems lists what is not German on a page.
func (c *germanCheck) problems(body string) []string {
	var out []string
	if !strings.Contains(body, `<html lang="de"`) {
		out = append(out, "not marked as German")
	}
	for _, text := range walkTexts(body) {
		for _, d := range c.data {
			text = d.ReplaceAllString(text, "$1 $2")
		}
		if strings.Contains(text, "%!") || walkKey.MatchString(text) {
			out = append(out, fmt.Sprintf("a broken message %q", text))
		}
		if text == "English" { // the switch names the other language in it
			continue
		}
		for i, re := range c.fragments {
			if re.MatchString(text) {
				out = append(out, fmt.Sprintf("English %q (of %s) in %q", re.String(), c.keys[i], text))
			}
		}
		for _, w := range walkLetters.FindAllString(text, -1) {
			if walkEnglishWords[strings.ToLower(w)] {
				out = append(out, fmt.Sprintf("the English word %q in %q", w, text))
			}
		}
	}
	return out
}

// germanGet asks the portal for a page as a German browser does.
func (p *portalTest) germanGet(cookie, target string) result {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Header.Set("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
	return p.do(cookie, r)
}

// TestGermanWalk renders each page of the portal for a German browser,
// as the person it is for (anyone, a student, a lecturer, an
// administrator with editing unlocked), and fails on English text.
func TestGermanWalk(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.catalogueAPI()
	p.api.on("GET /study/v1/me/grades", 200, gradesJSON)
	p.api.on("GET /idp/api/v1/me", 200, meJSON)
	p.api.on("GET /idp/api/v1/me/api-keys", 200, keysJSON)
	p.api.on("GET /study/v1/lectures/l1", 200, lectureJSON)
	p.api.on("GET /study/v1/lectures/l1/students", 200, studentsJSON)
	p.api.on("GET /idp/api/v1/people", 200, peopleJSON)
	p.api.on("GET /study/v1/lectures/l1/statistics", 200, statsJSON)
	p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
	p.api.on("GET /idp/api/v1/users", 200, `{"items":[`+userJSON+`],"next_cursor":"c2"}`)
	p.api.on("GET /idp/api/v1/users/u1", 200, userJSON)
	p.api.on("GET /study/v1/lectures/l1/modules", 200, modulesJSON)
	p.api.on("GET /idp/api/v1/events", 200, eventsJSON)
	p.api.on("GET /idp/api/v1/events/ev-3", 200, eventJSON)
	p.api.on("GET /idp/api/v1/clients", 200, clientsJSON)
	p.api.on("GET /idp/api/v1/me/factors", 200, factorsJSON)
	p.api.on("GET /idp/api/v1/users/u1/factors", 200, factorsJSON)
	c := newGermanCheck([]string{programmesJSON, programmeJSON, modulesJSON, lecturesJSON, moduleJSON, meJSON, rolesJSON, userJSON,
		gradesJSON, keysJSON, lectureJSON, studentsJSON, peopleJSON, statsJSON, eventsJSON, eventJSON, clientsJSON, factorsJSON},
		"Ada Student", "Grace Staff", "Root Admin", "campus", "Zoe Zed (zoe)", "Amy Able (amy)")

	anyone, stud, lecturer, adm := "", p.signIn(student()), p.signIn(staff()), p.signIn(unlocked(admin()))
	pages := []struct {
		who, target string
		status      int
	}{
		{anyone, "/", http.StatusOK},
		{anyone, "/programmes", http.StatusOK},
		{anyone, "/programmes/p1", http.StatusOK},
		{anyone, "/register", http.StatusOK},
		{anyone, "/register/done", http.StatusOK},
		{anyone, "/no-such-page", http.StatusNotFound},
		{stud, "/my", http.StatusOK},
		{stud, "/my?view=detail", http.StatusOK},
		{stud, "/profile", http.StatusOK},
		{stud, "/api-access", http.StatusOK},
		{stud, "/grading", http.StatusForbidden},
		{stud, "/admin", http.StatusForbidden},
		{lecturer, "/grading", http.StatusOK},
		{lecturer, "/grading/l1", http.StatusOK},
		{adm, "/admin", http.StatusOK},
		{adm, "/admin/users", http.StatusOK},
		{adm, "/admin/users/u1", http.StatusOK},
		{adm, "/admin/roles", http.StatusOK},
		{adm, "/admin/programmes", http.StatusOK},
		{adm, "/admin/programmes/p1", http.StatusOK},
		{adm, "/admin/modules/m1", http.StatusOK},
		{adm, "/admin/lectures/l1", http.StatusOK},
		{adm, "/admin/events", http.StatusOK},
		{adm, "/admin/events/ev-3", http.StatusOK},
		{lecturer, "/admin/events", http.StatusForbidden},
	}
	for _, pg := range pages {
		r := p.germanGet(pg.who, pg.target)
		if r.code != pg.status {
			t.Errorf("%s: status %d, want %d\n%s", pg.target, r.code, pg.status, r.body)
			continue
		}
		for _, problem := range c.problems(r.body) {
			t.Errorf("%s: %s", pg.target, problem)
		}
	}
	// Forms that come back with mistakes: the portal's own, and those
	// the API found.
	p.api.on("POST /idp/api/v1/registrations", 422, `{"status":422,"detail":"Some fields are not right; see errors.",
		"errors":[{"field":"password","detail":"Use at least 10 characters."}]}`)
	p.api.on("PATCH /idp/api/v1/me", 412, `{"status":412,"detail":"It was changed since you read it."}`)
	// Changes the study service refuses for want of a second factor.
	p.onStepUp("PATCH /study/v1/programmes/p1")
	p.onStepUp(dryRunKey)
	for _, f := range []struct {
		who, target string
		form        url.Values
		status      int
	}{
		{anyone, "/register", registerForm("given_name", " ", "password_again", "anders"), http.StatusUnprocessableEntity},
		{anyone, "/register", registerForm("password", "kurz", "password_again", "kurz"), http.StatusUnprocessableEntity},
		{stud, "/profile", profileForm(), http.StatusConflict},
		{adm, "/admin/programmes/p1", editForm("title", "Informatik", "description", "Jetzt mit KI."), http.StatusForbidden},
		{lecturer, "/grading/l1", url.Values{"grade:s1": {"1.3"}}, http.StatusForbidden},
	} {
		r := httptest.NewRequest(http.MethodPost, f.target, strings.NewReader(f.form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("Accept-Language", "de-DE,de;q=0.9")
		res := p.do(f.who, r)
		if res.code != f.status {
			t.Errorf("POST %s: status %d, want %d\n%s", f.target, res.code, f.status, res.body)
			continue
		}
		for _, problem := range c.problems(res.body) {
			t.Errorf("POST %s: %s", f.target, problem)
		}
	}

	// A study service that fails, and identity that cannot be reached.
	p.api.on("GET /study/v1/me/grades", 500, `{"detail":"boom"}`)
	if r := p.germanGet(stud, "/my"); r.code != http.StatusBadGateway {
		t.Errorf("/my while the study service fails: %d", r.code)
	} else {
		for _, problem := range c.problems(r.body) {
			t.Errorf("/my while the study service fails: %s", problem)
		}
	}
	if r := p.germanGet(anyone, "/auth/login?return=/my"); r.code != http.StatusServiceUnavailable {
		t.Errorf("/auth/login while identity cannot be reached: %d", r.code)
	} else {
		for _, problem := range c.problems(r.body) {
			t.Errorf("/auth/login while identity cannot be reached: %s", problem)
		}
	}
}

// TestGermanCheckFindsEnglish: the walk's check finds the English
// version of a page, and English that is in no catalogue.
func TestGermanCheckFindsEnglish(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	c := newGermanCheck(nil)
	english := strings.Join(c.problems(p.get("", "/").body), "\n")
	if !strings.Contains(english, "not marked as German") || !strings.Contains(english, "English ") {
		t.Errorf("the English home page passed the check:\n%s", english)
	}
	if got := c.problems(`<html lang="de"><body><p>Bitte melden Sie sich an; try again later.</p></body></html>`); len(got) == 0 {
		t.Error("an English sentence in no catalogue passed the check")
	}
	if got := c.problems(p.germanGet("", "/").body); len(got) > 0 {
		t.Errorf("the German home page: %v", got)
	}
}

// TestSignInAsksInThePageLanguage: the portal asks identity for its sign-in
// pages in the language of its own page (ui_locales, OIDC Core 3.1.2.1):
// the switch's choice, else the browser's.
func TestSignInAsksInThePageLanguage(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /idp/.well-known/openid-configuration", 200, fmt.Sprintf(`{"issuer":%q,"authorization_endpoint":%q,"token_endpoint":%q,"jwks_uri":%q}`,
		p.api.srv.URL+"/idp", p.api.srv.URL+"/idp/authorize", p.api.srv.URL+"/idp/oauth/token", p.api.srv.URL+"/idp/keys"))
	for _, tc := range []struct{ accept, cookie, want string }{
		{"", "", "en"},
		{"de-DE,de;q=0.9", "", "de"},
		{"de-DE", "en", "en"},
		{"en", "de", "de"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/auth/login?return=/my", nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: tc.cookie})
		}
		res := p.do("", r)
		loc, err := url.Parse(res.header.Get("Location"))
		if res.code != http.StatusSeeOther || err != nil || !strings.HasSuffix(loc.Path, "/idp/authorize") {
			t.Fatalf("sign-in start: %d %q\n%s", res.code, res.header.Get("Location"), res.body)
		}
		if got := loc.Query().Get("ui_locales"); got != tc.want {
			t.Errorf("Accept-Language %q, cookie %q: ui_locales=%q, want %q", tc.accept, tc.cookie, got, tc.want)
		}
	}
}

// TestGermanWalkMessaging: the messaging pages in German, as a student
// and an administrator, mistakes included, show no English.
func TestGermanWalkMessaging(t *testing.T) {
	t.Parallel()
	p := newPortal(t, withMessaging)
	p.messagingAPI()
	p.api.on("GET /idp/api/v1/me", 200, meJSON)
	p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
	c := newGermanCheck([]string{meJSON, rolesJSON, peopleMsgJSON, groupJSON}, "Ada Student", "Root Admin", "Ben Krüger", "Clara Vogel",
		"student", "staff", "admin", "notes.pdf")
	stud, adm := p.signIn(student()), p.signIn(admin())
	for _, pg := range []struct {
		who, target string
		status      int
	}{
		{stud, "/messaging", http.StatusOK},
		{stud, "/messaging?q=be", http.StatusOK},
		{stud, "/messaging?q=b", http.StatusOK},
		{stud, "/messaging/c-direct", http.StatusOK},
		{stud, "/messaging/c-direct?edit=m8", http.StatusOK},
		{stud, "/messaging/c-direct?reply=m9", http.StatusOK},
		{stud, "/messaging/c-direct?cursor=cur-older&done=deleted", http.StatusOK},
		{stud, "/messaging/c-group?add=cl&done=renamed", http.StatusOK},
		{stud, "/messaging/c-nope", http.StatusNotFound},
		{stud, "/profile", http.StatusOK},
		{adm, "/admin", http.StatusOK},
		{adm, "/admin/messaging?done=saved", http.StatusOK},
	} {
		r := p.germanGet(pg.who, pg.target)
		if r.code != pg.status {
			t.Errorf("%s: status %d, want %d\n%s", pg.target, r.code, pg.status, r.body)
			continue
		}
		body := r.body
		// The messages' own text is the people's, not the portal's.
		for _, data := range []string{"See you at the <strong>lab</strong> &lt;script&gt;", "Lab at <em>ten</em>?", "Lab at *ten*?", "See you at the **lab**"} {
			body = strings.ReplaceAll(body, data, "")
		}
		for _, problem := range c.problems(body) {
			t.Errorf("%s: %s", pg.target, problem)
		}
	}
	for _, f := range []struct {
		target string
		form   url.Values
		status int
	}{
		{"/messaging/c-direct/send", url.Values{"text": {""}}, http.StatusUnprocessableEntity},
		{"/messaging", url.Values{"q": {"be"}, "kind": {"group"}}, http.StatusUnprocessableEntity},
	} {
		r := httptest.NewRequest(http.MethodPost, f.target, strings.NewReader(f.form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("Accept-Language", "de-DE,de;q=0.9")
		res := p.do(stud, r)
		if res.code != f.status {
			t.Errorf("POST %s: status %d, want %d\n%s", f.target, res.code, f.status, res.body)
			continue
		}
		body := strings.NewReplacer("See you at the <strong>lab</strong> &lt;script&gt;", "", "Lab at <em>ten</em>?", "", "See you at the **lab**", "").Replace(res.body)
		for _, problem := range c.problems(body) {
			t.Errorf("POST %s: %s", f.target, problem)
		}
	}
}
