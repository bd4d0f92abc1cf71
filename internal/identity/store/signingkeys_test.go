package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

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
