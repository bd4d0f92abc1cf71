package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/messages"
	"campus/internal/messages/store"
)

func kinds(list []messages.Event) []string {
	var out []string
	for _, e := range list {
		out = append(out, e.Kind)
	}
	return out
}

func TestEventsAfter(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, clk *clock) {
		ctx := context.Background()
		g := group(t, s, "ann", "g", "bob")
		m := send(t, s, "ann", g.ID, "one")
		_, err := s.MarkRead(ctx, "bob", g.ID, m.ID)
		check(t, err)
		check(t, s.RemoveMember(ctx, "ann", g.ID, "bob"))
		send(t, s, "ann", g.ID, "after bob left")

		all, gone, err := s.EventsAfter(ctx, "ann", 0, 100)
		check(t, err)
		if gone || !slices.Equal(kinds(all), []string{"conversation.created", "message.created", "member.removed", "message.created"}) {
			t.Fatalf("ann's events = %v (gone %v)", kinds(all), gone)
		}
		for i := 1; i < len(all); i++ {
			if all[i].ID <= all[i-1].ID {
				t.Fatalf("ids not ascending: %v", all)
			}
		}
		var data map[string]any
		check(t, json.Unmarshal(all[1].Data, &data))
		if data["conversation_id"] != g.ID || data["message_id"] != m.ID {
			t.Fatalf("message.created data = %s", all[1].Data)
		}
		// Bob, removed, sees his own removal and his read marker, nothing of the group after.
		bobs, _, err := s.EventsAfter(ctx, "bob", 0, 100)
		check(t, err)
		if !slices.Equal(kinds(bobs), []string{"read", "member.removed"}) {
			t.Fatalf("bob's events = %v", kinds(bobs))
		}
		check(t, json.Unmarshal(bobs[0].Data, &data))
		if data["read_up_to"] != m.ID || data["unread"] != float64(0) {
			t.Fatalf("read data = %s", bobs[0].Data)
		}
		// Resuming: only what came after.
		rest, _, err := s.EventsAfter(ctx, "ann", all[2].ID, 100)
		check(t, err)
		if len(rest) != 1 || rest[0].ID != all[3].ID {
			t.Fatalf("after %d: %v", all[2].ID, rest)
		}
		if none, _, _ := s.EventsAfter(ctx, "eve", 0, 100); len(none) != 0 {
			t.Fatalf("eve sees %v", kinds(none))
		}
		e, err := s.Event(ctx, all[1].ID)
		if err != nil || e.Kind != messages.EventMessageCreated || e.ConversationID != g.ID {
			t.Fatalf("Event = %+v, %v", e, err)
		}
		last, err := s.LastEventID(ctx)
		if err != nil || last != all[len(all)-1].ID {
			t.Fatalf("LastEventID = %d, %v", last, err)
		}

		// Purging: events older than the retention go, and a client from
		// before them must reload.
		clk.advance(messages.EventRetention + time.Minute)
		n, err := s.PurgeEvents(ctx)
		if err != nil || n != int64(len(all)+1) {
			t.Fatalf("purged %d, %v", n, err)
		}
		if _, gone, _ := s.EventsAfter(ctx, "ann", all[1].ID, 100); !gone {
			t.Fatal("resuming from a purged event is not gone")
		}
		if _, gone, _ := s.EventsAfter(ctx, "ann", 0, 100); gone {
			t.Fatal("a fresh stream is gone")
		}
		if l, _ := s.LastEventID(ctx); l != last {
			t.Fatalf("LastEventID after purge = %d, want %d", l, last)
		}
		send(t, s, "ann", g.ID, "new")
		if list, gone, _ := s.EventsAfter(ctx, "ann", last, 100); gone || len(list) != 1 || list[0].ID <= last {
			t.Fatalf("after purge = %v, gone %v", list, gone)
		}
	})
}

// TestPublishedAfterCommit: on SQLite the hook hears of each commit's
// events after the commit (the events are readable from the hook), and
// never of a transaction that failed.
func TestPublishedAfterCommit(t *testing.T) {
	t.Parallel()
	d := dbtest.SQLite(t, store.Migrations)
	s := store.New(d, newClock().now)
	ctx := context.Background()
	var mu sync.Mutex
	var got [][]messages.EventRef
	s.Published = func(refs []messages.EventRef) {
		for _, r := range refs {
			if _, err := s.Event(ctx, r.ID); err != nil {
				t.Errorf("event %d not readable in the hook: %v", r.ID, err)
			}
		}
		mu.Lock()
		got = append(got, refs)
		mu.Unlock()
	}
	g := group(t, s, "ann", "g", "bob")
	m := send(t, s, "bob", g.ID, "hi")
	if _, err := s.Send(ctx, "eve", g.ID, store.NewMessage{Text: "no"}); err == nil {
		t.Fatal("non-member sent")
	}
	if len(got) != 2 || got[0][0].Kind != messages.EventConversationCreated || got[1][0].Kind != messages.EventMessageCreated ||
		got[1][0].ConversationID != g.ID || got[1][0].ID <= got[0][0].ID {
		t.Fatalf("published = %+v", got)
	}
	_ = m
}

// TestNotifyOnCommit: on PostgreSQL a listener on the schema's channel
// hears the events' references when the transaction commits.
func TestNotifyOnCommit(t *testing.T) {
	t.Parallel()
	d, url := postgres(t)
	s := store.New(d, newClock().now)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	channel, err := s.Channel(ctx)
	check(t, err)
	conn := listen(t, ctx, url, channel)

	g := group(t, s, "ann", "g", "bob")
	m := send(t, s, "bob", g.ID, "hi")
	var refs []messages.EventRef
	for len(refs) < 2 {
		n, err := conn.WaitForNotification(ctx)
		check(t, err)
		var got []messages.EventRef
		check(t, json.Unmarshal([]byte(n.Payload), &got))
		refs = append(refs, got...)
	}
	if refs[0].Kind != messages.EventConversationCreated || refs[1].Kind != messages.EventMessageCreated || refs[1].ConversationID != g.ID || refs[1].ID <= refs[0].ID {
		t.Fatalf("notified %+v", refs)
	}
	e, err := s.Event(ctx, refs[1].ID)
	if err != nil || !json.Valid(e.Data) || string(e.Data) == "" {
		t.Fatalf("event %+v, %v", e, err)
	}
	_ = m

	// A large change is split into notifies that each fit PostgreSQL's limit.
	many := make([]string, 400)
	for i := range many {
		many[i] = "person-with-a-long-subject-identifier-" + string(rune('a'+i%26)) + time.Duration(i).String()
	}
	if _, err := s.SyncCourseGroups(ctx, []messages.CourseGroup{{CourseKind: "module", CourseID: "m1", Name: "M1", Students: many[:1]}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SyncCourseGroups(ctx, []messages.CourseGroup{{CourseKind: "module", CourseID: "m1", Name: "M1", Students: many}}); err != nil {
		t.Fatal(err)
	}
	added := 0
	for added < len(many)-1 {
		n, err := conn.WaitForNotification(ctx)
		check(t, err)
		if len(n.Payload) >= 8000 {
			t.Fatalf("payload of %d bytes", len(n.Payload))
		}
		var got []messages.EventRef
		check(t, json.Unmarshal([]byte(n.Payload), &got))
		for _, r := range got {
			if r.Kind == messages.EventMemberAdded {
				added++
			}
		}
	}
}

// TestConcurrentSendOrder: many senders at once on PostgreSQL; a listener
// sees event ids strictly ascending, so no event commits after a later one.
func TestConcurrentSendOrder(t *testing.T) {
	t.Parallel()
	d, url := postgres(t)
	s := store.New(d, time.Now)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	channel, err := s.Channel(ctx)
	check(t, err)
	conn := listen(t, ctx, url, channel)

	const senders, each = 8, 25
	var groups []string
	for i := range senders {
		groups = append(groups, group(t, s, "p"+string(rune('a'+i)), "g", "common").ID)
	}
	var wg sync.WaitGroup
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := s.Send(ctx, "p"+string(rune('a'+i)), groups[i], store.NewMessage{Text: "hello"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var last int64
	seen := 0
	for seen < senders+senders*each {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			t.Fatalf("after %d events: %v", seen, err)
		}
		var got []messages.EventRef
		check(t, json.Unmarshal([]byte(n.Payload), &got))
		for _, r := range got {
			if r.ID <= last {
				t.Fatalf("event %d after %d", r.ID, last)
			}
			last = r.ID
			seen++
		}
	}
	wg.Wait()
}

// postgres opens a fresh, migrated schema and returns its URL too, for a
// listener of its own.
func postgres(t *testing.T) (*db.DB, string) {
	t.Helper()
	url := dbtest.PostgresURL(t)
	d, err := db.Open(context.Background(), url)
	check(t, err)
	t.Cleanup(func() { d.Close() })
	_, err = d.Migrate(context.Background(), store.Migrations)
	check(t, err)
	return d, url
}

func listen(t *testing.T, ctx context.Context, url, channel string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	check(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	_, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize())
	check(t, err)
	return conn
}
