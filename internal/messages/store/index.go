package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"campus/internal/db"
	"campus/internal/messages"
	"campus/internal/textsearch"
)

// Search words indexed after the send.
//
// On SQLite the words go to the FTS5 index message_fts (migration 0005
// says why), on PostgreSQL to message_words; what follows was measured
// with message_words on both.
//
// A send's ~9 rows in message_words land on random pages of the word
// index; with them the send path reached 0.14 of /healthz's throughput
// under hey, without them 0.24. So a send (and a notice) writes one row
// to message_index_queue instead, and IndexPending moves queued messages
// to message_words in batches, their words sorted by the index's key, so
// that one transaction touches each index page once. A search stays
// complete: it also checks the queued messages of the searcher's
// conversations in Go, with the words a send would have written (see
// queuedMatches). Edit indexes at once and Delete removes the words; both
// drop the queue row.

const (
	indexBatch   = 500                    // queued messages per indexer transaction
	indexEvery   = 200 * time.Millisecond // the indexer's pause between rounds
	searchQueued = 5000                   // queued messages a search checks in Go before it indexes them first
)

// enqueueIndex queues a new message for the indexer.
func enqueueIndex(ctx context.Context, t *txn, conversationID, id string) error {
	_, err := t.exec(ctx, `INSERT INTO message_index_queue (message_id, conversation_id) VALUES ($1, $2)`, id, conversationID)
	return err
}

// IndexPending indexes up to limit queued messages in one transaction and
// returns how many it took from the queue.
//
// On PostgreSQL several replicas may run it at once: the queue rows are
// claimed with FOR UPDATE SKIP LOCKED and deleted in the same
// transaction, so each message is indexed by one of them, once, and a
// rollback leaves it queued. The messages are then locked (FOR UPDATE)
// before their text is read: an Edit at the same moment either comes
// first (its text is the one read) or waits for the commit and indexes
// again.
func (s *Store) IndexPending(ctx context.Context, limit int) (int, error) {
	if limit <= 0 {
		limit = indexBatch
	}
	n := 0
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		t := &txn{Tx: tx, lite: s.db.Dialect() == db.SQLite, db: s.db}
		var words []wordRow
		collect := func(rows *sql.Rows, err error) error {
			return db.Each(rows, err, func(r db.Scanner) error {
				var id, conv, text, de string
				if err := r.Scan(&id, &conv, &text, &de); err != nil {
					return err
				}
				for _, w := range messageWords(text, de) {
					words = append(words, wordRow{w, conv, id})
				}
				return nil
			})
		}
		if t.lite {
			// One writer: the first limit rows of the queue stay the
			// first until this commits, and are named by the last id
			// (a statement of 500 placeholders cost more to parse than
			// to run).
			var last sql.NullString
			err := tx.QueryRowContext(ctx, `SELECT COUNT(*), MAX(message_id) FROM (SELECT message_id FROM message_index_queue
				ORDER BY message_id LIMIT $1) q`, limit).Scan(&n, &last)
			if err != nil || n == 0 {
				return err
			}
			// CROSS JOIN keeps the queue the outer loop: with a plain
			// JOIN SQLite's planner walked every message below the last
			// id (the bound fits the messages' key as well), a batch
			// costing more the longer the history.
			rows, err := tx.QueryContext(ctx, `SELECT x.seq, x.text, x.text_de FROM message_index_queue q
				CROSS JOIN messages x ON x.id = q.message_id WHERE q.message_id <= $1 AND NOT x.deleted`, last.String)
			type doc struct {
				seq   int64
				words string
			}
			docs, err := db.Collect(rows, err, func(r db.Scanner) (doc, error) {
				var d doc
				var text, de string
				err := r.Scan(&d.seq, &text, &de)
				d.words = ftsWords(messageWords(text, de))
				return d, err
			})
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM message_index_queue WHERE message_id <= $1`, last.String); err != nil {
				return err
			}
			for _, d := range docs {
				if _, err := t.exec(ctx, ftsInsert, d.seq, d.words); err != nil {
					return err
				}
			}
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT message_id FROM message_index_queue ORDER BY message_id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
		ids, err := db.Collect(rows, err, db.Value[string])
		if err != nil || len(ids) == 0 {
			return err
		}
		n = len(ids)
		for _, batch := range chunks(ids, 500) {
			var a db.Args
			in := placeholders(&a, batch)
			if _, err := tx.ExecContext(ctx, `DELETE FROM message_index_queue WHERE message_id IN (`+in+`)`, a.Values()...); err != nil {
				return err
			}
			err := collect(tx.QueryContext(ctx, `SELECT id, conversation_id, text, text_de FROM messages WHERE id IN (`+in+`) AND NOT deleted
				ORDER BY id FOR UPDATE`, a.Values()...))
			if err != nil {
				return err
			}
			// Words an Edit wrote meanwhile are replaced.
			if _, err := tx.ExecContext(ctx, `DELETE FROM message_words WHERE message_id IN (`+in+`)`, a.Values()...); err != nil {
				return err
			}
		}
		return insertWordRows(ctx, t, words)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

type wordRow struct{ word, conv, msg string }

// ftsInsert indexes a message on SQLite: its seq and its ftsWords.
const ftsInsert = `INSERT OR REPLACE INTO message_fts (rowid, words) VALUES ($1, $2)`

// ftsDelete removes a message from SQLite's index.
const ftsDelete = `DELETE FROM message_fts WHERE rowid = (SELECT seq FROM messages WHERE id = $1)`

// ftsWords is a message's words as message_fts's document: each word in
// hex, so that FTS5's tokenizer keeps it whole whatever it holds, and a
// term's hex is a prefix of a word's exactly when the term is a prefix of
// the word (the byte ranges of textsearch.Range).
func ftsWords(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(hex.EncodeToString([]byte(w)))
	}
	return b.String()
}

// ftsQuery is the FTS5 query for messages holding a word that begins with
// every term: "hex"* AND "hex"* (hex needs no quoting inside the quotes).
func ftsQuery(terms []string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + hex.EncodeToString([]byte(t)) + `"*`
	}
	return strings.Join(parts, " AND ")
}

// insertWordRows adds rows to message_words (PostgreSQL), sorted by the
// table's key, so that neighbours share index pages, by INSERTs of 500.
func insertWordRows(ctx context.Context, t *txn, words []wordRow) error {
	slices.SortFunc(words, func(x, y wordRow) int {
		return cmp.Or(strings.Compare(x.word, y.word), strings.Compare(x.conv, y.conv), strings.Compare(x.msg, y.msg))
	})
	for _, batch := range chunks(words, 500) {
		var a db.Args
		vals := make([]string, len(batch))
		for i, w := range batch {
			vals[i] = "(" + a.Add([]byte(w.word)) + ", " + a.Add(w.conv) + ", " + a.Add(w.msg) + ")"
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO message_words (word, conversation_id, message_id) VALUES `+strings.Join(vals, ", "), a.Values()...); err != nil {
			return err
		}
	}
	return nil
}

// RunIndexer indexes queued messages every indexEvery until ctx is done,
// as many batches as the queue holds. Every replica may run it. A
// failure is logged (logger may be nil) and leaves the rows queued for
// the next round; searches find them meanwhile.
func (s *Store) RunIndexer(ctx context.Context, logger *slog.Logger) {
	t := time.NewTicker(indexEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for ctx.Err() == nil {
			n, err := s.IndexPending(ctx, indexBatch)
			if err != nil && ctx.Err() == nil && logger != nil {
				logger.Warn("messages: index search words", "err", err)
			}
			if err != nil || n < indexBatch {
				break
			}
		}
	}
}

// queuedMatches returns the queued (not yet indexed) messages of sub's
// conversations that contain every term, below the cursor id before (""
// for none), newest first, at most limit. ok is false when more than
// most messages are queued there: the caller indexes them first.
func queuedMatches(ctx context.Context, tx *sql.Tx, sub string, terms []string, before string, limit, most int) (list []messages.Message, ok bool, err error) {
	var a db.Args
	where := `q.conversation_id IN (SELECT conversation_id FROM members WHERE subject = ` + a.Add(sub) + `) AND NOT x.deleted`
	if before != "" {
		where += ` AND x.id < ` + a.Add(before)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+messageColumns+` FROM message_index_queue q JOIN messages x ON x.id = q.message_id
		WHERE `+where+` ORDER BY q.message_id DESC LIMIT `+fmt.Sprint(most+1), a.Values()...)
	all, err := db.Collect(rows, err, scanMessage)
	if err != nil {
		return nil, false, err
	}
	if len(all) > most {
		return nil, false, nil
	}
	for _, m := range all {
		if matchesTerms(messageWords(m.Text, m.TextDE), terms) {
			list = append(list, m)
			if len(list) == limit {
				break
			}
		}
	}
	return list, true, nil
}

// matchesTerms reports whether every term is a prefix of one of words, as
// the word index's range scans decide it (textsearch.Range).
func matchesTerms(words, terms []string) bool {
	for _, t := range terms {
		lo, hi := textsearch.Range(t)
		found := false
		for _, w := range words {
			if b := []byte(w); bytes.Compare(b, lo) >= 0 && bytes.Compare(b, hi) < 0 {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
