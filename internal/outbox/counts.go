package outbox

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Counts is the state of one outbox table, for monitoring.
type Counts struct {
	Name     string // the outbox's name in metrics (mail, logout, notices)
	Pending  int    // waiting, retries included
	Retrying int    // pending after at least one failed attempt
	Failed   int    // given up
	// OldestPending is the creation of the oldest pending entry; zero
	// when none waits.
	OldestPending time.Time
}

// Querier is what Count reads through (campus's *db.DB).
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Count counts an outbox table whose entries have created_at, attempts,
// failed_at and a column done set once delivered. Each count takes the
// outbox's index on (done, failed, next attempt), so entries delivered
// long ago cost nothing. table and done are campus's own names, never
// input.
func Count(ctx context.Context, q Querier, name, table, done string) (Counts, error) {
	c := Counts{Name: name}
	pending := ` FROM ` + table + ` WHERE ` + done + ` IS NULL AND failed_at IS NULL`
	err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0)`+pending).
		Scan(&c.Pending, &c.Retrying)
	if err == nil {
		err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE `+done+` IS NULL AND failed_at IS NOT NULL`).
			Scan(&c.Failed)
	}
	if err == nil && c.Pending > 0 {
		var oldest sql.NullTime
		err = q.QueryRowContext(ctx, `SELECT created_at`+pending+` ORDER BY created_at LIMIT 1`).Scan(&oldest)
		if errors.Is(err, sql.ErrNoRows) {
			err = nil // delivered in between
		}
		c.OldestPending = oldest.Time
	}
	return c, err
}
