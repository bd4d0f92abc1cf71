package spectest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

const programme = `{"id":"p1","title":"Computer Science","degree":"B.Sc.","semesters":6,"credits_required":180,
"description":"","language":"de","status":"published","version":3,
"created_at":"2026-01-02T10:00:00Z","updated_at":"2026-01-03T10:00:00Z"}`

func response(status int, contentType, body string, header ...string) *http.Response {
	h := make(http.Header)
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

func request(t *testing.T, method, target, contentType, body string, header ...string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, target, r)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

func TestCheck(t *testing.T) {
	v := Validator(t)
	tests := []struct {
		name string
		req  *http.Request
		resp *http.Response
		// want is a part of the one problem expected; "" for none.
		want string
	}{
		{
			name: "a list as documented",
			req:  request(t, "GET", "/v1/programmes?limit=10", "", ""),
			resp: response(200, "application/json", `{"items":[`+programme+`],"next_cursor":"abc"}`),
		},
		{
			name: "an absolute URL as a client sends it",
			req:  request(t, "GET", "http://127.0.0.1:8080/v1/programmes/p1", "", ""),
			resp: response(200, "application/json", strings.TrimSuffix(programme, "}")+`,"modules":[],"staff":[]}`, "ETag", `"3"`),
		},
		{
			name: "a field missing from an item",
			req:  request(t, "GET", "/v1/programmes", "", ""),
			resp: response(200, "application/json", `{"items":[{"id":"p1"}]}`),
			want: "response body doesn't match",
		},
		{
			name: "an undocumented status",
			req:  request(t, "GET", "/v1/programmes", "", ""),
			resp: response(500, "application/problem+json", `{"title":"Internal Server Error","status":500}`),
			want: "not documented",
		},
		{
			name: "an undocumented path",
			req:  request(t, "GET", "/v1/nothing", "", ""),
			resp: response(404, "application/problem+json", `{"title":"Not Found","status":404}`),
			want: "not an operation",
		},
		{
			name: "a wrong content type",
			req:  request(t, "GET", "/v1/programmes", "", ""),
			resp: response(200, "text/plain", `{"items":[]}`),
			want: "Content-Type",
		},
		{
			name: "401 without WWW-Authenticate",
			req:  request(t, "GET", "/v1/me/grades", "", ""),
			resp: response(401, "application/problem+json", `{"title":"Unauthorized","status":401}`),
			want: "WWW-Authenticate",
		},
		{
			name: "401 with WWW-Authenticate",
			req:  request(t, "GET", "/v1/me/grades", "", ""),
			resp: response(401, "application/problem+json", `{"title":"Unauthorized","status":401}`, "WWW-Authenticate", `Bearer error="invalid_token"`),
		},
		{
			name: "a problem whose status is not the response's",
			req:  request(t, "GET", "/v1/programmes/p1", "", ""),
			resp: response(404, "application/problem+json", `{"title":"Not Found","status":400}`),
			want: `problem's "status" is 400`,
		},
		{
			name: "a created resource without ETag",
			req:  request(t, "POST", "/v1/programmes", "application/json", `{"title":"CS","degree":"B.Sc.","semesters":6,"credits_required":180}`),
			resp: response(201, "application/json", programme, "Location", "/v1/programmes/p1"),
			want: `"ETag" missing`,
		},
		{
			name: "a malformed ETag",
			req:  request(t, "PATCH", "/v1/programmes/p1", "application/merge-patch+json", `{"status":"published"}`, "If-Match", `"2"`),
			resp: response(200, "application/json", programme, "ETag", `W/"3"`),
			want: "ETag",
		},
		{
			name: "a change as documented",
			req:  request(t, "PATCH", "/v1/programmes/p1", "application/merge-patch+json", `{"status":"published"}`, "If-Match", `"2"`),
			resp: response(200, "application/json", programme, "ETag", `"3"`),
		},
		{
			name: "a request without If-Match refused with 428",
			req:  request(t, "PATCH", "/v1/programmes/p1", "application/json", `{"status":"published"}`),
			resp: response(428, "application/problem+json", `{"title":"Precondition Required","status":428}`),
		},
		{
			name: "a request without If-Match accepted",
			req:  request(t, "PATCH", "/v1/programmes/p1", "application/json", `{"status":"published"}`),
			resp: response(200, "application/json", programme, "ETag", `"3"`),
			want: "should have been refused",
		},
		{
			name: "a grade off the scale refused with 422",
			req:  request(t, "POST", "/v1/lectures/l1/grades", "application/json", `{"subject":"s1","grade":"1.5"}`),
			resp: response(422, "application/problem+json", `{"title":"Unprocessable Entity","status":422,"errors":[{"field":"grade","detail":"Not on the scale."}]}`),
		},
		{
			name: "a body on 204",
			req:  request(t, "DELETE", "/v1/grades/g1", "", "", "If-Match", `"1"`),
			resp: response(204, "application/json", `{}`),
			want: "documents none",
		},
		{
			name: "a CSV upload",
			req:  request(t, "POST", "/v1/lectures/l1/grades/upload?dry_run=true", "text/csv", "subject;grade\ns1;1,3\n"),
			resp: response(200, "application/json", `{"dry_run":true,"applied":false,"accepted":1,"refused":0,"rows":[{"line":2,"subject":"s1","grade":"1,3","attempt":1,"result":"accepted"}]}`),
		},
		{
			name: "a grade record with both a lecture and a module",
			req:  request(t, "PATCH", "/v1/grades/g1", "application/json", `{"status":"final"}`, "If-Match", `"1"`),
			resp: response(200, "application/json", `{"id":"g1","subject":"s1","lecture_id":"l1","module_id":"m1","attempt":1,"grade":"1.3",
"graded_on":"2026-02-12","grader":"s2","status":"final","version":2,"created_at":"2026-02-12T10:00:00Z","updated_at":"2026-02-13T10:00:00Z"}`, "ETag", `"2"`),
			want: "response body doesn't match",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := io.ReadAll(tt.resp.Body)
			problems := v.Problems(tt.req, tt.resp, body)
			switch {
			case tt.want == "" && len(problems) > 0:
				t.Errorf("unexpected problems:\n%s", strings.Join(problems, "\n"))
			case tt.want != "" && len(problems) != 1:
				t.Errorf("got %d problems, want one with %q:\n%s", len(problems), tt.want, strings.Join(problems, "\n"))
			case tt.want != "" && !strings.Contains(problems[0], tt.want):
				t.Log(problems[0])
				t.Errorf("problem %q does not mention %q", problems[0], tt.want)
			}
		})
	}
}

// recorder is a testing.TB that notes failures instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestDoReadsTheRequestBodyAgain(t *testing.T) {
	v := Validator(t)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"title":"Unprocessable Entity","status":422}`)
	})
	rec := &recorder{TB: t}
	// httptest.NewRequest sets no GetBody; Do keeps a copy of the body.
	req := httptest.NewRequest("POST", "/v1/me/enrolments", strings.NewReader(`{"programme_id":"p1"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, _ := v.Do(rec, h, req)
	if resp.StatusCode != http.StatusUnprocessableEntity || len(rec.errs) > 0 {
		t.Errorf("status %d, problems %v", resp.StatusCode, rec.errs)
	}

	// Check alone cannot read a body the handler consumed, and says so.
	req = httptest.NewRequest("POST", "/v1/me/enrolments", strings.NewReader(`{"programme_id":"p1"}`))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	rec = &recorder{TB: t}
	v.Check(rec, req, w.Result(), w.Body.Bytes())
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "GetBody") {
		t.Errorf("problems %v, want one about GetBody", rec.errs)
	}
}

func TestOperations(t *testing.T) {
	ops := Validator(t).Operations()
	for _, want := range []string{
		"GET /v1/programmes", "PATCH /v1/programmes/{id}", "PUT /v1/programmes/{id}/modules/{moduleId}",
		"POST /v1/lectures/{id}/grades/upload", "GET /v1/grades/export", "GET /v1/docs.css",
	} {
		if !slices.Contains(ops, want) {
			t.Errorf("Operations() lacks %q", want)
		}
	}
	if !slices.IsSorted(ops) {
		t.Error("Operations() is not sorted")
	}
}
