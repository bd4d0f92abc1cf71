package store_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
	"campus/internal/mail"
)

// leasedOutbox is one of the outboxes whose entries replicas claim under
// a lease: the mail outbox and the back-channel logout deliveries.
type leasedOutbox struct {
	name   string
	add    func(ctx context.Context, s *store.Store, d *db.DB, n int) error
	claim  func(ctx context.Context, s *store.Store, limit int, lease time.Duration) ([]string, time.Time, error)
	renew  func(s *store.Store, ctx context.Context, held time.Time, lease time.Duration, ids ...string) ([]string, time.Time, error)
	fail   func(ctx context.Context, s *store.Store, id string, held time.Time, next time.Time) error
	finish func(s *store.Store, ctx context.Context, id string) error
	table  string
}

var leasedOutboxes = []leasedOutbox{
	{
		name:  "mail outbox",
		table: "mail_outbox",
		add: func(ctx context.Context, s *store.Store, _ *db.DB, n int) error {
			for i := range n {
				to := fmt.Sprintf("u%d@uni.example", i)
				if err := s.EnqueueMail(ctx, identity.Mail{Kind: "password_changed", Message: mail.Message{To: to, Subject: "s"}}); err != nil {
					return err
				}
			}
			return nil
		},
		claim: func(ctx context.Context, s *store.Store, limit int, lease time.Duration) ([]string, time.Time, error) {
			ms, err := s.ClaimMail(ctx, limit, lease)
			var ids []string
			var held time.Time
			for _, m := range ms {
				ids, held = append(ids, m.ID), m.NextAttemptAt
			}
			return ids, held, err
		},
		renew: (*store.Store).RenewMail,
		fail: func(ctx context.Context, s *store.Store, id string, held, next time.Time) error {
			return s.MailFailed(ctx, id, held, "451 later", next)
		},
		finish: (*store.Store).MailSent,
	},
	{
		name:  "back-channel logout",
		table: "logout_deliveries",
		add: func(ctx context.Context, _ *store.Store, d *db.DB, n int) error {
			for i := range n {
				_, err := d.ExecContext(ctx, `INSERT INTO logout_deliveries (id, client_id, uri, account_id, session_id, created_at, next_attempt_at)
					VALUES ($1, 'lms', 'https://lms/logout', 'acc', 'sid', $2, $2)`, fmt.Sprintf("del-%d-%d", time.Now().UnixNano(), i), fixedClock())
				if err != nil {
					return err
				}
			}
			return nil
		},
		claim: func(ctx context.Context, s *store.Store, limit int, lease time.Duration) ([]string, time.Time, error) {
			ds, err := s.ClaimLogoutDeliveries(ctx, limit, lease)
			var ids []string
			var held time.Time
			for _, d := range ds {
				ids, held = append(ids, d.ID), d.NextAttemptAt
			}
			return ids, held, err
		},
		renew: (*store.Store).RenewLogoutDeliveries,
		fail: func(ctx context.Context, s *store.Store, id string, held, next time.Time) error {
			return s.LogoutFailed(ctx, id, held, "503", next)
		},
		finish: (*store.Store).LogoutDelivered,
	},
}

// TestOutboxLeases: an entry claimed by a holder that dies goes to another
// replica once its lease lapsed, and not before; the first holder's
// renewal then fails and its outcome is not recorded; a live holder that
// renews keeps its entries however long it takes.
func TestOutboxLeases(t *testing.T) {
	t.Parallel()
	const lease = 30 * time.Second
	for _, o := range leasedOutboxes {
		t.Run(o.name, func(t *testing.T) {
			t.Parallel()
			dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
				ctx := context.Background()
				// Nanoseconds in the clock: the lease value must still
				// compare equal once stored (microseconds on PostgreSQL).
				c := &clock{fixedClock().Add(123456789)}
				a, b := store.New(d, c.now, datakeys.Test()), store.New(d, c.now, datakeys.Test())
				attempts := func(id string) int {
					t.Helper()
					var n int
					if err := d.QueryRowContext(ctx, `SELECT attempts FROM `+o.table+` WHERE id = $1`, id).Scan(&n); err != nil {
						t.Fatal(err)
					}
					return n
				}
				if err := o.add(ctx, a, d, 3); err != nil {
					t.Fatal(err)
				}

				// A claims all three and dies (never renews).
				mine, heldA, err := o.claim(ctx, a, 20, lease)
				if err != nil || len(mine) != 3 || !heldA.Equal(c.t.Add(lease).Truncate(time.Microsecond)) {
					t.Fatalf("A claims %v until %v: %v", mine, heldA, err)
				}
				c.advance(lease - time.Millisecond)
				if got, _, err := o.claim(ctx, b, 20, lease); len(got) != 0 || err != nil {
					t.Fatalf("B claimed %v before A's lease lapsed: %v", got, err)
				}
				c.advance(time.Millisecond)
				theirs, heldB, err := o.claim(ctx, b, 20, lease)
				if err != nil || len(theirs) != 3 || !heldB.After(heldA) {
					t.Fatalf("B after the lease: %v until %v (A's until %v): %v", theirs, heldB, heldA, err)
				}

				// A was only slow: its renewal fails, its outcome is not
				// recorded, B's lease holds.
				if kept, _, err := o.renew(a, ctx, heldA, lease, mine...); len(kept) != 0 || err != nil {
					t.Fatalf("A renewed %v after B took over: %v", kept, err)
				}
				if err := o.fail(ctx, a, mine[0], heldA, c.t.Add(time.Minute)); err != nil || attempts(mine[0]) != 0 {
					t.Fatalf("A's failure was recorded over B's lease: %v", err)
				}
				if err := o.fail(ctx, a, mine[1], heldA, time.Time{}); err != nil || attempts(mine[1]) != 0 {
					t.Fatalf("A gave up an entry that B holds: %v", err)
				}

				// B is alive and slow: it renews before each entry and
				// keeps the rest of its batch for four leases and more.
				if err := o.finish(b, ctx, theirs[0]); err != nil {
					t.Fatal(err)
				}
				for range 5 {
					c.advance(lease * 9 / 10)
					kept, until, err := o.renew(b, ctx, heldB, lease, theirs...)
					if err != nil || !slices.Equal(sorted(kept), sorted(theirs[1:])) || !until.After(heldB) {
						t.Fatalf("B renews %v: kept %v until %v: %v", theirs, kept, until, err)
					}
					heldB = until
					if got, _, _ := o.claim(ctx, a, 20, lease); len(got) != 0 {
						t.Fatalf("A claimed %v while B held it", got)
					}
				}
				// Its outcome is recorded under its current lease.
				if err := o.fail(ctx, b, theirs[1], heldB, c.t.Add(time.Hour)); err != nil || attempts(theirs[1]) != 1 {
					t.Fatalf("B's failure not recorded: %v", err)
				}
				// Given up, an entry is no longer renewed.
				if err := o.fail(ctx, b, theirs[2], heldB, time.Time{}); err != nil || attempts(theirs[2]) != 1 {
					t.Fatalf("B's give-up not recorded: %v", err)
				}
				if kept, _, err := o.renew(b, ctx, heldB, lease, theirs...); len(kept) != 0 || err != nil {
					t.Fatalf("renewed finished entries: %v %v", kept, err)
				}
			})
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
