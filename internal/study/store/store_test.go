package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/study"
	"campus/internal/study/store"
)

func fixed() time.Time { return time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC) }

// catalogue builds a small programme: two modules, three lectures, one
// lecture shared by both modules.
type catalogue struct {
	p          study.Programme
	m1, m2     study.Module
	l1, l2, l3 study.Lecture
}

func seed(t testing.TB, s *store.Store) catalogue {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var c catalogue
	var err error
	c.p, err = s.CreateProgramme(ctx, study.Programme{Title: "B.Sc. Computer Science", Degree: "B.Sc.", Semesters: 6, CreditsRequired: 180, Language: "en", Status: study.ProgrammePublished})
	must(err)
	c.m1, err = s.CreateModule(ctx, study.Module{Code: "INF-101", Title: "Programming", Credits: 10})
	must(err)
	c.m2, err = s.CreateModule(ctx, study.Module{Code: "INF-102", Title: "Algorithms", Credits: 5})
	must(err)
	c.l1, err = s.CreateLecture(ctx, study.Lecture{Code: "L-1", Title: "Programming I", HoursPerWeek: 4})
	must(err)
	c.l2, err = s.CreateLecture(ctx, study.Lecture{Code: "L-2", Title: "Programming Lab", HoursPerWeek: 2})
	must(err)
	c.l3, err = s.CreateLecture(ctx, study.Lecture{Code: "L-3", Title: "Algorithms I", HoursPerWeek: 4})
	must(err)
	for _, l := range []struct{ m, l string }{{c.m1.ID, c.l1.ID}, {c.m1.ID, c.l2.ID}, {c.m2.ID, c.l3.ID}, {c.m2.ID, c.l1.ID}} {
		_, err := s.LinkLecture(ctx, l.m, l.l)
		must(err)
	}
	_, err = s.LinkModule(ctx, study.ProgrammeModule{ProgrammeID: c.p.ID, ModuleID: c.m1.ID, Compulsory: true, RecommendedSemester: 1})
	must(err)
	_, err = s.LinkModule(ctx, study.ProgrammeModule{ProgrammeID: c.p.ID, ModuleID: c.m2.ID, Compulsory: false, RecommendedSemester: 2})
	must(err)
	return c
}

func TestCatalogue(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixed)
		c := seed(t, s)

		tree, err := s.ProgrammeTree(ctx, c.p.ID)
		if err != nil || len(tree.Modules) != 2 || tree.Modules[0].Code != "INF-101" || len(tree.Modules[0].Lectures) != 2 || len(tree.Modules[1].Lectures) != 2 {
			t.Fatalf("tree = %+v, %v", tree, err)
		}
		if !tree.Modules[0].Compulsory || tree.Modules[1].RecommendedSemester != 2 {
			t.Fatalf("link attributes lost: %+v", tree.Modules)
		}

		// Search, filters and paging.
		if got, _, _ := s.Programmes(ctx, store.ProgrammeQuery{Q: "computer"}); len(got) != 1 {
			t.Fatalf("search: %v", got)
		}
		if got, _, _ := s.Programmes(ctx, store.ProgrammeQuery{Statuses: []study.ProgrammeStatus{study.ProgrammeDraft}}); len(got) != 0 {
			t.Fatalf("draft filter: %v", got)
		}
		if got, _, _ := s.Lectures(ctx, store.ListQuery{Q: "50%"}); len(got) != 0 {
			t.Fatal("LIKE wildcards in the query were not escaped")
		}
		page1, next, err := s.Lectures(ctx, store.ListQuery{Page: store.Page{Limit: 2}})
		if err != nil || len(page1) != 2 || next == "" {
			t.Fatalf("page 1: %v %q %v", page1, next, err)
		}
		page2, next2, _ := s.Lectures(ctx, store.ListQuery{Page: store.Page{Limit: 2, Cursor: next}})
		if len(page2) != 1 || next2 != "" || page2[0].Code != "L-3" {
			t.Fatalf("page 2: %v %q", page2, next2)
		}

		// Concurrent edits: the second writer with the old version loses.
		if _, err := s.UpdateModule(ctx, c.m1.ID, c.m1.Version, func(m *study.Module) { m.Title = "Programming 1" }); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateModule(ctx, c.m1.ID, c.m1.Version, func(m *study.Module) { m.Title = "Overwrite" }); !errors.Is(err, study.ErrVersionMismatch) {
			t.Fatalf("stale update: %v", err)
		}
		// Invalid changes are refused with field errors, nothing stored.
		_, err = s.UpdateModule(ctx, c.m1.ID, c.m1.Version+1, func(m *study.Module) { m.Title, m.Credits = "", -1 })
		var ve *study.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) < 2 {
			t.Fatalf("invalid update: %v", err)
		}
		if m, _ := s.Module(ctx, c.m1.ID); m.Title != "Programming 1" {
			t.Fatalf("module changed by a refused update: %+v", m)
		}
		// Codes are unique.
		if _, err := s.CreateModule(ctx, study.Module{Code: "INF-102", Title: "Copy", Credits: 1}); !errors.Is(err, study.ErrConflict) {
			t.Fatalf("duplicate code: %v", err)
		}

		// Deleting something linked lists the links unless forced.
		err = s.DeleteModule(ctx, c.m2.ID, c.m2.Version, false)
		var le *study.LinkedError
		if !errors.As(err, &le) || len(le.Links) != 3 {
			t.Fatalf("delete linked module: %v", err)
		}
		if err := s.DeleteModule(ctx, c.m2.ID, c.m2.Version, true); err != nil {
			t.Fatal(err)
		}
		d2, _ := s.LectureDetail(ctx, c.l3.ID)
		if len(d2.Modules) != 0 {
			t.Fatalf("links survived a forced delete: %+v", d2)
		}
		if err := s.UnlinkLecture(ctx, c.m1.ID, c.l2.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.UnlinkLecture(ctx, c.m1.ID, c.l2.ID); !errors.Is(err, study.ErrNotFound) {
			t.Fatalf("unlink twice: %v", err)
		}
	})
}

func TestEnrolmentsAndGrades(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixed)
		c := seed(t, s)
		draft, _ := s.CreateProgramme(ctx, study.Programme{Title: "Draft", Degree: "M.Sc.", Semesters: 4, CreditsRequired: 120})

		if _, err := s.Enrol(ctx, study.Enrolment{Subject: "ada", ProgrammeID: draft.ID}, true); err == nil {
			t.Fatal("enrolled in a draft programme")
		}
		e, err := s.Enrol(ctx, study.Enrolment{Subject: "ada", ProgrammeID: c.p.ID}, true)
		if err != nil || e.ProgrammeTitle != c.p.Title {
			t.Fatalf("enrol: %+v %v", e, err)
		}
		if _, err := s.Enrol(ctx, study.Enrolment{Subject: "ada", ProgrammeID: c.p.ID}, true); !errors.Is(err, study.ErrConflict) {
			t.Fatalf("second active enrolment: %v", err)
		}

		// Grades only for people taking the lecture.
		if _, err := s.AddGrade(ctx, study.GradeRecord{Subject: "bob", LectureID: c.l1.ID, Grade: 13, Grader: "prof"}); !errors.Is(err, store.ErrNotEnrolled) {
			t.Fatalf("grade for someone not enrolled: %v", err)
		}
		g1, err := s.AddGrade(ctx, study.GradeRecord{Subject: "ada", LectureID: c.l3.ID, Grade: 50, Grader: "prof", Status: study.GradeFinal})
		if err != nil || g1.Attempt != 1 {
			t.Fatalf("first attempt: %+v %v", g1, err)
		}
		// Two graders recording the retake at once: exactly one succeeds.
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 2 {
			wg.Go(func() {
				if _, err := s.AddGrade(ctx, study.GradeRecord{Subject: "ada", LectureID: c.l3.ID, Grade: 23, Grader: "prof", Status: study.GradeFinal}); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if ok != 1 {
			t.Fatalf("%d concurrent retakes recorded, want 1", ok)
		}
		if _, err := s.AddGrade(ctx, study.GradeRecord{Subject: "ada", LectureID: c.l3.ID, Grade: 10, Grader: "prof"}); err == nil {
			t.Fatal("an attempt after a pass was accepted")
		}
		p, err := s.AddGrade(ctx, study.GradeRecord{Subject: "ada", LectureID: c.l1.ID, Grade: 17, Grader: "prof"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteGrade(ctx, g1.ID, g1.Version); !errors.Is(err, study.ErrConflict) {
			t.Fatalf("deleting a final grade: %v", err)
		}
		final, err := s.UpdateGrade(ctx, p.ID, p.Version, func(g *study.GradeRecord) { g.Status = study.GradeFinal })
		if err != nil || final.Version != 2 {
			t.Fatalf("finalise: %+v %v", final, err)
		}

		students, err := s.LectureStudents(ctx, c.l3.ID)
		if err != nil || len(students) != 1 || students[0].Subject != "ada" || len(students[0].Records) != 2 {
			t.Fatalf("students: %+v %v", students, err)
		}
		ov, _, err := s.Overview(ctx, "ada", c.p.ID)
		if err != nil || len(ov.Modules) != 2 || ov.CreditsRequired != 180 {
			t.Fatalf("overview: %+v %v", ov, err)
		}

		// Withdrawing frees the place for a new enrolment.
		if _, err := s.SetEnrolmentStatus(ctx, e.ID, e.Version, study.EnrolmentWithdrawn); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Enrol(ctx, study.Enrolment{Subject: "ada", ProgrammeID: c.p.ID}, true); err != nil {
			t.Fatalf("re-enrol after withdrawal: %v", err)
		}
		list, _, _ := s.Enrolments(ctx, store.EnrolmentQuery{Subject: "ada"})
		if len(list) != 2 {
			t.Fatalf("enrolments: %+v", list)
		}
		// A programme with enrolments is only deleted by force.
		var le *study.LinkedError
		if err := s.DeleteProgramme(ctx, c.p.ID, c.p.Version, false); !errors.As(err, &le) {
			t.Fatalf("delete programme with enrolments: %v", err)
		}
	})
}

func TestCatalogueRevision(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixed)
		rev := func() int64 {
			r, err := s.CatalogueRevision(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		before := rev()
		c := seed(t, s) // 1 programme, 2 modules, 3 lectures, 4 lecture links, 2 module links
		if got := rev() - before; got != 12 {
			t.Fatalf("12 catalogue writes moved the revision by %d", got)
		}
		before = rev()
		s.ProgrammeTree(ctx, c.p.ID)
		s.Programmes(ctx, store.ProgrammeQuery{})
		if rev() != before {
			t.Fatal("reads moved the revision")
		}
		s.UpdateLecture(ctx, c.l1.ID, c.l1.Version, func(l *study.Lecture) { l.Title = "Renamed" })
		s.UnlinkLecture(ctx, c.m1.ID, c.l2.ID)
		if got := rev() - before; got != 2 {
			t.Fatalf("an update and an unlink moved the revision by %d", got)
		}
		// A refused change does not move it.
		before = rev()
		s.UpdateLecture(ctx, c.l1.ID, 1, func(l *study.Lecture) { l.Title = "Stale" })
		if rev() != before {
			t.Fatal("a refused update moved the revision")
		}
	})
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixed)
		z := store.Sizes{Programmes: 4, Modules: 40, Lectures: 160, Students: 20, Grades: 200}
		stages := map[string]bool{}
		if err := s.Generate(ctx, z, func(stage string, done, total int) { stages[stage] = true }); err != nil {
			t.Fatal(err)
		}
		for _, st := range []string{"programmes", "modules", "lectures", "grades"} {
			if !stages[st] {
				t.Errorf("no progress reported for %s", st)
			}
		}
		var n int
		for table, want := range map[string]int{"programmes": 4, "modules": 40, "lectures": 160, "enrolments": 20, "grades": 200} {
			if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != want {
				t.Errorf("%s: %d rows (%v), want %d", table, n, err, want)
			}
		}
		if got, _, _ := s.Lectures(ctx, store.ListQuery{Q: "GL-000007"}); len(got) != 1 {
			t.Errorf("search by code found %d lectures", len(got))
		}
		ov, _, err := s.Overview(ctx, "gs-0000001", "gp-0000001")
		if err != nil || len(ov.Modules) == 0 {
			t.Fatalf("overview of a generated student: %+v, %v", ov, err)
		}
	})
}
