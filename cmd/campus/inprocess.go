package main

import (
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"campus/internal/tracing"
)

// inProcess answers HTTP requests with a handler of this process instead
// of the network: in all-in-one mode the study service reads identity's
// discovery document and keys this way, so it needs neither a TLS loop to
// itself nor a public URL that resolves from inside.
type inProcess struct {
	h    atomic.Pointer[http.Handler]
	base string // path prefix the handler is mounted under
	host string // requests for other hosts go to next
	next http.RoundTripper
}

func (t *inProcess) set(h http.Handler) { t.h.Store(&h) }

func (t *inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	h := t.h.Load()
	if h == nil || (t.host != "" && req.URL.Host != t.host) {
		if t.next == nil {
			return nil, http.ErrServerClosed
		}
		return t.next.RoundTrip(req)
	}
	// Its trace context is this process's own: the callee's span is the
	// caller's child (see tracing.Peers for requests from elsewhere).
	r := req.Clone(tracing.TrustParent(req.Context()))
	r.URL.Path = strings.TrimPrefix(r.URL.Path, t.base)
	r.RequestURI = r.URL.RequestURI()
	r.RemoteAddr = "127.0.0.1:0"
	// Only this process's own code reaches this path, never the network:
	// the portal names the browser's address for identity's per-address
	// limits (registration), and is believed.
	if ip, err := netip.ParseAddr(r.Header.Get("X-Forwarded-For")); err == nil {
		r.RemoteAddr = netip.AddrPortFrom(ip, 0).String()
	}
	r.Header.Del("X-Forwarded-For")
	if r.Body == nil {
		r.Body = http.NoBody
	}
	// The answer streams through a pipe as the handler writes it: a large
	// export passes with constant memory.
	pr, pw := io.Pipe()
	rw := &pipeWriter{header: http.Header{}, started: make(chan struct{}), pw: pw}
	go func() {
		defer func() {
			if v := recover(); v != nil {
				rw.WriteHeader(http.StatusInternalServerError)
				pw.CloseWithError(fmt.Errorf("in-process handler panicked: %v", v))
				return
			}
			rw.WriteHeader(http.StatusOK) // a handler that wrote nothing
			pw.Close()
		}()
		(*h).ServeHTTP(rw, r)
	}()
	select {
	case <-rw.started:
	case <-req.Context().Done():
		pr.CloseWithError(req.Context().Err())
		return nil, req.Context().Err()
	}
	return &http.Response{
		Status: http.StatusText(rw.status), StatusCode: rw.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: rw.sent, Body: pr, ContentLength: -1, Request: req,
	}, nil
}

// pipeWriter is the ResponseWriter of an in-process request: the status
// and headers as of the first write, then the body through a pipe.
type pipeWriter struct {
	header  http.Header
	sent    http.Header
	status  int
	once    sync.Once
	started chan struct{}
	pw      *io.PipeWriter
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) WriteHeader(code int) {
	w.once.Do(func() {
		w.status, w.sent = code, w.header.Clone()
		close(w.started)
	})
}

func (w *pipeWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.pw.Write(b)
}

// Flush lets handlers that flush (a reverse proxy, an export) do so.
func (w *pipeWriter) Flush() {}
