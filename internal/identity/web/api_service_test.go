package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2/clientcredentials"

	"campus/internal/identity"
	"campus/internal/identity/store"
)

// setAccount changes an account directly in the store.
func setAccount(t *testing.T, e *apiEnv, id string, change func(*store.AccountRecord)) {
	t.Helper()
	if _, err := e.store.UpdateAccount(context.Background(), id, 0, func(r *store.AccountRecord) error { change(r); return nil }); err != nil {
		t.Fatal(err)
	}
}

// TestAPIPeopleForServices: a service with people:read names people with
// their roles and searches the active ones by the beginnings of their
// names; a grader's token gets no roles and may not search.
func TestAPIPeopleForServices(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	anna := e.addUser(t, "anna", "anna-password-1", "student")
	annette := e.addUser(t, "annette", "annette-password-1", "staff", "student")
	gone := e.addUser(t, "annabel", "annabel-password-1", "student")
	setAccount(t, e, gone.ID, func(r *store.AccountRecord) { r.Status = identity.StatusDisabled })
	e.addUser(t, "bert", "bert-password-1")
	svc := e.serviceToken(t, "campus-messages", identity.ScopePeopleRead)

	r := e.must(t, http.StatusOK, "GET", "/api/v1/people?id="+annette.ID+"&id="+gone.ID, svc, nil)
	items := r.body["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("lookup: %v", r)
	}
	first := items[0].(map[string]any)
	if first["id"] != annette.ID || fmt.Sprint(first["roles"]) != "[staff student]" {
		t.Errorf("lookup with roles: %v", first)
	}
	// A disabled account is still named by id (old messages show it).
	if items[1].(map[string]any)["id"] != gone.ID {
		t.Errorf("lookup of a disabled account: %v", items[1])
	}

	search := func(q string, token string) []string {
		t.Helper()
		r := e.must(t, http.StatusOK, "GET", "/api/v1/people?q="+q, token, nil)
		var ids []string
		for _, it := range r.body["items"].([]any) {
			m := it.(map[string]any)
			if _, ok := m["roles"]; !ok && token == svc {
				t.Errorf("search result without roles: %v", m)
			}
			ids = append(ids, m["id"].(string))
		}
		return ids
	}
	if got := search("ann", svc); !slices.Equal(got, []string{anna.ID, annette.ID}) {
		t.Errorf("search ann = %v; want anna, annette (active only)", got)
	}
	if got := search("zzz", svc); len(got) != 0 {
		t.Errorf("search zzz = %v", got)
	}
	if r := e.must(t, http.StatusOK, "GET", "/api/v1/people?q=ann&limit=1", svc, nil); len(r.body["items"].([]any)) != 1 {
		t.Errorf("limit 1: %v", r)
	}
	// Ids first, then matches not among them.
	r = e.must(t, http.StatusOK, "GET", "/api/v1/people?id="+annette.ID+"&q=ann", svc, nil)
	if items := r.body["items"].([]any); len(items) != 2 || items[0].(map[string]any)["id"] != annette.ID || items[1].(map[string]any)["id"] != anna.ID {
		t.Errorf("ids and q: %v", r)
	}
	for _, bad := range []string{"q=a", "q=" + strings.Repeat("a", 101), "q=ann&limit=51", "q=ann&limit=0"} {
		e.must(t, http.StatusBadRequest, "GET", "/api/v1/people?"+bad, svc, nil)
	}
	// A grader (grades:read) names people but gets no roles and may not search.
	grader := e.serviceToken(t, "gradebook", "grades:read")
	r = e.must(t, http.StatusOK, "GET", "/api/v1/people?id="+annette.ID, grader, nil)
	if _, ok := r.body["items"].([]any)[0].(map[string]any)["roles"]; ok {
		t.Errorf("grader sees roles: %v", r)
	}
	if r := e.must(t, http.StatusBadRequest, "GET", "/api/v1/people?q=ann", grader, nil); r.fieldErrors()["q"] == "" {
		t.Errorf("grader search: %v", r)
	}
	// An administrator (users:read) may search; no roles for a person's token.
	admin := e.token(t, "admin", adminPassword)
	if got := search("annette", admin); !slices.Equal(got, []string{annette.ID}) {
		t.Errorf("admin search = %v", got)
	}
}

// TestServiceScopesNeverForPeople: the service scopes are not permissions;
// a client registered for both sign-in and client credentials cannot get
// them into a person's token, and the registration check refuses them
// without the client_credentials grant.
func TestServiceScopesNeverForPeople(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	e.addUser(t, "stud", "stud-password-1", "student")
	both := e.addClient(t, identity.Client{ID: "both", Name: "Both", FirstParty: true, RedirectURIs: []string{"https://both.example/cb"},
		GrantTypes: []string{"authorization_code", "client_credentials"}, Scopes: append([]string{"openid"}, identity.ServiceScopes()...)})
	tok := e.signIn(t, both, "stud", "stud-password-1")
	e.must(t, http.StatusForbidden, "GET", "/api/v1/people?q=stud", tok, nil)
	e.must(t, http.StatusForbidden, "POST", "/api/v1/people/x/mail", tok, map[string]any{})
	for _, sc := range identity.ServiceScopes() {
		c := identity.Client{ID: "web", Name: "Web", RedirectURIs: []string{"https://web.example/cb"}, GrantTypes: []string{"authorization_code"}, Scopes: []string{sc}}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "client_credentials") {
			t.Errorf("a sign-in client with %s: %v", sc, err)
		}
	}
}

// TestAPIServiceMail: a service with mail:send mails a person in their
// language, wrapped by identity; the key makes a retry harmless; at most
// 10 a day per person; unknown and disabled accounts are 404; people's
// tokens and services without the scope are refused.
func TestAPIServiceMail(t *testing.T) {
	t.Parallel()
	e := startAPI(t, withMail(), withHome("https://campus.uni.example/"))
	anna := e.addUser(t, "anna", "anna-password-1", "student")
	bert := e.addUser(t, "bert", "bert-password-1", "student")
	setAccount(t, e, bert.ID, func(r *store.AccountRecord) { r.Locale = "de" })
	cc := e.addClient(t, identity.Client{ID: "campus-messages", Name: "campus messages service", GrantTypes: []string{"client_credentials"},
		Scopes: []string{identity.ScopeMailSend}})
	tok, err := (&clientcredentials.Config{ClientID: cc.ClientID, ClientSecret: cc.ClientSecret, TokenURL: cc.Endpoint.TokenURL,
		Scopes: cc.Scopes}).Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	svc := tok.AccessToken
	body := func(key string) map[string]any {
		return map[string]any{
			"subject": map[string]string{"en": "You have 2 unread messages", "de": "Sie haben 2 ungelesene Nachrichten"},
			"text":    map[string]string{"en": "In: Databases <group>", "de": "In: Datenbanken <Gruppe>"},
			"link":    "/messages", "key": key}
	}
	r := e.must(t, http.StatusAccepted, "POST", "/api/v1/people/"+anna.ID+"/mail", svc, body("digest-1"))
	if r.body["added"] != true {
		t.Fatalf("first: %v", r)
	}
	m := e.mailTo(t, "anna@uni.example", "You have 2 unread messages")
	for _, want := range []string{"Hello Anna,", "In: Databases <group>", "https://campus.uni.example/messages", "campus messages service"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("mail lacks %q:\n%s", want, m.Text)
		}
	}
	if m.HTML != "" {
		t.Errorf("a service's text went into HTML: %q", m.HTML)
	}
	// The same key: no second mail.
	if r := e.must(t, http.StatusAccepted, "POST", "/api/v1/people/"+anna.ID+"/mail", svc, body("digest-1")); r.body["added"] != false {
		t.Errorf("repeat: %v", r)
	}
	// German for who chose German.
	e.must(t, http.StatusAccepted, "POST", "/api/v1/people/"+bert.ID+"/mail", svc, body("digest-2"))
	if m := e.mailTo(t, "bert@uni.example", "Sie haben 2 ungelesene Nachrichten"); !strings.Contains(m.Text, "Guten Tag Bert,") || !strings.Contains(m.Text, "Datenbanken") {
		t.Errorf("German mail:\n%s", m.Text)
	}
	e.mail.mu.Lock()
	toAnna := 0
	for _, m := range e.mail.all {
		if m.To == "anna@uni.example" {
			toAnna++
		}
	}
	e.mail.mu.Unlock()
	if toAnna != 1 {
		t.Errorf("anna got %d mails; want 1", toAnna)
	}
	// At most 10 a day: the first took one, 9 more go, the 11th waits.
	for i := range 9 {
		e.must(t, http.StatusAccepted, "POST", "/api/v1/people/"+anna.ID+"/mail", svc, body(fmt.Sprint("more-", i)))
	}
	r = e.must(t, http.StatusTooManyRequests, "POST", "/api/v1/people/"+anna.ID+"/mail", svc, body("one-too-many"))
	if r.header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
	// A key used before is still answered, even over the limit.
	e.must(t, http.StatusAccepted, "POST", "/api/v1/people/"+anna.ID+"/mail", svc, body("digest-1"))

	e.must(t, http.StatusNotFound, "POST", "/api/v1/people/nobody/mail", svc, body("x"))
	setAccount(t, e, bert.ID, func(r *store.AccountRecord) { r.Status = identity.StatusDisabled })
	e.must(t, http.StatusNotFound, "POST", "/api/v1/people/"+bert.ID+"/mail", svc, body("x2"))

	for name, b := range map[string]map[string]any{
		"no subject":     {"text": map[string]string{"en": "x"}, "key": "k"},
		"other language": {"subject": map[string]string{"fr": "x"}, "text": map[string]string{"en": "x"}, "key": "k"},
		"two lines":      {"subject": map[string]string{"en": "a\nb"}, "text": map[string]string{"en": "x"}, "key": "k"},
		"absolute link":  {"subject": map[string]string{"en": "a"}, "text": map[string]string{"en": "x"}, "link": "https://evil.example/", "key": "k"},
		"other origin":   {"subject": map[string]string{"en": "a"}, "text": map[string]string{"en": "x"}, "link": "//evil.example/", "key": "k"},
		"no key":         {"subject": map[string]string{"en": "a"}, "text": map[string]string{"en": "x"}},
	} {
		if r := e.call(t, "POST", "/api/v1/people/"+anna.ID+"/mail", svc, b); r.status != http.StatusBadRequest {
			t.Errorf("%s: %v", name, r)
		}
	}
	e.must(t, http.StatusForbidden, "POST", "/api/v1/people/"+anna.ID+"/mail", e.serviceToken(t, "other", "grades:read"), body("y"))
	e.must(t, http.StatusForbidden, "POST", "/api/v1/people/"+anna.ID+"/mail", e.token(t, "admin", adminPassword), body("y"))
	e.must(t, http.StatusUnauthorized, "POST", "/api/v1/people/"+anna.ID+"/mail", "", body("y"))

	evs, err := e.store.Events(context.Background(), identity.AuditFilter{Action: "service_mail", Target: anna.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var ok, denied int
	for _, ev := range evs {
		switch ev.Outcome {
		case identity.OutcomeSuccess:
			ok++
		case identity.OutcomeDenied:
			denied++
		}
	}
	if ok != 10 || denied != 1 {
		t.Errorf("audit: %d queued, %d refused; want 10 and 1", ok, denied)
	}
}

// TestDiscoveryScopes: discovery names the messages permissions and the
// service scopes among the scopes supported.
func TestDiscoveryScopes(t *testing.T) {
	t.Parallel()
	e := startAPI(t)
	r := getPage(t, e.http, e.issuer+"/.well-known/openid-configuration")
	for _, sc := range append([]string{"messages:read", "messages:write"}, identity.ServiceScopes()...) {
		if !strings.Contains(r.body, `"`+sc+`"`) {
			t.Errorf("discovery lacks %s", sc)
		}
	}
}

// TestAPIServiceMailWithoutHome: identity running without the portal's
// origin (Home) mails the text without the link, rather than a link to
// nowhere.
func TestAPIServiceMailWithoutHome(t *testing.T) {
	t.Parallel()
	e := startAPI(t, withMail())
	anna := e.addUser(t, "anna", "anna-password-1", "student")
	svc := e.serviceToken(t, "campus-messages", identity.ScopeMailSend)
	e.must(t, http.StatusAccepted, "POST", "/api/v1/people/"+anna.ID+"/mail", svc, map[string]any{
		"subject": map[string]string{"en": "Reminder"}, "text": map[string]string{"de": "Nur Deutsch"}, "link": "/messages", "key": "k"})
	m := e.mailTo(t, "anna@uni.example", "Reminder")
	if strings.Contains(m.Text, "/messages") || !strings.Contains(m.Text, "Nur Deutsch") || !strings.Contains(m.Text, "Hello Anna,") {
		t.Errorf("mail:\n%s", m.Text)
	}
}
