package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/portal/store"
)

func TestSessions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		s := store.New(d, func() time.Time { return now })
		for _, sess := range []store.Session{
			{IDHash: "a", Subject: "ada", IdPSID: "sid-1", Data: []byte("sealed"), CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			{IDHash: "b", Subject: "ada", IdPSID: "sid-1", Data: []byte("x"), CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			{IDHash: "c", Subject: "bob", IdPSID: "sid-2", Data: []byte("y"), CreatedAt: now, ExpiresAt: now.Add(time.Minute)},
		} {
			if err := s.Create(ctx, sess); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Get(ctx, "a")
		if err != nil || got.Subject != "ada" || string(got.Data) != "sealed" {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		if err := s.SetData(ctx, "a", []byte("refreshed")); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Get(ctx, "a"); string(got.Data) != "refreshed" {
			t.Fatalf("data after SetData: %q", got.Data)
		}
		// Back-channel logout ends every portal session of that identity session.
		if n, err := s.DeleteByIdPSession(ctx, "sid-1"); err != nil || n != 2 {
			t.Fatalf("DeleteByIdPSession = %d, %v", n, err)
		}
		if _, err := s.Get(ctx, "b"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session of the ended identity session: %v", err)
		}
		now = now.Add(2 * time.Minute)
		if _, err := s.Get(ctx, "c"); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("an expired session is still served")
		}
		if n, _ := s.DeleteExpired(ctx); n != 1 {
			t.Fatalf("DeleteExpired removed %d", n)
		}
	})
}
