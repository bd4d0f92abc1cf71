package tokencheck

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// feed is a fake revocation feed with an injected clock.
type feed struct {
	srv   *httptest.Server
	mu    sync.Mutex
	now   time.Time
	down  bool
	list  []map[string]any
	polls atomic.Int32
	since []string
}

func newFeed(t *testing.T, now time.Time) *feed {
	f := &feed{now: now}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.polls.Add(1)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.since = append(f.since, r.URL.Query().Get("since"))
		if f.down {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"as_of": f.now.Format(time.RFC3339Nano), "revocations": f.list})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *feed) add(kind, value string, at, expires time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.list = append(f.list, map[string]any{"kind": kind, "hash": feedHash(value), "at": at, "expires": expires})
}

func TestRevocations(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	f := newFeed(t, t0)
	rv := &Revocations{URL: f.srv.URL, Client: f.srv.Client(), Now: clock, MaxStale: 10 * time.Second}
	ctx := context.Background()

	token := func(jti, sub string, iat time.Time) *Claims {
		return &Claims{ID: jti, Subject: sub, IssuedAt: iat, jtiHash: feedHash(jti), subHash: feedHash(sub)}
	}
	if rv.Current() {
		t.Fatal("current before any poll")
	}
	f.add("jti", "dead-jti", t0, t0.Add(10*time.Minute))
	f.add("sub", "leaver", t0.Add(1500*time.Millisecond), t0.Add(25*time.Hour))
	if err := rv.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    *Claims
		dead bool
	}{
		{"revoked jti", token("dead-jti", "someone", t0), true},
		{"other jti", token("live-jti", "someone", t0), false},
		{"subject's token issued before", token("a", "leaver", t0), true},
		{"subject's token issued in the second of the revocation", token("b", "leaver", t0.Add(time.Second)), false},
		{"subject's token issued after", token("c", "leaver", t0.Add(3*time.Second)), false},
	}
	for _, tt := range tests {
		if got := rv.Revoked(tt.c); got != tt.dead {
			t.Errorf("%s: revoked %v, want %v", tt.name, got, tt.dead)
		}
	}
	if !rv.SubjectRevokedSince("leaver", t0) || rv.SubjectRevokedSince("leaver", t0.Add(time.Minute)) {
		t.Error("SubjectRevokedSince does not compare with the revocation time")
	}

	// The next poll asks since the previous as_of.
	if err := rv.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.since[len(f.since)-1]; got != t0.Format(time.RFC3339Nano) {
		t.Errorf("second poll since %q", got)
	}

	// Ensure: a poll sent at or after the given time is enough; otherwise
	// it polls once; concurrent callers share one poll.
	before := f.polls.Load()
	if !rv.Ensure(ctx, t0) || f.polls.Load() != before {
		t.Error("Ensure polled although a poll after t0 had succeeded")
	}
	advance(time.Second)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !rv.Ensure(ctx, clock()) {
				t.Error("Ensure failed with the feed up")
			}
		}()
	}
	wg.Wait()
	if n := f.polls.Load() - before; n != 1 {
		t.Errorf("8 concurrent writes made %d polls, want 1", n)
	}

	// The feed goes down: writes are refused, the copy stays usable for
	// reads until MaxStale, then Current turns false.
	f.mu.Lock()
	f.down = true
	f.mu.Unlock()
	advance(time.Second)
	if rv.Ensure(ctx, clock()) {
		t.Error("Ensure succeeded with the feed down")
	}
	if !rv.Current() || !rv.Revoked(token("dead-jti", "x", t0)) {
		t.Error("the copy was lost when a poll failed")
	}
	advance(11 * time.Second)
	if rv.Current() {
		t.Error("current 12s after the last successful poll")
	}

	// Entries are forgotten once no token can need them.
	f.mu.Lock()
	f.down = false
	f.mu.Unlock()
	advance(11 * time.Minute)
	if err := rv.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	rv.mu.RLock()
	_, kept := rv.jti[feedHash("dead-jti")]
	rv.mu.RUnlock()
	if kept {
		t.Error("a jti is kept after its token expired")
	}
}

// TestVerifierRefusesRevoked: Verify answers ErrRevoked for a token the
// feed names, also when the token's check was remembered.
func TestVerifierRefusesRevoked(t *testing.T) {
	is := newIssuer(t)
	s := is.addKey(t, "ES256")
	now := time.Now()
	v := New(is.srv.URL, "campus-study", is.srv.Client(), func() time.Time { return now })
	f := newFeed(t, now)
	v.Revocations = &Revocations{URL: f.srv.URL, Client: f.srv.Client(), Now: func() time.Time { return now }}
	raw := s.sign(t, map[string]any{"iss": is.srv.URL, "aud": "campus-study", "sub": "ada", "jti": "j1",
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Minute).Unix()})
	ctx := context.Background()
	if _, err := v.Verify(ctx, raw); err != nil {
		t.Fatal(err)
	}
	f.add("jti", "j1", now, now.Add(time.Minute))
	if err := v.Revocations.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, raw); err != ErrRevoked {
		t.Fatalf("revoked token: %v, want ErrRevoked", err)
	}
	if !v.RevocationsUpTo(ctx, now) {
		t.Error("RevocationsUpTo false with the feed up")
	}
}

// TestRevocationsFromSource: the feed read in-process (all-in-one mode)
// gives what HTTP gives: a write arriving after a revocation polls and
// sees it; the next poll passes the as_of it was given.
func TestRevocationsFromSource(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	var (
		mu      sync.Mutex
		entries []FeedEntry
		asked   []time.Time
	)
	rv := &Revocations{Now: func() time.Time { return now }, Source: SourceFunc(func(_ context.Context, since time.Time) ([]FeedEntry, time.Time, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, since)
		return slices.Clone(entries), now, nil
	})}
	ctx := context.Background()
	if !rv.Ensure(ctx, now) {
		t.Fatal("Ensure false with the source up")
	}
	ada := &Claims{jtiHash: feedHash("j1"), subHash: feedHash("ada"), IssuedAt: now.Add(-time.Minute)}
	ada.ID = "j1"
	if rv.Revoked(ada) {
		t.Fatal("revoked before any revocation")
	}
	mu.Lock()
	entries = append(entries, FeedEntry{Kind: "sub", Hash: feedHash("ada"), At: now, Expires: now.Add(time.Hour)})
	mu.Unlock()
	now = now.Add(time.Second) // the write arrives after the revocation
	if !rv.Ensure(ctx, now) || !rv.Revoked(ada) {
		t.Fatal("a write after the revocation does not see it")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 2 || !asked[0].IsZero() || !asked[1].Equal(now.Add(-time.Second)) {
		t.Fatalf("asked since %v, want [zero, the first as_of]", asked)
	}
}

// versioned is a Source with a version, as identity's store on SQLite.
type versioned struct {
	mu      sync.Mutex
	entries []FeedEntry
	version int64
	reads   int
	now     func() time.Time
}

func (v *versioned) Revocations(_ context.Context, since time.Time) ([]FeedEntry, time.Time, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.reads++
	return slices.Clone(v.entries), v.now(), nil
}

func (v *versioned) Version(context.Context) (int64, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.version, true, nil
}

// TestRevocationsVersioned: while the source's version stays, a write's
// check reads the number only; a revocation changes it, and the next write
// reads and sees the revocation. The periodic poll always reads.
func TestRevocationsVersioned(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	src := &versioned{now: clock}
	rv := &Revocations{Now: clock, Source: src}
	ctx := context.Background()
	reads := func() int {
		src.mu.Lock()
		defer src.mu.Unlock()
		return src.reads
	}
	if !rv.Ensure(ctx, now) || reads() != 1 {
		t.Fatalf("first write: reads %d, want 1", reads())
	}
	for range 3 {
		now = now.Add(time.Second)
		if !rv.Ensure(ctx, now) {
			t.Fatal("Ensure false with the source unchanged")
		}
	}
	if reads() != 1 {
		t.Fatalf("unchanged source read %d times, want once", reads())
	}
	ada := &Claims{jtiHash: feedHash("j1"), subHash: feedHash("ada"), IssuedAt: now.Add(-time.Minute)}
	ada.ID = "j1"
	src.mu.Lock()
	src.entries = append(src.entries, FeedEntry{Kind: "jti", Hash: feedHash("j1"), At: now, Expires: now.Add(time.Hour)})
	src.version++ // what any write to identity's database does
	src.mu.Unlock()
	now = now.Add(time.Second)
	if !rv.Ensure(ctx, now) || !rv.Revoked(ada) {
		t.Fatal("a write after the revocation does not see it")
	}
	if reads() != 2 {
		t.Fatalf("reads %d after the change, want 2", reads())
	}
	if err := rv.Poll(ctx); err != nil || reads() != 3 {
		t.Fatalf("Poll: %v, reads %d; want a read", err, reads())
	}
}
