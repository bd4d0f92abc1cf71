package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/messages"
	"campus/internal/messages/store"
)

// clock is an injected time that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// each runs fn on a fresh store over SQLite and PostgreSQL.
func each(t *testing.T, fn func(t *testing.T, s *store.Store, c *clock)) {
	t.Helper()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		c := newClock()
		fn(t, store.New(d, c.now), c)
	})
}

func must[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func group(t testing.TB, s *store.Store, creator, name string, members ...string) messages.Conversation {
	t.Helper()
	c, created, err := s.CreateConversation(context.Background(), creator, store.NewConversation{Kind: messages.KindGroup, Name: name, Members: members})
	if err != nil || !created {
		t.Fatalf("create group: %v, %v", created, err)
	}
	return c
}

func send(t testing.TB, s *store.Store, sub, conv, text string) messages.Message {
	t.Helper()
	m, err := s.Send(context.Background(), sub, conv, store.NewMessage{Text: text})
	if err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
	return m
}

func TestDirectConversations(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, _ *clock) {
		ctx := context.Background()
		c, created, err := s.CreateConversation(ctx, "ann", store.NewConversation{Kind: messages.KindDirect, Members: []string{"bob"}})
		if err != nil || !created || c.Kind != messages.KindDirect || c.Members != 2 || c.MyRole != messages.RoleMember || c.Version != 1 {
			t.Fatalf("create = %+v, %v, %v", c, created, err)
		}
		// At most one per pair, whoever asks.
		again, created, err := s.CreateConversation(ctx, "bob", store.NewConversation{Kind: messages.KindDirect, Members: []string{"ann"}})
		if err != nil || created || again.ID != c.ID {
			t.Fatalf("again = %+v, %v, %v", again, created, err)
		}
		// Each sees the other as the conversation's peer, in lists too.
		if c.Peer != "bob" || again.Peer != "ann" {
			t.Fatalf("peers: %q for ann, %q for bob", c.Peer, again.Peer)
		}
		if list, _, err := s.Conversations(ctx, "bob", store.Page{}); err != nil || len(list) != 1 || list[0].Peer != "ann" {
			t.Fatalf("bob's list: %+v, %v", list, err)
		}
		_, _, err = s.CreateConversation(ctx, "ann", store.NewConversation{Kind: messages.KindDirect, Members: []string{"ann"}})
		wantErr(t, "with oneself", err, messages.ErrConflict)
		_, _, err = s.CreateConversation(ctx, "ann", store.NewConversation{Kind: messages.KindDirect, Members: []string{"bob", "cid"}})
		wantErr(t, "three people", err, messages.ErrConflict)
		_, _, err = s.CreateConversation(ctx, "ann", store.NewConversation{Kind: messages.KindCourse, Name: "x"})
		wantErr(t, "course by a person", err, messages.ErrConflict)

		_, err = s.Conversation(ctx, "eve", c.ID)
		wantErr(t, "non-member reads", err, messages.ErrNotFound)
		_, err = s.Conversation(ctx, "ann", "no-such-id")
		wantErr(t, "missing", err, messages.ErrNotFound)
		wantErr(t, "rename direct", func() error { _, err := s.RenameGroup(ctx, "ann", c.ID, "x", 0); return err }(), messages.ErrConflict)
		wantErr(t, "add to direct", s.AddMember(ctx, "ann", c.ID, "cid", messages.RoleMember), messages.ErrConflict)
		wantErr(t, "leave direct", s.RemoveMember(ctx, "ann", c.ID, "ann"), messages.ErrConflict)
		if ok, err := s.IsMember(ctx, "bob", c.ID); !ok || err != nil {
			t.Fatalf("IsMember bob = %v, %v", ok, err)
		}
		if ok, err := s.IsMember(ctx, "eve", c.ID); ok || err != nil {
			t.Fatalf("IsMember eve = %v, %v", ok, err)
		}
	})
}

func TestConcurrentDirect(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, _ *clock) {
		ctx := context.Background()
		var wg sync.WaitGroup
		ids := make([]string, 8)
		errs := make([]error, 8)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, b := "ann", "bob"
				if i%2 == 1 {
					a, b = b, a
				}
				c, _, err := s.CreateConversation(ctx, a, store.NewConversation{Kind: messages.KindDirect, Members: []string{b}})
				ids[i], errs[i] = c.ID, err
			}()
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("%d: %s, %v; want %s", i, ids[i], errs[i], ids[0])
			}
		}
	})
}

func TestGroups(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, clk *clock) {
		ctx := context.Background()
		g := group(t, s, "ann", "  Study group ", "bob", "cid", "ann", "bob")
		if g.Name != "Study group" || g.Members != 3 || g.MyRole != messages.RoleAdmin || g.CreatedBy != "ann" {
			t.Fatalf("group = %+v", g)
		}
		_, _, err := s.CreateConversation(ctx, "ann", store.NewConversation{Kind: messages.KindGroup, Name: " "})
		wantErr(t, "empty name", err, messages.ErrConflict)

		if subs := must[[]string](t)(s.ConversationMembers(ctx, g.ID)); !slices.Equal(subs, []string{"ann", "bob", "cid"}) {
			t.Fatalf("ConversationMembers = %v", subs)
		}
		members := must[[]messages.Member](t)(s.Members(ctx, "bob", g.ID))
		if len(members) != 3 || members[0].Subject != "ann" || members[0].Role != messages.RoleAdmin {
			t.Fatalf("members = %+v", members)
		}
		_, err = s.Members(ctx, "eve", g.ID)
		wantErr(t, "non-member lists members", err, messages.ErrNotFound)

		// Renaming: admins only, from the version read.
		_, err = s.RenameGroup(ctx, "bob", g.ID, "Mine", 0)
		wantErr(t, "member renames", err, messages.ErrForbidden)
		_, err = s.RenameGroup(ctx, "eve", g.ID, "Mine", 0)
		wantErr(t, "non-member renames", err, messages.ErrNotFound)
		r := must[messages.Conversation](t)(s.RenameGroup(ctx, "ann", g.ID, "Databases", g.Version))
		if r.Name != "Databases" || r.Version != g.Version+1 {
			t.Fatalf("renamed = %+v", r)
		}
		_, err = s.RenameGroup(ctx, "ann", g.ID, "Again", g.Version)
		wantErr(t, "stale version", err, messages.ErrVersionMismatch)

		// Adding: admins only; a role change of a member.
		wantErr(t, "member adds", s.AddMember(ctx, "bob", g.ID, "dan", messages.RoleMember), messages.ErrForbidden)
		wantErr(t, "non-member adds", s.AddMember(ctx, "eve", g.ID, "dan", messages.RoleMember), messages.ErrNotFound)
		clk.advance(time.Second)
		check(t, s.AddMember(ctx, "ann", g.ID, "dan", messages.RoleMember))
		wantErr(t, "the only admin steps down", s.AddMember(ctx, "ann", g.ID, "ann", messages.RoleMember), messages.ErrConflict)
		check(t, s.AddMember(ctx, "ann", g.ID, "bob", messages.RoleAdmin))
		if c := must[messages.Conversation](t)(s.Conversation(ctx, "bob", g.ID)); c.MyRole != messages.RoleAdmin || c.Members != 4 {
			t.Fatalf("bob's view = %+v", c)
		}

		// Removing: a member only themselves; an admin anyone.
		wantErr(t, "member removes another", s.RemoveMember(ctx, "dan", g.ID, "cid"), messages.ErrForbidden)
		check(t, s.RemoveMember(ctx, "dan", g.ID, "dan"))
		_, err = s.Conversation(ctx, "dan", g.ID)
		wantErr(t, "former member reads", err, messages.ErrNotFound)
		wantErr(t, "former member leaves again", s.RemoveMember(ctx, "dan", g.ID, "dan"), messages.ErrNotFound)
		wantErr(t, "remove a non-member", s.RemoveMember(ctx, "ann", g.ID, "zed"), messages.ErrNotFound)
		check(t, s.RemoveMember(ctx, "bob", g.ID, "ann"))
		// The last admin leaves: the member who joined first becomes admin.
		check(t, s.RemoveMember(ctx, "bob", g.ID, "bob"))
		if c := must[messages.Conversation](t)(s.Conversation(ctx, "cid", g.ID)); c.MyRole != messages.RoleAdmin || c.Members != 1 {
			t.Fatalf("cid's view = %+v", c)
		}
	})
}

func TestConversationList(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, clk *clock) {
		ctx := context.Background()
		var ids []string
		for i := range 7 {
			clk.advance(time.Second)
			ids = append(ids, group(t, s, "ann", "g"+string(rune('a'+i)), "bob").ID)
		}
		// A message makes a conversation the most recent.
		clk.advance(time.Second)
		m := send(t, s, "bob", ids[2], "hello")
		var got []string
		var cursor string
		for pages := 0; ; pages++ {
			list, next := must2(t)(s.Conversations(ctx, "ann", store.Page{Limit: 3, Cursor: cursor}))
			for _, c := range list {
				got = append(got, c.ID)
				if c.ID == ids[2] && (c.Last == nil || c.Last.ID != m.ID || c.Unread != 1) {
					t.Fatalf("active conversation = %+v", c)
				}
				if c.ID != ids[2] && (c.Last != nil || c.Unread != 0) {
					t.Fatalf("quiet conversation = %+v", c)
				}
			}
			if cursor = next; cursor == "" {
				break
			}
			if pages > 5 {
				t.Fatal("paging does not end")
			}
		}
		want := []string{ids[2], ids[6], ids[5], ids[4], ids[3], ids[1], ids[0]}
		if !slices.Equal(got, want) {
			t.Fatalf("order = %v, want %v", got, want)
		}
		if list, _ := must2(t)(s.Conversations(ctx, "eve", store.Page{})); len(list) != 0 {
			t.Fatalf("eve's list = %v", list)
		}
		if ids := must[[]string](t)(s.ConversationIDs(ctx, "bob")); len(ids) != 7 {
			t.Fatalf("ConversationIDs = %v", ids)
		}
	})
}

func must2(t testing.TB) func(list []messages.Conversation, next string, err error) ([]messages.Conversation, string) {
	return func(list []messages.Conversation, next string, err error) ([]messages.Conversation, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return list, next
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, clk *clock) {
		ctx := context.Background()
		g := group(t, s, "ann", "g", "bob")
		other := group(t, s, "eve", "other")
		var sent []messages.Message
		for i := range 65 {
			clk.advance(time.Millisecond)
			sent = append(sent, send(t, s, []string{"ann", "bob"}[i%2], g.ID, "message "+string(rune('A'+i%26))))
		}
		// History: newest first, 30 a page by default, every message once.
		var got []string
		var cursor string
		for {
			list, next, err := s.History(ctx, "bob", g.ID, store.Page{Cursor: cursor})
			check(t, err)
			if len(list) > messages.HistoryPage {
				t.Fatalf("page of %d", len(list))
			}
			for _, m := range list {
				got = append(got, m.ID)
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		if len(got) != 65 || got[0] != sent[64].ID || got[64] != sent[0].ID {
			t.Fatalf("history: %d messages, first %s", len(got), got[0])
		}
		_, _, err := s.History(ctx, "eve", g.ID, store.Page{})
		wantErr(t, "non-member history", err, messages.ErrNotFound)

		after := must[[]messages.Message](t)(s.MessagesAfter(ctx, "ann", g.ID, sent[60].ID, 10))
		if len(after) != 4 || after[0].ID != sent[61].ID {
			t.Fatalf("after = %v", after)
		}
		_, err = s.MessagesAfter(ctx, "eve", g.ID, "", 10)
		wantErr(t, "non-member after", err, messages.ErrNotFound)

		// Replies and mentions.
		r, err := s.Send(ctx, "bob", g.ID, store.NewMessage{Text: "re", ReplyTo: sent[0].ID, Mentions: []string{"ann", "eve", "ann"}})
		if err != nil || r.ReplyTo != sent[0].ID || !slices.Equal(r.Mentions, []string{"ann"}) {
			t.Fatalf("reply = %+v, %v", r, err)
		}
		if m := must[messages.Message](t)(s.Message(ctx, "ann", r.ID)); !slices.Equal(m.Mentions, []string{"ann"}) || m.Sender != "bob" {
			t.Fatalf("read back = %+v", m)
		}
		o := send(t, s, "eve", other.ID, "elsewhere")
		_, err = s.Send(ctx, "bob", g.ID, store.NewMessage{Text: "re", ReplyTo: o.ID})
		wantErr(t, "reply across conversations", err, messages.ErrNotFound)
		_, err = s.Send(ctx, "eve", g.ID, store.NewMessage{Text: "hi"})
		wantErr(t, "non-member sends", err, messages.ErrNotFound)
		_, err = s.Send(ctx, "ann", g.ID, store.NewMessage{Text: " "})
		wantErr(t, "empty message", err, messages.ErrConflict)
		_, err = s.Message(ctx, "eve", r.ID)
		wantErr(t, "non-member reads a message", err, messages.ErrNotFound)

		// Edit and delete: one's own only.
		_, err = s.Edit(ctx, "ann", r.ID, "mine now")
		wantErr(t, "edit another's", err, messages.ErrForbidden)
		_, err = s.Edit(ctx, "eve", r.ID, "mine now")
		wantErr(t, "non-member edits", err, messages.ErrNotFound)
		clk.advance(time.Minute)
		e := must[messages.Message](t)(s.Edit(ctx, "bob", r.ID, "edited"))
		if e.Text != "edited" || e.EditedAt == nil || !e.EditedAt.Equal(clk.now()) {
			t.Fatalf("edited = %+v", e)
		}
		_, err = s.Delete(ctx, "ann", r.ID)
		wantErr(t, "delete another's", err, messages.ErrForbidden)
		d := must[messages.Message](t)(s.Delete(ctx, "bob", r.ID))
		if !d.Deleted || d.Text != "" || d.Mentions != nil {
			t.Fatalf("deleted = %+v", d)
		}
		if m := must[messages.Message](t)(s.Message(ctx, "ann", r.ID)); !m.Deleted || m.Text != "" || len(m.Mentions) != 0 {
			t.Fatalf("deleted, read back = %+v", m)
		}
		_, err = s.Edit(ctx, "bob", r.ID, "back")
		wantErr(t, "edit a deleted message", err, messages.ErrConflict)
		if _, err := s.Delete(ctx, "bob", r.ID); err != nil {
			t.Fatalf("delete again: %v", err)
		}

		// A former member can neither read nor change their messages.
		check(t, s.RemoveMember(ctx, "ann", g.ID, "bob"))
		_, err = s.Edit(ctx, "bob", sent[1].ID, "x")
		wantErr(t, "former member edits", err, messages.ErrNotFound)
		_, _, err = s.History(ctx, "bob", g.ID, store.Page{})
		wantErr(t, "former member's history", err, messages.ErrNotFound)
		if m, err := s.MessageByID(ctx, sent[1].ID); err != nil || m.Sender != "bob" {
			t.Fatalf("MessageByID = %+v, %v", m, err)
		}
	})
}

func TestAttachments(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, _ *clock) {
		ctx := context.Background()
		g := group(t, s, "ann", "g", "bob")
		pdf := bytes.Repeat([]byte("%PDF-1.7 "), 1000)
		m, err := s.Send(ctx, "ann", g.ID, store.NewMessage{Attachments: []messages.NewAttachment{
			{Name: "notes.pdf", ContentType: "application/pdf", Data: pdf},
			{Name: "empty.txt", ContentType: "text/plain", Data: nil},
		}})
		check(t, err)
		sum := sha256.Sum256(pdf)
		if len(m.Attachments) != 2 || m.Attachments[0].SHA256 != hex.EncodeToString(sum[:]) || m.Attachments[0].Size != int64(len(pdf)) {
			t.Fatalf("attachments = %+v", m.Attachments)
		}
		h, _, err := s.History(ctx, "bob", g.ID, store.Page{})
		check(t, err)
		if len(h) != 1 || len(h[0].Attachments) != 2 || h[0].Attachments[0].Name != "notes.pdf" || h[0].Attachments[1].Name != "empty.txt" {
			t.Fatalf("history's attachments = %+v", h)
		}
		a, r, err := s.Attachment(ctx, "bob", m.Attachments[0].ID)
		check(t, err)
		got, _ := io.ReadAll(r)
		r.Close()
		if !bytes.Equal(got, pdf) || a.ContentType != "application/pdf" || a.Name != "notes.pdf" {
			t.Fatalf("attachment = %+v, %d bytes", a, len(got))
		}
		_, _, err = s.Attachment(ctx, "eve", m.Attachments[0].ID)
		wantErr(t, "non-member's attachment", err, messages.ErrNotFound)

		tooMany := make([]messages.NewAttachment, messages.MaxAttachments+1)
		_, err = s.Send(ctx, "ann", g.ID, store.NewMessage{Text: "x", Attachments: tooMany})
		wantErr(t, "too many attachments", err, messages.ErrConflict)

		_, err = s.Delete(ctx, "ann", m.ID)
		check(t, err)
		_, _, err = s.Attachment(ctx, "bob", m.Attachments[0].ID)
		wantErr(t, "deleted message's attachment", err, messages.ErrNotFound)
	})
}

func TestNoticesConversation(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, _ *clock) {
		ctx := context.Background()
		n := store.NewNotice{To: []string{"ann", "bob", "ann"}, Kind: "grade_published", Text: "Your grade for Databases is published",
			TextDE: "Deine Note für Datenbanken ist veröffentlicht", Link: "/grades", Key: "k1"}
		added, err := s.Notify(ctx, n)
		if err != nil || !added {
			t.Fatalf("notify = %v, %v", added, err)
		}
		added, err = s.Notify(ctx, n)
		if err != nil || added {
			t.Fatalf("retried notify = %v, %v", added, err)
		}
		n.Key = "k2"
		check(t, func() error { _, err := s.Notify(ctx, n); return err }())
		list, _ := must2(t)(s.Conversations(ctx, "ann", store.Page{}))
		if len(list) != 1 || list[0].Kind != messages.KindNotices || list[0].Unread != 2 || list[0].Last == nil || list[0].Members != 1 {
			t.Fatalf("ann's conversations = %+v", list)
		}
		last := list[0].Last
		if last.Sender != "" || last.NoticeKind != "grade_published" || last.TextDE != n.TextDE || last.Link != "/grades" {
			t.Fatalf("notice = %+v", last)
		}
		_, err = s.Send(ctx, "ann", list[0].ID, store.NewMessage{Text: "thanks"})
		wantErr(t, "answer a notice", err, messages.ErrForbidden)
		if found, _, err := s.Search(ctx, "ann", "datenbank", store.Page{}); err != nil || len(found) != 2 {
			t.Fatalf("search notices = %v, %v", found, err)
		}
		if found, _, _ := s.Search(ctx, "cid", "databases", store.Page{}); len(found) != 0 {
			t.Fatalf("cid finds %v", found)
		}

		many := make([]string, store.MaxNoticeRecipients)
		for i := range many {
			many[i] = "p" + string(rune('a'+i%26)) + hex.EncodeToString([]byte{byte(i >> 8), byte(i)})
		}
		if added, err := s.Notify(ctx, store.NewNotice{To: many, Kind: "programme_changed", Text: "The programme changed", TextDE: "Der Studiengang wurde geändert", Key: "k3"}); err != nil || !added {
			t.Fatalf("notify 1000 = %v, %v", added, err)
		}
		if u := must[store.Unread](t)(s.Unread(ctx, many[999])); u.Total != 1 {
			t.Fatalf("unread of the last recipient = %+v", u)
		}
		_, err = s.Notify(ctx, store.NewNotice{To: append(many, "one-more"), Text: "x"})
		wantErr(t, "1001 recipients", err, messages.ErrConflict)
	})
}

func TestReadMarkers(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, clk *clock) {
		ctx := context.Background()
		g := group(t, s, "ann", "g", "bob")
		send(t, s, "bob", g.ID, "mine") // one's own messages are never unread
		var sent []messages.Message
		for range 5 {
			sent = append(sent, send(t, s, "ann", g.ID, "x"))
		}
		if c := must[messages.Conversation](t)(s.Conversation(ctx, "bob", g.ID)); c.Unread != 5 {
			t.Fatalf("bob's unread = %d", c.Unread)
		}
		mk := must[messages.Member](t)(s.MarkRead(ctx, "bob", g.ID, sent[2].ID))
		if mk.ReadUpTo != sent[2].ID {
			t.Fatalf("marker = %+v", mk)
		}
		// Never backwards.
		mk = must[messages.Member](t)(s.MarkRead(ctx, "bob", g.ID, sent[0].ID))
		if mk.ReadUpTo != sent[2].ID {
			t.Fatalf("marker moved back: %+v", mk)
		}
		if n := must[int](t)(s.UnreadIn(ctx, "bob", g.ID)); n != 2 {
			t.Fatalf("unread after marker = %d", n)
		}
		_, err := s.MarkRead(ctx, "eve", g.ID, sent[4].ID)
		wantErr(t, "non-member marks", err, messages.ErrNotFound)
		_, err = s.MarkRead(ctx, "bob", g.ID, "no-such-message")
		wantErr(t, "unknown message", err, messages.ErrNotFound)
		// A deleted message is not unread.
		_, err = s.Delete(ctx, "ann", sent[4].ID)
		check(t, err)
		u := must[store.Unread](t)(s.Unread(ctx, "bob"))
		if u.Total != 1 || u.Conversations[g.ID] != 1 {
			t.Fatalf("unread = %+v", u)
		}

		// Unread counts stop at MaxUnreadCount.
		big := group(t, s, "ann", "big", "bob")
		_, err = s.BulkMessages(ctx, big.ID, "ann", messages.MaxUnreadCount+50, clk.now())
		check(t, err)
		u = must[store.Unread](t)(s.Unread(ctx, "bob"))
		if u.Conversations[big.ID] != messages.MaxUnreadCount || u.Total != messages.MaxUnreadCount+1 {
			t.Fatalf("capped unread = %+v", u)
		}
		if c := must[messages.Conversation](t)(s.Conversation(ctx, "bob", big.ID)); c.Unread != messages.MaxUnreadCount {
			t.Fatalf("capped in the conversation: %d", c.Unread)
		}
	})
}

func TestSearch(t *testing.T) {
	t.Parallel()
	for _, plan := range []struct {
		name   string
		common int
	}{{"rare", 0}, {"common", 1}} {
		t.Run(plan.name, func(t *testing.T) { testSearch(t, plan.common) })
	}
}

func testSearch(t *testing.T, common int) {
	each(t, func(t *testing.T, s *store.Store, _ *clock) {
		s.SetCommonTerm(common)
		ctx := context.Background()
		mine := group(t, s, "ann", "mine", "bob")
		theirs := group(t, s, "eve", "theirs")
		a := send(t, s, "ann", mine.ID, "Die Prüfung in Datenbanken ist am Montag")
		b := send(t, s, "bob", mine.ID, "Datenbanken: Übungsblatt 3")
		send(t, s, "eve", theirs.ID, "Datenbanken secret")
		found, _, err := s.Search(ctx, "ann", "datenbank", store.Page{})
		if err != nil || len(found) != 2 || found[0].ID != b.ID || found[1].ID != a.ID {
			t.Fatalf("search = %+v, %v", found, err)
		}
		if found, _, _ := s.Search(ctx, "ann", "PRUFUNG montag", store.Page{}); len(found) != 1 || found[0].ID != a.ID {
			t.Fatalf("two words, folded = %+v", found)
		}
		// Paging.
		p1, next, err := s.Search(ctx, "ann", "datenbanken", store.Page{Limit: 1})
		if err != nil || len(p1) != 1 || next == "" {
			t.Fatalf("page 1 = %v, %q, %v", p1, next, err)
		}
		p2, next, _ := s.Search(ctx, "ann", "datenbanken", store.Page{Limit: 1, Cursor: next})
		if len(p2) != 1 || p2[0].ID != a.ID || next != "" {
			t.Fatalf("page 2 = %v, %q", p2, next)
		}
		// Edited words, deleted messages, former members.
		_, err = s.Edit(ctx, "bob", b.ID, "Statistik")
		check(t, err)
		if found, _, _ := s.Search(ctx, "ann", "statistik", store.Page{}); len(found) != 1 {
			t.Fatalf("after edit = %v", found)
		}
		_, err = s.Delete(ctx, "ann", a.ID)
		check(t, err)
		if found, _, _ := s.Search(ctx, "ann", "datenbanken", store.Page{}); len(found) != 0 {
			t.Fatalf("after delete = %v", found)
		}
		check(t, s.RemoveMember(ctx, "bob", mine.ID, "bob"))
		if found, _, _ := s.Search(ctx, "bob", "statistik", store.Page{}); len(found) != 0 {
			t.Fatalf("former member finds %v", found)
		}
		if found, _, _ := s.Search(ctx, "ann", "   ", store.Page{}); len(found) != 0 {
			t.Fatalf("empty query finds %v", found)
		}
	})
}
