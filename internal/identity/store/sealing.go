package store

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"campus/internal/db"
	"campus/internal/identity"
	"campus/internal/identity/datakeys"
)

// Personal data at rest (see package datakeys): the store seals usernames,
// e-mail addresses (current and pending), names and directory DNs as it
// writes them and opens them as it reads them; the unique, looked-up
// columns (username_key, email_key, directory_dn_key) hold blind indexes,
// and account_search holds keyed hashes of word prefixes.

// loginKind is the blind index kind of usernames and e-mail addresses:
// one kind for both, since a username cannot hold '@', so that a login is
// looked up with one index value in either column.
const loginKind = "login"

// loginKey is the blind index of a username or an e-mail address.
func (s *Store) loginKey(v string) string { return s.ring.Index(loginKind, Key(v)) }

// noEmailKey is the email_key of an account without an address (an
// event's): unique per account, and never the index of anything typed.
func (s *Store) noEmailKey(id string) string { return s.ring.Index("no-email", id) }

// dnKey is the blind index of a directory DN (compared case-insensitively,
// as the directory does).
func (s *Store) dnKey(dn string) string {
	if dn == "" {
		return ""
	}
	return s.ring.Index("dn", strings.ToLower(dn))
}

// keysLoaded makes sure the ring knows the newest data key version: on
// the first use it reads every version (making version 1 on a new
// database), later it reads the newest number and reloads only when
// another process has added one (campus keys rotate --data-key).
func (s *Store) keysLoaded(ctx context.Context, q execQuerier) error {
	var newest sql.NullInt64
	rows, err := q.QueryContext(ctx, `SELECT MAX(version) FROM data_keys`)
	if err != nil {
		return fmt.Errorf("read data key versions: %w", err)
	}
	err = db.Each(rows, err, func(r db.Scanner) error { return r.Scan(&newest) })
	if err != nil {
		return fmt.Errorf("read data key versions: %w", err)
	}
	if newest.Valid && s.ring.Has(int(newest.Int64)) {
		return nil
	}
	if !newest.Valid {
		if _, err := q.ExecContext(ctx, `INSERT INTO data_keys (version, salt, key_check, created_at) VALUES (1, $1, $2, $3)
			ON CONFLICT (version) DO NOTHING`, datakeys.NewSalt(), s.ring.Check(), s.now().UTC()); err != nil {
			return fmt.Errorf("make the first data key: %w", err)
		}
	}
	return s.reloadKeys(ctx, q)
}

// execQuerier is a transaction or the database.
type execQuerier interface {
	rowQuerier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// ErrWrongKey means the key-encryption key is not the one the database's
// personal data was encrypted with.
var ErrWrongKey = errors.New("the key-encryption key is not the one identity's personal data was encrypted with " +
	"(set CAMPUS_KEY_ENCRYPTION_KEY, or keep identity-secret.key of the data directory, as when the data was written)")

// reloadKeys reads every data key version into the ring.
func (s *Store) reloadKeys(ctx context.Context, q rowQuerier) error {
	if err := s.ring.Locked(); err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, `SELECT version, salt, key_check FROM data_keys ORDER BY version`)
	return db.Each(rows, err, func(r db.Scanner) error {
		var v int
		var salt []byte
		var check string
		if err := r.Scan(&v, &salt, &check); err != nil {
			return err
		}
		if !hmac.Equal([]byte(check), []byte(s.ring.Check())) {
			return ErrWrongKey
		}
		return s.ring.Add(v, salt)
	})
}

// LoadDataKeys reads the data key versions (making the first on a new
// database); the service calls it at start, so that a wrong key shows
// there and not at the first sign-in.
func (s *Store) LoadDataKeys(ctx context.Context) error {
	return s.keysLoaded(ctx, s.db)
}

// open decrypts a stored value; a version made by another process since
// this one loaded its keys is read first.
func (s *Store) open(ctx context.Context, stored, table, id, column string) (string, error) {
	plain, err := s.ring.Open(stored, table, id, column)
	if errors.Is(err, datakeys.ErrUnknownVersion) {
		if err := s.reloadKeys(ctx, s.db); err != nil {
			return "", err
		}
		plain, err = s.ring.Open(stored, table, id, column)
	}
	return plain, err
}

// sealedAccount is how an account's personal data is stored.
type sealedAccount struct {
	Username, Email, DisplayName, GivenName, FamilyName, DN string
	UsernameKey, EmailKey, DNKey                            string
}

// sealAccount seals a's personal data for its row (a.ID must be set).
func (s *Store) sealAccount(a identity.Account) (sealedAccount, error) {
	var out sealedAccount
	var err error
	for _, f := range []struct {
		dst   *string
		plain string
		col   string
	}{
		{&out.Username, a.Username, "username"},
		{&out.Email, a.Email, "email"},
		{&out.DisplayName, a.DisplayName, "display_name"},
		{&out.GivenName, a.GivenName, "given_name"},
		{&out.FamilyName, a.FamilyName, "family_name"},
		{&out.DN, a.DirectoryDN, "directory_dn"},
	} {
		if *f.dst, err = s.ring.Seal(f.plain, "accounts", a.ID, f.col); err != nil {
			return out, err
		}
	}
	out.UsernameKey = s.loginKey(a.Username)
	if strings.TrimSpace(a.Email) == "" {
		out.EmailKey = s.noEmailKey(a.ID)
	} else {
		out.EmailKey = s.loginKey(a.Email)
	}
	out.DNKey = s.dnKey(a.DirectoryDN)
	return out, nil
}

// openAccount decrypts a's personal data in place, as read from its row.
func (s *Store) openAccount(ctx context.Context, a *identity.Account) error {
	var err error
	for _, f := range []struct {
		v   *string
		col string
	}{
		{&a.Username, "username"}, {&a.Email, "email"}, {&a.DisplayName, "display_name"},
		{&a.GivenName, "given_name"}, {&a.FamilyName, "family_name"}, {&a.DirectoryDN, "directory_dn"},
	} {
		if *f.v, err = s.open(ctx, *f.v, "accounts", a.ID, f.col); err != nil {
			return err
		}
	}
	return nil
}
