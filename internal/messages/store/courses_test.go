package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"campus/internal/messages"
	"campus/internal/messages/store"
)

func memberRoles(t *testing.T, s *store.Store, sub, id string) map[string]string {
	t.Helper()
	list, err := s.Members(context.Background(), sub, id)
	check(t, err)
	out := map[string]string{}
	for _, m := range list {
		out[m.Subject] = m.Role
	}
	return out
}

func courseGroup(t *testing.T, s *store.Store, sub, courseID string) messages.Conversation {
	t.Helper()
	list, _ := must2(t)(s.Conversations(context.Background(), sub, store.Page{Limit: 100}))
	for _, c := range list {
		if c.Kind == messages.KindCourse && c.CourseID == courseID {
			return c
		}
	}
	t.Fatalf("%s is in no course group of %s", sub, courseID)
	return messages.Conversation{}
}

func TestSyncCourseGroups(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, _ *clock) {
		ctx := context.Background()
		groups := []messages.CourseGroup{
			{CourseKind: "programme", CourseID: "p1", Name: "Computer Science", Students: []string{"ann", "bob"}, Staff: []string{"prof"}},
			{CourseKind: "module", CourseID: "m1", Name: "Databases", Students: []string{"ann", "cid"}, Staff: []string{"prof", "ann"}},
		}
		n, err := s.SyncCourseGroups(ctx, groups)
		if err != nil || n != 6 {
			t.Fatalf("first sync: %d, %v", n, err)
		}
		p1 := courseGroup(t, s, "bob", "p1")
		if p1.Name != "Computer Science" || p1.CourseKind != "programme" || p1.MyRole != messages.RoleMember || p1.CreatedBy != "" {
			t.Fatalf("programme group = %+v", p1)
		}
		m1 := courseGroup(t, s, "cid", "m1")
		if r := memberRoles(t, s, "cid", m1.ID); len(r) != 3 || r["prof"] != messages.RoleAdmin || r["ann"] != messages.RoleAdmin || r["cid"] != messages.RoleMember {
			t.Fatalf("m1's members = %v", r)
		}
		if ok, _ := s.SharesCourseGroup(ctx, "bob", "prof"); !ok {
			t.Fatal("bob and prof share p1")
		}
		if ok, _ := s.SharesCourseGroup(ctx, "bob", "cid"); ok {
			t.Fatal("bob and cid share nothing")
		}
		if peers, _ := s.CourseGroupPeers(ctx, "ann", 10); !slices.Equal(peers, []string{"bob", "cid", "prof"}) {
			t.Fatalf("ann's peers = %v", peers)
		}
		// Course groups are campus's: people neither rename nor change their members.
		_, err = s.RenameGroup(ctx, "prof", m1.ID, "x", 0)
		wantErr(t, "rename a course group", err, messages.ErrConflict)
		wantErr(t, "leave a course group", s.RemoveMember(ctx, "cid", m1.ID, "cid"), messages.ErrConflict)

		last, _ := s.LastEventID(ctx)
		// Unchanged: nothing happens.
		if n, err := s.SyncCourseGroups(ctx, groups); err != nil || n != 0 {
			t.Fatalf("unchanged sync: %d, %v", n, err)
		}
		if l, _ := s.LastEventID(ctx); l != last {
			t.Fatal("an unchanged sync wrote events")
		}
		// bob leaves p1, dan joins, m1 renamed and ann only a student; m2 new.
		groups[0].Students = []string{"ann", "dan"}
		groups[1].Name, groups[1].Staff = "Databases I", []string{"prof"}
		groups = append(groups, messages.CourseGroup{CourseKind: "module", CourseID: "m2", Name: "Statistics", Students: []string{"bob"}})
		n, err = s.SyncCourseGroups(ctx, groups)
		if err != nil || n != 4 {
			t.Fatalf("second sync: %d, %v", n, err)
		}
		_, err = s.Conversation(ctx, "bob", p1.ID)
		wantErr(t, "removed student reads", err, messages.ErrNotFound)
		if c := courseGroup(t, s, "ann", "p1"); c.Members != 3 {
			t.Fatalf("p1 counts %d members, has ann, dan and prof", c.Members)
		}
		if r := memberRoles(t, s, "ann", m1.ID); r["ann"] != messages.RoleMember {
			t.Fatalf("ann in m1 = %v", r)
		}
		if c := courseGroup(t, s, "ann", "m1"); c.Name != "Databases I" || c.Version <= m1.Version {
			t.Fatalf("renamed m1 = %+v (was %+v)", c, m1)
		}
		evs, _, err := s.EventsAfter(ctx, "prof", last, 100)
		check(t, err)
		if !slices.Equal(kinds(evs), []string{"member.added", "member.removed", "conversation.updated", "conversation.updated"}) {
			t.Fatalf("events = %v", kinds(evs))
		}
		bobs, _, _ := s.EventsAfter(ctx, "bob", last, 100)
		if !slices.Equal(kinds(bobs), []string{"member.removed", "conversation.created"}) {
			t.Fatalf("bob's events = %v", kinds(bobs))
		}
		// A course no longer listed loses its members and keeps its history.
		send(t, s, "cid", m1.ID, "bye")
		n, err = s.SyncCourseGroups(ctx, groups[:1])
		if err != nil || n != 4 { // m1's three and m2's one
			t.Fatalf("third sync: %d, %v", n, err)
		}
		_, err = s.Conversation(ctx, "cid", m1.ID)
		wantErr(t, "member of a dropped course", err, messages.ErrNotFound)
		// And comes back as it was.
		if n, err := s.SyncCourseGroups(ctx, groups); err != nil || n != 4 {
			t.Fatalf("fourth sync: %d, %v", n, err)
		}
		if h, _, _ := s.History(ctx, "cid", m1.ID, store.Page{}); len(h) != 1 {
			t.Fatalf("history of the returned group = %v", h)
		}
		_, err = s.SyncCourseGroups(ctx, []messages.CourseGroup{{CourseKind: "lecture", CourseID: "l"}})
		wantErr(t, "unknown kind", err, messages.ErrConflict)
	})
}

// TestSyncLargeRoster: a roster of 5,000 students is created, and then
// synchronised with a few changes, each well under a second.
func TestSyncLargeRoster(t *testing.T) {
	if testing.Short() {
		t.Skip("large roster")
	}
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, _ *clock) {
		ctx := context.Background()
		students := make([]string, 5000)
		for i := range students {
			students[i] = fmt.Sprintf("student-%05d", i)
		}
		groups := []messages.CourseGroup{{CourseKind: "programme", CourseID: "p", Name: "P", Students: students, Staff: []string{"prof"}}}
		for i := range 200 {
			groups = append(groups, messages.CourseGroup{CourseKind: "module", CourseID: fmt.Sprint(i), Name: "M", Students: students[i*25 : i*25+25], Staff: []string{"prof"}})
		}
		t0 := time.Now()
		n, err := s.SyncCourseGroups(ctx, groups)
		if err != nil || n != 5001+200*26 {
			t.Fatalf("first sync: %d, %v", n, err)
		}
		t.Logf("first sync of 5,000 + 200×25: %v", time.Since(t0))
		groups[0].Students = append(slices.Clone(students[10:]), "new-1", "new-2")
		t0 = time.Now()
		n, err = s.SyncCourseGroups(ctx, groups)
		took := time.Since(t0)
		if err != nil || n != 12 {
			t.Fatalf("second sync: %d, %v", n, err)
		}
		t.Logf("sync with 12 changes: %v", took)
		limit := time.Second
		if raceDetector {
			limit = 5 * time.Second // CI runs this package with -race, beside other tests
		}
		if took > limit {
			t.Errorf("a sync with little change took %v, more than %v", took, limit)
		}
	})
}
