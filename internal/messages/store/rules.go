package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"campus/internal/messages"
)

// rulesJSON is how the rules are kept: the settings only; version and
// change stamp have columns.
type rulesJSON struct {
	Reach         map[string]map[string]messages.Reach `json:"reach"`
	GroupCreators []string                             `json:"group_creators"`
}

func readRules(ctx context.Context, q queryer) (messages.Rules, error) {
	var data, by string
	r := messages.Rules{}
	err := q.QueryRowContext(ctx, `SELECT data, version, updated_at, updated_by FROM rules WHERE id = 1`).Scan(&data, &r.Version, &r.UpdatedAt, &by)
	if errors.Is(err, sql.ErrNoRows) {
		return messages.DefaultRules(), nil
	}
	if err != nil {
		return r, err
	}
	var j rulesJSON
	if err := json.Unmarshal([]byte(data), &j); err != nil {
		return r, fmt.Errorf("rules: %w", err)
	}
	r.Reach, r.GroupCreators, r.UpdatedBy, r.UpdatedAt = j.Reach, j.GroupCreators, by, r.UpdatedAt.UTC()
	return r, nil
}

// Rules returns the reach rules (messages.DefaultRules until changed).
func (s *Store) Rules(ctx context.Context) (messages.Rules, error) {
	return readRules(ctx, s.db)
}

// SetRules replaces the rules from version (ErrVersionMismatch otherwise,
// 0 for any).
func (s *Store) SetRules(ctx context.Context, by string, r messages.Rules, version int) (messages.Rules, error) {
	data, err := json.Marshal(rulesJSON{Reach: r.Reach, GroupCreators: r.GroupCreators})
	if err != nil {
		return messages.Rules{}, err
	}
	var out messages.Rules
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := readRules(ctx, tx)
		if err != nil {
			return err
		}
		if version != 0 && version != cur.Version {
			return messages.ErrVersionMismatch
		}
		now := s.stamp()
		if _, err := tx.ExecContext(ctx, `INSERT INTO rules (id, data, version, updated_at, updated_by) VALUES (1, $1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET data = excluded.data, version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			string(data), cur.Version+1, now, by); err != nil {
			return err
		}
		out, err = readRules(ctx, tx)
		return err
	})
	return out, err
}
