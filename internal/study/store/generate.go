package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"campus/internal/db"
	"campus/internal/study"
	"campus/internal/textsearch"
)

// Sizes of a generated catalogue, for load tests and benchmarks.
type Sizes struct {
	Programmes, Modules, Lectures, Students, Grades int
}

// ScaleSizes are the sizes the performance targets are stated for.
var ScaleSizes = Sizes{Programmes: 200, Modules: 5000, Lectures: 20000, Students: 100000, Grades: 2000000}

// Progress is told how far a stage of Generate has come.
type Progress func(stage string, done, total int)

// Generate fills an empty study database with a synthetic university of
// the given sizes: every module has Lectures/Modules lectures, every
// programme 30 modules (so modules are shared), every student one
// enrolment and Grades/Students final grades for lectures of their
// programme. Rows go in as multi-row inserts in large transactions; the
// result is deterministic.
func (s *Store) Generate(ctx context.Context, z Sizes, progress Progress) error {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	now := s.now().UTC()
	ids := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%07d", prefix, i)
		}
		return out
	}
	progs, mods, lecs, subjects := ids("gp", z.Programmes), ids("gm", z.Modules), ids("gl", z.Lectures), ids("gs", z.Students)

	words := []string{"Advanced", "Applied", "Foundations of", "Introduction to", "Topics in", "Seminar on", "Practical"}
	fields := []string{"Algorithms", "Databases", "Networks", "Security", "Statistics", "Optics", "Chemistry", "Economics",
		"Law", "History", "Linguistics", "Robotics", "Biology", "Geometry", "Ethics", "Finance", "Logistics", "Acoustics"}
	title := func(i int) string {
		return fmt.Sprintf("%s %s %d", words[i%len(words)], fields[(i/len(words))%len(fields)], i)
	}

	sqlite := s.db.Dialect() == db.SQLite
	insert := func(stage, table, columns string, n int, row func(i int) []any) error {
		cols := len(strings.Split(columns, ","))
		batch := max(1, 4000/cols) // bounded by both engines' parameter limits
		for start := 0; start < n; start += batch * 50 {
			err := s.db.Tx(ctx, func(tx *sql.Tx) error {
				for b := start; b < min(n, start+batch*50); b += batch {
					end := min(n, b+batch, start+batch*50)
					var sb strings.Builder
					args := make([]any, 0, (end-b)*cols)
					sb.WriteString("INSERT INTO " + table + " (" + columns + ") VALUES ")
					for i := b; i < end; i++ {
						if i > b {
							sb.WriteByte(',')
						}
						sb.WriteByte('(')
						for c := range cols {
							if c > 0 {
								sb.WriteByte(',')
							}
							// SQLite binds $N by name, which costs a
							// search per parameter: plain ? for it.
							if sqlite {
								sb.WriteByte('?')
							} else {
								sb.WriteString("$" + strconv.Itoa(len(args)+c+1))
							}
						}
						sb.WriteByte(')')
						args = append(args, row(i)...)
					}
					if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
						return fmt.Errorf("%s: %w", table, err)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			progress(stage, min(n, start+batch*50), n)
		}
		return nil
	}

	if err := insert("programmes", "programmes", "id, title, degree, semesters, credits_required, description, language, status, version, created_at, updated_at",
		z.Programmes, func(i int) []any {
			degree, sem, cr := "B.Sc.", 6, 180
			if i%2 == 1 {
				degree, sem, cr = "M.Sc.", 4, 120
			}
			return []any{progs[i], "Programme " + title(i), degree, sem, cr, "A generated programme.", "de", "published", 1, now, now}
		}); err != nil {
		return err
	}
	if err := insert("modules", "modules", "id, code, title, credits, duration_semesters, description, responsible, teaching_form, examination_form, version, created_at, updated_at",
		z.Modules, func(i int) []any {
			return []any{mods[i], fmt.Sprintf("GM-%05d", i), "Module " + title(i), 5, 1, "", "Prof. Generated", "lecture", "written exam", 1, now, now}
		}); err != nil {
		return err
	}
	if err := insert("lectures", "lectures", "id, code, title, description, semester, responsible, hours_per_week, version, created_at, updated_at",
		z.Lectures, func(i int) []any {
			return []any{lecs[i], fmt.Sprintf("GL-%06d", i), "Lecture " + title(i), "", []string{"winter", "summer", "both"}[i%3], "Prof. Generated", 1 + i%4, 1, now, now}
		}); err != nil {
		return err
	}
	// Search words, as the store writes them for every entry.
	type word struct{ kind, id, word string }
	var index []word
	for i := range z.Programmes {
		for _, w := range textsearch.Words("Programme "+title(i), "B.Sc.", "A generated programme.") {
			index = append(index, word{"programme", progs[i], w})
		}
	}
	for i := range z.Modules {
		for _, w := range codeWords(fmt.Sprintf("GM-%05d", i), "Module "+title(i)) {
			index = append(index, word{"module", mods[i], w})
		}
	}
	for i := range z.Lectures {
		for _, w := range codeWords(fmt.Sprintf("GL-%06d", i), "Lecture "+title(i)) {
			index = append(index, word{"lecture", lecs[i], w})
		}
	}
	if err := insert("search words", "catalogue_words", "kind, id, word", len(index), func(i int) []any {
		return []any{index[i].kind, index[i].id, []byte(index[i].word)}
	}); err != nil {
		return err
	}
	perModule := max(1, z.Lectures/z.Modules)
	if err := insert("module lectures", "module_lectures", "module_id, lecture_id", z.Lectures, func(i int) []any {
		return []any{mods[min(i/perModule, z.Modules-1)], lecs[i]}
	}); err != nil {
		return err
	}
	const perProgramme = 30
	stride := max(1, z.Modules/z.Programmes) // consecutive programmes overlap: modules are shared
	if err := insert("programme modules", "programme_modules", "programme_id, module_id, compulsory, recommended_semester",
		z.Programmes*perProgramme, func(i int) []any {
			p, k := i/perProgramme, i%perProgramme
			semesters := 6 // within the programme's period: 6 for a B.Sc., 4 for an M.Sc. (above)
			if p%2 == 1 {
				semesters = 4
			}
			return []any{progs[p], mods[(p*stride+k)%z.Modules], k%5 != 4, 1 + k%semesters}
		}); err != nil {
		return err
	}
	since := time.Date(now.Year()-1, time.October, 1, 0, 0, 0, 0, time.UTC)
	if err := insert("enrolments", "enrolments", "id, subject, programme_id, since, status, version, created_at, updated_at",
		z.Students, func(i int) []any {
			return []any{fmt.Sprintf("ge-%07d", i), subjects[i], progs[i%z.Programmes], since, "active", 1, now, now}
		}); err != nil {
		return err
	}
	perStudent := max(1, z.Grades/z.Students)
	steps := study.Steps
	if err := insert("grades", "grades", "id, subject, lecture_id, module_id, attempt, grade, graded_on, grader, status, version, created_at, updated_at",
		z.Students*perStudent, func(i int) []any {
			st, k := i/perStudent, i%perStudent
			p := st % z.Programmes
			// The k-th lecture of the student's programme: module k%30, its
			// lecture k/30 (distinct for k < 30*perModule).
			m := (p*stride + k%perProgramme) % z.Modules
			l := min(m*perModule+(k/perProgramme)%perModule, z.Lectures-1)
			return []any{fmt.Sprintf("gg-%08d", i), subjects[st], lecs[l], nil, 1, int(steps[rng.IntN(len(steps))]), since.AddDate(0, 4, 0),
				"gen", "final", 1, now, now}
		}); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1`); err != nil {
		return err
	}
	// The planner knows nothing of freshly loaded tables until autovacuum
	// gets to them; without statistics it picks scans. SQLite plans from
	// its indexes alone.
	if !sqlite {
		progress("statistics", 0, 1)
		if _, err := s.db.ExecContext(ctx, `ANALYZE`); err != nil {
			return err
		}
		progress("statistics", 1, 1)
	}
	return nil
}
