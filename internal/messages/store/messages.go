package store

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"campus/internal/db"
	"campus/internal/messages"
	"campus/internal/textsearch"
)

// messageColumns read a message (x is the messages table).
const messageColumns = `x.id, x.conversation_id, x.sender, x.text, x.text_de, x.reply_to, x.mentions,
	x.created_at, x.edited_at, x.deleted, x.notice_kind, x.link`

func scanMessage(r db.Scanner) (messages.Message, error) {
	var m messages.Message
	var mentions string
	var edited sql.NullTime
	err := r.Scan(&m.ID, &m.ConversationID, &m.Sender, &m.Text, &m.TextDE, &m.ReplyTo, &mentions,
		&m.CreatedAt, &edited, &m.Deleted, &m.NoticeKind, &m.Link)
	if err != nil {
		return m, err
	}
	m.CreatedAt = m.CreatedAt.UTC()
	if edited.Valid {
		t := edited.Time.UTC()
		m.EditedAt = &t
	}
	if mentions != "" && mentions != "[]" {
		if err := json.Unmarshal([]byte(mentions), &m.Mentions); err != nil {
			return m, fmt.Errorf("message %s: mentions: %w", m.ID, err)
		}
	}
	return m, nil
}

// withAttachments fills in the attachments of list.
func withAttachments(ctx context.Context, q queryer, list []messages.Message) error {
	ids := make([]string, 0, len(list))
	for _, m := range list {
		if !m.Deleted {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var a db.Args
	type row struct {
		message string
		att     messages.Attachment
	}
	rows, err := q.QueryContext(ctx, `SELECT message_id, id, name, content_type, size, sha256 FROM attachments
		WHERE message_id IN (`+placeholders(&a, ids)+`) ORDER BY message_id, position`, a.Values()...)
	atts, err := db.Collect(rows, err, func(r db.Scanner) (row, error) {
		var w row
		err := r.Scan(&w.message, &w.att.ID, &w.att.Name, &w.att.ContentType, &w.att.Size, &w.att.SHA256)
		return w, err
	})
	if err != nil {
		return err
	}
	by := map[string][]messages.Attachment{}
	for _, w := range atts {
		by[w.message] = append(by[w.message], w.att)
	}
	for i := range list {
		list[i].Attachments = by[list[i].ID]
	}
	return nil
}

// messageWords are the search words of a message: its texts.
func messageWords(text, textDE string) []string { return textsearch.Words(text, textDE) }

// indexMessage replaces the search words of a message (an edited one:
// new messages are indexed by IndexPending, index.go): on SQLite its
// entry in message_fts, on PostgreSQL its rows of message_words, by one
// INSERT per 500 words (one round trip).
func indexMessage(ctx context.Context, t *txn, conversationID, id string, words []string) error {
	if t.lite {
		_, err := t.ExecContext(ctx, `INSERT OR REPLACE INTO message_fts (rowid, words) SELECT seq, $2 FROM messages WHERE id = $1`, id, ftsWords(words))
		return err
	}
	if _, err := t.ExecContext(ctx, `DELETE FROM message_words WHERE message_id = $1`, id); err != nil {
		return err
	}
	for _, batch := range chunks(words, 500) {
		var a db.Args
		c, m := a.Add(conversationID), a.Add(id)
		rows := make([]string, len(batch))
		for i, w := range batch {
			rows[i] = "(" + a.Add([]byte(w)) + ", " + c + ", " + m + ")"
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO message_words (word, conversation_id, message_id) VALUES `+strings.Join(rows, ", "), a.Values()...); err != nil {
			return err
		}
	}
	return nil
}

// checkNewMessage applies the limits of messages and attachments.
func checkNewMessage(m NewMessage) error {
	if len(m.Text) > messages.MaxTextBytes {
		return fmt.Errorf("a message has at most %d bytes of text: %w", messages.MaxTextBytes, messages.ErrConflict)
	}
	if !utf8.ValidString(m.Text) {
		return fmt.Errorf("the text is not UTF-8: %w", messages.ErrConflict)
	}
	if strings.TrimSpace(m.Text) == "" && len(m.Attachments) == 0 {
		return fmt.Errorf("a message has a text or an attachment: %w", messages.ErrConflict)
	}
	if len(m.Attachments) > messages.MaxAttachments {
		return fmt.Errorf("a message has at most %d attachments: %w", messages.MaxAttachments, messages.ErrConflict)
	}
	total := 0
	for _, a := range m.Attachments {
		if len(a.Data) > messages.MaxAttachmentBytes {
			return fmt.Errorf("an attachment has at most %d bytes: %w", messages.MaxAttachmentBytes, messages.ErrConflict)
		}
		total += len(a.Data)
	}
	if total > messages.MaxMessageBytes {
		return fmt.Errorf("a message's attachments have at most %d bytes together: %w", messages.MaxMessageBytes, messages.ErrConflict)
	}
	return nil
}

// Send adds a message from sub (a member; ErrNotFound otherwise, and
// ErrForbidden in a notices conversation) with its attachments, moves
// sub's read marker to it, and records the event, in one transaction.
//
// Mentions of people who are not members are dropped; a reply to a
// message of another conversation is ErrNotFound. With the default
// (database) blobs the attachments' content is written in the same
// transaction; with other Blobs it is put first and deleted again when
// the message is not stored.
func (s *Store) Send(ctx context.Context, sub, conversationID string, m NewMessage) (messages.Message, error) {
	if err := checkNewMessage(m); err != nil {
		return messages.Message{}, err
	}
	now := s.stamp()
	msg := messages.Message{ID: newID(), ConversationID: conversationID, Sender: sub, Text: m.Text, ReplyTo: m.ReplyTo, CreatedAt: now}
	type stored struct {
		att  messages.Attachment
		key  string
		data []byte
	}
	atts := make([]stored, len(m.Attachments))
	for i, a := range m.Attachments {
		sum := sha256.Sum256(a.Data)
		id := newID()
		if a.Data == nil {
			a.Data = []byte{} // an empty file is still a file
		}
		atts[i] = stored{att: messages.Attachment{ID: id, Name: a.Name, ContentType: a.ContentType, Size: int64(len(a.Data)), SHA256: hex.EncodeToString(sum[:])}, key: id, data: a.Data}
		msg.Attachments = append(msg.Attachments, atts[i].att)
	}
	var external []string
	if s.Blobs != nil {
		for _, a := range atts {
			if err := s.Blobs.Put(ctx, a.key, a.data); err != nil {
				if len(external) > 0 {
					s.Blobs.Delete(context.WithoutCancel(ctx), external...) //nolint:errcheck // best effort: an orphan costs space only
				}
				return messages.Message{}, fmt.Errorf("store attachment: %w", err)
			}
			external = append(external, a.key)
		}
	}
	// Grouped with other sends (SQLite): see writeGrouped. The statements
	// of fixed text are prepared once per transaction.
	err := s.writeGrouped(ctx, func(ctx context.Context, t *txn) error {
		if s.db.Dialect() == db.Postgres {
			// The sender's membership row is held to the commit: a removal
			// at the same moment waits, and comes after the message, never
			// before it (SQLite has one writer: nothing comes between).
			var one int
			err := t.QueryRowContext(ctx, `SELECT 1 FROM members WHERE conversation_id = $1 AND subject = $2 FOR UPDATE`, conversationID, sub).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return messages.ErrNotFound
			}
			if err != nil {
				return err
			}
		}
		var kind string
		err := t.queryRow(ctx, `SELECT c.kind FROM members m JOIN conversations c ON c.id = m.conversation_id
			WHERE m.conversation_id = $1 AND m.subject = $2`, conversationID, sub).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) {
			return messages.ErrNotFound
		}
		if err != nil {
			return err
		}
		if kind == messages.KindNotices {
			return messages.ErrForbidden
		}
		if s.SendLimit.Every > 0 {
			wait, err := takeSend(ctx, t, sub, now, s.SendLimit)
			if err != nil {
				return err
			}
			if wait > 0 {
				return &messages.RateLimited{Wait: wait}
			}
		}
		if m.ReplyTo != "" {
			var one int
			err := t.queryRow(ctx, `SELECT 1 FROM messages WHERE id = $1 AND conversation_id = $2`, m.ReplyTo, conversationID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("reply to %s: %w", m.ReplyTo, messages.ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		msg.Mentions, err = membersAmong(ctx, t, conversationID, m.Mentions)
		if err != nil {
			return err
		}
		mentions, _ := json.Marshal(msg.Mentions)
		if msg.Mentions == nil {
			mentions = []byte("[]")
		}
		insert := `INSERT INTO messages (id, conversation_id, sender, text, reply_to, mentions, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`
		if t.lite {
			// Its number in the search index at once, without the
			// trigger's second write (migration 0005).
			insert = `INSERT INTO messages (id, conversation_id, sender, text, reply_to, mentions, created_at, seq)
				VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages))`
		}
		if _, err := t.exec(ctx, insert, msg.ID, conversationID, sub, m.Text, m.ReplyTo, string(mentions), now); err != nil {
			return err
		}
		for i, a := range atts {
			if _, err := t.exec(ctx, `INSERT INTO attachments (id, message_id, conversation_id, position, name, content_type, size, sha256, blob_key)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, a.att.ID, msg.ID, conversationID, i, a.att.Name, a.att.ContentType, a.att.Size, a.att.SHA256, a.key); err != nil {
				return err
			}
			if s.Blobs == nil {
				if _, err := t.exec(ctx, `INSERT INTO attachment_data (key, data) VALUES ($1, $2)`, a.key, a.data); err != nil {
					return err
				}
			}
		}
		// The words come later, in a batch of the indexer's (index.go).
		if err := enqueueIndex(ctx, t, conversationID, msg.ID); err != nil {
			return err
		}
		// The conversation's last message and the sender's read marker,
		// once per transaction for all its sends (see txn.sent).
		t.sent = append(t.sent, sentMessage{conversation: conversationID, sender: sub, id: msg.ID, at: now})
		t.event(messages.EventMessageCreated, conversationID, "", map[string]string{"conversation_id": conversationID, "message_id": msg.ID})
		return nil
	})
	if err != nil {
		if len(external) > 0 {
			s.Blobs.Delete(context.WithoutCancel(ctx), external...) //nolint:errcheck // best effort: an orphan costs space only
		}
		return messages.Message{}, err
	}
	return msg, nil
}

// membersAmong returns the subjects of subs that are members of the
// conversation, each once, in the order given.
func membersAmong(ctx context.Context, q queryer, conversationID string, subs []string) ([]string, error) {
	var uniq []string
	for _, s := range subs {
		if s != "" && !slices.Contains(uniq, s) {
			uniq = append(uniq, s)
		}
	}
	if len(uniq) == 0 {
		return nil, nil
	}
	if len(uniq) > 100 {
		uniq = uniq[:100]
	}
	var a db.Args
	rows, err := q.QueryContext(ctx, `SELECT subject FROM members WHERE conversation_id = `+a.Add(conversationID)+
		` AND subject IN (`+placeholders(&a, uniq)+`)`, a.Values()...)
	found, err := db.Collect(rows, err, db.Value[string])
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(uniq, func(s string) bool { return !slices.Contains(found, s) }), nil
}

// History lists a conversation's messages for the member sub, newest
// first, messages.HistoryPage per page by default.
//
// The page is read from the (conversation_id, id) index, starting at the
// cursor (see inConversation).
func (s *Store) History(ctx context.Context, sub, conversationID string, p Page) (list []messages.Message, next string, err error) {
	limit := p.limit(messages.HistoryPage)
	var a db.Args
	where := s.inConversation("x.conversation_id", a.Add(conversationID))
	if cur, ok := decode[idCursor](p.Cursor); ok {
		where += ` AND x.id < ` + a.Add(cur.ID)
	}
	err = s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		if err := isMember(ctx, tx, sub, conversationID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages x WHERE `+where+
			` ORDER BY x.conversation_id DESC, x.id DESC LIMIT `+fmt.Sprint(limit+1), a.Values()...)
		list, err = db.Collect(rows, err, scanMessage)
		if err != nil {
			return err
		}
		if len(list) > limit {
			list = list[:limit]
			next = db.EncodeCursor(idCursor{ID: list[limit-1].ID})
		}
		return withAttachments(ctx, tx, list)
	})
	if err != nil {
		return nil, "", err
	}
	return list, next, nil
}

// MessagesAfter lists the messages after the message id after (oldest
// first, at most limit), for a client catching up.
func (s *Store) MessagesAfter(ctx context.Context, sub, conversationID, after string, limit int) (list []messages.Message, err error) {
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	err = s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		if err := isMember(ctx, tx, sub, conversationID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages x WHERE `+s.inConversation("x.conversation_id", "$1")+` AND x.id > $2
			ORDER BY x.conversation_id, x.id LIMIT `+fmt.Sprint(limit), conversationID, after)
		list, err = db.Collect(rows, err, scanMessage)
		if err != nil {
			return err
		}
		return withAttachments(ctx, tx, list)
	})
	return list, err
}

// messageFor reads message id for the member sub of its conversation.
func messageFor(ctx context.Context, q queryer, sub, id string) (messages.Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages x
		JOIN members m ON m.conversation_id = x.conversation_id AND m.subject = $2 WHERE x.id = $1`, id, sub))
	if errors.Is(err, sql.ErrNoRows) {
		return m, messages.ErrNotFound
	}
	if err != nil {
		return m, err
	}
	list := []messages.Message{m}
	err = withAttachments(ctx, q, list)
	return list[0], err
}

// Message returns one message for the member sub.
func (s *Store) Message(ctx context.Context, sub, id string) (m messages.Message, err error) {
	err = s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		m, err = messageFor(ctx, tx, sub, id)
		return err
	})
	return m, err
}

// MessageByID reads a message without asking whose it may be: for the
// fan-out, which has decided who gets the event already. It must never
// answer a request directly; requests go through Message.
func (s *Store) MessageByID(ctx context.Context, id string) (m messages.Message, err error) {
	err = s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		m, err = scanMessage(tx.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM messages x WHERE x.id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return messages.ErrNotFound
		}
		if err != nil {
			return err
		}
		list := []messages.Message{m}
		err = withAttachments(ctx, tx, list)
		m = list[0]
		return err
	})
	return m, err
}

// ownMessage reads message id for a change by its sender sub: ErrNotFound
// for a non-member, ErrForbidden for another's message.
func ownMessage(ctx context.Context, t *txn, sub, id string) (messages.Message, error) {
	m, err := messageFor(ctx, t, sub, id)
	if err != nil {
		return m, err
	}
	if m.Sender != sub {
		return m, messages.ErrForbidden
	}
	return m, nil
}

// Edit changes the text of sub's own message (ErrForbidden for another's,
// ErrConflict for a deleted one).
func (s *Store) Edit(ctx context.Context, sub, id, text string) (messages.Message, error) {
	if len(text) > messages.MaxTextBytes || !utf8.ValidString(text) {
		return messages.Message{}, fmt.Errorf("a message has at most %d bytes of text: %w", messages.MaxTextBytes, messages.ErrConflict)
	}
	var m messages.Message
	err := s.write(ctx, func(t *txn) error {
		var err error
		m, err = ownMessage(ctx, t, sub, id)
		if err != nil {
			return err
		}
		if m.Deleted {
			return fmt.Errorf("the message is deleted: %w", messages.ErrConflict)
		}
		if strings.TrimSpace(text) == "" && len(m.Attachments) == 0 {
			return fmt.Errorf("a message has a text or an attachment: %w", messages.ErrConflict)
		}
		// The queue row first: an indexer holding it (PostgreSQL) finishes
		// before this locks the message, which the indexer locks too.
		if _, err := t.ExecContext(ctx, `DELETE FROM message_index_queue WHERE message_id = $1`, id); err != nil {
			return err
		}
		now := s.stamp()
		if _, err := t.ExecContext(ctx, `UPDATE messages SET text = $2, edited_at = $3 WHERE id = $1`, id, text, now); err != nil {
			return err
		}
		if err := indexMessage(ctx, t, m.ConversationID, id, messageWords(text, "")); err != nil {
			return err
		}
		m.Text, m.EditedAt = text, &now
		t.event(messages.EventMessageEdited, m.ConversationID, "", map[string]string{"conversation_id": m.ConversationID, "message_id": id})
		return nil
	})
	if err != nil {
		return messages.Message{}, err
	}
	return m, nil
}

// wordsDelete removes a message's search words (by its id, $1).
func wordsDelete(t *txn) string {
	if t.lite {
		return ftsDelete
	}
	return `DELETE FROM message_words WHERE message_id = $1`
}

// Delete deletes sub's own message: its text, mentions and attachments go,
// its place stays marked deleted. Deleting it again changes nothing.
func (s *Store) Delete(ctx context.Context, sub, id string) (messages.Message, error) {
	var m messages.Message
	var keys []string
	err := s.write(ctx, func(t *txn) error {
		var err error
		m, err = ownMessage(ctx, t, sub, id)
		if err != nil || m.Deleted {
			return err
		}
		rows, err := t.QueryContext(ctx, `SELECT blob_key FROM attachments WHERE message_id = $1`, id)
		keys, err = db.Collect(rows, err, db.Value[string])
		if err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM message_index_queue WHERE message_id = $1`, // first, as in Edit
			`UPDATE messages SET text = '', text_de = '', mentions = '[]', deleted = TRUE WHERE id = $1`,
			`DELETE FROM attachments WHERE message_id = $1`,
			wordsDelete(t),
		} {
			if _, err := t.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		if s.Blobs == nil && len(keys) > 0 {
			var a db.Args
			if _, err := t.ExecContext(ctx, `DELETE FROM attachment_data WHERE key IN (`+placeholders(&a, keys)+`)`, a.Values()...); err != nil {
				return err
			}
		}
		m.Text, m.TextDE, m.Mentions, m.Attachments, m.Deleted = "", "", nil, nil, true
		t.event(messages.EventMessageDeleted, m.ConversationID, "", map[string]string{"conversation_id": m.ConversationID, "message_id": id})
		return nil
	})
	if err != nil {
		return messages.Message{}, err
	}
	if s.Blobs != nil && len(keys) > 0 {
		if err := s.Blobs.Delete(ctx, keys...); err != nil {
			return m, fmt.Errorf("delete attachments' content: %w", err)
		}
	}
	return m, nil
}

// Search finds messages containing every word of q (word prefixes, as the
// catalogue's search) in the conversations sub belongs to, newest first.
//
// Two plans, chosen by counting each term's matches (up to
// searchCommon): when some term is rare, its few messages drive the query
// (the word index, then the messages); when every term is common, the
// messages are walked newest first and each checked for the words, which
// finds a page soon unless newer messages of other conversations are far
// more. Either plan alone is slow for the other case (a word in every
// message of 100,000 took a second the first way on SQLite).
func (s *Store) Search(ctx context.Context, sub, q string, p Page) (list []messages.Message, next string, err error) {
	terms := textsearch.Terms(q)
	if len(terms) == 0 {
		return nil, "", nil
	}
	if len(terms) > 8 {
		terms = terms[:8]
	}
	limit := p.limit(messages.HistoryPage)
	cur, hasCursor := decode[idCursor](p.Cursor)
	before := ""
	if hasCursor {
		before = cur.ID
	}
	for try := 0; ; try++ {
		list, next, err = s.search(ctx, sub, terms, before, limit)
		if !errors.Is(err, errIndexFirst) || try > 0 {
			return list, next, err
		}
		// Too many queued messages to check in Go: index them first.
		for {
			n, err := s.IndexPending(ctx, indexBatch)
			if err != nil {
				return nil, "", err
			}
			if n < indexBatch {
				break
			}
		}
	}
}

// errIndexFirst: too many queued messages for a search (see queuedMatches).
var errIndexFirst = errors.New("index the queued messages first")

func (s *Store) search(ctx context.Context, sub string, terms []string, before string, limit int) (list []messages.Message, next string, err error) {
	err = s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		// The queue before the words: a message the indexer moves between
		// the two statements (each its own snapshot on PostgreSQL) is then
		// found twice, never missed.
		queued, ok, err := queuedMatches(ctx, tx, sub, terms, before, limit+1, cmp.Or(s.queuedMax, searchQueued))
		if err != nil {
			return err
		}
		if !ok {
			return errIndexFirst
		}
		mine := `SELECT conversation_id FROM members WHERE subject = $1`
		if s.db.Dialect() == db.SQLite {
			list, err = s.searchLite(ctx, tx, sub, mine, terms, before, limit)
		} else {
			list, err = s.searchWords(ctx, tx, sub, mine, terms, before, limit)
		}
		if err != nil {
			return err
		}
		if len(queued) > 0 {
			list = append(list, queued...)
			slices.SortFunc(list, func(x, y messages.Message) int { return strings.Compare(y.ID, x.ID) })
			list = slices.CompactFunc(list, func(x, y messages.Message) bool { return x.ID == y.ID })
		}
		if len(list) > limit {
			list = list[:limit]
			next = db.EncodeCursor(idCursor{ID: list[limit-1].ID})
		}
		return withAttachments(ctx, tx, list)
	})
	if err != nil {
		return nil, "", err
	}
	return list, next, nil
}

// searchWords finds matches through message_words (PostgreSQL): each term
// is counted in sub's conversations first; when one is rare, its rows
// lead, otherwise the messages are walked newest first and each is
// checked in the index.
func (s *Store) searchWords(ctx context.Context, tx *sql.Tx, sub, mine string, terms []string, before string, limit int) ([]messages.Message, error) {
	rare := false
	for _, t := range terms {
		lo, hi := textsearch.Range(t)
		var n int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM message_words w WHERE w.word >= $2 AND w.word < $3
			AND w.conversation_id IN (`+mine+`) LIMIT `+fmt.Sprint(s.searchCommon())+`) n`, sub, lo, hi).Scan(&n)
		if err != nil {
			return nil, err
		}
		if n < s.searchCommon() {
			rare = true
			break
		}
	}
	var a db.Args
	a.Add(sub)
	where := []string{`x.conversation_id IN (` + mine + `)`, `NOT x.deleted`}
	if !rare {
		// Walk the messages by id, not by conversation: '' || keeps
		// the engines off the (conversation_id, id) index, which would
		// read and sort every message of one's conversations first.
		where[0] = `'' || x.conversation_id IN (` + mine + `)`
	}
	for _, t := range terms {
		lo, hi := textsearch.Range(t)
		if rare {
			where = append(where, `x.id IN (SELECT w.message_id FROM message_words w WHERE w.word >= `+a.Add(lo)+` AND w.word < `+a.Add(hi)+
				` AND w.conversation_id IN (`+mine+`))`)
		} else {
			where = append(where, `EXISTS (SELECT 1 FROM message_words w WHERE w.message_id = x.id AND w.word >= `+a.Add(lo)+` AND w.word < `+a.Add(hi)+`)`)
		}
	}
	if before != "" {
		where = append(where, `x.id < `+a.Add(before))
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages x WHERE `+strings.Join(where, ` AND `)+
		` ORDER BY x.id DESC LIMIT `+fmt.Sprint(limit+1), a.Values()...)
	return db.Collect(rows, err, scanMessage)
}

// searchLite finds matches on SQLite. FTS5 answers a prefix query by
// merging the doclists of every word with the prefix, all of them, so
// neither a count of a common word nor a check of one message at a time
// is cheap there. So sub's newest messages are walked first and checked
// in Go (matchesTerms, as the index decides), up to searchCommon of them:
// a common word fills the page on the way. A word that does not is rare
// among them, and the index leads (the rowids of its matches, then their
// messages by seq).
func (s *Store) searchLite(ctx context.Context, tx *sql.Tx, sub, mine string, terms []string, before string, limit int) ([]messages.Message, error) {
	rows, err := tx.QueryContext(ctx, mine, sub)
	convs, err := db.Collect(rows, err, db.Value[string])
	if err != nil {
		return nil, err
	}
	list, complete, err := walkMatches(ctx, tx, convs, terms, before, limit+1, s.searchCommon())
	if err != nil || complete {
		return list, err
	}
	var a db.Args
	a.Add(sub)
	where := []string{`x.conversation_id IN (` + mine + `)`, `NOT x.deleted`,
		`x.seq IN (SELECT rowid FROM message_fts WHERE message_fts MATCH ` + a.Add(ftsQuery(terms)) + `)`}
	if before != "" {
		where = append(where, `x.id < `+a.Add(before))
	}
	rows, err = tx.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages x WHERE `+strings.Join(where, ` AND `)+
		` ORDER BY x.id DESC LIMIT `+fmt.Sprint(limit+1), a.Values()...)
	return db.Collect(rows, err, scanMessage)
}

// walkMatches reads the messages of the conversations convs newest
// first below the id before ("" for none), each conversation by its
// history index and all of them merged by id, and keeps those whose words
// hold every term (as the index would decide it: matchesTerms), until it
// has want of them, the messages end (complete either way) or it has read
// budget messages (not complete). Other conversations' messages are never
// read, however many there are.
func walkMatches(ctx context.Context, tx *sql.Tx, convs, terms []string, before string, want, budget int) (out []messages.Message, complete bool, err error) {
	const page = 50
	type cursor struct {
		conv  string
		below string
		buf   []messages.Message
		done  bool
	}
	fill := func(c *cursor) error {
		q := `SELECT ` + messageColumns + ` FROM messages x WHERE x.conversation_id = $1 AND NOT x.deleted`
		args := []any{c.conv}
		if c.below != "" {
			q += ` AND x.id < $2`
			args = append(args, c.below)
		}
		rows, err := tx.QueryContext(ctx, q+` ORDER BY x.id DESC LIMIT `+fmt.Sprint(page), args...)
		c.buf, err = db.Collect(rows, err, scanMessage)
		if err != nil {
			return err
		}
		c.done = len(c.buf) < page
		if len(c.buf) > 0 {
			c.below = c.buf[len(c.buf)-1].ID
		}
		return nil
	}
	cursors := make([]*cursor, 0, len(convs))
	for _, id := range convs {
		c := &cursor{conv: id, below: before}
		if err := fill(c); err != nil {
			return nil, false, err
		}
		if len(c.buf) > 0 {
			cursors = append(cursors, c)
		}
	}
	for read := 0; read < budget; read++ {
		// The newest head of all: conversations are few per person.
		var top *cursor
		for _, c := range cursors {
			if len(c.buf) > 0 && (top == nil || c.buf[0].ID > top.buf[0].ID) {
				top = c
			}
		}
		if top == nil {
			return out, true, nil
		}
		m := top.buf[0]
		top.buf = top.buf[1:]
		if len(top.buf) == 0 && !top.done {
			if err := fill(top); err != nil {
				return nil, false, err
			}
		}
		if matchesTerms(messageWords(m.Text, m.TextDE), terms) {
			out = append(out, m)
			if len(out) == want {
				return out, true, nil
			}
		}
	}
	return out, false, nil
}

// searchCommon is how many matches make a search term common.
const searchCommon = 1000

func (s *Store) searchCommon() int {
	if s.commonTerm > 0 {
		return s.commonTerm
	}
	return searchCommon
}

// Attachment returns an attachment's description and content for the
// member sub of its conversation (ErrNotFound otherwise, also once its
// message is deleted).
func (s *Store) Attachment(ctx context.Context, sub, id string) (messages.Attachment, io.ReadCloser, error) {
	var a messages.Attachment
	var key string
	var data []byte
	err := s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT a.id, a.name, a.content_type, a.size, a.sha256, a.blob_key FROM attachments a
			JOIN messages x ON x.id = a.message_id
			JOIN members m ON m.conversation_id = x.conversation_id AND m.subject = $2
			WHERE a.id = $1 AND NOT x.deleted`, id, sub).Scan(&a.ID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &key)
		if errors.Is(err, sql.ErrNoRows) {
			return messages.ErrNotFound
		}
		if err != nil || s.Blobs != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `SELECT data FROM attachment_data WHERE key = $1`, key).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("attachment %s: content missing", id)
		}
		return err
	})
	if err != nil {
		return messages.Attachment{}, nil, err
	}
	if s.Blobs != nil {
		r, err := s.Blobs.Open(ctx, key)
		if err != nil {
			return messages.Attachment{}, nil, fmt.Errorf("attachment %s: %w", id, err)
		}
		return a, r, nil
	}
	return a, io.NopCloser(bytes.NewReader(data)), nil
}
