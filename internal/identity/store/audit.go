package store

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"campus/internal/db"
	"campus/internal/identity"
)

// RecordEvent appends an event to the audit trail.
func (s *Store) RecordEvent(ctx context.Context, e identity.AuditEvent) error {
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO audit_events (id, at, action, outcome, actor, target, client_ip, client_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id.String(), e.At.UTC(), e.Action, e.Outcome, e.Actor, e.Target, e.ClientIP, e.ClientID, e.Detail)
	if err == nil {
		s.audited(e)
	}
	return err
}

// audited tells Audited of an event written.
func (s *Store) audited(e identity.AuditEvent) {
	if s.Audited != nil {
		s.Audited(e.Action, e.Outcome)
	}
}

// Events lists audit events, newest first.
func (s *Store) Events(ctx context.Context, f identity.AuditFilter) ([]identity.AuditEvent, error) {
	var a db.Args
	var where []string
	if f.Action != "" {
		where = append(where, "action = "+a.Add(f.Action))
	}
	if f.Actor != "" {
		where = append(where, "actor = "+a.Add(f.Actor))
	}
	if f.Target != "" {
		where = append(where, "target = "+a.Add(f.Target))
	}
	if f.Person != "" {
		where = append(where, "(actor = "+a.Add(f.Person)+" OR target = "+a.Add(f.Person)+")")
	}
	if f.Outcome != "" {
		where = append(where, "outcome = "+a.Add(f.Outcome))
	}
	if !f.Since.IsZero() {
		where = append(where, "at >= "+a.Add(f.Since.UTC()))
	}
	if !f.Until.IsZero() {
		where = append(where, "at < "+a.Add(f.Until.UTC()))
	}
	if f.Before != "" {
		where = append(where, "id < "+a.Add(f.Before))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	q := `SELECT id, at, action, outcome, actor, target, client_ip, client_id, detail FROM audit_events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT " + itoa(limit)
	rows, err := s.db.QueryContext(ctx, q, a.Values()...)
	return db.Collect(rows, err, func(r db.Scanner) (identity.AuditEvent, error) {
		var e identity.AuditEvent
		err := r.Scan(&e.ID, &e.At, &e.Action, &e.Outcome, &e.Actor, &e.Target, &e.ClientIP, &e.ClientID, &e.Detail)
		return e, err
	})
}
