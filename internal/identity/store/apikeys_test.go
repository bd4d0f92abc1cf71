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
	"campus/internal/identity/store"
)

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := fixedClock()
		s := store.New(d, func() time.Time { return now }, datakeys.Test())
		acc, err := s.CreateAccount(ctx, identity.Account{Username: "kim", Email: "kim@uni.example", DisplayName: "Kim", Roles: []string{"student"}}, "hash")
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.CreateAccount(ctx, identity.Account{Username: "lou", Email: "lou@uni.example", DisplayName: "Lou", Roles: []string{"student"}}, "hash")
		if err != nil {
			t.Fatal(err)
		}

		exp := now.Add(24 * time.Hour)
		k, secret, err := s.CreateAPIKey(ctx, acc.ID, "timetable sync", &exp)
		if err != nil {
			t.Fatal(err)
		}
		if !store.IsAPIKey(secret) || !strings.HasPrefix(secret, k.Prefix) || len(secret) < 45 {
			t.Fatalf("key %q, prefix %q", secret, k.Prefix)
		}
		_, second, _ := s.CreateAPIKey(ctx, acc.ID, "no expiry", nil)
		if second == secret {
			t.Fatal("two keys alike")
		}

		// Listed without secrets, newest first; only the owner's.
		list, err := s.APIKeys(ctx, acc.ID)
		if err != nil || len(list) != 2 || list[1].Name != "timetable sync" || !list[1].ExpiresAt.Equal(exp) {
			t.Fatalf("list = %+v, %v", list, err)
		}
		if l, _ := s.APIKeys(ctx, other.ID); len(l) != 0 {
			t.Fatalf("another account's list: %+v", l)
		}

		// Use records the time (at most once a minute).
		used, err := s.UseAPIKey(ctx, secret)
		if err != nil || used.AccountID != acc.ID || used.LastUsedAt == nil || !used.LastUsedAt.Equal(now) {
			t.Fatalf("use = %+v, %v", used, err)
		}
		if _, err := s.UseAPIKey(ctx, secret+"x"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("an unknown key: %v", err)
		}

		// Expired keys and keys of disabled accounts do not work.
		now = exp
		if _, err := s.UseAPIKey(ctx, secret); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("expired key: %v", err)
		}
		now = fixedClock()
		if _, err := s.UpdateAccount(ctx, acc.ID, 0, func(r *store.AccountRecord) error { r.Status = identity.StatusDisabled; return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UseAPIKey(ctx, second); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("a disabled account's key: %v", err)
		}
		if _, err := s.UpdateAccount(ctx, acc.ID, 0, func(r *store.AccountRecord) error { r.Status = identity.StatusActive; return nil }); err != nil {
			t.Fatal(err)
		}

		// Revoking: only one's own; a revoked key stops working and leaves the list.
		if err := s.RevokeAPIKey(ctx, other.ID, k.ID); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("revoke another's key: %v", err)
		}
		if err := s.RevokeAPIKey(ctx, acc.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeAPIKey(ctx, acc.ID, k.ID); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("revoke twice: %v", err)
		}
		if _, err := s.UseAPIKey(ctx, secret); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("revoked key: %v", err)
		}
		if l, _ := s.APIKeys(ctx, acc.ID); len(l) != 1 || l[0].Name != "no expiry" {
			t.Fatalf("after revoking: %+v", l)
		}
	})
}
