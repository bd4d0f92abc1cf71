package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
)

// A spent refresh token presented again within the grace period, while its
// successor is unused, is a retry: the same successor comes back. Later,
// or once the successor was used, it is a reuse and the family goes.
func TestRefreshRetryGrace(t *testing.T) {
	t.Parallel()
	const grace = 10 * time.Second
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		family := 0
		rt := func(fam, id string) identity.RefreshToken {
			return identity.RefreshToken{ID: id, FamilyID: fam, ClientID: "app", AccountID: f.account.ID,
				Scopes: []string{"openid"}, AuthTime: f.now, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}
		}
		at := func(fam, id string) identity.AccessToken {
			return identity.AccessToken{ID: id, FamilyID: fam, ClientID: "app", AccountID: f.account.ID, ExpiresAt: f.now.Add(time.Minute)}
		}
		// start makes a family whose first token (hash fam-h1) was spent
		// for fam-h2 just now.
		start := func() string {
			t.Helper()
			family++
			fam := string(rune('a'+family)) + "fam"
			if err := f.s.CreateTokens(ctx, at(fam, fam+"-a1"), ptr(rt(fam, fam+"-r1")), fam+"-h1"); err != nil {
				t.Fatal(err)
			}
			if got, err := f.s.RotateRefreshToken(ctx, fam+"-h1", rt(fam, fam+"-r2"), fam+"-h2",
				"sealed "+fam+"-r2", at(fam, fam+"-a2"), grace); err != nil || got != "" {
				t.Fatalf("first use: %q, %v", got, err)
			}
			return fam
		}
		again := func(fam, old, access string) (string, error) {
			return f.s.RotateRefreshToken(ctx, fam+"-"+old, rt(fam, fam+"-x-"+access),
				fam+"-x-"+access, "other", at(fam, fam+"-"+access), grace)
		}
		alive := func(fam string, want bool, hashes ...string) {
			t.Helper()
			for _, h := range hashes {
				got, err := f.s.RefreshToken(ctx, fam+"-"+h)
				if err != nil {
					t.Fatal(err)
				}
				if (got.RevokedAt == nil) != want {
					t.Errorf("%s-%s revoked at %v, want alive %v", fam, h, got.RevokedAt, want)
				}
			}
		}
		revoked := func(fam string, want bool, ids ...string) {
			t.Helper()
			for _, id := range ids {
				if got, _ := f.s.AccessTokenRevoked(ctx, fam+"-"+id); got != want {
					t.Errorf("access token %s-%s revoked %v, want %v", fam, id, got, want)
				}
			}
		}

		// Inside the window: the same successor, a new access token, no
		// new refresh token; the family lives, and the successor rotates.
		fam := start()
		f.now = f.now.Add(grace)
		got, err := again(fam, "h1", "a3")
		if err != nil || got != "sealed "+fam+"-r2" {
			t.Fatalf("retry inside the window: %q, %v", got, err)
		}
		alive(fam, true, "h1", "h2")
		revoked(fam, false, "a1", "a2", "a3")
		if _, err := f.s.RefreshToken(ctx, fam+"-x-a3"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("the retry recorded a new refresh token: %v", err)
		}
		if got, err := again(fam, "h2", "a4"); err != nil || got != "" {
			t.Fatalf("the successor after a retry: %q, %v", got, err)
		}

		// Outside the window: a reuse.
		fam = start()
		f.now = f.now.Add(grace + time.Second)
		if _, err := again(fam, "h1", "a3"); !errors.Is(err, identity.ErrTokenReused) {
			t.Fatalf("retry outside the window: %v, want ErrTokenReused", err)
		}
		alive(fam, false, "h1", "h2")
		revoked(fam, true, "a1", "a2")

		// Inside the window, but the successor was used: the older token
		// is a reuse.
		fam = start()
		if _, err := again(fam, "h2", "a3"); err != nil {
			t.Fatal(err)
		}
		if _, err := again(fam, "h1", "a4"); !errors.Is(err, identity.ErrTokenReused) {
			t.Fatalf("token whose successor was used: %v, want ErrTokenReused", err)
		}
		alive(fam, false, "h1", "h2", "x-a3")
		revoked(fam, true, "a1", "a2", "a3")

		// A revoked family stays revoked, inside the window too.
		fam = start()
		if err := f.s.RevokeRefreshFamily(ctx, fam+"-h2", "app"); err != nil {
			t.Fatal(err)
		}
		if _, err := again(fam, "h1", "a3"); !errors.Is(err, identity.ErrTokenReused) {
			t.Fatalf("retry in a revoked family: %v, want ErrTokenReused", err)
		}
		revoked(fam, false, "a3") // never recorded

		// Without a grace period (UseRefreshToken), an immediate retry is a reuse.
		fam = start()
		if err := f.s.UseRefreshToken(ctx, fam+"-h1", rt(fam, fam+"-r9"), fam+"-h9", at(fam, fam+"-a9")); !errors.Is(err, identity.ErrTokenReused) {
			t.Fatalf("retry without grace: %v, want ErrTokenReused", err)
		}
		alive(fam, false, "h2")
	})
}

// Presentations of one token at once: one spends it, the others are
// retries that get its successor; the family stays one chain.
func TestRefreshConcurrentPresentations(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		rt := identity.RefreshToken{ID: "r1", FamilyID: "fam", ClientID: "app", AccountID: f.account.ID,
			Scopes: []string{"openid"}, AuthTime: f.now, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}
		at := func(id string) identity.AccessToken {
			return identity.AccessToken{ID: id, FamilyID: "fam", ClientID: "app", AccountID: f.account.ID, ExpiresAt: f.now.Add(time.Minute)}
		}
		if err := f.s.CreateTokens(ctx, at("a0"), &rt, "h1"); err != nil {
			t.Fatal(err)
		}
		const n = 6
		got := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				next := rt
				next.ID = fmt.Sprintf("r2-%d", i)
				got[i], errs[i] = f.s.RotateRefreshToken(ctx, "h1", next, fmt.Sprintf("h2-%d", i), fmt.Sprintf("sealed-%d", i),
					at(fmt.Sprintf("a-%d", i)), 10*time.Second)
			}()
		}
		wg.Wait()
		spent, sealed := 0, map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("presentation %d: %v", i, errs[i])
			}
			if got[i] == "" {
				spent++
			} else {
				sealed[got[i]] = true
			}
		}
		if spent != 1 || len(sealed) > 1 {
			t.Fatalf("%d presentations spent the token, retries got %v; want one spend and one successor", spent, sealed)
		}
		if old, _ := f.s.RefreshToken(ctx, "h1"); old.RevokedAt != nil {
			t.Fatal("the family was revoked")
		}
	})
}
