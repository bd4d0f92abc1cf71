package store

import (
	"context"
	"database/sql"
	"fmt"

	"campus/internal/db"
)

// Responsible staff of programmes and modules, by subject id. They are
// part of the catalogue (the detail views show them) and of the rosters
// (the admins of the course groups in messages): a change bumps both
// revisions.

// staffTable names the table and columns of one kind of staff.
type staffTable struct{ table, owner, ownerColumn string }

var (
	programmeStaff = staffTable{"programme_staff", "programmes", "programme_id"}
	moduleStaff    = staffTable{"module_staff", "modules", "module_id"}
)

// AddProgrammeStaff makes subject responsible for a programme; created is
// false when they were already. ErrNotFound without the programme.
func (s *Store) AddProgrammeStaff(ctx context.Context, programmeID, subject string) (created bool, err error) {
	return s.addStaff(ctx, programmeStaff, programmeID, subject)
}

// RemoveProgrammeStaff ends subject's responsibility for a programme;
// ErrNotFound when they had none.
func (s *Store) RemoveProgrammeStaff(ctx context.Context, programmeID, subject string) error {
	return s.removeStaff(ctx, programmeStaff, programmeID, subject)
}

// AddModuleStaff makes subject responsible for a module (see
// AddProgrammeStaff).
func (s *Store) AddModuleStaff(ctx context.Context, moduleID, subject string) (created bool, err error) {
	return s.addStaff(ctx, moduleStaff, moduleID, subject)
}

// RemoveModuleStaff ends subject's responsibility for a module.
func (s *Store) RemoveModuleStaff(ctx context.Context, moduleID, subject string) error {
	return s.removeStaff(ctx, moduleStaff, moduleID, subject)
}

func (s *Store) addStaff(ctx context.Context, t staffTable, id, subject string) (created bool, err error) {
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := exists(ctx, tx, `SELECT COUNT(*) FROM `+t.owner+` WHERE id = $1`, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO `+t.table+` (`+t.ownerColumn+`, subject) VALUES ($1, $2)
			ON CONFLICT (`+t.ownerColumn+`, subject) DO NOTHING`, id, subject)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // nothing changed: no revision either
		}
		created = true
		return bumpRoster(ctx, tx, true)
	})
	return created, err
}

func (s *Store) removeStaff(ctx context.Context, t staffTable, id, subject string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := deleted(tx.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE `+t.ownerColumn+` = $1 AND subject = $2`, id, subject)); err != nil {
			return err
		}
		return bumpRoster(ctx, tx, true)
	})
}

// staffOf lists the staff of one programme or module, by subject.
func staffOf(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, t staffTable, id string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT subject FROM `+t.table+` WHERE `+t.ownerColumn+` = $1 ORDER BY subject`, id)
	staff, err := db.Collect(rows, err, db.Value[string])
	if err != nil {
		return nil, fmt.Errorf("staff of %s: %w", id, err)
	}
	if staff == nil {
		staff = []string{}
	}
	return staff, nil
}
