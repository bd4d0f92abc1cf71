package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"campus/internal/lazyregexp"
	"campus/internal/problem"
)

// Middleware wraps a handler.
type Middleware func(http.Handler) http.Handler

// Chain applies mws so that the first is the outermost.
func Chain(h http.Handler, mws ...Middleware) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

type ctxKey int

const requestIDKey ctxKey = iota

// A proxy's request id is kept only if it is short and plain, so it cannot
// smuggle anything into logs.
var validRequestID = lazyregexp.New(`^[A-Za-z0-9._-]{1,64}$`)

// RequestID gives every request an id (the proxy's X-Request-Id when it is
// sane, else a new one), in the context and the response header.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

// RequestIDFrom returns the request's id, "" outside a request.
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Log writes one line per request: method, path (never the query, which may
// carry codes or tokens), status, bytes, duration, request id, service, and
// trace and span ids when the request is traced.
func Log(logger *slog.Logger, service string) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &recorder{ResponseWriter: w, status: http.StatusOK}
			quiet := new(bool)
			next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), quietKey, quiet)))
			level := slog.LevelInfo
			if *quiet && rec.status < 400 {
				level = slog.LevelDebug
			}
			logger.LogAttrs(r.Context(), level, "request",
				slog.String("service", service),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", RequestIDFrom(r.Context())),
				traceID(r.Context()), spanID(r.Context()),
			)
		})
	}
}

type quietCtxKey struct{}

var quietKey quietCtxKey

// Quiet logs the successful requests of h at debug level only: routine
// polls between campus's own services (the revocation feed, every 2 s per
// replica) would drown the requests people make.
func Quiet(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q, ok := r.Context().Value(quietKey).(*bool); ok {
			*q = true
		}
		h.ServeHTTP(w, r)
	})
}

// recorder notes status and size; Unwrap lets http.ResponseController reach
// Flush and deadlines of the real writer, so streaming still works.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Flush() {
	r.wroteHeader = true
	http.NewResponseController(r.ResponseWriter).Flush() //nolint:errcheck // Flusher has no error to return
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Recover turns a panic in a handler into a logged 500 instead of a dropped
// connection; the client sees no internals.
func Recover(logger *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil || v == http.ErrAbortHandler {
					if v != nil {
						panic(v)
					}
					return
				}
				logger.ErrorContext(r.Context(), "panic in handler", "panic", fmt.Sprint(v), "path", r.URL.Path,
					"request_id", RequestIDFrom(r.Context()), "stack", string(debug.Stack()))
				problem.Write(w, problem.Details{Status: http.StatusInternalServerError,
					Detail: fmt.Sprintf("Something went wrong on our side. The request id is %s.", RequestIDFrom(r.Context()))})
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// SecureHeaders sets defaults that suit JSON APIs; HTML handlers replace the
// Content-Security-Policy with their own. hsts is set when the public URL is
// https (also behind a TLS-terminating proxy).
func SecureHeaders(hsts bool) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			if hsts {
				h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
			next.ServeHTTP(w, r)
		})
	}
}
