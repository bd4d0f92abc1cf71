package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
)

// TestRevocationFeed: what the feed lists, since when, and for how long,
// on both engines.
func TestRevocationFeed(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		at := func(id string, ttl time.Duration) identity.AccessToken {
			return identity.AccessToken{ID: id, ClientID: "app", AccountID: f.account.ID, ExpiresAt: f.now.Add(ttl)}
		}
		for _, tok := range []identity.AccessToken{at("live", 10*time.Minute), at("gone", 10*time.Minute), at("short", time.Minute)} {
			if err := f.s.CreateTokens(ctx, tok, nil, ""); err != nil {
				t.Fatal(err)
			}
		}
		list := func(since time.Time) (map[string]bool, time.Time) {
			t.Helper()
			rs, asOf, err := f.s.Revocations(ctx, since)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]bool{}
			for _, r := range rs {
				out[r.Kind+":"+r.Value] = true
			}
			return out, asOf
		}
		if got, _ := list(time.Time{}); len(got) != 0 {
			t.Fatalf("nothing revoked yet, feed lists %v", got)
		}
		if err := f.s.RevokeAccessToken(ctx, "gone", "app", f.now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		// A service token is not recorded; revoking it lists it too.
		if err := f.s.RevokeAccessToken(ctx, "service-jti", "svc", f.now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, asOf := list(time.Time{})
		if !got["jti:gone"] || !got["jti:service-jti"] || got["jti:live"] {
			t.Fatalf("after revoking two tokens the feed lists %v", got)
		}

		// Much later: a poll since the last as_of lists what came after it
		// (less the overlap), not what is older.
		f.now = f.now.Add(5 * time.Minute)
		if got, _ := list(asOf); !got["jti:gone"] {
			t.Fatalf("the overlap dropped a revocation made at the previous as_of: %v", got)
		}
		_, asOf = list(time.Time{})
		f.now = f.now.Add(time.Second)
		if err := f.s.RevokeSubject(ctx, f.account.ID); err != nil {
			t.Fatal(err)
		}
		got, _ = list(asOf)
		if !got["sub:"+f.account.ID] || !got["jti:live"] || got["jti:gone"] || got["jti:service-jti"] {
			t.Fatalf("since the last poll the feed lists %v", got)
		}
		if got["jti:short"] {
			t.Error("an expired token is listed")
		}
		if rt, _, err := f.s.Revocations(ctx, time.Time{}); err != nil || !slices.ContainsFunc(rt, func(r store.Revocation) bool {
			return r.Kind == "sub" && r.At.Equal(f.now) && r.Expires.Equal(f.now.Add(store.SubjectRevocationKeep))
		}) {
			t.Errorf("subject entry: %+v, %v", rt, err)
		}
		// Once every token it could name has expired, nothing is listed.
		f.now = f.now.Add(store.SubjectRevocationKeep + time.Minute)
		if got, _ := list(time.Time{}); len(got) != 0 {
			t.Errorf("a day later the feed lists %v", got)
		}
		if n, err := f.s.Purge(ctx); err != nil || n["subject_revocations"] != 1 {
			t.Errorf("purge deleted %v expired subject entries (%v), want 1", n, err)
		}
	})
}

// TestAccountChangesRevokeTokens: a change of status, roles or login window
// kills every token of the account in its transaction; a change of name
// does not.
func TestAccountChangesRevokeTokens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		n := 0
		issue := func() string {
			n++
			id := "tok" + string(rune('a'+n))
			if err := f.s.CreateTokens(ctx, identity.AccessToken{ID: id, ClientID: "app", AccountID: f.account.ID, ExpiresAt: f.now.Add(time.Hour)},
				&identity.RefreshToken{ID: "r" + id, FamilyID: "f" + id, ClientID: "app", AccountID: f.account.ID, AuthTime: f.now,
					CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}, "h"+id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		for _, c := range []struct {
			name   string
			change func(*store.AccountRecord)
			kills  bool
		}{
			{"display name", func(r *store.AccountRecord) { r.DisplayName = "Ada L." }, false},
			{"roles", func(r *store.AccountRecord) { r.Roles = []string{identity.RoleStaff} }, true},
			{"login window", func(r *store.AccountRecord) { r.LoginWindow = &store.LoginWindow{Earliest: "08:00", Latest: "18:00"} }, true},
			{"status", func(r *store.AccountRecord) { r.Status = identity.StatusDisabled }, true},
		} {
			id := issue()
			f.now = f.now.Add(time.Second)
			if _, err := f.s.UpdateAccount(ctx, f.account.ID, 0, func(r *store.AccountRecord) error { c.change(r); return nil }); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			revoked, err := f.s.AccessTokenRevoked(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			rt, _ := f.s.RefreshToken(ctx, "h"+id)
			if revoked != c.kills || (rt.RevokedAt != nil) != c.kills {
				t.Errorf("%s: access token revoked %v, refresh token revoked %v; want %v", c.name, revoked, rt.RevokedAt != nil, c.kills)
			}
		}
	})
}
