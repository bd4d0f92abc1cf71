package api

import (
	"net/http"
	"strings"
	"testing"
)

// TestDocsPage: the page lists every operation and needs nothing beyond
// itself (its CSP allows nothing else).
func TestDocsPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, body := e.do("", req{method: "GET", path: "/v1/docs"})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != docsCSP {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	page := string(body)
	for _, op := range specOperations(t) {
		method, path, _ := strings.Cut(op, " ")
		if !strings.Contains(page, "<td>"+method+"</td><td><code>"+path+"</code></td>") {
			t.Errorf("the page does not list %s", op)
		}
	}
	for _, bad := range []string{"<script", "<style", " style=", " src="} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	etag := resp.Header.Get("ETag")
	resp, _ = e.do("", req{method: "GET", path: "/v1/openapi.yaml", header: map[string]string{"If-None-Match": "x"}})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/yaml" {
		t.Errorf("openapi.yaml: %d", resp.StatusCode)
	}
	resp, _ = e.do("", req{method: "GET", path: "/v1/docs", header: map[string]string{"If-None-Match": etag}})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("docs with If-None-Match: %d", resp.StatusCode)
	}
}

// TestUnknownAddresses: 404 and 405 are problems too.
func TestUnknownAddresses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := httptestDo(e, http.MethodGet, "/v1/nothing")
	if rec.Code != http.StatusNotFound || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown path: %d %v", rec.Code, rec.Header())
	}
	rec = httptestDo(e, http.MethodDelete, "/v1/conversations")
	if rec.Code != http.StatusMethodNotAllowed || !strings.Contains(rec.Header().Get("Allow"), "POST") {
		t.Errorf("DELETE /v1/conversations: %d %v", rec.Code, rec.Header())
	}
}
