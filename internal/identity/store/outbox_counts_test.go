package store_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
	"campus/internal/mail"
)

func TestOutboxCountsAndAudited(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{fixedClock()}
		s := store.New(d, c.now, datakeys.Test())
		var heard []string
		s.Audited = func(action, outcome string) { heard = append(heard, action+" "+outcome) }

		counts, err := s.OutboxCounts(ctx)
		if err != nil || len(counts) != 2 || counts[0] != (store.OutboxCount{Name: "mail"}) || counts[1] != (store.OutboxCount{Name: "logout"}) {
			t.Fatalf("empty outboxes = %+v, %v", counts, err)
		}
		for _, subject := range []string{"a", "b", "c"} {
			if err := s.EnqueueMail(ctx, identity.Mail{Kind: "notice", Message: mail.Message{To: "mia@uni.example", Subject: subject}}); err != nil {
				t.Fatal(err)
			}
			c.advance(time.Second)
		}
		claimed, err := s.ClaimMail(ctx, 3, time.Minute)
		if err != nil || len(claimed) != 3 {
			t.Fatalf("claim = %d, %v", len(claimed), err)
		}
		// The first is given up, the second waits for a retry, the third
		// went out.
		if err := s.MailFailed(ctx, claimed[0].ID, claimed[0].NextAttemptAt, "550 no such user", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := s.MailFailed(ctx, claimed[1].ID, claimed[1].NextAttemptAt, "451 later", c.t.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.MailSent(ctx, claimed[2].ID); err != nil {
			t.Fatal(err)
		}
		counts, err = s.OutboxCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := counts[0]
		if got.Pending != 1 || got.Retrying != 1 || got.Failed != 1 || !got.OldestPending.Equal(fixedClock().Add(time.Second)) {
			t.Errorf("mail outbox = %+v, want 1 pending (retrying, created at %v), 1 failed", got, fixedClock().Add(time.Second))
		}

		if err := s.RecordEvent(ctx, identity.AuditEvent{Action: "sign_in", Outcome: identity.OutcomeFailure}); err != nil {
			t.Fatal(err)
		}
		if len(heard) != 1 || heard[0] != "sign_in failure" {
			t.Errorf("Audited heard %v", heard)
		}
	})
}
