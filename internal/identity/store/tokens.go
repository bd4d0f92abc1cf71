package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"campus/internal/db"
	"campus/internal/identity"
)

// Errors of the tokens sent by mail.
var (
	// ErrTokenInvalid is the one answer for a token that does not exist,
	// was used, was replaced by a newer one or expired.
	ErrTokenInvalid = errors.New("the link is not valid any more")
	// ErrRateLimited refuses another token too soon after the last ones.
	ErrRateLimited = errors.New("too many mails of this kind lately")
)

// Issue is a single-use token with the mail that carries it.
type Issue struct {
	Token identity.Token
	Mail  identity.Mail
}

// Rate bounds how often tokens of one purpose are issued to one account:
// at most PerHour in the last hour, and not again within Gap of the last.
type Rate struct {
	PerHour int
	Gap     time.Duration
}

// issueTx stores the token, retires the account's earlier unused tokens of
// the same purpose (only the newest link works) and queues its mail, if
// it has one (by default about the token's account).
func (s *Store) issueTx(ctx context.Context, tx *sql.Tx, now time.Time, accountID string, is Issue) error {
	now = now.UTC()
	if _, err := tx.ExecContext(ctx, `UPDATE account_tokens SET used_at = $3 WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL`,
		accountID, is.Token.Purpose, now); err != nil {
		return err
	}
	if err := s.keysLoaded(ctx, tx); err != nil {
		return err
	}
	email, err := s.ring.Seal(is.Token.Email, "account_tokens", is.Token.Hash, "email")
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO account_tokens (token_hash, account_id, purpose, email, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, is.Token.Hash, accountID, is.Token.Purpose, email, now, is.Token.ExpiresAt.UTC()); err != nil {
		return fmt.Errorf("store %s token: %w", is.Token.Purpose, err)
	}
	if is.Mail.Kind == "" {
		return nil // a token nobody is sent (a decoy)
	}
	if is.Mail.AccountID == "" {
		is.Mail.AccountID = accountID
	}
	return s.enqueueMailTx(ctx, tx, now, is.Mail)
}

// IssueToken issues a token to an account and queues its mail, unless the
// rate refuses (ErrRateLimited).
func (s *Store) IssueToken(ctx context.Context, accountID string, is Issue, rate Rate) error {
	now := s.now().UTC()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT created_at FROM account_tokens
			WHERE account_id = $1 AND purpose = $2 AND created_at > $3`, accountID, is.Token.Purpose, now.Add(-time.Hour))
		times, err := db.Collect(rows, err, db.Value[time.Time])
		if err != nil {
			return err
		}
		limited := false
		for _, at := range times {
			limited = limited || now.Sub(at) < rate.Gap
		}
		if limited || (rate.PerHour > 0 && len(times) >= rate.PerHour) {
			return ErrRateLimited
		}
		return s.issueTx(ctx, tx, now, accountID, is)
	})
}

// RegisterConfirmed is Register with the confirmation token and its mail,
// all in one transaction.
func (s *Store) RegisterConfirmed(ctx context.Context, a identity.Account, passwordHash string, is Issue) (identity.Account, error) {
	return s.register(ctx, a, passwordHash, &is)
}

// tokenTx finds a token that may be used now, locking nothing: its use is a
// conditional update (useTokenTx).
func (s *Store) tokenTx(ctx context.Context, tx *sql.Tx, purpose, hash string, now time.Time) (identity.Token, string, error) {
	t := identity.Token{Purpose: purpose, Hash: hash}
	var accountID string
	err := tx.QueryRowContext(ctx, `SELECT account_id, email, expires_at FROM account_tokens
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`, hash, purpose, now.UTC()).Scan(&accountID, &t.Email, &t.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return t, "", ErrTokenInvalid
	}
	if err != nil {
		return t, "", err
	}
	t.Email, err = s.open(ctx, t.Email, "account_tokens", hash, "email")
	return t, accountID, err
}

// useTokenTx spends a token once: of two requests racing with the same
// token, one wins.
func useTokenTx(ctx context.Context, tx *sql.Tx, hash string, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE account_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL`, hash, now.UTC())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrTokenInvalid
	}
	return nil
}

// TokenAccount returns the account a usable token belongs to, and the
// token, without using it (to show the form the token opens).
func (s *Store) TokenAccount(ctx context.Context, purpose, hash string) (AccountRecord, identity.Token, error) {
	var rec AccountRecord
	var t identity.Token
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		var id string
		var err error
		if t, id, err = s.tokenTx(ctx, tx, purpose, hash, s.now()); err != nil {
			return err
		}
		rec, err = s.recordTx(ctx, tx, id)
		return err
	})
	return rec, t, err
}

// PendingEmail is the address an account is confirming instead of its
// current one, "" when none.
func (s *Store) PendingEmail(ctx context.Context, accountID string) (string, error) {
	// Both addresses are sealed (with different nonces): they are
	// compared decrypted.
	var hash, email, current string
	err := s.db.QueryRowContext(ctx, `SELECT t.token_hash, t.email, a.email FROM account_tokens t JOIN accounts a ON a.id = t.account_id
		WHERE t.account_id = $1 AND t.purpose = 'confirm_email' AND t.used_at IS NULL AND t.expires_at > $2
		ORDER BY t.created_at DESC LIMIT 1`, accountID, s.now().UTC()).Scan(&hash, &email, &current)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if email, err = s.open(ctx, email, "account_tokens", hash, "email"); err != nil {
		return "", err
	}
	if current, err = s.open(ctx, current, "accounts", accountID, "email"); err != nil {
		return "", err
	}
	if email == current {
		return "", nil
	}
	return email, nil
}

// ConfirmEmail spends a confirmation token: the address it names becomes
// the account's confirmed address. When it replaces another address,
// notice renders the mail that tells the old address, queued in the same
// transaction. A *TakenError says another account took the address
// meanwhile.
func (s *Store) ConfirmEmail(ctx context.Context, hash string, notice func(rec AccountRecord, old string) (identity.Mail, error)) (AccountRecord, error) {
	var out AccountRecord
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		t, id, err := s.tokenTx(ctx, tx, identity.TokenConfirmEmail, hash, now)
		if err != nil {
			return err
		}
		if err := useTokenTx(ctx, tx, hash, now); err != nil {
			return err
		}
		rec, err := s.recordTx(ctx, tx, id)
		if err != nil {
			return err
		}
		old := rec.Email
		if Key(old) != Key(t.Email) {
			if err := s.takenTx(ctx, tx, rec.Username, t.Email, id); err != nil {
				return err
			}
		}
		rec.Email, rec.EmailVerified, rec.UpdatedAt = t.Email, true, now.UTC()
		if err := s.keysLoaded(ctx, tx); err != nil {
			return err
		}
		sealed, err := s.ring.Seal(rec.Email, "accounts", id, "email")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET email = $2, email_key = $3, email_verified = TRUE, updated_at = $4,
			version = version + 1 WHERE id = $1`, id, sealed, s.loginKey(rec.Email), rec.UpdatedAt); err != nil {
			if db.IsUniqueViolation(err) {
				return &TakenError{Email: true}
			}
			return err
		}
		rec.Version++
		if old != rec.Email {
			if err := s.indexAccountTx(ctx, tx, rec.Account); err != nil {
				return err
			}
			if err := s.noticeTx(ctx, tx, now, id, func() (identity.Mail, error) { return notice(rec, old) }); err != nil {
				return err
			}
		}
		out = rec
		return nil
	})
	return out, err
}

// ResetPassword spends a reset token: the account gets the new password
// hash, its lockout ends, its other reset links die, every access and
// refresh token of it is revoked and the notice is queued, all at once. The caller ends
// the account's sessions (which tells their applications).
func (s *Store) ResetPassword(ctx context.Context, hash, passwordHash string, notice func(AccountRecord) (identity.Mail, error)) (AccountRecord, error) {
	var out AccountRecord
	now := s.now().UTC()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, id, err := s.tokenTx(ctx, tx, identity.TokenResetPassword, hash, now)
		if err != nil {
			return err
		}
		if err := useTokenTx(ctx, tx, hash, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE account_tokens SET used_at = $2 WHERE account_id = $1 AND purpose = 'reset_password' AND used_at IS NULL`,
			id, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET password_hash = $2, failed_logins = 0, locked_until = NULL,
			updated_at = $3, version = version + 1 WHERE id = $1`, id, passwordHash, now); err != nil {
			return err
		}
		// Every token of the account dies with the old password, at
		// once at every resource server (the revocation feed).
		if err := revokeSubjectTx(ctx, tx, id, now); err != nil {
			return err
		}
		rec, err := s.recordTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.noticeTx(ctx, tx, now, id, func() (identity.Mail, error) { return notice(rec) }); err != nil {
			return err
		}
		out = rec
		return nil
	})
	return out, err
}

// noticeTx renders a notice about the account and queues it in tx.
func (s *Store) noticeTx(ctx context.Context, tx *sql.Tx, now time.Time, accountID string, render func() (identity.Mail, error)) error {
	m, err := render()
	if err != nil {
		return err
	}
	m.AccountID = accountID
	return s.enqueueMailTx(ctx, tx, now, m)
}
