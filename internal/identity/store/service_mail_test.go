package store

import (
	"campus/internal/identity/datakeys"
	"context"
	"sync"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/mail"
)

// TestQueueServiceMail: a service's mail is queued once per (client,
// key), also when the same request comes twice at once; another client
// may use the same key; the keys are purged after a week.
func TestQueueServiceMail(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
		s := New(d, func() time.Time { return now }, datakeys.Test())
		a, err := s.CreateAccount(ctx, identity.Account{Username: "anna", Email: "anna@uni.example", DisplayName: "Anna", Roles: []string{"student"}}, "")
		if err != nil {
			t.Fatal(err)
		}
		m := identity.Mail{Kind: "service_notice", AccountID: a.ID, Message: mail.Message{To: a.Email, Subject: "Hi", Text: "Hello"}}
		ev := identity.AuditEvent{Action: "service_mail", Outcome: identity.OutcomeSuccess, Actor: "campus-messages", Target: a.ID}
		var wg sync.WaitGroup
		var mu sync.Mutex
		added := 0
		for range 4 {
			wg.Go(func() {
				ok, err := s.QueueServiceMail(ctx, "campus-messages", "k1", m, ev)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				if ok {
					added++
				}
				mu.Unlock()
			})
		}
		wg.Wait()
		if added != 1 {
			t.Fatalf("added %d times; want once", added)
		}
		if seen, err := s.ServiceMailSeen(ctx, "campus-messages", "k1"); err != nil || !seen {
			t.Errorf("seen: %v %v", seen, err)
		}
		if ok, err := s.QueueServiceMail(ctx, "campus-study", "k1", m, ev); err != nil || !ok {
			t.Errorf("another client's key: %v %v", ok, err)
		}
		q, err := s.MailQueue(ctx, "", 100)
		if err != nil || len(q) != 2 {
			t.Fatalf("outbox: %d %v", len(q), err)
		}
		evs, err := s.Events(ctx, identity.AuditFilter{Action: "service_mail"})
		if err != nil || len(evs) != 2 {
			t.Errorf("audit: %d %v", len(evs), err)
		}
		roles, err := s.RolesOf(ctx, []string{a.ID, "nobody"})
		if err != nil || len(roles) != 1 || len(roles[a.ID]) != 1 || roles[a.ID][0] != "student" {
			t.Errorf("roles: %v %v", roles, err)
		}
		now = now.Add(8 * 24 * time.Hour)
		if _, err := s.Purge(ctx); err != nil {
			t.Fatal(err)
		}
		if seen, err := s.ServiceMailSeen(ctx, "campus-messages", "k1"); err != nil || seen {
			t.Errorf("a week later the key is still kept: %v %v", seen, err)
		}
	})
}
