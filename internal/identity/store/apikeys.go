package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"campus/internal/db"
	"campus/internal/identity"
)

// APIKeyPrefix starts every API key, so that a key is recognisable in a
// configuration file or a secret scanner's findings.
const APIKeyPrefix = "campus_"

// APIKey is identity's API key, as the store keeps it.
type APIKey = identity.APIKey

// HashAPIKey is how a key is stored and looked up.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// IsAPIKey tells whether a bearer credential has the form of an API key.
func IsAPIKey(s string) bool {
	return strings.HasPrefix(s, APIKeyPrefix) && len(s) > len(APIKeyPrefix)+40
}

// CreateAPIKey makes a key for an account and returns it with its secret,
// which is not kept and cannot be shown again.
func (s *Store) CreateAPIKey(ctx context.Context, accountID, name string, expires *time.Time) (APIKey, string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return APIKey{}, "", err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return APIKey{}, "", err
	}
	secret := APIKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	k := APIKey{ID: id.String(), AccountID: accountID, Name: name, Prefix: secret[:len(APIKeyPrefix)+6], CreatedAt: s.now().UTC()}
	if expires != nil {
		e := expires.UTC()
		k.ExpiresAt = &e
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO api_keys (id, account_id, name, prefix, secret_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, k.ID, accountID, name, k.Prefix, HashAPIKey(secret), k.CreatedAt, nullTime(k.ExpiresAt))
	if err != nil {
		return APIKey{}, "", err
	}
	return k, secret, nil
}

const apiKeyColumns = `id, account_id, name, prefix, created_at, expires_at, last_used_at, revoked_at`

func scanAPIKey(row interface{ Scan(...any) error }) (APIKey, error) {
	var k APIKey
	var exp, used, revoked sql.NullTime
	if err := row.Scan(&k.ID, &k.AccountID, &k.Name, &k.Prefix, &k.CreatedAt, &exp, &used, &revoked); err != nil {
		return k, err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	k.ExpiresAt, k.LastUsedAt, k.RevokedAt = timePtr(exp), timePtr(used), timePtr(revoked)
	return k, nil
}

// APIKeys lists an account's keys that are not revoked, newest first.
func (s *Store) APIKeys(ctx context.Context, accountID string) ([]APIKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE account_id = $1 AND revoked_at IS NULL
		ORDER BY created_at DESC, id DESC`, accountID)
	return db.Collect(rows, err, scanAPIKey)
}

// RevokeAPIKey revokes one of an account's keys; another account's key is
// not found.
func (s *Store) RevokeAPIKey(ctx context.Context, accountID, id string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL`,
		s.now().UTC(), id, accountID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return identity.ErrNotFound
	}
	return nil
}

// UseAPIKey finds the key with this secret and, when it is active and its
// account active, records its use (at most once a minute) and returns it.
// Any other key is not found.
func (s *Store) UseAPIKey(ctx context.Context, secret string) (APIKey, error) {
	k, err := scanAPIKey(s.db.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys k
		WHERE secret_hash = $1 AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = k.account_id AND a.status = 'active')`, HashAPIKey(secret)))
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, identity.ErrNotFound
	}
	if err != nil {
		return APIKey{}, err
	}
	now := s.now().UTC()
	if !k.Active(now) {
		return APIKey{}, identity.ErrNotFound
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= time.Minute {
		if _, err := s.db.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, now, k.ID); err != nil {
			return APIKey{}, err
		}
		k.LastUsedAt = &now
	}
	return k, nil
}
