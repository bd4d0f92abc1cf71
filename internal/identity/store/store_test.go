package store_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
)

func fixedClock() time.Time { return time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC) }

func plainHash(pw string) (string, error) { return "hash:" + pw, nil }

func TestFirstAdmin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixedClock, datakeys.Test())

		first, err := identity.EnsureFirstAdmin(ctx, s, "Admin@Example.org", "", plainHash, func() string { return "generated-password" })
		if err != nil || first == nil {
			t.Fatalf("EnsureFirstAdmin = %v, %v", first, err)
		}
		if first.Password != "generated-password" {
			t.Errorf("generated password not returned: %q", first.Password)
		}

		a, hash, err := s.AccountByLogin(ctx, "admin@example.ORG")
		if err != nil {
			t.Fatal(err)
		}
		if hash != "hash:generated-password" || a.Username != "admin" || a.Status != identity.StatusActive || !a.EmailVerified {
			t.Errorf("stored admin = %+v, hash %q", a, hash)
		}
		if len(a.Roles) != 1 || a.Roles[0] != identity.RoleAdmin {
			t.Errorf("admin roles = %v", a.Roles)
		}
		if !a.CreatedAt.Equal(fixedClock()) {
			t.Errorf("created_at = %v", a.CreatedAt)
		}
		if b, _, err := s.AccountByLogin(ctx, "ADMIN"); err != nil || b.ID != a.ID {
			t.Errorf("look-up by username: %v, %v", b.ID, err)
		}

		again, err := identity.EnsureFirstAdmin(ctx, s, "other@example.org", "another password", plainHash, nil)
		if err != nil || again != nil {
			t.Fatalf("second EnsureFirstAdmin = %v, %v; want nothing done", again, err)
		}
		if _, hash, _ := s.AccountByLogin(ctx, "admin"); hash != "hash:generated-password" {
			t.Fatal("second start reset the administrator's password")
		}
	})
}

func TestFirstAdminOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixedClock, datakeys.Test())
		var wg sync.WaitGroup
		var mu sync.Mutex
		created := 0
		for range 4 {
			wg.Go(func() {
				_, ok, err := s.CreateFirstAdmin(ctx, identity.Account{Username: "admin", Email: "a@example.org"}, "h")
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if ok {
					created++
				}
			})
		}
		wg.Wait()
		if created != 1 {
			t.Fatalf("%d administrators created, want 1", created)
		}
	})
}

func TestAdminPasswordPolicy(t *testing.T) {
	t.Parallel()
	s := store.New(dbtest.SQLite(t, store.Migrations), fixedClock, datakeys.Test())
	_, err := identity.EnsureFirstAdmin(context.Background(), s, "a@example.org", "short", plainHash, nil)
	if err == nil {
		t.Fatal("a 5-character administrator password was accepted")
	}
	if done, _ := s.FirstAdminCreated(context.Background()); done {
		t.Fatal("refused password still created the administrator")
	}
}

func TestAccountByLoginUnknown(t *testing.T) {
	t.Parallel()
	s := store.New(dbtest.SQLite(t, store.Migrations), fixedClock, datakeys.Test())
	if _, _, err := s.AccountByLogin(context.Background(), "nobody"); !errors.Is(err, identity.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}
