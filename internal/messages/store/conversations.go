package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"campus/internal/db"
	"campus/internal/messages"
)

// conversationColumns read a conversation as the member m sees it (c is
// the conversation). The unread count stops at MaxUnreadCount rows, so a
// conversation with a million unread messages costs no more than one
// with a thousand.
func (s *Store) conversationColumns() string {
	return `c.id, c.kind, c.name, COALESCE(c.course_kind, ''), COALESCE(c.course_id, ''), c.created_by,
	c.created_at, c.updated_at, c.version, c.last_message_at, m.role, m.read_up_to,
	c.member_count, (` + s.unreadOf("c.id", "m.read_up_to", "m.subject") + `),
	CASE WHEN c.kind = 'direct' AND c.direct_a = m.subject THEN COALESCE(c.direct_b, '')
		WHEN c.kind = 'direct' THEN COALESCE(c.direct_a, '') ELSE '' END`
}

// unreadOf counts the messages of others (not reader's) after marker in
// a conversation, up to MaxUnreadCount.
func (s *Store) unreadOf(conversation, marker, reader string) string {
	return `SELECT COUNT(*) FROM (SELECT 1 FROM messages u WHERE ` + s.inConversation("u.conversation_id", conversation) +
		` AND u.id > ` + marker + ` AND u.sender <> ` + reader + ` AND NOT u.deleted
		ORDER BY u.conversation_id, u.id LIMIT ` + fmt.Sprint(messages.MaxUnreadCount) + `) unread`
}

func scanConversation(r db.Scanner) (messages.Conversation, error) {
	var c messages.Conversation
	err := r.Scan(&c.ID, &c.Kind, &c.Name, &c.CourseKind, &c.CourseID, &c.CreatedBy,
		&c.CreatedAt, &c.UpdatedAt, &c.Version, &c.LastMessageAt, &c.MyRole, &c.ReadUpTo, &c.Members, &c.Unread, &c.Peer)
	c.CreatedAt, c.UpdatedAt, c.LastMessageAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC(), c.LastMessageAt.UTC()
	return c, err
}

// conversationTx reads conversation id as sub sees it, with its newest
// message; ErrNotFound when sub is not a member.
func (s *Store) conversationOf(ctx context.Context, q queryer, sub, id string) (messages.Conversation, error) {
	c, err := scanConversation(q.QueryRowContext(ctx, `SELECT `+s.conversationColumns()+`
		FROM members m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.subject = $1 AND m.conversation_id = $2`, sub, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, messages.ErrNotFound
	}
	if err != nil {
		return c, err
	}
	list := []messages.Conversation{c}
	if err := s.withLast(ctx, q, list); err != nil {
		return c, err
	}
	return list[0], nil
}

// withLast fills in the newest message of each conversation.
func (s *Store) withLast(ctx context.Context, q queryer, list []messages.Conversation) error {
	if len(list) == 0 {
		return nil
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	var a db.Args
	rows, err := q.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages x WHERE x.id IN (
		SELECT (SELECT l.id FROM messages l WHERE `+s.inConversation("l.conversation_id", "c.id")+` ORDER BY l.conversation_id DESC, l.id DESC LIMIT 1)
		FROM conversations c WHERE c.id IN (`+placeholders(&a, ids)+`))`, a.Values()...)
	last, err := db.Collect(rows, err, scanMessage)
	if err != nil {
		return err
	}
	if err := withAttachments(ctx, q, last); err != nil {
		return err
	}
	by := make(map[string]*messages.Message, len(last))
	for i := range last {
		by[last[i].ConversationID] = &last[i]
	}
	for i := range list {
		list[i].Last = by[list[i].ID]
	}
	return nil
}

// Conversation returns a conversation as the member sub sees it;
// ErrNotFound when it does not exist or sub is not a member (the same
// answer, so that ids cannot be probed).
func (s *Store) Conversation(ctx context.Context, sub, id string) (c messages.Conversation, err error) {
	err = s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		c, err = s.conversationOf(ctx, tx, sub, id)
		return err
	})
	return c, err
}

// Conversations lists sub's conversations, the most recently active first,
// with unread counts and the newest message.
func (s *Store) Conversations(ctx context.Context, sub string, p Page) (list []messages.Conversation, next string, err error) {
	limit := p.limit(messages.HistoryPage)
	var a db.Args
	where := []string{`m.subject = ` + a.Add(sub)}
	if cur, ok := decode[timeCursor](p.Cursor); ok {
		t, id := a.Add(cur.At.UTC()), a.Add(cur.ID)
		where = append(where, `(c.last_message_at < `+t+` OR (c.last_message_at = `+t+` AND c.id < `+id+`))`)
	}
	err = s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+s.conversationColumns()+`
			FROM members m JOIN conversations c ON c.id = m.conversation_id
			WHERE `+strings.Join(where, ` AND `)+`
			ORDER BY c.last_message_at DESC, c.id DESC LIMIT `+fmt.Sprint(limit+1), a.Values()...)
		list, err = db.Collect(rows, err, scanConversation)
		if err != nil {
			return err
		}
		if len(list) > limit {
			list = list[:limit]
			last := list[limit-1]
			next = db.EncodeCursor(timeCursor{At: last.LastMessageAt, ID: last.ID})
		}
		return s.withLast(ctx, tx, list)
	})
	if err != nil {
		return nil, "", err
	}
	return list, next, nil
}

// Members lists a conversation's members for the member sub (ErrNotFound
// for others), admins first, then by joining.
func (s *Store) Members(ctx context.Context, sub, id string) (list []messages.Member, err error) {
	err = s.db.ReadTx(ctx, func(tx *sql.Tx) error {
		if err := isMember(ctx, tx, sub, id); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT subject, role, joined_at, read_up_to FROM members WHERE conversation_id = $1
			ORDER BY CASE role WHEN 'admin' THEN 0 ELSE 1 END, joined_at, subject`, id)
		list, err = db.Collect(rows, err, func(r db.Scanner) (messages.Member, error) {
			var m messages.Member
			err := r.Scan(&m.Subject, &m.Role, &m.JoinedAt, &m.ReadUpTo)
			m.JoinedAt = m.JoinedAt.UTC()
			return m, err
		})
		return err
	})
	return list, err
}

// isMember is nil when sub is a member of conversation id, ErrNotFound
// otherwise.
func isMember(ctx context.Context, q queryer, sub, id string) error {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM members WHERE conversation_id = $1 AND subject = $2`, id, sub).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return messages.ErrNotFound
	}
	return err
}

// IsMember tells whether sub is a member of conversation id now.
func (s *Store) IsMember(ctx context.Context, sub, id string) (bool, error) {
	err := isMember(ctx, s.db, sub, id)
	if errors.Is(err, messages.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// membership is what a write needs to know of the conversation and of
// the member sub acting on it.
type membership struct {
	kind, role string
	version    int
}

// memberOf reads sub's membership of conversation id in a transaction;
// ErrNotFound for a non-member.
func memberOf(ctx context.Context, q queryer, sub, id string) (membership, error) {
	var m membership
	err := q.QueryRowContext(ctx, `SELECT c.kind, m.role, c.version FROM members m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.conversation_id = $1 AND m.subject = $2`, id, sub).Scan(&m.kind, &m.role, &m.version)
	if errors.Is(err, sql.ErrNoRows) {
		return m, messages.ErrNotFound
	}
	return m, err
}

// MaxNameRunes bounds a group's name.
const MaxNameRunes = 100

// CreateConversation creates a direct conversation or a group, the creator
// first (a group's admin). A direct conversation that exists already is
// returned with created false. Reachability is the caller's (the API's)
// check, not the store's.
func (s *Store) CreateConversation(ctx context.Context, creator string, nc NewConversation) (c messages.Conversation, created bool, err error) {
	if creator == "" {
		return c, false, fmt.Errorf("a conversation needs its creator: %w", messages.ErrConflict)
	}
	others := make([]string, 0, len(nc.Members))
	for _, m := range nc.Members {
		if m != "" && m != creator && !slices.Contains(others, m) {
			others = append(others, m)
		}
	}
	now := s.stamp()
	id := newID()
	switch nc.Kind {
	case messages.KindDirect:
		if len(others) != 1 {
			return c, false, fmt.Errorf("a direct conversation is between two people: %w", messages.ErrConflict)
		}
		a, b := creator, others[0]
		if b < a {
			a, b = b, a
		}
		err = s.write(ctx, func(t *txn) error {
			// The unique pair decides a race: the loser reads the winner's.
			var existing string
			err := t.QueryRowContext(ctx, `SELECT id FROM conversations WHERE direct_a = $1 AND direct_b = $2`, a, b).Scan(&existing)
			if err == nil {
				id = existing
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if _, err := t.ExecContext(ctx, `INSERT INTO conversations (id, kind, direct_a, direct_b, created_by, created_at, updated_at, last_message_at)
				VALUES ($1, 'direct', $2, $3, $4, $5, $5, $5)`, id, a, b, creator, now); err != nil {
				return err
			}
			if err := addMembers(ctx, t, id, now, map[string]string{creator: messages.RoleMember, others[0]: messages.RoleMember}); err != nil {
				return err
			}
			created = true
			t.event(messages.EventConversationCreated, id, "", map[string]string{"conversation_id": id})
			return nil
		})
		if db.IsUniqueViolation(err) {
			// Created by the other person at the same moment: theirs it is.
			err = s.db.QueryRowContext(ctx, `SELECT id FROM conversations WHERE direct_a = $1 AND direct_b = $2`, a, b).Scan(&id)
			created = false
		}
	case messages.KindGroup:
		name := strings.TrimSpace(nc.Name)
		if name == "" || utf8.RuneCountInString(name) > MaxNameRunes {
			return c, false, fmt.Errorf("a group's name has 1 to %d characters: %w", MaxNameRunes, messages.ErrConflict)
		}
		if len(others) > messages.MaxGroupMembers {
			return c, false, fmt.Errorf("a group has at most %d members: %w", messages.MaxGroupMembers, messages.ErrConflict)
		}
		err = s.write(ctx, func(t *txn) error {
			if _, err := t.ExecContext(ctx, `INSERT INTO conversations (id, kind, name, created_by, created_at, updated_at, last_message_at)
				VALUES ($1, 'group', $2, $3, $4, $4, $4)`, id, name, creator, now); err != nil {
				return err
			}
			roles := map[string]string{creator: messages.RoleAdmin}
			for _, m := range others {
				roles[m] = messages.RoleMember
			}
			if err := addMembers(ctx, t, id, now, roles); err != nil {
				return err
			}
			created = true
			t.event(messages.EventConversationCreated, id, "", map[string]string{"conversation_id": id})
			return nil
		})
	default:
		return c, false, fmt.Errorf("only direct conversations and groups can be created: %w", messages.ErrConflict)
	}
	if err != nil {
		return c, false, err
	}
	c, err = s.Conversation(ctx, creator, id)
	return c, created, err
}

// addMembers inserts members with their roles (subject -> role), in
// batches; joined_at orders them as the map cannot, so the subjects are
// inserted sorted.
func addMembers(ctx context.Context, t *txn, id string, now any, roles map[string]string) error {
	subs := make([]string, 0, len(roles))
	for sub := range roles {
		subs = append(subs, sub)
	}
	slices.Sort(subs)
	for _, batch := range chunks(subs, 500) {
		var a db.Args
		conv, at := a.Add(id), a.Add(now)
		rows := make([]string, len(batch))
		for i, sub := range batch {
			rows[i] = "(" + conv + ", " + a.Add(sub) + ", " + a.Add(roles[sub]) + ", " + at + ")"
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO members (conversation_id, subject, role, joined_at) VALUES `+strings.Join(rows, ", "), a.Values()...); err != nil {
			return err
		}
	}
	return countMembers(ctx, t, id, len(subs))
}

// countMembers keeps a conversation's member_count: n members came (or,
// negative, went).
func countMembers(ctx context.Context, t *txn, id string, n int) error {
	if n == 0 {
		return nil
	}
	_, err := t.ExecContext(ctx, `UPDATE conversations SET member_count = member_count + $2 WHERE id = $1`, id, n)
	return err
}

// RenameGroup renames a group; only its admins may (ErrForbidden), and
// only from version (ErrVersionMismatch otherwise, 0 for any). Course
// groups, direct and notices conversations cannot be renamed (ErrConflict).
func (s *Store) RenameGroup(ctx context.Context, sub, id, name string, version int) (messages.Conversation, error) {
	name = strings.TrimSpace(name)
	err := s.write(ctx, func(t *txn) error {
		m, err := memberOf(ctx, t, sub, id)
		switch {
		case err != nil:
			return err
		case m.kind != messages.KindGroup:
			return fmt.Errorf("only groups can be renamed: %w", messages.ErrConflict)
		case m.role != messages.RoleAdmin:
			return messages.ErrForbidden
		case version != 0 && version != m.version:
			return messages.ErrVersionMismatch
		case name == "" || utf8.RuneCountInString(name) > MaxNameRunes:
			return fmt.Errorf("a group's name has 1 to %d characters: %w", MaxNameRunes, messages.ErrConflict)
		}
		if err := touchConversation(ctx, t, id, s.stamp(), name); err != nil {
			return err
		}
		t.event(messages.EventConversationUpdated, id, "", map[string]string{"conversation_id": id})
		return nil
	})
	if err != nil {
		return messages.Conversation{}, err
	}
	return s.Conversation(ctx, sub, id)
}

// touchConversation counts a change of a conversation's settings or
// members in its version (its ETag), renaming it when name is not "".
func touchConversation(ctx context.Context, t *txn, id string, now any, name string) error {
	_, err := t.ExecContext(ctx, `UPDATE conversations SET version = version + 1, updated_at = $2,
		name = CASE WHEN $3 = '' THEN name ELSE $3 END WHERE id = $1`, id, now, name)
	return err
}

// AddMember adds (or changes the role of) a member of a group: admins
// only. Reachability is the caller's check.
func (s *Store) AddMember(ctx context.Context, sub, id, member, role string) error {
	if role == "" {
		role = messages.RoleMember
	}
	if role != messages.RoleMember && role != messages.RoleAdmin {
		return fmt.Errorf("a member's role is admin or member: %w", messages.ErrConflict)
	}
	if member == "" {
		return fmt.Errorf("name the member to add: %w", messages.ErrConflict)
	}
	return s.write(ctx, func(t *txn) error {
		m, err := memberOf(ctx, t, sub, id)
		switch {
		case err != nil:
			return err
		case m.kind != messages.KindGroup:
			return fmt.Errorf("only groups' members can be changed: %w", messages.ErrConflict)
		case m.role != messages.RoleAdmin:
			return messages.ErrForbidden
		}
		now := s.stamp()
		var current string
		err = t.QueryRowContext(ctx, `SELECT role FROM members WHERE conversation_id = $1 AND subject = $2`, id, member).Scan(&current)
		switch {
		case err == nil && current == role:
			return nil
		case err == nil:
			if _, err := t.ExecContext(ctx, `UPDATE members SET role = $3 WHERE conversation_id = $1 AND subject = $2`, id, member, role); err != nil {
				return err
			}
			var admins int
			if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM members WHERE conversation_id = $1 AND role = 'admin'`, id).Scan(&admins); err != nil {
				return err
			}
			if admins == 0 {
				return fmt.Errorf("a group keeps at least one admin: %w", messages.ErrConflict)
			}
			t.event(messages.EventConversationUpdated, id, "", map[string]string{"conversation_id": id})
		case errors.Is(err, sql.ErrNoRows):
			var n int
			if err := t.QueryRowContext(ctx, `SELECT member_count FROM conversations WHERE id = $1`, id).Scan(&n); err != nil {
				return err
			}
			if n >= messages.MaxGroupMembers+1 {
				return fmt.Errorf("a group has at most %d members: %w", messages.MaxGroupMembers+1, messages.ErrConflict)
			}
			if err := addMembers(ctx, t, id, now, map[string]string{member: role}); err != nil {
				return err
			}
			t.event(messages.EventMemberAdded, id, member, map[string]string{"conversation_id": id, "member": member})
		default:
			return err
		}
		return touchConversation(ctx, t, id, now, "")
	})
}

// RemoveMember removes member from a group: an admin removes anyone, a
// member only themselves (leaving). When the last admin leaves, the member
// who joined first becomes admin. Course groups, direct and notices
// conversations refuse (ErrConflict).
func (s *Store) RemoveMember(ctx context.Context, sub, id, member string) error {
	return s.write(ctx, func(t *txn) error {
		m, err := memberOf(ctx, t, sub, id)
		switch {
		case err != nil:
			return err
		case m.kind != messages.KindGroup:
			return fmt.Errorf("only groups' members can be changed: %w", messages.ErrConflict)
		case member != sub && m.role != messages.RoleAdmin:
			return messages.ErrForbidden
		}
		res, err := t.ExecContext(ctx, `DELETE FROM members WHERE conversation_id = $1 AND subject = $2`, id, member)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return messages.ErrNotFound
		}
		if err := countMembers(ctx, t, id, -1); err != nil {
			return err
		}
		now := s.stamp()
		t.event(messages.EventMemberRemoved, id, member, map[string]string{"conversation_id": id, "member": member})
		// A group keeps an admin while it has members.
		var admins int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM members WHERE conversation_id = $1 AND role = 'admin'`, id).Scan(&admins); err != nil {
			return err
		}
		if admins == 0 {
			res, err := t.ExecContext(ctx, `UPDATE members SET role = 'admin' WHERE conversation_id = $1 AND subject = (
				SELECT subject FROM members WHERE conversation_id = $1 ORDER BY joined_at, subject LIMIT 1)`, id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				t.event(messages.EventConversationUpdated, id, "", map[string]string{"conversation_id": id})
			}
		}
		return touchConversation(ctx, t, id, now, "")
	})
}

// PeopleSharing returns those of people who share a conversation of any
// kind with sub, and sub itself when asked: whom sub may look up by id
// (GET /v1/people).
func (s *Store) PeopleSharing(ctx context.Context, sub string, people []string) ([]string, error) {
	var ask []string
	for _, p := range people {
		if p != "" && !slices.Contains(ask, p) {
			ask = append(ask, p)
		}
	}
	if len(ask) == 0 {
		return nil, nil
	}
	if len(ask) > 1000 {
		return nil, fmt.Errorf("at most 1000 people can be looked up at once: %w", messages.ErrConflict)
	}
	var a db.Args
	me := a.Add(sub)
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT o.subject FROM members o
		WHERE o.subject IN (`+placeholders(&a, ask)+`)
		AND (o.subject = `+me+` OR o.conversation_id IN (SELECT conversation_id FROM members WHERE subject = `+me+`))
		ORDER BY o.subject`, a.Values()...)
	found, err := db.Collect(rows, err, db.Value[string])
	if err != nil {
		return nil, err
	}
	if slices.Contains(ask, sub) && !slices.Contains(found, sub) {
		found = append(found, sub)
		slices.Sort(found)
	}
	return found, nil
}
