package realtime

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/db/dbtest"
	"campus/internal/messages"
)

// pgPair opens two database handles (two replicas) on one fresh schema.
func pgPair(t *testing.T) (*db.DB, *db.DB) {
	t.Helper()
	url := dbtest.PostgresURL(t)
	open := func() *db.DB {
		d, err := db.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	return open(), open()
}

// notify sends refs on the schema's channel from a committed transaction,
// as the store's commits do.
func notify(t *testing.T, d *db.DB, refs []messages.EventRef) {
	t.Helper()
	var schema string
	if err := d.QueryRowContext(t.Context(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(refs)
	err := d.Tx(t.Context(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(t.Context(), "SELECT pg_notify($1, $2)", messages.Channel(schema), string(payload))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// listening returns a channel that gets a value each time h's LISTEN
// takes effect.
func listening(h *Hub) chan struct{} {
	ch := make(chan struct{}, 10)
	h.onListen = func() { ch <- struct{}{} }
	return ch
}

func wait(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10s", what)
	}
}

func TestPostgresTwoReplicas(t *testing.T) {
	d1, d2 := pgPair(t)
	f := newFake()
	f.join("c1", "alice", "bob")
	f.contacts["bob"] = []string{"alice"}
	var l1, l2 chan struct{}
	h1, srv1 := serveOn(t, f, d1, func(h *Hub) { l1 = listening(h) })
	h2, srv2 := serveOn(t, f, d2, func(h *Hub) { l2 = listening(h) })
	wait(t, l1, "LISTEN on replica 1")
	wait(t, l2, "LISTEN on replica 2")
	a1, a2, b2 := dial(t, srv1, "alice", ""), dial(t, srv2, "alice", ""), dial(t, srv2, "bob", "")
	a1.ready(t)
	a2.ready(t)
	b2.ready(t)

	// Bob's stream made him come online: alice hears it on both replicas.
	for _, c := range []*client{a1, a2} {
		if e := c.next(t); e.Event != messages.EventPresence || !strings.Contains(e.Data, `"bob"`) {
			t.Fatalf("got %+v, want bob's presence", e)
		}
	}

	// A commit on replica 1 reaches the streams on both.
	notify(t, d1, f.messages("c1", 3))
	for _, c := range []*client{a1, a2, b2} {
		c.expect(t, 1, 2, 3)
	}
	// Deliver is a no-op on PostgreSQL (the commit notified everyone):
	// no duplicates.
	h1.Deliver(f.messages("c1", 1))
	h2.Deliver(nil)
	notify(t, d2, f.messages("c1", 1)[:0])
	for _, c := range []*client{a1, a2, b2} {
		c.quiet(t, 100*time.Millisecond)
	}
}

func TestPostgresReconnect(t *testing.T) {
	d1, d2 := pgPair(t)
	f := newFake()
	f.join("c1", "alice")
	var (
		l1      chan struct{}
		attempt atomic.Int64
		gate    = make(chan struct{})
		atGate  = make(chan struct{}, 1)
	)
	h1, srv1 := serveOn(t, f, d1, func(h *Hub) {
		l1 = listening(h)
		h.beforeListen = func() {
			if attempt.Add(1) == 2 { // the reconnection: hold it until told
				atGate <- struct{}{}
				<-gate
			}
		}
	})
	wait(t, l1, "LISTEN")
	a := dial(t, srv1, "alice", "")
	a.ready(t)
	fresh := dial(t, srv1, "alice", "")
	fresh.ready(t)
	notify(t, d2, f.messages("c1", 3))
	a.expect(t, 1, 2, 3)
	fresh.expect(t, 1, 2, 3)

	// The server ends the listener's connection.
	var schema string
	if err := d2.QueryRowContext(t.Context(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	listen := `LISTEN "` + messages.Channel(schema) + `"`
	var killed int
	if err := d2.QueryRowContext(t.Context(),
		`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = $1`, listen).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listeners, want 1", killed)
	}
	wait(t, atGate, "reconnection attempt")
	// Committed while nobody listens: no notification will tell.
	notify(t, d2, f.messages("c1", 3))
	a.quiet(t, 100*time.Millisecond)
	close(gate)
	wait(t, l1, "LISTEN again")
	a.expect(t, 4, 5, 6)
	fresh.expect(t, 4, 5, 6)
	notify(t, d2, f.messages("c1", 1))
	a.expect(t, 7)
	fresh.expect(t, 7)
	a.quiet(t, 100*time.Millisecond)
	_ = h1
}
