package rest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"campus/internal/problem"
	"campus/internal/rest"
)

// TestMethodNotAllowed: a path served with other methods answers 405 with
// Allow as problem+json; any other path goes to the fallback.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	patterns := []string{"GET /v1/things", "POST /v1/things", "GET /v1/things/{id}", "PATCH /v1/things/{id}",
		"DELETE /v1/things/{id}", "PUT /v1/things/{id}/parts/{part}", "GET /{$}", "/oauth/token"}
	mux := http.NewServeMux()
	for _, p := range patterns {
		mux.Handle(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	}
	mux.Handle("/", rest.MethodNotAllowed(patterns, problem.NotFound()))
	for _, c := range []struct {
		name, method, path string
		status             int
		allow              string
	}{
		{"PUT on a PATCH resource", "PUT", "/v1/things/7", http.StatusMethodNotAllowed, "DELETE, GET, HEAD, PATCH"},
		{"DELETE on a list", "DELETE", "/v1/things", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{"GET on a link", "GET", "/v1/things/7/parts/2", http.StatusMethodNotAllowed, "PUT"},
		{"POST on the root", "POST", "/", http.StatusMethodNotAllowed, "GET, HEAD"},
		{"nothing there", "PUT", "/v1/nothing", http.StatusNotFound, ""},
		{"too deep", "GET", "/v1/things/7/parts", http.StatusNotFound, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
			if rec.Code != c.status || rec.Header().Get("Allow") != c.allow {
				t.Fatalf("%s %s: %d Allow %q; want %d %q", c.method, c.path, rec.Code, rec.Header().Get("Allow"), c.status, c.allow)
			}
			var p problem.Details
			if rec.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Status != c.status {
				t.Fatalf("not a problem document: %s %s", rec.Header().Get("Content-Type"), rec.Body)
			}
			if c.status == http.StatusMethodNotAllowed && p.Detail != "This address does not take "+c.method+"; it takes "+c.allow+"." {
				t.Errorf("detail %q", p.Detail)
			}
		})
	}
}
