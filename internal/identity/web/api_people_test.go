package web

import (
	"net/http"
	"strings"
	"testing"
)

func TestAPIPeople(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	a := e.addUser(t, "anna", "anna-password-1", "student")
	b := e.addUser(t, "bert", "bert-password-1", "student")
	grader := e.serviceToken(t, "gradebook", "grades:read")
	q := "/api/v1/people?id=" + b.ID + "&id=nobody&id=" + a.ID
	r := e.must(t, http.StatusOK, "GET", q, grader, nil)
	items := r.body["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["username"] != "bert" || items[1].(map[string]any)["display_name"] != "Anna" {
		t.Fatalf("people: %v", r)
	}
	if len(items[0].(map[string]any)) != 3 {
		t.Errorf("people tells more than id, username and display name: %v", items[0])
	}
	// Only for those who grade or manage accounts.
	other := e.serviceToken(t, "catalogue-sync")
	e.must(t, http.StatusForbidden, "GET", q, other, nil)
	e.must(t, http.StatusUnauthorized, "GET", q, "", nil)
	e.must(t, http.StatusBadRequest, "GET", "/api/v1/people?name=anna", grader, nil)
	e.must(t, http.StatusBadRequest, "GET", "/api/v1/people?"+strings.Repeat("id=x&", 201), grader, nil)
	if r := e.must(t, http.StatusOK, "GET", "/api/v1/people", grader, nil); len(r.body["items"].([]any)) != 0 {
		t.Fatalf("no ids: %v", r)
	}
}
