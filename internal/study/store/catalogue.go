package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"campus/internal/db"
	"campus/internal/study"
)

// ---- programmes

const programmeColumns = `id, title, degree, semesters, credits_required, description, language, status, version, created_at, updated_at`

func scanProgramme(row interface{ Scan(...any) error }) (study.Programme, error) {
	var p study.Programme
	err := row.Scan(&p.ID, &p.Title, &p.Degree, &p.Semesters, &p.CreditsRequired, &p.Description, &p.Language, &p.Status,
		&p.Version, &p.CreatedAt, &p.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return p, study.ErrNotFound
	}
	return p, err
}

// CreateProgramme stores a new, validated programme.
func (s *Store) CreateProgramme(ctx context.Context, p study.Programme) (study.Programme, error) {
	if p.Status == "" {
		p.Status = study.ProgrammeDraft
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	now := s.now().UTC()
	p.ID, p.Version, p.CreatedAt, p.UpdatedAt = newID(), 1, now, now
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO programmes (`+programmeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			p.ID, p.Title, p.Degree, p.Semesters, p.CreditsRequired, p.Description, p.Language, p.Status, p.Version, p.CreatedAt, p.UpdatedAt); err != nil {
			return err
		}
		if err := indexTx(ctx, tx, "programme", p.ID, programmeWords(p)); err != nil {
			return err
		}
		return bumpRoster(ctx, tx, true)
	})
	return p, err
}

// Programme returns one programme.
func (s *Store) Programme(ctx context.Context, id string) (study.Programme, error) {
	return scanProgramme(s.db.QueryRowPrepared(ctx, `SELECT `+programmeColumns+` FROM programmes WHERE id = $1`, id))
}

// ProgrammeQuery filters the programme list.
type ProgrammeQuery struct {
	Q        string
	Degree   string
	Statuses []study.ProgrammeStatus // empty: any
	Page
}

// Programmes lists programmes by title, a page at a time.
func (s *Store) Programmes(ctx context.Context, q ProgrammeQuery) ([]study.Programme, string, error) {
	var a db.Args
	var where []string
	if q.Q != "" {
		cond, ok := wordConditions(&a, "programme", "id", q.Q)
		if !ok {
			return nil, "", nil // nothing searchable: no match
		}
		where = append(where, cond...)
	}
	if q.Degree != "" {
		where = append(where, `degree = `+a.Add(q.Degree))
	}
	if len(q.Statuses) > 0 {
		var ph []string
		for _, st := range q.Statuses {
			ph = append(ph, a.Add(string(st)))
		}
		where = append(where, `status IN (`+strings.Join(ph, ", ")+`)`)
	}
	if c, ok := decodeCursor(q.Cursor); ok {
		k, i := a.Add(c.Key), a.Add(c.ID)
		where = append(where, `(title > `+k+` OR (title = `+k+` AND id > `+i+`))`)
	}
	return readPage(ctx, s.db, `SELECT `+programmeColumns+` FROM programmes`, where, `title, id`, a, q.limit(), scanProgramme,
		func(p study.Programme) cursor { return cursor{Key: p.Title, ID: p.ID} })
}

// ProgrammeTree returns a programme with its modules (ordered by
// recommended semester, then code) and each module's lectures, in one
// consistent snapshot of three queries.
func (s *Store) ProgrammeTree(ctx context.Context, id string) (study.ProgrammeTree, error) {
	var t study.ProgrammeTree
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		var err error
		t.Programme, err = scanProgramme(tx.QueryRowContext(ctx, `SELECT `+programmeColumns+` FROM programmes WHERE id = $1`, id))
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+prefixed("m", moduleColumns)+`, pm.compulsory, pm.recommended_semester
			FROM programme_modules pm JOIN modules m ON m.id = pm.module_id
			WHERE pm.programme_id = $1 ORDER BY pm.recommended_semester, m.code`, id)
		index := map[string]int{}
		err = db.Each(rows, err, func(r db.Scanner) error {
			var mp study.ModuleInProgramme
			m := &mp.Module
			if err := r.Scan(&m.ID, &m.Code, &m.Title, &m.Credits, &m.DurationSemesters, &m.Description, &m.Responsible,
				&m.TeachingForm, &m.ExaminationForm, &m.Version, &m.CreatedAt, &m.UpdatedAt, &mp.Compulsory, &mp.RecommendedSemester); err != nil {
				return err
			}
			index[m.ID] = len(t.Modules)
			t.Modules = append(t.Modules, mp)
			return nil
		})
		if err != nil {
			return err
		}
		if t.Staff, err = staffOf(ctx, tx, programmeStaff, id); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT ml.module_id, `+prefixed("l", lectureColumns)+`
			FROM programme_modules pm JOIN module_lectures ml ON ml.module_id = pm.module_id JOIN lectures l ON l.id = ml.lecture_id
			WHERE pm.programme_id = $1 ORDER BY l.code`, id)
		return db.Each(rows, err, func(r db.Scanner) error {
			var moduleID string
			var l study.Lecture
			if err := r.Scan(&moduleID, &l.ID, &l.Code, &l.Title, &l.Description, &l.Semester, &l.Responsible, &l.HoursPerWeek,
				&l.Version, &l.CreatedAt, &l.UpdatedAt); err != nil {
				return err
			}
			i := index[moduleID]
			t.Modules[i].Lectures = append(t.Modules[i].Lectures, l)
			return nil
		})
	})
	return t, err
}

// UpdateProgramme applies change to the programme if it is still at
// version (If-Match), validates and stores it with the next version.
func (s *Store) UpdateProgramme(ctx context.Context, id string, version int, change func(*study.Programme)) (study.Programme, error) {
	var p study.Programme
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		// Locked first, so that no module is linked for a semester that
		// this change removes (LinkModule locks the row too).
		if _, err := lockProgramme(ctx, tx, id); err != nil {
			return err
		}
		var err error
		p, err = scanProgramme(tx.QueryRowContext(ctx, `SELECT `+programmeColumns+` FROM programmes WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if p.Version != version {
			return study.ErrVersionMismatch
		}
		before := p
		change(&p)
		p.ID = id
		if err := p.Validate(); err != nil {
			return err
		}
		var later int
		var latest sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), MAX(recommended_semester) FROM programme_modules
			WHERE programme_id = $1 AND recommended_semester > $2`, id, p.Semesters).Scan(&later, &latest); err != nil {
			return err
		}
		if err := study.CheckSemesters(later, int(latest.Int64)); err != nil {
			return err
		}
		p.Version, p.UpdatedAt = version+1, s.now().UTC()
		if err := checkedUpdate(tx.ExecContext(ctx, `UPDATE programmes SET title = $3, degree = $4, semesters = $5, credits_required = $6,
			description = $7, language = $8, status = $9, version = $10, updated_at = $11 WHERE id = $1 AND version = $2`,
			id, version, p.Title, p.Degree, p.Semesters, p.CreditsRequired, p.Description, p.Language, p.Status, p.Version, p.UpdatedAt)); err != nil {
			return err
		}
		if err := indexTx(ctx, tx, "programme", id, programmeWords(p)); err != nil {
			return err
		}
		if err := s.programmeNoticeTx(ctx, tx, before, p); err != nil {
			return err
		}
		return bumpRoster(ctx, tx, true)
	})
	return p, err
}

// programmeNoticeTx tells the students actively enrolled in a programme
// that it changed, when it was or is published and anything a student
// sees changed (not merely its version).
func (s *Store) programmeNoticeTx(ctx context.Context, tx *sql.Tx, before, after study.Programme) error {
	if !s.Notices || (before.Status != study.ProgrammePublished && after.Status != study.ProgrammePublished) {
		return nil
	}
	before.Version, before.UpdatedAt = after.Version, after.UpdatedAt
	if before == after {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT subject FROM enrolments WHERE programme_id = $1 AND status = 'active' ORDER BY subject`, after.ID)
	to, err := db.Collect(rows, err, db.Value[string])
	if err != nil {
		return err
	}
	return s.enqueueNoticeTx(ctx, tx, Notice{Kind: NoticeProgrammeChanged,
		Text:   fmt.Sprintf("The programme %s changed.", after.Title),
		TextDE: fmt.Sprintf("Der Studiengang %s wurde geändert.", after.Title),
		Link:   "/programmes/" + after.ID}, to)
}

// bump records a change to the catalogue (see CatalogueRevision); every
// catalogue write calls it in its transaction.
func bump(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1`)
	return err
}

// bumpRoster records a change that can change the rosters (see
// RosterRevision), and with catalogue a change to the catalogue too, in
// one statement.
func bumpRoster(ctx context.Context, tx *sql.Tx, catalogue bool) error {
	q := `UPDATE catalogue_revision SET roster = roster + 1 WHERE id = 1`
	if catalogue {
		q = `UPDATE catalogue_revision SET revision = revision + 1, roster = roster + 1 WHERE id = 1`
	}
	_, err := tx.ExecContext(ctx, q)
	return err
}

// CatalogueRevision is the number of the catalogue's current state: it
// changes whenever a programme, module, lecture or link does.
func (s *Store) CatalogueRevision(ctx context.Context) (int64, error) {
	var rev int64
	err := s.db.QueryRowPrepared(ctx, `SELECT revision FROM catalogue_revision WHERE id = 1`).Scan(&rev)
	return rev, err
}

// checkedUpdate turns "no row at that version" into ErrVersionMismatch.
func checkedUpdate(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return study.ErrVersionMismatch
	}
	return nil
}

// DeleteProgramme removes a programme at version. It refuses while people
// are enrolled, and while modules are linked unless force (then the links
// go with it), listing what refers to it.
func (s *Store) DeleteProgramme(ctx context.Context, id string, version int, force bool) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		p, err := scanProgramme(tx.QueryRowContext(ctx, `SELECT `+programmeColumns+` FROM programmes WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if p.Version != version {
			return study.ErrVersionMismatch
		}
		// Enrolments are records of people; they are never forced away
		// (archive the programme instead).
		enrolled, err := collectLinks(ctx, tx, []linkQuery{{"enrolment", `SELECT id, subject FROM enrolments WHERE programme_id = $1 ORDER BY id`}}, id)
		if err != nil {
			return err
		}
		if len(enrolled) > 0 {
			return &study.LinkedError{Links: enrolled}
		}
		links, err := collectLinks(ctx, tx, []linkQuery{
			{"module", `SELECT m.id, m.code || ' ' || m.title FROM programme_modules pm JOIN modules m ON m.id = pm.module_id WHERE pm.programme_id = $1 ORDER BY m.code`},
		}, id)
		if err != nil {
			return err
		}
		if len(links) > 0 && !force {
			return &study.LinkedError{Links: links}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM programmes WHERE id = $1`, id); err != nil {
			return err
		}
		if err := indexTx(ctx, tx, "programme", id, nil); err != nil {
			return err
		}
		return bumpRoster(ctx, tx, true)
	})
}

type linkQuery struct{ kind, query string }

// collectLinks lists what refers to id (at most 100 of each kind).
func collectLinks(ctx context.Context, tx *sql.Tx, queries []linkQuery, id string) ([]study.Link, error) {
	var links []study.Link
	for _, q := range queries {
		rows, err := tx.QueryContext(ctx, q.query+` LIMIT 100`, id)
		some, err := db.Collect(rows, err, func(r db.Scanner) (study.Link, error) {
			l := study.Link{Kind: q.kind}
			err := r.Scan(&l.ID, &l.Title)
			return l, err
		})
		if err != nil {
			return nil, err
		}
		links = append(links, some...)
	}
	return links, nil
}

// ---- modules

const moduleColumns = `id, code, title, credits, duration_semesters, description, responsible, teaching_form, examination_form, version, created_at, updated_at`

func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ", ")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

func scanModule(row interface{ Scan(...any) error }) (study.Module, error) {
	var m study.Module
	err := row.Scan(&m.ID, &m.Code, &m.Title, &m.Credits, &m.DurationSemesters, &m.Description, &m.Responsible,
		&m.TeachingForm, &m.ExaminationForm, &m.Version, &m.CreatedAt, &m.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return m, study.ErrNotFound
	}
	return m, err
}

// CreateModule stores a new module; ErrConflict when its code is taken.
func (s *Store) CreateModule(ctx context.Context, m study.Module) (study.Module, error) {
	if m.DurationSemesters == 0 {
		m.DurationSemesters = 1
	}
	if err := m.Validate(); err != nil {
		return m, err
	}
	now := s.now().UTC()
	m.ID, m.Version, m.CreatedAt, m.UpdatedAt = newID(), 1, now, now
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO modules (`+moduleColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			m.ID, m.Code, m.Title, m.Credits, m.DurationSemesters, m.Description, m.Responsible, m.TeachingForm, m.ExaminationForm,
			m.Version, m.CreatedAt, m.UpdatedAt); err != nil {
			return err
		}
		if err := indexTx(ctx, tx, "module", m.ID, codeWords(m.Code, m.Title)); err != nil {
			return err
		}
		return bump(ctx, tx)
	})
	if db.IsUniqueViolation(err) {
		return m, fmt.Errorf("a module with code %q exists already: %w", m.Code, study.ErrConflict)
	}
	return m, err
}

// Module returns one module.
func (s *Store) Module(ctx context.Context, id string) (study.Module, error) {
	return scanModule(s.db.QueryRowPrepared(ctx, `SELECT `+moduleColumns+` FROM modules WHERE id = $1`, id))
}

// ModuleDetail returns a module with its lectures and programmes.
func (s *Store) ModuleDetail(ctx context.Context, id string) (study.ModuleDetail, error) {
	var d study.ModuleDetail
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		var err error
		if d.Module, err = scanModule(tx.QueryRowContext(ctx, `SELECT `+moduleColumns+` FROM modules WHERE id = $1`, id)); err != nil {
			return err
		}
		if d.Lectures, err = lecturesWhere(ctx, tx, `l.id IN (SELECT lecture_id FROM module_lectures WHERE module_id = $1)`, id); err != nil {
			return err
		}
		if d.Staff, err = staffOf(ctx, tx, moduleStaff, id); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT p.id, p.title, pm.compulsory, pm.recommended_semester FROM programme_modules pm
			JOIN programmes p ON p.id = pm.programme_id WHERE pm.module_id = $1 ORDER BY p.title`, id)
		d.Programmes, err = db.Collect(rows, err, func(row db.Scanner) (study.ProgrammeRef, error) {
			var r study.ProgrammeRef
			err := row.Scan(&r.ID, &r.Title, &r.Compulsory, &r.RecommendedSemester)
			return r, err
		})
		return err
	})
	return d, err
}

// ListQuery filters a module or lecture list.
type ListQuery struct {
	Q        string
	Semester study.Offered // lectures only
	Page
}

// Modules lists modules by code, a page at a time.
func (s *Store) Modules(ctx context.Context, q ListQuery) ([]study.Module, string, error) {
	var a db.Args
	var where []string
	if q.Q != "" {
		cond, ok := wordConditions(&a, "module", "id", q.Q)
		if !ok {
			return nil, "", nil
		}
		where = append(where, cond...)
	}
	if c, ok := decodeCursor(q.Cursor); ok {
		k, i := a.Add(c.Key), a.Add(c.ID)
		where = append(where, `(code > `+k+` OR (code = `+k+` AND id > `+i+`))`)
	}
	return readPage(ctx, s.db, `SELECT `+moduleColumns+` FROM modules`, where, `code, id`, a, q.limit(), scanModule,
		func(m study.Module) cursor { return cursor{Key: m.Code, ID: m.ID} })
}

// UpdateModule changes a module at version.
func (s *Store) UpdateModule(ctx context.Context, id string, version int, change func(*study.Module)) (study.Module, error) {
	var m study.Module
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if m, err = scanModule(tx.QueryRowContext(ctx, `SELECT `+moduleColumns+` FROM modules WHERE id = $1`, id)); err != nil {
			return err
		}
		if m.Version != version {
			return study.ErrVersionMismatch
		}
		change(&m)
		m.ID = id
		if err := m.Validate(); err != nil {
			return err
		}
		m.Version, m.UpdatedAt = version+1, s.now().UTC()
		err = checkedUpdate(tx.ExecContext(ctx, `UPDATE modules SET code = $3, title = $4, credits = $5, duration_semesters = $6,
			description = $7, responsible = $8, teaching_form = $9, examination_form = $10, version = $11, updated_at = $12
			WHERE id = $1 AND version = $2`, id, version, m.Code, m.Title, m.Credits, m.DurationSemesters, m.Description,
			m.Responsible, m.TeachingForm, m.ExaminationForm, m.Version, m.UpdatedAt))
		if db.IsUniqueViolation(err) {
			return fmt.Errorf("a module with code %q exists already: %w", m.Code, study.ErrConflict)
		}
		if err != nil {
			return err
		}
		if err := indexTx(ctx, tx, "module", id, codeWords(m.Code, m.Title)); err != nil {
			return err
		}
		return bumpRoster(ctx, tx, true)
	})
	return m, err
}

// DeleteModule removes a module at version; refused while programmes,
// lectures or grades refer to it, unless force (grades are never forced
// away: they are records of examinations).
func (s *Store) DeleteModule(ctx context.Context, id string, version int, force bool) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		m, err := scanModule(tx.QueryRowContext(ctx, `SELECT `+moduleColumns+` FROM modules WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if m.Version != version {
			return study.ErrVersionMismatch
		}
		grades, err := collectLinks(ctx, tx, []linkQuery{{"grade", `SELECT id, subject FROM grades WHERE module_id = $1 ORDER BY id`}}, id)
		if err != nil {
			return err
		}
		if len(grades) > 0 {
			return &study.LinkedError{Links: grades}
		}
		links, err := collectLinks(ctx, tx, []linkQuery{
			{"programme", `SELECT p.id, p.title FROM programme_modules pm JOIN programmes p ON p.id = pm.programme_id WHERE pm.module_id = $1 ORDER BY p.title`},
			{"lecture", `SELECT l.id, l.code || ' ' || l.title FROM module_lectures ml JOIN lectures l ON l.id = ml.lecture_id WHERE ml.module_id = $1 ORDER BY l.code`},
		}, id)
		if err != nil {
			return err
		}
		if len(links) > 0 && !force {
			return &study.LinkedError{Links: links}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM modules WHERE id = $1`, id); err != nil {
			return err
		}
		if err := indexTx(ctx, tx, "module", id, nil); err != nil {
			return err
		}
		return bumpRoster(ctx, tx, true)
	})
}

// ---- lectures

const lectureColumns = `id, code, title, description, semester, responsible, hours_per_week, version, created_at, updated_at`

func scanLecture(row interface{ Scan(...any) error }) (study.Lecture, error) {
	var l study.Lecture
	err := row.Scan(&l.ID, &l.Code, &l.Title, &l.Description, &l.Semester, &l.Responsible, &l.HoursPerWeek, &l.Version, &l.CreatedAt, &l.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return l, study.ErrNotFound
	}
	return l, err
}

func lecturesWhere(ctx context.Context, tx *sql.Tx, where string, args ...any) ([]study.Lecture, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+prefixed("l", lectureColumns)+` FROM lectures l WHERE `+where+` ORDER BY l.code`, args...)
	return db.Collect(rows, err, scanLecture)
}

// CreateLecture stores a new lecture; ErrConflict when its code is taken.
func (s *Store) CreateLecture(ctx context.Context, l study.Lecture) (study.Lecture, error) {
	if l.Semester == "" {
		l.Semester = study.OfferedBoth
	}
	if err := l.Validate(); err != nil {
		return l, err
	}
	now := s.now().UTC()
	l.ID, l.Version, l.CreatedAt, l.UpdatedAt = newID(), 1, now, now
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO lectures (`+lectureColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			l.ID, l.Code, l.Title, l.Description, l.Semester, l.Responsible, l.HoursPerWeek, l.Version, l.CreatedAt, l.UpdatedAt); err != nil {
			return err
		}
		if err := indexTx(ctx, tx, "lecture", l.ID, codeWords(l.Code, l.Title)); err != nil {
			return err
		}
		return bump(ctx, tx)
	})
	if db.IsUniqueViolation(err) {
		return l, fmt.Errorf("a lecture with code %q exists already: %w", l.Code, study.ErrConflict)
	}
	return l, err
}

// Lecture returns one lecture.
func (s *Store) Lecture(ctx context.Context, id string) (study.Lecture, error) {
	return scanLecture(s.db.QueryRowPrepared(ctx, `SELECT `+lectureColumns+` FROM lectures WHERE id = $1`, id))
}

// LectureDetail returns a lecture with the modules using it.
func (s *Store) LectureDetail(ctx context.Context, id string) (study.LectureDetail, error) {
	var d study.LectureDetail
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		var err error
		if d.Lecture, err = scanLecture(tx.QueryRowContext(ctx, `SELECT `+lectureColumns+` FROM lectures WHERE id = $1`, id)); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT m.id, m.code, m.title FROM module_lectures ml JOIN modules m ON m.id = ml.module_id
			WHERE ml.lecture_id = $1 ORDER BY m.code`, id)
		d.Modules, err = db.Collect(rows, err, func(row db.Scanner) (study.ModuleRef, error) {
			var r study.ModuleRef
			err := row.Scan(&r.ID, &r.Code, &r.Title)
			return r, err
		})
		return err
	})
	return d, err
}

// Lectures lists lectures by code, a page at a time.
func (s *Store) Lectures(ctx context.Context, q ListQuery) ([]study.Lecture, string, error) {
	var a db.Args
	var where []string
	if q.Q != "" {
		cond, ok := wordConditions(&a, "lecture", "id", q.Q)
		if !ok {
			return nil, "", nil
		}
		where = append(where, cond...)
	}
	if q.Semester != "" {
		where = append(where, `semester = `+a.Add(string(q.Semester)))
	}
	if c, ok := decodeCursor(q.Cursor); ok {
		k, i := a.Add(c.Key), a.Add(c.ID)
		where = append(where, `(code > `+k+` OR (code = `+k+` AND id > `+i+`))`)
	}
	return readPage(ctx, s.db, `SELECT `+lectureColumns+` FROM lectures`, where, `code, id`, a, q.limit(), scanLecture,
		func(l study.Lecture) cursor { return cursor{Key: l.Code, ID: l.ID} })
}

// UpdateLecture changes a lecture at version.
func (s *Store) UpdateLecture(ctx context.Context, id string, version int, change func(*study.Lecture)) (study.Lecture, error) {
	var l study.Lecture
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if l, err = scanLecture(tx.QueryRowContext(ctx, `SELECT `+lectureColumns+` FROM lectures WHERE id = $1`, id)); err != nil {
			return err
		}
		if l.Version != version {
			return study.ErrVersionMismatch
		}
		change(&l)
		l.ID = id
		if err := l.Validate(); err != nil {
			return err
		}
		l.Version, l.UpdatedAt = version+1, s.now().UTC()
		err = checkedUpdate(tx.ExecContext(ctx, `UPDATE lectures SET code = $3, title = $4, description = $5, semester = $6,
			responsible = $7, hours_per_week = $8, version = $9, updated_at = $10 WHERE id = $1 AND version = $2`,
			id, version, l.Code, l.Title, l.Description, l.Semester, l.Responsible, l.HoursPerWeek, l.Version, l.UpdatedAt))
		if db.IsUniqueViolation(err) {
			return fmt.Errorf("a lecture with code %q exists already: %w", l.Code, study.ErrConflict)
		}
		if err != nil {
			return err
		}
		if err := indexTx(ctx, tx, "lecture", id, codeWords(l.Code, l.Title)); err != nil {
			return err
		}
		return bump(ctx, tx)
	})
	return l, err
}

// DeleteLecture removes a lecture at version; refused while modules or
// grades refer to it (modules can be forced, grades never).
func (s *Store) DeleteLecture(ctx context.Context, id string, version int, force bool) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		l, err := scanLecture(tx.QueryRowContext(ctx, `SELECT `+lectureColumns+` FROM lectures WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if l.Version != version {
			return study.ErrVersionMismatch
		}
		grades, err := collectLinks(ctx, tx, []linkQuery{{"grade", `SELECT id, subject FROM grades WHERE lecture_id = $1 ORDER BY id`}}, id)
		if err != nil {
			return err
		}
		if len(grades) > 0 {
			return &study.LinkedError{Links: grades}
		}
		links, err := collectLinks(ctx, tx, []linkQuery{
			{"module", `SELECT m.id, m.code || ' ' || m.title FROM module_lectures ml JOIN modules m ON m.id = ml.module_id WHERE ml.lecture_id = $1 ORDER BY m.code`},
		}, id)
		if err != nil {
			return err
		}
		if len(links) > 0 && !force {
			return &study.LinkedError{Links: links}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM lectures WHERE id = $1`, id); err != nil {
			return err
		}
		if err := indexTx(ctx, tx, "lecture", id, nil); err != nil {
			return err
		}
		return bump(ctx, tx)
	})
}

// ---- links

// LinkModule puts a module into a programme, or updates how it is part of
// it; created tells which.
func (s *Store) LinkModule(ctx context.Context, pm study.ProgrammeModule) (created bool, err error) {
	if err := pm.Validate(); err != nil {
		return false, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		semesters, err := lockProgramme(ctx, tx, pm.ProgrammeID)
		if err != nil {
			return fmt.Errorf("programme: %w", err)
		}
		if err := exists(ctx, tx, `SELECT COUNT(*) FROM modules WHERE id = $1`, pm.ModuleID); err != nil {
			return fmt.Errorf("module: %w", err)
		}
		if err := pm.CheckRecommendedSemester(semesters); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE programme_modules SET compulsory = $3, recommended_semester = $4
			WHERE programme_id = $1 AND module_id = $2`, pm.ProgrammeID, pm.ModuleID, pm.Compulsory, pm.RecommendedSemester)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			created = true
			if _, err := tx.ExecContext(ctx, `INSERT INTO programme_modules (programme_id, module_id, compulsory, recommended_semester)
				VALUES ($1, $2, $3, $4)`, pm.ProgrammeID, pm.ModuleID, pm.Compulsory, pm.RecommendedSemester); err != nil {
				return err
			}
		}
		return bumpRoster(ctx, tx, true)
	})
	return created, err
}

// UnlinkModule takes a module out of a programme.
func (s *Store) UnlinkModule(ctx context.Context, programmeID, moduleID string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := deleted(tx.ExecContext(ctx, `DELETE FROM programme_modules WHERE programme_id = $1 AND module_id = $2`, programmeID, moduleID)); err != nil {
			return err
		}
		return bumpRoster(ctx, tx, true)
	})
}

// LinkLecture puts a lecture into a module; created is false when it was
// there already.
func (s *Store) LinkLecture(ctx context.Context, moduleID, lectureID string) (created bool, err error) {
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, `SELECT COUNT(*) FROM modules WHERE id = $1`, moduleID); err != nil {
			return fmt.Errorf("module: %w", err)
		}
		if err := exists(ctx, tx, `SELECT COUNT(*) FROM lectures WHERE id = $1`, lectureID); err != nil {
			return fmt.Errorf("lecture: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO module_lectures (module_id, lecture_id) VALUES ($1, $2)
			ON CONFLICT (module_id, lecture_id) DO NOTHING`, moduleID, lectureID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		created = n == 1
		return bump(ctx, tx)
	})
	return created, err
}

// UnlinkLecture takes a lecture out of a module.
func (s *Store) UnlinkLecture(ctx context.Context, moduleID, lectureID string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := deleted(tx.ExecContext(ctx, `DELETE FROM module_lectures WHERE module_id = $1 AND lecture_id = $2`, moduleID, lectureID)); err != nil {
			return err
		}
		return bump(ctx, tx)
	})
}

// lockProgramme locks a programme's row until the transaction ends and
// returns its standard period. Linking a module and shortening the period
// both take the lock before they check one against the other, so on
// PostgreSQL (read committed) neither can slip past the other's check;
// SQLite runs one writing transaction at a time anyway.
func lockProgramme(ctx context.Context, tx *sql.Tx, id string) (semesters int, err error) {
	err = tx.QueryRowContext(ctx, `UPDATE programmes SET semesters = semesters WHERE id = $1 RETURNING semesters`, id).Scan(&semesters)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, study.ErrNotFound
	}
	return semesters, err
}

func exists(ctx context.Context, tx *sql.Tx, query, id string) error {
	var n int
	if err := tx.QueryRowContext(ctx, query, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return study.ErrNotFound
	}
	return nil
}

func deleted(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return study.ErrNotFound
	}
	return nil
}
