package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// OutboxCount is the state of one of identity's outboxes.
type OutboxCount struct {
	Outbox   string // mail, logout
	Pending  int    // waiting, retries included
	Retrying int    // pending after at least one failed attempt
	Failed   int    // given up
	// OldestPending is the creation of the oldest pending entry; zero
	// when none waits.
	OldestPending time.Time
}

// OutboxCounts counts the mail outbox and the back-channel logout
// deliveries for monitoring, read at every scrape: each count takes the
// outbox's index on (done, failed, next attempt), so entries delivered
// long ago cost nothing.
func (s *Store) OutboxCounts(ctx context.Context) ([]OutboxCount, error) {
	var out []OutboxCount
	for _, o := range []struct{ name, table, done string }{
		{"mail", "mail_outbox", "sent_at"},
		{"logout", "logout_deliveries", "delivered_at"},
	} {
		c := OutboxCount{Outbox: o.name}
		pending := ` FROM ` + o.table + ` WHERE ` + o.done + ` IS NULL AND failed_at IS NULL`
		err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0)`+pending).
			Scan(&c.Pending, &c.Retrying)
		if err == nil {
			err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+o.table+` WHERE `+o.done+` IS NULL AND failed_at IS NOT NULL`).
				Scan(&c.Failed)
		}
		if err == nil && c.Pending > 0 {
			var oldest sql.NullTime
			err = s.db.QueryRowContext(ctx, `SELECT created_at`+pending+` ORDER BY created_at LIMIT 1`).Scan(&oldest)
			if errors.Is(err, sql.ErrNoRows) {
				err = nil // delivered in between
			}
			c.OldestPending = oldest.Time
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
