package directory_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity/directory"
	"campus/internal/identity/directory/ldaptest"
	"campus/internal/identity/store"
)

// testTTL is short so that leases lapse within a test; the heartbeat
// renews every testTTL/3.
const testTTL = 300 * time.Millisecond

// A live holder keeps its lease past several TTLs thanks to the
// heartbeat, and gives it up when the job ends.
func TestLeaseHeartbeatKeepsIt(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := store.New(d, time.Now, datakeys.Test())
		// Longer than testTTL: a beat (every ttl/3) delayed by a loaded CI
		// machine under the race detector must not let the lease lapse.
		ttl := 5 * testTTL
		a := directory.Lease{Store: st, Name: "job", Holder: "a", TTL: ttl}
		ran, err := a.Hold(ctx, func(ctx context.Context) error {
			for end := time.Now().Add(3 * ttl); time.Now().Before(end); time.Sleep(ttl / 5) {
				if ok, err := st.AcquireLease(ctx, "job", "b", ttl); ok || err != nil {
					t.Errorf("b acquires the lease a holds and renews: %v, %v", ok, err)
				}
			}
			return ctx.Err()
		})
		if !ran || err != nil {
			t.Fatalf("a's Hold = %v, %v", ran, err)
		}
		if ok, err := st.AcquireLease(ctx, "job", "b", testTTL); !ok || err != nil {
			t.Fatalf("b acquires the lease a gave up: %v, %v", ok, err)
		}
	})
}

// A holder that dies (takes the lease, never renews it) keeps others out
// for one TTL, no longer.
func TestLeaseOfDeadHolderLapses(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := store.New(d, time.Now, datakeys.Test())
		died := time.Now()
		if ok, err := st.AcquireLease(ctx, "job", "a", testTTL); !ok || err != nil {
			t.Fatalf("a acquires: %v, %v", ok, err)
		}
		b := directory.Lease{Store: st, Name: "job", Holder: "b", TTL: testTTL}
		for {
			ran, err := b.Hold(ctx, func(context.Context) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			if ran {
				break
			}
			if time.Since(died) > 20*testTTL {
				t.Fatal("b never took over the lease of a dead holder")
			}
			time.Sleep(testTTL / 10)
		}
		if took := time.Since(died); took < testTTL {
			t.Fatalf("b took over after %v, before the lease's TTL %v", took, testTTL)
		}
	})
}

// A job whose lease is taken away is cancelled at the next renewal.
func TestLeaseLostCancelsJob(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := store.New(d, time.Now, datakeys.Test())
		a := directory.Lease{Store: st, Name: "job", Holder: "a", TTL: testTTL}
		ran, err := a.Hold(ctx, func(ctx context.Context) error {
			// As if a stalled past its TTL and b took over meanwhile.
			if err := st.ReleaseLease(ctx, "job", "a"); err != nil {
				return err
			}
			if ok, err := st.AcquireLease(ctx, "job", "b", time.Minute); !ok || err != nil {
				t.Errorf("b acquires: %v, %v", ok, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * testTTL):
				t.Error("a's job went on after it lost its lease")
				return nil
			}
		})
		if !ran || !errors.Is(err, directory.ErrLeaseLost) {
			t.Fatalf("a's Hold = %v, %v; want ErrLeaseLost", ran, err)
		}
		if who, _, _ := st.LeaseHolder(ctx, "job"); who != "b" {
			t.Fatalf("holder after a lost the lease = %q, want b (a must not release b's lease)", who)
		}
	})
}

// failingRenewals is a lease store whose renewals fail, as when the
// database cannot be reached.
type failingRenewals struct{ directory.LeaseStore }

func (failingRenewals) RenewLease(context.Context, string, string, time.Duration) (bool, error) {
	return false, errors.New("connection refused")
}

// A job whose renewals keep failing is cancelled before its lease lapses.
func TestLeaseRenewalErrorsCancelJob(t *testing.T) {
	t.Parallel()
	st := store.New(dbtest.SQLite(t, store.Migrations), time.Now, datakeys.Test())
	a := directory.Lease{Store: failingRenewals{st}, Name: "job", Holder: "a", TTL: testTTL}
	ran, err := a.Hold(context.Background(), func(ctx context.Context) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * testTTL):
			t.Error("the job went on while its lease could not be renewed")
			return nil
		}
	})
	if !ran || !errors.Is(err, directory.ErrLeaseLost) {
		t.Fatalf("Hold = %v, %v; want ErrLeaseLost", ran, err)
	}
}

// Two replicas over one database: the status of a sync that ran on one
// is what the other reports, and a replica killed mid-sync blocks syncs
// for one lease TTL only.
func TestSyncStatusAndLeaseAcrossReplicas(t *testing.T) {
	t.Parallel()
	srv := ldaptest.Start(t)
	srv.AddUsers(t, people("u", 5), true)
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		st := store.New(d, time.Now, datakeys.Test())
		replica := func() *directory.Syncer {
			c, err := directory.New(srv.Config())
			if err != nil {
				t.Fatal(err)
			}
			s := directory.NewSyncer(c, st, store.DirectoryOptions{DisableMissing: true, Role: "student"}, 0,
				slog.New(slog.DiscardHandler), time.Now)
			s.LeaseTTL = testTTL
			return s
		}
		a, b := replica(), replica()
		if status, err := b.Status(ctx); err != nil || status.LastEnd != nil || status.Running {
			t.Fatalf("status before any sync: %+v, %v", status, err)
		}
		rep, err := a.Sync(ctx)
		wantReport(t, rep, err, 5, true)
		status, err := b.Status(ctx)
		if err != nil || status.Running || status.LastStart == nil || status.LastEnd == nil || status.LastError != "" ||
			status.LastReport == nil || status.LastReport.Created != 5 || status.URL != srv.Config().URL {
			t.Fatalf("b's status after a synced: %+v, %v", status, err)
		}

		// A replica dies mid-sync: its lease and its "running" stay behind.
		if ok, err := st.AcquireLease(ctx, "directory_sync_running", "dead", testTTL); !ok || err != nil {
			t.Fatalf("the dead replica's lease: %v, %v", ok, err)
		}
		if err := st.StartJob(ctx, "directory_sync", "dead"); err != nil {
			t.Fatal(err)
		}
		died := time.Now()
		if status, err := b.Status(ctx); err != nil || !status.Running {
			t.Fatalf("status while the dead replica's lease lasts: %+v, %v", status, err)
		}
		if _, err := b.Sync(ctx); !errors.Is(err, directory.ErrSyncRunning) && time.Since(died) < testTTL {
			t.Fatalf("sync while the dead replica's lease lasts: %v", err)
		}
		for {
			rep, err := b.Sync(ctx)
			if err == nil {
				wantReport(t, rep, err, 5, false)
				break
			}
			if !errors.Is(err, directory.ErrSyncRunning) || time.Since(died) > 20*testTTL {
				t.Fatalf("sync after the dead replica's lease lapsed: %v", err)
			}
			time.Sleep(testTTL / 10)
		}
		if status, err := a.Status(ctx); err != nil || status.Running || !status.LastEnd.After(died) {
			t.Fatalf("a's status after b synced: %+v, %v", status, err)
		}
	})
}
