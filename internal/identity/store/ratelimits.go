package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"campus/internal/db"
)

// TakeToken takes one token from the bucket name/subject, shared by every
// process on the database, and reports whether there was one. A bucket
// earns a token every interval and holds at most window/interval of them;
// full is when the bucket is full again (after the take, or as it stands
// when refused), from which a caller derives Retry-After.
//
// The check and the take are one statement, an upsert on the bucket's row,
// so two replicas cannot both take the last token: PostgreSQL locks the row
// for the DO UPDATE and re-reads its latest version; SQLite has one writer.
// A refused take changes nothing, so hammering does not push the retry time
// out.
func (s *Store) TakeToken(ctx context.Context, name, subject string, now time.Time, interval, window time.Duration) (ok bool, full time.Time, err error) {
	if interval <= 0 || window < interval {
		return false, time.Time{}, fmt.Errorf("take token %s: interval %v and window %v", name, interval, window)
	}
	key := bucketKey(name, subject)
	n := now.UnixNano()
	var tat int64
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if s.db.Dialect() == db.Postgres {
			// A count lost in a crash costs an attacker a few attempts at
			// most; waiting for the WAL to reach disk costs every sign-in
			// a flush (docs/performance.md).
			if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
				return err
			}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO rate_limits (key, tat) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET tat = CASE WHEN rate_limits.tat > $3 THEN rate_limits.tat + $4 ELSE excluded.tat END
			WHERE rate_limits.tat <= $5
			RETURNING tat`, key, n+int64(interval), n, int64(interval), n+int64(window-interval)).Scan(&tat)
		if err == nil {
			ok = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT tat FROM rate_limits WHERE key = $1`, key).Scan(&tat)
	})
	if err != nil {
		return false, time.Time{}, fmt.Errorf("take token %s: %w", name, err)
	}
	return ok, time.Unix(0, tat), nil
}

// ForgetFullBuckets deletes the buckets that are full again by now: a
// missing row is a full bucket, so this changes no answer.
func (s *Store) ForgetFullBuckets(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM rate_limits WHERE tat <= $1`, now.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("forget full buckets: %w", err)
	}
	return res.RowsAffected()
}

// bucketKey names a bucket without keeping its subject (an address, an
// account) in clear.
func bucketKey(name, subject string) string {
	h := sha256.Sum256([]byte(name + "\x00" + subject))
	return hex.EncodeToString(h[:])
}
