package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"campus/internal/db"
	"campus/internal/identity"
)

// Consent is a person's standing permission for an application.
type Consent struct {
	ClientID  string
	Scopes    []string
	GrantedAt time.Time
}

// Consent returns the scopes a person allowed a client, or none.
func (s *Store) Consent(ctx context.Context, accountID, clientID string) ([]string, error) {
	var scopes string
	err := s.db.QueryRowContext(ctx, `SELECT scopes FROM consents WHERE account_id = $1 AND client_id = $2`, accountID, clientID).Scan(&scopes)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return parseList(scopes), err
}

// SaveConsent records that a person allowed a client these scopes (added
// to what they allowed before).
func (s *Store) SaveConsent(ctx context.Context, accountID, clientID string, scopes []string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var prev string
		err := tx.QueryRowContext(ctx, `SELECT scopes FROM consents WHERE account_id = $1 AND client_id = $2`, accountID, clientID).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		all := parseList(prev)
		for _, sc := range scopes {
			if !contains(all, sc) {
				all = append(all, sc)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO consents (account_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (account_id, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at`,
			accountID, clientID, list(all), s.now().UTC())
		return err
	})
}

// Consents lists the applications a person has allowed.
func (s *Store) Consents(ctx context.Context, accountID string) ([]Consent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT client_id, scopes, granted_at FROM consents WHERE account_id = $1 ORDER BY client_id`, accountID)
	return db.Collect(rows, err, func(r db.Scanner) (Consent, error) {
		var c Consent
		var scopes string
		err := r.Scan(&c.ClientID, &scopes, &c.GrantedAt)
		c.Scopes = parseList(scopes)
		return c, err
	})
}

// WithdrawConsent removes a person's consent for a client and revokes the
// client's refresh tokens for them, so the application loses access now,
// not when its tokens would have expired.
func (s *Store) WithdrawConsent(ctx context.Context, accountID, clientID string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM consents WHERE account_id = $1 AND client_id = $2`, accountID, clientID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return identity.ErrNotFound
		}
		now := s.now().UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $3 WHERE account_id = $1 AND client_id = $2 AND revoked_at IS NULL`,
			accountID, clientID, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE access_tokens SET revoked_at = $3 WHERE account_id = $1 AND client_id = $2 AND revoked_at IS NULL`,
			accountID, clientID, now)
		return err
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
