package portal

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// ---- public pages

func TestHome(t *testing.T) {
	t.Parallel()
	p := newPortal(t)

	r := p.get("", "/")
	r.want(t, http.StatusOK, "<h1>"+msg("home.title")+"</h1>", msg("home.browse"), `href="/programmes"`, msg("nav.signin"), msg("nav.register"))
	r.lacks(t, msg("nav.signout"), msg("nav.mystudy"))
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self' "+p.api.srv.URL) {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Content-Language") != "en" {
		t.Errorf("headers %v", r.header)
	}

	// A browser asking for German gets German.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9")
	de := p.do("", req)
	de.want(t, http.StatusOK, `<html lang="de">`, template.HTMLEscapeString(T(German, "home.title")))

	// Signed in, the bar names the person and shows their pages.
	in := p.get(p.signIn(student()), "/")
	in.want(t, http.StatusOK, msg("nav.signedin", "Ada Student"), `href="/my"`, `href="/profile"`, msg("nav.signout"))
	in.lacks(t, `href="/admin"`, `href="/grading"`)
	if n := len(p.api.sent("GET /idp/api/v1/me")); n != 0 {
		t.Errorf("the home page called the API")
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.get("", "/nowhere").want(t, http.StatusNotFound, msg("error.notfound"))
}

func TestCatalogue(t *testing.T) {
	t.Parallel()
	t.Run("list", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes", 200, programmesJSON)
		r := p.get(p.signIn(student()), "/programmes?q=+Computer+")
		r.want(t, http.StatusOK, msg("catalogue.title"), `<a href="/programmes/p1">B.Sc. Computer Science</a>`,
			msg("catalogue.semesters", 6), msg("catalogue.credits", 180), "Programming, systems and theory.",
			`<a href="/programmes/p2">M.Sc. Mathematics</a>`, "cursor=cur-2", msg("catalogue.next"))
		req := p.api.only(t, "GET /study/v1/programmes")
		if q, _ := url.ParseQuery(req.Query); q.Get("q") != "Computer" || q.Get("limit") != "50" || q.Has("cursor") {
			t.Errorf("query %q", req.Query)
		}
		// The catalogue is public: read without the person's token.
		wantHeader(t, req, "Authorization", "")
	})
	t.Run("next page", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes", 200, `{"items":[]}`)
		r := p.get("", "/programmes?cursor=cur-2")
		r.want(t, http.StatusOK, msg("catalogue.empty"))
		r.lacks(t, msg("catalogue.next"))
		if q, _ := url.ParseQuery(p.api.only(t, "GET /study/v1/programmes").Query); q.Get("cursor") != "cur-2" {
			t.Errorf("cursor not passed on: %v", q)
		}
	})
	t.Run("API fails", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes", 500, `{"detail":"boom"}`)
		p.get("", "/programmes").want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
	t.Run("API answers what is not JSON", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes", 200, `<html>`)
		p.get("", "/programmes").want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}

func TestProgrammePage(t *testing.T) {
	t.Parallel()
	t.Run("study plan", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes/p1", 200, programmeJSON)
		r := p.get("", "/programmes/p1")
		r.want(t, http.StatusOK, "<title>B.Sc. Computer Science · campus</title>", "<h1>B.Sc. Computer Science</h1>",
			msg("programme.semester", 1), msg("programme.semester", 3), `<span class="code">INF-101</span> Programming`,
			msg("programme.compulsory"), msg("programme.elective"), "Prof. Lovelace · written exam",
			"Programming lecture", msg("programme.hours", 4))
		if i, j := strings.Index(r.body, msg("programme.semester", 1)), strings.Index(r.body, msg("programme.semester", 3)); i > j {
			t.Error("semester 3 before semester 1")
		}
		wantHeader(t, p.api.only(t, "GET /study/v1/programmes/p1"), "Authorization", "")
	})
	t.Run("signed in reads with the token", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes/p1", 200, programmeJSON)
		p.get(p.signIn(student()), "/programmes/p1").want(t, http.StatusOK, "B.Sc. Computer Science")
		wantHeader(t, p.api.only(t, "GET /study/v1/programmes/p1"), "Authorization", "Bearer access-token")
	})
	t.Run("no modules", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes/p2", 200, `{"id":"p2","title":"Mathematics","degree":"M.Sc.","semesters":4,"credits_required":120}`)
		p.get("", "/programmes/p2").want(t, http.StatusOK, msg("programme.nomodules"))
	})
	t.Run("API 404", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes/nope", 404, `{"detail":"not found"}`)
		p.get("", "/programmes/nope").want(t, http.StatusNotFound, msg("error.notfound"))
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/programmes/p1", 500, `{"detail":"boom"}`)
		p.get("", "/programmes/p1").want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}
