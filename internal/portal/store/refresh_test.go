package store_test

import (
	"context"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/portal/store"
)

// One request at a time holds a session's refresh lease, on every engine:
// the others are refused until it finishes, releases, or the lease runs out.
func TestRefreshLease(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		s := store.New(d, func() time.Time { return now })
		if err := s.Create(ctx, store.Session{IDHash: "a", Subject: "ada", Data: []byte("old"), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		claim := func(want bool) {
			t.Helper()
			if got, err := s.ClaimRefresh(ctx, "a", 10*time.Second); err != nil || got != want {
				t.Fatalf("ClaimRefresh = %v, %v; want %v", got, err, want)
			}
		}
		claim(true)
		claim(false)
		if err := s.FinishRefresh(ctx, "a", []byte("new")); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Get(ctx, "a"); string(got.Data) != "new" {
			t.Fatalf("data after FinishRefresh: %q", got.Data)
		}
		claim(true)
		if err := s.ReleaseRefresh(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		claim(true)
		now = now.Add(11 * time.Second) // the holder died; its lease ran out
		claim(true)
		claim(false)
		if got, err := s.ClaimRefresh(ctx, "gone", time.Second); err != nil || got {
			t.Fatalf("ClaimRefresh of no session = %v, %v", got, err)
		}
	})
}
