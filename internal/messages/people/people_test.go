package people

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeIdentity answers the token endpoint and the people API as identity
// does, counting the calls.
type fakeIdentity struct {
	t      *testing.T
	mu     sync.Mutex
	calls  []string // "GET /api/v1/people?..."
	people map[string]personJSON
	mails  []map[string]any
	keys   map[string]bool
	// refuseOnce makes the API refuse the next token (as after a key
	// rotation), so that the client must fetch a new one.
	refuseOnce bool
	tokens     int
	limited    bool
}

func (f *fakeIdentity) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/idp/oauth/token" {
		id, secret, _ := r.BasicAuth()
		if id != "campus-messages" || secret != "s3cret" || r.FormValue("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		f.tokens++
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-" + r.FormValue("scope") + "-" + string(rune('0'+f.tokens)), "token_type": "Bearer", "expires_in": 300})
		return
	}
	f.calls = append(f.calls, r.Method+" "+strings.TrimPrefix(r.URL.RequestURI(), "/idp"))
	auth := r.Header.Get("Authorization")
	if f.refuseOnce {
		f.refuseOnce = false
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == "GET" && r.URL.Path == "/idp/api/v1/people":
		if !strings.HasPrefix(auth, "Bearer tok-people:read-") {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		items := []personJSON{}
		for _, id := range r.URL.Query()["id"] {
			if p, ok := f.people[id]; ok {
				items = append(items, p)
			}
		}
		if q := r.URL.Query().Get("q"); q != "" {
			for _, id := range slices.Sorted(func(yield func(string) bool) {
				for id := range f.people {
					if !yield(id) {
						return
					}
				}
			}) {
				if p := f.people[id]; strings.HasPrefix(strings.ToLower(p.DisplayName), strings.ToLower(q)) {
					items = append(items, p)
				}
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"items": items})
	case r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/idp/api/v1/people/") && strings.HasSuffix(r.URL.Path, "/mail"):
		if !strings.HasPrefix(auth, "Bearer tok-mail:send-") {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/idp/api/v1/people/"), "/mail")
		if _, ok := f.people[id]; !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if f.limited {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			f.t.Errorf("mail body: %v", err)
		}
		key := body["key"].(string)
		added := !f.keys[key]
		if added {
			f.keys[key] = true
			body["to"] = id
			f.mails = append(f.mails, body)
		}
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(map[string]bool{"added": added})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func startFake(t *testing.T) (*fakeIdentity, Config) {
	t.Helper()
	f := &fakeIdentity{t: t, keys: map[string]bool{}, people: map[string]personJSON{
		"a": {ID: "a", Username: "anna", DisplayName: "Anna Weber", Roles: []string{"student"}},
		"b": {ID: "b", Username: "bert", DisplayName: "Bert Klein", Roles: []string{"staff"}},
		"c": {ID: "c", Username: "carla", DisplayName: "Anneliese Carla", Roles: []string{}},
	}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, Config{Issuer: srv.URL + "/idp", ClientID: "campus-messages", ClientSecret: "s3cret", HTTPClient: srv.Client()}
}

func (f *fakeIdentity) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// TestDirectoryLookupCaches: names come from identity once a minute; the
// ones asked within the minute come from memory, the others are asked.
func TestDirectoryLookupCaches(t *testing.T) {
	t.Parallel()
	f, cfg := startFake(t)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	d := NewDirectory(cfg, func() time.Time { return now })
	ctx := context.Background()
	got, err := d.Lookup(ctx, []string{"a", "b", "a", "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["a"].DisplayName != "Anna Weber" || !slices.Equal(got["b"].Roles, []string{"staff"}) {
		t.Fatalf("lookup: %+v", got)
	}
	if f.callCount() != 1 || !strings.Contains(f.calls[0], "id=a&id=b&id=nobody") {
		t.Fatalf("calls: %v", f.calls)
	}
	// Within the minute: from memory; an unknown id is asked again.
	now = now.Add(50 * time.Second)
	if got, err := d.Lookup(ctx, []string{"a", "b"}); err != nil || len(got) != 2 || f.callCount() != 1 {
		t.Fatalf("cached lookup: %v %v, %d calls", got, err, f.callCount())
	}
	if _, err := d.Lookup(ctx, []string{"a", "nobody"}); err != nil || f.callCount() != 2 || !strings.HasSuffix(f.calls[1], "?id=nobody") {
		t.Fatalf("unknown asked again: %v %v", err, f.calls)
	}
	// After the minute, a renamed person shows under the new name.
	f.mu.Lock()
	f.people["a"] = personJSON{ID: "a", Username: "anna", DisplayName: "Anna Schmidt", Roles: []string{"student"}}
	f.mu.Unlock()
	now = now.Add(11 * time.Second)
	if got, err := d.Lookup(ctx, []string{"a"}); err != nil || got["a"].DisplayName != "Anna Schmidt" {
		t.Fatalf("after a minute: %v %v", got, err)
	}
	// Many ids go in batches of 200.
	ids := make([]string, 450)
	for i := range ids {
		ids[i] = "x" + strings.Repeat("y", i%7) + string(rune('a'+i%26)) + string(rune('A'+i/26))
	}
	before := f.callCount()
	if _, err := d.Lookup(ctx, ids); err != nil || f.callCount()-before != 3 {
		t.Fatalf("batches: %v, %d calls", err, f.callCount()-before)
	}
}

// TestDirectorySearch: search asks identity with q and a limit of at most
// 50; a query shorter than two characters finds nobody without asking.
func TestDirectorySearch(t *testing.T) {
	t.Parallel()
	f, cfg := startFake(t)
	d := NewDirectory(cfg, time.Now)
	ctx := context.Background()
	got, err := d.Search(ctx, " ann ", 80)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "c" {
		t.Fatalf("search: %+v", got)
	}
	if !strings.Contains(f.calls[0], "limit=50") || !strings.Contains(f.calls[0], "q=ann") {
		t.Errorf("call: %v", f.calls)
	}
	if got, err := d.Search(ctx, "a", 10); err != nil || len(got) != 0 || f.callCount() != 1 {
		t.Errorf("one letter: %v %v (%d calls)", got, err, f.callCount())
	}
	// What a search found is remembered for lookups.
	if _, err := d.Lookup(ctx, []string{"a", "c"}); err != nil || f.callCount() != 1 {
		t.Errorf("lookup after search asked identity: %v", f.calls)
	}
}

// TestRefusedTokenIsReplaced: a token identity refuses (revoked, or signed
// with a retired key) is replaced once; identity down is ErrUnavailable.
func TestRefusedTokenIsReplaced(t *testing.T) {
	t.Parallel()
	f, cfg := startFake(t)
	d := NewDirectory(cfg, time.Now)
	ctx := context.Background()
	if _, err := d.Lookup(ctx, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.refuseOnce = true
	f.mu.Unlock()
	if got, err := d.Lookup(ctx, []string{"b"}); err != nil || len(got) != 1 || f.tokens != 2 {
		t.Fatalf("after a refused token: %v %v, %d tokens", got, err, f.tokens)
	}
	bad := cfg
	bad.ClientSecret = "wrong"
	if _, err := NewDirectory(bad, time.Now).Lookup(ctx, []string{"a"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("wrong secret: %v", err)
	}
	down := cfg
	down.Issuer = "http://127.0.0.1:1/idp"
	if _, err := NewDirectory(down, time.Now).Search(ctx, "anna", 5); !errors.Is(err, ErrUnavailable) {
		t.Errorf("identity down: %v", err)
	}
}

// TestMailer: a mail goes to identity's mail endpoint with its key; 404
// and 429 come back as ErrNotFound and *RateLimitedError.
func TestMailer(t *testing.T) {
	t.Parallel()
	f, cfg := startFake(t)
	m := NewMailer(cfg)
	ctx := context.Background()
	mail := Mail{Subject: map[string]string{"en": "Hi", "de": "Hallo"}, Text: map[string]string{"en": "text", "de": "Text"}, Link: "/messages", Key: "k1"}
	if err := m.Mail(ctx, "a", mail); err != nil {
		t.Fatal(err)
	}
	if err := m.Mail(ctx, "a", mail); err != nil {
		t.Fatal(err)
	}
	if len(f.mails) != 1 || f.mails[0]["link"] != "/messages" || f.mails[0]["to"] != "a" {
		t.Fatalf("mails: %v", f.mails)
	}
	if err := m.Mail(ctx, "nobody", mail); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown person: %v", err)
	}
	f.mu.Lock()
	f.limited = true
	f.mu.Unlock()
	var rl *RateLimitedError
	if err := m.Mail(ctx, "b", mail); !errors.As(err, &rl) || rl.After != time.Hour {
		t.Errorf("limited: %v", err)
	}
}
