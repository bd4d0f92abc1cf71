package store_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity/store"
)

// eachReplicaPair runs fn on both engines with two stores over two separate
// pools on one database, as two replicas run.
func eachReplicaPair(t *testing.T, fn func(t *testing.T, a, b *store.Store)) {
	t.Helper()
	open := func(t *testing.T, dsn string) *db.DB {
		d, err := db.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	pair := func(t *testing.T, dsn string) {
		first := open(t, dsn)
		if _, err := first.Migrate(context.Background(), store.Migrations); err != nil {
			t.Fatal(err)
		}
		fn(t, store.New(first, fixedClock, datakeys.Test()), store.New(open(t, dsn), fixedClock, datakeys.Test()))
	}
	t.Run("sqlite", func(t *testing.T) {
		pair(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		pair(t, dbtest.PostgresURL(t))
	})
}

func TestTakeTokenSharedAcrossReplicas(t *testing.T) {
	t.Parallel()
	eachReplicaPair(t, func(t *testing.T, a, b *store.Store) {
		ctx := context.Background()
		now := fixedClock()
		const interval, burst = 6 * time.Minute, 10 // ten an hour
		replicas := []*store.Store{a, b}
		for i := range burst {
			ok, full, err := replicas[i%2].TakeToken(ctx, "register", "192.0.2.1", now, interval, burst*interval)
			if err != nil || !ok {
				t.Fatalf("take %d: ok %v, err %v", i+1, ok, err)
			}
			if want := now.Add(time.Duration(i+1) * interval); !full.Equal(want) {
				t.Fatalf("take %d: full at %v, want %v", i+1, full, want)
			}
		}
		for i := range 2 {
			ok, full, err := replicas[i%2].TakeToken(ctx, "register", "192.0.2.1", now, interval, burst*interval)
			if err != nil || ok {
				t.Fatalf("take %d beyond the limit: ok %v, err %v", burst+i+1, ok, err)
			}
			if want := now.Add(burst * interval); !full.Equal(want) {
				t.Fatalf("refused take moved the bucket: full at %v, want %v", full, want)
			}
		}
		if ok, _, _ := a.TakeToken(ctx, "register", "192.0.2.2", now, interval, burst*interval); !ok {
			t.Error("another address was refused")
		}
		if ok, _, _ := a.TakeToken(ctx, "sign-in", "192.0.2.1", now, interval, burst*interval); !ok {
			t.Error("another limit on the same address was refused")
		}
		if ok, _, _ := b.TakeToken(ctx, "register", "192.0.2.1", now.Add(interval-time.Nanosecond), interval, burst*interval); ok {
			t.Error("a token came before its interval")
		}
		if ok, _, _ := b.TakeToken(ctx, "register", "192.0.2.1", now.Add(interval), interval, burst*interval); !ok {
			t.Error("no token after an interval")
		}
		// Forgetting the buckets that are full changes nothing else.
		n, err := a.ForgetFullBuckets(ctx, now.Add(2*interval))
		if err != nil || n != 2 {
			t.Fatalf("forgot %d buckets (%v), want the two taken once", n, err)
		}
		if ok, _, _ := a.TakeToken(ctx, "register", "192.0.2.1", now.Add(interval), interval, burst*interval); ok {
			t.Error("forgetting full buckets emptied a busy one")
		}
	})
}

func TestTakeTokenConcurrentReplicas(t *testing.T) {
	t.Parallel()
	eachReplicaPair(t, func(t *testing.T, a, b *store.Store) {
		ctx := context.Background()
		now := fixedClock()
		const burst = 10
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for g := range 8 {
			s := []*store.Store{a, b}[g%2]
			wg.Go(func() {
				for range 4 {
					ok, _, err := s.TakeToken(ctx, "sign-in", "198.51.100.7", now, time.Minute, burst*time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						allowed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if got := allowed.Load(); got != burst {
			t.Errorf("%d of 32 concurrent takes allowed, want exactly %d", got, burst)
		}
	})
}

func TestTakeTokenRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	s := store.New(dbtest.SQLite(t, store.Migrations), fixedClock, datakeys.Test())
	for _, c := range []struct{ interval, window time.Duration }{{0, time.Minute}, {time.Minute, time.Second}} {
		if _, _, err := s.TakeToken(context.Background(), "x", "y", fixedClock(), c.interval, c.window); err == nil {
			t.Errorf("interval %v, window %v: no error", c.interval, c.window)
		}
	}
}

// BenchmarkTakeToken is the cost a sign-in attempt pays for the shared
// per-address count: one upsert in a transaction (the refusals that the
// process already knows of cost no query; see policy.SharedLimiter).
func BenchmarkTakeToken(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var d *db.DB
			if engine == "sqlite" {
				d = dbtest.SQLite(b, store.Migrations)
			} else {
				d = dbtest.Postgres(b, store.Migrations)
			}
			s := store.New(d, fixedClock, datakeys.Test())
			ctx := context.Background()
			now := fixedClock()
			for i := 0; b.Loop(); i++ {
				// a thousand addresses, each well within its limit
				if _, _, err := s.TakeToken(ctx, "sign-in/address", "10.0.0."+itoa(i%1000), now, time.Nanosecond, time.Hour); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
