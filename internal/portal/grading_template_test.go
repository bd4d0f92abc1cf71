package portal

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
)

// TestGradeTemplate: the grading page offers a template of the lecture's
// students that the upload takes as it is: subject, username, name and an
// empty grade column; names a spreadsheet would run as formulas are
// neutralised as the study service's export does; identity is asked with
// the staff member's own token; others cannot download it.
func TestGradeTemplate(t *testing.T) {
	t.Parallel()
	p := newPortal(t)
	p.lectureAPI()
	p.api.on("GET /idp/api/v1/people", 200, `{"items":[{"id":"s1","username":"zoe","display_name":"=HYPERLINK(\"https://evil.example\",\"x\")"},{"id":"s2","username":"amy","display_name":"Amy Able, Jr."}]}`)
	cookie := p.signIn(staff())
	p.get(cookie, "/grading/l1").want(t, http.StatusOK, `href="/grading/l1/template" download>`+msg("grading.template")+"</a>")
	r := p.get(cookie, "/grading/l1/template")
	if r.code != http.StatusOK || r.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		r.header.Get("Content-Disposition") != `attachment; filename="grades-INF-101-V.csv"` || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("template: %d %v", r.code, r.header)
	}
	// In the page's order: by name, those identity does not name first.
	want := "subject,username,name,grade\n" +
		"s3,,,\n" +
		"s1,zoe,\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"x\"\")\",\n" +
		"s2,amy,\"Amy Able, Jr.\",\n"
	if r.body != want {
		t.Fatalf("template:\n%s\nwant:\n%s", r.body, want)
	}
	recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil || len(recs) != 4 || recs[0][3] != "grade" {
		t.Fatalf("not CSV: %v %v", recs, err)
	}
	wantHeader(t, p.api.sent("GET /idp/api/v1/people")[1], "Authorization", "Bearer access-token")
	// The filled template goes to the study service as it is; the preview
	// names people as the file did.
	p.api.on("POST /study/v1/lectures/l1/grades/upload", 200, `{"dry_run":true,"applied":false,"accepted":1,"refused":1,"rows":[
		{"line":2,"subject":"s1","person":"zoe","grade":"1.3","attempt":1,"result":"accepted"},
		{"line":3,"subject":"nobody","person":"nobody","grade":"1.0","result":"refused","reason":"No account has the username or e-mail address \"nobody\"."}]}`)
	filled := strings.Replace(r.body, "s1,zoe,", ",zoe,", 1)
	p.upload(cookie, "/grading/l1/upload", "grades.csv", filled).want(t, http.StatusOK,
		`<tr class="passed"><td>2</td><td>zoe</td><td>1.3</td>`, `<tr class="failed"><td>3</td><td>nobody</td><td>1.0</td>`)
	if got := p.api.sent("POST /study/v1/lectures/l1/grades/upload")[0].Body; got != filled {
		t.Errorf("sent %q, want the file as it is", got)
	}
	p.get(p.signIn(student()), "/grading/l1/template").want(t, http.StatusForbidden)
	p.api.on("GET /study/v1/lectures/l2", 404, `{"status":404}`)
	p.get(cookie, "/grading/l2/template").want(t, http.StatusNotFound, msg("grading.nolecture"))
}

func TestTemplateName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"INF-101-V": "grades-INF-101-V.csv", `a"b/c\d`: "grades-a-b-c-d.csv", "": "grades-lecture.csv", "..": "grades-lecture.csv"} {
		if got := templateName(in); got != want {
			t.Errorf("templateName(%q) = %q, want %q", in, got, want)
		}
	}
}
