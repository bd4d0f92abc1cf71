package store

import (
	"context"
	"fmt"
	"time"

	"campus/internal/messages"
)

// takeSend takes one message from sub's bucket in the send's transaction
// (so a send that fails gives it back) and reports how long to wait when
// there was none. The check and the take are one upsert on the bucket's
// row, so two replicas cannot both take the last message: PostgreSQL locks
// the row to the commit, SQLite has one writer. A refused send changes
// nothing, so hammering does not push the wait out.
func takeSend(ctx context.Context, t *txn, sub string, now time.Time, l messages.SendLimit) (wait time.Duration, err error) {
	n, every := now.UnixNano(), int64(l.Every)
	last := n + int64(max(l.Burst, 1)-1)*every // the latest tat that still takes one
	// No RETURNING: whether a row changed says whether one was taken, and
	// SQLite's RETURNING cost a send as much again.
	res, err := t.exec(ctx, `INSERT INTO send_limits (subject, tat) VALUES ($1, $2)
		ON CONFLICT (subject) DO UPDATE SET tat = CASE WHEN send_limits.tat > $3 THEN send_limits.tat + $4 ELSE excluded.tat END
		WHERE send_limits.tat <= $5`, sub, n+every, n, every, last)
	if err != nil {
		return 0, fmt.Errorf("send limit: %w", err)
	}
	if taken, err := res.RowsAffected(); err != nil || taken == 1 {
		return 0, err
	}
	var tat int64
	if err := t.queryRow(ctx, `SELECT tat FROM send_limits WHERE subject = $1`, sub).Scan(&tat); err != nil {
		return 0, fmt.Errorf("send limit: %w", err)
	}
	return time.Duration(tat - last), nil
}

// ForgetSendLimits deletes the buckets that are full again: a missing row
// is a full bucket, so this changes no answer (housekeeping).
func (s *Store) ForgetSendLimits(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM send_limits WHERE tat <= $1`, s.stamp().UnixNano())
	if err != nil {
		return 0, fmt.Errorf("forget full send limits: %w", err)
	}
	return res.RowsAffected()
}
