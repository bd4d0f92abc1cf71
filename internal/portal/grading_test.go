package portal

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// ---- grading

const (
	lectureJSON  = `{"id":"l1","code":"INF-101-V","title":"Programming lecture","semester":"winter","hours_per_week":4,"responsible":"Prof. Lovelace"}`
	studentsJSON = `{"items":[{"subject":"s1","grade":"2.0","attempt":1,"status":"provisional","attempts_used":1},
		{"subject":"s2","attempts_used":0},{"subject":"s3","attempts_used":0}]}`
	peopleJSON = `{"items":[{"id":"s1","username":"zoe","display_name":"Zoe Zed"},{"id":"s2","username":"amy","display_name":"Amy Able"}]}`
	statsJSON  = `{"count":3,"mean":"2.3","pass_rate":0.6667,"distribution":{"1.3":1,"2.0":2,"5.0":1}}`
)

// lectureAPI sets the answers the lecture page reads: the lecture, its
// students s1 (Zoe), s2 (Amy) and s3 (unknown to identity), their names
// and the statistics.
func (p *portalTest) lectureAPI() {
	p.api.on("GET /study/v1/lectures/l1", 200, lectureJSON)
	p.api.on("GET /study/v1/lectures/l1/students", 200, studentsJSON)
	p.api.on("GET /idp/api/v1/people", 200, peopleJSON)
	p.api.on("GET /study/v1/lectures/l1/statistics", 200, statsJSON)
}

func TestGradingList(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /study/v1/lectures", 200, `{"items":[{"id":"l7","code":"MAT-100-V","title":"Analysis lecture","semester":"summer","responsible":"Prof. Noether"}],"next_cursor":"c2"}`)
	cookie := p.signIn(staff())
	r := p.get(cookie, "/grading?q=+analysis+")
	r.want(t, http.StatusOK, msg("grading.title"), `<input type="search" id="q" name="q" value="analysis">`,
		`<a href="/grading/l7"><span class="code">MAT-100-V</span> Analysis lecture</a>`, "<td>Prof. Noether</td>",
		"<td>"+msg("term.summer")+"</td>", `rel="next">`+msg("grading.more"))
	req := p.api.only(t, "GET /study/v1/lectures")
	if q, _ := url.ParseQuery(req.Query); q.Get("q") != "analysis" || q.Get("limit") != "50" || q.Has("cursor") {
		t.Errorf("query %q", req.Query)
	}
	wantHeader(t, req, "Authorization", "Bearer access-token")

	p.api.on("GET /study/v1/lectures", 200, `{"items":[]}`)
	r = p.get(cookie, "/grading?cursor=c2")
	r.want(t, http.StatusOK, msg("grading.nolectures"))
	r.lacks(t, `rel="next"`)
	if q, _ := url.ParseQuery(p.api.sent("GET /study/v1/lectures")[1].Query); q.Get("cursor") != "c2" {
		t.Errorf("cursor not passed on: %v", q)
	}
}

// TestPagingLinksKeepTheirQuery: the "next page" links of the grading and
// the users list carry the cursor and the search as a query string.
func TestPagingLinksKeepTheirQuery(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.api.on("GET /study/v1/lectures", 200, `{"items":[{"id":"l7","code":"MAT-100-V","title":"Analysis lecture","semester":"summer"}],"next_cursor":"c2"}`)
	p.api.on("GET /idp/api/v1/roles", 200, rolesJSON)
	p.api.on("GET /idp/api/v1/users", 200, `{"items":[`+userJSON+`],"next_cursor":"c2"}`)
	p.get(p.signIn(staff()), "/grading?q=analysis").want(t, http.StatusOK, `href="/grading?cursor=c2&amp;q=analysis"`)
	p.get(p.signIn(admin()), "/admin/users?q=ada&role=student").want(t, http.StatusOK, `href="/admin/users?cursor=c2&amp;q=ada&amp;role=student"`)
}

func TestGradingNeedsStaff(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.lectureAPI()
	cookie := p.signIn(student()) // no grades:write
	for _, r := range []result{
		p.get(cookie, "/grading"),
		p.get(cookie, "/grading/l1"),
		p.post(cookie, "/grading/l1", url.Values{"grade:s1": {"1.0"}}),
		p.upload(cookie, "/grading/l1/upload", "grades.csv", "subject,grade\ns1,1.0\n"),
	} {
		r.want(t, http.StatusForbidden, msg("grading.forbidden"))
	}
	p.api.mu.Lock()
	defer p.api.mu.Unlock()
	if len(p.api.reqs) != 0 {
		t.Errorf("a student's request reached the API: %v", p.api.reqs)
	}
}

func TestLecturePage(t *testing.T) {
	t.Parallel()
	t.Run("students and chart", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		r := p.get(p.signIn(staff()), "/grading/l1")
		r.want(t, http.StatusOK, `<h1><span class="code">INF-101-V</span> Programming lecture</h1>`,
			msg("grading.summary", 3, "2.3", 67), `<svg class="chart" viewBox="0 0 440 200" role="img"`,
			// the tallest bar (2.0, twice) is full height; 1.3 half; 5.0 is marked failed
			`<rect x="127" y="15" width="30" height="160" class="bar"/>`,
			`<rect x="49" y="95" width="30" height="80" class="bar"/>`,
			`<rect x="400" y="95" width="30" height="80" class="bar-fail"/>`,
			`<tr><th scope="row">2.0</th><td>2</td></tr>`,
			// names from identity, sorted; the one it does not know by subject
			`<th scope="row"><span class="code">s3</span></th>`, `<th scope="row">Amy Able (amy)</th>`, `<th scope="row">Zoe Zed (zoe)</th>`,
			"2.0 <span class=\"meta\">("+msg("status.provisional")+", "+msg("my.attempt", 1)+")</span>",
			`<select id="g2" name="grade:s1">`, `action="/grading/l1/upload" enctype="multipart/form-data"`)
		r.lacks(t, `class="notice"`, `aria-invalid`, msg("grading.nostats"))
		if i, j := strings.Index(r.body, "Amy Able"), strings.Index(r.body, "Zoe Zed"); i > j {
			t.Error("students not sorted by name")
		}
		people := p.api.only(t, "GET /idp/api/v1/people")
		if q, _ := url.ParseQuery(people.Query); !reflect.DeepEqual(q["id"], []string{"s1", "s2", "s3"}) {
			t.Errorf("people asked for %v", q["id"])
		}
		wantHeader(t, people, "Authorization", "Bearer access-token")
		if q, _ := url.ParseQuery(p.api.only(t, "GET /study/v1/lectures/l1/students").Query); q.Get("limit") != "200" {
			t.Errorf("students query %v", q)
		}
	})
	t.Run("stored notice, no statistics, no names", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on("GET /study/v1/lectures/l1/statistics", 200, `{"count":0,"distribution":{}}`)
		p.api.on("GET /idp/api/v1/people", 403, `{"detail":"needs users:read"}`)
		r := p.get(p.signIn(staff()), "/grading/l1?stored=2")
		r.want(t, http.StatusOK, `<p class="notice" role="status">`+msg("grading.stored", 2)+"</p>", msg("grading.nostats"),
			`<th scope="row"><span class="code">s1</span></th>`)
		r.lacks(t, "<svg", "Zoe Zed")
	})
	t.Run("students on several pages", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on("GET /study/v1/lectures/l1/students?limit=200", 200, `{"items":[{"subject":"s1"}],"next_cursor":"n2"}`)
		p.api.on("GET /study/v1/lectures/l1/students?limit=200&cursor=n2", 200, `{"items":[{"subject":"s2"}]}`)
		p.get(p.signIn(staff()), "/grading/l1").want(t, http.StatusOK, "Amy Able (amy)", "Zoe Zed (zoe)")
		if n := len(p.api.sent("GET /study/v1/lectures/l1/students")); n != 2 {
			t.Errorf("%d pages of students read, want 2", n)
		}
	})
	t.Run("no such lecture", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.api.on("GET /study/v1/lectures/nope", 404, `{"detail":"not found"}`)
		p.get(p.signIn(staff()), "/grading/nope").want(t, http.StatusNotFound, msg("grading.nolecture"))
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on("GET /study/v1/lectures/l1/students", 500, `{"detail":"boom"}`)
		p.get(p.signIn(staff()), "/grading/l1").want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}

const (
	uploadKey   = "POST /study/v1/lectures/l1/grades/upload"
	dryRunKey   = uploadKey + "?dry_run=true"
	realRunKey  = uploadKey + "?dry_run=false"
	allAccepted = `{"dry_run":%s,"applied":%s,"accepted":2,"refused":0,"rows":[
		{"line":2,"subject":"s1","grade":"1.3","attempt":1,"result":"accepted"},{"line":3,"subject":"s2","grade":"2.0","attempt":1,"result":"accepted"}]}`
)

func accepted(dryRun bool) string {
	return fmt.Sprintf(allAccepted, strconv.FormatBool(dryRun), strconv.FormatBool(!dryRun))
}

func TestRecordGrades(t *testing.T) {
	t.Parallel()
	t.Run("all accepted: checked, then stored", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 200, accepted(true))
		p.api.on(realRunKey, 200, accepted(false))
		p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s2": {"2.0"}, "grade:s1": {"1.3"}, "grade:s3": {""}, "final": {"on"}}).
			redirects(t, "/grading/l1?stored=2")
		ups := p.api.sent(uploadKey)
		if len(ups) != 2 || ups[0].Query != "dry_run=true" || ups[1].Query != "dry_run=false" {
			t.Fatalf("uploads %+v, want a dry run, then the real one", ups)
		}
		for _, up := range ups {
			if want := "subject,grade,status\ns1,1.3,final\ns2,2.0,final\n"; up.Body != want {
				t.Errorf("CSV %q, want %q", up.Body, want)
			}
			wantHeader(t, up, "Content-Type", "text/csv")
			wantHeader(t, up, "Authorization", "Bearer access-token")
		}
	})
	t.Run("provisional unless final", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 200, `{"dry_run":true,"accepted":1}`)
		p.api.on(realRunKey, 200, `{"applied":true,"accepted":1}`)
		p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s1": {"4.0"}}).redirects(t, "/grading/l1?stored=1")
		if up := p.api.sent(uploadKey)[0]; up.Body != "subject,grade,status\ns1,4.0,provisional\n" {
			t.Errorf("CSV %q", up.Body)
		}
	})
	t.Run("refused: nothing stored", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 200, `{"dry_run":true,"applied":false,"accepted":1,"refused":1,"rows":[
			{"line":2,"subject":"s1","grade":"1.3","result":"accepted"},
			{"line":3,"subject":"s2","grade":"2.0","result":"refused","reason":"Amy has used all three attempts."}]}`)
		p.api.on(realRunKey, 200, accepted(false))
		r := p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s1": {"1.3"}, "grade:s2": {"2.0"}, "final": {"on"}})
		r.want(t, http.StatusUnprocessableEntity, `<p class="field-error" role="alert">`+msg("grading.refused", 1)+"</p>",
			`<select id="g1" name="grade:s2" aria-invalid="true" aria-describedby="g1-error">`,
			`<p class="field-error" id="g1-error">Amy has used all three attempts.</p>`,
			`<option selected>2.0</option>`, `<option selected>1.3</option>`, `<input type="checkbox" id="final" name="final" checked>`)
		r.lacks(t, `id="g2-error"`, `id="g0-error"`)
		if got := p.api.sent(uploadKey); len(got) != 1 || got[0].Query != "dry_run=true" {
			t.Errorf("uploads %+v, want only the dry run", got)
		}
	})
	t.Run("refused meanwhile: says what was stored", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 200, accepted(true))
		p.api.on(realRunKey, 200, `{"applied":true,"accepted":1,"refused":1,"rows":[{"line":3,"subject":"s2","result":"refused","reason":"graded meanwhile"}]}`)
		p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s1": {"1.3"}, "grade:s2": {"2.0"}}).
			want(t, http.StatusUnprocessableEntity, msg("grading.partly", 1, 1), `<p class="field-error" id="g1-error">graded meanwhile</p>`)
	})
	t.Run("nothing chosen", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		r := p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s1": {""}, "grade:s2": {""}, "final": {"on"}})
		r.want(t, http.StatusUnprocessableEntity, msg("grading.nothing"), `<input type="checkbox" id="final" name="final" checked>`)
		if got := p.api.changes(); len(got) != 0 {
			t.Errorf("sent %v", got)
		}
	})
	t.Run("study service refuses the file", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 400, `{"status":400,"detail":"line 2: unknown grade"}`)
		p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s1": {"1.3"}}).
			want(t, http.StatusUnprocessableEntity, msg("grading.badfile", "line 2: unknown grade"))
		if n := len(p.api.sent(uploadKey)); n != 1 {
			t.Errorf("%d uploads", n)
		}
	})
	t.Run("API 500", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 500, `{"detail":"boom"}`)
		p.post(p.signIn(staff()), "/grading/l1", url.Values{"grade:s1": {"1.3"}}).want(t, http.StatusBadGateway, msg("error.unavailable"))
	})
}

func TestUploadCSV(t *testing.T) {
	t.Parallel()
	const file = "subject;grade\ns1;1,3\ns2;2,0\ns9;1,0\n"
	t.Run("preview, then confirm", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 200, `{"dry_run":true,"applied":false,"accepted":2,"refused":1,"rows":[
			{"line":2,"subject":"s1","grade":"1.3","result":"accepted"},{"line":3,"subject":"s2","grade":"2.0","result":"accepted"},
			{"line":4,"subject":"s9","grade":"1.0","result":"refused","reason":"not enrolled in a programme with this lecture"}]}`)
		p.api.on(realRunKey, 200, `{"dry_run":false,"applied":true,"accepted":2,"refused":1}`)
		cookie := p.signIn(staff())
		r := p.upload(cookie, "/grading/l1/upload", "grades.csv", file)
		r.want(t, http.StatusOK, `<p role="status">`+msg("grading.report", 2, 1)+"</p>",
			`<tr class="failed"><td>4</td><td class="code">s9</td><td>1.0</td><td>`+msg("grading.refused.row")+": not enrolled in a programme with this lecture</td></tr>",
			`<tr class="passed"><td>2</td><td class="code">s1</td><td>1.3</td><td>`+msg("grading.accepted")+"</td></tr>",
			`<textarea name="csv" hidden>`+template.HTMLEscapeString(file)+"</textarea>",
			`<input type="hidden" name="confirm" value="1">`, msg("grading.confirm", 2))
		up := p.api.only(t, uploadKey)
		if up.Query != "dry_run=true" || up.Body != file {
			t.Errorf("preview sent %q with %q", up.Query, up.Body)
		}
		wantHeader(t, up, "Content-Type", "text/csv")

		p.post(cookie, "/grading/l1/upload", url.Values{"csv": {file}, "confirm": {"1"}}).redirects(t, "/grading/l1?stored=2")
		ups := p.api.sent(uploadKey)
		if len(ups) != 2 || ups[1].Query != "dry_run=false" || ups[1].Body != file {
			t.Errorf("confirmation sent %+v", ups)
		}
	})
	t.Run("nothing acceptable: no confirmation offered", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 200, `{"dry_run":true,"accepted":0,"refused":1,"rows":[{"line":2,"subject":"s9","grade":"1.0","result":"refused","reason":"unknown"}]}`)
		r := p.upload(p.signIn(staff()), "/grading/l1/upload", "grades.csv", "subject,grade\ns9,1.0\n")
		r.want(t, http.StatusOK, msg("grading.report", 0, 1))
		r.lacks(t, `name="confirm"`, `<textarea name="csv"`)
	})
	t.Run("no file", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		cookie := p.signIn(staff())
		p.upload(cookie, "/grading/l1/upload", "", "").want(t, http.StatusUnprocessableEntity, msg("grading.nofile"))
		p.upload(cookie, "/grading/l1/upload", "empty.csv", "").want(t, http.StatusUnprocessableEntity, msg("grading.nofile"))
		p.post(cookie, "/grading/l1/upload", url.Values{"confirm": {"1"}}).want(t, http.StatusUnprocessableEntity, msg("grading.nofile"))
		p.api.none(t, uploadKey)
	})
	t.Run("file refused", func(t *testing.T) {
		t.Parallel()
		p := newPortal(t)
		p.lectureAPI()
		p.api.on(dryRunKey, 400, `{"status":400,"detail":"line 1: there is no subject column"}`)
		p.upload(p.signIn(staff()), "/grading/l1/upload", "grades.csv", "name,grade\nx,1.0\n").
			want(t, http.StatusUnprocessableEntity, msg("grading.badfile", "line 1: there is no subject column"))
	})
}
