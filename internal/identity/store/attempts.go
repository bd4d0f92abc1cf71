package store

import (
	"context"
	"database/sql"
	"time"

	"campus/internal/db"
	"campus/internal/identity"
)

// CountedAttempt records e, an attempt by or at the account e.Target, in
// the audit trail, unless limit attempts of e.Action at that account were
// recorded within window: then it records nothing and answers
// ErrRateLimited with how long until the oldest of them is out of the
// window. The count is in the database, so that it holds across replicas;
// the account's row is locked first, so that concurrent attempts at one
// account are counted one after the other (PostgreSQL; SQLite has one
// writer anyway).
func (s *Store) CountedAttempt(ctx context.Context, e identity.AuditEvent, limit int, window time.Duration) (time.Duration, error) {
	now := s.now().UTC()
	if e.At.IsZero() {
		e.At = now
	}
	var wait time.Duration
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET version = version WHERE id = $1`, e.Target); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT at FROM audit_events WHERE target = $1 AND at > $2 AND action = $3 AND outcome = $4
			ORDER BY at`, e.Target, now.Add(-window), e.Action, identity.OutcomeSuccess)
		times, err := db.Collect(rows, err, db.Value[time.Time])
		if err != nil {
			return err
		}
		if len(times) >= limit {
			wait = max(times[len(times)-limit].Add(window).Sub(now), time.Second)
			return ErrRateLimited
		}
		e.Outcome = identity.OutcomeSuccess
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_events (id, at, action, outcome, actor, target, client_ip, client_id, detail)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, newID(), e.At.UTC(), e.Action, e.Outcome, e.Actor, e.Target, e.ClientIP, e.ClientID, e.Detail)
		return err
	})
	if err == nil {
		s.audited(e)
	}
	return wait, err
}

// RoleSessions lists the live sessions of every account that holds role,
// in one query, so that a change to the role can end them all.
func (s *Store) RoleSessions(ctx context.Context, role string) ([]identity.Session, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT s.id, s.account_id FROM sessions s
		JOIN account_roles r ON r.account_id = s.account_id
		WHERE r.role = $1 AND s.ended_at IS NULL AND s.expires_at > $2 ORDER BY s.account_id, s.id`, role, s.now().UTC())
	return db.Collect(rows, err, func(r db.Scanner) (identity.Session, error) {
		var sess identity.Session
		err := r.Scan(&sess.ID, &sess.AccountID)
		return sess, err
	})
}
