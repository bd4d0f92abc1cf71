package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"campus/internal/db"
	"campus/internal/identity"
	"campus/internal/mail"
)

// enqueueMailTx puts a mail in the outbox within the transaction of the
// change that causes it: the mail exists exactly when the change does.
// The recipient and the message are sealed: they name the person.
func (s *Store) enqueueMailTx(ctx context.Context, tx *sql.Tx, now time.Time, m identity.Mail) error {
	body, err := json.Marshal(m.Message)
	if err != nil {
		return err
	}
	if err := s.keysLoaded(ctx, tx); err != nil {
		return err
	}
	id := newID()
	to, err := s.ring.Seal(m.Message.To, "mail_outbox", id, "recipient")
	if err != nil {
		return err
	}
	msg, err := s.ring.Seal(string(body), "mail_outbox", id, "message")
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO mail_outbox (id, kind, recipient, account_id, message, created_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`, id, m.Kind, to, m.AccountID, msg, now.UTC())
	if err != nil {
		return fmt.Errorf("queue %s mail: %w", m.Kind, err)
	}
	return nil
}

// EnqueueMail puts mails in the outbox that no other change goes with.
func (s *Store) EnqueueMail(ctx context.Context, mails ...identity.Mail) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, m := range mails {
			if err := s.enqueueMailTx(ctx, tx, s.now(), m); err != nil {
				return err
			}
		}
		return nil
	})
}

const outboxColumns = `id, kind, recipient, account_id, message, created_at, attempts, next_attempt_at, sent_at, failed_at, last_error`

func (s *Store) scanOutbox(ctx context.Context, row interface{ Scan(...any) error }) (identity.OutboxMail, error) {
	var m identity.OutboxMail
	var body string
	var sent, failed sql.NullTime
	if err := row.Scan(&m.ID, &m.Kind, &m.To, &m.AccountID, &body, &m.CreatedAt, &m.Attempts, &m.NextAttemptAt,
		&sent, &failed, &m.LastError); err != nil {
		return m, err
	}
	m.SentAt, m.FailedAt = timePtr(sent), timePtr(failed)
	var err error
	if m.To, err = s.open(ctx, m.To, "mail_outbox", m.ID, "recipient"); err != nil {
		return m, err
	}
	if body, err = s.open(ctx, body, "mail_outbox", m.ID, "message"); err != nil {
		return m, err
	}
	if body != "" {
		if err := json.Unmarshal([]byte(body), &m.Message); err != nil {
			return m, fmt.Errorf("mail %s: %w", m.ID, err)
		}
	}
	return m, nil
}

// ClaimMail leases up to limit due mails for lease, so that of several
// replicas (or a replica and `campus mail`) exactly one sends each. Each
// claimed mail's NextAttemptAt is the lease's value: the holder passes it
// to RenewMail and MailFailed, which act only while the row still
// carries it (a fencing token), so a holder whose lease lapsed and was
// taken over cannot act on the mail any more.
func (s *Store) ClaimMail(ctx context.Context, limit int, lease time.Duration) ([]identity.OutboxMail, error) {
	now := s.now().UTC()
	rows, err := s.db.QueryContext(ctx, `SELECT `+outboxColumns+` FROM mail_outbox
		WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
		ORDER BY next_attempt_at LIMIT $2`, now, limit)
	due, err := db.Collect(rows, err, func(r db.Scanner) (identity.OutboxMail, error) { return s.scanOutbox(ctx, r) })
	if err != nil {
		return nil, err
	}
	until := leaseUntil(now, lease)
	var claimed []identity.OutboxMail
	for _, m := range due {
		ok, err := s.lease(ctx, "mail_outbox", "sent_at", m.ID, m.NextAttemptAt, until)
		if err != nil {
			return nil, err
		}
		if ok {
			m.NextAttemptAt = until
			claimed = append(claimed, m)
		}
	}
	return claimed, nil
}

// RenewMail extends to now+lease the leases of the mails ids that still
// carry the lease value held, and returns which: a mail missing from the
// answer was taken over (or finished) and its holder must not send it.
// until is the new lease value, for the next renewal.
func (s *Store) RenewMail(ctx context.Context, held time.Time, lease time.Duration, ids ...string) (kept []string, until time.Time, err error) {
	return s.renewLeases(ctx, "mail_outbox", "sent_at", held, lease, ids)
}

// leaseUntil is the value of a lease taken at now: whole microseconds,
// which both engines store exactly, so that it compares equal when it is
// the fencing token of a renewal.
func leaseUntil(now time.Time, lease time.Duration) time.Time {
	return now.UTC().Add(lease).Truncate(time.Microsecond)
}

// lease moves a due row's next attempt to until if nobody else did since
// it was read (a conditional update works alike on both engines).
func (s *Store) lease(ctx context.Context, table, doneColumn, id string, was, until time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE `+table+` SET next_attempt_at = $3
		WHERE id = $1 AND next_attempt_at = $2 AND `+doneColumn+` IS NULL`, id, was.UTC(), until.UTC())
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// renewLeases moves the next attempt of the rows ids that are still
// leased at held (not done, not given up, not claimed by another holder)
// to now+lease, and returns the ids it moved with the new lease value.
// The new value is never before held, so that it stays the row's own.
func (s *Store) renewLeases(ctx context.Context, table, doneColumn string, held time.Time, lease time.Duration, ids []string) ([]string, time.Time, error) {
	until := leaseUntil(s.now(), lease)
	if until.Before(held) {
		until = held.UTC()
	}
	if len(ids) == 0 {
		return nil, until, nil
	}
	args := []any{held.UTC(), until}
	var in strings.Builder
	for i, id := range ids {
		if i > 0 {
			in.WriteString(", ")
		}
		args = append(args, id)
		fmt.Fprintf(&in, "$%d", len(args))
	}
	var kept []string
	// In a write transaction: on SQLite, queries outside one go to the
	// read-only pool.
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE `+table+` SET next_attempt_at = $2
			WHERE next_attempt_at = $1 AND `+doneColumn+` IS NULL AND failed_at IS NULL AND id IN (`+in.String()+`)
			RETURNING id`, args...)
		kept, err = db.Collect(rows, err, db.Value[string])
		return err
	})
	if err != nil {
		return nil, until, fmt.Errorf("renew leases in %s: %w", table, err)
	}
	return kept, until, nil
}

// MailSent records a mail as sent and forgets its content.
func (s *Store) MailSent(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE mail_outbox SET sent_at = $2, attempts = attempts + 1, last_error = '', message = ''
		WHERE id = $1`, id, s.now().UTC())
	return err
}

// MailFailed records a failed attempt of the holder of the lease held:
// retry at next, or, when next is zero, give up. A mail given up keeps its
// content until an administrator retries it or it is purged. When the
// mail no longer carries held (another replica took it over), nothing is
// recorded: the mail is the other holder's now.
func (s *Store) MailFailed(ctx context.Context, id string, held time.Time, reason string, next time.Time) error {
	if next.IsZero() {
		_, err := s.db.ExecContext(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2, failed_at = $3
			WHERE id = $1 AND next_attempt_at = $4 AND sent_at IS NULL`, id, truncate(reason, 500), s.now().UTC(), held.UTC())
		return err
	}
	_, err := s.db.ExecContext(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3
		WHERE id = $1 AND next_attempt_at = $4 AND sent_at IS NULL`, id, truncate(reason, 500), next.UTC(), held.UTC())
	return err
}

// RetryMail puts a mail that was given up back in the queue, due now,
// once an administrator mended the cause. It answers false for a mail that
// is not given up.
func (s *Store) RetryMail(ctx context.Context, id string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE mail_outbox SET failed_at = NULL, next_attempt_at = $2
		WHERE id = $1 AND failed_at IS NOT NULL`, id, s.now().UTC())
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// MailStatus counts the outbox.
type MailStatus struct {
	Pending  int        // not yet sent, still tried
	Retrying int        // pending after at least one failed attempt
	Failed   int        // given up
	Sent24h  int        // sent in the last 24 hours
	Oldest   *time.Time // creation of the oldest pending mail
}

// MailStatus counts what waits, what failed and what was sent lately.
func (s *Store) MailStatus(ctx context.Context) (MailStatus, error) {
	var st MailStatus
	var oldest sql.NullTime
	now := s.now().UTC()
	err := s.db.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL AND attempts > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN sent_at >= $1 THEN 1 ELSE 0 END), 0)
		FROM mail_outbox`, now.Add(-24*time.Hour)).Scan(&st.Pending, &st.Retrying, &st.Failed, &st.Sent24h)
	if err != nil {
		return st, err
	}
	err = s.db.QueryRowContext(ctx, `SELECT created_at FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL
		ORDER BY created_at LIMIT 1`).Scan(&oldest)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err == nil && oldest.Valid {
		st.Oldest = &oldest.Time
	}
	return st, err
}

// Mail state filters of MailQueue.
const (
	MailPending = "pending"
	MailFailed  = "failed"
	MailSent    = "sent"
)

// MailQueue lists mails newest first, all or those in one state, without
// their content.
func (s *Store) MailQueue(ctx context.Context, state string, limit int) ([]identity.OutboxMail, error) {
	q := `SELECT ` + outboxColumns + ` FROM mail_outbox`
	switch state {
	case MailPending:
		q += ` WHERE sent_at IS NULL AND failed_at IS NULL`
	case MailFailed:
		q += ` WHERE failed_at IS NOT NULL`
	case MailSent:
		q += ` WHERE sent_at IS NOT NULL`
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT $1`
	rows, err := s.db.QueryContext(ctx, q, max(1, min(limit, 1000)))
	return db.Collect(rows, err, func(r db.Scanner) (identity.OutboxMail, error) {
		m, err := s.scanOutbox(ctx, r)
		m.Message = mail.Message{}
		return m, err
	})
}
