package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"campus/internal/study"
	"campus/internal/study/api/spectest"
)

// TestIfMatchIsStrong: a change is made only against the version If-Match
// names with the strong comparison (RFC 9110 section 13.1.1): a weak tag
// never matches, "*" is whatever version is current, a stale tag is 412
// and none 428.
func TestIfMatchIsStrong(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, nil)
	const subject = "0190f3a4-8b1c-7d2e-9f00-000000000001"
	a.enrolDirectly(subject)
	g, err := a.store.AddGrade(context.Background(), study.GradeRecord{Subject: subject, LectureID: a.lec.ID, Grade: 13,
		Date: time.Date(2026, 2, 14, 0, 0, 0, 0, time.UTC), Grader: graderSub, Status: study.GradeProvisional})
	if err != nil {
		t.Fatal(err)
	}
	patch := func(ifMatch string) (*http.Response, string) {
		t.Helper()
		return a.doWith("PATCH", "/v1/grades/"+g.ID, "application/json", `{"status":"provisional"}`, "If-Match", ifMatch)
	}
	tests := []struct {
		name, ifMatch string
		status        int
		etag          string
	}{
		{"missing", "", http.StatusPreconditionRequired, ""},
		{"weak, though current", `W/"1"`, http.StatusPreconditionFailed, ""},
		{"not a tag of ours", `"v1"`, http.StatusPreconditionFailed, ""},
		{"current", `"1"`, http.StatusOK, `"2"`},
		{"stale", `"1"`, http.StatusPreconditionFailed, ""},
		{"any", "*", http.StatusOK, `"3"`},
		{"a list with the current one", `"1", "3"`, http.StatusOK, `"4"`},
	}
	for _, tc := range tests { // in order: each changes the grade for the next
		resp, body := patch(tc.ifMatch)
		if resp.StatusCode != tc.status || resp.Header.Get("ETag") != tc.etag {
			t.Fatalf("%s: %d ETag %q %s; want %d ETag %q", tc.name, resp.StatusCode, resp.Header.Get("ETag"), body, tc.status, tc.etag)
		}
	}
	if resp, body := a.doWith("PATCH", "/v1/grades/nope", "application/json", `{"status":"final"}`, "If-Match", "*"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf(`If-Match: * on nothing: %d %s`, resp.StatusCode, body)
	}
}

// doWith is do with headers, given as name, value pairs ("" values left out).
func (a *testAPI) doWith(method, path, contentType, body string, headers ...string) (*http.Response, string) {
	a.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+staffToken)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, raw := spectest.Validator(a.t).Do(a.t, a.h, req)
	return resp, string(raw)
}
