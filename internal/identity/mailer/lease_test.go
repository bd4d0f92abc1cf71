package mailer_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/mailer"
	"campus/internal/identity/store"
	"campus/internal/mail"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recorder is an SMTP server stand-in: it records what it was given, and
// runs during first the delay of a slow send.
type recorder struct {
	sent   []string
	during func()
}

func (r *recorder) Send(ctx context.Context, m mail.Message) error {
	if _, ok := ctx.Deadline(); !ok {
		return fmt.Errorf("a send without a deadline")
	}
	if r.during != nil {
		r.during()
	}
	r.sent = append(r.sent, m.To)
	return nil
}

// stallingQueue is the store, with a holder that stalls (a long GC pause,
// a frozen VM) after it recorded its first mail as sent.
type stallingQueue struct {
	*store.Store
	stall func()
	once  sync.Once
}

func (q *stallingQueue) MailSent(ctx context.Context, id string) error {
	err := q.Store.MailSent(ctx, id)
	q.once.Do(q.stall)
	return err
}

func enqueue(t *testing.T, s *store.Store, n int) {
	t.Helper()
	for i := range n {
		to := fmt.Sprintf("u%d@uni.example", i)
		if err := s.EnqueueMail(context.Background(), identity.Mail{Kind: "password_changed",
			Message: mail.Message{To: to, Subject: "s", Text: "t"}}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWorkerLeases: two replicas share the outbox. One that sends slowly
// keeps its whole batch (renewing its leases before each mail), so the
// other gets nothing of it; one that stalls longer than its lease loses
// the mails not yet sent to the other replica and skips them. Each mail
// goes out exactly once.
func TestWorkerLeases(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.DiscardHandler)
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		t.Run("a slow live holder keeps its batch", func(t *testing.T) {
			c := &clock{t: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
			a, b := store.New(d, c.now, datakeys.Test()), store.New(d, c.now, datakeys.Test())
			enqueue(t, a, 3)
			var stolen []string
			slow := &recorder{during: func() {
				// Each send takes most of a lease; meanwhile the other
				// replica looks for due mail.
				c.advance(25 * time.Second)
				ms, err := b.ClaimMail(ctx, 20, 30*time.Second)
				if err != nil {
					t.Error(err)
				}
				for _, m := range ms {
					stolen = append(stolen, m.To)
				}
			}}
			w := mailer.NewWorker(a, slow, c.now, logger)
			w.Lease = 30 * time.Second
			if n, err := w.SendDue(ctx); n != 3 || err != nil {
				t.Fatalf("SendDue = %d, %v", n, err)
			}
			if len(stolen) != 0 || len(slow.sent) != 3 {
				t.Fatalf("sent %v, the other replica claimed %v", slow.sent, stolen)
			}
		})
		t.Run("a stalled holder skips what it lost", func(t *testing.T) {
			c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
			a, b := store.New(d, c.now, datakeys.Test()), store.New(d, c.now, datakeys.Test())
			enqueue(t, a, 3)
			first, second := &recorder{}, &recorder{}
			other := mailer.NewWorker(b, second, c.now, logger)
			other.Lease = 30 * time.Second
			q := &stallingQueue{Store: a, stall: func() {
				c.advance(31 * time.Second)
				if n, err := other.SendDue(ctx); n != 2 || err != nil {
					t.Errorf("the other replica sent %d: %v", n, err)
				}
			}}
			w := mailer.NewWorker(q, first, c.now, logger)
			w.Lease = 30 * time.Second
			if n, err := w.SendDue(ctx); n != 1 || err != nil {
				t.Fatalf("SendDue = %d, %v", n, err)
			}
			all := append(slices.Clone(first.sent), second.sent...)
			slices.Sort(all)
			if len(first.sent) != 1 || !slices.Equal(all, []string{"u0@uni.example", "u1@uni.example", "u2@uni.example"}) {
				t.Fatalf("first replica sent %v, second %v", first.sent, second.sent)
			}
			st, _ := a.MailStatus(ctx)
			if st.Pending != 0 {
				t.Fatalf("status = %+v", st)
			}
		})
	})
}
