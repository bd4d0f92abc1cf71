package portal

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// events is the person's event stream (Server-Sent Events, HTML Living
// Standard 9.2) on the portal's origin: the messages API's GET /v1/events
// with the session's access token, passed on as it comes, each read
// flushed at once. The API ends the stream when the token expires; the
// browser's EventSource then reconnects with Last-Event-ID, and this
// handler opens the next stream with a fresh token.
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	if !s.messagingOn() {
		s.notFound(w, r)
		return
	}
	sess := s.rp.current(r)
	if sess == nil {
		// 204 tells EventSource to stop reconnecting (9.2.3): signed out.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h := http.Header{"Accept": {"text/event-stream"}}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last_event_id")
	}
	if last != "" {
		h.Set("Last-Event-ID", last)
	}
	resp, err := s.messages.open(r.Context(), sess, s.streamClient(), "/v1/events", h)
	if errors.Is(err, errSignedOut) || statusOf(err) == http.StatusUnauthorized || statusOf(err) == http.StatusForbidden {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	wh := w.Header()
	wh.Set("Content-Type", "text/event-stream")
	wh.Set("Cache-Control", "no-store")
	wh.Set("X-Accel-Buffering", "no") // a proxy in front must not hold events back
	rc := http.NewResponseController(w)
	if err != nil {
		// Any other failure (the API down, a refresh that could not be
		// made): an empty stream that asks the browser to come back later,
		// since EventSource gives up for good on an error status.
		if r.Context().Err() == nil {
			s.d.Logger.WarnContext(r.Context(), "messages: event stream", "err", err)
		}
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "retry: 15000\n\n")
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(http.StatusOK)
	rc.Flush() //nolint:errcheck // a writer that cannot flush still streams, later
	buf := make([]byte, 4<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			// The server's write timeout is for pages; a stream that is
			// written to (a heartbeat every 15 s) lives on.
			rc.SetWriteDeadline(time.Now().Add(time.Minute)) //nolint:errcheck // not every writer has deadlines
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// unreadJSON is the person's total of unread messages, {"total": n}, for
// messages.js to update the top bar; asked of the API each time, and
// remembered for the pages.
func (s *server) unreadJSON(w http.ResponseWriter, r *http.Request, sess *session) {
	s.forgetUnread(sess)
	n := s.unreadTotal(r, sess)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if n < 0 {
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, `{"total":null}`)
		return
	}
	fmt.Fprintf(w, `{"total":%d}`, n)
}
