package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"campus/internal/db"
	"campus/internal/identity"
	"campus/internal/identity/policy"
)

// SignInRules reads the login windows and application limits that apply to
// an account. A stored window that no longer parses is an error, never
// silently "any time".
func (s *Store) SignInRules(ctx context.Context, accountID string) (policy.Rules, error) {
	rules := policy.Rules{Roles: map[string]policy.Window{}, Clients: map[string][]string{}}
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		var own sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT login_window FROM accounts WHERE id = $1`, accountID).Scan(&own)
		if errors.Is(err, sql.ErrNoRows) {
			return identity.ErrNotFound
		}
		if err != nil {
			return err
		}
		if lw := parseWindowJSON(own); lw != nil {
			w, err := lw.Window()
			if err != nil {
				return fmt.Errorf("login window of account %s: %w", accountID, err)
			}
			rules.Account = &w
		}
		rows, err := tx.QueryContext(ctx, `SELECT r.name, r.allowed_clients, r.login_window FROM roles r
			JOIN account_roles ar ON ar.role = r.name WHERE ar.account_id = $1`, accountID)
		return db.Each(rows, err, func(r db.Scanner) error {
			var name, clients string
			var window sql.NullString
			if err := r.Scan(&name, &clients, &window); err != nil {
				return err
			}
			if c := parseList(clients); len(c) > 0 {
				rules.Clients[name] = c
			}
			if lw := parseWindowJSON(window); lw != nil {
				w, err := lw.Window()
				if err != nil {
					return fmt.Errorf("login window of role %s: %w", name, err)
				}
				rules.Roles[name] = w
			}
			return nil
		})
	})
	return rules, err
}
