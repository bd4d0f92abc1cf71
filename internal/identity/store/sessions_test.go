package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
)

// TestLiveSessions: a person's live sessions, newest first, with where
// they were signed in and their applications; last use moves at most once
// a minute; nobody reaches another person's session.
func TestLiveSessions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		other, err := f.s.CreateAccount(ctx, identity.Account{Username: "eve", Email: "eve@uni.example", Roles: []string{identity.RoleStudent}}, "h")
		if err != nil {
			t.Fatal(err)
		}
		start := f.now
		ua := "Mozilla/5.0\x00\n" + strings.Repeat("é", 200) // control characters, and a cut inside a rune
		for i, s := range []identity.Session{
			{ID: "old", AccountID: f.account.ID, ClientIP: "192.0.2.1", UserAgent: ua},
			{ID: "new", AccountID: f.account.ID, ClientIP: "2001:db8::1", UserAgent: "curl/8"},
			{ID: "gone", AccountID: f.account.ID},
			{ID: "eves", AccountID: other.ID},
		} {
			s.AuthTime, s.CreatedAt, s.ExpiresAt = f.now, f.now, f.now.Add(time.Hour)
			if err := f.s.CreateSession(ctx, s, "cookie-"+s.ID); err != nil {
				t.Fatal(err)
			}
			f.now = f.now.Add(time.Duration(i+1) * time.Second)
		}
		f.s.AddSessionClient(ctx, "old", "app")
		if _, err := f.s.EndSession(ctx, "gone"); err != nil {
			t.Fatal(err)
		}

		list, err := f.s.LiveSessions(ctx, f.account.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != "new" || list[1].ID != "old" {
			t.Fatalf("live sessions %+v, want new then old", list)
		}
		old := list[1]
		if old.ClientIP != "192.0.2.1" || len(old.Apps) != 1 || old.Apps[0] != (store.SessionApp{ClientID: "app", Name: "App"}) {
			t.Errorf("old session %+v", old)
		}
		if len(old.UserAgent) > identity.MaxUserAgent || !strings.HasPrefix(old.UserAgent, "Mozilla/5.0  é") || strings.ContainsRune(old.UserAgent, '\uFFFD') {
			t.Errorf("user agent kept as %q", old.UserAgent)
		}
		if !old.LastUsedAt.Equal(start) || len(list[0].Apps) != 0 {
			t.Errorf("last used %v, want the start %v; apps of new %v", old.LastUsedAt, start, list[0].Apps)
		}

		// A use within the minute writes nothing; after it, it does.
		f.now = start.Add(30 * time.Second)
		f.s.TouchSession(ctx, "old")
		if got := liveSession(t, f, "old"); !got.LastUsedAt.Equal(start) {
			t.Errorf("a use within the minute moved last use to %v", got.LastUsedAt)
		}
		f.now = start.Add(2 * time.Minute)
		f.s.TouchSession(ctx, "old")
		if got := liveSession(t, f, "old"); !got.LastUsedAt.Equal(f.now) {
			t.Errorf("last use %v, want %v", got.LastUsedAt, f.now)
		}
		// A refresh of the session's token is a use too.
		f.s.CreateTokens(ctx, identity.AccessToken{ID: "a1", SessionID: "old", ClientID: "app", AccountID: f.account.ID, ExpiresAt: f.now.Add(time.Minute)},
			&identity.RefreshToken{ID: "r1", FamilyID: "f", SessionID: "old", ClientID: "app", AccountID: f.account.ID, AuthTime: f.now, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}, "rh1")
		f.now = f.now.Add(5 * time.Minute)
		next := identity.RefreshToken{ID: "r2", FamilyID: "f", SessionID: "old", ClientID: "app", AccountID: f.account.ID, AuthTime: f.now, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}
		if err := f.s.UseRefreshToken(ctx, "rh1", next, "rh2", identity.AccessToken{ID: "a2", SessionID: "old", ClientID: "app", AccountID: f.account.ID, ExpiresAt: f.now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if got := liveSession(t, f, "old"); !got.LastUsedAt.Equal(f.now) {
			t.Errorf("after a refresh last use %v, want %v", got.LastUsedAt, f.now)
		}

		if _, err := f.s.SessionOf(ctx, f.account.ID, "old"); err != nil {
			t.Errorf("own session: %v", err)
		}
		for _, sid := range []string{"eves", "gone", "nonesuch"} {
			if _, err := f.s.SessionOf(ctx, f.account.ID, sid); !errors.Is(err, identity.ErrNotFound) {
				t.Errorf("SessionOf(%s) = %v, want ErrNotFound", sid, err)
			}
		}
	})
}

func liveSession(t *testing.T, f *fixture, id string) store.LiveSession {
	t.Helper()
	list, err := f.s.LiveSessions(context.Background(), f.account.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range list {
		if l.ID == id {
			return l
		}
	}
	t.Fatalf("no live session %s", id)
	return store.LiveSession{}
}
