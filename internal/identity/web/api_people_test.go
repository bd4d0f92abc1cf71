package web

import (
	"net/http"
	"slices"
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

// TestAPIResolvePeople: a service with grades:read turns usernames and
// addresses into subject ids; unknown names are left out; people's tokens
// (even an administrator's) and services without the scope are refused, so
// the endpoint cannot be used to probe for accounts.
func TestAPIResolvePeople(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	a := e.addUser(t, "anna", "anna-password-1", "student")
	b := e.addUser(t, "bert", "bert-password-1", "student", "admin")
	grader := e.serviceToken(t, "campus-study", "grades:read")
	body := map[string]any{"logins": []string{"BERT", "nobody", "anna@uni.example", "nobody@uni.example"}}
	r := e.must(t, http.StatusOK, "POST", "/api/v1/people/resolve", grader, body)
	items := r.body["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("resolve: %v", r)
	}
	first, second := items[0].(map[string]any), items[1].(map[string]any)
	if first["login"] != "BERT" || first["id"] != b.ID || second["login"] != "anna@uni.example" || second["id"] != a.ID || len(first) != 2 {
		t.Fatalf("resolve: %v", r)
	}
	e.must(t, http.StatusForbidden, "POST", "/api/v1/people/resolve", e.token(t, "bert", "bert-password-1"), body)
	e.must(t, http.StatusForbidden, "POST", "/api/v1/people/resolve", e.serviceToken(t, "catalogue-sync"), body)
	e.must(t, http.StatusUnauthorized, "POST", "/api/v1/people/resolve", "", body)
	many := make([]string, 201)
	for i := range many {
		many[i] = "x"
	}
	e.must(t, http.StatusBadRequest, "POST", "/api/v1/people/resolve", grader, map[string]any{"logins": many})
	e.must(t, http.StatusBadRequest, "POST", "/api/v1/people/resolve", grader, map[string]any{"logins": []string{" "}})
	e.must(t, http.StatusUnprocessableEntity, "POST", "/api/v1/people/resolve", grader, map[string]any{"names": []string{"anna"}})
}

// TestAPIListClients: administrators read the applications people sign in
// to, by id and name only; service-only clients are not among them.
func TestAPIListClients(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	e.addUser(t, "root", "root-password-1", "admin")
	e.addUser(t, "stud", "stud-password-1", "student")
	e.serviceToken(t, "catalogue-sync")
	r := e.must(t, http.StatusOK, "GET", "/api/v1/clients", e.token(t, "root", "root-password-1"), nil)
	items := r.body["items"].([]any)
	var ids []string
	for _, it := range items {
		m := it.(map[string]any)
		if len(m) != 2 {
			t.Errorf("a client tells more than id and name: %v", m)
		}
		ids = append(ids, m["id"].(string))
	}
	if !slices.Contains(ids, "console") || slices.Contains(ids, "catalogue-sync") {
		t.Fatalf("clients: %v", ids)
	}
	e.must(t, http.StatusForbidden, "GET", "/api/v1/clients", e.token(t, "stud", "stud-password-1"), nil)
}
