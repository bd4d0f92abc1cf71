package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/study"
	"campus/internal/study/store"
)

// fieldError returns the message of err's field error on field, "" when
// err is no validation error about it.
func fieldError(err error, field string) string {
	var ve *study.ValidationError
	if !errors.As(err, &ve) {
		return ""
	}
	for _, f := range ve.Fields {
		if f.Field == field {
			return f.Message
		}
	}
	return ""
}

// TestRecommendedSemesterWithinProgramme: a module's recommended semester
// lies within the programme's standard period, on linking, on changing a
// link and on shortening the period.
func TestRecommendedSemesterWithinProgramme(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixed)
		c := seed(t, s) // six semesters; m1 in semester 1, m2 in 2
		link := func(m study.Module, sem int) error {
			_, err := s.LinkModule(ctx, study.ProgrammeModule{ProgrammeID: c.p.ID, ModuleID: m.ID, RecommendedSemester: sem})
			return err
		}
		if msg := fieldError(link(c.m2, 9), "recommended_semester"); msg != "This programme has 6 semesters; choose a semester from 1 to 6." {
			t.Fatalf("semester 9 of 6: %q", msg)
		}
		if err := link(c.m2, 6); err != nil {
			t.Fatalf("semester 6 of 6: %v", err)
		}
		if msg := fieldError(link(c.m2, 7), "recommended_semester"); msg == "" {
			t.Fatal("a link changed to semester 7 of 6 was accepted")
		}
		setSemesters := func(n int) error {
			p, err := s.Programme(ctx, c.p.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.UpdateProgramme(ctx, c.p.ID, p.Version, func(p *study.Programme) { p.Semesters = n })
			return err
		}
		if msg := fieldError(setSemesters(5), "semesters"); !strings.HasPrefix(msg, "1 module of this programme is recommended for semester 6;") {
			t.Fatalf("five semesters with a module in the sixth: %q", msg)
		}
		if err := link(c.m1, 5); err != nil {
			t.Fatal(err)
		}
		if msg := fieldError(setSemesters(4), "semesters"); !strings.HasPrefix(msg, "2 modules of this programme are recommended for a later semester (up to 6);") {
			t.Fatalf("four semesters with modules in the fifth and sixth: %q", msg)
		}
		if tree, _ := s.ProgrammeTree(ctx, c.p.ID); tree.Semesters != 6 {
			t.Fatalf("the refused change was stored: %d semesters", tree.Semesters)
		}
		if err := setSemesters(7); err != nil {
			t.Fatalf("a longer period: %v", err)
		}
		if err := link(c.m2, 7); err != nil {
			t.Fatalf("semester 7 of 7: %v", err)
		}
		// A one-semester programme says so.
		one, err := s.CreateProgramme(ctx, study.Programme{Title: "Summer school", Degree: "Certificate", Semesters: 1, CreditsRequired: 5, Language: "en", Status: study.ProgrammeDraft})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.LinkModule(ctx, study.ProgrammeModule{ProgrammeID: one.ID, ModuleID: c.m1.ID, RecommendedSemester: 2})
		if msg := fieldError(err, "recommended_semester"); msg != "This programme has only 1 semester; choose semester 1." {
			t.Fatalf("semester 2 of 1: %q", msg)
		}
	})
}

// TestRecommendedSemesterRace: linking a module for the last semester and
// shortening the period at the same time never both succeed.
func TestRecommendedSemesterRace(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixed)
		c := seed(t, s)
		for i := range 20 {
			p, err := s.Programme(ctx, c.p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p.Semesters != 6 {
				if p, err = s.UpdateProgramme(ctx, p.ID, p.Version, func(p *study.Programme) { p.Semesters = 6 }); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.LinkModule(ctx, study.ProgrammeModule{ProgrammeID: c.p.ID, ModuleID: c.m2.ID, RecommendedSemester: 2}); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var linkErr, shortenErr error
			wg.Go(func() {
				_, linkErr = s.LinkModule(ctx, study.ProgrammeModule{ProgrammeID: c.p.ID, ModuleID: c.m2.ID, RecommendedSemester: 6})
			})
			wg.Go(func() {
				_, shortenErr = s.UpdateProgramme(ctx, p.ID, p.Version, func(p *study.Programme) { p.Semesters = 5 })
			})
			wg.Wait()
			if linkErr == nil && shortenErr == nil {
				t.Fatalf("round %d: both the link for semester 6 and five semesters were stored", i)
			}
			for _, err := range []error{linkErr, shortenErr} {
				if err != nil && !errors.Is(err, study.ErrValidation) {
					t.Fatalf("round %d: %v", i, err)
				}
			}
		}
	})
}

// TestGeneratedSemestersWithinProgrammes: the generated catalogue (campus
// bench) keeps every recommended semester within its programme's period,
// as the store does for links made one at a time.
func TestGeneratedSemestersWithinProgrammes(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t, store.Migrations)
	ctx := context.Background()
	s := store.New(d, fixed)
	if err := s.Generate(ctx, store.Sizes{Programmes: 4, Modules: 40, Lectures: 80, Students: 4, Grades: 10}, func(string, int, int) {}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM programme_modules pm JOIN programmes p ON p.id = pm.programme_id
		WHERE pm.recommended_semester > p.semesters`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d links after their programme's last semester (%v)", n, err)
	}
}
