package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

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
		if own.Valid && own.String != "" {
			w, err := storedWindow(own.String)
			if err != nil {
				return fmt.Errorf("login window of account %s: %w", accountID, err)
			}
			rules.Account = &w
		}
		rows, err := tx.QueryContext(ctx, `SELECT r.name, r.allowed_clients, r.login_window FROM roles r
			JOIN account_roles ar ON ar.role = r.name WHERE ar.account_id = $1`, accountID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name, clients string
			var window sql.NullString
			if err := rows.Scan(&name, &clients, &window); err != nil {
				return err
			}
			if c := parseList(clients); len(c) > 0 {
				rules.Clients[name] = c
			}
			if window.Valid && window.String != "" {
				w, err := storedWindow(window.String)
				if err != nil {
					return fmt.Errorf("login window of role %s: %w", name, err)
				}
				rules.Roles[name] = w
			}
		}
		return rows.Err()
	})
	return rules, err
}

// storedWindow parses the JSON of roles.login_window and
// accounts.login_window: {"earliest":"08:00","latest":"18:00",
// "first_date":"2026-10-01","last_date":"2027-03-31"}.
func storedWindow(s string) (policy.Window, error) {
	var w struct {
		Earliest  string `json:"earliest"`
		Latest    string `json:"latest"`
		FirstDate string `json:"first_date"`
		LastDate  string `json:"last_date"`
	}
	if err := json.Unmarshal([]byte(s), &w); err != nil {
		return policy.Window{}, err
	}
	return policy.ParseWindow(w.Earliest, w.Latest, w.FirstDate, w.LastDate)
}
