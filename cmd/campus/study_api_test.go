package main

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"campus/internal/study/api/spectest"
)

// studyAPI calls the study API of a running campus as one caller.
type studyAPI struct {
	t     testing.TB
	p     *idp
	token string
}

type apiResp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (a studyAPI) do(method, path string, body any, headers ...string) apiResp {
	a.t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "text/csv"
	default:
		j, _ := json.Marshal(b)
		rd = strings.NewReader(string(j))
	}
	req, _ := http.NewRequest(method, a.p.url+"/study"+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := a.p.http.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	// Every exchange must be one api/study.yaml describes: the request,
	// the status, the headers and the body against the schema.
	specReq := req.Clone(req.Context())
	specReq.URL.Path = strings.TrimPrefix(req.URL.Path, "/study")
	if req.GetBody != nil {
		specReq.Body, _ = req.GetBody()
	}
	spectest.Validator(a.t).Check(a.t, specReq, resp, raw)
	r := apiResp{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	json.Unmarshal(raw, &r.body)
	return r
}

func (a studyAPI) must(status int, method, path string, body any, headers ...string) apiResp {
	a.t.Helper()
	r := a.do(method, path, body, headers...)
	if r.status != status {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, status, r.raw)
	}
	return r
}

func TestStudyAPIEndToEnd(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	app := p.addClient(t, "--id", "tester", "--first-party", "--redirect-uri", "https://tester.uni.example/cb",
		"--scope", "openid", "--scope", "studies:write", "--scope", "grades:write", "--scope", "grades:read")
	stud := p.addUser(t, "stud", "student-password-1", "student")
	p.addUser(t, "prof", "staff-password-12", "staff")
	scopes := []string{oidc.ScopeOpenID, "studies:write", "grades:write", "grades:read"}
	token := func(user, pw string, extra ...oauth2.AuthCodeOption) string {
		tok, _ := newRP(t, p, app, scopes...).signIn(t, p, p.browser(t), user, pw, extra...)
		return tok.AccessToken
	}
	anon := studyAPI{t: t, p: p}
	student := studyAPI{t: t, p: p, token: token("stud", "student-password-1")}
	staff := studyAPI{t: t, p: p, token: token("prof", "staff-password-12")}
	admin := studyAPI{t: t, p: p, token: token("admin", adminPassword)}
	editor := studyAPI{t: t, p: p, token: token("admin", adminPassword, oauth2.SetAuthURLParam("prompt", "login"))}

	// The catalogue is changed only with the study token.
	prog := map[string]any{"title": "B.Sc. Computer Science", "degree": "B.Sc.", "semesters": 6, "credits_required": 180, "language": "en", "status": "published"}
	if r := admin.do("POST", "/v1/programmes", prog); r.status != http.StatusForbidden || !strings.Contains(r.raw, "study token") {
		t.Fatalf("admin without the study token: %d %s", r.status, r.raw)
	}
	anon.must(http.StatusUnauthorized, "POST", "/v1/programmes", prog)
	pr := editor.must(http.StatusCreated, "POST", "/v1/programmes", prog)
	progID := pr.body["id"].(string)
	if pr.header.Get("ETag") != `"1"` || pr.header.Get("Location") == "" {
		t.Fatalf("create: ETag %q Location %q", pr.header.Get("ETag"), pr.header.Get("Location"))
	}
	mod := editor.must(http.StatusCreated, "POST", "/v1/modules", map[string]any{"code": "INF-101", "title": "Programming", "credits": 10})
	modID := mod.body["id"].(string)
	l1 := editor.must(http.StatusCreated, "POST", "/v1/lectures", map[string]any{"code": "INF-101-V", "title": "Programming lecture", "hours_per_week": 4}).body["id"].(string)
	l2 := editor.must(http.StatusCreated, "POST", "/v1/lectures", map[string]any{"code": "INF-101-U", "title": "Programming exercises", "hours_per_week": 2}).body["id"].(string)
	editor.must(http.StatusCreated, "PUT", "/v1/programmes/"+progID+"/modules/"+modID, map[string]any{"compulsory": true, "recommended_semester": 1})
	editor.must(http.StatusCreated, "PUT", "/v1/modules/"+modID+"/lectures/"+l1, nil)
	editor.must(http.StatusCreated, "PUT", "/v1/modules/"+modID+"/lectures/"+l2, nil)
	editor.must(http.StatusOK, "PUT", "/v1/modules/"+modID+"/lectures/"+l2, nil) // idempotent

	// Bad input: field errors, duplicate codes.
	bad := editor.must(http.StatusUnprocessableEntity, "POST", "/v1/modules", map[string]any{"code": "", "title": "", "credits": -3})
	if errs, _ := bad.body["errors"].([]any); len(errs) < 3 {
		t.Fatalf("field errors: %s", bad.raw)
	}
	editor.must(http.StatusConflict, "POST", "/v1/modules", map[string]any{"code": "INF-101", "title": "Again", "credits": 1})
	editor.must(http.StatusUnprocessableEntity, "POST", "/v1/lectures", map[string]any{"code": "X", "title": "Y", "bogus": 1}) // every wrong field, one 422

	// Concurrent edits: If-Match required and checked.
	editor.must(http.StatusPreconditionRequired, "PATCH", "/v1/modules/"+modID, map[string]any{"title": "Programming I"})
	editor.must(http.StatusOK, "PATCH", "/v1/modules/"+modID, map[string]any{"title": "Programming I"}, "If-Match", `"1"`)
	editor.must(http.StatusPreconditionFailed, "PATCH", "/v1/modules/"+modID, map[string]any{"title": "Lost update"}, "If-Match", `"1"`)

	// The public detail view: the whole tree.
	tree := anon.must(http.StatusOK, "GET", "/v1/programmes/"+progID, nil)
	mods := tree.body["modules"].([]any)
	if len(mods) != 1 || len(mods[0].(map[string]any)["lectures"].([]any)) != 2 || mods[0].(map[string]any)["title"] != "Programming I" {
		t.Fatalf("tree: %s", tree.raw)
	}
	// Drafts are for staff only.
	draft := editor.must(http.StatusCreated, "POST", "/v1/programmes", map[string]any{"title": "M.Sc. Draft", "degree": "M.Sc.", "semesters": 4, "credits_required": 120}).body["id"].(string)
	anon.must(http.StatusNotFound, "GET", "/v1/programmes/"+draft, nil)
	staff.must(http.StatusOK, "GET", "/v1/programmes/"+draft, nil)
	if l := anon.must(http.StatusOK, "GET", "/v1/programmes", nil); len(l.body["items"].([]any)) != 1 {
		t.Fatalf("public list shows drafts: %s", l.raw)
	}

	// A student enrols in the published programme, not in the draft.
	student.must(http.StatusUnprocessableEntity, "POST", "/v1/me/enrolments", map[string]any{"programme_id": draft})
	student.must(http.StatusCreated, "POST", "/v1/me/enrolments", map[string]any{"programme_id": progID})
	student.must(http.StatusConflict, "POST", "/v1/me/enrolments", map[string]any{"programme_id": progID})

	// Staff records grades; students cannot, nor read others'.
	student.must(http.StatusForbidden, "POST", "/v1/lectures/"+l1+"/grades", map[string]any{"subject": stud.ID, "grade": "1.0"})
	student.must(http.StatusForbidden, "GET", "/v1/lectures/"+l1+"/grades", nil)
	staff.must(http.StatusUnprocessableEntity, "POST", "/v1/lectures/"+l1+"/grades", map[string]any{"subject": stud.ID, "grade": "1.5"})
	staff.must(http.StatusUnprocessableEntity, "POST", "/v1/lectures/"+l1+"/grades", map[string]any{"subject": "someone-else", "grade": "1.3"})
	staff.must(http.StatusCreated, "POST", "/v1/lectures/"+l1+"/grades", map[string]any{"subject": stud.ID, "grade": "1.3", "status": "final"})

	// CSV upload: a dry run changes nothing and reports every row.
	upload := "subject;grade;status\n" + stud.ID + ";2,7;final\nnobody;1.0;final\n" + stud.ID + ";1.0;final\n"
	dry := staff.must(http.StatusOK, "POST", "/v1/lectures/"+l2+"/grades/upload", upload)
	if dry.body["applied"] != false || dry.body["accepted"].(float64) != 1 || dry.body["refused"].(float64) != 2 {
		t.Fatalf("dry run report: %s", dry.raw)
	}
	if g := staff.must(http.StatusOK, "GET", "/v1/lectures/"+l2+"/grades", nil); len(g.body["items"].([]any)) != 0 {
		t.Fatal("the dry run stored grades")
	}
	staff.must(http.StatusBadRequest, "POST", "/v1/lectures/"+l2+"/grades/upload", "name,mark\nx,1\n")
	staff.must(http.StatusBadRequest, "POST", "/v1/lectures/"+l2+"/grades/upload", "subject,grade\n\xff\xfe,1.0\n")
	applied := staff.must(http.StatusOK, "POST", "/v1/lectures/"+l2+"/grades/upload?dry_run=false", upload)
	if applied.body["applied"] != true {
		t.Fatalf("apply: %s", applied.raw)
	}

	// The student sees the module grade: (1.3*4 + 2.7*2) / 6 = 1.77, truncated 1.7.
	mine := student.must(http.StatusOK, "GET", "/v1/me/grades", nil)
	progs := mine.body["programmes"].([]any)
	m0 := progs[0].(map[string]any)["modules"].([]any)[0].(map[string]any)
	if m0["status"] != "passed" || m0["mark"] != "1.7" || progs[0].(map[string]any)["credits_earned"].(float64) != 10 {
		t.Fatalf("overview: %s", mine.raw)
	}
	if st := staff.must(http.StatusOK, "GET", "/v1/lectures/"+l1+"/statistics", nil); st.body["count"].(float64) != 1 {
		t.Fatalf("statistics: %s", st.raw)
	}
	roster := staff.must(http.StatusOK, "GET", "/v1/lectures/"+l2+"/students", nil)
	if items := roster.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["grade"] != "2.7" {
		t.Fatalf("students: %s", roster.raw)
	}

	// Export streams CSV.
	exp := staff.do("GET", "/v1/grades/export?programme_id="+progID, nil)
	rows, err := csv.NewReader(strings.NewReader(exp.raw)).ReadAll()
	if exp.status != http.StatusOK || err != nil || len(rows) != 3 {
		t.Fatalf("export: %d %v %q", exp.status, err, exp.raw)
	}

	// Deleting something linked lists the links; enrolments and grades are
	// never forced away.
	lk := editor.must(http.StatusConflict, "DELETE", "/v1/programmes/"+progID, nil, "If-Match", `"1"`)
	if links, _ := lk.body["links"].([]any); len(links) != 1 || links[0].(map[string]any)["kind"] != "enrolment" {
		t.Fatalf("links: %s", lk.raw)
	}
	editor.must(http.StatusConflict, "DELETE", "/v1/programmes/"+progID+"?force=true", nil, "If-Match", `"1"`)
	ml := editor.must(http.StatusConflict, "DELETE", "/v1/modules/"+modID, nil, "If-Match", `"2"`)
	if links, _ := ml.body["links"].([]any); len(links) != 3 {
		t.Fatalf("module links: %s", ml.raw)
	}
	editor.must(http.StatusConflict, "DELETE", "/v1/lectures/"+l1+"?force=true", nil, "If-Match", `"1"`)

	// Tokens: invalid ones are refused with WWW-Authenticate; opaque unknown keys too.
	bogus := studyAPI{t: t, p: p, token: "a.b.c"}
	if r := bogus.do("GET", "/v1/programmes", nil); r.status != http.StatusUnauthorized || !strings.Contains(r.header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("bad token: %d %v", r.status, r.header)
	}
	key := studyAPI{t: t, p: p, token: "campus_unknownkey"}
	key.must(http.StatusUnauthorized, "GET", "/v1/me/grades", nil)
}
