package store_test

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/messages"
	"campus/internal/messages/store"
)

// BenchmarkHistory fills one conversation with 1,000,000 messages (or
// CAMPUS_BENCH_HISTORY of them) beside a few others, and reports the 99th
// percentile of reading a page of 30: the newest page, and pages deep in
// the history by cursor, on SQLite and (with CAMPUS_TEST_POSTGRES)
// PostgreSQL. The target is p99 < 20 ms. It reports the search for a
// word every message holds and for one in 10,000 too (no target).
//
//	go test -run '^$' -bench History -benchtime 1x -timeout 30m ./internal/messages/store
//	CAMPUS_BENCH_HISTORY=20000 go test -run '^$' -bench History -benchtime 1x ./internal/messages/store
func BenchmarkHistory(b *testing.B) {
	size := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("CAMPUS_BENCH_HISTORY")); err == nil && v > 0 {
		size = v
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var d *db.DB
			if engine == "sqlite" {
				d = dbtest.SQLite(b, store.Migrations)
			} else {
				d = dbtest.Postgres(b, store.Migrations)
			}
			ctx := context.Background()
			s := store.New(d, time.Now)
			c, _, err := s.CreateConversation(ctx, "ann", store.NewConversation{Kind: messages.KindGroup, Name: "big", Members: []string{"bob"}})
			if err != nil {
				b.Fatal(err)
			}
			// Other conversations' messages interleave in the table.
			other, _, err := s.CreateConversation(ctx, "cid", store.NewConversation{Kind: messages.KindGroup, Name: "other"})
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			start := time.Now().Add(-time.Duration(size) * time.Millisecond)
			ids, err := s.BulkMessages(ctx, c.ID, "ann", size, start)
			if err != nil {
				b.Fatal(err)
			}
			others, err := s.BulkMessages(ctx, other.ID, "cid", size/10, start)
			if err != nil {
				b.Fatal(err)
			}
			// Every message holds "message"; one in 10,000 "rare"; the
			// other conversation's hold "message" too, unseen by bob.
			if err := s.BulkWords(ctx, c.ID, ids, "message"); err != nil {
				b.Fatal(err)
			}
			if err := s.BulkWords(ctx, other.ID, others, "message"); err != nil {
				b.Fatal(err)
			}
			var rare []string
			for i := 0; i < len(ids); i += 10000 {
				rare = append(rare, ids[i])
			}
			if err := s.BulkWords(ctx, c.ID, rare, "rare"); err != nil {
				b.Fatal(err)
			}
			if d.Dialect() == db.Postgres {
				if _, err := d.ExecContext(ctx, `ANALYZE`); err != nil {
					b.Fatal(err)
				}
			}
			generated := time.Since(t0)
			rng := rand.New(rand.NewPCG(1, 2))
			p99 := func(name string, n int, query func() error) {
				lat := make([]time.Duration, 0, n)
				for range n {
					t := time.Now()
					if err := query(); err != nil {
						b.Fatalf("%s: %v", name, err)
					}
					lat = append(lat, time.Since(t))
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[n*99/100].Microseconds())/1000, name+"-p99-ms")
			}
			b.ResetTimer()
			for b.Loop() {
				p99("newest-page", 300, func() error {
					list, _, err := s.History(ctx, "bob", c.ID, store.Page{})
					if err == nil && len(list) != messages.HistoryPage {
						b.Fatalf("page of %d", len(list))
					}
					return err
				})
				p99("deep-page", 300, func() error {
					cursor := db.EncodeCursor(struct {
						ID string `json:"i"`
					}{ids[messages.HistoryPage+rng.IntN(len(ids)-messages.HistoryPage)]})
					list, _, err := s.History(ctx, "bob", c.ID, store.Page{Cursor: cursor})
					if err == nil && len(list) != messages.HistoryPage {
						b.Fatalf("page of %d", len(list))
					}
					return err
				})
				p99("search-common", 100, func() error {
					_, _, err := s.Search(ctx, "bob", "mess", store.Page{})
					return err
				})
				p99("search-rare", 100, func() error {
					_, _, err := s.Search(ctx, "bob", "rare", store.Page{})
					return err
				})
				p99("conversations", 300, func() error {
					_, _, err := s.Conversations(ctx, "bob", store.Page{})
					return err
				})
			}
			b.ReportMetric(generated.Seconds(), "generate-s")
		})
	}
}
