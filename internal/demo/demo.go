package demo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"text/tabwriter"
	"time"

	"campus/internal/identity"
	"campus/internal/identity/events"
	"campus/internal/identity/password"
	identitystore "campus/internal/identity/store"
	"campus/internal/study"
	studystore "campus/internal/study/store"
)

// Load loads the demo into an empty catalogue and says what it did; a
// catalogue with programmes is left alone (the demo is loaded once).
func Load(ctx context.Context, out io.Writer, ist *identitystore.Store, sst *studystore.Store, hash password.Params) error {
	existing, _, err := sst.Programmes(ctx, studystore.ProgrammeQuery{Page: studystore.Page{Limit: 1}})
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		fmt.Fprintln(out, "campus: the catalogue has programmes already; the demo is loaded only into an empty campus.")
		return nil
	}
	bsc, err := sst.CreateProgramme(ctx, study.Programme{Title: "Computer Science", Degree: "B.Sc.", Semesters: 6, CreditsRequired: 180,
		Language: "de", Status: study.ProgrammePublished,
		Description: "The foundations of computer science: programming, mathematics, theory, systems and software engineering, with electives in the fifth semester."})
	if err != nil {
		return fmt.Errorf("demo programme: %w", err)
	}
	msc, err := sst.CreateProgramme(ctx, study.Programme{Title: "Computer Science", Degree: "M.Sc.", Semesters: 4, CreditsRequired: 120,
		Language: "en", Status: study.ProgrammePublished,
		Description: "Advanced algorithms, security, data and machine learning, and a master project; several modules are shared with the bachelor's programme."})
	if err != nil {
		return fmt.Errorf("demo programme: %w", err)
	}
	lectures := map[string][]study.Lecture{} // by module code
	modules := map[string]study.Module{}
	for _, dm := range demoModules {
		m, err := sst.CreateModule(ctx, study.Module{Code: dm.code, Title: dm.title, Credits: dm.credits, DurationSemesters: 1,
			Responsible: dm.responsible, ExaminationForm: dm.examination, TeachingForm: teachingForm(dm),
			Description: "Module " + dm.code + " of the Computer Science programmes."})
		if err != nil {
			return fmt.Errorf("demo module %s: %w", dm.code, err)
		}
		modules[dm.code] = m
		parts := []struct {
			suffix, kind string
			hours        int
		}{{"-V", "lecture", dm.lectureHours}, {"-U", "exercises", dm.exerciseHours}}
		for _, part := range parts {
			if part.hours == 0 {
				continue
			}
			offered := study.OfferedWinter
			if (max(dm.bsc, dm.msc))%2 == 0 {
				offered = study.OfferedSummer
			}
			l, err := sst.CreateLecture(ctx, study.Lecture{Code: dm.code + part.suffix, Title: dm.title + " (" + part.kind + ")",
				Semester: offered, Responsible: dm.responsible, HoursPerWeek: part.hours})
			if err != nil {
				return fmt.Errorf("demo lecture: %w", err)
			}
			if _, err := sst.LinkLecture(ctx, m.ID, l.ID); err != nil {
				return err
			}
			lectures[dm.code] = append(lectures[dm.code], l)
		}
		for _, link := range []struct {
			programme string
			semester  int
			elective  bool
		}{{bsc.ID, dm.bsc, dm.bscElective}, {msc.ID, dm.msc, dm.mscElective}} {
			if link.semester == 0 {
				continue
			}
			if _, err := sst.LinkModule(ctx, study.ProgrammeModule{ProgrammeID: link.programme, ModuleID: m.ID,
				Compulsory: !link.elective, RecommendedSemester: link.semester}); err != nil {
				return err
			}
		}
	}

	type credential struct{ username, role, programme, password string }
	var creds []credential
	var grader string
	accounts := map[string]identity.Account{}
	for _, p := range demoPeople {
		pw := password.Generate()
		h, err := password.Hash(pw, hash)
		if err != nil {
			return err
		}
		acc, err := ist.CreateAccount(ctx, identity.Account{Username: p.username, Email: p.username + "@demo.campus.example",
			DisplayName: p.given + " " + p.family, GivenName: p.given, FamilyName: p.family, Semester: p.semester,
			EmailVerified: true, Roles: []string{p.role}}, h)
		if errors.Is(err, identity.ErrConflict) {
			fmt.Fprintf(out, "campus: account %s exists already; left as it is.\n", p.username)
			continue
		}
		if err != nil {
			return fmt.Errorf("demo account %s: %w", p.username, err)
		}
		accounts[p.username] = acc
		title := ""
		switch p.programme {
		case "bsc":
			title = "B.Sc. Computer Science"
		case "msc":
			title = "M.Sc. Computer Science"
		}
		creds = append(creds, credential{p.username, p.role, title, pw})
		if p.role == "staff" && grader == "" {
			grader = acc.ID
		}
	}

	// The staff are responsible for the programmes and their modules, so
	// that the course groups the messages service makes have a lecturer:
	// Franziska Weber for the bachelor's, Georg Schulz for the master's.
	for username, prog := range map[string]study.Programme{"f.weber": bsc, "g.schulz": msc} {
		acc, ok := accounts[username]
		if !ok {
			continue
		}
		if _, err := sst.AddProgrammeStaff(ctx, prog.ID, acc.ID); err != nil {
			return fmt.Errorf("demo staff: %w", err)
		}
		for _, dm := range demoModules {
			if (prog.ID == bsc.ID && dm.bsc == 0) || (prog.ID == msc.ID && dm.msc == 0) {
				continue
			}
			if _, err := sst.AddModuleStaff(ctx, modules[dm.code].ID, acc.ID); err != nil {
				return fmt.Errorf("demo staff: %w", err)
			}
		}
	}

	now := time.Now().UTC()
	for _, p := range demoPeople {
		acc, ok := accounts[p.username]
		if !ok || p.programme == "" {
			continue
		}
		prog := bsc
		if p.programme == "msc" {
			prog = msc
		}
		// Enrolled p.semester-1 semesters ago, at the start of a winter term.
		since := time.Date(now.Year()-(p.semester)/2, time.October, 1, 0, 0, 0, 0, time.UTC)
		if _, err := sst.Enrol(ctx, study.Enrolment{Subject: acc.ID, ProgrammeID: prog.ID, Since: since}, true); err != nil {
			return fmt.Errorf("demo enrolment: %w", err)
		}
		rng := rand.New(rand.NewPCG(seed(p.username), 2026))
		for _, dm := range demoModules {
			sem := dm.bsc
			if p.programme == "msc" {
				sem = dm.msc
			}
			if sem == 0 || sem >= p.semester {
				continue // not part of the programme, or not taken yet
			}
			if (dm.bscElective || dm.mscElective) && rng.IntN(2) == 0 {
				continue // an elective not chosen
			}
			date := since.AddDate(0, 6*sem-1, 0)
			targets := []study.GradeRecord{}
			if dm.directExam {
				targets = append(targets, study.GradeRecord{ModuleID: modules[dm.code].ID})
			} else {
				for _, l := range lectures[dm.code] {
					targets = append(targets, study.GradeRecord{LectureID: l.ID})
				}
			}
			for _, tg := range targets {
				g := demoGrade(rng)
				if g == study.GradeFail {
					// Failed once, passed at the retake.
					if _, err := sst.AddGrade(ctx, study.GradeRecord{Subject: acc.ID, LectureID: tg.LectureID, ModuleID: tg.ModuleID,
						Grade: study.GradeFail, Date: date, Grader: grader, Status: study.GradeFinal}); err != nil {
						return fmt.Errorf("demo grade: %w", err)
					}
					g, date = []study.Grade{30, 33, 37}[rng.IntN(3)], date.AddDate(0, 2, 0)
				}
				if _, err := sst.AddGrade(ctx, study.GradeRecord{Subject: acc.ID, LectureID: tg.LectureID, ModuleID: tg.ModuleID,
					Grade: g, Date: date, Grader: grader, Status: study.GradeFinal}); err != nil {
					return fmt.Errorf("demo grade: %w", err)
				}
			}
		}
	}

	event, eventCreds, err := demoEvent(ctx, ist, hash)
	if err != nil {
		return fmt.Errorf("demo event: %w", err)
	}

	fmt.Fprintf(out, "\n  campus loaded the demo: 2 programmes, %d modules, %d lectures, %d people.\n", len(demoModules), countLectures(lectures), len(creds))
	fmt.Fprintln(out, "  Demo accounts (passwords shown only this once):")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "    USERNAME\tROLE\tPROGRAMME\tPASSWORD")
	for _, c := range creds {
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", c.username, c.role, c.programme, c.password)
	}
	tw.Flush()
	fmt.Fprintf(out, "\n  Accounts of the event %q (%s to %s, the portal only; PINs shown only this once):\n",
		event.Name, event.Window.FirstDate, event.Window.LastDate)
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "    USERNAME\tFOR\tPIN")
	for _, c := range eventCreds {
		fmt.Fprintf(tw, "    %s\t%s\t%s\n", c.Username, c.Label, c.PIN)
	}
	tw.Flush()
	fmt.Fprintln(out)
	return nil
}

// PortalClientID is the portal's client at identity, the one application
// the demo event's accounts may use (identity/service names it too).
const PortalClientID = "campus-portal"

// demoEvent is an example event: a student council election this week,
// with an account per polling station that signs in to the portal only.
func demoEvent(ctx context.Context, ist *identitystore.Store, hash password.Params) (identitystore.Event, []events.Credential, error) {
	today := time.Now()
	e, err := ist.CreateEvent(ctx, identitystore.Event{Name: "Student council election",
		Description: "Each polling station signs in with its own account to see the candidates' programmes.",
		Window: identitystore.LoginWindow{Earliest: "00:00", Latest: "23:59", FirstDate: today.Format(time.DateOnly),
			LastDate: today.AddDate(0, 0, 6).Format(time.DateOnly)},
		Clients: []string{PortalClientID}, Role: identity.RoleStudent, Prefix: "wahl-", PINLength: events.DefaultPIN,
		Afterwards: identitystore.EventDelete, CreatedBy: "demo"})
	if err != nil {
		return e, nil, err
	}
	creds, err := events.MakeInTurn(ctx, ist, e, events.Batch{Labels: []string{"Polling station 1", "Polling station 2", "Polling station 3"}}, hash, nil)
	return e, creds, err
}

func teachingForm(dm demoModule) string {
	switch {
	case dm.lectureHours == 0:
		return fmt.Sprintf("project or seminar (%d h/week)", dm.exerciseHours)
	case dm.exerciseHours == 0:
		return fmt.Sprintf("lecture (%d h/week)", dm.lectureHours)
	}
	return fmt.Sprintf("lecture (%d h/week) and exercises (%d h/week)", dm.lectureHours, dm.exerciseHours)
}

// demoGrade draws a grade the way they fall in practice: mostly between
// 1.3 and 3.0, some 4.0, a few fails.
func demoGrade(rng *rand.Rand) study.Grade {
	weights := []struct {
		g study.Grade
		w int
	}{{10, 5}, {13, 9}, {17, 12}, {20, 14}, {23, 14}, {27, 12}, {30, 10}, {33, 7}, {37, 5}, {40, 5}, {50, 7}}
	n := rng.IntN(100)
	for _, w := range weights {
		if n < w.w {
			return w.g
		}
		n -= w.w
	}
	return 20
}

func seed(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func countLectures(m map[string][]study.Lecture) int {
	n := 0
	for _, ls := range m {
		n += len(ls)
	}
	return n
}
