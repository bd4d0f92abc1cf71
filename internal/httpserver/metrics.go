package httpserver

import (
	"context"
	"net/http"
	"strings"
	"time"

	"campus/internal/metrics"
)

// The route pattern travels from the ServeMux that served a request out
// to Metrics in the context: the mux sets Request.Pattern on the request
// it was handed, but Metrics holds an earlier *http.Request, since
// StripPrefix and every WithContext between them make copies. The
// *statusWriter in the context is shared by all the copies.
type patternCtxKey struct{}

// RoutePattern wraps a service's ServeMux so that Metrics labels each
// request with the pattern that served it ("GET /v1/studies/{id}"), never
// its path. It must sit right around the mux (no middleware between them
// may copy the request). The innermost mux of nested ones wins. Without
// Metrics around it, it costs one context look-up.
func RoutePattern(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Deferred: a handler that panics is still labelled by its route.
		defer func() {
			if n, ok := r.Context().Value(patternCtxKey{}).(*statusWriter); ok && n.pattern == "" {
				n.pattern = r.Pattern
			}
		}()
		mux.ServeHTTP(w, r)
	})
}

// Metrics counts and times a service's requests for /metrics by route
// pattern (see RoutePattern; "unmatched" without one), method and status
// code, and counts those in flight. Event streams (text/event-stream
// responses) are timed apart, since their minutes would swamp the
// latency of everything else. Put it outside Recover, so that a panic is
// counted as the 500 it turns into.
func Metrics(m *metrics.ServiceHTTP) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			m.Started()
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			rr := r.WithContext(context.WithValue(r.Context(), patternCtxKey{}, sw))
			// The pattern of a mux that routed to this service ("/" for a
			// service at the root) is not the request's route.
			rr.Pattern = ""
			next.ServeHTTP(sw, rr)
			m.Finished(sw.pattern, r.Method, sw.status, time.Since(start), sw.stream)
		})
	}
}

// statusWriter notes the status, whether the response is an event
// stream, and (through RoutePattern) the route pattern; Unwrap lets
// http.ResponseController reach the real writer's Flush and deadlines.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	stream      bool
	pattern     string
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wroteHeader && code >= 200 {
		s.status, s.wroteHeader = code, true
		s.stream = strings.HasPrefix(s.Header().Get("Content-Type"), "text/event-stream")
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if !s.wroteHeader {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Flush() {
	if !s.wroteHeader {
		s.WriteHeader(http.StatusOK)
	}
	http.NewResponseController(s.ResponseWriter).Flush() //nolint:errcheck // Flusher has no error to return
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
