package store

import (
	"context"
	"database/sql"
	"strings"

	"campus/internal/db"
	"campus/internal/identity"
)

// ServiceMailSeen reports whether clientID already queued a mail under
// key: the repeated request gets its first answer and no second mail.
func (s *Store) ServiceMailSeen(ctx context.Context, clientID, key string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_mails WHERE client_id = $1 AND mail_key = $2`, clientID, key).Scan(&n)
	return n > 0, err
}

// QueueServiceMail puts a service's mail to a person in the outbox,
// once per (clientID, key): added is false, and nothing is queued, when
// the key was used before (by a concurrent request too: the key's row
// and the mail commit together). The audit event goes with it.
func (s *Store) QueueServiceMail(ctx context.Context, clientID, key string, m identity.Mail, e identity.AuditEvent) (added bool, err error) {
	now := s.now().UTC()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO service_mails (id, client_id, mail_key, account_id, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_id, mail_key) DO NOTHING`, newID(), clientID, key, m.AccountID, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		added = true
		if err := s.enqueueMailTx(ctx, tx, now, m); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_events (id, at, action, outcome, actor, target, client_ip, client_id, detail)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, newID(), now, e.Action, e.Outcome, e.Actor, e.Target, e.ClientIP, e.ClientID, e.Detail)
		return err
	})
	if err != nil {
		return false, err
	}
	if added {
		s.audited(e)
	}
	return added, nil
}

// RolesOf returns the roles of each account among ids that has any.
func (s *Store) RolesOf(ctx context.Context, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var b db.Args
	marks := make([]string, len(ids))
	for i, id := range ids {
		marks[i] = b.Add(id)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT account_id, role FROM account_roles WHERE account_id IN (`+strings.Join(marks, ", ")+`) ORDER BY account_id, role`, b.Values()...)
	err = db.Each(rows, err, func(r db.Scanner) error {
		var id, role string
		if err := r.Scan(&id, &role); err != nil {
			return err
		}
		out[id] = append(out[id], role)
		return nil
	})
	return out, err
}
