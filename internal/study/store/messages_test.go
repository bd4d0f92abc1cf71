package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/study"
	"campus/internal/study/store"
)

// Subjects of the tests: identity's ids are UUIDs, but the store takes
// any text.
const (
	ann   = "0190f3a4-0000-7000-8000-00000000000a"
	bob   = "0190f3a4-0000-7000-8000-00000000000b"
	carol = "0190f3a4-0000-7000-8000-00000000000c"
	dave  = "0190f3a4-0000-7000-8000-00000000000d"
)

func rosters(t *testing.T, s *store.Store, since int64) (int64, map[string]store.RosterGroup) {
	t.Helper()
	var rev int64
	got := map[string]store.RosterGroup{}
	err := s.Rosters(context.Background(), func(r int64) (bool, error) { rev = r; return r != since, nil },
		func(g store.RosterGroup) error { got[g.Kind+":"+g.ID] = g; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return rev, got
}

// TestStaffAndRosters: staff are kept per programme and module, shown in
// the details, and with the active enrolments make the rosters of the
// published programmes and their modules; every change that moves a
// roster moves its revision, and an unchanged revision reads nothing.
func TestStaffAndRosters(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixed)
		c := seed(t, s)
		rev0, _ := s.RosterRevision(ctx)

		if created, err := s.AddProgrammeStaff(ctx, c.p.ID, carol); err != nil || !created {
			t.Fatalf("add staff: %v %v", created, err)
		}
		if created, err := s.AddProgrammeStaff(ctx, c.p.ID, carol); err != nil || created {
			t.Fatalf("add staff twice: %v %v", created, err)
		}
		if _, err := s.AddModuleStaff(ctx, c.m2.ID, dave); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddModuleStaff(ctx, "nope", dave); !errors.Is(err, study.ErrNotFound) {
			t.Fatalf("staff of a missing module: %v", err)
		}
		if err := s.RemoveModuleStaff(ctx, c.m1.ID, dave); !errors.Is(err, study.ErrNotFound) {
			t.Fatalf("remove staff who are not: %v", err)
		}
		tree, _ := s.ProgrammeTree(ctx, c.p.ID)
		md, _ := s.ModuleDetail(ctx, c.m2.ID)
		if !slices.Equal(tree.Staff, []string{carol}) || !slices.Equal(md.Staff, []string{dave}) {
			t.Fatalf("staff in details: %v %v", tree.Staff, md.Staff)
		}
		rev1, _ := s.RosterRevision(ctx)
		if rev1 <= rev0 {
			t.Fatalf("staff did not move the roster revision: %d -> %d", rev0, rev1)
		}

		// A draft programme holding m2 adds nobody to its roster.
		draft, err := s.CreateProgramme(ctx, study.Programme{Title: "Draft", Degree: "B.A.", Semesters: 6, CreditsRequired: 180})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.LinkModule(ctx, study.ProgrammeModule{ProgrammeID: draft.ID, ModuleID: c.m2.ID, RecommendedSemester: 1}); err != nil {
			t.Fatal(err)
		}
		other, err := s.CreateProgramme(ctx, study.Programme{Title: "Maths", Degree: "B.Sc.", Semesters: 6, CreditsRequired: 180, Status: study.ProgrammePublished})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.LinkModule(ctx, study.ProgrammeModule{ProgrammeID: other.ID, ModuleID: c.m2.ID, RecommendedSemester: 1}); err != nil {
			t.Fatal(err)
		}
		e1, err := s.Enrol(ctx, study.Enrolment{Subject: bob, ProgrammeID: c.p.ID}, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Enrol(ctx, study.Enrolment{Subject: ann, ProgrammeID: c.p.ID}, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Enrol(ctx, study.Enrolment{Subject: ann, ProgrammeID: other.ID}, true); err != nil {
			t.Fatal(err)
		}
		rev2, got := rosters(t, s, 0)
		if rev2 <= rev1 {
			t.Fatalf("enrolments did not move the roster revision: %d -> %d", rev1, rev2)
		}
		want := map[string]string{
			"programme:" + c.p.ID:   fmt.Sprint([]string{ann, bob}, []string{carol}),
			"programme:" + other.ID: fmt.Sprint([]string{ann}, []string{}),
			"module:" + c.m1.ID:     fmt.Sprint([]string{ann, bob}, []string{}),
			"module:" + c.m2.ID:     fmt.Sprint([]string{ann, bob}, []string{dave}),
		}
		if len(got) != len(want) {
			t.Fatalf("groups %v, want %v", got, want)
		}
		for k, w := range want {
			if g := got[k]; fmt.Sprint(g.Students, g.Staff) != w {
				t.Errorf("%s = %v %v, want %s", k, g.Students, g.Staff, w)
			}
		}
		if g := got["module:"+c.m1.ID]; g.Code != "INF-101" || g.Title != "Programming" {
			t.Errorf("module group named %q %q", g.Code, g.Title)
		}

		// Unchanged: nothing is read. A withdrawal moves bob out.
		if _, again := rosters(t, s, rev2); len(again) != 0 {
			t.Fatalf("read although unchanged: %v", again)
		}
		if _, err := s.SetEnrolmentStatus(ctx, e1.ID, e1.Version, study.EnrolmentWithdrawn); err != nil {
			t.Fatal(err)
		}
		rev3, got := rosters(t, s, rev2)
		if rev3 == rev2 || !slices.Equal(got["module:"+c.m1.ID].Students, []string{ann}) {
			t.Fatalf("after withdrawal: %d %v", rev3, got["module:"+c.m1.ID])
		}
		if err := s.RemoveProgrammeStaff(ctx, c.p.ID, carol); err != nil {
			t.Fatal(err)
		}
		if _, got := rosters(t, s, rev3); len(got["programme:"+c.p.ID].Staff) != 0 {
			t.Fatalf("staff removed still listed: %v", got["programme:"+c.p.ID])
		}
	})
}

func outbox(t *testing.T, s *store.Store) []store.OutboxNotice {
	t.Helper()
	n, err := s.NoticeQueue(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(n) // oldest first
	return n
}

// TestNoticesQueued: a grade that is or becomes final, a grade upload and
// a change of a published programme queue their notices with the change;
// a provisional grade, a draft's change and a store without notices
// queue none.
func TestNoticesQueued(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixed)
		c := seed(t, s)
		for _, sub := range []string{ann, bob} {
			if _, err := s.Enrol(ctx, study.Enrolment{Subject: sub, ProgrammeID: c.p.ID}, true); err != nil {
				t.Fatal(err)
			}
		}
		// Off: nothing queued.
		if _, err := s.AddGrade(ctx, study.GradeRecord{Subject: ann, LectureID: c.l3.ID, Grade: 13, Grader: carol, Status: study.GradeFinal}); err != nil {
			t.Fatal(err)
		}
		if n := outbox(t, s); len(n) != 0 {
			t.Fatalf("queued without Notices: %+v", n)
		}
		s.Notices = true

		if _, err := s.AddGrade(ctx, study.GradeRecord{Subject: ann, LectureID: c.l1.ID, Grade: 17, Grader: carol, Status: study.GradeFinal}); err != nil {
			t.Fatal(err)
		}
		g, err := s.AddGrade(ctx, study.GradeRecord{Subject: bob, LectureID: c.l1.ID, Grade: 20, Grader: carol})
		if err != nil {
			t.Fatal(err)
		}
		if n := outbox(t, s); len(n) != 1 {
			t.Fatalf("after a final and a provisional grade: %+v", n)
		}
		if _, err := s.UpdateGrade(ctx, g.ID, g.Version, func(g *study.GradeRecord) { g.Status = study.GradeFinal }); err != nil {
			t.Fatal(err)
		}
		// An upload: two final grades for one module, one notice.
		res, err := s.ApplyGrades(ctx, []store.GradeRow{
			{Line: 2, Record: study.GradeRecord{Subject: ann, ModuleID: c.m2.ID, Grade: 10, Grader: carol, Status: study.GradeFinal}},
			{Line: 3, Record: study.GradeRecord{Subject: bob, ModuleID: c.m2.ID, Grade: 23, Grader: carol, Status: study.GradeFinal}},
			{Line: 4, Record: study.GradeRecord{Subject: dave, ModuleID: c.m2.ID, Grade: 23, Grader: carol, Status: study.GradeFinal}},
		}, true)
		if err != nil || res[2].Err == nil {
			t.Fatalf("upload: %+v %v", res, err)
		}
		if _, err := s.UpdateProgramme(ctx, c.p.ID, c.p.Version, func(p *study.Programme) { p.Description = "New rules." }); err != nil {
			t.Fatal(err)
		}
		n := outbox(t, s)
		got := make([]string, len(n))
		for i, x := range n {
			got[i] = fmt.Sprint(x.Kind, x.To, x.Text, "|", x.TextDE, "|", x.Link)
		}
		want := []string{
			fmt.Sprint("grade_published", []string{ann}, "Your grade for Programming I is published.|Deine Note für Programming I ist veröffentlicht.|/my"),
			fmt.Sprint("grade_published", []string{bob}, "Your grade for Programming I is published.|Deine Note für Programming I ist veröffentlicht.|/my"),
			fmt.Sprint("grade_published", []string{ann, bob}, "Your grade for Algorithms is published.|Deine Note für Algorithms ist veröffentlicht.|/my"),
			fmt.Sprint("programme_changed", []string{ann, bob}, "The programme B.Sc. Computer Science changed.|Der Studiengang B.Sc. Computer Science wurde geändert.|/programmes/"+c.p.ID),
		}
		if !slices.Equal(got, want) {
			t.Fatalf("outbox:\n%q\nwant\n%q", got, want)
		}
		ids := map[string]bool{}
		for _, x := range n {
			if ids[x.ID] || x.Attempts != 0 || x.DeliveredAt != nil {
				t.Fatalf("notice %+v", x)
			}
			ids[x.ID] = true
		}

		// A draft's change tells nobody.
		draft, _ := s.CreateProgramme(ctx, study.Programme{Title: "Draft", Degree: "B.A.", Semesters: 6, CreditsRequired: 180})
		if _, err := s.UpdateProgramme(ctx, draft.ID, draft.Version, func(p *study.Programme) { p.Title = "Draft 2" }); err != nil {
			t.Fatal(err)
		}
		if len(outbox(t, s)) != 4 {
			t.Fatal("a draft's change queued a notice")
		}
	})
}

// TestNoticeRolledBackWithItsChange: when the transaction of a change
// fails after its notice was queued, neither stays.
func TestNoticeRolledBackWithItsChange(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := store.New(d, fixed)
		s.Notices = true
		c := seed(t, s)
		if _, err := s.Enrol(ctx, study.Enrolment{Subject: ann, ProgrammeID: c.p.ID}, true); err != nil {
			t.Fatal(err)
		}
		// The revision is bumped after the notice is queued: make that fail.
		trigger := []string{`CREATE TRIGGER boom BEFORE UPDATE ON catalogue_revision BEGIN SELECT RAISE(ABORT, 'boom'); END`}
		if d.Dialect() == db.Postgres {
			trigger = []string{`CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$`,
				`CREATE TRIGGER boom BEFORE UPDATE ON catalogue_revision FOR EACH ROW EXECUTE FUNCTION boom()`}
		}
		for _, q := range trigger {
			if _, err := d.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.UpdateProgramme(ctx, c.p.ID, c.p.Version, func(p *study.Programme) { p.Title = "Renamed" }); err == nil {
			t.Fatal("the change went through")
		}
		if p, _ := s.Programme(ctx, c.p.ID); p.Title != c.p.Title {
			t.Fatalf("programme changed: %+v", p)
		}
		if n := outbox(t, s); len(n) != 0 {
			t.Fatalf("notice of a rolled back change: %+v", n)
		}
	})
}

// TestNoticeLeases: a claimed notice is its holder's until the lease
// lapses; a failure under a lost lease records nothing; a delivered one
// is not claimed again; one given up is kept, failed.
func TestNoticeLeases(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := fixed()
		s := store.New(d, func() time.Time { return now })
		s.Notices = true
		c := seed(t, s)
		to := make([]string, 2500)
		for i := range to {
			to[i] = fmt.Sprintf("0190f3a4-0000-7000-8000-%012d", i)
			if _, err := s.Enrol(ctx, study.Enrolment{Subject: to[i], ProgrammeID: c.p.ID}, true); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.UpdateProgramme(ctx, c.p.ID, c.p.Version, func(p *study.Programme) { p.Title = "Renamed" }); err != nil {
			t.Fatal(err)
		}
		claimed, err := s.ClaimNotices(ctx, 10, time.Minute)
		if err != nil || len(claimed) != 3 || len(claimed[0].To)+len(claimed[1].To)+len(claimed[2].To) != 2500 || len(claimed[0].To) != 1000 {
			t.Fatalf("claim: %d %v", len(claimed), err)
		}
		if again, _ := s.ClaimNotices(ctx, 10, time.Minute); len(again) != 0 {
			t.Fatalf("claimed twice: %d", len(again))
		}
		a, b, c3 := claimed[0], claimed[1], claimed[2]
		if err := s.NoticeDelivered(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Minute) // the leases lapse
		taken, _ := s.ClaimNotices(ctx, 10, time.Minute)
		if len(taken) != 2 {
			t.Fatalf("after the lease: %d", len(taken))
		}
		// The first holder's failure of b is not recorded: b is another's.
		if err := s.NoticeFailed(ctx, b.ID, b.NextAttemptAt, "late", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if kept, _, _ := s.RenewNotices(ctx, b.NextAttemptAt, time.Minute, b.ID, c3.ID); len(kept) != 0 {
			t.Fatalf("renewed a lost lease: %v", kept)
		}
		for _, n := range taken {
			if err := s.NoticeFailed(ctx, n.ID, n.NextAttemptAt, "given up", time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		failed, _ := s.NoticeQueue(ctx, store.NoticesFailed, 10)
		if len(failed) != 2 || failed[0].LastError != "given up" || failed[0].Attempts != 1 {
			t.Fatalf("failed: %+v", failed)
		}
		if delivered, _ := s.NoticeQueue(ctx, store.NoticesDelivered, 10); len(delivered) != 1 {
			t.Fatalf("delivered: %d", len(delivered))
		}
	})
}
