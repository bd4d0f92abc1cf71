package web

import (
	"encoding/csv"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"campus/internal/identity"
)

// TestAPIEvents: an event's generated accounts sign in with their username
// and PIN inside the event's window and only to its applications; outside
// the window and in another application they are refused; a new batch
// replaces the old (its accounts gone, their tokens dead); the batch comes
// as JSON, CSV or PDF letters; ending the event ends its accounts; every
// step is audited without a PIN; only events:write reaches the API.
func TestAPIEvents(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	ballot := e.addClient(t, identity.Client{ID: "ballot", Name: "Ballot", FirstParty: true, RedirectURIs: []string{"https://ballot.example/cb"},
		GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile"}})
	library := e.addClient(t, identity.Client{ID: "library", Name: "Library", FirstParty: true, RedirectURIs: []string{"https://library.example/cb"},
		GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile"}})
	desk := e.addClient(t, identity.Client{ID: "desk", Name: "Events desk", FirstParty: true, RedirectURIs: []string{"https://desk.example/cb"},
		GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile", "events:write", "users:read"}})
	admin := e.signIn(t, desk, "admin", adminPassword)
	today := time.Now().UTC()
	day := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }

	// Only events:write reaches events.
	if r := e.call(t, "GET", "/api/v1/events", e.token(t, "admin", adminPassword), nil); r.status != http.StatusForbidden ||
		!strings.Contains(r.header.Get("WWW-Authenticate"), "events:write") {
		t.Fatalf("without events:write: %s", r)
	}

	// Bad settings are refused field by field.
	r := e.call(t, "POST", "/api/v1/events", admin, map[string]any{"name": " ", "pin_length": 3, "applications": []string{"nope"},
		"role": "admin", "username_prefix": "Bad Prefix", "afterwards": "keep", "window": map[string]string{"earliest": "08:00", "latest": "18:00"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad event: %s", r)
	}
	for _, f := range []string{"name", "pin_length", "applications[0]", "role", "username_prefix", "afterwards", "window"} {
		if r.fieldErrors()[f] == "" {
			t.Errorf("no error for %s: %s", f, r)
		}
	}

	created := e.must(t, http.StatusCreated, "POST", "/api/v1/events", admin, map[string]any{
		"name": "Council election", "description": "One account per polling station.", "applications": []string{"ballot"},
		"role": identity.RoleStudent, "username_prefix": "wahl-", "pin_length": 6,
		"window": map[string]string{"earliest": "00:00", "latest": "23:59", "first_date": day(0), "last_date": day(0)}})
	id := created.str("id")
	if created.str("own_role") == "" || created.header.Get("Location") == "" {
		t.Fatalf("created: %s", created)
	}
	if role := e.must(t, http.StatusOK, "GET", "/api/v1/roles/"+created.str("own_role"), e.token(t, "admin", adminPassword), nil); role.str("event") != id {
		t.Fatalf("the event's role does not name it: %s", role)
	}
	// The event's role changes only with the event.
	if r := e.call(t, "PATCH", "/api/v1/roles/"+created.str("own_role"), e.token(t, "admin", adminPassword),
		map[string]any{"allowed_clients": []string{}}, "If-Match", "*"); r.status != http.StatusConflict {
		t.Fatalf("patching an event's role: %s", r)
	}

	gen := e.must(t, http.StatusCreated, "POST", "/api/v1/events/"+id+"/accounts", admin, map[string]any{"count": 3})
	if gen.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control = %q", gen.header.Get("Cache-Control"))
	}
	accounts := gen.body["accounts"].([]any)
	if len(accounts) != 3 {
		t.Fatalf("generated: %s", gen)
	}
	first := accounts[0].(map[string]any)
	user, pin := first["username"].(string), first["pin"].(string)
	if !regexp.MustCompile(`^wahl-[a-z2-9]{8}$`).MatchString(user) || !regexp.MustCompile(`^[0-9]{6}$`).MatchString(pin) {
		t.Fatalf("username %q, PIN %q", user, pin)
	}

	// Inside the window, to its application: in.
	tok := e.signIn(t, ballot, user, pin)
	// Another application: refused.
	if reqID, _ := e.authorize(t, library); true {
		if resp := e.submitLogin(t, reqID, user, pin); resp.StatusCode/100 == 3 {
			t.Fatalf("the library let an event account in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// An event account keeps its username.
	if r := e.call(t, "PATCH", "/api/v1/me", e.signIn(t, ballot, accounts[1].(map[string]any)["username"].(string),
		accounts[1].(map[string]any)["pin"].(string)), map[string]any{"username": "mine-now"}); r.status != http.StatusUnprocessableEntity ||
		r.fieldErrors()["username"] == "" {
		t.Fatalf("renaming an event account: %s", r)
	}

	// Nor does it get an API key, which would outlive its window.
	if r := e.call(t, "POST", "/api/v1/me/api-keys", tok, map[string]any{"name": "mine"}); r.status != http.StatusForbidden || !strings.Contains(r.str("detail"), "cannot have API keys") {
		t.Fatalf("an API key for an event account: %s", r)
	}

	// Outside the window (tomorrow's event): refused.
	later := e.must(t, http.StatusCreated, "POST", "/api/v1/events", admin, map[string]any{
		"name": "Exam", "applications": []string{"ballot"}, "afterwards": "disable",
		"window": map[string]string{"earliest": "00:00", "latest": "23:59", "first_date": day(1), "last_date": day(2)}})
	exam := e.must(t, http.StatusCreated, "POST", "/api/v1/events/"+later.str("id")+"/accounts", admin, map[string]any{"labels": []string{"Room 1"}})
	ea := exam.body["accounts"].([]any)[0].(map[string]any)
	if ea["label"] != "Room 1" {
		t.Fatalf("label: %v", ea)
	}
	if reqID, _ := e.authorize(t, ballot); true {
		if resp := e.submitLogin(t, reqID, ea["username"].(string), ea["pin"].(string)); resp.StatusCode/100 == 3 {
			t.Fatalf("an account of tomorrow's event signed in today: %d", resp.StatusCode)
		}
	}

	// A new batch replaces the old: the old username no longer signs in and
	// its token is dead.
	csvAnswer := e.must(t, http.StatusCreated, "POST", "/api/v1/events/"+id+"/accounts", admin,
		map[string]any{"labels": []string{"Station A", "=cmd|' /C calc'!A0"}}, "Accept", "text/csv")
	if !strings.HasPrefix(csvAnswer.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(csvAnswer.header.Get("Content-Disposition"), "council-election-accounts.csv") {
		t.Fatalf("CSV answer: %v", csvAnswer.header)
	}
	rows, err := csv.NewReader(strings.NewReader(csvAnswer.raw)).ReadAll()
	if err != nil || len(rows) != 3 || strings.Join(rows[0], ",") != "username,pin,label,event,sign_in_url" ||
		rows[1][2] != "Station A" || rows[2][2] != "'=cmd|' /C calc'!A0" {
		t.Fatalf("CSV: %v, %v", rows, err)
	}
	if e.active(t, tok) {
		t.Fatal("a replaced account's token is still active")
	}
	if reqID, _ := e.authorize(t, ballot); true {
		if resp := e.submitLogin(t, reqID, user, pin); resp.StatusCode/100 == 3 {
			t.Fatal("a replaced account signed in")
		}
	}
	newTok := e.signIn(t, ballot, rows[1][0], rows[1][1])

	// PDF letters, one page per account.
	pdf := e.must(t, http.StatusCreated, "POST", "/api/v1/events/"+id+"/accounts", admin, map[string]any{"count": 2},
		"Accept", "application/pdf", "Accept-Language", "de")
	if pdf.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.raw, "%PDF-") {
		t.Fatalf("PDF answer: %v %.20q", pdf.header, pdf.raw)
	}
	if pdftotext, err := exec.LookPath("pdftotext"); err == nil {
		path := filepath.Join(t.TempDir(), "letters.pdf")
		os.WriteFile(path, []byte(pdf.raw), 0o600)
		out, err := exec.Command(pdftotext, path, "-").Output()
		if err != nil || !strings.Contains(string(out), "Benutzername") || !strings.Contains(string(out), "Council election") ||
			len(regexp.MustCompile(`wahl-[a-z2-9]{8}`).FindAllString(string(out), -1)) != 2 {
			t.Fatalf("letters' text: %v\n%s", err, out)
		}
	} else if os.Getenv("CI") == "true" {
		t.Fatal("pdftotext not installed (apt-get install poppler-utils)")
	}
	if e.active(t, newTok) {
		t.Fatal("the CSV batch's token outlived the PDF batch")
	}
	if r := e.call(t, "POST", "/api/v1/events/"+id+"/accounts", admin, map[string]any{"count": 1}, "Accept", "image/png"); r.status != http.StatusNotAcceptable {
		t.Fatalf("Accept image/png: %s", r)
	}
	if r := e.call(t, "POST", "/api/v1/events/"+id+"/accounts", admin, map[string]any{"count": 0}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("count 0: %s", r)
	}

	// Ending deletes (the election) or disables (the exam) the accounts.
	ended := e.must(t, http.StatusOK, "POST", "/api/v1/events/"+id+"/end", admin, nil)
	if ended.body["ended_at"] == nil || ended.body["accounts"].(float64) != 0 {
		t.Fatalf("ended: %s", ended)
	}
	if r := e.call(t, "POST", "/api/v1/events/"+id+"/accounts", admin, map[string]any{"count": 1}); r.status != http.StatusConflict {
		t.Fatalf("a batch after the end: %s", r)
	}
	e.must(t, http.StatusOK, "POST", "/api/v1/events/"+later.str("id")+"/end", admin, nil)
	list := e.must(t, http.StatusOK, "GET", "/api/v1/events", admin, nil)
	if items := list.body["items"].([]any); len(items) != 2 {
		t.Fatalf("list: %s", list)
	}
	if r := e.call(t, "GET", "/api/v1/events/no-such-event", admin, nil); r.status != http.StatusNotFound {
		t.Fatalf("unknown event: %s", r)
	}

	// Audited, never with a PIN.
	audit := e.must(t, http.StatusOK, "GET", "/api/v1/audit?target="+id, e.token(t, "admin", adminPassword), nil)
	var actions []string
	for _, it := range audit.body["items"].([]any) {
		m := it.(map[string]any)
		actions = append(actions, m["action"].(string))
		if strings.Contains(m["detail"].(string), pin) {
			t.Fatalf("a PIN in the audit trail: %v", m)
		}
	}
	for _, want := range []string{"event_created", "event_accounts_generated", "event_ended"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("no %s in the audit trail: %v", want, actions)
		}
	}
}

// TestAPIEventRoleRequiringMFA: an event cannot be made with a role whose
// members sign in with a second factor, which its accounts cannot have.
func TestAPIEventRoleRequiringMFA(t *testing.T) {
	t.Parallel()
	e := startAPI(t, withMFARoles("staff"))
	desk := e.addClient(t, identity.Client{ID: "desk", Name: "Events desk", FirstParty: true, RedirectURIs: []string{"https://desk.example/cb"},
		GrantTypes: []string{"authorization_code"}, Scopes: []string{"openid", "profile", "events:write"}})
	admin := e.signIn(t, desk, "admin", adminPassword)
	day := time.Now().UTC().Format(time.DateOnly)
	body := func(role string) map[string]any {
		return map[string]any{"name": "Exam room", "applications": []string{"desk"}, "role": role, "pin_length": 8,
			"window": map[string]string{"earliest": "00:00", "latest": "23:59", "first_date": day, "last_date": day}}
	}
	r := e.call(t, "POST", "/api/v1/events", admin, body("staff"))
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.fieldErrors()["role"], "second factor") {
		t.Fatalf("an event with a role that requires a second factor: %s", r)
	}
	e.must(t, http.StatusCreated, "POST", "/api/v1/events", admin, body(identity.RoleStudent))
}
