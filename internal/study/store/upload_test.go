package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/study"
	"campus/internal/study/store"
)

// uploadRows is the largest upload the API takes (api.MaxUploadRows).
const uploadRows = 5000

// enrolMany enrols n people ("up-0000001", ...) in the seeded programme
// in one go and returns grade rows for all of them for lecture l1.
func enrolMany(tb testing.TB, d *db.DB, c catalogue, n int) []store.GradeRow {
	tb.Helper()
	ctx := context.Background()
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			if _, err := tx.ExecContext(ctx, `INSERT INTO enrolments (id, subject, programme_id, since, status, version, created_at, updated_at)
				VALUES ($1, $2, $3, $4, 'active', 1, $5, $5)`, fmt.Sprintf("en-%07d", i), fmt.Sprintf("up-%07d", i), c.p.ID, fixed(), fixed()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	rows := make([]store.GradeRow, n)
	for i := range rows {
		rows[i] = store.GradeRow{Line: i + 2, Record: study.GradeRecord{Subject: fmt.Sprintf("up-%07d", i), LectureID: c.l1.ID,
			Grade: 13, Grader: "prof", Status: study.GradeFinal}}
	}
	return rows
}

// TestGradeDryRunDoesNotHoldTheWriter: while a dry run of the largest
// upload is checked, small writes (here: recording one grade elsewhere)
// go on. A dry run that took the single SQLite writer made each of them
// wait for the whole check.
func TestGradeDryRunDoesNotHoldTheWriter(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixed)
		c := seed(t, s)
		rows := enrolMany(t, d, c, uploadRows)

		var wg sync.WaitGroup
		done := make(chan struct{})
		var dryRun time.Duration
		var dryErr error
		var accepted int
		wg.Go(func() {
			defer close(done)
			t0 := time.Now()
			var res []store.RowResult
			res, dryErr = s.ApplyGrades(ctx, rows, false)
			dryRun = time.Since(t0)
			for _, r := range res {
				if r.Err == nil {
					accepted++
				}
			}
		})
		var longest time.Duration
		writes := 0
		for i := 0; ; i++ {
			select {
			case <-done:
			default:
				t0 := time.Now()
				if _, err := s.AddGrade(ctx, study.GradeRecord{Subject: fmt.Sprintf("up-%07d", i), LectureID: c.l3.ID, Grade: 20, Grader: "prof"}); err != nil {
					t.Fatal(err)
				}
				longest = max(longest, time.Since(t0))
				writes++
				time.Sleep(time.Millisecond)
				continue
			}
			break
		}
		wg.Wait()
		if dryErr != nil || accepted != uploadRows {
			t.Fatalf("dry run: %d accepted, %v", accepted, dryErr)
		}
		t.Logf("dry run of %d rows: %v; %d small writes meanwhile, the longest took %v", uploadRows, dryRun, writes, longest)
		// Generous: a write waits for at most another small write, not for
		// the check, however slow the machine (-race included).
		if bound := 250 * time.Millisecond; longest > bound {
			t.Errorf("a small write waited %v during a dry run of %v (bound %v)", longest, dryRun, bound)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM grades WHERE lecture_id = $1`, c.l1.ID).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the dry run stored %d grades (%v)", n, err)
		}
	})
}

// TestApplyGrades: a dry run reports what storing would do, row by row,
// and storing does exactly that.
func TestApplyGrades(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixed)
		c := seed(t, s)
		for _, who := range []string{"passed", "provisional", "failed", "new"} {
			if _, err := s.Enrol(ctx, study.Enrolment{Subject: who, ProgrammeID: c.p.ID}, true); err != nil {
				t.Fatal(err)
			}
		}
		add := func(who string, g study.Grade, status study.GradeStatus) {
			if _, err := s.AddGrade(ctx, study.GradeRecord{Subject: who, LectureID: c.l1.ID, Grade: g, Grader: "prof", Status: status}); err != nil {
				t.Fatal(err)
			}
		}
		add("passed", 20, study.GradeFinal)
		add("provisional", 50, study.GradeProvisional)
		add("failed", 50, study.GradeFinal)
		row := func(line int, who string, attempt int) store.GradeRow {
			return store.GradeRow{Line: line, Record: study.GradeRecord{Subject: who, LectureID: c.l1.ID, Attempt: attempt, Grade: 13, Grader: "prof"}}
		}
		rows := []store.GradeRow{
			row(2, "passed", 0),      // already passed
			row(3, "provisional", 0), // attempt 1 still provisional
			row(4, "failed", 0),      // attempt 2
			row(5, "new", 2),         // the next attempt is 1
			row(6, "stranger", 0),    // not enrolled
			row(7, "new", 0),         // attempt 1
		}
		type outcome struct {
			line, attempt int
			err           string
		}
		summary := func(res []store.RowResult) []outcome {
			var out []outcome
			for _, r := range res {
				o := outcome{line: r.Line}
				switch {
				case r.Err == nil:
					o.attempt = r.Record.Attempt
				case errors.Is(r.Err, store.ErrNotEnrolled):
					o.err = "not enrolled"
				default:
					o.err = r.Err.Error()
				}
				out = append(out, o)
			}
			return out
		}
		dry, err := s.ApplyGrades(ctx, rows, false)
		if err != nil {
			t.Fatal(err)
		}
		real, err := s.ApplyGrades(ctx, rows, true)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := fmt.Sprint(summary(dry)), fmt.Sprint(summary(real)); a != b {
			t.Fatalf("the dry run said\n%s\nstoring did\n%s", a, b)
		}
		got := summary(real)
		accepted := map[int]int{}
		for _, o := range got {
			if o.err == "" {
				accepted[o.line] = o.attempt
			}
		}
		if fmt.Sprint(accepted) != fmt.Sprint(map[int]int{4: 2, 7: 1}) || got[4].err != "not enrolled" {
			t.Fatalf("results %+v", got)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM grades WHERE lecture_id = $1`, c.l1.ID).Scan(&n); err != nil || n != 5 {
			t.Fatalf("%d grades stored (%v), want 3 before and 2 new", n, err)
		}
		// The same upload again: every row refused, nothing stored twice.
		again, err := s.ApplyGrades(ctx, rows, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range again {
			if r.Err == nil {
				t.Errorf("line %d accepted twice", r.Line)
			}
		}
	})
}

// BenchmarkGradeUpload checks (dry run) and stores (apply) the largest
// upload, 5,000 rows for one lecture: the time per op is the time the
// check holds a read transaction, and the time the store holds the writer.
//
//	go test -run '^$' -bench GradeUpload -benchtime 10x ./internal/study/store
func BenchmarkGradeUpload(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var d *db.DB
			if engine == "sqlite" {
				d = dbtest.SQLite(b, store.Migrations)
			} else {
				d = dbtest.Postgres(b, store.Migrations)
			}
			ctx := context.Background()
			s := store.New(d, fixed)
			c := seed(b, s)
			rows := enrolMany(b, d, c, uploadRows)
			b.Run("dry-run", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.ApplyGrades(ctx, rows, false); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/upload")
			})
			b.Run("apply", func(b *testing.B) {
				var held time.Duration
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					if _, err := d.ExecContext(ctx, `DELETE FROM grades`); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					t0 := time.Now()
					res, err := s.ApplyGrades(ctx, rows, true)
					held += time.Since(t0)
					if err != nil || res[len(res)-1].Err != nil {
						b.Fatalf("apply: %v", err)
					}
				}
				b.ReportMetric(float64(held.Microseconds())/1000/float64(b.N), "ms/upload")
			})
		})
	}
}
