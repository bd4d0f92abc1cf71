package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"campus/internal/db"
	"campus/internal/messages"
)

// Touch records that sub was active at the store's now; it returns true
// when sub was not active within messages.PresenceWindow before (came
// online), so that the caller publishes a presence event.
func (s *Store) Touch(ctx context.Context, sub string) (cameOnline bool, err error) {
	now := s.stamp()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var last sql.NullTime
		err := tx.QueryRowContext(ctx, `SELECT last_active_at FROM presence WHERE subject = $1`, sub).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		cameOnline = !last.Valid || !last.Time.After(now.Add(-messages.PresenceWindow))
		_, err = tx.ExecContext(ctx, `INSERT INTO presence (subject, last_active_at) VALUES ($1, $2)
			ON CONFLICT (subject) DO UPDATE SET last_active_at = excluded.last_active_at`, sub, now)
		return err
	})
	return cameOnline, err
}

// SetPresenceHidden hides or shows sub's presence to others.
func (s *Store) SetPresenceHidden(ctx context.Context, sub string, hidden bool) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO presence (subject, hidden) VALUES ($1, $2)
		ON CONFLICT (subject) DO UPDATE SET hidden = excluded.hidden`, sub, hidden)
	return err
}

// PresenceHidden tells whether sub hides their presence.
func (s *Store) PresenceHidden(ctx context.Context, sub string) (bool, error) {
	var hidden bool
	err := s.db.QueryRowContext(ctx, `SELECT hidden FROM presence WHERE subject = $1`, sub).Scan(&hidden)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return hidden, err
}

// contacts are the people sharing a direct conversation or a group with
// the person $1.
const contacts = `SELECT DISTINCT o.subject FROM members me
	JOIN conversations c ON c.id = me.conversation_id AND c.kind IN ('direct', 'group')
	JOIN members o ON o.conversation_id = me.conversation_id AND o.subject <> me.subject
	WHERE me.subject = $1`

// Contacts lists the people sharing a direct conversation or a group with
// sub (not course groups: those are too large to call contacts), at most
// limit.
func (s *Store) Contacts(ctx context.Context, sub string, limit int) ([]string, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.db.QueryContext(ctx, contacts+` ORDER BY o.subject LIMIT `+fmt.Sprint(limit), sub)
	return db.Collect(rows, err, db.Value[string])
}

// MaxPresence bounds the people one presence answer covers.
const MaxPresence = 1000

// Presence reports the presence of sub's contacts (or, with
// conversationID, of that conversation's members, for a member), leaving
// out those who hide theirs, and sub.
func (s *Store) Presence(ctx context.Context, sub, conversationID string) (list []messages.Presence, err error) {
	since := s.stamp().Add(-messages.PresenceWindow)
	err = s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		people := `SELECT o.subject FROM members o WHERE o.conversation_id = $2 AND o.subject <> $1`
		args := []any{sub, conversationID}
		if conversationID != "" {
			if err := isMember(ctx, tx, sub, conversationID); err != nil {
				return err
			}
		} else {
			people, args = contacts, []any{sub}
		}
		rows, err := tx.QueryContext(ctx, `SELECT q.subject, p.last_active_at FROM (`+people+`) q
			LEFT JOIN presence p ON p.subject = q.subject
			WHERE p.hidden IS NULL OR NOT p.hidden
			ORDER BY q.subject LIMIT `+fmt.Sprint(MaxPresence), args...)
		list, err = db.Collect(rows, err, func(r db.Scanner) (messages.Presence, error) {
			var p messages.Presence
			var last sql.NullTime
			err := r.Scan(&p.Subject, &last)
			if last.Valid {
				p.LastActiveAt = last.Time.UTC()
				p.Active = p.LastActiveAt.After(since)
			}
			return p, err
		})
		return err
	})
	return list, err
}
