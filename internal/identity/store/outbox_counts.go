package store

import (
	"context"

	"campus/internal/outbox"
)

// OutboxCount is the state of one of identity's outboxes.
type OutboxCount = outbox.Counts

// OutboxCounts counts the mail outbox and the back-channel logout
// deliveries for monitoring, read at every scrape (outbox.Count).
func (s *Store) OutboxCounts(ctx context.Context) ([]OutboxCount, error) {
	var out []OutboxCount
	for _, o := range []struct{ name, table, done string }{
		{"mail", "mail_outbox", "sent_at"},
		{"logout", "logout_deliveries", "delivered_at"},
	} {
		c, err := outbox.Count(ctx, s.db, o.name, o.table, o.done)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
