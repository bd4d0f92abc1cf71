package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"campus/internal/db/dbtest"
	"campus/internal/messages"
	"campus/internal/messages/store"
)

// BenchmarkSend is the store's part of sending a message on SQLite: one
// sender at a time (every send its own transaction), and 16 per core at
// once (written together, see writeGrouped), into 20 groups with texts
// of a dozen words of which some are new each time.
//
//	go test -run '^$' -bench 'Send' -benchtime 2000x ./internal/messages/store
//
// Measured 2026-12-05 (2 busy cores): about 0.9 ms per send alone, 0.5 ms
// at once, of which the search words are four fifths (0.1 ms without).
// With the words indexed after the send (index.go), on a busier machine
// (load 6-10): before 2.4 ms alone, 0.74 ms at once; after 0.5-0.8 ms
// alone, 0.15-0.28 ms at once, and 0.26 ms at once with the indexer
// running beside the sends (the third case, the service's). Later, with
// the limit counted (Intel Xeon, decision 85): 102 µs alone, 54 µs at
// once, 64 µs with the indexer.
func BenchmarkSend(b *testing.B) {
	for _, c := range []struct {
		par     int
		indexer bool
	}{{0, false}, {16, false}, {16, true}} {
		par := c.par
		name := fmt.Sprintf("parallel=%d", par)
		if c.indexer {
			name += ",indexer"
		}
		b.Run(name, func(b *testing.B) {
			s := store.New(dbtest.SQLite(b, store.Migrations), time.Now)
			// The sending limit is on, as in the service, at a rate no
			// run reaches: its cost counts.
			s.SendLimit = messages.SendLimit{Every: time.Microsecond, Burst: 1_000_000}
			ctx := context.Background()
			if c.indexer {
				// The search words, indexed beside the sends, as the
				// service runs it: its cost counts.
				ictx, cancel := context.WithCancel(ctx)
				b.Cleanup(cancel)
				go s.RunIndexer(ictx, nil)
			}
			var groups []messages.Conversation
			for i := range 20 {
				groups = append(groups, group(b, s, "ann", fmt.Sprintf("Gruppe %d", i), "bob", "carl"))
			}
			var n atomic.Int64
			send := func() {
				i := n.Add(1)
				text := fmt.Sprintf("Hallo **alle**, das Skript %d liegt unter https://uni.example/skript/%d bis Freitag", i, i%97)
				if _, err := s.Send(ctx, "ann", groups[i%20].ID, store.NewMessage{Text: text}); err != nil {
					b.Error(err)
				}
			}
			b.ResetTimer()
			if par == 0 {
				for b.Loop() {
					send()
				}
				return
			}
			b.SetParallelism(par)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					send()
				}
			})
		})
	}
}
