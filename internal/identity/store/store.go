package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/google/uuid"

	"campus/internal/db"
	"campus/internal/identity"
	"campus/internal/identity/datakeys"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the identity schema's migrations, for db.Migrate.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Store keeps identity's data.
type Store struct {
	db   *db.DB
	now  func() time.Time
	ring *datakeys.Ring // seals personal data (sealing.go)

	batch int // accounts per transaction of Reencrypt; 0: ReencryptBatch

	// Audited, when set, hears of each event written to the audit trail,
	// once it is written (for metrics: sign-ins, lockouts).
	Audited func(action, outcome string)
}

// New returns a store over an opened, migrated database; ring holds the
// keys of its personal data, derived from the key-encryption key.
func New(d *db.DB, now func() time.Time, ring *datakeys.Ring) *Store {
	return &Store{db: d, now: now, ring: ring}
}

// Key folds a username or e-mail for uniqueness and look-up.
func Key(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

const factFirstAdmin = "first_admin_created"

// FirstAdminCreated reports whether the first administrator was ever
// created. Once it was, campus never creates or resets one again, even if
// that account is later removed.
func (s *Store) FirstAdminCreated(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM installation WHERE fact = $1`, factFirstAdmin).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read installation facts: %w", err)
	}
	return n > 0, nil
}

// CreateFirstAdmin creates the first administrator with the given password
// hash, once per installation. created is false when another process did it
// first (replicas starting together).
func (s *Store) CreateFirstAdmin(ctx context.Context, a identity.Account, passwordHash string) (acc identity.Account, created bool, err error) {
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UTC()
		res, err := tx.ExecContext(ctx, `INSERT INTO installation (fact, done_at) VALUES ($1, $2) ON CONFLICT (fact) DO NOTHING`, factFirstAdmin, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // another process created it first
		}
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		a.ID, a.Status, a.EmailVerified, a.CreatedAt, a.UpdatedAt = id.String(), identity.StatusActive, true, now, now
		a.Roles = []string{identity.RoleAdmin}
		if err := s.insertAccountTx(ctx, tx, a, passwordHash); err != nil {
			return err
		}
		acc, created = a, true
		return nil
	})
	if err != nil {
		return identity.Account{}, false, fmt.Errorf("create first administrator: %w", err)
	}
	return acc, created, nil
}

func (s *Store) insertAccountTx(ctx context.Context, tx *sql.Tx, a identity.Account, passwordHash string) error {
	var hash any
	if passwordHash != "" {
		hash = passwordHash
	}
	if err := s.keysLoaded(ctx, tx); err != nil {
		return err
	}
	p, err := s.sealAccount(a)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO accounts
		(id, username, username_key, email, email_key, display_name, given_name, family_name,
		 semester, programme_id, programme_title, status, email_verified, password_hash, created_at, updated_at, locale,
		 directory_dn, directory_dn_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		a.ID, p.Username, p.UsernameKey, p.Email, p.EmailKey, p.DisplayName, p.GivenName, p.FamilyName,
		a.Semester, a.ProgrammeID, a.ProgrammeTitle, a.Status, a.EmailVerified, hash, a.CreatedAt, a.UpdatedAt, nullString(a.Locale),
		nullString(p.DN), nullString(p.DNKey))
	if err != nil {
		if db.IsUniqueViolation(err) {
			return fmt.Errorf("username or e-mail already taken: %w", identity.ErrConflict)
		}
		return err
	}
	for _, r := range a.Roles {
		if _, err := tx.ExecContext(ctx, `INSERT INTO account_roles (account_id, role) VALUES ($1, $2)`, a.ID, r); err != nil {
			return fmt.Errorf("give role %s: %w", r, err)
		}
	}
	return s.indexAccountTx(ctx, tx, a)
}

const accountColumns = `id, username, email, display_name, given_name, family_name, semester,
	programme_id, programme_title, status, email_verified, password_hash, created_at, updated_at, last_login_at, directory_dn, locale`

// AccountByLogin finds an account by username or e-mail, case-insensitively,
// with its password hash ("" when it has none).
func (s *Store) AccountByLogin(ctx context.Context, login string) (identity.Account, string, error) {
	return s.account(ctx, `username_key = $1 OR email_key = $1`, s.loginKey(login))
}

// Account returns an account by its subject id.
func (s *Store) Account(ctx context.Context, id string) (identity.Account, error) {
	a, _, err := s.account(ctx, `id = $1`, id)
	return a, err
}

func (s *Store) account(ctx context.Context, where string, arg any) (identity.Account, string, error) {
	var a identity.Account
	var hash sql.NullString
	var last sql.NullTime
	var dn, locale sql.NullString
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE `+where, arg).Scan(
			&a.ID, &a.Username, &a.Email, &a.DisplayName, &a.GivenName, &a.FamilyName, &a.Semester,
			&a.ProgrammeID, &a.ProgrammeTitle, &a.Status, &a.EmailVerified, &hash, &a.CreatedAt, &a.UpdatedAt, &last, &dn, &locale)
		if errors.Is(err, sql.ErrNoRows) {
			return identity.ErrNotFound
		}
		if err != nil {
			return err
		}
		a.LastLoginAt, a.DirectoryDN, a.Locale = timePtr(last), dn.String, locale.String
		if err := s.openAccount(ctx, &a); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT role FROM account_roles WHERE account_id = $1 ORDER BY role`, a.ID)
		a.Roles, err = db.Collect(rows, err, db.Value[string])
		return err
	})
	if err != nil {
		return identity.Account{}, "", err
	}
	return a, hash.String, nil
}

// Permissions returns the permissions granted by the account's roles.
func (s *Store) Permissions(ctx context.Context, accountID string) ([]identity.Permission, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT rp.permission FROM role_permissions rp
		JOIN account_roles ar ON ar.role = rp.role WHERE ar.account_id = $1 ORDER BY rp.permission`, accountID)
	return db.Collect(rows, err, db.Value[identity.Permission])
}

// RecordSignIn notes a successful sign-in.
func (s *Store) RecordSignIn(ctx context.Context, accountID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE accounts SET last_login_at = $2, failed_logins = 0, locked_until = NULL WHERE id = $1`,
		accountID, s.now().UTC())
	return err
}

// SetPasswordHash replaces an account's password hash (a rehash with new
// parameters, or a password change).
func (s *Store) SetPasswordHash(ctx context.Context, accountID, hash string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE accounts SET password_hash = $2, updated_at = $3 WHERE id = $1`, accountID, hash, s.now().UTC())
	return err
}

// SignInState returns an account's failed sign-ins and lock.
func (s *Store) SignInState(ctx context.Context, accountID string) (failed int, lockedUntil time.Time, err error) {
	var until sql.NullTime
	err = s.db.QueryRowContext(ctx, `SELECT failed_logins, locked_until FROM accounts WHERE id = $1`, accountID).Scan(&failed, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, identity.ErrNotFound
	}
	return failed, until.Time, err
}

// SetSignInState records failed sign-ins and a lock (zero time: none).
func (s *Store) SetSignInState(ctx context.Context, accountID string, failed int, lockedUntil time.Time) error {
	var until any
	if !lockedUntil.IsZero() {
		until = lockedUntil.UTC()
	}
	_, err := s.db.ExecContext(ctx, `UPDATE accounts SET failed_logins = $2, locked_until = $3 WHERE id = $1`, accountID, failed, until)
	return err
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

// CreateAccount stores a new account with its roles; ErrConflict when the
// username or e-mail is taken.
func (s *Store) CreateAccount(ctx context.Context, a identity.Account, passwordHash string) (identity.Account, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return a, err
	}
	now := s.now().UTC()
	a.ID, a.CreatedAt, a.UpdatedAt = id.String(), now, now
	if a.Status == "" {
		a.Status = identity.StatusActive
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error { return s.insertAccountTx(ctx, tx, a, passwordHash) })
	return a, err
}
