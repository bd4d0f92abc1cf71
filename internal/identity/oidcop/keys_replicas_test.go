package oidcop_test

import (
	"bytes"
	"campus/internal/identity/datakeys"
	"context"
	"sync"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/store"
)

// Replicas on PostgreSQL start together: each Ensure finds no keys and
// adds a set, yet one current and one next key per algorithm result, and
// every replica signs with the same key.
func TestEnsureOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := dbtest.PostgresURL(t)
	var stores []*store.Store
	for i := range 2 {
		d, err := db.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		if i == 0 {
			if _, err := d.Migrate(ctx, store.Migrations); err != nil {
				t.Fatal(err)
			}
		}
		stores = append(stores, store.New(d, time.Now, datakeys.Test()))
	}
	secret := bytes.Repeat([]byte{7}, 32)
	const replicas = 6
	keys := make([]*oidcop.Keys, replicas)
	for i := range keys {
		k, err := oidcop.NewKeys(stores[i%2], secret, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, k := range keys {
		wg.Go(func() {
			<-start
			if err := k.Ensure(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	stored, err := stores[0].SigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, k := range stored {
		count[k.Alg+"/"+k.State]++
	}
	if want := 2 * len(oidcop.Algorithms); len(stored) != want || len(count) != want {
		t.Fatalf("%d keys after %d replicas started together: %v, want one current and one next per algorithm", len(stored), replicas, count)
	}
	var kid string
	for i, k := range keys {
		s, err := k.Signer(ctx, oidcop.AccessTokenAlg)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			kid = s.ID()
		} else if s.ID() != kid {
			t.Errorf("replica %d signs with %s, replica 0 with %s", i, s.ID(), kid)
		}
	}
}
