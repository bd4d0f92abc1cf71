package digest

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/messages"
	"campus/internal/messages/people"
	"campus/internal/messages/store"
)

// TestWithTheStore runs the job over the messages store on both engines:
// a person with messages unread for longer than After gets one digest
// naming the conversations; read ones and one's own count for nothing;
// a second look sends nothing more. (Skipped while the store's digest
// methods are not implemented on this branch.)
func TestWithTheStore(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, store.Migrations, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var mu sync.Mutex
		now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		st := store.New(d, clock)
		const anna, bert, carla = "0190a000-0000-7000-8000-00000000000a", "0190a000-0000-7000-8000-00000000000b", "0190a000-0000-7000-8000-00000000000c"
		group, _, err := st.CreateConversation(ctx, anna, store.NewConversation{Kind: messages.KindGroup, Name: "Databases", Members: []string{bert, carla}})
		if err != nil && strings.Contains(err.Error(), "not implemented") {
			t.Skip("the messages store is not implemented on this branch yet (H-store's mstore)")
		}
		if err != nil {
			t.Fatal(err)
		}
		direct, _, err := st.CreateConversation(ctx, carla, store.NewConversation{Kind: messages.KindDirect, Members: []string{anna}})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []struct{ from, conv string }{{bert, group.ID}, {carla, direct.ID}, {carla, direct.ID}} {
			if _, err := st.Send(ctx, s.from, s.conv, store.NewMessage{Text: "hello"}); err != nil {
				t.Fatal(err)
			}
			advance(time.Second)
		}
		// Carla read the group.
		last, _, err := st.History(ctx, carla, group.ID, store.Page{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.MarkRead(ctx, carla, group.ID, last[0].ID); err != nil {
			t.Fatal(err)
		}
		m := &fakeMailer{mails: map[string][]people.Mail{}, fail: map[string]error{}}
		j := &Job{Store: st, Mailer: m, After: 30 * time.Minute, Now: clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if n, err := j.Once(ctx); err != nil || n != 0 {
			t.Fatalf("before the delay: %d %v", n, err)
		}
		advance(31 * time.Minute)
		if n, err := j.Once(ctx); err != nil || n != 1 {
			t.Fatalf("after the delay: %d %v (%v)", n, err, m.mails)
		}
		got := m.mails[anna]
		if len(got) != 1 || got[0].Subject["en"] != "You have 3 unread messages in campus" ||
			!strings.Contains(got[0].Text["en"], "- in Databases\n") || !strings.Contains(got[0].Text["en"], "- in 1 conversation with one person\n") {
			t.Fatalf("anna's digest: %+v", got)
		}
		if keys := slices.Collect(func(yield func(string) bool) {
			for k := range m.mails {
				if !yield(k) {
					return
				}
			}
		}); len(keys) != 1 {
			t.Errorf("digests went to %v; only anna has unread", keys)
		}
		if n, err := j.Once(ctx); err != nil || n != 0 {
			t.Fatalf("a second look: %d %v", n, err)
		}
		// A newer message, unread a while: the next digest.
		if _, err := st.Send(ctx, bert, group.ID, store.NewMessage{Text: "again"}); err != nil {
			t.Fatal(err)
		}
		advance(31 * time.Minute)
		if n, err := j.Once(ctx); err != nil || n < 1 || len(m.mails[anna]) != 2 {
			t.Fatalf("the next digest: %d %v %v", n, err, m.mails[anna])
		}
	})
}
