package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"campus/internal/db"
)

// BulkMessages adds n messages from sender to a conversation quickly
// (multi-row INSERTs, no events, no search words), for benchmarks and
// tests of large histories. Ids are UUIDv7 made in order, so the history
// is ordered as if they had been sent one by one; created_at advances a
// millisecond per message from start.
func (s *Store) BulkMessages(ctx context.Context, conversationID, sender string, n int, start time.Time) ([]string, error) {
	ids := make([]string, 0, n)
	const batch, perTx = 1000, 10
	for done := 0; done < n; done += batch * perTx {
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			for b := range perTx {
				if err := bulkBatch(ctx, tx, conversationID, sender, done+b*batch, min(batch, n-done-b*batch), start, &ids); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// bulkBatch inserts k messages, the done-th on, in one statement.
func bulkBatch(ctx context.Context, tx *sql.Tx, conversationID, sender string, done, k int, start time.Time, ids *[]string) error {
	if k <= 0 {
		return nil
	}
	var a db.Args
	rows := make([]string, k)
	from, conv := a.Add(sender), a.Add(conversationID)
	for i := range k {
		id := newID()
		*ids = append(*ids, id)
		at := start.Add(time.Duration(done+i) * time.Millisecond).UTC()
		rows[i] = "(" + a.Add(id) + ", " + conv + ", " + from + ", " + a.Add("message") + ", " + a.Add(at) + ")"
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, sender, text, created_at) VALUES `+strings.Join(rows, ", "), a.Values()...); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE conversations SET last_message_at = $2 WHERE id = $1`, conversationID, start.Add(time.Duration(done+k)*time.Millisecond).UTC())
	return err
}

// BulkWords indexes word for the messages ids of a conversation, as if
// their texts held it (for search benchmarks).
func (s *Store) BulkWords(ctx context.Context, conversationID string, ids []string, word string) error {
	for _, batch := range chunks(ids, 1000) {
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			if s.db.Dialect() == db.SQLite {
				var a db.Args
				in := placeholders(&a, batch)
				_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO message_fts (rowid, words) SELECT seq, `+a.Add(ftsWords([]string{word}))+
					` FROM messages WHERE id IN (`+in+`)`, a.Values()...)
				return err
			}
			var a db.Args
			w, c := a.Add([]byte(word)), a.Add(conversationID)
			rows := make([]string, len(batch))
			for i, id := range batch {
				rows[i] = "(" + w + ", " + c + ", " + a.Add(id) + ")"
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO message_words (word, conversation_id, message_id) VALUES `+strings.Join(rows, ", "), a.Values()...)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SetCommonTerm makes n matches a common search term, so that small tests
// take the plan of common words.
func (s *Store) SetCommonTerm(n int) { s.commonTerm = n }

// SetSearchQueued makes n queued messages the most a search checks in Go.
func (s *Store) SetSearchQueued(n int) { s.queuedMax = n }

// Queued counts the messages waiting for the indexer.
func (s *Store) Queued(ctx context.Context) (n int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM message_index_queue`).Scan(&n)
	return n, err
}

// WordRows counts the search words indexed for a message (0 for "": all),
// on SQLite through FTS5's vocabulary of message_fts (one per connection:
// the writer's, by a transaction).
func (s *Store) WordRows(ctx context.Context, messageID string) (n int, err error) {
	if s.db.Dialect() == db.SQLite {
		err = s.db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS temp.message_fts_terms USING fts5vocab(main, message_fts, instance)`); err != nil {
				return err
			}
			if messageID == "" {
				return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM temp.message_fts_terms`).Scan(&n)
			}
			return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM temp.message_fts_terms WHERE doc = (SELECT seq FROM messages WHERE id = $1)`, messageID).Scan(&n)
		})
		return n, err
	}
	if messageID == "" {
		err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM message_words`).Scan(&n)
		return n, err
	}
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM message_words WHERE message_id = $1`, messageID).Scan(&n)
	return n, err
}
