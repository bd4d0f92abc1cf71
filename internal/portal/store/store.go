package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"time"

	"campus/internal/db"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the portal schema's migrations, for db.Migrate.
var Migrations, _ = fs.Sub(migrations, "migrations")

// ErrNotFound means there is no such live session.
var ErrNotFound = errors.New("no such session")

// Session is a browser's sign-in at the portal. Data holds the tokens,
// sealed by the caller; the store never sees them in the clear.
type Session struct {
	IDHash    string // SHA-256 of the cookie's value
	Subject   string
	IdPSID    string // identity's session id, for back-channel logout
	Data      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Store keeps the portal's sessions.
type Store struct {
	db  *db.DB
	now func() time.Time
}

// New returns a store over an opened, migrated database.
func New(d *db.DB, now func() time.Time) *Store { return &Store{db: d, now: now} }

// Create stores a new session.
func (s *Store) Create(ctx context.Context, sess Session) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (id_hash, subject, idp_sid, data, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, sess.IDHash, sess.Subject, sess.IdPSID, string(sess.Data), sess.CreatedAt.UTC(), sess.ExpiresAt.UTC())
	return err
}

// Get returns a live session.
func (s *Store) Get(ctx context.Context, idHash string) (Session, error) {
	var sess Session
	var data string
	err := s.db.QueryRowPrepared(ctx, `SELECT id_hash, subject, idp_sid, data, created_at, expires_at FROM sessions
		WHERE id_hash = $1 AND expires_at > $2`, idHash, s.now().UTC()).Scan(&sess.IDHash, &sess.Subject, &sess.IdPSID, &data, &sess.CreatedAt, &sess.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return sess, ErrNotFound
	}
	sess.Data = []byte(data)
	return sess, err
}

// SetData replaces a session's sealed data (refreshed tokens).
func (s *Store) SetData(ctx context.Context, idHash string, data []byte) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET data = $2 WHERE id_hash = $1`, idHash, string(data))
	return err
}

// ClaimRefresh takes the session's refresh lease until now+lease, unless
// another request holds it: true means the caller (and no other request,
// on any replica) refreshes the session's tokens now, then calls
// FinishRefresh or ReleaseRefresh. A lease that ran out (its holder died)
// can be taken again.
func (s *Store) ClaimRefresh(ctx context.Context, idHash string, lease time.Duration) (bool, error) {
	now := s.now().UTC()
	res, err := s.db.ExecContext(ctx, `UPDATE sessions SET refreshing_until = $2
		WHERE id_hash = $1 AND expires_at > $3 AND (refreshing_until IS NULL OR refreshing_until < $3)`, idHash, now.Add(lease), now)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// FinishRefresh stores the refreshed tokens and gives the lease up, in
// one statement: whoever waits sees the new tokens when the lease ends.
func (s *Store) FinishRefresh(ctx context.Context, idHash string, data []byte) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET data = $2, refreshing_until = NULL WHERE id_hash = $1`, idHash, string(data))
	return err
}

// ReleaseRefresh gives the refresh lease up without new tokens.
func (s *Store) ReleaseRefresh(ctx context.Context, idHash string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET refreshing_until = NULL WHERE id_hash = $1`, idHash)
	return err
}

// Delete ends one session.
func (s *Store) Delete(ctx context.Context, idHash string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	return err
}

// DeleteByIdPSession ends every portal session of an identity session
// (back-channel logout) and reports how many there were.
func (s *Store) DeleteByIdPSession(ctx context.Context, sid string) (int64, error) {
	if sid == "" {
		return 0, nil
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE idp_sid = $1`, sid)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// DeleteExpired removes sessions past their end.
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, s.now().UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
