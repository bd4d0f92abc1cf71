package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"campus/internal/db"
	"campus/internal/identity"
)

// Role is a role with its permissions, the applications its members may
// use (empty: any), its login window and its version (the ETag).
type Role struct {
	Name           string
	Description    string
	Builtin        bool
	Permissions    []identity.Permission
	AllowedClients []string
	LoginWindow    *LoginWindow // nil: any time
	Version        int
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Event is the event whose own role this is ("" for none): its
	// window and applications change only with the event.
	Event string
}

const roleColumns = `name, description, builtin, allowed_clients, login_window, version, created_at, updated_at,
	COALESCE((SELECT e.id FROM events e WHERE e.own_role = roles.name), '')`

func scanRole(row interface{ Scan(...any) error }) (Role, error) {
	var r Role
	var clients string
	var window sql.NullString
	var updated sql.NullTime
	err := row.Scan(&r.Name, &r.Description, &r.Builtin, &clients, &window, &r.Version, &r.CreatedAt, &updated, &r.Event)
	if errors.Is(err, sql.ErrNoRows) {
		return r, identity.ErrNotFound
	}
	r.AllowedClients, r.LoginWindow, r.UpdatedAt = parseList(clients), parseWindowJSON(window), r.CreatedAt
	if updated.Valid { // roles from before 0004 were never updated
		r.UpdatedAt = updated.Time
	}
	if r.AllowedClients == nil {
		r.AllowedClients = []string{}
	}
	return r, err
}

// Roles lists every role by name, with its permissions.
func (s *Store) Roles(ctx context.Context) ([]Role, error) {
	var out []Role
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+roleColumns+` FROM roles ORDER BY name`)
		out, err = db.Collect(rows, err, scanRole)
		if err != nil {
			return err
		}
		perms, err := permissionsTx(ctx, tx, "")
		if err != nil {
			return err
		}
		for i := range out {
			out[i].Permissions = perms[out[i].Name]
		}
		return nil
	})
	return out, err
}

// Role returns one role.
func (s *Store) Role(ctx context.Context, name string) (Role, error) {
	var r Role
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = roleTx(ctx, tx, name)
		return err
	})
	return r, err
}

func roleTx(ctx context.Context, tx *sql.Tx, name string) (Role, error) {
	r, err := scanRole(tx.QueryRowContext(ctx, `SELECT `+roleColumns+` FROM roles WHERE name = $1`, name))
	if err != nil {
		return r, err
	}
	perms, err := permissionsTx(ctx, tx, name)
	r.Permissions = perms[name]
	return r, err
}

// permissionsTx returns the permissions of one role, or of all ("").
func permissionsTx(ctx context.Context, tx *sql.Tx, role string) (map[string][]identity.Permission, error) {
	q, args := `SELECT role, permission FROM role_permissions ORDER BY role, permission`, []any{}
	if role != "" {
		q, args = `SELECT role, permission FROM role_permissions WHERE role = $1 ORDER BY permission`, []any{role}
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	out := map[string][]identity.Permission{}
	err = db.Each(rows, err, func(row db.Scanner) error {
		var r, p string
		if err := row.Scan(&r, &p); err != nil {
			return err
		}
		out[r] = append(out[r], identity.Permission(p))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateRole stores a new role; ErrConflict when one of that name exists.
func (s *Store) CreateRole(ctx context.Context, r Role) (Role, error) {
	now := s.now().UTC()
	r.Builtin, r.Version, r.CreatedAt, r.UpdatedAt = false, 1, now, now
	normaliseRole(&r)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO roles (name, description, builtin, created_at, updated_at, allowed_clients, login_window, version)
			VALUES ($1, $2, FALSE, $3, $3, $4, $5, 1) ON CONFLICT (name) DO NOTHING`,
			r.Name, r.Description, now, list(r.AllowedClients), windowJSON(r.LoginWindow))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = fmt.Errorf("a role named %q exists already: %w", r.Name, identity.ErrConflict)
			}
			return err
		}
		return setPermissionsTx(ctx, tx, r.Name, r.Permissions)
	})
	if err != nil {
		return Role{}, err
	}
	return r, nil
}

// UpdateRole changes a role in one transaction: change modifies what it
// read, and the role is written back with its version increased. version
// is the one the caller read (0: any); ErrStale when it is not current.
// Name, builtin and creation time do not change.
func (s *Store) UpdateRole(ctx context.Context, name string, version int, change func(*Role) error) (Role, error) {
	var out Role
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := roleTx(ctx, tx, name)
		if err != nil {
			return err
		}
		if version != 0 && before.Version != version {
			return ErrStale
		}
		after := before
		after.Permissions = slices.Clone(before.Permissions)
		after.AllowedClients = slices.Clone(before.AllowedClients)
		if err := change(&after); err != nil {
			return err
		}
		after.Name, after.Builtin, after.CreatedAt = before.Name, before.Builtin, before.CreatedAt
		after.UpdatedAt = s.now().UTC()
		normaliseRole(&after)
		res, err := tx.ExecContext(ctx, `UPDATE roles SET description = $3, allowed_clients = $4, login_window = $5,
			updated_at = $6, version = version + 1 WHERE name = $1 AND version = $2`,
			name, before.Version, after.Description, list(after.AllowedClients), windowJSON(after.LoginWindow), after.UpdatedAt)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale
		}
		after.Version = before.Version + 1
		if !slices.Equal(before.Permissions, after.Permissions) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM role_permissions WHERE role = $1`, name); err != nil {
				return err
			}
			if err := setPermissionsTx(ctx, tx, name, after.Permissions); err != nil {
				return err
			}
		}
		out = after
		return nil
	})
	if err != nil {
		return Role{}, err
	}
	return out, nil
}

func normaliseRole(r *Role) {
	slices.Sort(r.Permissions)
	r.Permissions = slices.Compact(r.Permissions)
	if r.AllowedClients == nil {
		r.AllowedClients = []string{}
	}
	slices.Sort(r.AllowedClients)
	r.AllowedClients = slices.Compact(r.AllowedClients)
}

// setPermissionsTx grants perms, which normaliseRole made unique.
func setPermissionsTx(ctx context.Context, tx *sql.Tx, role string, perms []identity.Permission) error {
	for _, p := range perms {
		if _, err := tx.ExecContext(ctx, `INSERT INTO role_permissions (role, permission) VALUES ($1, $2)`, role, string(p)); err != nil {
			return fmt.Errorf("grant %s to %s: %w", p, role, err)
		}
	}
	return nil
}
