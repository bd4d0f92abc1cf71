package realtime

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"campus/internal/messages"
)

// ready reads until the id-only block a stream sends when it starts from
// now, and returns that id.
func (c *client) ready(tb testing.TB) string {
	tb.Helper()
	for {
		e := c.nextBlock(tb)
		if e.HasID && e.Event == "" {
			return e.ID
		}
		if e.Event != "" {
			tb.Fatalf("event %s before the stream's start", e.Event)
		}
	}
}

func TestHeaders(t *testing.T) {
	f := newFake()
	_, srv := serve(t, f, nil)
	c := dial(t, srv, "alice", "")
	for k, want := range map[string]string{
		"Content-Type":      "text/event-stream",
		"Cache-Control":     "no-store",
		"X-Accel-Buffering": "no",
	} {
		if got := c.resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if e := c.nextBlock(t); e.Retry != "3000" {
		t.Errorf("first block %+v, want retry: 3000", e)
	}
}

func TestResume(t *testing.T) {
	for _, tc := range []struct {
		name string
		// live commits an event while the replay reads the log: early,
		// before the read's snapshot (so the replay has it too), or late,
		// after it (so only the live path has it).
		live, early bool
		batch       int
	}{
		{name: "plain", batch: 200},
		{name: "small batches", batch: 2},
		{name: "live event before the replay's snapshot", live: true, early: true, batch: 3},
		{name: "live event after the replay's snapshot", live: true, early: false, batch: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.join("c1", "alice")
			f.messages("c1", 10)
			h, srv := serve(t, f, func(h *Hub) { h.ReplayBatch = tc.batch })
			if tc.live {
				f.afterHook = func() { h.Deliver([]messages.EventRef{f.commit(messages.EventMessageCreated, "c1", "")}) }
				f.early = tc.early
			}
			c := dial(t, srv, "alice", "4")
			want := ids(5, 10)
			if tc.live {
				want = append(want, 11)
			}
			c.expect(t, want...)
			next := f.commit(messages.EventMessageCreated, "c1", "")
			h.Deliver([]messages.EventRef{next})
			c.expect(t, next.ID)
			c.quiet(t, 100*time.Millisecond)
		})
	}
}

func TestResumeFromQuery(t *testing.T) {
	f := newFake()
	f.join("c1", "alice")
	f.messages("c1", 3)
	_, srv := serve(t, f, nil)
	resp, err := http.Get(srv.URL + "/events?sub=alice&last_event_id=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	c := &client{resp: resp, cancel: func() {}, got: make(chan sse, 100), ended: make(chan struct{})}
	go c.read()
	c.expect(t, 2, 3)
}

func TestResetWhenTooOld(t *testing.T) {
	f := newFake()
	f.join("c1", "alice")
	f.messages("c1", 10)
	f.oldest = 6 // 1..5 purged: a client at 2 missed 3..5
	h, srv := serve(t, f, nil)
	c := dial(t, srv, "alice", "2")
	e := c.next(t)
	if e.Event != "reset" || e.HasID {
		t.Fatalf("got %+v, want a reset event without id", e)
	}
	if id := c.ready(t); id != "10" {
		t.Fatalf("restarted at %s, want 10", id)
	}
	next := f.commit(messages.EventMessageCreated, "c1", "")
	h.Deliver([]messages.EventRef{next})
	c.expect(t, 11)

	// Resuming from just before the oldest kept is still fine.
	c2 := dial(t, srv, "alice", "5")
	c2.expect(t, ids(6, 11)...)
}

func TestFreshStreamStartsNow(t *testing.T) {
	f := newFake()
	f.join("c1", "alice")
	f.messages("c1", 3)
	h, srv := serve(t, f, nil)
	c := dial(t, srv, "alice", "")
	if id := c.ready(t); id != "3" {
		t.Fatalf("started at %s, want 3 (the newest)", id)
	}
	h.Deliver(f.messages("c1", 2))
	c.expect(t, 4, 5)
}

func TestInterest(t *testing.T) {
	f := newFake()
	f.join("c1", "alice", "bob", "carol")
	f.join("c2", "dave")
	h, srv := serve(t, f, nil)
	alice, bob, carol, dave := dial(t, srv, "alice", ""), dial(t, srv, "bob", ""), dial(t, srv, "carol", ""), dial(t, srv, "dave", "")
	for _, c := range []*client{alice, bob, carol, dave} {
		c.ready(t)
	}

	t.Run("non-member gets nothing of a conversation", func(t *testing.T) {
		h.Deliver(f.messages("c1", 1))
		for _, c := range []*client{alice, bob, carol} {
			c.expect(t, 1)
		}
		h.Deliver(f.messages("c2", 1))
		dave.expect(t, 2) // dave's first event is c2's, not c1's
	})
	t.Run("read events only to the reader", func(t *testing.T) {
		h.Deliver([]messages.EventRef{f.commit(messages.EventRead, "c1", "alice")})
		if e := alice.next(t); e.Event != messages.EventRead || e.ID != "3" {
			t.Fatalf("alice got %+v", e)
		}
		h.Deliver(f.messages("c1", 1))
		bob.expect(t, 4) // not 3
		carol.expect(t, 4)
		alice.expect(t, 4)
	})
	t.Run("removed member stops after their own removal", func(t *testing.T) {
		rm := f.commit(messages.EventMemberRemoved, "c1", "bob")
		h.Deliver([]messages.EventRef{rm})
		if e := bob.next(t); e.Event != messages.EventMemberRemoved || e.ID != "5" {
			t.Fatalf("bob got %+v, want his member.removed", e)
		}
		alice.expect(t, 5)
		h.Deliver(f.messages("c1", 1)) // 6
		alice.expect(t, 6)
		carol.expect(t, 5, 6)
		h.Deliver([]messages.EventRef{f.commit(messages.EventRead, "", "bob")}) // 7: about bob only
		bob.expect(t, 7)                                                        // not 6
	})
	t.Run("added member gets events from their addition on", func(t *testing.T) {
		h.Deliver([]messages.EventRef{f.commit(messages.EventMemberAdded, "c1", "dave")}) // 8
		dave.expect(t, 8)
		h.Deliver(f.messages("c1", 1)) // 9
		dave.expect(t, 9)
		alice.expect(t, 8, 9)
	})
	t.Run("a resumed stream sees what the log says it may", func(t *testing.T) {
		b := dial(t, srv, "bob", "4")
		b.expect(t, 5, 7) // his removal and his own event; not 6, 8, 9
		b.quiet(t, 50*time.Millisecond)
	})
}

func TestEventReadOncePerProcess(t *testing.T) {
	f := newFake()
	var subs []string
	for i := range 20 {
		subs = append(subs, "p"+string(rune('a'+i)))
	}
	f.join("c1", subs...)
	h, srv := serve(t, f, nil)
	var cs []*client
	for _, s := range subs {
		c := dial(t, srv, s, "")
		c.ready(t)
		cs = append(cs, c)
	}
	before := f.eventReads.Load()
	h.Deliver(f.messages("c1", 5))
	for _, c := range cs {
		c.expect(t, 1, 2, 3, 4, 5)
	}
	if n := f.eventReads.Load() - before; n != 5 {
		t.Fatalf("%d reads of the event log for 5 events to 20 streams, want 5", n)
	}
	// Nobody interested: no read at all.
	h.Deliver(f.messages("c9", 3))
	h.Deliver(f.messages("c1", 1))
	cs[0].expect(t, 9)
	if n := f.eventReads.Load() - before; n != 6 {
		t.Fatalf("%d reads, want 6 (events nobody here wants are not read)", n)
	}
}

func TestOutOfOrderHooks(t *testing.T) {
	// On SQLite the store's hooks run after the commits, in any order:
	// the hub still sends in id order, and reads an id it was not told
	// of (a commit elsewhere, or a hook still to come).
	f := newFake()
	f.join("c1", "alice")
	h, srv := serve(t, f, nil)
	c := dial(t, srv, "alice", "")
	c.ready(t)
	refs := f.messages("c1", 4)
	h.Deliver(refs[3:]) // 4 first: 1..3 are read from the log
	c.expect(t, 1, 2, 3, 4)
	h.Deliver(refs[:3]) // late hooks: nothing more
	h.Deliver(f.messages("c1", 1))
	c.expect(t, 5)
}

func TestHeartbeatAndPresence(t *testing.T) {
	f := newFake()
	f.join("g", "alice", "bob")
	// Contacts are symmetric: alice is bob's and carol's.
	f.contacts["bob"] = []string{"alice"}
	f.contacts["carol"] = []string{"alice"}
	f.hidden["carol"] = true
	h, srv := serve(t, f, func(h *Hub) {
		h.Heartbeat = 20 * time.Millisecond
		h.TouchEvery = 0
	})
	alice := dial(t, srv, "alice", "")
	alice.ready(t)
	for range 3 {
		if e := alice.nextBlock(t); e.Comment != "hb" {
			t.Fatalf("got %+v, want a heartbeat", e)
		}
	}
	if n := f.touches.Load(); n < 3 {
		t.Fatalf("%d touches, want the stream's opening and every heartbeat's", n)
	}
	carol := dial(t, srv, "carol", "") // hides her presence: nothing
	carol.ready(t)
	bob := dial(t, srv, "bob", "") // comes online: alice hears of it
	bob.ready(t)
	e := alice.next(t)
	if e.Event != messages.EventPresence || e.HasID || !strings.Contains(e.Data, `"id":"bob"`) || !strings.Contains(e.Data, `"active":true`) {
		t.Fatalf("got %+v, want bob's presence without id", e)
	}
	_ = h
}

func TestPresenceFollowsMembership(t *testing.T) {
	f := newFake()
	f.join("g", "alice")
	h, srv := serve(t, f, nil)
	alice := dial(t, srv, "alice", "")
	alice.ready(t)
	if err := h.PublishPresence(t.Context(), "erin", true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the presence worker is done with it
	// Erin joins alice's group: from now on they are contacts.
	f.mu.Lock()
	f.contacts["erin"] = []string{"alice"}
	f.mu.Unlock()
	h.Deliver([]messages.EventRef{f.commit(messages.EventMemberAdded, "g", "erin")})
	alice.expect(t, 1) // not erin's earlier presence
	if err := h.PublishPresence(t.Context(), "erin", true); err != nil {
		t.Fatal(err)
	}
	if e := alice.next(t); e.Event != messages.EventPresence || !strings.Contains(e.Data, "erin") {
		t.Fatalf("got %+v, want erin's presence", e)
	}
}

func TestEndsAtUntil(t *testing.T) {
	f := newFake()
	_, srv := serve(t, f, nil)
	start := time.Now()
	resp, err := http.Get(srv.URL + "/events?sub=alice&for=200ms")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body) // until the server ends it
	if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
		t.Fatalf("stream lasted %s, want about 200ms", d)
	}
}

func TestClientGoes(t *testing.T) {
	f := newFake()
	h, srv := serve(t, f, nil)
	c := dial(t, srv, "alice", "")
	c.ready(t)
	waitStreams(t, h, 1)
	c.close()
	waitStreams(t, h, 0)
}

func TestSlowClientClosed(t *testing.T) {
	f := newFake()
	f.join("c1", "slow", "fast")
	big := strings.Repeat("x", 64<<10)
	h, srv := serve(t, f, func(h *Hub) {
		h.Buffer = 4
		h.WriteWait = 300 * time.Millisecond
		h.Enrich = func(_ context.Context, e messages.Event) ([]byte, error) {
			return []byte(`{"big":"` + big + `"}`), nil
		}
	})
	fast := dial(t, srv, "fast", "")
	fast.ready(t)
	// The slow client sends its request and never reads.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /events?sub=slow HTTP/1.1\r\nHost: x\r\n\r\n")
	waitStreams(t, h, 2)
	time.Sleep(50 * time.Millisecond)

	// 200 events of 64 KiB fill the slow client's socket buffers, then
	// its stream's buffer: it is closed, while the fast one gets each
	// event at once (the fan-out never waits for the slow one).
	const n = 200
	for i := range n {
		start := time.Now()
		h.Deliver(f.messages("c1", 1))
		fast.expect(t, int64(i+1))
		if d := time.Since(start); d > time.Second {
			t.Fatalf("event %d took %s to reach the fast client", i+1, d)
		}
	}
	waitStreams(t, h, 1) // the slow one is closed
}

func TestNewConversationReachesItsMembers(t *testing.T) {
	f := newFake()
	h, srv := serve(t, listing{f}, nil)
	alice, carol := dial(t, srv, "alice", ""), dial(t, srv, "carol", "")
	alice.ready(t)
	carol.ready(t)
	// A group made with alice and bob in one transaction: its members
	// are named by no event, the hub asks for them.
	f.join("g", "alice", "bob")
	h.Deliver([]messages.EventRef{f.commit(messages.EventConversationCreated, "g", "")})
	alice.expect(t, 1)
	h.Deliver(f.messages("g", 1))
	alice.expect(t, 2)
	carol.quiet(t, 50*time.Millisecond)
}

func TestBufferFull(t *testing.T) {
	s := &stream{ch: make(chan *frame, 4), done: make(chan struct{})}
	closed := func() bool {
		select {
		case <-s.done:
			return true
		default:
			return false
		}
	}
	presence := &frame{kind: messages.EventPresence}
	for range 10 {
		s.send(presence)
	}
	if len(s.ch) != 2 || closed() {
		t.Fatalf("after a burst of presence: %d queued, closed %v; want 2 (half the buffer), open", len(s.ch), closed())
	}
	s.send(&frame{id: 1})
	s.send(&frame{id: 2})
	if closed() {
		t.Fatal("closed with room left")
	}
	s.send(&frame{id: 3}) // no room for a stored event: the client resumes later
	if !closed() {
		t.Fatal("a full buffer did not close the stream")
	}
	s.send(&frame{id: 4}) // and again: no panic
}

func TestRunEndClosesStreams(t *testing.T) {
	f := newFake()
	h := New(f, nil, nil, time.Now)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	srv := httptest.NewServer(streamHandler(h, time.Time{}))
	defer srv.Close()
	c := dial(t, srv, "alice", "")
	c.ready(t)
	cancel()
	<-done
	select {
	case <-c.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream stayed open after Run ended")
	}
	// A stream opened afterwards ends at once.
	resp, err := http.Get(srv.URL + "/events?sub=bob")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	waitStreams(t, h, 0)
}

func TestReplaysBounded(t *testing.T) {
	f := newFake()
	f.join("c1", "alice")
	f.messages("c1", 3)
	f.readDelay = 20 * time.Millisecond
	_, srv := serve(t, f, func(h *Hub) { h.Replays = 2 })
	var cs []*client
	for range 12 {
		cs = append(cs, dial(t, srv, "alice", "1"))
	}
	for _, c := range cs {
		c.expect(t, 2, 3)
	}
	if n := f.mostReading.Load(); n > 2 {
		t.Fatalf("%d replays read the log at once, want at most 2", n)
	}
}

func TestResumeFromTheFuture(t *testing.T) {
	f := newFake()
	f.join("c1", "alice")
	f.messages("c1", 3)
	h, srv := serve(t, f, nil)
	c := dial(t, srv, "alice", "99") // the log was restored from a backup
	if e := c.next(t); e.Event != "reset" {
		t.Fatalf("got %+v, want reset", e)
	}
	if id := c.ready(t); id != "3" {
		t.Fatalf("restarted at %s, want 3", id)
	}
	h.Deliver(f.messages("c1", 1))
	c.expect(t, 4)
}

func TestOutlivesServerTimeouts(t *testing.T) {
	// The service's server has read and write timeouts meant for
	// requests; a stream lasts until its token expires.
	f := newFake()
	f.join("c1", "alice")
	h, _ := serve(t, f, nil)
	srv := httptest.NewUnstartedServer(streamHandler(h, time.Time{}))
	srv.Config.ReadTimeout = 200 * time.Millisecond
	srv.Config.WriteTimeout = 200 * time.Millisecond
	srv.Start()
	defer srv.Close()
	defer srv.CloseClientConnections()
	c := dial(t, srv, "alice", "")
	c.ready(t)
	time.Sleep(600 * time.Millisecond)
	h.Deliver(f.messages("c1", 1))
	c.expect(t, 1)
}

func TestPresenceCrowdDoesNotHoldUpEvents(t *testing.T) {
	f := newFake()
	f.join("c1", "alice")
	f.contactsDelay = 20 * time.Millisecond // each person's contacts take a while
	h, srv := serve(t, f, nil)
	alice := dial(t, srv, "alice", "")
	alice.ready(t)
	for i := range 1000 { // a lecture starts
		h.Deliver([]messages.EventRef{{Kind: messages.EventPresence, Subject: "p" + strconv.Itoa(i), Data: []byte(`{}`)}})
	}
	start := time.Now()
	h.Deliver(f.messages("c1", 1))
	alice.expect(t, 1)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("a message took %s behind a crowd's presence", d)
	}
}
