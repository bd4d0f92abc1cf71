package notices_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"campus/internal/db/dbtest"
	"campus/internal/study"
	"campus/internal/study/notices"
	"campus/internal/study/store"
)

// messagesFake is the messages service's POST /v1/notices: it records
// what arrives and answers with the next status of statuses (202 when
// none are left).
type messagesFake struct {
	mu       sync.Mutex
	statuses []int
	calls    []call
}

type call struct {
	key, auth string
	body      struct {
		To                       []string
		Kind, Text, TextDE, Link string
	}
	status int
}

func (f *messagesFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := call{key: r.Header.Get("Idempotency-Key"), auth: r.Header.Get("Authorization"), status: http.StatusAccepted}
	if r.Method != http.MethodPost || r.URL.Path != "/messages/v1/notices" || r.Header.Get("Content-Type") != "application/json" {
		c.status = http.StatusNotFound
	}
	var raw struct {
		To     []string `json:"to"`
		Kind   string   `json:"kind"`
		Text   string   `json:"text"`
		TextDE string   `json:"text_de"`
		Link   string   `json:"link"`
	}
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &raw); err != nil {
		c.status = http.StatusBadRequest
	}
	c.body.To, c.body.Kind, c.body.Text, c.body.TextDE, c.body.Link = raw.To, raw.Kind, raw.Text, raw.TextDE, raw.Link
	if len(f.statuses) > 0 && c.status == http.StatusAccepted {
		c.status, f.statuses = f.statuses[0], f.statuses[1:]
	}
	f.calls = append(f.calls, c)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(c.status)
	fmt.Fprint(w, `{"added":true}`)
}

type fixture struct {
	st     *store.Store
	fake   *messagesFake
	d      *notices.Deliverer
	now    time.Time
	tokens int // token sources made
	p      study.Programme
}

// newFixture is a study store with notices on and a programme with n
// students, and a deliverer to a fake messages service.
func newFixture(t *testing.T, n int) *fixture {
	t.Helper()
	f := &fixture{fake: &messagesFake{}, now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	f.st = store.New(dbtest.SQLite(t, store.Migrations), func() time.Time { return f.now })
	f.st.Notices = true
	srv := httptest.NewServer(f.fake)
	t.Cleanup(srv.Close)
	newTokens := func() oauth2.TokenSource {
		f.tokens++
		return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: fmt.Sprintf("token-%d", f.tokens), TokenType: "Bearer"})
	}
	f.d = notices.NewDeliverer(f.st, srv.URL+"/messages", newTokens, srv.Client(), func() time.Time { return f.now },
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	var err error
	f.p, err = f.st.CreateProgramme(ctx, study.Programme{Title: "Physics", Degree: "B.Sc.", Semesters: 6, CreditsRequired: 180, Status: study.ProgrammePublished})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := f.st.Enrol(ctx, study.Enrolment{Subject: fmt.Sprintf("0190f3a4-0000-7000-8000-%012d", i), ProgrammeID: f.p.ID}, true); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// change changes the programme, which queues a notice to its students.
func (f *fixture) change(t *testing.T) {
	t.Helper()
	p, err := f.st.Programme(context.Background(), f.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.UpdateProgramme(context.Background(), p.ID, p.Version, func(p *study.Programme) { p.Description += "+" }); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) deliver(t *testing.T, want int) {
	t.Helper()
	n, err := f.d.DeliverDue(context.Background())
	if err != nil || n != want {
		t.Fatalf("DeliverDue = %d, %v; want %d", n, err, want)
	}
}

func (f *fixture) queue(t *testing.T, state string) []store.OutboxNotice {
	t.Helper()
	q, err := f.st.NoticeQueue(context.Background(), state, 100)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestDelivery: a notice to 2,500 people goes as three calls of at most
// 1,000, each with its outbox id as Idempotency-Key and the study
// client's token, and is recorded delivered; nothing is sent twice.
func TestDelivery(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2500)
	f.change(t)
	f.deliver(t, 3)
	f.deliver(t, 0)
	if len(f.fake.calls) != 3 {
		t.Fatalf("%d calls", len(f.fake.calls))
	}
	queued := map[string]int{}
	for _, n := range f.queue(t, store.NoticesDelivered) {
		queued[n.ID] = len(n.To)
	}
	total := 0
	for _, c := range f.fake.calls {
		if queued[c.key] != len(c.body.To) || len(c.body.To) > 1000 {
			t.Errorf("call with key %q for %d people; the outbox has %d", c.key, len(c.body.To), queued[c.key])
		}
		if c.auth != "Bearer token-1" {
			t.Errorf("Authorization %q", c.auth)
		}
		if c.body.Kind != "programme_changed" || c.body.Text != "The programme Physics changed." ||
			c.body.TextDE != "Der Studiengang Physics wurde geändert." || c.body.Link != "/programmes/"+f.p.ID {
			t.Errorf("body %+v", c.body)
		}
		total += len(c.body.To)
	}
	if total != 2500 || len(f.queue(t, store.NoticesPending)) != 0 {
		t.Fatalf("%d recipients in all; pending %d", total, len(f.queue(t, store.NoticesPending)))
	}
}

// TestRetryAfter503: an unavailable messages service is tried again after
// the backoff, with the same Idempotency-Key; a refused token is replaced.
func TestRetryAfter503(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2)
	f.fake.statuses = []int{http.StatusServiceUnavailable, http.StatusUnauthorized}
	f.change(t)
	f.deliver(t, 0)
	p := f.queue(t, store.NoticesPending)
	if len(p) != 1 || p[0].Attempts != 1 || !p[0].NextAttemptAt.Equal(f.now.Add(10*time.Second)) || p[0].LastError == "" {
		t.Fatalf("after a 503: %+v", p)
	}
	f.deliver(t, 0) // not due yet
	if len(f.fake.calls) != 1 {
		t.Fatalf("tried before its time: %d calls", len(f.fake.calls))
	}
	f.now = f.now.Add(10 * time.Second)
	f.deliver(t, 0) // 401: a new token next time
	f.now = f.now.Add(20 * time.Second)
	f.deliver(t, 1)
	c := f.fake.calls
	if len(c) != 3 || c[0].key != c[1].key || c[1].key != c[2].key || c[0].key != p[0].ID {
		t.Fatalf("keys %q %q %q, want %q each", c[0].key, c[1].key, c[2].key, p[0].ID)
	}
	if c[1].auth != "Bearer token-1" || c[2].auth != "Bearer token-2" {
		t.Fatalf("the refused token was not replaced: %q then %q", c[1].auth, c[2].auth)
	}
	if d := f.queue(t, store.NoticesDelivered); len(d) != 1 || d[0].Attempts != 3 {
		t.Fatalf("delivered %+v", d)
	}
}

// TestGiveUp: a notice is given up after three days of failures, and at
// once when the messages service refuses it as malformed; either stays
// in the outbox, failed, with the reason.
func TestGiveUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	f.fake.statuses = []int{http.StatusBadGateway, http.StatusBadGateway, http.StatusUnprocessableEntity}
	f.change(t)
	f.deliver(t, 0)
	f.now = f.now.Add(72 * time.Hour)
	f.deliver(t, 0)
	failed := f.queue(t, store.NoticesFailed)
	if len(failed) != 1 || failed[0].Attempts != 2 || failed[0].LastError == "" {
		t.Fatalf("after three days: %+v", failed)
	}
	f.change(t)
	f.deliver(t, 0)
	if failed := f.queue(t, store.NoticesFailed); len(failed) != 2 || failed[0].Attempts != 1 {
		t.Fatalf("a refused notice: %+v", failed)
	}
	if len(f.queue(t, store.NoticesPending)) != 0 {
		t.Fatal("a given up notice is still pending")
	}
}
