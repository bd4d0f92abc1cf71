package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"campus/internal/db"
)

// RosterGroup is who belongs to a programme or module now, for its course
// group in messages.
type RosterGroup struct {
	Kind     string // "programme" or "module"
	ID       string
	Code     string // modules only
	Title    string
	Students []string // by subject, sorted
	Staff    []string // by subject, sorted
}

// RosterRevision is the number of the rosters' current state: it changes
// with every enrolment, staff and catalogue change that can change them.
func (s *Store) RosterRevision(ctx context.Context) (int64, error) {
	var rev int64
	err := s.db.QueryRowPrepared(ctx, `SELECT roster FROM catalogue_revision WHERE id = 1`).Scan(&rev)
	return rev, err
}

// Rosters reads every roster in one snapshot: the published programmes
// (students: their active enrolments; staff: programme_staff) and the
// modules of at least one published programme (students: those actively
// enrolled in any published programme holding the module; staff:
// module_staff). start is called first with the snapshot's revision; when
// it answers false (the caller has this revision) nothing more is read.
// Then group is called for each group, programmes then modules, each by
// id.
//
// Module rosters are unions of programme rosters, so they are merged here
// from the programmes' sorted lists instead of joined in SQL: at 100,000
// enrolments and 30 modules a programme that is three million rows the
// database would otherwise join and sort.
func (s *Store) Rosters(ctx context.Context, start func(revision int64) (bool, error), group func(RosterGroup) error) error {
	return s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		if s.db.Dialect() == db.Postgres {
			// One snapshot for the revision and every query (SQLite's read
			// transaction is one already).
			if _, err := tx.ExecContext(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`); err != nil {
				return err
			}
		}
		var rev int64
		if err := tx.QueryRowContext(ctx, `SELECT roster FROM catalogue_revision WHERE id = 1`).Scan(&rev); err != nil {
			return err
		}
		if more, err := start(rev); err != nil || !more {
			return err
		}
		var programmes []RosterGroup
		// A programme is named with its degree (unless its title has it):
		// a university has a B.Sc. and an M.Sc. of the same title, and
		// their course groups must be told apart.
		rows, err := tx.QueryContext(ctx, `SELECT id, degree, title FROM programmes WHERE status = 'published' ORDER BY id`)
		index := map[string]int{}
		err = db.Each(rows, err, func(r db.Scanner) error {
			g := RosterGroup{Kind: "programme", Students: []string{}, Staff: []string{}}
			var degree string
			if err := r.Scan(&g.ID, &degree, &g.Title); err != nil {
				return err
			}
			if degree != "" && !strings.HasPrefix(g.Title, degree) {
				g.Title = degree + " " + g.Title
			}
			index[g.ID] = len(programmes)
			programmes = append(programmes, g)
			return nil
		})
		if err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT e.programme_id, e.subject FROM enrolments e
			JOIN programmes p ON p.id = e.programme_id
			WHERE e.status = 'active' AND p.status = 'published' ORDER BY e.programme_id, e.subject`)
		err = db.Each(rows, err, func(r db.Scanner) error {
			var p, sub string
			if err := r.Scan(&p, &sub); err != nil {
				return err
			}
			g := &programmes[index[p]]
			g.Students = append(g.Students, sub)
			return nil
		})
		if err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT ps.programme_id, ps.subject FROM programme_staff ps
			JOIN programmes p ON p.id = ps.programme_id WHERE p.status = 'published' ORDER BY ps.programme_id, ps.subject`)
		err = db.Each(rows, err, func(r db.Scanner) error {
			var p, sub string
			if err := r.Scan(&p, &sub); err != nil {
				return err
			}
			g := &programmes[index[p]]
			g.Staff = append(g.Staff, sub)
			return nil
		})
		if err != nil {
			return err
		}
		for _, g := range programmes {
			// Sorted bytewise here, whatever the database's collation, so
			// that the lists merge below.
			slices.Sort(g.Students)
			slices.Sort(g.Staff)
			if err := group(g); err != nil {
				return err
			}
		}

		// Modules: their published programmes, then their staff.
		var modules []RosterGroup
		var holders [][]string // programme ids per module
		rows, err = tx.QueryContext(ctx, `SELECT m.id, m.code, m.title, pm.programme_id FROM modules m
			JOIN programme_modules pm ON pm.module_id = m.id JOIN programmes p ON p.id = pm.programme_id
			WHERE p.status = 'published' ORDER BY m.id, pm.programme_id`)
		mindex := map[string]int{}
		err = db.Each(rows, err, func(r db.Scanner) error {
			var g RosterGroup
			var p string
			if err := r.Scan(&g.ID, &g.Code, &g.Title, &p); err != nil {
				return err
			}
			i, ok := mindex[g.ID]
			if !ok {
				i = len(modules)
				mindex[g.ID] = i
				g.Kind, g.Staff = "module", []string{}
				modules = append(modules, g)
				holders = append(holders, nil)
			}
			holders[i] = append(holders[i], p)
			return nil
		})
		if err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT module_id, subject FROM module_staff ORDER BY module_id, subject`)
		err = db.Each(rows, err, func(r db.Scanner) error {
			var m, sub string
			if err := r.Scan(&m, &sub); err != nil {
				return err
			}
			if i, ok := mindex[m]; ok {
				modules[i].Staff = append(modules[i].Staff, sub)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i, g := range modules {
			lists := make([][]string, len(holders[i]))
			for j, p := range holders[i] {
				lists[j] = programmes[index[p]].Students
			}
			g.Students = mergeSorted(lists)
			slices.Sort(g.Staff)
			if err := group(g); err != nil {
				return err
			}
		}
		return nil
	})
}

// mergeSorted is the sorted union of sorted lists, without duplicates.
func mergeSorted(lists [][]string) []string {
	switch len(lists) {
	case 0:
		return []string{}
	case 1:
		return lists[0]
	}
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]string, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
