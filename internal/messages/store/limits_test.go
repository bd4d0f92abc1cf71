package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"campus/internal/db/dbtest"
	"campus/internal/messages"
	"campus/internal/messages/store"
)

// A person sends a burst, then one per interval; a refused send says how
// long to wait and takes nothing; another person's bucket is their own;
// a send that fails (not a member) costs nothing.
func TestSendLimit(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *store.Store, c *clock) {
		ctx := context.Background()
		s.SendLimit = messages.SendLimit{Every: time.Second, Burst: 3}
		g := group(t, s, "ann", "Lerngruppe", "bob")
		other := group(t, s, "eve", "Andere")
		for range 5 { // not a member: refused as such, and free
			if _, err := s.Send(ctx, "ann", other.ID, store.NewMessage{Text: "hallo"}); !errors.Is(err, messages.ErrNotFound) {
				t.Fatalf("send to a stranger's group: %v, want ErrNotFound", err)
			}
		}
		for i := range 3 {
			send(t, s, "ann", g.ID, "eins zwei drei"[:3+i])
		}
		for range 2 { // refusing twice does not push the wait out
			_, err := s.Send(ctx, "ann", g.ID, store.NewMessage{Text: "vier"})
			var rl *messages.RateLimited
			if !errors.Is(err, messages.ErrRateLimited) || !errors.As(err, &rl) || rl.Wait != time.Second {
				t.Fatalf("fourth send at once: %v, want a wait of 1s", err)
			}
		}
		send(t, s, "bob", g.ID, "bob hat seinen eigenen Eimer")
		c.advance(999 * time.Millisecond)
		if _, err := s.Send(ctx, "ann", g.ID, store.NewMessage{Text: "zu früh"}); !errors.Is(err, messages.ErrRateLimited) {
			t.Fatalf("after 999ms: %v, want ErrRateLimited", err)
		}
		c.advance(time.Millisecond)
		send(t, s, "ann", g.ID, "jetzt")
		c.advance(time.Hour)
		if n := must[int64](t)(s.ForgetSendLimits(ctx)); n != 2 {
			t.Fatalf("forgot %d full buckets, want 2 (ann's and bob's)", n)
		}
		for range 3 { // a full bucket again
			send(t, s, "ann", g.ID, "wieder da")
		}
		list, _, err := s.History(ctx, "bob", g.ID, store.Page{})
		check(t, err)
		if len(list) != 8 {
			t.Fatalf("%d messages stored, want 8: a refused send stores nothing", len(list))
		}
	})
}

// Two replicas on one PostgreSQL count one bucket: of 20 sends at once,
// through two stores, exactly the burst gets through.
func TestSendLimitAcrossReplicas(t *testing.T) {
	t.Parallel()
	d := dbtest.Postgres(t, store.Migrations)
	c := newClock()
	a, b := store.New(d, c.now), store.New(d, c.now)
	for _, s := range []*store.Store{a, b} {
		s.SendLimit = messages.SendLimit{Every: time.Minute, Burst: 5}
	}
	g := group(t, a, "ann", "Lerngruppe")
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent, refused := 0, 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := []*store.Store{a, b}[i%2].Send(context.Background(), "ann", g.ID, store.NewMessage{Text: "schnell"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				sent++
			case errors.Is(err, messages.ErrRateLimited):
				refused++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if sent != 5 || refused != 15 {
		t.Fatalf("sent %d, refused %d; want 5 and 15", sent, refused)
	}
}
