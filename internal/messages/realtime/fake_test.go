package realtime

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"campus/internal/db"
	"campus/internal/messages"
)

// fake is an in-memory Source with the store's semantics: an event log
// in id order, membership now, read events for their reader only.
type fake struct {
	mu       sync.Mutex
	events   []messages.Event
	oldest   int64                      // ids below it are purged
	members  map[string]map[string]bool // conversation -> subjects
	contacts map[string][]string
	hidden   map[string]bool
	online   map[string]bool

	eventReads atomic.Int64
	touches    atomic.Int64
	// replays at once, the most seen, and how long each read takes
	reading, mostReading atomic.Int64
	readDelay            time.Duration
	contactsDelay        time.Duration
	// afterHook runs once in the next EventsAfter, before (early) or
	// after it took its snapshot: a commit during a replay.
	afterHook func()
	early     bool
}

func newFake() *fake {
	return &fake{
		members:  map[string]map[string]bool{},
		contacts: map[string][]string{},
		hidden:   map[string]bool{},
		online:   map[string]bool{},
	}
}

func (f *fake) join(conv string, subs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.members[conv] == nil {
		f.members[conv] = map[string]bool{}
	}
	for _, s := range subs {
		f.members[conv][s] = true
	}
}

// commit appends an event (applying membership changes) and returns its
// reference, as a store's commit would.
func (f *fake) commit(kind, conv, subject string) messages.EventRef {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := int64(len(f.events)) + 1
	switch kind {
	case messages.EventMemberAdded:
		if f.members[conv] == nil {
			f.members[conv] = map[string]bool{}
		}
		f.members[conv][subject] = true
	case messages.EventMemberRemoved:
		delete(f.members[conv], subject)
	}
	data, _ := json.Marshal(map[string]any{"n": id, "conversation_id": conv})
	f.events = append(f.events, messages.Event{ID: id, Kind: kind, ConversationID: conv, Subject: subject, Data: data, CreatedAt: time.Now()})
	return messages.EventRef{ID: id, Kind: kind, ConversationID: conv, Subject: subject}
}

// messages commits n message.created events in conv.
func (f *fake) messages(conv string, n int) []messages.EventRef {
	var refs []messages.EventRef
	for range n {
		refs = append(refs, f.commit(messages.EventMessageCreated, conv, ""))
	}
	return refs
}

func (f *fake) ConversationIDs(ctx context.Context, sub string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for c, m := range f.members {
		if m[sub] {
			ids = append(ids, c)
		}
	}
	return ids, nil
}

func (f *fake) Contacts(ctx context.Context, sub string, limit int) ([]string, error) {
	time.Sleep(f.contactsDelay)
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.contacts[sub]...), nil
}

func (f *fake) visible(sub string, e messages.Event) bool {
	switch {
	case e.Kind == messages.EventRead || e.ConversationID == "":
		return e.Subject == sub
	case e.Subject == sub:
		return true
	default:
		return f.members[e.ConversationID][sub]
	}
}

func (f *fake) EventsAfter(ctx context.Context, sub string, after int64, limit int) ([]messages.Event, bool, error) {
	n := f.reading.Add(1)
	defer f.reading.Add(-1)
	for m := f.mostReading.Load(); n > m && !f.mostReading.CompareAndSwap(m, n); m = f.mostReading.Load() {
	}
	time.Sleep(f.readDelay)
	f.mu.Lock()
	hook, early := f.afterHook, f.early
	f.afterHook = nil
	f.mu.Unlock()
	if hook != nil && early {
		hook()
	}
	f.mu.Lock()
	var list []messages.Event
	gone := after+1 < f.oldest
	if !gone {
		for _, e := range f.events {
			if e.ID > after && e.ID >= f.oldest && f.visible(sub, e) && len(list) < limit {
				list = append(list, e)
			}
		}
	}
	f.mu.Unlock()
	if hook != nil && !early {
		hook()
	}
	return list, gone, nil
}

func (f *fake) Event(ctx context.Context, id int64) (messages.Event, error) {
	f.eventReads.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if id < 1 || id > int64(len(f.events)) || id < f.oldest {
		return messages.Event{}, messages.ErrNotFound
	}
	return f.events[id-1], nil
}

func (f *fake) LastEventID(ctx context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(len(f.events)), nil
}

func (f *fake) Touch(ctx context.Context, sub string) (bool, error) {
	f.touches.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	was := f.online[sub]
	f.online[sub] = true
	return !was, nil
}

func (f *fake) PresenceHidden(ctx context.Context, sub string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hidden[sub], nil
}

var _ Source = (*fake)(nil)

// --- an SSE client ---

// sse is one thing read from a stream: an event block (id, event, data
// may each be empty: an id-only block), or a comment.
type sse struct {
	ID, Event, Data, Comment, Retry string
	HasID                           bool
}

type client struct {
	resp   *http.Response
	cancel context.CancelFunc
	got    chan sse
	ended  chan struct{}
}

// dial opens sub's stream on srv; last, when not "", is sent as
// Last-Event-ID.
func dial(tb testing.TB, srv *httptest.Server, sub, last string) *client {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/events?sub="+sub, nil)
	if last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		cancel()
		tb.Fatalf("dial: %v", err)
	}
	c := &client{resp: resp, cancel: cancel, got: make(chan sse, 10000), ended: make(chan struct{})}
	tb.Cleanup(c.close)
	go c.read()
	return c
}

func (c *client) close() {
	c.cancel()
	c.resp.Body.Close()
}

func (c *client) read() {
	defer close(c.ended)
	r := bufio.NewReader(c.resp.Body)
	var cur sse
	any := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if any {
				c.got <- cur
			}
			cur, any = sse{}, false
		case strings.HasPrefix(line, ":"):
			c.got <- sse{Comment: strings.TrimSpace(line[1:])}
		default:
			k, v, _ := strings.Cut(line, ":")
			v = strings.TrimPrefix(v, " ")
			any = true
			switch k {
			case "id":
				cur.ID, cur.HasID = v, true
			case "event":
				cur.Event = v
			case "data":
				if cur.Data != "" {
					cur.Data += "\n"
				}
				cur.Data += v
			case "retry":
				cur.Retry = v
			}
		}
	}
}

// next returns the next event with an event type (skipping comments,
// retry and id-only blocks), failing after a while.
func (c *client) next(tb testing.TB) sse {
	tb.Helper()
	for {
		select {
		case e := <-c.got:
			if e.Event != "" {
				return e
			}
		case <-time.After(5 * time.Second):
			tb.Fatalf("no event within 5s")
		}
	}
}

// nextBlock returns the next block or comment, whatever it is.
func (c *client) nextBlock(tb testing.TB) sse {
	tb.Helper()
	select {
	case e := <-c.got:
		return e
	case <-time.After(5 * time.Second):
		tb.Fatalf("nothing within 5s")
	}
	return sse{}
}

// expect reads events and checks their ids, in order.
func (c *client) expect(tb testing.TB, ids ...int64) {
	tb.Helper()
	for _, want := range ids {
		e := c.next(tb)
		if e.ID != fmt.Sprint(want) {
			tb.Fatalf("got event %q (%s), want id %d", e.ID, e.Event, want)
		}
	}
}

// quiet checks that nothing but comments, id-only blocks and presence
// (which comes when it comes) arrive for d.
func (c *client) quiet(tb testing.TB, d time.Duration) {
	tb.Helper()
	deadline := time.After(d)
	for {
		select {
		case e := <-c.got:
			if e.Event != "" && e.Event != messages.EventPresence {
				tb.Fatalf("unexpected event %s %s %s", e.ID, e.Event, e.Data)
			}
		case <-deadline:
			return
		}
	}
}

// ids lists 5..10 and the like.
func ids(from, to int64) []int64 {
	var l []int64
	for i := from; i <= to; i++ {
		l = append(l, i)
	}
	return l
}

// serve starts a hub over src with its Run and an HTTP server for its
// streams (the subject in ?sub=, until from untilFn when set).
func serve(tb testing.TB, src Source, setup func(h *Hub)) (*Hub, *httptest.Server) {
	tb.Helper()
	return serveOn(tb, src, nil, setup)
}

// serveOn is serve with a database deciding the fan-out.
func serveOn(tb testing.TB, src Source, d *db.DB, setup func(h *Hub)) (*Hub, *httptest.Server) {
	tb.Helper()
	h := New(src, d, nil, time.Now)
	h.Heartbeat = time.Hour
	if setup != nil {
		setup(h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	srv := httptest.NewServer(streamHandler(h, time.Time{}))
	tb.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
		<-done
	})
	return h, srv
}

func streamHandler(h *Hub, until time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := until
		if v := r.URL.Query().Get("for"); v != "" {
			d, _ := time.ParseDuration(v)
			u = time.Now().Add(d)
		}
		h.Serve(w, r, r.URL.Query().Get("sub"), u, nil, nil)
	})
}

// waitStreams waits until the hub has n streams open and subscribed.
func waitStreams(tb testing.TB, h *Hub, n int) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.Streams() != n {
		if time.Now().After(deadline) {
			tb.Fatalf("%d streams open, want %d", h.Streams(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// listing is a fake that can list a conversation's members.
type listing struct{ *fake }

func (l listing) ConversationMembers(ctx context.Context, id string) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var subs []string
	for s := range l.members[id] {
		subs = append(subs, s)
	}
	return subs, nil
}

var _ MemberLister = listing{}
