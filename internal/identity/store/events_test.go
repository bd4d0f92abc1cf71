package store_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/policy"
	"campus/internal/identity/store"
)

// TestEventAccounts: an event's batch signs in only inside the event's
// window and only to its applications; a new batch replaces the old in
// one transaction (the old accounts gone, their sessions ended and their
// subjects in the revocation feed); ending deletes or disables; on both
// engines.
func TestEventAccounts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)}
		s := store.New(d, c.now, datakeys.Test())
		e, err := s.CreateEvent(ctx, store.Event{Name: "Council election", Description: "Polling stations",
			Window:  store.LoginWindow{Earliest: "08:00", Latest: "18:00", FirstDate: "2026-12-10", LastDate: "2026-12-11"},
			Clients: []string{"ballot"}, Role: identity.RoleStudent, Prefix: "wahl-", PINLength: 8, Afterwards: store.EventDelete})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(e.OwnRole, "event-") {
			t.Fatalf("own role = %q", e.OwnRole)
		}
		if owner, err := s.EventRole(ctx, e.OwnRole); err != nil || owner != e.ID {
			t.Fatalf("EventRole = %q, %v", owner, err)
		}
		batch := func(names ...string) []store.NewEventAccount {
			var out []store.NewEventAccount
			for _, n := range names {
				out = append(out, store.NewEventAccount{Username: n, PasswordHash: "hash:" + n, Label: "station " + n})
			}
			return out
		}
		first, err := s.ReplaceEventAccounts(ctx, e.ID, batch("wahl-aaaa", "wahl-bbbb", "wahl-cccc"))
		if err != nil || len(first) != 3 {
			t.Fatalf("first batch: %v, %v", first, err)
		}
		acc, hash, err := s.AccountByLogin(ctx, "WAHL-AAAA")
		if err != nil || hash != "hash:wahl-aaaa" || !acc.EmailVerified {
			t.Fatalf("sign-in lookup = %+v, %q, %v", acc, hash, err)
		}
		if ev, err := s.EventOf(ctx, acc.ID); err != nil || ev != e.ID {
			t.Fatalf("EventOf = %q, %v", ev, err)
		}
		rec, err := s.AccountRecord(ctx, acc.ID)
		if err != nil || len(rec.Roles) != 2 {
			t.Fatalf("roles = %v, %v", rec.Roles, err)
		}
		rules, err := s.SignInRules(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		inside := time.Date(2026, 12, 10, 9, 30, 0, 0, time.UTC)
		if err := rules.Refusal(rec.Roles, "ballot", "Ballot", inside, time.UTC); err != nil {
			t.Fatalf("inside the window, its application: %v", err)
		}
		var ce *policy.ClientError
		if err := rules.Refusal(rec.Roles, "portal", "Portal", inside, time.UTC); !errors.As(err, &ce) {
			t.Fatalf("another application: %v", err)
		}
		var we *policy.WindowError
		for _, at := range []time.Time{
			time.Date(2026, 12, 10, 19, 0, 0, 0, time.UTC), // after hours
			time.Date(2026, 12, 12, 9, 30, 0, 0, time.UTC), // after the last day
			time.Date(2026, 12, 9, 9, 30, 0, 0, time.UTC),  // before the first
		} {
			if err := rules.Refusal(rec.Roles, "ballot", "Ballot", at, time.UTC); !errors.As(err, &we) {
				t.Fatalf("at %v: %v", at, err)
			}
		}
		sess := identity.Session{ID: "s-old", AccountID: acc.ID, AuthTime: c.now(), CreatedAt: c.now(), ExpiresAt: c.now().Add(time.Hour)}
		if err := s.CreateSession(ctx, sess, "token-hash-old"); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Event(ctx, e.ID); err != nil || got.Accounts != 3 || got.GeneratedAt == nil {
			t.Fatalf("event after the first batch = %+v, %v", got, err)
		}

		c.advance(time.Minute)
		second, err := s.ReplaceEventAccounts(ctx, e.ID, batch("wahl-dddd", "wahl-aaaa"))
		if err != nil || len(second) != 2 {
			t.Fatalf("second batch: %v, %v", second, err)
		}
		if _, err := s.AccountRecord(ctx, acc.ID); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("an old account is still there: %v", err)
		}
		if again, _, err := s.AccountByLogin(ctx, "wahl-aaaa"); err != nil || again.ID == acc.ID {
			t.Fatalf("the new account of a reused name = %+v, %v", again, err)
		}
		ids, err := s.EventAccounts(ctx, e.ID)
		if err != nil || len(ids) != 2 {
			t.Fatalf("event accounts = %v, %v", ids, err)
		}
		feed, _, err := s.Revocations(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		revoked := map[string]bool{}
		for _, r := range feed {
			if r.Kind == "sub" {
				revoked[r.Value] = true
			}
		}
		for _, old := range first {
			if !revoked[old.ID] {
				t.Fatalf("the old account %s is not in the revocation feed", old.Username)
			}
		}

		// A username another account has refuses the batch, and nothing of
		// it is kept.
		if _, err := s.Register(ctx, identity.Account{Username: "taken-name", Email: "t@example.org"}, "hash:x"); err != nil {
			t.Fatal(err)
		}
		var taken *store.TakenError
		if _, err := s.ReplaceEventAccounts(ctx, e.ID, batch("wahl-eeee", "taken-name")); !errors.As(err, &taken) {
			t.Fatalf("a taken username: %v", err)
		}
		if ids, _ := s.EventAccounts(ctx, e.ID); len(ids) != 2 {
			t.Fatalf("a refused batch changed the accounts: %v", ids)
		}

		// The day after the last, the event is due; ending deletes.
		if due, err := s.EventsToEnd(ctx, "2026-12-11"); err != nil || len(due) != 0 {
			t.Fatalf("due on the last day = %v, %v", due, err)
		}
		if due, err := s.EventsToEnd(ctx, "2026-12-12"); err != nil || len(due) != 1 {
			t.Fatalf("due the day after = %v, %v", due, err)
		}
		ended, err := s.EndEvent(ctx, e.ID)
		if err != nil || ended.EndedAt == nil || ended.Accounts != 0 {
			t.Fatalf("ended = %+v, %v", ended, err)
		}
		if ids, _ := s.EventAccounts(ctx, e.ID); len(ids) != 0 {
			t.Fatalf("accounts after the end: %v", ids)
		}
		if again, err := s.EndEvent(ctx, e.ID); err != nil || !again.EndedAt.Equal(*ended.EndedAt) {
			t.Fatalf("ending twice = %+v, %v", again, err)
		}
		if _, err := s.ReplaceEventAccounts(ctx, e.ID, batch("wahl-ffff")); !errors.Is(err, store.ErrEventEnded) {
			t.Fatalf("a batch after the end: %v", err)
		}

		// An event that disables its accounts keeps them, disabled.
		exam, err := s.CreateEvent(ctx, store.Event{Name: "Exam", Window: store.LoginWindow{Earliest: "08:00", Latest: "12:00",
			FirstDate: "2026-12-10", LastDate: "2026-12-10"}, PINLength: 6, Afterwards: store.EventDisable})
		if err != nil {
			t.Fatal(err)
		}
		made, err := s.ReplaceEventAccounts(ctx, exam.ID, batch("exam-1111"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.EndEvent(ctx, exam.ID); err != nil {
			t.Fatal(err)
		}
		if rec, err := s.AccountRecord(ctx, made[0].ID); err != nil || rec.Status != identity.StatusDisabled {
			t.Fatalf("a disabled event's account = %+v, %v", rec.Account, err)
		}
		list, err := s.ListEvents(ctx)
		if err != nil || len(list) != 2 || list[0].ID != exam.ID {
			t.Fatalf("list = %v, %v", list, err)
		}
	})
}

func TestRandomUsernamesAndPINs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		u := store.RandomUsername("x-", 8)
		if len(u) != 10 || !strings.HasPrefix(u, "x-") || strings.ContainsAny(u[2:], "01ilo") {
			t.Fatalf("username %q", u)
		}
		seen[u] = true
		p := store.RandomPIN(8)
		if len(p) != 8 || strings.Trim(p, "0123456789") != "" {
			t.Fatalf("PIN %q", p)
		}
	}
	if len(seen) < 999 {
		t.Fatalf("only %d different usernames of 1000", len(seen))
	}
}

// TestEventBatchesAtOnce: two batches of one event made at once (two
// replicas, two administrators) leave one batch, not both.
func TestEventBatchesAtOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, time.Now, datakeys.Test())
		e, err := s.CreateEvent(ctx, store.Event{Name: "Exam", Window: store.LoginWindow{Earliest: "08:00", Latest: "12:00",
			FirstDate: "2026-12-10", LastDate: "2026-12-10"}, PINLength: 8, Afterwards: store.EventDelete})
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		start := make(chan struct{})
		for range 2 {
			var batch []store.NewEventAccount
			for range 20 {
				batch = append(batch, store.NewEventAccount{Username: store.RandomUsername("r-", 8), PasswordHash: "hash"})
			}
			go func() {
				<-start
				_, err := s.ReplaceEventAccounts(ctx, e.ID, batch)
				errs <- err
			}()
		}
		close(start)
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		ids, err := s.EventAccounts(ctx, e.ID)
		if err != nil || len(ids) != 20 {
			t.Fatalf("after two batches at once: %d accounts, %v; want one batch of 20", len(ids), err)
		}
		if got, _ := s.Event(ctx, e.ID); got.Accounts != 20 {
			t.Fatalf("the event counts %d", got.Accounts)
		}
	})
}
