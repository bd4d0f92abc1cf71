package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"campus/internal/identity"
)

func TestAPISelfService(t *testing.T) {
	t.Parallel()
	e := startAPI(t, withMail())
	e.addUser(t, "self", "self-password-12", identity.RoleStudent)
	e.addUser(t, "taken", "taken-password-1", identity.RoleStudent)
	tok := e.token(t, "self", "self-password-12")
	me := e.must(t, http.StatusOK, "GET", "/api/v1/me", tok, nil)
	if me.str("username") != "self" || me.header.Get("ETag") != `"1"` {
		t.Fatalf("me: %s", me)
	}
	r := e.must(t, http.StatusOK, "PATCH", "/api/v1/me", tok, map[string]any{"display_name": "Selma", "email": "selma@uni.example",
		"programme_id": "B-INF", "programme_title": "Computer Science", "semester": 2}, "If-Match", me.header.Get("ETag"))
	// The new address replaces the old one only once it is confirmed.
	if r.str("email") != "self@uni.example" || r.str("pending_email") != "selma@uni.example" || r.body["email_verified"] != true ||
		r.str("programme_title") != "Computer Science" {
		t.Fatalf("patched me: %s", r)
	}
	// Another account's address is answered as a free one would be now:
	// a link was mailed within the minute.
	if r := e.call(t, "PATCH", "/api/v1/me", tok, map[string]any{"email": "taken@uni.example"}, "If-Match", "*"); r.status != 429 {
		t.Errorf("taken address: %s", r)
	}
	if r := e.call(t, "PATCH", "/api/v1/me", tok, map[string]any{"email": "selma2@uni.example"}, "If-Match", "*"); r.status != 429 {
		t.Errorf("a second link within a minute: %s", r)
	}
	if done := e.confirmEmail(t, "selma@uni.example"); done.status != http.StatusOK {
		t.Fatalf("confirm the new address: %d %s", done.status, done.body)
	}
	if r := e.must(t, http.StatusOK, "GET", "/api/v1/me", tok, nil); r.str("email") != "selma@uni.example" || r.body["email_verified"] != true ||
		r.str("pending_email") != "" {
		t.Fatalf("after confirming: %s", r)
	}
	if notice := e.mailTo(t, "self@uni.example", "changed"); !strings.Contains(notice.Text, "selma@uni.example") {
		t.Fatalf("the old address was told: %s", notice.Text)
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		code  int
		field string
	}{
		{"login window", map[string]any{"login_window": nil}, 422, "login_window"},
		{"status", map[string]any{"status": "active"}, 422, "status"},
		{"taken username", map[string]any{"username": "taken"}, 409, "username"},
	} {
		if r := e.call(t, "PATCH", "/api/v1/me", tok, tc.body, "If-Match", "*"); r.status != tc.code || r.fieldErrors()[tc.field] == "" {
			t.Errorf("%s: %s", tc.name, r)
		}
	}
	// A student may not change another account, not even by its id.
	other := e.must(t, http.StatusOK, "GET", "/api/v1/users?q=taken", e.token(t, "admin", adminPassword), nil).body["items"].([]any)[0].(map[string]any)["id"].(string)
	e.must(t, http.StatusForbidden, "PATCH", "/api/v1/users/"+other, tok, map[string]any{"display_name": "Hacked"}, "If-Match", "*")
}

func TestAPIRegistration(t *testing.T) {
	t.Parallel()
	e := startAPI(t, withMail())
	reg := func(over map[string]any) map[string]any {
		b := map[string]any{"username": "neu", "email": "neu@uni.example", "password": "a-fine-passphrase", "given_name": "Nina",
			"family_name": "Neu", "programme_id": "B-INF", "programme_title": "Computer Science"}
		for k, v := range over {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	r := e.must(t, http.StatusCreated, "POST", "/api/v1/registrations", "", reg(nil))
	if r.str("username") != "neu" || r.str("display_name") != "Nina Neu" || r.str("status") != "active" ||
		fmt.Sprint(r.body["roles"]) != "[student]" || r.body["email_verified"] != false || r.header.Get("ETag") != `"1"` ||
		r.header.Get("Location") != "/idp/api/v1/users/"+r.str("id") {
		t.Fatalf("registered: %s %v", r, r.header)
	}
	if strings.Contains(r.raw, "passphrase") {
		t.Fatal("the answer contains the password")
	}
	// Until the address is confirmed, the right password only explains that.
	b := e.browser(t)
	pg := e.fillLogin(t, b, getPage(t, b, e.console.AuthCodeURL("st")), "neu", "a-fine-passphrase")
	if pg.status != http.StatusForbidden || !strings.Contains(pg.body, "not confirmed yet") || !strings.Contains(pg.body, "/confirm/resend") {
		t.Fatalf("unconfirmed sign-in: %d %s", pg.status, pg.body)
	}
	if done := e.confirmEmail(t, "neu@uni.example"); done.status != http.StatusOK || !strings.Contains(done.body, "is confirmed") {
		t.Fatalf("confirm: %d %s", done.status, done.body)
	}
	tok := e.token(t, "neu", "a-fine-passphrase") // the new account signs in
	if me := e.must(t, http.StatusOK, "GET", "/api/v1/me", tok, nil); me.str("programme_id") != "B-INF" {
		t.Fatalf("me: %s", me)
	}

	tests := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"weak password", reg(map[string]any{"username": "weak", "email": "weak@uni.example", "password": "short"}), 422, []string{"password"}},
		{"common password", reg(map[string]any{"username": "common", "email": "common@uni.example", "password": "iloveyou123"}), 422, []string{"password"}},
		{"password with the username", reg(map[string]any{"username": "paula", "email": "p@uni.example", "password": "paula-rules-2026"}), 422, []string{"password"}},
		{"taken username", reg(map[string]any{"username": "NEU", "email": "other@uni.example"}), 409, []string{"username"}},
		{"taken e-mail, answered as a free one", reg(map[string]any{"username": "other", "email": "Neu@uni.example"}), 201, nil},
		{"taken username and e-mail: only the username is said", reg(map[string]any{"username": "neu", "email": "neu@uni.example"}), 409, []string{"username"}},
		{"bad input", map[string]any{"username": "a b", "email": "nope", "password": "", "given_name": " "}, 422,
			[]string{"username", "email", "password", "given_name", "family_name"}},
		{"unknown and read-only fields", reg(map[string]any{"username": "x2", "roles": []string{"admin"}, "status": "active", "admin": true}), 422,
			[]string{"roles", "status", "admin"}},
		{"not JSON", "username=neu", 400, nil},
	}
	for _, tc := range tests {
		r := e.call(t, "POST", "/api/v1/registrations", "", tc.body)
		if r.status != tc.status {
			t.Errorf("%s: %s", tc.name, r)
			continue
		}
		for _, f := range tc.fields {
			if r.fieldErrors()[f] == "" {
				t.Errorf("%s: no error for %s: %s", tc.name, f, r)
			}
		}
	}
	// Per client address: ten an hour (the success and the three taken
	// names above counted), then 429 with Retry-After.
	for i := range 6 {
		e.must(t, http.StatusCreated, "POST", "/api/v1/registrations", "", reg(map[string]any{"username": fmt.Sprintf("burst%d", i), "email": fmt.Sprintf("burst%d@uni.example", i)}))
	}
	r = e.call(t, "POST", "/api/v1/registrations", "", reg(map[string]any{"username": "onetoomany", "email": "more@uni.example"}))
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("eleventh registration: %s %v", r, r.header)
	}
	audit := e.must(t, http.StatusOK, "GET", "/api/v1/audit?action=registered&outcome=success", e.token(t, "admin", adminPassword), nil)
	if n := len(audit.body["items"].([]any)); n != 7 {
		t.Fatalf("%d registration events", n)
	}
}
