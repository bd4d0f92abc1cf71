package portal

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// ---- my study

const gradesJSON = `{"programmes":[{"programme":{"id":"p1","title":"Computer Science","degree":"B.Sc.","semesters":6,"credits_required":180},
	"credits_earned":15,"credits_required":180,"progress":0.0833,"mean":"1.7",
	"modules":[
	{"module_id":"m2","code":"INF-301","title":"Databases","credits":5,"compulsory":false,"recommended_semester":3,"status":"not_started","mark":"",
	 "lectures":[{"lecture_id":"l2","code":"INF-301-V","title":"Databases lecture","hours_per_week":2,"grade":"","attempt":0,"status":"not_started"}]},
	{"module_id":"m1","code":"INF-101","title":"Programming","credits":10,"compulsory":true,"recommended_semester":1,"status":"passed","mark":"1.7",
	 "lectures":[{"lecture_id":"l1","code":"INF-101-V","title":"Programming lecture","hours_per_week":4,"grade":"1.7","attempt":2,"status":"passed"}]}]}]}`

func TestMyStudy(t *testing.T) {
	t.Parallel()
	t.Run("enrolled", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/me/grades", 200, gradesJSON)
		cookie := p.signIn(student())
		r := p.get(cookie, "/my")
		r.want(t, http.StatusOK, msg("my.enrolled", "B.Sc. Computer Science"), msg("my.credits", 15, 180),
			`<progress id="credits" max="180" value="15">8%</progress>`, msg("my.mean", "1.7"),
			`<tr class="module passed">`, `<span class="code">INF-101</span> Programming`, msg("status.passed"),
			`<tr class="module not_started">`, msg("status.not_started"), "("+msg("programme.elective")+")",
			`<a href="/my?view=detail">`+msg("my.view.detail")+"</a>")
		r.lacks(t, "Programming lecture", msg("my.choose"))
		if i, j := strings.Index(r.body, msg("programme.semester", 1)), strings.Index(r.body, msg("programme.semester", 3)); i < 0 || i > j {
			t.Error("the plan is not in semester order")
		}
		wantHeader(t, p.api.only(t, "GET /study/v1/me/grades"), "Authorization", "Bearer access-token")

		d := p.get(cookie, "/my?view=detail")
		d.want(t, http.StatusOK, `<tr class="lecture">`, `<span class="code">INF-101-V</span> Programming lecture`,
			msg("programme.hours", 4), msg("my.attempt", 2), `<span aria-current="page">`+msg("my.view.detail")+"</span>")
	})
	t.Run("not enrolled shows the choices", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/me/grades", 200, `{"programmes":[]}`)
		p.api.on("GET /idp/api/v1/me", 200, meJSON) // no programme chosen at registration
		p.api.on("GET /study/v1/programmes", 200, programmesJSON)
		r := p.get(p.signIn(student()), "/my")
		r.want(t, http.StatusOK, msg("my.none"), `<form method="post" action="/my/enrol"`,
			`<option value="p1">B.Sc. Computer Science</option>`, `<option value="p2">M.Sc. Mathematics</option>`, msg("my.enrol"))
		r.lacks(t, msg("my.plan"))
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
		if q, _ := url.ParseQuery(p.api.only(t, "GET /study/v1/programmes").Query); q.Get("limit") != "200" {
			t.Errorf("programmes query %v", q)
		}
	})
	t.Run("enrols in the programme chosen at registration", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/me/grades", 200, `{"programmes":[]}`)
		p.api.on("GET /idp/api/v1/me", 200, strings.Replace(meJSON, `"version":3`, `"programme_id":"p2","version":3`, 1))
		p.api.on("POST /study/v1/me/enrolments", 201, `{"programme_id":"p2"}`)
		p.get(p.signIn(student()), "/my").redirects(t, "/my?from=registration")
		req := p.api.only(t, "POST /study/v1/me/enrolments")
		wantJSON(t, req, `{"programme_id":"p2"}`)
		wantHeader(t, req, "Authorization", "Bearer access-token")
	})
	t.Run("after registration it does not try again", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/me/grades", 200, `{"programmes":[]}`)
		p.api.on("GET /study/v1/programmes", 200, programmesJSON)
		p.get(p.signIn(student()), "/my?from=registration").want(t, http.StatusOK, msg("my.none"))
		p.api.none(t, "GET /idp/api/v1/me", "POST /study/v1/me/enrolments")
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/me/grades", 500, `{"detail":"boom"}`)
		p.get(p.signIn(student()), "/my").want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
	t.Run("API 401 signs in again", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/me/grades", 401, `{"detail":"token revoked"}`)
		p.get(p.signIn(student()), "/my?view=detail").redirects(t, "/auth/login?return=%2Fmy%3Fview%3Ddetail")
	})
}

func TestEnrol(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusCreated, http.StatusConflict} { // 409: enrolled already
		t.Run(http.StatusText(status), func(t *testing.T) {
			t.Parallel()
			p := newPortal(t)
			p.api.on("POST /study/v1/me/enrolments", status, `{"programme_id":"p1"}`)
			p.post(p.signIn(student()), "/my/enrol", url.Values{"programme_id": {"p1"}}).redirects(t, "/my")
			req := p.api.only(t, "POST /study/v1/me/enrolments")
			wantJSON(t, req, `{"programme_id":"p1"}`)
			wantHeader(t, req, "Authorization", "Bearer access-token")
			wantHeader(t, req, "Content-Type", "application/json")
		})
	}
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("POST /study/v1/me/enrolments", 422, `{"status":422,"detail":"The programme is not open for enrolment."}`)
		p.post(p.signIn(student()), "/my/enrol", url.Values{"programme_id": {"p2"}}).
			want(t, http.StatusUnprocessableEntity, msg("error.title"), "The programme is not open for enrolment.")
	})
}
