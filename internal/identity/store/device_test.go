package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
)

func TestDeviceAuthorization(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		create := func(device, user string) {
			t.Helper()
			err := f.s.CreateDeviceAuthorization(ctx, identity.DeviceAuthorization{ClientID: "app", Scopes: []string{"openid", "studies:write"},
				Interval: 5 * time.Second, CreatedAt: f.now, ExpiresAt: f.now.Add(10 * time.Minute)}, device, user)
			if err != nil {
				t.Fatal(err)
			}
		}
		create("dev1", "user1")
		if err := f.s.CreateDeviceAuthorization(ctx, identity.DeviceAuthorization{ClientID: "app", Interval: time.Second,
			CreatedAt: f.now, ExpiresAt: f.now.Add(time.Minute)}, "dev2", "user1"); !errors.Is(err, identity.ErrConflict) {
			t.Fatalf("a taken user code: %v, want ErrConflict", err)
		}

		// Pending: the first poll is authorization_pending, the next one
		// sooner than the interval slow_down (and 5 s more), then fine again.
		p, err := f.s.PollDeviceAuthorization(ctx, "dev1", "app")
		if err != nil || p.SlowDown || p.Issue || p.Expired || p.State != identity.DevicePending {
			t.Fatalf("first poll = %+v, %v", p, err)
		}
		f.now = f.now.Add(2 * time.Second)
		if p, _ = f.s.PollDeviceAuthorization(ctx, "dev1", "app"); !p.SlowDown || p.Interval != 10*time.Second {
			t.Fatalf("poll after 2 s of a 5 s interval = %+v, want slow_down and 10 s", p)
		}
		f.now = f.now.Add(9500 * time.Millisecond) // within the tolerance of a second
		if p, _ = f.s.PollDeviceAuthorization(ctx, "dev1", "app"); p.SlowDown || p.State != identity.DevicePending {
			t.Fatalf("poll after 9.5 s of a 10 s interval = %+v, want pending", p)
		}
		if _, err := f.s.PollDeviceAuthorization(ctx, "dev1", "other"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("another client's device code: %v", err)
		}
		if _, err := f.s.PollDeviceAuthorization(ctx, "nope", "app"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("an unknown device code: %v", err)
		}

		// The person approves; the next poll spends the code, once.
		pending, err := f.s.PendingDeviceAuthorization(ctx, "user1")
		if err != nil || pending.ClientID != "app" || !slices.Equal(pending.Scopes, []string{"openid", "studies:write"}) {
			t.Fatalf("pending = %+v, %v", pending, err)
		}
		if err := f.s.ApproveDeviceAuthorization(ctx, "user1", f.account.ID, "sess", f.now, []string{"pwd"}, []string{"openid"}, true); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DenyDeviceAuthorization(ctx, "user1"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("answering twice: %v", err)
		}
		if _, err := f.s.PendingDeviceAuthorization(ctx, "user1"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("an approved request is still pending: %v", err)
		}
		f.now = f.now.Add(10 * time.Second)
		p, err = f.s.PollDeviceAuthorization(ctx, "dev1", "app")
		if err != nil || !p.Issue || p.AccountID != f.account.ID || p.SessionID != "sess" || !p.StepUp ||
			!slices.Equal(p.GrantedScopes, []string{"openid"}) || !p.AuthTime.Equal(f.now.Add(-10*time.Second)) {
			t.Fatalf("poll after approval = %+v, %v", p, err)
		}
		f.now = f.now.Add(10 * time.Second)
		if p, _ = f.s.PollDeviceAuthorization(ctx, "dev1", "app"); p.Issue || !p.Expired {
			t.Fatalf("second poll after the tokens = %+v, want a spent code", p)
		}

		// Denied; and expired.
		create("dev3", "user3")
		if err := f.s.DenyDeviceAuthorization(ctx, "user3"); err != nil {
			t.Fatal(err)
		}
		if p, _ = f.s.PollDeviceAuthorization(ctx, "dev3", "app"); p.State != identity.DeviceDenied || p.Issue {
			t.Fatalf("denied = %+v", p)
		}
		create("dev4", "user4")
		f.now = f.now.Add(10 * time.Minute)
		if _, err := f.s.PendingDeviceAuthorization(ctx, "user4"); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("an expired user code: %v", err)
		}
		if err := f.s.ApproveDeviceAuthorization(ctx, "user4", f.account.ID, "s", f.now, nil, nil, false); !errors.Is(err, identity.ErrNotFound) {
			t.Fatalf("approving an expired request: %v", err)
		}
		if p, _ = f.s.PollDeviceAuthorization(ctx, "dev4", "app"); !p.Expired {
			t.Fatalf("expired = %+v", p)
		}
		purged, err := f.s.Purge(ctx)
		if err != nil || purged["device_authorizations"] != 3 {
			t.Fatalf("purge = %v, %v; want the three expired requests", purged, err)
		}
	})
}

// TestDeviceCodeSpentOnce: replicas polling the same approved code at the
// same moment issue tokens once.
func TestDeviceCodeSpentOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		f := newFixture(t, d)
		if err := f.s.CreateDeviceAuthorization(ctx, identity.DeviceAuthorization{ClientID: "app", Interval: 0,
			CreatedAt: f.now, ExpiresAt: f.now.Add(time.Minute)}, "dev", "user"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.ApproveDeviceAuthorization(ctx, "user", f.account.ID, "s", f.now, nil, nil, false); err != nil {
			t.Fatal(err)
		}
		issued := make(chan bool, 8)
		for range 8 {
			go func() {
				p, err := f.s.PollDeviceAuthorization(ctx, "dev", "app")
				if err != nil && !db.Unavailable(err) {
					t.Error(err)
				}
				issued <- p.Issue
			}()
		}
		n := 0
		for range 8 {
			if <-issued {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d polls issued tokens, want 1", n)
		}
	})
}
