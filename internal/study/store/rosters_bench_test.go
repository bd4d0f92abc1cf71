package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/study/store"
)

// BenchmarkRosters reads every roster of a university of 100,000 active
// enrolments in 200 programmes of 30 modules each (about three million
// module memberships), as GET /v1/rosters does, and reports the time, the
// memberships and the JSON size of a full read, and the time of a read
// that finds the revision unchanged (the 304 of every quiet poll).
//
//	go test -run '^$' -bench Rosters -benchtime 3x -timeout 30m ./internal/study/store
func BenchmarkRosters(b *testing.B) {
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
			z := store.Sizes{Programmes: 200, Modules: 5000, Lectures: 5000, Students: 100000, Grades: 100000}
			if err := s.Generate(ctx, z, nil); err != nil {
				b.Fatal(err)
			}
			rev, err := s.RosterRevision(ctx)
			if err != nil {
				b.Fatal(err)
			}
			var members, size int
			b.ResetTimer()
			for range b.N {
				members, size = 0, 0
				err := s.Rosters(ctx, func(int64) (bool, error) { return true, nil }, func(g store.RosterGroup) error {
					members += len(g.Students) + len(g.Staff)
					j, err := json.Marshal(g)
					size += len(j)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(members), "memberships")
			b.ReportMetric(float64(size)/(1<<20), "json-MiB")
			t0 := time.Now()
			const n = 200
			for range n {
				if err := s.Rosters(ctx, func(r int64) (bool, error) { return r != rev, nil }, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(t0).Microseconds())/n/1000, "unchanged-ms")
		})
	}
}
