package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"campus/internal/db"
	"campus/internal/messages"
)

// SharesCourseGroup tells whether a and b are both members of a course
// group (the same programme or module).
func (s *Store) SharesCourseGroup(ctx context.Context, a, b string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM members ma
		JOIN conversations c ON c.id = ma.conversation_id AND c.kind = 'course'
		JOIN members mb ON mb.conversation_id = ma.conversation_id AND mb.subject = $2
		WHERE ma.subject = $1`, a, b).Scan(&n)
	return n > 0, err
}

// CourseGroupPeers lists people sharing a course group with sub (at most
// limit), for picking whom to write to.
func (s *Store) CourseGroupPeers(ctx context.Context, sub string, limit int) ([]string, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT o.subject FROM members me
		JOIN conversations c ON c.id = me.conversation_id AND c.kind = 'course'
		JOIN members o ON o.conversation_id = me.conversation_id AND o.subject <> me.subject
		WHERE me.subject = $1 ORDER BY o.subject LIMIT `+fmt.Sprint(limit), sub)
	return db.Collect(rows, err, db.Value[string])
}

// roster is a course group as it should be: its name and every member's
// role (staff are admins).
type roster struct {
	messages.CourseGroup
	roles map[string]string
	hash  string
}

func newRoster(g messages.CourseGroup) roster {
	r := roster{CourseGroup: g, roles: make(map[string]string, len(g.Students)+len(g.Staff))}
	for _, sub := range g.Students {
		if sub != "" {
			r.roles[sub] = messages.RoleMember
		}
	}
	for _, sub := range g.Staff {
		if sub != "" {
			r.roles[sub] = messages.RoleAdmin
		}
	}
	subs := make([]string, 0, len(r.roles))
	for sub := range r.roles {
		subs = append(subs, sub)
	}
	slices.Sort(subs)
	h := sha256.New()
	fmt.Fprintf(h, "%q\n", g.Name)
	for _, sub := range subs {
		fmt.Fprintf(h, "%q %s\n", sub, r.roles[sub])
	}
	r.hash = hex.EncodeToString(h.Sum(nil))
	return r
}

// SyncCourseGroups makes the course groups what the study service says
// they should be: creates missing ones, renames, adds and removes members
// (students as members, staff as admins), and removes groups of courses
// no longer listed, in one transaction, with events for every change.
// It returns how many memberships changed.
//
// Each group keeps the digest of the roster it was synchronised to: a
// group whose roster did not change is skipped without reading its
// members, so a sync of thousands of groups where little changed reads
// little. A new group gets one conversation.created event (not one per
// member); a group no longer listed loses its members, and keeps its
// history.
func (s *Store) SyncCourseGroups(ctx context.Context, groups []messages.CourseGroup) (changed int, err error) {
	want := make(map[[2]string]roster, len(groups))
	var order [][2]string
	for _, g := range groups {
		if g.CourseKind != "programme" && g.CourseKind != "module" || g.CourseID == "" {
			return 0, fmt.Errorf("a course group belongs to a programme or a module and names its id: %w", messages.ErrConflict)
		}
		k := [2]string{g.CourseKind, g.CourseID}
		if _, dup := want[k]; dup {
			return 0, fmt.Errorf("course group %s %s is listed twice: %w", g.CourseKind, g.CourseID, messages.ErrConflict)
		}
		want[k] = newRoster(g)
		order = append(order, k)
	}
	err = s.write(ctx, func(t *txn) error {
		changed = 0
		type have struct{ id, name, hash string }
		rows, err := t.QueryContext(ctx, `SELECT id, course_kind, course_id, name, roster_hash FROM conversations WHERE kind = 'course'`)
		existing := map[[2]string]have{}
		err = db.Each(rows, err, func(r db.Scanner) error {
			var h have
			var k [2]string
			if err := r.Scan(&h.id, &k[0], &k[1], &h.name, &h.hash); err != nil {
				return err
			}
			existing[k] = h
			return nil
		})
		if err != nil {
			return err
		}
		now := s.stamp()
		for _, k := range order {
			r := want[k]
			h, ok := existing[k]
			if !ok {
				id := newID()
				if _, err := t.ExecContext(ctx, `INSERT INTO conversations (id, kind, name, course_kind, course_id, roster_hash, created_at, updated_at, last_message_at)
					VALUES ($1, 'course', $2, $3, $4, $5, $6, $6, $6)`, id, r.Name, r.CourseKind, r.CourseID, r.hash, now); err != nil {
					return err
				}
				if err := addMembers(ctx, t, id, now, r.roles); err != nil {
					return err
				}
				changed += len(r.roles)
				t.event(messages.EventConversationCreated, id, "", map[string]string{"conversation_id": id})
				continue
			}
			if h.hash == r.hash {
				continue
			}
			n, err := s.syncMembers(ctx, t, h.id, r.roles, now)
			if err != nil {
				return err
			}
			changed += n
			name := ""
			if h.name != r.Name {
				name = r.Name
			}
			if n > 0 || name != "" {
				if _, err := t.ExecContext(ctx, `UPDATE conversations SET name = $2, version = version + 1, updated_at = $3 WHERE id = $1`, h.id, r.Name, now); err != nil {
					return err
				}
			}
			if name != "" {
				t.event(messages.EventConversationUpdated, h.id, "", map[string]string{"conversation_id": h.id})
			}
			if _, err := t.ExecContext(ctx, `UPDATE conversations SET roster_hash = $2 WHERE id = $1`, h.id, r.hash); err != nil {
				return err
			}
		}
		for k, h := range existing {
			if _, listed := want[k]; listed || h.hash == "" {
				continue
			}
			n, err := s.syncMembers(ctx, t, h.id, nil, now)
			if err != nil {
				return err
			}
			changed += n
			if _, err := t.ExecContext(ctx, `UPDATE conversations SET roster_hash = '', version = version + 1, updated_at = $2 WHERE id = $1`, h.id, now); err != nil {
				return err
			}
		}
		return nil
	})
	return changed, err
}

// syncMembers makes a course group's members those of roles, with an
// event for each added or removed member and one for role changes.
func (s *Store) syncMembers(ctx context.Context, t *txn, id string, roles map[string]string, now any) (int, error) {
	rows, err := t.QueryContext(ctx, `SELECT subject, role FROM members WHERE conversation_id = $1`, id)
	current := map[string]string{}
	err = db.Each(rows, err, func(r db.Scanner) error {
		var sub, role string
		err := r.Scan(&sub, &role)
		current[sub] = role
		return err
	})
	if err != nil {
		return 0, err
	}
	add := map[string]string{}
	var remove, toAdmin, toMember []string
	for sub, role := range roles {
		switch cur, ok := current[sub]; {
		case !ok:
			add[sub] = role
		case cur != role && role == messages.RoleAdmin:
			toAdmin = append(toAdmin, sub)
		case cur != role:
			toMember = append(toMember, sub)
		}
	}
	for sub := range current {
		if _, ok := roles[sub]; !ok {
			remove = append(remove, sub)
		}
	}
	slices.Sort(remove)
	if err := addMembers(ctx, t, id, now, add); err != nil {
		return 0, err
	}
	added := make([]string, 0, len(add))
	for sub := range add {
		added = append(added, sub)
	}
	slices.Sort(added)
	for _, sub := range added {
		t.event(messages.EventMemberAdded, id, sub, map[string]string{"conversation_id": id, "member": sub})
	}
	for _, batch := range chunks(remove, 500) {
		var a db.Args
		c := a.Add(id)
		if _, err := t.ExecContext(ctx, `DELETE FROM members WHERE conversation_id = `+c+` AND subject IN (`+placeholders(&a, batch)+`)`, a.Values()...); err != nil {
			return 0, err
		}
		if err := countMembers(ctx, t, id, -len(batch)); err != nil {
			return 0, err
		}
		for _, sub := range batch {
			t.event(messages.EventMemberRemoved, id, sub, map[string]string{"conversation_id": id, "member": sub})
		}
	}
	for _, change := range []struct {
		role string
		subs []string
	}{{messages.RoleAdmin, toAdmin}, {messages.RoleMember, toMember}} {
		for _, batch := range chunks(change.subs, 500) {
			var a db.Args
			q := `UPDATE members SET role = ` + a.Add(change.role) + ` WHERE conversation_id = ` + a.Add(id) + ` AND subject IN (` + placeholders(&a, batch) + `)`
			if _, err := t.ExecContext(ctx, q, a.Values()...); err != nil {
				return 0, err
			}
		}
	}
	if len(toAdmin)+len(toMember) > 0 {
		t.event(messages.EventConversationUpdated, id, "", map[string]string{"conversation_id": id})
	}
	return len(add) + len(remove) + len(toAdmin) + len(toMember), nil
}
