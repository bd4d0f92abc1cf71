package realtime

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// frame is one event rendered for the wire, shared by every stream it
// goes to; resync instead asks the stream to catch up from the event log.
type frame struct {
	id     int64 // 0 for events that are not stored (presence)
	kind   string
	resync bool
	text   []byte
}

var resyncFrame = &frame{resync: true}

// stream is one open event stream. It has no goroutine of its own: the
// handler's goroutine writes what the hub puts in ch.
type stream struct {
	sub  string
	ch   chan *frame
	done chan struct{} // closed when the hub gives up on the stream
	once sync.Once

	convs map[string]struct{} // guarded by Hub.mu
}

// send queues f without waiting: a client too slow to take its buffer
// loses the stream and resumes from its Last-Event-ID on reconnecting,
// so nothing is lost and nobody else waits for it. Presence is not
// stored and cannot be resumed: it is dropped instead, and only while
// the buffer is less than half full, so that a burst of it (a lecture
// starts, hundreds come online) neither closes streams nor crowds out
// the events that count.
func (s *stream) send(f *frame) {
	if f.id == 0 && !f.resync && len(s.ch) >= cap(s.ch)/2 {
		return
	}
	select {
	case s.ch <- f:
	default:
		s.close()
	}
}

func (s *stream) close() { s.once.Do(func() { close(s.done) }) }

// out writes to one client, each batch of writes (up to a flush) under
// a deadline of its own: through net/http, or after detach on the
// connection itself, in the chunks of HTTP/1.1's chunked transfer coding
// (RFC 9112 section 7.1) that net/http began the response with.
type out struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	wait  time.Duration
	armed bool
	err   error

	conn net.Conn    // after detach
	pend net.Buffers // what the next chunk holds
	n    int         // its length
}

func (o *out) write(b []byte) {
	if o.err != nil {
		return
	}
	if o.conn != nil {
		o.pend = append(o.pend, b)
		o.n += len(b)
		return
	}
	if !o.armed {
		_ = o.rc.SetWriteDeadline(time.Now().Add(o.wait)) // ErrNotSupported: no deadline to set
		o.armed = true
	}
	_, o.err = o.w.Write(b)
}

func (o *out) flush() error {
	if o.conn != nil {
		if o.err == nil && o.n > 0 {
			_ = o.conn.SetWriteDeadline(time.Now().Add(o.wait))
			chunk := make(net.Buffers, 0, len(o.pend)+2)
			chunk = append(chunk, []byte(strconv.FormatInt(int64(o.n), 16)+"\r\n"))
			chunk = append(chunk, o.pend...)
			chunk = append(chunk, crlf)
			_, o.err = chunk.WriteTo(o.conn) // one writev
		}
		clear(o.pend)
		o.pend, o.n = o.pend[:0], 0
		return o.err
	}
	if o.err == nil {
		o.err = o.rc.Flush()
	}
	o.armed = false
	return o.err
}

// detach takes the connection from net/http, where it can (HTTP/1.1;
// not HTTP/2, nor a writer of the process's own), once the response's
// start is on the wire: an idle stream then costs a small goroutine and
// a few hundred bytes instead of net/http's handler goroutine, its
// reader goroutine and 10 KB of buffers (docs/performance.md, "Open
// streams").
func (o *out) detach(r *http.Request) bool {
	// Only a GET of HTTP/1.1 or later is chunked (HTTP/1.0 reads to the
	// close, HEAD has no body).
	if r.Method != http.MethodGet || !r.ProtoAtLeast(1, 1) || o.flush() != nil {
		return false
	}
	conn, _, err := o.rc.Hijack() // the request had no body; its reader is not needed
	if err != nil {
		return false
	}
	o.conn, o.w, o.rc = conn, nil, nil
	return true
}

// end finishes a detached response (the last chunk) and closes the
// connection.
func (o *out) end() {
	if o.err == nil {
		_ = o.conn.SetWriteDeadline(time.Now().Add(o.wait))
		_, _ = o.conn.Write(lastChunk)
	}
	o.conn.Close()
}

// watchClose ends s when its detached client closes the connection (a
// read returns an error; a client sends nothing on an event stream, and
// what it might send is ignored).
func watchClose(conn net.Conn, s *stream) {
	var b [64]byte
	for {
		if _, err := conn.Read(b[:]); err != nil {
			s.close()
			return
		}
	}
}

var (
	crlf      = []byte("\r\n")
	lastChunk = []byte("0\r\n\r\n")
	retryLine = []byte("retry: " + strconv.Itoa(RetryMillis) + "\n\n")
	heartbeat = []byte(": hb\n\n")
	resetText = []byte("event: reset\ndata: {}\n\n")
)

// Serve is sub's event stream (text/event-stream, WHATWG HTML 9.2): it
// replays the stored events after the request's Last-Event-ID, then sends
// new events as they come and a heartbeat comment every Heartbeat, and
// ends at until (the caller's token expiry; zero for never) or when the
// client goes.
//
// Live events are subscribed to before the replay reads the log, and
// those the replay already sent are dropped, so the client sees every
// event once, in id order. A client without Last-Event-ID starts from
// now: it is sent the newest id (an id field without data, which sets
// the client's last event id without an event, 9.2.6) so that even a
// reconnect before the first event resumes without a gap.
//
// The stream also ends when stop is closed (nil: never), and done (may be
// nil) is called once when it has ended. Over HTTP/1.1 the stream goes on
// after Serve returns, on the connection taken from net/http (see
// detach), in a goroutine of its own; otherwise Serve returns when the
// stream ends.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, sub string, until time.Time, stop <-chan struct{}, done func()) {
	detached := false
	defer func() {
		if !detached && done != nil {
			done()
		}
	}()
	ctx := r.Context()
	rc := http.NewResponseController(w)
	// The server's timeouts are meant for requests, not for a stream that
	// lasts until the token expires; each write gets a deadline instead.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	o := &out{w: w, rc: rc, wait: h.WriteWait}
	o.write(retryLine)
	if o.flush() != nil {
		return
	}

	s := &stream{sub: sub, ch: make(chan *frame, max(1, h.Buffer)), done: make(chan struct{})}
	h.subscribe(s)
	defer func() {
		if !detached {
			h.unsubscribe(s)
		}
	}()
	select {
	case <-s.done:
		return // the hub is closed
	default:
	}
	convs, err := h.src.ConversationIDs(ctx, sub)
	if err != nil {
		h.logger.WarnContext(ctx, "messages stream: conversations", "sub", sub, "err", err)
		return // the client retries
	}
	h.addConvs(s, convs)
	h.touch(ctx, sub)
	lastTouch := h.now()

	after, resume := lastEventID(r)
	var last int64
	if resume {
		var gone bool
		last, gone, err = h.replay(ctx, o, sub, after)
		if err == nil && !gone && last == after {
			// Nothing after it: fine, unless the id is from a log this
			// one is not (a database restored from a backup, another
			// installation), which would leave the client deaf to every
			// id up to it.
			var newest int64
			if newest, err = h.src.LastEventID(ctx); err == nil && newest < after {
				gone = true
			}
		}
		if err == nil && gone {
			last, err = h.restart(ctx, o, true)
		}
	} else {
		last, err = h.restart(ctx, o, false)
	}
	if err != nil {
		h.logStreamErr(ctx, sub, err)
		return
	}

	if o.detach(r) {
		detached = true
		// The request's context ends when the handler returns: the
		// stream keeps its values, and ends by stop, the hub or the
		// client closing the connection (watchClose).
		ctx := context.WithoutCancel(ctx)
		go func() {
			defer func() {
				// Out of net/http's hands, a panic would end the process.
				if v := recover(); v != nil {
					h.logger.ErrorContext(ctx, "messages stream panicked", "sub", sub, "panic", v)
					o.conn.Close()
					h.unsubscribe(s)
					if done != nil {
						done()
					}
				}
			}()
			go watchClose(o.conn, s)
			h.loop(ctx, o, s, sub, last, lastTouch, until, stop)
			o.end()
			h.unsubscribe(s)
			if done != nil {
				done()
			}
		}()
		return
	}
	h.loop(ctx, o, s, sub, last, lastTouch, until, stop)
}

// loop sends a stream's live events and heartbeats until it ends.
func (h *Hub) loop(ctx context.Context, o *out, s *stream, sub string, last int64, lastTouch, until time.Time, stop <-chan struct{}) {
	var err error
	hb := time.NewTicker(max(time.Millisecond, h.Heartbeat))
	defer hb.Stop()
	var end <-chan time.Time
	if !until.IsZero() {
		t := time.NewTimer(time.Until(until))
		defer t.Stop()
		end = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case <-stop:
			return
		case <-end:
			return
		case <-hb.C:
			o.write(heartbeat)
			if o.flush() != nil {
				return
			}
			if h.now().Sub(lastTouch) >= h.TouchEvery {
				h.touch(ctx, sub)
				lastTouch = h.now()
			}
		case f := <-s.ch:
			// Take what else waits, so that a burst costs one flush.
			for more := true; more; {
				if last, err = h.send(ctx, o, sub, f, last); err != nil {
					h.logStreamErr(ctx, sub, err)
					return
				}
				select {
				case f = <-s.ch:
				default:
					more = false
				}
			}
			if o.flush() != nil {
				return
			}
		}
	}
}

// send writes f unless the client had it already (ids at most last);
// a resync frame replays the log from last instead.
func (h *Hub) send(ctx context.Context, o *out, sub string, f *frame, last int64) (int64, error) {
	if f.resync {
		if err := o.flush(); err != nil {
			return last, err
		}
		next, gone, err := h.replay(ctx, o, sub, last)
		if err == nil && gone {
			return h.restart(ctx, o, true)
		}
		return next, err
	}
	if f.id != 0 && f.id <= last {
		return last, nil
	}
	o.write(f.text)
	if f.id != 0 {
		last = f.id
	}
	return last, o.err
}

// replay sends sub's stored events after after, in batches; gone means
// after is older than the log.
func (h *Hub) replay(ctx context.Context, o *out, sub string, after int64) (last int64, gone bool, err error) {
	last = after
	h.replayOnce.Do(func() { h.replaySem = make(chan struct{}, max(1, h.Replays)) })
	for {
		select {
		case h.replaySem <- struct{}{}:
		case <-ctx.Done():
			return last, false, ctx.Err()
		}
		evs, gone, err := h.src.EventsAfter(ctx, sub, last, h.ReplayBatch)
		<-h.replaySem
		if err != nil || gone {
			return last, gone, err
		}
		for _, e := range evs {
			if e.ID <= last {
				continue
			}
			o.write(render(e.ID, e.Kind, h.data(ctx, e)))
			last = e.ID
		}
		if err := o.flush(); err != nil {
			return last, false, err
		}
		if len(evs) < h.ReplayBatch {
			return last, false, nil
		}
	}
}

// restart starts the client from now: after a reset event when it asked
// for events the log no longer has (it reloads what it shows).
func (h *Hub) restart(ctx context.Context, o *out, reset bool) (int64, error) {
	// Read before the reset goes out: live events up to id are covered
	// by the reload, later ones are already queued for the stream.
	id, err := h.src.LastEventID(ctx)
	if err != nil {
		return 0, err
	}
	if reset {
		o.write(resetText)
	}
	o.write([]byte("id: " + strconv.FormatInt(id, 10) + "\n\n"))
	return id, o.flush()
}

func (h *Hub) logStreamErr(ctx context.Context, sub string, err error) {
	if ctx.Err() == nil {
		h.logger.DebugContext(ctx, "messages stream ended", "sub", sub, "err", err)
	}
}

func (h *Hub) touch(ctx context.Context, sub string) {
	online, err := h.src.Touch(ctx, sub)
	if err != nil {
		h.logger.DebugContext(ctx, "messages stream: touch", "sub", sub, "err", err)
		return
	}
	if online {
		if err := h.PublishPresence(ctx, sub, true); err != nil {
			h.logger.WarnContext(ctx, "messages stream: presence", "sub", sub, "err", err)
		}
	}
}

// lastEventID is where the client resumes: the Last-Event-ID header its
// EventSource sends on reconnecting (9.2.4), or ?last_event_id= for a
// first connection that knows where it stands (a page loaded with events
// up to some id).
func lastEventID(r *http.Request) (int64, bool) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("last_event_id")
	}
	if v == "" {
		return 0, false
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, false
	}
	return id, true
}
