package digest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"campus/internal/messages/people"
	"campus/internal/messages/store"
)

// fakeStore keeps who is due and records what was sent, as the store's
// contract says: a person is due until DigestSent covers their unread.
type fakeStore struct {
	mu      sync.Mutex
	due     []store.DigestDue
	sent    map[string]int64
	asked   []time.Time
	leaseBy string
	leases  int
}

func (f *fakeStore) TakeLease(_ context.Context, job, holder string, ttl time.Duration) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.leases++
	if job != LeaseJob || ttl <= 0 {
		return false, errors.New("bad lease")
	}
	if f.leaseBy == "" {
		f.leaseBy = holder
	}
	return f.leaseBy == holder, nil
}

func (f *fakeStore) DigestsDue(_ context.Context, olderThan time.Time, limit int) ([]store.DigestDue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, olderThan)
	var out []store.DigestDue
	for _, d := range f.due {
		if up, ok := f.sent[d.Subject]; ok && up >= d.UpTo {
			continue
		}
		if len(out) < limit {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *fakeStore) DigestSent(_ context.Context, sub string, upTo int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent[sub] = upTo
	return nil
}

type fakeMailer struct {
	mu    sync.Mutex
	mails map[string][]people.Mail
	fail  map[string]error
}

func (m *fakeMailer) Mail(_ context.Context, sub string, mail people.Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail[sub]; err != nil {
		return err
	}
	m.mails[sub] = append(m.mails[sub], mail)
	return nil
}

func newJob(st *fakeStore, m *fakeMailer, now *time.Time) *Job {
	return &Job{Store: st, Mailer: m, After: 30 * time.Minute, Now: func() time.Time { return *now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Holder: "me"}
}

// TestOnce: each person due gets one digest; the store is asked for
// unread older than After; a person passed over (unknown, rate-limited,
// rejected) counts as sent; identity unavailable stops the look and the
// person stays due.
func TestOnce(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	st := &fakeStore{sent: map[string]int64{}, due: []store.DigestDue{
		{Subject: "anna", Unread: 3, Conversations: []string{"Databases", "", "Study\tgroup\n"}, UpTo: 40},
		{Subject: "gone", Unread: 1, Conversations: []string{""}, UpTo: 41},
		{Subject: "busy", Unread: 2, Conversations: []string{""}, UpTo: 42},
		{Subject: "bert", Unread: 1, Conversations: []string{""}, UpTo: 43},
	}}
	m := &fakeMailer{mails: map[string][]people.Mail{}, fail: map[string]error{
		"gone": people.ErrNotFound,
		"busy": &people.RateLimitedError{After: time.Hour},
		"bert": people.ErrUnavailable,
	}}
	j := newJob(st, m, &now)
	n, err := j.Once(context.Background())
	if !errors.Is(err, people.ErrUnavailable) || n != 1 {
		t.Fatalf("once = %d, %v", n, err)
	}
	if !st.asked[0].Equal(now.Add(-30 * time.Minute)) {
		t.Errorf("asked for unread older than %v", st.asked[0])
	}
	if st.sent["anna"] != 40 || st.sent["gone"] != 41 || st.sent["busy"] != 42 {
		t.Errorf("sent: %v", st.sent)
	}
	if _, ok := st.sent["bert"]; ok {
		t.Errorf("bert's digest counted as sent while identity was down")
	}
	// Identity back: bert gets his; anna nothing more.
	delete(m.fail, "bert")
	if n, err := j.Once(context.Background()); err != nil || n != 1 || len(m.mails["anna"]) != 1 || len(m.mails["bert"]) != 1 {
		t.Fatalf("second look: %d %v %v", n, err, m.mails)
	}
	got := m.mails["anna"][0]
	if got.Link != "/messaging" || got.Key != "digest:anna:40" || got.Subject["en"] != "You have 3 unread messages in campus" ||
		got.Subject["de"] != "Sie haben 3 ungelesene Nachrichten in campus" {
		t.Errorf("anna's mail: %+v", got)
	}
	for _, want := range []string{"- in Databases\n", "- in Study group\n", "- in 1 conversation with one person\n"} {
		if !strings.Contains(got.Text["en"], want) {
			t.Errorf("English text lacks %q:\n%s", want, got.Text["en"])
		}
	}
	if !strings.Contains(got.Text["de"], "- in 1 Unterhaltung mit einer Person\n") {
		t.Errorf("German text:\n%s", got.Text["de"])
	}
	if b := m.mails["bert"][0]; b.Subject["en"] != "You have 1 unread message in campus" || b.Subject["de"] != "Sie haben 1 ungelesene Nachricht in campus" {
		t.Errorf("singular: %+v", b.Subject)
	}
}

// TestComposeBounds: a digest names at most ten groups and counts the
// rest; names become one printable line.
func TestComposeBounds(t *testing.T) {
	t.Parallel()
	var convs []string
	for i := range 13 {
		convs = append(convs, strings.Repeat("g", i+1))
	}
	convs = append(convs, "", "", "evil\x1b[31m\u200bname "+strings.Repeat("x", 200))
	m := Compose(store.DigestDue{Subject: "s", Unread: 40, Conversations: convs, UpTo: 7})
	en := m.Text["en"]
	if strings.Count(en, "- in g") != 10 || !strings.Contains(en, "- in 4 more groups\n") || !strings.Contains(en, "- in 2 conversations with one person each\n") {
		t.Errorf("bounds:\n%s", en)
	}
	if strings.ContainsAny(en, "\x1b\u200b") {
		t.Errorf("control characters in the text: %q", en)
	}
	if !strings.Contains(m.Text["de"], "- in 4 weiteren Gruppen\n") {
		t.Errorf("German:\n%s", m.Text["de"])
	}
}

// TestRunHoldsTheLease: the job looks every Interval while it holds the
// lease, and only then; it stops with its context.
func TestRunHoldsTheLease(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	st := &fakeStore{sent: map[string]int64{}, due: []store.DigestDue{{Subject: "anna", Unread: 1, Conversations: []string{""}, UpTo: 1}}}
	m := &fakeMailer{mails: map[string][]people.Mail{}, fail: map[string]error{}}
	mine := newJob(st, m, &now)
	mine.Interval = 5 * time.Millisecond
	om := &fakeMailer{mails: map[string][]people.Mail{}, fail: map[string]error{}}
	other := newJob(st, om, &now)
	other.Interval, other.Holder = 5*time.Millisecond, "other"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { mine.Run(ctx); done <- struct{}{} }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st.mu.Lock()
		leases := st.leases
		st.mu.Unlock()
		if leases >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job does not take its lease")
		}
		time.Sleep(time.Millisecond)
	}
	go func() { other.Run(ctx); done <- struct{}{} }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	<-done
	<-done
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.mails["anna"]) != 1 {
		t.Errorf("anna got %d digests; want 1", len(m.mails["anna"]))
	}
	if len(om.mails) != 0 {
		t.Errorf("the replica without the lease mailed %v", om.mails)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.leaseBy != "me" {
		t.Errorf("lease held by %q", st.leaseBy)
	}
}
