package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/study/store"
)

// BenchmarkScale generates the university the targets are stated for
// (200 programmes, 5,000 modules, 20,000 lectures, 100,000 students,
// 2,000,000 grades), reports how long that took, and then the 99th
// percentile of list, search and overview queries, on SQLite and (with
// CAMPUS_TEST_POSTGRES) PostgreSQL.
//
//	go test -run '^$' -bench Scale -benchtime 1x -timeout 30m ./internal/study/store
func BenchmarkScale(b *testing.B) {
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
			t0 := time.Now()
			if err := s.Generate(ctx, store.ScaleSizes, nil); err != nil {
				b.Fatal(err)
			}
			generated := time.Since(t0)
			rng := rand.New(rand.NewPCG(3, 4))
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
				var cursor string
				p99("list-programmes", 300, func() error {
					_, next, err := s.Programmes(ctx, store.ProgrammeQuery{Page: store.Page{Limit: 50, Cursor: cursor}})
					if cursor = next; cursor == "" {
						cursor = ""
					}
					return err
				})
				p99("search-programmes", 300, func() error {
					_, _, err := s.Programmes(ctx, store.ProgrammeQuery{Q: fmt.Sprintf("robotics %d", rng.IntN(200))})
					return err
				})
				p99("search-modules", 300, func() error {
					_, _, err := s.Modules(ctx, store.ListQuery{Q: fmt.Sprintf("security %d", rng.IntN(5000))})
					return err
				})
				p99("search-lectures", 300, func() error {
					_, _, err := s.Lectures(ctx, store.ListQuery{Q: fmt.Sprintf("geometry %d", rng.IntN(20000))})
					return err
				})
				p99("list-lectures-page", 300, func() error {
					_, _, err := s.Lectures(ctx, store.ListQuery{Page: store.Page{Limit: 50}})
					return err
				})
				p99("student-overview", 300, func() error {
					st := rng.IntN(store.ScaleSizes.Students)
					_, _, err := s.Overview(ctx, fmt.Sprintf("gs-%07d", st), fmt.Sprintf("gp-%07d", st%store.ScaleSizes.Programmes))
					return err
				})
			}
			b.ReportMetric(generated.Seconds(), "generate-s")
		})
	}
}
