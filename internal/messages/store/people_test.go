package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"campus/internal/messages"
	"campus/internal/messages/store"
)

func TestPresence(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, clk *clock) {
		ctx := context.Background()
		g := group(t, s, "ann", "g", "bob", "cid")
		_, _, err := s.CreateConversation(ctx, "ann", store.NewConversation{Kind: messages.KindDirect, Members: []string{"dan"}})
		check(t, err)
		_, err = s.SyncCourseGroups(ctx, []messages.CourseGroup{{CourseKind: "module", CourseID: "m", Name: "M", Students: []string{"ann", "zoe"}}})
		check(t, err)
		if p := must[[]string](t)(s.PeopleSharing(ctx, "ann", []string{"zoe", "eve", "ann", "bob", "zoe"})); !slices.Equal(p, []string{"ann", "bob", "zoe"}) {
			t.Fatalf("people sharing = %v", p)
		}
		if p := must[[]string](t)(s.PeopleSharing(ctx, "eve", []string{"eve", "ann"})); !slices.Equal(p, []string{"eve"}) {
			t.Fatalf("eve may see = %v", p)
		}
		// Contacts: direct conversations and groups, not course groups.
		if c := must[[]string](t)(s.Contacts(ctx, "ann", 10)); !slices.Equal(c, []string{"bob", "cid", "dan"}) {
			t.Fatalf("contacts = %v", c)
		}
		if on := must[bool](t)(s.Touch(ctx, "bob")); !on {
			t.Fatal("first touch is not coming online")
		}
		clk.advance(time.Minute)
		if on := must[bool](t)(s.Touch(ctx, "bob")); on {
			t.Fatal("a touch a minute later came online again")
		}
		check(t, func() error { _, err := s.Touch(ctx, "cid"); return err }())
		check(t, s.SetPresenceHidden(ctx, "cid", true))
		if h := must[bool](t)(s.PresenceHidden(ctx, "cid")); !h {
			t.Fatal("cid not hidden")
		}
		if h := must[bool](t)(s.PresenceHidden(ctx, "nobody")); h {
			t.Fatal("nobody hidden")
		}
		list := must[[]messages.Presence](t)(s.Presence(ctx, "ann", ""))
		if len(list) != 2 || list[0].Subject != "bob" || !list[0].Active || !list[0].LastActiveAt.Equal(clk.now()) || list[1].Subject != "dan" || list[1].Active {
			t.Fatalf("presence = %+v", list)
		}
		clk.advance(messages.PresenceWindow)
		if list := must[[]messages.Presence](t)(s.Presence(ctx, "ann", g.ID)); len(list) != 1 || list[0].Subject != "bob" || list[0].Active {
			t.Fatalf("presence in the group = %+v", list)
		}
		if on := must[bool](t)(s.Touch(ctx, "bob")); !on {
			t.Fatal("bob came back online")
		}
		_, err = s.Presence(ctx, "eve", g.ID)
		wantErr(t, "non-member asks", err, messages.ErrNotFound)
		check(t, s.SetPresenceHidden(ctx, "cid", false))
		if list := must[[]messages.Presence](t)(s.Presence(ctx, "ann", g.ID)); len(list) != 2 {
			t.Fatalf("shown again = %+v", list)
		}
	})
}

func TestRules(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, clk *clock) {
		ctx := context.Background()
		r := must[messages.Rules](t)(s.Rules(ctx))
		if r.Version != 1 || r.Reach["student"]["staff"] != messages.ReachProgramme {
			t.Fatalf("default = %+v", r)
		}
		r.Reach["student"]["student"] = messages.ReachAnyone
		r.GroupCreators = []string{"staff"}
		got := must[messages.Rules](t)(s.SetRules(ctx, "admin-1", r, 1))
		if got.Version != 2 || got.UpdatedBy != "admin-1" || !got.UpdatedAt.Equal(clk.now()) || got.Reach["student"]["student"] != messages.ReachAnyone || !slices.Equal(got.GroupCreators, []string{"staff"}) {
			t.Fatalf("set = %+v", got)
		}
		_, err := s.SetRules(ctx, "admin-2", r, 1)
		wantErr(t, "stale version", err, messages.ErrVersionMismatch)
		if again := must[messages.Rules](t)(s.Rules(ctx)); again.Version != 2 || again.GroupCreators[0] != "staff" {
			t.Fatalf("read back = %+v", again)
		}
	})
}

func TestTakeLease(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, clk *clock) {
		ctx := context.Background()
		if ok := must[bool](t)(s.TakeLease(ctx, "digest", "a", time.Minute)); !ok {
			t.Fatal("a cannot take a free lease")
		}
		if ok := must[bool](t)(s.TakeLease(ctx, "digest", "b", time.Minute)); ok {
			t.Fatal("b took a's lease")
		}
		if ok := must[bool](t)(s.TakeLease(ctx, "digest", "a", time.Minute)); !ok {
			t.Fatal("a cannot renew")
		}
		if ok := must[bool](t)(s.TakeLease(ctx, "other", "b", time.Minute)); !ok {
			t.Fatal("b cannot take another job")
		}
		clk.advance(time.Minute + time.Second)
		if ok := must[bool](t)(s.TakeLease(ctx, "digest", "b", time.Minute)); !ok {
			t.Fatal("b cannot take an expired lease")
		}
		if ok := must[bool](t)(s.TakeLease(ctx, "digest", "a", time.Minute)); ok {
			t.Fatal("a took b's lease back")
		}
	})
}

func TestDigests(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, clk *clock) {
		ctx := context.Background()
		const delay = 30 * time.Minute
		g := group(t, s, "ann", "Databases", "bob", "cid")
		d, _, err := s.CreateConversation(ctx, "dan", store.NewConversation{Kind: messages.KindDirect, Members: []string{"bob"}})
		check(t, err)
		send(t, s, "ann", g.ID, "one")
		m2 := send(t, s, "ann", g.ID, "two")
		send(t, s, "dan", d.ID, "hi bob")
		// Nothing is old enough yet.
		if due := must[[]store.DigestDue](t)(s.DigestsDue(ctx, clk.now().Add(-delay), 100)); len(due) != 0 {
			t.Fatalf("due at once = %+v", due)
		}
		clk.advance(10 * time.Minute)
		_, err = s.MarkRead(ctx, "cid", g.ID, m2.ID) // cid read them: no digest
		check(t, err)
		clk.advance(delay)
		due := must[[]store.DigestDue](t)(s.DigestsDue(ctx, clk.now().Add(-delay), 100))
		if len(due) != 1 || due[0].Subject != "bob" || due[0].Unread != 3 || !slices.Equal(due[0].Conversations, []string{"", "Databases"}) && !slices.Equal(due[0].Conversations, []string{"Databases", ""}) {
			t.Fatalf("due = %+v", due)
		}
		check(t, s.DigestSent(ctx, "bob", due[0].UpTo))
		if again := must[[]store.DigestDue](t)(s.DigestsDue(ctx, clk.now().Add(-delay), 100)); len(again) != 0 {
			t.Fatalf("due again = %+v", again)
		}
		// cid's message, once old enough, makes ann and bob due (again);
		// not cid, who wrote it.
		send(t, s, "cid", g.ID, "three")
		clk.advance(delay + time.Minute)
		due = must[[]store.DigestDue](t)(s.DigestsDue(ctx, clk.now().Add(-delay), 100))
		var subs []string
		for _, d := range due {
			subs = append(subs, d.Subject)
		}
		if !slices.Equal(subs, []string{"ann", "bob"}) {
			t.Fatalf("due after a new message = %+v", due)
		}
	})
}
