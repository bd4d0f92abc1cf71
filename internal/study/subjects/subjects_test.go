package subjects

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	ada    = "0190f3a4-8b1c-7d2e-9f00-0000000000ad"
	bob    = "0190f3a4-8b1c-7d2e-9f00-0000000000b0"
	nobody = "0190f3a4-8b1c-7d2e-9f00-00000000dead"
)

// fakeIdentity serves the token endpoint (client credentials) and the
// people endpoint as identity does, counting the calls.
type fakeIdentity struct {
	people          map[string]bool
	logins          map[string]string // login -> id, for people/resolve
	tokens, lookups atomic.Int32
	refuse          atomic.Int32 // the next n people calls answer 401
}

func (f *fakeIdentity) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/oauth/token":
		id, secret, _ := r.BasicAuth()
		if id != "campus-study" || secret != "s3cret" || r.PostFormValue("grant_type") != "client_credentials" || r.PostFormValue("scope") != Scope {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		n := f.tokens.Add(1)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "tok" + string(rune('0'+n)), "token_type": "Bearer", "expires_in": 600})
	case "/api/v1/people":
		f.lookups.Add(1)
		if f.refuse.Load() > 0 {
			f.refuse.Add(-1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Header.Get("Authorization") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		type person struct {
			ID string `json:"id"`
		}
		out := struct {
			Items []person `json:"items"`
		}{Items: []person{}}
		for _, id := range r.URL.Query()["id"] {
			if f.people[id] {
				out.Items = append(out.Items, person{ID: id})
			}
		}
		json.NewEncoder(w).Encode(out)
	case "/api/v1/people/resolve":
		f.lookups.Add(1)
		if r.Method != http.MethodPost || r.Header.Get("Authorization") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var body struct{ Logins []string }
		json.NewDecoder(r.Body).Decode(&body)
		type match struct {
			Login string `json:"login"`
			ID    string `json:"id"`
		}
		out := struct {
			Items []match `json:"items"`
		}{Items: []match{{Login: "not-asked", ID: ada}}}
		for _, l := range body.Logins {
			if id, ok := f.logins[strings.ToLower(l)]; ok {
				out.Items = append(out.Items, match{Login: l, ID: id})
			}
		}
		json.NewEncoder(w).Encode(out)
	default:
		http.NotFound(w, r)
	}
}

func newChecker(t *testing.T, f *fakeIdentity, now *time.Time) (*Checker, *httptest.Server) {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return &Checker{Issuer: srv.URL, ClientID: "campus-study", ClientSecret: "s3cret", Client: srv.Client(), TTL: time.Minute,
		Now: func() time.Time { return *now }}, srv
}

func TestUnknown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f := &fakeIdentity{people: map[string]bool{ada: true, bob: true}}
	c, srv := newChecker(t, f, &now)

	unknown, err := c.Unknown(ctx, []string{ada, nobody, bob})
	if err != nil || !slices.Equal(unknown, []string{nobody}) {
		t.Fatalf("Unknown = %v, %v; want [%s]", unknown, err, nobody)
	}
	// Found people are remembered for the TTL; unknown ones asked again.
	if _, err := c.Unknown(ctx, []string{ada, bob}); err != nil || f.lookups.Load() != 1 {
		t.Fatalf("asked identity %d times (err %v), want once", f.lookups.Load(), err)
	}
	if unknown, _ := c.Unknown(ctx, []string{nobody}); len(unknown) != 1 || f.lookups.Load() != 2 {
		t.Fatalf("unknown %v after %d lookups", unknown, f.lookups.Load())
	}
	now = now.Add(61 * time.Second)
	if _, err := c.Unknown(ctx, []string{ada}); err != nil || f.lookups.Load() != 3 {
		t.Fatalf("after the TTL: %d lookups, err %v", f.lookups.Load(), err)
	}
	if f.tokens.Load() != 1 {
		t.Errorf("%d tokens fetched, want one reused", f.tokens.Load())
	}

	// A token identity refuses is replaced once, then the call succeeds.
	f.refuse.Store(1)
	if unknown, err := c.Unknown(ctx, []string{nobody}); err != nil || len(unknown) != 1 || f.tokens.Load() != 2 {
		t.Fatalf("after a refused token: %v, %v, %d tokens", unknown, err, f.tokens.Load())
	}
	f.refuse.Store(2)
	if _, err := c.Unknown(ctx, []string{nobody}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("refused twice: err %v, want ErrUnavailable", err)
	}

	// Identity gone: ErrUnavailable, never "unknown" nor "exists".
	srv.Close()
	if unknown, err := c.Unknown(ctx, []string{nobody}); !errors.Is(err, ErrUnavailable) || unknown != nil {
		t.Fatalf("identity down: %v, %v", unknown, err)
	}
}

func TestUnknownWrongCredentials(t *testing.T) {
	t.Parallel()
	now := time.Now()
	c, _ := newChecker(t, &fakeIdentity{}, &now)
	c.ClientSecret = "wrong"
	if _, err := c.Unknown(context.Background(), []string{ada}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
}

func TestUnknownAsksInBatches(t *testing.T) {
	t.Parallel()
	now := time.Now()
	f := &fakeIdentity{people: map[string]bool{}}
	c, _ := newChecker(t, f, &now)
	var ids []string
	for i := range 450 {
		id := "0190f3a4-8b1c-7d2e-9f00-" + string(rune('a'+i%6)) + "00000000" + string(rune('0'+i/100)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
		ids = append(ids, id)
		if i%2 == 0 {
			f.people[id] = true
		}
	}
	unknown, err := c.Unknown(context.Background(), ids)
	if err != nil || len(unknown) != 225 || f.lookups.Load() != 3 {
		t.Fatalf("%d unknown in %d lookups, err %v", len(unknown), f.lookups.Load(), err)
	}
}

func TestValidID(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		ada:                                      true,
		"0190F3A4-8B1C-7D2E-9F00-0000000000AD":   false, // identity writes lowercase
		"{0190f3a4-8b1c-7d2e-9f00-0000000000ad}": false,
		"0190f3a48b1c7d2e9f000000000000ad":       false,
		`=HYPERLINK("https://evil.example")`:     false,
		"":                                       false,
		"ana":                                    false,
	} {
		if got := ValidID(s); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestResolve: usernames and addresses become subject ids with the
// service's own token; unknown ones are absent, and what identity did not
// get asked is ignored; the ids found count as existing afterwards.
func TestResolve(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	f := &fakeIdentity{people: map[string]bool{}, logins: map[string]string{"ada": ada, "bob@uni.example": bob}}
	c, srv := newChecker(t, f, &now)
	got, err := c.Resolve(ctx, []string{"Ada", "nobody", "bob@uni.example"})
	if err != nil || len(got) != 2 || got["Ada"] != ada || got["bob@uni.example"] != bob {
		t.Fatalf("Resolve = %v, %v", got, err)
	}
	if unknown, err := c.Unknown(ctx, []string{ada, bob}); err != nil || len(unknown) != 0 || f.lookups.Load() != 1 {
		t.Fatalf("found ids not remembered: %v, %v, %d lookups", unknown, err, f.lookups.Load())
	}
	many := make([]string, 450)
	for i := range many {
		many[i] = "nobody"
	}
	if _, err := c.Resolve(ctx, many); err != nil || f.lookups.Load() != 4 {
		t.Fatalf("450 logins: %d lookups, err %v; want 3 more", f.lookups.Load(), err)
	}
	srv.Close()
	if got, err := c.Resolve(ctx, []string{"ada"}); !errors.Is(err, ErrUnavailable) || got != nil {
		t.Fatalf("identity down: %v, %v", got, err)
	}
}
