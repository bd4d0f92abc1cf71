package store_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
	"campus/internal/mail"
)

func TestChangeAccount(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{fixedClock()}
		s := store.New(d, c.now, datakeys.Test())
		ada, err := s.CreateAccount(ctx, identity.Account{Username: "ada", Email: "ada@uni.example", EmailVerified: true, Roles: []string{"staff"}}, "h")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAccount(ctx, identity.Account{Username: "bob", Email: "bob@uni.example"}, "h"); err != nil {
			t.Fatal(err)
		}
		refused := errors.New("refused")
		var seen []identity.Permission
		_, err = s.ChangeAccount(ctx, ada.ID, store.AccountChange{
			Check: func(rec store.AccountRecord, perms map[string][]identity.Permission) error {
				for _, r := range rec.Roles {
					seen = append(seen, perms[r]...)
				}
				return refused
			},
			Change: func(r *store.AccountRecord) error { r.DisplayName = "changed"; return nil },
		})
		if !errors.Is(err, refused) || !slices.Equal(seen, []identity.Permission{identity.PermGradesRead, identity.PermGradesWrite, identity.PermMessagesRead, identity.PermMessagesWrite}) {
			t.Fatalf("refused change = %v; the check saw %v", err, seen)
		}
		if rec, _ := s.AccountRecord(ctx, ada.ID); rec.Version != 1 || rec.DisplayName == "changed" {
			t.Fatalf("a refused change changed %+v", rec)
		}

		// The change, its token and its notice: one transaction, one version.
		effects := func(before, after store.AccountRecord) ([]store.Issue, []identity.Mail, error) {
			return []store.Issue{issue(identity.TokenConfirmEmail, "p1", "ada@new.example", c.t.Add(time.Hour), "ada@new.example")},
				[]identity.Mail{{Kind: "notice", Message: mail.Message{To: before.Email, Subject: "notice"}}}, nil
		}
		rec, err := s.ChangeAccount(ctx, ada.ID, store.AccountChange{Version: 1,
			Change:  func(r *store.AccountRecord) error { r.DisplayName = "Ada L."; return nil },
			Effects: effects})
		if err != nil || rec.Version != 2 || rec.Email != "ada@uni.example" || !rec.EmailVerified {
			t.Fatalf("change = %+v, %v", rec, err)
		}
		if p, _ := s.PendingEmail(ctx, ada.ID); p != "ada@new.example" {
			t.Fatalf("pending = %q", p)
		}
		if q, _ := s.MailQueue(ctx, "", 10); len(q) != 2 || q[0].AccountID != ada.ID {
			t.Fatalf("queue = %+v", q)
		}
		// A token for another account's address refuses the whole change.
		_, err = s.ChangeAccount(ctx, ada.ID, store.AccountChange{
			Change: func(r *store.AccountRecord) error { r.DisplayName = "again"; return nil },
			Effects: func(before, after store.AccountRecord) ([]store.Issue, []identity.Mail, error) {
				return []store.Issue{issue(identity.TokenConfirmEmail, "p2", "BOB@uni.example", c.t.Add(time.Hour), "bob@uni.example")}, nil, nil
			}})
		var taken *store.TakenError
		if !errors.As(err, &taken) || !taken.Email {
			t.Fatalf("a taken pending address = %v", err)
		}
		if rec, _ := s.AccountRecord(ctx, ada.ID); rec.Version != 2 {
			t.Fatalf("the refused change was written: %+v", rec)
		}
		if q, _ := s.MailQueue(ctx, "", 10); len(q) != 2 {
			t.Fatalf("the refused change queued mail: %+v", q)
		}
	})
}

func TestCountedAttempt(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{fixedClock()}
		// Two stores on one database are two replicas: the count is shared.
		replicas := []*store.Store{store.New(d, c.now, datakeys.Test()), store.New(d, c.now, datakeys.Test())}
		acc, err := replicas[0].CreateAccount(ctx, identity.Account{Username: "eve", Email: "eve@uni.example"}, "h")
		if err != nil {
			t.Fatal(err)
		}
		e := identity.AuditEvent{Action: "identifier_change", Actor: acc.ID, Target: acc.ID, Detail: "email"}
		for i := range 5 {
			if _, err := replicas[i%2].CountedAttempt(ctx, e, 5, time.Hour); err != nil {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
			c.advance(time.Minute)
		}
		wait, err := replicas[1].CountedAttempt(ctx, e, 5, time.Hour)
		if !errors.Is(err, store.ErrRateLimited) || wait != 55*time.Minute {
			t.Fatalf("sixth attempt = %v, %v", wait, err)
		}
		// Another account is counted apart; the oldest attempt ages out.
		other, _ := replicas[0].CreateAccount(ctx, identity.Account{Username: "fay", Email: "fay@uni.example"}, "h")
		if _, err := replicas[0].CountedAttempt(ctx, identity.AuditEvent{Action: e.Action, Target: other.ID}, 5, time.Hour); err != nil {
			t.Fatal(err)
		}
		c.advance(wait)
		if _, err := replicas[0].CountedAttempt(ctx, e, 5, time.Hour); err != nil {
			t.Fatalf("after the wait: %v", err)
		}
		evs, _ := replicas[0].Events(ctx, identity.AuditFilter{Action: e.Action, Target: acc.ID})
		if len(evs) != 6 {
			t.Fatalf("%d attempts recorded, want 6 (the refused one is not)", len(evs))
		}
	})
}

func TestRoleSessions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		c := &clock{fixedClock()}
		s := store.New(d, c.now, datakeys.Test())
		var ids []string
		for _, u := range []struct{ name, role string }{{"gus", "staff"}, {"hal", "staff"}, {"ida", "student"}} {
			acc, err := s.CreateAccount(ctx, identity.Account{Username: u.name, Email: u.name + "@uni.example", Roles: []string{u.role}}, "h")
			if err != nil {
				t.Fatal(err)
			}
			sess := identity.Session{ID: "s-" + u.name, AccountID: acc.ID, AuthTime: c.t, CreatedAt: c.t, ExpiresAt: c.t.Add(time.Hour)}
			if err := s.CreateSession(ctx, sess, "cookie-"+u.name); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, acc.ID)
		}
		if _, err := s.EndSession(ctx, "s-hal"); err != nil {
			t.Fatal(err)
		}
		got, err := s.RoleSessions(ctx, "staff")
		if err != nil || len(got) != 1 || got[0].ID != "s-gus" || got[0].AccountID != ids[0] {
			t.Fatalf("RoleSessions(staff) = %+v, %v", got, err)
		}
	})
}
