package main

import (
	"bytes"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
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
	r := req.Clone(req.Context())
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
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	(*h).ServeHTTP(rec, r)
	return &http.Response{
		Status: http.StatusText(rec.status), StatusCode: rec.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: rec.header, Body: io.NopCloser(&rec.body), ContentLength: int64(rec.body.Len()), Request: req,
	}, nil
}

// recorder collects a handler's answer.
type recorder struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	return r.body.Write(b)
}
