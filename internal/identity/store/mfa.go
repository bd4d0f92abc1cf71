package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"campus/internal/db"
	"campus/internal/identity"
)

const factorColumns = `id, account_id, kind, name, secret, COALESCE(credential_id, ''), credential, created_at, last_used_at`

func (s *Store) scanFactor(ctx context.Context, row db.Scanner) (identity.Factor, error) {
	var f identity.Factor
	var secret, cred string
	var used sql.NullTime
	if err := row.Scan(&f.ID, &f.AccountID, &f.Kind, &f.Name, &secret, &f.CredentialID, &cred, &f.CreatedAt, &used); err != nil {
		return f, err
	}
	if used.Valid {
		f.LastUsedAt = &used.Time
	}
	if cred != "" {
		f.Credential = []byte(cred)
	}
	if secret != "" {
		plain, err := s.open(ctx, secret, "mfa_factors", f.ID, "secret")
		if err != nil {
			return f, fmt.Errorf("open the secret of factor %s: %w", f.ID, err)
		}
		f.Secret = plain
	}
	return f, nil
}

// Factors lists a person's second factors, oldest first.
func (s *Store) Factors(ctx context.Context, accountID string) ([]identity.Factor, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+factorColumns+` FROM mfa_factors WHERE account_id = $1 ORDER BY created_at, id`, accountID)
	out, err := db.Collect(rows, err, func(r db.Scanner) (identity.Factor, error) { return s.scanFactor(ctx, r) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// maxFactors bounds a person's factors: enough for every device one owns.
const maxFactors = 20

// ErrTooManyFactors is returned by AddFactor at maxFactors.
var ErrTooManyFactors = fmt.Errorf("at most %d second factors per person: %w", maxFactors, identity.ErrConflict)

// AddFactor stores a new second factor (ID and CreatedAt are set here);
// ErrConflict when the WebAuthn credential is registered already,
// ErrTooManyFactors at the limit.
func (s *Store) AddFactor(ctx context.Context, f identity.Factor) (identity.Factor, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return f, err
	}
	f.ID, f.CreatedAt, f.LastUsedAt = id.String(), s.now().UTC(), nil
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.keysLoaded(ctx, tx); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM mfa_factors WHERE account_id = $1`, f.AccountID).Scan(&n); err != nil {
			return err
		}
		if n >= maxFactors {
			return ErrTooManyFactors
		}
		secret := ""
		if f.Secret != "" {
			if secret, err = s.ring.Seal(f.Secret, "mfa_factors", f.ID, "secret"); err != nil {
				return err
			}
		}
		var credID any
		if f.CredentialID != "" {
			credID = f.CredentialID
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO mfa_factors (id, account_id, kind, name, secret, credential_id, credential, created_at, last_step)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, f.ID, f.AccountID, f.Kind, f.Name, secret, credID, string(f.Credential), f.CreatedAt, max(f.LastStep, 0))
		if db.IsUniqueViolation(err) {
			return fmt.Errorf("this passkey or security key is registered already: %w", identity.ErrConflict)
		}
		return err
	})
	return f, err
}

// RemoveFactor deletes one of a person's factors; ErrNotFound when the
// person has no such factor.
func (s *Store) RemoveFactor(ctx context.Context, accountID, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM mfa_factors WHERE id = $1 AND account_id = $2`, id, accountID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = identity.ErrNotFound
		}
		return err
	}
	return nil
}

// ResetFactors deletes every second factor and recovery code of a person
// and the ceremonies they have in progress (an administrator's reset for
// someone who lost theirs); it returns how many factors there were.
func (s *Store) ResetFactors(ctx context.Context, accountID string) (int, error) {
	var n int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM mfa_factors WHERE account_id = $1`, accountID)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE account_id = $1`, accountID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM mfa_ceremonies WHERE account_id = $1`, accountID)
		return err
	})
	return int(n), err
}

// UseTOTPStep takes time step step of an authenticator app: true when it
// is later than every step taken before, so that a code is accepted once
// (RFC 6238 section 5.2), on whichever replica it arrives first.
func (s *Store) UseTOTPStep(ctx context.Context, factorID string, step int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE mfa_factors SET last_step = $2, last_used_at = $3 WHERE id = $1 AND last_step < $2`,
		factorID, step, s.now().UTC())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UpdateWebAuthnCredential stores a credential record after a use (its
// signature counter and flags move) and notes the use.
func (s *Store) UpdateWebAuthnCredential(ctx context.Context, factorID string, credential []byte) error {
	_, err := s.db.ExecContext(ctx, `UPDATE mfa_factors SET credential = $2, last_used_at = $3 WHERE id = $1`,
		factorID, string(credential), s.now().UTC())
	return err
}

// recoveryHash is how a recovery code is stored: a keyed hash (HMAC-SHA-256
// with the data key ring's index key) of the person and the code, so that
// a copy of the database alone cannot be searched for the codes.
func (s *Store) recoveryHash(accountID, code string) string {
	return s.ring.Index("recovery-code", accountID+"\x00"+code)
}

// SetRecoveryCodes replaces a person's recovery codes (normalised, as
// mfa.NormaliseRecoveryCode makes them); only their hashes are kept.
func (s *Store) SetRecoveryCodes(ctx context.Context, accountID string, codes []string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE account_id = $1`, accountID); err != nil {
			return err
		}
		for _, c := range codes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (account_id, code_hash) VALUES ($1, $2)`,
				accountID, s.recoveryHash(accountID, c)); err != nil {
				return err
			}
		}
		return nil
	})
}

// UseRecoveryCode spends a recovery code (normalised): true when it was
// one of the person's and unused; a code is spent once, on any replica.
func (s *Store) UseRecoveryCode(ctx context.Context, accountID, code string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $3 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL`,
		accountID, s.recoveryHash(accountID, code), s.now().UTC())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RecoveryCodesLeft counts a person's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, accountID string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL`, accountID).Scan(&n)
	return n, err
}

// ceremonyTTL bounds how long a ceremony may take: a person reading a
// code off a phone, or finding their security key.
const ceremonyTTL = 10 * time.Minute

// maxCeremonyAttempts is how many wrong codes one ceremony takes before it
// ends (the account's lockout counts them too).
const maxCeremonyAttempts = 5

// CreateCeremony stores a ceremony (CreatedAt and, when zero, ExpiresAt
// are set here).
func (s *Store) CreateCeremony(ctx context.Context, c identity.Ceremony) error {
	now := s.now().UTC()
	c.CreatedAt = now
	if c.ExpiresAt.IsZero() {
		c.ExpiresAt = now.Add(ceremonyTTL)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		data, err := s.sealCeremonyData(ctx, tx, c)
		if err != nil {
			return err
		}
		var account any
		if c.AccountID != "" {
			account = c.AccountID
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO mfa_ceremonies (id_hash, account_id, purpose, auth_request_id, amr, data, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.IDHash, account, c.Purpose, c.AuthRequestID, list(c.AMR), data, now, c.ExpiresAt.UTC())
		return err
	})
}

func (s *Store) sealCeremonyData(ctx context.Context, tx *sql.Tx, c identity.Ceremony) (string, error) {
	if c.Data == "" {
		return "", nil
	}
	if err := s.keysLoaded(ctx, tx); err != nil {
		return "", err
	}
	return s.ring.Seal(c.Data, "mfa_ceremonies", c.IDHash, "data")
}

// Ceremony returns a ceremony in progress; ErrNotFound when there is none
// (or it expired, or took too many wrong codes).
func (s *Store) Ceremony(ctx context.Context, idHash string) (identity.Ceremony, error) {
	var c identity.Ceremony
	var account sql.NullString
	var amr, data string
	err := s.db.QueryRowContext(ctx, `SELECT id_hash, account_id, purpose, auth_request_id, amr, data, attempts, created_at, expires_at
		FROM mfa_ceremonies WHERE id_hash = $1 AND expires_at > $2 AND attempts < $3`, idHash, s.now().UTC(), maxCeremonyAttempts).Scan(
		&c.IDHash, &account, &c.Purpose, &c.AuthRequestID, &amr, &data, &c.Attempts, &c.CreatedAt, &c.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, identity.ErrNotFound
	}
	if err != nil {
		return c, err
	}
	c.AccountID, c.AMR = account.String, parseList(amr)
	if data != "" {
		if c.Data, err = s.open(ctx, data, "mfa_ceremonies", c.IDHash, "data"); err != nil {
			return c, err
		}
	}
	return c, nil
}

// UpdateCeremony replaces a ceremony's purpose, proofs and data (an
// enrolment confirmed, a WebAuthn challenge issued).
func (s *Store) UpdateCeremony(ctx context.Context, c identity.Ceremony) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		data, err := s.sealCeremonyData(ctx, tx, c)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE mfa_ceremonies SET purpose = $2, amr = $3, data = $4 WHERE id_hash = $1 AND expires_at > $5`,
			c.IDHash, c.Purpose, list(c.AMR), data, s.now().UTC())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return identity.ErrNotFound
		}
		return nil
	})
}

// FailCeremony counts a wrong code against a ceremony; it reports whether
// the ceremony may still be used.
func (s *Store) FailCeremony(ctx context.Context, idHash string) (bool, error) {
	n := maxCeremonyAttempts
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE mfa_ceremonies SET attempts = attempts + 1 WHERE id_hash = $1`, idHash); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT attempts FROM mfa_ceremonies WHERE id_hash = $1`, idHash).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	return n < maxCeremonyAttempts, err
}

// TakeCeremony ends a ceremony: true for the one caller that ended it
// (a ceremony completes once, whichever replica its last step reaches).
func (s *Store) TakeCeremony(ctx context.Context, idHash string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM mfa_ceremonies WHERE id_hash = $1 AND expires_at > $2`, idHash, s.now().UTC())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
