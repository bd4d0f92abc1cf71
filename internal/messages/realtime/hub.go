package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"campus/internal/db"
	"campus/internal/messages"
)

// Source is what the hub reads from the messages store.
type Source interface {
	ConversationIDs(ctx context.Context, sub string) ([]string, error)
	Contacts(ctx context.Context, sub string, limit int) ([]string, error)
	EventsAfter(ctx context.Context, sub string, after int64, limit int) ([]messages.Event, bool, error)
	Event(ctx context.Context, id int64) (messages.Event, error)
	LastEventID(ctx context.Context) (int64, error)
	Touch(ctx context.Context, sub string) (bool, error)
	PresenceHidden(ctx context.Context, sub string) (bool, error)
}

// MemberLister is what a Source offers to let a new conversation's
// members hear of it at once: conversation.created names nobody (its
// members were added in the same transaction, without member.added
// events), so the hub reads them, once per process, and follows the
// conversation on their open streams. Without it those streams learn of
// the conversation only when they reconnect.
type MemberLister interface {
	// ConversationMembers lists the subjects of a conversation's members.
	ConversationMembers(ctx context.Context, id string) ([]string, error)
}

// Defaults of the Hub's settings.
const (
	DefaultHeartbeat   = 15 * time.Second
	DefaultBuffer      = 64
	DefaultReplayBatch = 200
	DefaultTouchEvery  = time.Minute
	DefaultWriteWait   = 10 * time.Second
	DefaultContacts    = 2000
	// DefaultReplays bounds the log reads of replays at once.
	DefaultReplays = 4
	// RetryMillis is the reconnection time sent to clients (the SSE
	// "retry" field).
	RetryMillis = 3000
)

// readTimeout bounds one read of the store for the fan-out.
const readTimeout = 10 * time.Second

// Hub hands events to the open streams of this process.
//
// Its settings are read when a stream opens or an event is delivered; set
// them before Run and Serve.
type Hub struct {
	src    Source
	db     *db.DB
	logger *slog.Logger
	now    func() time.Time

	// Heartbeat is how often an idle stream gets a comment (keeps
	// proxies from closing it, and tells the client it is alive).
	Heartbeat time.Duration
	// Buffer is how many events may wait for one stream; a stream whose
	// buffer is full is closed (its client reconnects and resumes).
	Buffer int
	// ReplayBatch is how many stored events a replay reads at a time.
	ReplayBatch int
	// TouchEvery is how often an open stream records its person as
	// active (at most).
	TouchEvery time.Duration
	// WriteWait bounds one write to a client: a client that takes longer
	// loses its stream.
	WriteWait time.Duration
	// Contacts is how many of a person's contacts hear of their
	// presence (at most).
	Contacts int
	// Replays is how many streams may read the event log at once (for a
	// replay or catch-up): after a deploy, or after the listener's
	// connection came back, thousands of streams replay together and
	// would otherwise take every connection of the pool from requests.
	Replays int
	// Enrich turns a stored event into what clients receive (the API sets
	// it to render message events as the Message JSON with HTML); nil
	// sends the stored Data as is. It runs once per event per process for
	// live events, and per stream for replayed ones.
	Enrich func(ctx context.Context, e messages.Event) ([]byte, error)

	mu     sync.RWMutex
	byConv map[string]streamSet // conversation id -> streams of its members
	bySub  map[string]streamSet // person -> their streams
	open   atomic.Int64
	closed bool // Run ended: no more streams

	// SQLite: refs handed to Deliver, put in id order by pump.
	pendMu  sync.Mutex
	pending map[int64]messages.EventRef
	wake    chan struct{}

	replayOnce sync.Once
	replaySem  chan struct{}

	// presence waits here for Run's presence worker: reading a person's
	// contacts must not hold up the events behind it.
	presence chan messages.EventRef

	chanMu  sync.Mutex
	channel string // PostgreSQL NOTIFY channel, once known

	// onListen is called after each LISTEN took effect, beforeListen
	// before each attempt (tests).
	onListen, beforeListen func()
}

type streamSet map[*stream]struct{}

// New returns a hub reading from src; d decides the fan-out (PostgreSQL:
// LISTEN/NOTIFY, started by Run; SQLite: Deliver, called by the store).
// d may be nil (tests): the fan-out is then in-process, as on SQLite.
func New(src Source, d *db.DB, logger *slog.Logger, now func() time.Time) *Hub {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Hub{
		src: src, db: d, logger: logger, now: now,
		Heartbeat:   DefaultHeartbeat,
		Buffer:      DefaultBuffer,
		ReplayBatch: DefaultReplayBatch,
		TouchEvery:  DefaultTouchEvery,
		WriteWait:   DefaultWriteWait,
		Contacts:    DefaultContacts,
		Replays:     DefaultReplays,
		byConv:      map[string]streamSet{},
		bySub:       map[string]streamSet{},
		pending:     map[int64]messages.EventRef{},
		wake:        make(chan struct{}, 1),
		presence:    make(chan messages.EventRef, presenceQueue),
	}
}

func (h *Hub) postgres() bool { return h.db != nil && h.db.Dialect() == db.Postgres }

// Run delivers events until ctx ends. On PostgreSQL it listens for every
// replica's events (its own included), reconnecting after a loss with
// backoff and then making every open stream catch up from the event log;
// on SQLite it hands the events passed to Deliver to the streams in id
// order. Deliver and presence need Run.
//
// When ctx ends, Run closes the open streams (and any opened later), so
// that a server shutting down is not held up by them: their clients
// reconnect, to another replica or to this one's successor.
func (h *Hub) Run(ctx context.Context) error {
	defer h.closeAll()
	go h.presenceWorker(ctx)
	if !h.postgres() {
		return h.pump(ctx)
	}
	backoff := minBackoff
	for {
		if h.beforeListen != nil {
			h.beforeListen()
		}
		channel, err := h.channelName(ctx)
		if err == nil {
			err = h.db.Listen(ctx, channel, func() {
				backoff = minBackoff
				// Whatever was committed while nobody listened (or before
				// the first LISTEN) reaches the open streams from the log.
				h.resyncAll()
				if h.onListen != nil {
					h.onListen()
				}
			}, h.notified)
		}
		if ctx.Err() != nil {
			return nil
		}
		h.logger.Warn("messages fan-out: listener lost, reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 10 * time.Second
)

func (h *Hub) channelName(ctx context.Context) (string, error) {
	h.chanMu.Lock()
	defer h.chanMu.Unlock()
	if h.channel != "" {
		return h.channel, nil
	}
	var schema string
	if err := h.db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return "", fmt.Errorf("current schema: %w", err)
	}
	h.channel = messages.Channel(schema)
	return h.channel, nil
}

// notified handles one NOTIFY payload: a JSON array of EventRefs, in
// commit order, which the store promises is id order.
func (h *Hub) notified(payload string) {
	var refs []messages.EventRef
	if err := json.Unmarshal([]byte(payload), &refs); err != nil {
		h.logger.Error("messages fan-out: bad notification", "err", err, "payload", payload)
		return
	}
	for _, ref := range refs {
		h.deliver(ref, nil)
	}
}

// Deliver hands events committed in this process to the open streams
// (the store's Published hook on SQLite). It never blocks on a client
// nor reads the store: Run's pump does that, in id order, since the
// commits' hooks may run in any order.
func (h *Hub) Deliver(refs []messages.EventRef) {
	if h.postgres() {
		// The commit notified every replica; nothing to do here.
		return
	}
	h.pendMu.Lock()
	for _, ref := range refs {
		if ref.ID == 0 {
			h.pendMu.Unlock()
			h.deliver(ref, nil) // presence: not stored, order does not matter
			h.pendMu.Lock()
			continue
		}
		h.pending[ref.ID] = ref
	}
	h.pendMu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// pump delivers the refs passed to Deliver in id order. On SQLite every
// transaction holds the write lock from BEGIN, so ids are committed in
// order: when id n is committed, every smaller id is committed or never
// will be. An id missing from the refs (a gap, or an event committed by
// another process such as a command beside the server, or by a commit
// whose hook has not run yet) is read from the store.
func (h *Hub) pump(ctx context.Context) error {
	last, err := h.src.LastEventID(ctx)
	known := err == nil
	if err != nil && ctx.Err() == nil {
		h.logger.Warn("messages fan-out: last event id", "err", err)
	}
	// Streams opened before the pump ran catch up from the log: what was
	// committed up to last is not handed out live.
	h.resyncAll()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-h.wake:
		}
		h.pendMu.Lock()
		batch := h.pending
		h.pending = map[int64]messages.EventRef{}
		h.pendMu.Unlock()
		if len(batch) == 0 {
			continue
		}
		var top int64
		lowest := int64(-1)
		for id := range batch {
			top = max(top, id)
			if lowest < 0 || id < lowest {
				lowest = id
			}
		}
		if !known {
			last, known = lowest-1, true
		}
		if top <= last {
			continue // late hooks of events the pump read meanwhile
		}
		if top-last > maxGap {
			h.logger.Warn("messages fan-out: skipping events", "from", last+1, "to", top-maxGap)
			last = top - maxGap
		}
		for id := last + 1; id <= top; id++ {
			if ref, ok := batch[id]; ok {
				h.deliver(ref, nil)
				continue
			}
			rctx, cancel := context.WithTimeout(ctx, readTimeout)
			e, err := h.src.Event(rctx, id)
			cancel()
			switch {
			case errors.Is(err, messages.ErrNotFound):
				// a gap: never committed
			case err != nil:
				h.logger.Warn("messages fan-out: read event", "id", id, "err", err)
				h.resyncAll()
			default:
				h.deliver(refOf(e), &e)
			}
		}
		last = top
	}
}

// maxGap bounds the ids the pump reads one by one after a jump.
const maxGap = 10000

func refOf(e messages.Event) messages.EventRef {
	return messages.EventRef{ID: e.ID, Kind: e.Kind, ConversationID: e.ConversationID, Subject: e.Subject, Data: e.Data}
}

// deliver hands one event to the interested local streams: it decides
// who from the reference alone, reads the event (unless given) only when
// someone here wants it, renders it once for all of them, and never waits
// for a stream.
func (h *Hub) deliver(ref messages.EventRef, e *messages.Event) {
	if ref.Kind == messages.EventPresence {
		select {
		case h.presence <- ref:
		default:
			// A crowd came online at once: presence is best effort (GET
			// /v1/presence has it all), the events behind it are not.
		}
		return
	}
	member := ref.Kind == messages.EventMemberAdded || ref.Kind == messages.EventMemberRemoved
	joined := h.newMembers(ref)
	h.mu.RLock()
	n := h.countLocked(ref)
	for _, m := range joined {
		n += len(h.bySub[m])
	}
	h.mu.RUnlock()
	if n == 0 && !member {
		return
	}
	var f *frame
	if n > 0 {
		f = h.frameOf(ref, e)
	}
	if member || len(joined) > 0 {
		h.mu.Lock()
		defer h.mu.Unlock()
	} else {
		h.mu.RLock()
		defer h.mu.RUnlock()
	}
	// Before sending: a new member's streams get this event too (and
	// everything after it in the conversation).
	for _, m := range joined {
		for s := range h.bySub[m] {
			h.addConvLocked(s, ref.ConversationID)
		}
	}
	if ref.Kind == messages.EventMemberAdded && ref.ConversationID != "" {
		for s := range h.bySub[ref.Subject] {
			h.addConvLocked(s, ref.ConversationID)
		}
	}
	if f != nil {
		h.eachLocked(ref, func(s *stream) { s.send(f) })
	}
	if ref.Kind == messages.EventMemberRemoved && ref.ConversationID != "" {
		// After sending: the removed member saw their own removal.
		for s := range h.bySub[ref.Subject] {
			h.dropConvLocked(s, ref.ConversationID)
		}
	}
}

// newMembers lists the members of a conversation just created, when the
// source can tell (MemberLister).
func (h *Hub) newMembers(ref messages.EventRef) []string {
	ml, ok := h.src.(MemberLister)
	if !ok || ref.Kind != messages.EventConversationCreated || ref.ConversationID == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	subs, err := ml.ConversationMembers(ctx, ref.ConversationID)
	if err != nil {
		h.logger.Warn("messages fan-out: members of a new conversation", "conversation", ref.ConversationID, "err", err)
	}
	return subs
}

// presenceQueue is how many presence events may wait for the worker.
const presenceQueue = 256

func (h *Hub) presenceWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ref := <-h.presence:
			h.deliverPresence(ref)
		}
	}
}

// deliverPresence tells the local streams of ref.Subject's contacts.
// Contacts are shared conversations, a symmetric relation: the people
// to tell are the person's own contacts, read once per event and
// process. (Keeping each stream's contacts instead would cost memory per
// stream, up to thousands of entries for a member of large groups, and
// would go stale as memberships change.)
func (h *Hub) deliverPresence(ref messages.EventRef) {
	if h.open.Load() == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	contacts, err := h.src.Contacts(ctx, ref.Subject, h.Contacts)
	if err != nil {
		h.logger.Warn("messages fan-out: contacts", "sub", ref.Subject, "err", err)
		return
	}
	f := &frame{kind: ref.Kind, text: render(0, ref.Kind, ref.Data)}
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, c := range contacts {
		for s := range h.bySub[c] {
			s.send(f)
		}
	}
}

// eachLocked calls fn once for each stream interested in ref.
func (h *Hub) eachLocked(ref messages.EventRef, fn func(*stream)) {
	switch {
	case ref.Kind == messages.EventRead || ref.ConversationID == "":
		for s := range h.bySub[ref.Subject] {
			fn(s)
		}
	default:
		conv := h.byConv[ref.ConversationID]
		for s := range conv {
			fn(s)
		}
		if ref.Subject != "" {
			for s := range h.bySub[ref.Subject] {
				if _, dup := conv[s]; !dup {
					fn(s)
				}
			}
		}
	}
}

func (h *Hub) countLocked(ref messages.EventRef) int {
	n := 0
	h.eachLocked(ref, func(*stream) { n++ })
	return n
}

// frameOf renders ref's event; a failed read sends the streams back to
// the event log (resync) instead of losing the event.
func (h *Hub) frameOf(ref messages.EventRef, e *messages.Event) *frame {
	if ref.ID == 0 { // not stored: the data came with the reference
		return &frame{kind: ref.Kind, text: render(0, ref.Kind, ref.Data)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	if e == nil {
		ev, err := h.src.Event(ctx, ref.ID)
		if err != nil {
			h.logger.Warn("messages fan-out: read event", "id", ref.ID, "err", err)
			return &frame{id: ref.ID, resync: true}
		}
		e = &ev
	}
	return &frame{id: e.ID, kind: e.Kind, text: render(e.ID, e.Kind, h.data(ctx, *e))}
}

// data is what clients receive of e.
func (h *Hub) data(ctx context.Context, e messages.Event) []byte {
	if h.Enrich == nil {
		return e.Data
	}
	b, err := h.Enrich(ctx, e)
	if err != nil {
		h.logger.Warn("messages fan-out: enrich event", "id", e.ID, "kind", e.Kind, "err", err)
		return e.Data
	}
	return b
}

// resyncAll makes every open stream catch up from the event log.
func (h *Hub) resyncAll() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, set := range h.bySub {
		for s := range set {
			s.send(resyncFrame)
		}
	}
}

// PublishPresence tells sub's contacts, on every replica, that sub came
// online (or went away); hidden presence is never published.
func (h *Hub) PublishPresence(ctx context.Context, sub string, active bool) error {
	hidden, err := h.src.PresenceHidden(ctx, sub)
	if err != nil {
		return fmt.Errorf("presence of %s: %w", sub, err)
	}
	if hidden {
		return nil
	}
	data, _ := json.Marshal(struct {
		ID     string `json:"id"`
		Active bool   `json:"active"`
	}{sub, active})
	ref := messages.EventRef{Kind: messages.EventPresence, Subject: sub, Data: data}
	if !h.postgres() {
		h.deliver(ref, nil)
		return nil
	}
	channel, err := h.channelName(ctx)
	if err != nil {
		return err
	}
	payload, _ := json.Marshal([]messages.EventRef{ref})
	if _, err := h.db.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, string(payload)); err != nil {
		return fmt.Errorf("notify presence of %s: %w", sub, err)
	}
	return nil
}

// Streams is how many streams are open in this process.
func (h *Hub) Streams() int { return int(h.open.Load()) }

// closeAll ends every open stream and those opened later.
func (h *Hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, set := range h.bySub {
		for s := range set {
			s.close()
		}
	}
}

// --- interest ---

func (h *Hub) subscribe(s *stream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.close()
	}
	addTo(h.bySub, s.sub, s)
	h.open.Add(1)
}

func (h *Hub) unsubscribe(s *stream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	removeFrom(h.bySub, s.sub, s)
	for c := range s.convs {
		removeFrom(h.byConv, c, s)
	}
	s.convs = nil
	h.open.Add(-1)
}

func (h *Hub) addConvs(s *stream, ids []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		h.addConvLocked(s, id)
	}
}

func (h *Hub) addConvLocked(s *stream, id string) {
	if s.convs == nil {
		s.convs = map[string]struct{}{}
	}
	s.convs[id] = struct{}{}
	addTo(h.byConv, id, s)
}

func (h *Hub) dropConvLocked(s *stream, id string) {
	delete(s.convs, id)
	removeFrom(h.byConv, id, s)
}

func addTo(m map[string]streamSet, key string, s *stream) {
	set := m[key]
	if set == nil {
		set = streamSet{}
		m[key] = set
	}
	set[s] = struct{}{}
}

func removeFrom(m map[string]streamSet, key string, s *stream) {
	set := m[key]
	delete(set, s)
	if len(set) == 0 {
		delete(m, key)
	}
}

// render is one event in the text/event-stream format (WHATWG HTML
// 9.2.6): a data line per line of data, so that a newline in it cannot
// end the event early; no id for events that are not stored (presence),
// which leaves the client's last event id as it is.
func render(id int64, kind string, data []byte) []byte {
	b := make([]byte, 0, len(data)+len(kind)+40)
	if id != 0 {
		b = append(b, "id: "...)
		b = strconv.AppendInt(b, id, 10)
		b = append(b, '\n')
	}
	b = append(b, "event: "...)
	b = append(b, kind...)
	b = append(b, '\n')
	if len(data) == 0 {
		data = []byte("{}")
	}
	for len(data) > 0 {
		line := data
		rest := []byte(nil)
		for i, c := range data {
			if c == '\n' || c == '\r' {
				line, rest = data[:i], data[i+1:]
				if c == '\r' && len(rest) > 0 && rest[0] == '\n' {
					rest = rest[1:]
				}
				break
			}
		}
		b = append(b, "data: "...)
		b = append(b, line...)
		b = append(b, '\n')
		data = rest
	}
	return append(b, '\n')
}
