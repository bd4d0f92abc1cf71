package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"campus/internal/db"
	"campus/internal/messages"
)

// Digest mails, without scanning everyone every minute: the event log is
// read once, in id order, as its message.created events come of age
// (older than the digest delay), from where the last call stopped
// (digest_scan). For each conversation with messages that came of age,
// its members who have not read them are marked due up to the newest
// such event (digest_state.due_up_to). A person is due while due_up_to >
// sent_up_to, what their last digest covered. So each call costs the
// messages that came of age since the last one and the members of their
// conversations, however many people there are.

// digestScanBatch bounds the events one scan reads, digestScanBatches
// the scans of one call.
const digestScanBatch, digestScanBatches = 10000, 10

// DigestsDue lists people due a digest: unread messages from others
// created before olderThan and after their last digest, at most limit.
// It advances the scan (a write): call it from the one replica holding
// the digest job's lease.
func (s *Store) DigestsDue(ctx context.Context, olderThan time.Time, limit int) ([]DigestDue, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	olderThan = olderThan.UTC()
	var out []DigestDue
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		t := &txn{Tx: tx, lite: s.db.Dialect() == db.SQLite, db: s.db}
		// Catch up a while in one call, should the events have come
		// faster than the job runs.
		for range digestScanBatches {
			more, err := s.scanForDigests(ctx, t, olderThan)
			if err != nil {
				return err
			}
			if !more {
				break
			}
		}
		type due struct {
			sub  string
			upTo int64
		}
		rows, err := t.QueryContext(ctx, `SELECT subject, due_up_to FROM digest_state WHERE due_up_to > sent_up_to ORDER BY due_up_to, subject LIMIT $1`, limit)
		list, err := db.Collect(rows, err, func(r db.Scanner) (due, error) {
			var d due
			err := r.Scan(&d.sub, &d.upTo)
			return d, err
		})
		if err != nil {
			return err
		}
		for _, d := range list {
			rows, err := t.QueryContext(ctx, `SELECT CASE WHEN c.kind IN ('group', 'course') THEN c.name ELSE '' END,
				(`+s.unreadOf("m.conversation_id", "m.read_up_to", "m.subject")+`)
				FROM members m JOIN conversations c ON c.id = m.conversation_id
				WHERE m.subject = $1 ORDER BY c.last_message_at DESC, c.id`, d.sub)
			dd := DigestDue{Subject: d.sub, UpTo: d.upTo}
			err = db.Each(rows, err, func(r db.Scanner) error {
				var name string
				var n int
				if err := r.Scan(&name, &n); err != nil {
					return err
				}
				if n > 0 {
					dd.Unread += n
					dd.Conversations = append(dd.Conversations, name)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if dd.Unread == 0 {
				// Read meanwhile: nothing to mail.
				if _, err := t.ExecContext(ctx, `UPDATE digest_state SET sent_up_to = due_up_to WHERE subject = $1`, d.sub); err != nil {
					return err
				}
				continue
			}
			out = append(out, dd)
		}
		return nil
	})
	return out, err
}

// scanForDigests reads the events that came of age since the last scan
// and marks the members with unread messages among them due; more when
// it stopped at its batch's end, not at the young events.
func (s *Store) scanForDigests(ctx context.Context, t *txn, olderThan time.Time) (more bool, err error) {
	var from int64
	if err := t.QueryRowContext(ctx, `SELECT up_to FROM digest_scan WHERE id = 1`).Scan(&from); err != nil {
		return false, err
	}
	type aged struct {
		upTo     int64  // the newest event
		firstMsg string // the oldest message that came of age
	}
	byConv := map[string]*aged{}
	var convs []string
	scanned := from
	rows, err := t.QueryContext(ctx, `SELECT id, kind, conversation_id, data, created_at FROM events WHERE id > $1 ORDER BY id LIMIT $2`, from, digestScanBatch)
	var stop bool
	read := 0
	err = db.Each(rows, err, func(r db.Scanner) error {
		read++
		var id int64
		var kind, conv, data string
		var at time.Time
		if err := r.Scan(&id, &kind, &conv, &data, &at); err != nil {
			return err
		}
		// Events commit in id order, so the first one not yet of age
		// ends the scan; the rest are read next time.
		if stop || !at.Before(olderThan) {
			stop = true
			return nil
		}
		scanned = id
		if kind != messages.EventMessageCreated {
			return nil
		}
		var d struct {
			MessageID string `json:"message_id"`
		}
		if json.Unmarshal([]byte(data), &d) != nil {
			return nil
		}
		a := byConv[conv]
		if a == nil {
			a = &aged{firstMsg: d.MessageID}
			byConv[conv] = a
			convs = append(convs, conv)
		}
		a.upTo = id
		a.firstMsg = min(a.firstMsg, d.MessageID)
		return nil
	})
	if err != nil {
		return false, err
	}
	for _, c := range convs {
		a := byConv[c]
		if _, err := t.ExecContext(ctx, `INSERT INTO digest_state (subject, due_up_to)
			SELECT m.subject, $2 FROM members m WHERE m.conversation_id = $1 AND EXISTS (
				SELECT 1 FROM messages u WHERE `+s.inConversation("u.conversation_id", "$1")+`
					AND u.id >= CASE WHEN m.read_up_to > $3 THEN m.read_up_to ELSE $3 END AND u.id <> m.read_up_to
					AND u.sender <> m.subject AND NOT u.deleted AND u.created_at < $4)
			ON CONFLICT (subject) DO UPDATE SET due_up_to = CASE WHEN digest_state.due_up_to > excluded.due_up_to
				THEN digest_state.due_up_to ELSE excluded.due_up_to END`, c, a.upTo, a.firstMsg, olderThan); err != nil {
			return false, err
		}
	}
	if scanned > from {
		if _, err := t.ExecContext(ctx, `UPDATE digest_scan SET up_to = $1 WHERE id = 1`, scanned); err != nil {
			return false, err
		}
	}
	return !stop && read == digestScanBatch, nil
}

// DigestSent records that sub got a digest covering up to upTo.
func (s *Store) DigestSent(ctx context.Context, sub string, upTo int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE digest_state SET sent_up_to = $2 WHERE subject = $1 AND sent_up_to < $2`, sub, upTo)
	return err
}
