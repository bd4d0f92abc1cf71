package store_test

import (
	"campus/internal/identity/datakeys"
	"context"
	"fmt"
	"io/fs"
	"sync"
	"testing"
	"testing/fstest"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/identity"
	"campus/internal/identity/store"
)

// Replicas starting together each find no keys and add a set: one set
// results, whoever wins.
func TestAddSigningKeysOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	eachReplicaPair(t, func(t *testing.T, a, b *store.Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		added := 0
		for g := range 8 {
			s := []*store.Store{a, b}[g%2]
			wg.Go(func() {
				var keys []identity.SigningKey
				for _, alg := range []string{"RS256", "ES256"} {
					for _, state := range []string{"current", "next"} {
						keys = append(keys, identity.SigningKey{ID: fmt.Sprintf("%s-%s-%d", alg, state, g), Alg: alg, State: state,
							PrivateKey: []byte{1}, PublicJWK: "{}", CreatedAt: fixedClock()})
					}
				}
				ok, err := s.AddSigningKeys(ctx, keys)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				defer mu.Unlock()
				if ok {
					added++
				}
			})
		}
		wg.Wait()
		if added < 1 {
			t.Fatal("no replica added keys")
		}
		ks, err := a.SigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, k := range ks {
			count[k.Alg+"/"+k.State]++
		}
		if len(ks) != 4 || len(count) != 4 {
			t.Fatalf("%d keys after 8 replicas started: %v, want one current and one next per algorithm", len(ks), count)
		}
	})
}

// A database where replicas already stored two key sets keeps one current
// and one next key per algorithm after migration 0010; the others stay
// published as previous keys.
func TestMigrationKeepsOneLiveKeySet(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, nil, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		before := fstest.MapFS{}
		entries, err := fs.ReadDir(store.Migrations, ".")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name() < "0010" {
				b, _ := fs.ReadFile(store.Migrations, e.Name())
				before[e.Name()] = &fstest.MapFile{Data: b}
			}
		}
		if _, err := d.Migrate(ctx, before); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"a-current", "a-next", "b-current", "b-next"} {
			state := id[2:]
			if _, err := d.ExecContext(ctx, `INSERT INTO signing_keys (id, alg, state, private_key, public_jwk, created_at)
				VALUES ($1, 'ES256', $2, $3, '{}', $4)`, id, state, []byte{1}, fixedClock()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := d.Migrate(ctx, store.Migrations); err != nil {
			t.Fatal(err)
		}
		ks, err := store.New(d, fixedClock, datakeys.Test()).SigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, k := range ks {
			count[k.State]++
		}
		if len(ks) != 4 || count["current"] != 1 || count["next"] != 1 || count["previous"] != 2 {
			t.Fatalf("after migration: %v, want one current, one next and two previous", count)
		}
	})
}
