package realtime

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"campus/internal/messages"
)

// An HTTP/1.1 stream leaves net/http once it has started: its handler
// returns while events still arrive, in order, and close the way a
// stream served by net/http does.
func TestDetachedStreamOutlivesItsHandler(t *testing.T) {
	f := newFake()
	f.join("c1", "alice")
	f.messages("c1", 3)
	h := New(f, nil, nil, time.Now)
	h.Heartbeat = time.Hour
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{})
	go func() { h.Run(ctx); close(ran) }()
	var handlers atomic.Int32
	inner := streamHandler(h, time.Time{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Add(-1)
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); cancel(); <-ran })
	c := dial(t, srv, "alice", "1")
	c.expect(t, 2, 3)
	waitFor(t, "the handler to return", func() bool { return handlers.Load() == 0 })
	if h.Streams() != 1 {
		t.Fatalf("%d streams open, want 1", h.Streams())
	}
	for range 3 {
		e := f.commit(messages.EventMessageCreated, "c1", "")
		h.Deliver([]messages.EventRef{e})
		c.expect(t, e.ID)
	}
	c.close()
	waitStreams(t, h, 0)
}

// stop ends a stream (the API's guard closes it when identity revokes the
// token) and done is called once it has ended, detached or not: over
// HTTP/1.1 and over HTTP/2, where the stream stays with net/http.
func TestStopEndsStream(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		name := "http1.1"
		if h2 {
			name = "http2"
		}
		t.Run(name, func(t *testing.T) {
			f := newFake()
			f.join("c1", "alice")
			h := New(f, nil, nil, time.Now)
			h.Heartbeat = time.Hour
			ctx, cancel := context.WithCancel(t.Context())
			ran := make(chan struct{})
			go func() { h.Run(ctx); close(ran) }()
			stop := make(chan struct{})
			var done atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.Serve(w, r, r.URL.Query().Get("sub"), time.Time{}, stop, func() { done.Add(1) })
			}))
			srv.EnableHTTP2 = h2
			srv.StartTLS()
			t.Cleanup(func() { srv.Close(); cancel(); <-ran })
			c := dial(t, srv, "alice", "")
			if got := c.resp.ProtoMajor; got != map[bool]int{false: 1, true: 2}[h2] {
				t.Fatalf("HTTP/%d, want HTTP/%d", got, map[bool]int{false: 1, true: 2}[h2])
			}
			c.ready(t)
			e := f.commit(messages.EventMessageCreated, "c1", "")
			h.Deliver([]messages.EventRef{e})
			c.expect(t, e.ID)
			close(stop)
			select {
			case <-c.ended:
			case <-time.After(5 * time.Second):
				t.Fatal("the stream stayed open after stop")
			}
			waitStreams(t, h, 0)
			waitFor(t, "done", func() bool { return done.Load() == 1 })
		})
	}
}

func waitFor(tb testing.TB, what string, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
