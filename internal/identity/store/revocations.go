package store

import (
	"context"
	"database/sql"
	"time"

	"campus/internal/db"
)

// SubjectRevocationKeep is how long a subject revocation is kept: longer
// than any access token lives (the configured lifetimes are validated to
// stay below a day), so every token it kills has expired before it goes.
const SubjectRevocationKeep = 25 * time.Hour

// RevocationOverlap is how far back each poll of the feed looks before the
// time the previous poll was answered. A revocation is stamped with the time
// its transaction began but becomes visible only when it commits, and the
// replicas' clocks differ a little; repeating a minute of entries costs
// nothing, since applying an entry twice changes nothing.
const RevocationOverlap = time.Minute

// Revocation is one entry of the revocation feed: an access token (by jti)
// that is dead, or a subject whose tokens issued before At are dead.
type Revocation struct {
	Kind    string // "jti" or "sub"
	Value   string
	At      time.Time
	Expires time.Time
}

// RevokeSubject kills every token of the account issued up to now: its
// access tokens (by jti), its refresh tokens, and, through the feed's
// subject entry, anything a resource server still holds (cached API key
// introspections, tokens issued in this very second). Sessions are not
// ended here: the caller ends them with back-channel logout.
func (s *Store) RevokeSubject(ctx context.Context, accountID string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return revokeSubjectTx(ctx, tx, accountID, s.now().UTC()) })
}

func revokeSubjectTx(ctx context.Context, tx *sql.Tx, accountID string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE access_tokens SET revoked_at = $2
		WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2`, accountID, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $2
		WHERE account_id = $1 AND revoked_at IS NULL`, accountID, now); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO subject_revocations (account_id, revoked_at, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (account_id) DO UPDATE SET revoked_at = excluded.revoked_at, expires_at = excluded.expires_at`,
		accountID, now, now.Add(SubjectRevocationKeep))
	return err
}

// Revocations lists the revocations that may still matter (the tokens they
// name have not expired) and were made after since minus
// RevocationOverlap; a zero since lists them all. asOf is the time to pass
// as since on the next poll.
func (s *Store) Revocations(ctx context.Context, since time.Time) (out []Revocation, asOf time.Time, err error) {
	now := s.now().UTC()
	from := time.Time{}
	if !since.IsZero() {
		from = since.UTC().Add(-RevocationOverlap)
	}
	// One statement, so one snapshot without a transaction, prepared
	// once: every write of a resource server asks for this (see
	// tokencheck.Revocations.Ensure), hundreds of times a second. Each
	// branch reads an index by revoked_at: with an OR of a parameter in
	// one condition, SQLite read the whole table of revoked tokens, which
	// grows with every revocation until the tokens expire. (Rows without
	// revoked_at predate the feed and come in a full poll only.)
	rows, err := s.db.QueryPrepared(ctx, `
			SELECT 'jti', id, revoked_at, expires_at FROM access_tokens WHERE revoked_at > $1 AND expires_at > $2
			UNION ALL
			SELECT 'jti', id, revoked_at, expires_at FROM revoked_access_tokens WHERE revoked_at > $1 AND expires_at > $2
			UNION ALL
			SELECT 'jti', id, COALESCE(revoked_at, $2), expires_at FROM revoked_access_tokens WHERE revoked_at IS NULL AND $3 AND expires_at > $2
			UNION ALL
			SELECT 'sub', account_id, revoked_at, expires_at FROM subject_revocations WHERE revoked_at > $1 AND expires_at > $2`,
		from, now, since.IsZero())
	out, err = db.Collect(rows, err, func(row db.Scanner) (Revocation, error) {
		var r Revocation
		err := row.Scan(&r.Kind, &r.Value, &r.At, &r.Expires)
		return r, err
	})
	return out, now, err
}

// DataVersion is the database's data version (db.DB.DataVersion): while
// it stays the same, Revocations has nothing new. ok is false on
// PostgreSQL.
func (s *Store) DataVersion(ctx context.Context) (int64, bool, error) {
	return s.db.DataVersion(ctx)
}

// RevokeEveryone ends every session and kills every token issued up to
// now, of every account, and returns how many accounts there are. After a
// restore from a backup, what was revoked, ended or disabled since the
// backup was made is not in the database any more: without this, a
// refresh token revoked yesterday would live again.
func (s *Store) RevokeEveryone(ctx context.Context) (int, error) {
	var n int
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET ended_at = $1 WHERE ended_at IS NULL`, now); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM accounts`)
		ids, err := db.Collect(rows, err, db.Value[string])
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := revokeSubjectTx(ctx, tx, id, now); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}
