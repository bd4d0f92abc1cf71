package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"campus/internal/db"
	"campus/internal/messages"
)

// Notify adds a notice to each recipient's notices conversation (made on
// first use); a key seen before returns false and changes nothing.
//
// Everything is written in batches (multi-row INSERTs), so a notice to
// MaxNoticeRecipients people is a few dozen statements in one
// transaction, not thousands.
func (s *Store) Notify(ctx context.Context, n NewNotice) (added bool, err error) {
	var to []string
	for _, sub := range n.To {
		if sub != "" && !slices.Contains(to, sub) {
			to = append(to, sub)
		}
	}
	switch {
	case len(to) == 0:
		return false, fmt.Errorf("a notice needs a recipient: %w", messages.ErrConflict)
	case len(to) > MaxNoticeRecipients:
		return false, fmt.Errorf("a notice has at most %d recipients: %w", MaxNoticeRecipients, messages.ErrConflict)
	case strings.TrimSpace(n.Text) == "" && strings.TrimSpace(n.TextDE) == "":
		return false, fmt.Errorf("a notice needs a text: %w", messages.ErrConflict)
	case len(n.Text) > messages.MaxTextBytes || len(n.TextDE) > messages.MaxTextBytes || !utf8.ValidString(n.Text) || !utf8.ValidString(n.TextDE):
		return false, fmt.Errorf("a notice's texts have at most %d bytes each: %w", messages.MaxTextBytes, messages.ErrConflict)
	}
	slices.Sort(to)
	err = s.write(ctx, func(t *txn) error {
		added = false
		now := s.stamp()
		if n.Key != "" {
			res, err := t.ExecContext(ctx, `INSERT INTO notice_keys (key, created_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, n.Key, now)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
		}
		convs, err := s.noticesConversations(ctx, t, to, now)
		if err != nil {
			return err
		}
		ids := make([]string, len(to))
		for i := range to {
			ids[i] = newID()
		}
		idx := make([]int, len(to))
		for i := range idx {
			idx[i] = i
		}
		for _, batch := range chunks(idx, 400) {
			var a db.Args
			text, de, kind, link, at := a.Add(n.Text), a.Add(n.TextDE), a.Add(n.Kind), a.Add(n.Link), a.Add(now)
			rows := make([]string, len(batch))
			for j, i := range batch {
				rows[j] = "(" + a.Add(ids[i]) + ", " + a.Add(convs[to[i]]) + ", '', " + text + ", " + de + ", " + kind + ", " + link + ", " + at + ")"
			}
			if _, err := t.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, sender, text, text_de, notice_kind, link, created_at) VALUES `+
				strings.Join(rows, ", "), a.Values()...); err != nil {
				return err
			}
			var u db.Args
			cs := make([]string, len(batch))
			for j, i := range batch {
				cs[j] = convs[to[i]]
			}
			if _, err := t.ExecContext(ctx, `UPDATE conversations SET last_message_at = `+u.Add(now)+` WHERE last_message_at < `+u.Add(now)+` AND id IN (`+placeholders(&u, cs)+`)`, u.Values()...); err != nil {
				return err
			}
		}
		// The words come later, in a batch of the indexer's (index.go).
		for _, batch := range chunks(idx, 500) {
			var a db.Args
			rows := make([]string, len(batch))
			for j, i := range batch {
				rows[j] = "(" + a.Add(ids[i]) + ", " + a.Add(convs[to[i]]) + ")"
			}
			if _, err := t.ExecContext(ctx, `INSERT INTO message_index_queue (message_id, conversation_id) VALUES `+strings.Join(rows, ", "), a.Values()...); err != nil {
				return err
			}
		}
		for i, sub := range to {
			c := convs[sub]
			t.event(messages.EventMessageCreated, c, "", map[string]string{"conversation_id": c, "message_id": ids[i]})
		}
		added = true
		return nil
	})
	return added, err
}

// noticesConversations returns the notices conversation of each of subs
// (sorted), creating those missing. Two notices at once may both find one
// missing: ON CONFLICT lets the second wait for the first and use its.
func (s *Store) noticesConversations(ctx context.Context, t *txn, subs []string, now any) (map[string]string, error) {
	convs := make(map[string]string, len(subs))
	lookup := func(batch []string) error {
		var a db.Args
		rows, err := t.QueryContext(ctx, `SELECT notices_for, id FROM conversations WHERE notices_for IN (`+placeholders(&a, batch)+`)`, a.Values()...)
		return db.Each(rows, err, func(r db.Scanner) error {
			var sub, id string
			err := r.Scan(&sub, &id)
			convs[sub] = id
			return err
		})
	}
	for _, batch := range chunks(subs, 500) {
		if err := lookup(batch); err != nil {
			return nil, err
		}
	}
	var missing []string
	for _, sub := range subs {
		if convs[sub] == "" {
			missing = append(missing, sub)
		}
	}
	for _, batch := range chunks(missing, 400) {
		var a db.Args
		at := a.Add(now)
		rows := make([]string, len(batch))
		for i, sub := range batch {
			rows[i] = "(" + a.Add(newID()) + ", 'notices', " + a.Add(sub) + ", " + at + ", " + at + ", " + at + ", 1)"
		}
		rs, err := t.QueryContext(ctx, `INSERT INTO conversations (id, kind, notices_for, created_at, updated_at, last_message_at, member_count) VALUES `+
			strings.Join(rows, ", ")+` ON CONFLICT (notices_for) DO NOTHING RETURNING id, notices_for`, a.Values()...)
		made := map[string]string{}
		err = db.Each(rs, err, func(r db.Scanner) error {
			var id, sub string
			err := r.Scan(&id, &sub)
			made[sub] = id
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(made) > 0 {
			var m db.Args
			at := m.Add(now)
			rows := make([]string, 0, len(made))
			for _, sub := range batch {
				if id := made[sub]; id != "" {
					rows = append(rows, "("+m.Add(id)+", "+m.Add(sub)+", 'member', "+at+")")
				}
			}
			if _, err := t.ExecContext(ctx, `INSERT INTO members (conversation_id, subject, role, joined_at) VALUES `+strings.Join(rows, ", "), m.Values()...); err != nil {
				return nil, err
			}
			for _, sub := range batch {
				if id := made[sub]; id != "" {
					t.event(messages.EventConversationCreated, id, "", map[string]string{"conversation_id": id})
				}
			}
		}
		if err := lookup(batch); err != nil {
			return nil, err
		}
	}
	return convs, nil
}
