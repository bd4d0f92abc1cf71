package store_test

import (
	"context"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
	"campus/internal/mail"
)

// TestPurge: what is dead goes, what can still be used or still protects
// something stays, on both engines.
func TestPurge(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		start := f.now
		count := func(table, where string, args ...any) int {
			t.Helper()
			var n int
			if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE `+where, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// An offline session: its refresh token outlives it by a month. A
		// plain session without one. A rotated family whose newest token
		// ends in two hours.
		for _, s := range []identity.Session{
			{ID: "offline", AccountID: f.account.ID, AuthTime: start, CreatedAt: start, ExpiresAt: start.Add(time.Hour)},
			{ID: "plain", AccountID: f.account.ID, AuthTime: start, CreatedAt: start, ExpiresAt: start.Add(time.Hour)},
		} {
			if err := f.s.CreateSession(ctx, s, "hash-"+s.ID); err != nil {
				t.Fatal(err)
			}
		}
		rt := func(id, family, session string, ttl time.Duration) *identity.RefreshToken {
			return &identity.RefreshToken{ID: id, FamilyID: family, ClientID: "app", AccountID: f.account.ID, SessionID: session,
				Scopes: []string{"openid"}, AuthTime: start, CreatedAt: start, ExpiresAt: start.Add(ttl)}
		}
		at := func(id, family, session string, ttl time.Duration) identity.AccessToken {
			return identity.AccessToken{ID: id, FamilyID: family, ClientID: "app", AccountID: f.account.ID, SessionID: session, ExpiresAt: start.Add(ttl)}
		}
		if err := f.s.CreateTokens(ctx, at("a-offline", "offline-fam", "offline", 10*time.Minute), rt("r-offline", "offline-fam", "offline", 30*24*time.Hour), "h-offline"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.CreateTokens(ctx, at("a1", "fam", "", 10*time.Minute), rt("r1", "fam", "", time.Hour), "h1"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.UseRefreshToken(ctx, "h1", *rt("r2", "fam", "", 2*time.Hour), "h2", at("a2", "fam", "", 10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := f.s.RevokeAccessToken(ctx, "a2", "app", start.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := f.s.CreateAuthRequest(ctx, identity.AuthRequest{ID: "ar", ClientID: "app", RedirectURI: "https://app/cb",
			ResponseType: "code", CreatedAt: start, ExpiresAt: start.Add(30 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if err := f.s.EnqueueMail(ctx, identity.Mail{Kind: "password_changed", Message: mail.Message{To: "ada@uni.example", Subject: "s"}}); err != nil {
			t.Fatal(err)
		}
		claimed, err := f.s.ClaimMail(ctx, 1, time.Minute)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim: %v %v", claimed, err)
		}
		if err := f.s.MailSent(ctx, claimed[0].ID); err != nil {
			t.Fatal(err)
		}

		// Nothing is dead yet.
		if got, err := f.s.Purge(ctx); err != nil || got.Total() != 0 {
			t.Fatalf("purge at the start deleted %v (%v)", got, err)
		}

		// Three hours later: the request, the access tokens and the whole
		// rotated family (its newest token ended two hours in, beyond the
		// hour's margin) go; the offline session stays with its live
		// refresh token, so that ending it still revokes that token.
		f.now = start.Add(3*time.Hour + time.Minute)
		got, err := f.s.Purge(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"auth_requests": 1, "access_tokens": 3, "revoked_access_tokens": 1, "refresh_tokens": 2, "sessions": 1}
		for table, n := range want {
			if got[table] != n {
				t.Errorf("after 3 h purged %d from %s, want %d (all: %v)", got[table], table, n, got)
			}
		}
		if got.Total() != 8 {
			t.Errorf("after 3 h purged %v, want only %v", got, want)
		}
		if count("sessions", "id = $1", "offline") != 1 || count("refresh_tokens", "id = $1", "r-offline") != 1 {
			t.Error("the offline session or its refresh token went while the token lives")
		}
		if count("mail_outbox", "1 = 1") != 1 {
			t.Error("a mail sent 3 hours ago was purged; sent mail is kept 30 days")
		}
		// The spent token of a live family would reveal reuse: a family goes
		// only whole (checked above: both r1 and r2 went together).

		// A month and a day later: the offline family, its session, and the
		// sent mail go too. A second purge finds nothing.
		f.now = start.Add(31 * 24 * time.Hour)
		got, err = f.s.Purge(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got["refresh_tokens"] != 1 || got["sessions"] != 1 || got["mail_outbox"] != 1 || got.Total() != 3 {
			t.Errorf("after 31 days purged %v, want the offline refresh token, its session and the sent mail", got)
		}
		if again, err := f.s.Purge(ctx); err != nil || again.Total() != 0 {
			t.Errorf("a second purge deleted %v (%v)", again, err)
		}
	})
}

// TestPurgeBatches: a backlog larger than a batch goes whole.
func TestPurgeBatches(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		const n = 1234
		for i := range n {
			tok := identity.AccessToken{ID: "a" + itoa(i), ClientID: "app", AccountID: f.account.ID, ExpiresAt: f.now.Add(time.Minute)}
			if err := f.s.CreateTokens(ctx, tok, nil, ""); err != nil {
				t.Fatal(err)
			}
		}
		f.now = f.now.Add(2 * time.Hour)
		if got, err := f.s.Purge(ctx); err != nil || got["access_tokens"] != n {
			t.Fatalf("purged %v (%v), want %d access tokens", got, err, n)
		}
	})
}
