package store

import (
	"context"
	"database/sql"
	"errors"

	"campus/internal/db"
	"campus/internal/messages"
)

// unreadCount counts the messages of others after a read marker
// (conversation $1, marker $2, reader $3), at most MaxUnreadCount: the
// LIMIT in the subquery stops the scan there.
func (s *Store) unreadCount() string { return s.unreadOf("$1", "$2", "$3") }

// MarkRead moves sub's read marker in a conversation to message upTo
// (never backwards: an older upTo leaves it) and records the event.
// upTo must be a message of the conversation (ErrNotFound otherwise).
func (s *Store) MarkRead(ctx context.Context, sub, conversationID, upTo string) (messages.Member, error) {
	var m messages.Member
	err := s.write(ctx, func(t *txn) error {
		err := t.QueryRowContext(ctx, `SELECT subject, role, joined_at, read_up_to FROM members WHERE conversation_id = $1 AND subject = $2`,
			conversationID, sub).Scan(&m.Subject, &m.Role, &m.JoinedAt, &m.ReadUpTo)
		if errors.Is(err, sql.ErrNoRows) {
			return messages.ErrNotFound
		}
		if err != nil {
			return err
		}
		m.JoinedAt = m.JoinedAt.UTC()
		var one int
		err = t.QueryRowContext(ctx, `SELECT 1 FROM messages WHERE id = $1 AND conversation_id = $2`, upTo, conversationID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return messages.ErrNotFound
		}
		if err != nil {
			return err
		}
		if upTo <= m.ReadUpTo {
			return nil
		}
		if _, err := t.ExecContext(ctx, `UPDATE members SET read_up_to = $3 WHERE conversation_id = $1 AND subject = $2 AND read_up_to < $3`,
			conversationID, sub, upTo); err != nil {
			return err
		}
		m.ReadUpTo = upTo
		var unread int
		if err := t.QueryRowContext(ctx, s.unreadCount(), conversationID, upTo, sub).Scan(&unread); err != nil {
			return err
		}
		t.event(messages.EventRead, conversationID, sub, map[string]any{"conversation_id": conversationID, "read_up_to": upTo, "unread": unread})
		return nil
	})
	return m, err
}

// UnreadIn counts sub's unread messages in one conversation (ErrNotFound
// for a non-member), for answering a moved marker.
func (s *Store) UnreadIn(ctx context.Context, sub, conversationID string) (int, error) {
	var n int
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		var marker string
		err := tx.QueryRowContext(ctx, `SELECT read_up_to FROM members WHERE conversation_id = $1 AND subject = $2`, conversationID, sub).Scan(&marker)
		if errors.Is(err, sql.ErrNoRows) {
			return messages.ErrNotFound
		}
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, s.unreadCount(), conversationID, marker, sub).Scan(&n)
	})
	return n, err
}

// Unread counts sub's unread messages per conversation and in total.
func (s *Store) Unread(ctx context.Context, sub string) (Unread, error) {
	u := Unread{Conversations: map[string]int{}}
	rows, err := s.db.QueryContext(ctx, `SELECT m.conversation_id,
		(`+s.unreadOf("m.conversation_id", "m.read_up_to", "m.subject")+`)
		FROM members m WHERE m.subject = $1`, sub)
	err = db.Each(rows, err, func(r db.Scanner) error {
		var id string
		var n int
		if err := r.Scan(&id, &n); err != nil {
			return err
		}
		if n > 0 {
			u.Conversations[id] = n
			u.Total += n
		}
		return nil
	})
	return u, err
}
