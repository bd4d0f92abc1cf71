package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"campus/internal/db"
	"campus/internal/outbox"
)

// Notices to the messages service: a durable outbox written in the
// transaction of the change that causes a notice, so that a notice exists
// exactly when its change does; a worker (internal/study/notices) sends
// them under leases, as identity's mail outbox does.

// Notice kinds, as the messages service shows them.
const (
	NoticeGradePublished   = "grade_published"
	NoticeProgrammeChanged = "programme_changed"
)

// MaxNoticeRecipients is the most people one notice row (one call of the
// messages API) is for; a longer list is split into several rows.
const MaxNoticeRecipients = 1000

// Notice is a notice to some people, in English and German.
type Notice struct {
	Kind, Text, TextDE, Link string
}

// OutboxNotice is a notice in the outbox: one call of POST /v1/notices,
// whose Idempotency-Key is ID.
type OutboxNotice struct {
	Notice
	ID            string
	To            []string
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time // while claimed: the lease's value
	DeliveredAt   *time.Time
	FailedAt      *time.Time // given up
	LastError     string
}

// enqueueNoticeTx queues n to the people to, in rows of at most
// MaxNoticeRecipients, within the transaction of the change that causes
// it. It does nothing unless the store sends notices (Store.Notices) or
// when to is empty.
func (s *Store) enqueueNoticeTx(ctx context.Context, tx *sql.Tx, n Notice, to []string) error {
	if !s.Notices || len(to) == 0 {
		return nil
	}
	now := s.now().UTC()
	for start := 0; start < len(to); start += MaxNoticeRecipients {
		chunk, err := json.Marshal(to[start:min(start+MaxNoticeRecipients, len(to))])
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notices_outbox (id, kind, recipients, text, text_de, link, created_at, next_attempt_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, newID(), n.Kind, string(chunk), n.Text, n.TextDE, n.Link, now); err != nil {
			return fmt.Errorf("queue %s notice: %w", n.Kind, err)
		}
	}
	return nil
}

const noticeColumns = `id, kind, recipients, text, text_de, link, created_at, attempts, next_attempt_at, delivered_at, failed_at, last_error`

func scanNotice(r db.Scanner) (OutboxNotice, error) {
	var n OutboxNotice
	var to string
	var delivered, failed sql.NullTime
	if err := r.Scan(&n.ID, &n.Kind, &to, &n.Text, &n.TextDE, &n.Link, &n.CreatedAt, &n.Attempts, &n.NextAttemptAt,
		&delivered, &failed, &n.LastError); err != nil {
		return n, err
	}
	if delivered.Valid {
		n.DeliveredAt = &delivered.Time
	}
	if failed.Valid {
		n.FailedAt = &failed.Time
	}
	if err := json.Unmarshal([]byte(to), &n.To); err != nil {
		return n, fmt.Errorf("notice %s: recipients: %w", n.ID, err)
	}
	return n, nil
}

// ClaimNotices leases up to limit due notices for lease, so that of
// several replicas exactly one sends each. A claimed notice's
// NextAttemptAt is the lease's value, the fencing token RenewNotices and
// NoticeFailed act under (see identity's ClaimMail).
func (s *Store) ClaimNotices(ctx context.Context, limit int, lease time.Duration) ([]OutboxNotice, error) {
	now := s.now().UTC()
	rows, err := s.db.QueryContext(ctx, `SELECT `+noticeColumns+` FROM notices_outbox
		WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
		ORDER BY next_attempt_at LIMIT $2`, now, limit)
	due, err := db.Collect(rows, err, scanNotice)
	if err != nil {
		return nil, err
	}
	until := leaseUntil(now, lease)
	var claimed []OutboxNotice
	for _, n := range due {
		res, err := s.db.ExecContext(ctx, `UPDATE notices_outbox SET next_attempt_at = $3
			WHERE id = $1 AND next_attempt_at = $2 AND delivered_at IS NULL AND failed_at IS NULL`, n.ID, n.NextAttemptAt.UTC(), until)
		if err != nil {
			return nil, err
		}
		if k, _ := res.RowsAffected(); k == 1 {
			n.NextAttemptAt = until
			claimed = append(claimed, n)
		}
	}
	return claimed, nil
}

// leaseUntil is the value of a lease taken at now: whole microseconds,
// which both engines store exactly, so that it compares equal when it is
// the fencing token of a renewal.
func leaseUntil(now time.Time, lease time.Duration) time.Time {
	return now.UTC().Add(lease).Truncate(time.Microsecond)
}

// RenewNotices extends to now+lease the leases of the notices ids that
// still carry the lease value held, and returns which, with the new value
// (an outbox.RenewFunc).
func (s *Store) RenewNotices(ctx context.Context, held time.Time, lease time.Duration, ids ...string) (kept []string, until time.Time, err error) {
	until = leaseUntil(s.now(), lease)
	if until.Before(held) {
		until = held.UTC()
	}
	if len(ids) == 0 {
		return nil, until, nil
	}
	var a db.Args
	h, u := a.Add(held.UTC()), a.Add(until)
	in := make([]string, len(ids))
	for i, id := range ids {
		in[i] = a.Add(id)
	}
	// In a write transaction: on SQLite, queries outside one go to the
	// read-only pool.
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE notices_outbox SET next_attempt_at = `+u+`
			WHERE next_attempt_at = `+h+` AND delivered_at IS NULL AND failed_at IS NULL AND id IN (`+strings.Join(in, ", ")+`)
			RETURNING id`, a.Values()...)
		kept, err = db.Collect(rows, err, db.Value[string])
		return err
	})
	if err != nil {
		return nil, until, fmt.Errorf("renew notice leases: %w", err)
	}
	return kept, until, nil
}

// NoticeDelivered records a delivered notice.
func (s *Store) NoticeDelivered(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE notices_outbox SET delivered_at = $2, attempts = attempts + 1, last_error = ''
		WHERE id = $1`, id, s.now().UTC())
	return err
}

// NoticeFailed records a failed attempt of the holder of the lease held:
// retry at next or, when next is zero, give up (the row stays, with its
// error, for NoticeQueue). Nothing is recorded when another replica took
// the notice over.
func (s *Store) NoticeFailed(ctx context.Context, id string, held time.Time, reason string, next time.Time) error {
	var failedAt any
	if next.IsZero() {
		failedAt, next = s.now().UTC(), s.now()
	}
	if len(reason) > 500 {
		reason = reason[:500]
	}
	_, err := s.db.ExecContext(ctx, `UPDATE notices_outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, failed_at = $4
		WHERE id = $1 AND next_attempt_at = $5 AND delivered_at IS NULL`, id, reason, next.UTC(), failedAt, held.UTC())
	return err
}

// Notice states for NoticeQueue.
const (
	NoticesPending   = "pending"
	NoticesFailed    = "failed"
	NoticesDelivered = "delivered"
)

// NoticeQueue lists notices newest first: all, or those in one state.
func (s *Store) NoticeQueue(ctx context.Context, state string, limit int) ([]OutboxNotice, error) {
	q := `SELECT ` + noticeColumns + ` FROM notices_outbox`
	switch state {
	case NoticesPending:
		q += ` WHERE delivered_at IS NULL AND failed_at IS NULL`
	case NoticesFailed:
		q += ` WHERE failed_at IS NOT NULL`
	case NoticesDelivered:
		q += ` WHERE delivered_at IS NOT NULL`
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT $1`
	rows, err := s.db.QueryContext(ctx, q, max(1, min(limit, 1000)))
	return db.Collect(rows, err, scanNotice)
}

// PurgeNotices removes notices delivered or given up before, so that
// the outbox does not grow without end.
func (s *Store) PurgeNotices(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM notices_outbox WHERE (delivered_at IS NOT NULL AND delivered_at < $1)
		OR (failed_at IS NOT NULL AND failed_at < $1)`, before.UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// NoticeCounts counts the notices outbox for monitoring, read at every
// scrape (outbox.Count).
func (s *Store) NoticeCounts(ctx context.Context) (outbox.Counts, error) {
	return outbox.Count(ctx, s.db, "notices", "notices_outbox", "delivered_at")
}
