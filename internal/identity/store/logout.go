package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"

	"campus/internal/db"
	"campus/internal/identity"
)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// ClaimLogoutDeliveries leases up to limit due deliveries for lease: each
// is claimed by a conditional update, so that of several replicas polling
// the same table exactly one sends it, on SQLite and PostgreSQL alike.
// Each claimed delivery's NextAttemptAt is the lease's value, the fencing
// token of RenewLogoutDeliveries and LogoutFailed (see ClaimMail).
func (s *Store) ClaimLogoutDeliveries(ctx context.Context, limit int, lease time.Duration) ([]identity.LogoutDelivery, error) {
	now := s.now().UTC()
	rows, err := s.db.QueryContext(ctx, `SELECT id, client_id, uri, account_id, session_id, created_at, attempts, next_attempt_at
		FROM logout_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
		ORDER BY next_attempt_at LIMIT $2`, now, limit)
	due, err := db.Collect(rows, err, func(r db.Scanner) (identity.LogoutDelivery, error) {
		var d identity.LogoutDelivery
		err := r.Scan(&d.ID, &d.ClientID, &d.URI, &d.AccountID, &d.SessionID, &d.CreatedAt, &d.Attempts, &d.NextAttemptAt)
		return d, err
	})
	if err != nil {
		return nil, err
	}
	until := leaseUntil(now, lease)
	var claimed []identity.LogoutDelivery
	for _, d := range due {
		ok, err := s.lease(ctx, "logout_deliveries", "delivered_at", d.ID, d.NextAttemptAt, until)
		if err != nil {
			return nil, err
		}
		if ok {
			d.NextAttemptAt = until
			claimed = append(claimed, d)
		}
	}
	return claimed, nil
}

// RenewLogoutDeliveries extends to now+lease the leases of the
// deliveries ids that still carry the lease value held, and returns which
// with the new value (see RenewMail).
func (s *Store) RenewLogoutDeliveries(ctx context.Context, held time.Time, lease time.Duration, ids ...string) (kept []string, until time.Time, err error) {
	return s.renewLeases(ctx, "logout_deliveries", "delivered_at", held, lease, ids)
}

// LogoutDelivered records a successful delivery.
func (s *Store) LogoutDelivered(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE logout_deliveries SET delivered_at = $2, attempts = attempts + 1, last_error = '' WHERE id = $1`,
		id, s.now().UTC())
	return err
}

// LogoutFailed records a failed attempt of the holder of the lease held:
// retry at next, or, when next is zero, give up. Nothing is recorded when
// the delivery no longer carries held (another replica took it over).
func (s *Store) LogoutFailed(ctx context.Context, id string, held time.Time, reason string, next time.Time) error {
	var failedAt any
	if next.IsZero() {
		failedAt, next = s.now().UTC(), s.now()
	}
	_, err := s.db.ExecContext(ctx, `UPDATE logout_deliveries SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3, failed_at = $4
		WHERE id = $1 AND next_attempt_at = $5 AND delivered_at IS NULL`, id, truncate(reason, 500), next.UTC(), failedAt, held.UTC())
	return err
}

// LogoutDeliveries lists deliveries, newest first: all of them, or only
// those not yet delivered (pending and failed).
func (s *Store) LogoutDeliveries(ctx context.Context, undeliveredOnly bool, limit int) ([]identity.LogoutDelivery, error) {
	q := `SELECT id, client_id, uri, account_id, session_id, created_at, attempts, next_attempt_at, delivered_at, failed_at, last_error
		FROM logout_deliveries`
	if undeliveredOnly {
		q += ` WHERE delivered_at IS NULL`
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT $1`
	rows, err := s.db.QueryContext(ctx, q, max(1, min(limit, 1000)))
	return db.Collect(rows, err, func(r db.Scanner) (identity.LogoutDelivery, error) {
		var d identity.LogoutDelivery
		var delivered, failed sql.NullTime
		err := r.Scan(&d.ID, &d.ClientID, &d.URI, &d.AccountID, &d.SessionID, &d.CreatedAt, &d.Attempts, &d.NextAttemptAt,
			&delivered, &failed, &d.LastError)
		d.DeliveredAt, d.FailedAt = timePtr(delivered), timePtr(failed)
		return d, err
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
