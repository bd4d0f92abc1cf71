package store_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity/store"
)

// A holder that dies stops renewing, and its lease lapses one TTL after
// its last renewal; one that lives keeps it past many TTLs.
func TestLeaseLapsesWithoutRenewal(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := fixedClock()
		s := store.New(d, func() time.Time { return now }, datakeys.Test())
		const ttl = 30 * time.Second

		if ok, err := s.AcquireLease(ctx, "job", "a", ttl); !ok || err != nil {
			t.Fatalf("a acquires: %v, %v", ok, err)
		}
		for range 5 { // a lives: renews every ttl/3 for five TTLs
			for range 3 {
				now = now.Add(ttl / 3)
				if ok, err := s.RenewLease(ctx, "job", "a", ttl); !ok || err != nil {
					t.Fatalf("a renews at %v: %v, %v", now, ok, err)
				}
				if ok, _ := s.AcquireLease(ctx, "job", "b", ttl); ok {
					t.Fatalf("b took a lease that a renews, at %v", now)
				}
			}
		}
		// a dies: no more renewals.
		now = now.Add(ttl - time.Second)
		if ok, _ := s.AcquireLease(ctx, "job", "b", ttl); ok {
			t.Fatal("b took a's lease before it lapsed")
		}
		now = now.Add(time.Second)
		if ok, err := s.AcquireLease(ctx, "job", "b", ttl); !ok || err != nil {
			t.Fatalf("b acquires a lapsed lease: %v, %v", ok, err)
		}
		if ok, err := s.RenewLease(ctx, "job", "a", ttl); ok || err != nil {
			t.Fatalf("a renews a lease b holds: %v, %v; want false", ok, err)
		}
		if who, _, _ := s.LeaseHolder(ctx, "job"); who != "b" {
			t.Fatalf("holder = %q, want b", who)
		}
		if ok, err := s.RenewLease(ctx, "nothing", "a", ttl); ok || err != nil {
			t.Fatalf("renew a lease nobody took: %v, %v; want false", ok, err)
		}
	})
}

func TestJobStatus(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := fixedClock()
		s := store.New(d, func() time.Time { return now }, datakeys.Test())

		if js, err := s.JobStatusOf(ctx, "sync"); err != nil || js.LastStart != nil || js.Holder != "" {
			t.Fatalf("never ran: %+v, %v", js, err)
		}
		start := now
		if err := s.StartJob(ctx, "sync", "a"); err != nil {
			t.Fatal(err)
		}
		js, err := s.JobStatusOf(ctx, "sync")
		if err != nil || js.Holder != "a" || js.RunningSince == nil || !js.LastStart.Equal(start) || js.LastEnd != nil {
			t.Fatalf("running: %+v, %v", js, err)
		}
		now = now.Add(time.Minute)
		if err := s.EndJob(ctx, "sync", "a", "", []byte(`{"members":3}`)); err != nil {
			t.Fatal(err)
		}
		js, err = s.JobStatusOf(ctx, "sync")
		if err != nil || js.Holder != "" || js.RunningSince != nil || !js.LastEnd.Equal(now) || string(js.LastReport) != `{"members":3}` || js.LastError != "" {
			t.Fatalf("ended: %+v, %v", js, err)
		}

		// A failed run keeps the last report and records the error.
		now = now.Add(time.Minute)
		if err := s.StartJob(ctx, "sync", "b"); err != nil {
			t.Fatal(err)
		}
		if err := s.EndJob(ctx, "sync", "b", "directory down", nil); err != nil {
			t.Fatal(err)
		}
		js, _ = s.JobStatusOf(ctx, "sync")
		if js.LastError != "directory down" || string(js.LastReport) != `{"members":3}` || js.Holder != "" {
			t.Fatalf("failed run: %+v", js)
		}

		// A holder that lost its lease ends after another started: the
		// other's run stays recorded as going on.
		if err := s.StartJob(ctx, "sync", "a"); err != nil {
			t.Fatal(err)
		}
		if err := s.StartJob(ctx, "sync", "b"); err != nil {
			t.Fatal(err)
		}
		if err := s.EndJob(ctx, "sync", "a", "lost the lease", nil); err != nil {
			t.Fatal(err)
		}
		if js, _ = s.JobStatusOf(ctx, "sync"); js.Holder != "b" || js.RunningSince == nil {
			t.Fatalf("b's run after a's ended: %+v", js)
		}
	})
}
