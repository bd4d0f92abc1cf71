package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"campus/internal/db"
	"campus/internal/study"
)

// ---- enrolments

const enrolmentColumns = `e.id, e.subject, e.programme_id, e.since, e.status, e.version, e.created_at, e.updated_at`

// EnrolmentView is an enrolment with its programme's title.
type EnrolmentView struct {
	study.Enrolment
	ProgrammeTitle string
}

func scanEnrolment(row interface{ Scan(...any) error }) (EnrolmentView, error) {
	var e EnrolmentView
	err := row.Scan(&e.ID, &e.Subject, &e.ProgrammeID, &e.Since, &e.Status, &e.Version, &e.CreatedAt, &e.UpdatedAt, &e.ProgrammeTitle)
	if errors.Is(err, sql.ErrNoRows) {
		return e, study.ErrNotFound
	}
	return e, err
}

// Enrol enrols a person in a programme. onlyPublished refuses drafts and
// archived programmes (a student enrolling themselves); otherwise only
// drafts are refused (staff may record a past enrolment in an archived
// programme). ErrConflict when the person is already actively enrolled.
func (s *Store) Enrol(ctx context.Context, e study.Enrolment, onlyPublished bool) (EnrolmentView, error) {
	now := s.now().UTC()
	if e.Since.IsZero() {
		e.Since = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	}
	if e.Status == "" {
		e.Status = study.EnrolmentActive
	}
	if err := e.Validate(); err != nil {
		return EnrolmentView{}, err
	}
	var v EnrolmentView
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, err := scanProgramme(tx.QueryRowContext(ctx, `SELECT `+programmeColumns+` FROM programmes WHERE id = $1`, e.ProgrammeID))
		if errors.Is(err, study.ErrNotFound) {
			return &study.ValidationError{Fields: []study.FieldError{{Field: "programme_id", Message: "There is no such programme."}}}
		}
		if err != nil {
			return err
		}
		if (onlyPublished && p.Status != study.ProgrammePublished) || p.Status == study.ProgrammeDraft {
			return &study.ValidationError{Fields: []study.FieldError{{Field: "programme_id", Message: "This programme is not open for enrolment."}}}
		}
		e.ID, e.Version, e.CreatedAt, e.UpdatedAt = newID(), 1, now, now
		_, err = tx.ExecContext(ctx, `INSERT INTO enrolments (id, subject, programme_id, since, status, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.ID, e.Subject, e.ProgrammeID, e.Since, e.Status, e.Version, e.CreatedAt, e.UpdatedAt)
		if db.IsUniqueViolation(err) {
			return fmt.Errorf("already enrolled in %s: %w", p.Title, study.ErrConflict)
		}
		if err != nil {
			return err
		}
		v = EnrolmentView{Enrolment: e, ProgrammeTitle: p.Title}
		return bumpRoster(ctx, tx, false)
	})
	return v, err
}

// EnrolmentQuery filters enrolments.
type EnrolmentQuery struct {
	Subject, ProgrammeID string
	Status               study.EnrolmentStatus
	Page
}

// Enrolments lists enrolments, a page at a time (by id).
func (s *Store) Enrolments(ctx context.Context, q EnrolmentQuery) ([]EnrolmentView, string, error) {
	var a db.Args
	var where []string
	if q.Subject != "" {
		where = append(where, `e.subject = `+a.Add(q.Subject))
	}
	if q.ProgrammeID != "" {
		where = append(where, `e.programme_id = `+a.Add(q.ProgrammeID))
	}
	if q.Status != "" {
		where = append(where, `e.status = `+a.Add(string(q.Status)))
	}
	if c, ok := decodeCursor(q.Cursor); ok {
		where = append(where, `e.id > `+a.Add(c.ID))
	}
	return readPage(ctx, s.db, `SELECT `+enrolmentColumns+`, p.title FROM enrolments e JOIN programmes p ON p.id = e.programme_id`,
		where, `e.id`, a, q.limit(), scanEnrolment, func(e EnrolmentView) cursor { return cursor{ID: e.ID} })
}

// Enrolment returns one enrolment.
func (s *Store) Enrolment(ctx context.Context, id string) (EnrolmentView, error) {
	return scanEnrolment(s.db.QueryRowContext(ctx, `SELECT `+enrolmentColumns+`, p.title FROM enrolments e
		JOIN programmes p ON p.id = e.programme_id WHERE e.id = $1`, id))
}

// SetEnrolmentStatus changes an enrolment's status at version.
func (s *Store) SetEnrolmentStatus(ctx context.Context, id string, version int, status study.EnrolmentStatus) (EnrolmentView, error) {
	if !status.Valid() {
		return EnrolmentView{}, &study.ValidationError{Fields: []study.FieldError{{Field: "status", Message: "Choose active, completed or withdrawn."}}}
	}
	var v EnrolmentView
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		v, err = scanEnrolment(tx.QueryRowContext(ctx, `SELECT `+enrolmentColumns+`, p.title FROM enrolments e
			JOIN programmes p ON p.id = e.programme_id WHERE e.id = $1`, id))
		if err != nil {
			return err
		}
		if v.Version != version {
			return study.ErrVersionMismatch
		}
		if status == study.EnrolmentWithdrawn && v.Status != study.EnrolmentActive {
			return fmt.Errorf("only an active enrolment can be withdrawn: %w", study.ErrConflict)
		}
		v.Status, v.Version, v.UpdatedAt = status, version+1, s.now().UTC()
		err = checkedUpdate(tx.ExecContext(ctx, `UPDATE enrolments SET status = $3, version = $4, updated_at = $5
			WHERE id = $1 AND version = $2`, id, version, status, v.Version, v.UpdatedAt))
		if db.IsUniqueViolation(err) {
			return fmt.Errorf("already actively enrolled in %s: %w", v.ProgrammeTitle, study.ErrConflict)
		}
		if err != nil {
			return err
		}
		return bumpRoster(ctx, tx, false)
	})
	return v, err
}

// ---- grades

const gradeColumns = `id, subject, lecture_id, module_id, attempt, grade, graded_on, grader, status, version, created_at, updated_at`

func scanGrade(row interface{ Scan(...any) error }) (study.GradeRecord, error) {
	var g study.GradeRecord
	var lecture, module sql.NullString
	var grade int
	err := row.Scan(&g.ID, &g.Subject, &lecture, &module, &g.Attempt, &grade, &g.Date, &g.Grader, &g.Status, &g.Version, &g.CreatedAt, &g.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return g, study.ErrNotFound
	}
	g.LectureID, g.ModuleID, g.Grade = lecture.String, module.String, study.Grade(grade)
	return g, err
}

func gradesWhere(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) ([]study.GradeRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+gradeColumns+` FROM grades WHERE `+where+` ORDER BY graded_on, attempt, id`, args...)
	return db.Collect(rows, err, scanGrade)
}

// ErrNotEnrolled means a grade was given for a person who is not actively
// enrolled in any programme containing the lecture or module.
var ErrNotEnrolled = errors.New("not enrolled in a programme with this lecture or module")

// AddGrade records a grade. The attempt, when zero, is the next one the
// rules allow; a given attempt must be exactly that one. Both are decided
// inside the transaction, so two graders cannot both record attempt 2.
func (s *Store) AddGrade(ctx context.Context, g study.GradeRecord) (study.GradeRecord, error) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		g, err = s.addGradeTx(ctx, tx, g)
		return err
	})
	return g, err
}

func (s *Store) addGradeTx(ctx context.Context, tx *sql.Tx, g study.GradeRecord) (study.GradeRecord, error) {
	target, col := g.LectureID, "lecture_id"
	if g.LectureID == "" {
		target, col = g.ModuleID, "module_id"
	}
	enrolled, err := subjectTakes(ctx, tx, g.Subject, g.LectureID, g.ModuleID)
	if err != nil {
		return g, err
	}
	previous, err := gradesWhere(ctx, tx, `subject = $1 AND `+col+` = $2`, g.Subject, target)
	if err != nil {
		return g, err
	}
	if g, err = s.prepareGrade(g, enrolled, previous); err != nil {
		return g, err
	}
	_, err = tx.ExecContext(ctx, insertGrade, gradeArgs(g)...)
	if db.IsUniqueViolation(err) {
		return g, fmt.Errorf("attempt %d is recorded already: %w", g.Attempt, study.ErrConflict)
	}
	if err != nil {
		return g, err
	}
	if g.Status == study.GradeFinal {
		err = s.gradeNoticeTx(ctx, tx, g.LectureID, g.ModuleID, []string{g.Subject})
	}
	return g, err
}

// gradeNoticeTx tells the people to that their grade for a lecture (or,
// with lectureID "", a module) is published: final.
func (s *Store) gradeNoticeTx(ctx context.Context, tx *sql.Tx, lectureID, moduleID string, to []string) error {
	if !s.Notices || len(to) == 0 {
		return nil
	}
	var title string
	var err error
	if lectureID != "" {
		err = tx.QueryRowContext(ctx, `SELECT title FROM lectures WHERE id = $1`, lectureID).Scan(&title)
	} else {
		err = tx.QueryRowContext(ctx, `SELECT title FROM modules WHERE id = $1`, moduleID).Scan(&title)
	}
	if err != nil {
		return fmt.Errorf("grade notice: %w", err)
	}
	return s.enqueueNoticeTx(ctx, tx, Notice{Kind: NoticeGradePublished,
		Text:   fmt.Sprintf("Your grade for %s is published.", title),
		TextDE: fmt.Sprintf("Deine Note für %s ist veröffentlicht.", title),
		Link:   "/my"}, to)
}

const insertGrade = `INSERT INTO grades (` + gradeColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`

func gradeArgs(g study.GradeRecord) []any {
	return []any{g.ID, g.Subject, nullString(g.LectureID), nullString(g.ModuleID), g.Attempt, int(g.Grade), g.Date, g.Grader, g.Status,
		g.Version, g.CreatedAt, g.UpdatedAt}
}

// prepareGrade decides a new record from what the store holds: whether
// the person takes the examination, and their previous records of it.
// The attempt, when zero, is the next one the rules allow; a given attempt
// must be exactly that one. It fills in the defaults and a new id.
func (s *Store) prepareGrade(g study.GradeRecord, enrolled bool, previous []study.GradeRecord) (study.GradeRecord, error) {
	if !enrolled {
		return g, ErrNotEnrolled
	}
	next, err := study.NextAttemptAllowed(previous, s.MaxAttempts)
	if err != nil {
		return g, &study.ValidationError{Fields: []study.FieldError{{Field: "attempt", Message: err.Error()}}}
	}
	if g.Attempt == 0 {
		g.Attempt = next
	}
	if g.Attempt != next {
		return g, &study.ValidationError{Fields: []study.FieldError{{Field: "attempt", Message: fmt.Sprintf("The next attempt is %d.", next)}}}
	}
	now := s.now().UTC()
	if g.Date.IsZero() {
		g.Date = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	}
	if g.Status == "" {
		g.Status = study.GradeProvisional
	}
	if err := g.Validate(s.MaxAttempts); err != nil {
		return g, err
	}
	g.ID, g.Version, g.CreatedAt, g.UpdatedAt = newID(), 1, now, now
	return g, nil
}

// subjectTakes reports whether a person is actively enrolled in a
// programme that contains the lecture (through a module) or the module.
func subjectTakes(ctx context.Context, tx *sql.Tx, subject, lectureID, moduleID string) (bool, error) {
	var n int
	var err error
	if lectureID != "" {
		err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM enrolments e
			JOIN programme_modules pm ON pm.programme_id = e.programme_id
			JOIN module_lectures ml ON ml.module_id = pm.module_id
			WHERE e.subject = $1 AND e.status = 'active' AND ml.lecture_id = $2`, subject, lectureID).Scan(&n)
	} else {
		err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM enrolments e
			JOIN programme_modules pm ON pm.programme_id = e.programme_id
			WHERE e.subject = $1 AND e.status = 'active' AND pm.module_id = $2`, subject, moduleID).Scan(&n)
	}
	return n > 0, err
}

// Grade returns one grade record.
func (s *Store) Grade(ctx context.Context, id string) (study.GradeRecord, error) {
	return scanGrade(s.db.QueryRowContext(ctx, `SELECT `+gradeColumns+` FROM grades WHERE id = $1`, id))
}

// UpdateGrade changes a grade at version (e.g. provisional to final, or a
// corrected value).
func (s *Store) UpdateGrade(ctx context.Context, id string, version int, change func(*study.GradeRecord)) (study.GradeRecord, error) {
	var g study.GradeRecord
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if g, err = scanGrade(tx.QueryRowContext(ctx, `SELECT `+gradeColumns+` FROM grades WHERE id = $1`, id)); err != nil {
			return err
		}
		if g.Version != version {
			return study.ErrVersionMismatch
		}
		wasFinal := g.Status == study.GradeFinal
		change(&g)
		g.ID = id
		if wasFinal && g.Status != study.GradeFinal {
			return &study.ValidationError{Fields: []study.FieldError{{Field: "status", Message: "A final grade cannot become provisional again."}}}
		}
		if err := g.Validate(s.MaxAttempts); err != nil {
			return err
		}
		g.Version, g.UpdatedAt = version+1, s.now().UTC()
		if err := checkedUpdate(tx.ExecContext(ctx, `UPDATE grades SET grade = $3, graded_on = $4, status = $5, version = $6, updated_at = $7
			WHERE id = $1 AND version = $2`, id, version, int(g.Grade), g.Date, g.Status, g.Version, g.UpdatedAt)); err != nil {
			return err
		}
		if !wasFinal && g.Status == study.GradeFinal {
			return s.gradeNoticeTx(ctx, tx, g.LectureID, g.ModuleID, []string{g.Subject})
		}
		return nil
	})
	return g, err
}

// DeleteGrade removes a provisional grade at version; a final grade is an
// examination record and stays (ErrConflict).
func (s *Store) DeleteGrade(ctx context.Context, id string, version int) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		g, err := scanGrade(tx.QueryRowContext(ctx, `SELECT `+gradeColumns+` FROM grades WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if g.Version != version {
			return study.ErrVersionMismatch
		}
		if g.Status == study.GradeFinal {
			return fmt.Errorf("a final grade cannot be deleted: %w", study.ErrConflict)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM grades WHERE id = $1`, id)
		return err
	})
}

// GradesOf returns a person's grade records.
func (s *Store) GradesOf(ctx context.Context, subject string) ([]study.GradeRecord, error) {
	return gradesWhere(ctx, s.db, `subject = $1`, subject)
}

// LectureGrades returns every grade record of a lecture.
func (s *Store) LectureGrades(ctx context.Context, lectureID string) ([]study.GradeRecord, error) {
	return gradesWhere(ctx, s.db, `lecture_id = $1`, lectureID)
}

// Student is a person taking a lecture, with their grades for it.
type Student struct {
	Subject     string
	ProgrammeID string
	Records     []study.GradeRecord
}

// LectureStudents lists the people actively enrolled in a programme that
// contains the lecture, with their grades for it: the grade entry table.
func (s *Store) LectureStudents(ctx context.Context, lectureID string) ([]Student, error) {
	var out []Student
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, `SELECT COUNT(*) FROM lectures WHERE id = $1`, lectureID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT e.subject, MIN(e.programme_id) FROM enrolments e
			JOIN programme_modules pm ON pm.programme_id = e.programme_id
			JOIN module_lectures ml ON ml.module_id = pm.module_id
			WHERE ml.lecture_id = $1 AND e.status = 'active' GROUP BY e.subject ORDER BY e.subject`, lectureID)
		index := map[string]int{}
		err = db.Each(rows, err, func(r db.Scanner) error {
			var st Student
			if err := r.Scan(&st.Subject, &st.ProgrammeID); err != nil {
				return err
			}
			index[st.Subject] = len(out)
			out = append(out, st)
			return nil
		})
		if err != nil {
			return err
		}
		grades, err := gradesWhere(ctx, tx, `lecture_id = $1`, lectureID)
		if err != nil {
			return err
		}
		for _, g := range grades {
			if i, ok := index[g.Subject]; ok {
				out[i].Records = append(out[i].Records, g)
			}
		}
		return nil
	})
	return out, err
}

// Overview computes a person's overview of a programme from its tree and
// their grades.
func (s *Store) Overview(ctx context.Context, subject, programmeID string) (study.Overview, study.ProgrammeTree, error) {
	tree, err := s.ProgrammeTree(ctx, programmeID)
	if err != nil {
		return study.Overview{}, tree, err
	}
	records, err := s.GradesOf(ctx, subject)
	if err != nil {
		return study.Overview{}, tree, err
	}
	modules := make([]study.Module, len(tree.Modules))
	lectures := map[string][]study.Lecture{}
	for i, m := range tree.Modules {
		modules[i] = m.Module
		lectures[m.ID] = m.Lectures
	}
	return study.ProgrammeOverview(tree.Programme, modules, lectures, records, s.MaxAttempts), tree, nil
}

// GradeRow is one row of a grade upload.
type GradeRow struct {
	Line   int
	Record study.GradeRecord
}

// RowResult says what happened to a row: Err nil means accepted.
type RowResult struct {
	Line   int
	Record study.GradeRecord
	Err    error
}

// ApplyGrades checks the rows of an upload and, with apply, stores the
// accepted ones; a refused row leaves the others intact. A dry run (apply
// false) reads only, in one read transaction: it never takes the writer,
// so other writes go on while a large file is checked. Storing checks
// again inside one write transaction, then inserts the accepted rows with
// prepared INSERTs of many rows each, so the writer is held for a few
// dozen statements, not for queries and savepoints row by row.
func (s *Store) ApplyGrades(ctx context.Context, rows []GradeRow, apply bool) ([]RowResult, error) {
	var results []RowResult
	if !apply {
		err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
			var err error
			results, err = s.checkGrades(ctx, tx, rows)
			return err
		})
		return results, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if results, err = s.checkGrades(ctx, tx, rows); err != nil {
			return err
		}
		if err := insertGrades(ctx, tx, results); err != nil {
			return err
		}
		return s.uploadNoticesTx(ctx, tx, results)
	})
	return results, err
}

// uploadNoticesTx queues the notices of the final grades an upload
// stored: one notice per lecture or module, to everyone whose grade for
// it was published.
func (s *Store) uploadNoticesTx(ctx context.Context, tx *sql.Tx, results []RowResult) error {
	if !s.Notices {
		return nil
	}
	type exam struct{ lecture, module string }
	var order []exam
	to := map[exam][]string{}
	seen := map[exam]map[string]bool{}
	for _, r := range results {
		g := r.Record
		if r.Err != nil || g.Status != study.GradeFinal {
			continue
		}
		k := exam{g.LectureID, g.ModuleID}
		if seen[k] == nil {
			seen[k] = map[string]bool{}
			order = append(order, k)
		}
		if !seen[k][g.Subject] {
			seen[k][g.Subject] = true
			to[k] = append(to[k], g.Subject)
		}
	}
	for _, k := range order {
		if err := s.gradeNoticeTx(ctx, tx, k.lecture, k.module, to[k]); err != nil {
			return err
		}
	}
	return nil
}

// insertBatch is how many grades one INSERT stores: a few dozen round
// trips for the largest upload instead of thousands.
const insertBatch = 100

// insertGrades stores the accepted results with a prepared INSERT of
// insertBatch rows (and one for the rest). A grade recorded meanwhile by
// someone else (possible on PostgreSQL, where writers run side by side)
// refuses its row instead of aborting the transaction: ON CONFLICT DO
// NOTHING, and the row's id is missing from RETURNING.
func insertGrades(ctx context.Context, tx *sql.Tx, results []RowResult) error {
	var todo []int
	for i, r := range results {
		if r.Err == nil {
			todo = append(todo, i)
		}
	}
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	for start := 0; start < len(todo); start += insertBatch {
		batch := todo[start:min(start+insertBatch, len(todo))]
		st, ok := stmts[len(batch)]
		if !ok {
			var err error
			if st, err = tx.PrepareContext(ctx, insertGradesSQL(len(batch))); err != nil {
				return err
			}
			stmts[len(batch)] = st
		}
		args := make([]any, 0, len(batch)*12)
		for _, i := range batch {
			args = append(args, gradeArgs(results[i].Record)...)
		}
		rows, err := st.QueryContext(ctx, args...)
		ids, err := db.Collect(rows, err, db.Value[string])
		if err != nil {
			return err
		}
		stored := make(map[string]bool, len(ids))
		for _, id := range ids {
			stored[id] = true
		}
		for _, i := range batch {
			if g := results[i].Record; !stored[g.ID] {
				results[i].Err = fmt.Errorf("attempt %d is recorded already: %w", g.Attempt, study.ErrConflict)
			}
		}
	}
	return nil
}

func insertGradesSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO grades (` + gradeColumns + `) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range 12 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "$%d", i*12+j+1)
		}
		b.WriteByte(')')
	}
	b.WriteString(` ON CONFLICT DO NOTHING RETURNING id`)
	return b.String()
}

// checkGrades decides every row as addGradeTx would, in order, reading
// what it needs in two queries per examination (who takes it, and its
// records) instead of two per row. A row's accepted record counts as a
// previous record for a later row of the same person.
//
// The queries read the examination's whole roster rather than the rows'
// subjects: a list of thousands of parameters made PostgreSQL switch to a
// generic plan after five chunks, at half a second a chunk.
func (s *Store) checkGrades(ctx context.Context, tx *sql.Tx, rows []GradeRow) ([]RowResult, error) {
	type exam struct{ lecture, module string }
	type known struct {
		enrolled map[string]bool
		previous map[string][]study.GradeRecord
	}
	state := map[exam]*known{}
	results := make([]RowResult, 0, len(rows))
	for _, r := range rows {
		k := exam{r.Record.LectureID, r.Record.ModuleID}
		kn, ok := state[k]
		if !ok {
			kn = &known{enrolled: map[string]bool{}, previous: map[string][]study.GradeRecord{}}
			if err := readExam(ctx, tx, k.lecture, k.module, kn.enrolled, kn.previous); err != nil {
				return nil, err
			}
			state[k] = kn
		}
		g, err := s.prepareGrade(r.Record, kn.enrolled[r.Record.Subject], kn.previous[r.Record.Subject])
		if err == nil {
			kn.previous[g.Subject] = append(kn.previous[g.Subject], g)
		}
		results = append(results, RowResult{Line: r.Line, Record: g, Err: err})
	}
	return results, nil
}

// readExam fills enrolled with the people who take the lecture (or the
// module, when lectureID is ""), as subjectTakes decides it for one, and
// previous with everyone's records of it.
func readExam(ctx context.Context, tx *sql.Tx, lectureID, moduleID string,
	enrolled map[string]bool, previous map[string][]study.GradeRecord) error {
	id, col := moduleID, "module_id"
	q := `SELECT DISTINCT e.subject FROM enrolments e
		JOIN programme_modules pm ON pm.programme_id = e.programme_id
		WHERE e.status = 'active' AND pm.module_id = $1`
	if lectureID != "" {
		id, col = lectureID, "lecture_id"
		q = `SELECT DISTINCT e.subject FROM enrolments e
			JOIN programme_modules pm ON pm.programme_id = e.programme_id
			JOIN module_lectures ml ON ml.module_id = pm.module_id
			WHERE e.status = 'active' AND ml.lecture_id = $1`
	}
	rows, err := tx.QueryContext(ctx, q, id)
	subjects, err := db.Collect(rows, err, db.Value[string])
	if err != nil {
		return err
	}
	for _, sub := range subjects {
		enrolled[sub] = true
	}
	records, err := gradesWhere(ctx, tx, col+` = $1`, id)
	if err != nil {
		return err
	}
	for _, g := range records {
		previous[g.Subject] = append(previous[g.Subject], g)
	}
	return nil
}

// GradeExport selects grades to export.
type GradeExport struct {
	LectureID, ProgrammeID string
}

// EachGrade calls fn for every selected grade, in order, reading rows as it
// goes (constant memory for any number of grades).
func (s *Store) EachGrade(ctx context.Context, f GradeExport, fn func(study.GradeRecord) error) error {
	var a db.Args
	where := []string{"1 = 1"}
	if f.LectureID != "" {
		where = append(where, `g.lecture_id = `+a.Add(f.LectureID))
	}
	if f.ProgrammeID != "" {
		p := a.Add(f.ProgrammeID)
		where = append(where, `(g.module_id IN (SELECT module_id FROM programme_modules WHERE programme_id = `+p+`)
			OR g.lecture_id IN (SELECT ml.lecture_id FROM module_lectures ml JOIN programme_modules pm ON pm.module_id = ml.module_id WHERE pm.programme_id = `+p+`))`)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+prefixed("g", gradeColumns)+`
		FROM grades g WHERE `+strings.Join(where, " AND ")+` ORDER BY g.subject, g.id`, a.Values()...)
	return db.Each(rows, err, func(row db.Scanner) error {
		var r study.GradeRecord
		var lecture, module sql.NullString
		var grade int
		if err := row.Scan(&r.ID, &r.Subject, &lecture, &module, &r.Attempt, &grade, &r.Date, &r.Grader, &r.Status, &r.Version,
			&r.CreatedAt, &r.UpdatedAt); err != nil {
			return err
		}
		r.LectureID, r.ModuleID, r.Grade = lecture.String, module.String, study.Grade(grade)
		return fn(r)
	})
}
