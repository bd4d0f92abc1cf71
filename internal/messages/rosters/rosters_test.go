package rosters_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"campus/internal/messages"
	"campus/internal/messages/rosters"
)

// fakeStore holds the lease and records synchronisations.
type fakeStore struct {
	mu      sync.Mutex
	holder  string
	until   time.Time
	now     func() time.Time
	synced  [][]messages.CourseGroup
	syncErr error
}

func (f *fakeStore) TakeLease(_ context.Context, job, holder string, ttl time.Duration) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if job != rosters.Job {
		return false, fmt.Errorf("job %q", job)
	}
	if f.holder != "" && f.holder != holder && f.now().Before(f.until) {
		return false, nil
	}
	f.holder, f.until = holder, f.now().Add(ttl)
	return true, nil
}

func (f *fakeStore) SyncCourseGroups(_ context.Context, groups []messages.CourseGroup) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.syncErr != nil {
		return 0, f.syncErr
	}
	f.synced = append(f.synced, groups)
	return len(groups), nil
}

// studyFake is study's GET /v1/rosters at a revision, for the token
// "good-N"; refuse makes it answer 401 to the next request.
type studyFake struct {
	mu       sync.Mutex
	revision int
	requests int
	refuse   bool
	status   int    // answer this instead, when set
	body     string // answer this body instead, when set
	auth     []string
}

func (s *studyFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	if r.URL.Path != "/study/v1/rosters" {
		http.NotFound(w, r)
		return
	}
	if s.refuse {
		s.refuse = false
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if s.status != 0 {
		w.WriteHeader(s.status)
		return
	}
	etag := `"` + strconv.Itoa(s.revision) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if s.body != "" {
		fmt.Fprint(w, s.body)
		return
	}
	fmt.Fprintf(w, `{"revision":%d,"groups":[
		{"kind":"programme","id":"p1","title":"Physics","students":["a","b"],"staff":["t"]},
		{"kind":"module","id":"m1","code":"PHY-1","title":"Mechanics","students":["a"],"staff":[]},
		{"kind":"lecture","id":"l1","title":"Not a course group","students":[],"staff":[]}]}`, s.revision)
}

func newPoller(t *testing.T, st *fakeStore, holder string) (*rosters.Poller, *studyFake) {
	t.Helper()
	study := &studyFake{revision: 1}
	srv := httptest.NewServer(study)
	t.Cleanup(srv.Close)
	var n int
	var mu sync.Mutex
	return &rosters.Poller{
		StudyURL: srv.URL + "/study",
		Tokens: func() oauth2.TokenSource {
			mu.Lock()
			defer mu.Unlock()
			n++
			return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: fmt.Sprintf("good-%d", n), TokenType: "Bearer"})
		},
		Client:   srv.Client(),
		Store:    st,
		Interval: time.Second,
		Now:      st.now,
		Holder:   holder,
	}, study
}

func poll(t *testing.T, p *rosters.Poller) rosters.Result {
	t.Helper()
	r, err := p.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPollSyncsWhenChanged: the first poll synchronises every course
// group (a module named by code and title, kinds other than programme and
// module left out); while study's revision stays, study answers 304 and
// nothing is synchronised; a new revision is synchronised.
func TestPollSyncsWhenChanged(t *testing.T) {
	t.Parallel()
	st := &fakeStore{now: time.Now}
	p, study := newPoller(t, st, "a")
	if r := poll(t, p); !r.Held || r.Unchanged || r.Groups != 2 {
		t.Fatalf("first poll: %+v", r)
	}
	got := fmt.Sprint(st.synced)
	want := fmt.Sprint([][]messages.CourseGroup{{
		{CourseKind: "programme", CourseID: "p1", Name: "Physics", Students: []string{"a", "b"}, Staff: []string{"t"}},
		{CourseKind: "module", CourseID: "m1", Name: "PHY-1 Mechanics", Students: []string{"a"}, Staff: []string{}},
	}})
	if got != want {
		t.Fatalf("synced %s, want %s", got, want)
	}
	if r := poll(t, p); !r.Unchanged || len(st.synced) != 1 {
		t.Fatalf("unchanged: %+v, %d syncs", r, len(st.synced))
	}
	study.mu.Lock()
	study.revision = 2
	study.mu.Unlock()
	if r := poll(t, p); r.Unchanged || len(st.synced) != 2 {
		t.Fatalf("changed: %+v, %d syncs", r, len(st.synced))
	}
	if study.auth[0] != "Bearer good-1" {
		t.Fatalf("Authorization %q", study.auth[0])
	}
}

// TestOneReplicaPolls: while one replica holds the lease, another asks
// nothing; once the lease lapses, it takes over and synchronises afresh.
func TestOneReplicaPolls(t *testing.T) {
	t.Parallel()
	now := time.Now()
	st := &fakeStore{now: func() time.Time { return now }}
	a, studyA := newPoller(t, st, "a")
	b, studyB := newPoller(t, st, "b")
	poll(t, a)
	if r := poll(t, b); r.Held || studyB.requests != 0 {
		t.Fatalf("second replica: %+v, %d requests", r, studyB.requests)
	}
	now = now.Add(3 * time.Minute) // a died
	if r := poll(t, b); !r.Held || r.Groups != 2 {
		t.Fatalf("after the lease: %+v", r)
	}
	if r := poll(t, a); r.Held || studyA.requests != 1 {
		t.Fatalf("the old holder: %+v, %d requests", r, studyA.requests)
	}
}

// TestPollFailures: a refused token is replaced and the request repeated
// once; an error answer, a body cut short or a failed synchronisation
// synchronise nothing and keep the rosters to be fetched again.
func TestPollFailures(t *testing.T) {
	t.Parallel()
	st := &fakeStore{now: time.Now}
	p, study := newPoller(t, st, "a")
	study.refuse = true
	if r := poll(t, p); r.Groups != 2 || study.auth[1] != "Bearer good-2" {
		t.Fatalf("after a refused token: %+v %v", r, study.auth)
	}

	st2 := &fakeStore{now: time.Now}
	p2, study2 := newPoller(t, st2, "a")
	study2.status = http.StatusServiceUnavailable
	if _, err := p2.Poll(context.Background()); err == nil {
		t.Fatal("no error for a 503")
	}
	study2.status, study2.body = 0, `{"revision":1,"groups":[{"kind":"programme","id":"p1","title":"Physics","students":["a"`
	if _, err := p2.Poll(context.Background()); err == nil {
		t.Fatal("no error for a body cut short")
	}
	study2.body = ""
	st2.syncErr = errors.New("database down")
	if _, err := p2.Poll(context.Background()); !errors.Is(err, st2.syncErr) {
		t.Fatalf("failed sync: %v", err)
	}
	st2.syncErr = nil
	if r := poll(t, p2); r.Unchanged || len(st2.synced) != 1 {
		t.Fatalf("after the failures the rosters were not fetched again: %+v", r)
	}
}
