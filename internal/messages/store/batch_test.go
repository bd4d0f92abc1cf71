package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/messages"
	"campus/internal/messages/store"
)

// Sends at once are written together on SQLite (group commit): each
// keeps its own result, a refused one leaves nothing behind, and the
// events still come in id order, each told to the fan-out once.
func TestConcurrentSends(t *testing.T) {
	each(t, func(t *testing.T, s *store.Store, c *clock) {
		ctx := context.Background()
		var mu sync.Mutex
		var published []int64
		s.Published = func(refs []messages.EventRef) {
			mu.Lock()
			defer mu.Unlock()
			for _, r := range refs {
				published = append(published, r.ID)
			}
		}
		g := group(t, s, "ann", "Lerngruppe", "bob")
		const n = 60
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				nm := store.NewMessage{Text: fmt.Sprintf("nachricht%d gemeinsam", i), Mentions: []string{"bob", "eve"}}
				sub := "ann"
				switch i % 3 {
				case 1:
					nm.ReplyTo = "no-such-message" // refused: ErrNotFound
				case 2:
					sub = "eve" // not a member: ErrNotFound
				}
				_, errs[i] = s.Send(ctx, sub, g.ID, nm)
			})
		}
		wg.Wait()
		for i, err := range errs {
			if i%3 == 0 {
				check(t, err)
			} else {
				wantErr(t, fmt.Sprintf("send %d", i), err, messages.ErrNotFound)
			}
		}
		history, _, err := s.History(ctx, "bob", g.ID, store.Page{Limit: 100})
		check(t, err)
		if len(history) != n/3 {
			t.Fatalf("%d messages stored, want %d", len(history), n/3)
		}
		for _, m := range history {
			if m.Sender != "ann" || len(m.Mentions) != 1 || m.Mentions[0] != "bob" {
				t.Fatalf("stored %+v", m)
			}
		}
		found, _, err := s.Search(ctx, "bob", "gemeinsam", store.Page{Limit: 100})
		check(t, err)
		if len(found) != n/3 {
			t.Fatalf("search finds %d messages, want %d (the refused ones left words?)", len(found), n/3)
		}
		events, _, err := s.EventsAfter(ctx, "bob", 0, 1000)
		check(t, err)
		created := 0
		for i, e := range events {
			if i > 0 && e.ID <= events[i-1].ID {
				t.Fatalf("events out of order: %d after %d", e.ID, events[i-1].ID)
			}
			if e.Kind == messages.EventMessageCreated {
				created++
			}
		}
		if created != n/3 {
			t.Fatalf("%d message.created events, want %d", created, n/3)
		}
		if s.DB().Dialect() == db.SQLite {
			mu.Lock()
			for i := 1; i < len(published); i++ {
				if published[i] <= published[i-1] {
					t.Fatalf("published out of order or twice: %v", published)
				}
			}
			mu.Unlock()
		}
		// The last message time and the senders' read markers, set once
		// per batch, follow the newest of each conversation and sender.
		ac, err := s.Conversation(ctx, "ann", g.ID)
		check(t, err)
		bc, err := s.Conversation(ctx, "bob", g.ID)
		check(t, err)
		if ac.ReadUpTo != history[0].ID || ac.Unread != 0 || bc.Unread != n/3 || !ac.LastMessageAt.Equal(history[0].CreatedAt) {
			t.Fatalf("ann's view: read up to %s, unread %d, last %v; bob's unread %d; want %s, 0, %v, %d",
				ac.ReadUpTo, ac.Unread, ac.LastMessageAt, bc.Unread, history[0].ID, history[0].CreatedAt, n/3)
		}
		// Two conversations and two senders in the same batches.
		g2 := group(t, s, "bob", "Zweite Gruppe", "ann")
		c.advance(time.Minute)
		for i := range 40 {
			wg.Go(func() {
				conv, sub := []string{g.ID, g2.ID}[i%2], []string{"ann", "bob"}[i/2%2]
				_, err := s.Send(ctx, sub, conv, store.NewMessage{Text: fmt.Sprintf("runde zwei %d", i)})
				check(t, err)
			})
		}
		wg.Wait()
		for _, conv := range []string{g.ID, g2.ID} {
			list, _, err := s.History(ctx, "ann", conv, store.Page{Limit: 200})
			check(t, err)
			newest := map[string]string{}
			for _, m := range list {
				if newest[m.Sender] == "" {
					newest[m.Sender] = m.ID
				}
			}
			for _, sub := range []string{"ann", "bob"} {
				v, err := s.Conversation(ctx, sub, conv)
				check(t, err)
				if v.ReadUpTo != newest[sub] {
					t.Fatalf("%s in %s: read up to %q, want %q (their newest)", sub, conv, v.ReadUpTo, newest[sub])
				}
				if !v.LastMessageAt.Equal(list[0].CreatedAt) {
					t.Fatalf("%s: last message at %v, want %v", conv, v.LastMessageAt, list[0].CreatedAt)
				}
			}
		}
	})
}
