package main

import (
	"bufio"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is an OTLP/HTTP receiver: it keeps the spans campus sends.
type collector struct {
	*httptest.Server
	mu    sync.Mutex
	spans []receivedSpan
}

type receivedSpan struct {
	service string // the resource's service.name
	*tracepb.Span
}

func newCollector(t testing.TB) *collector {
	t.Helper()
	c := &collector{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("collector: %s %s (%s), want POST /v1/traces of protobuf", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
			http.Error(w, "no", http.StatusBadRequest)
			return
		}
		body := io.Reader(r.Body)
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			t.Errorf("collector: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		for _, rs := range req.ResourceSpans {
			var service string
			for _, a := range rs.GetResource().GetAttributes() {
				if a.Key == "service.name" {
					service = a.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					c.spans = append(c.spans, receivedSpan{service, s})
				}
			}
		}
		c.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *collector) received() []receivedSpan {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]receivedSpan(nil), c.spans...)
}

// span is the one span named name of kind in spans.
func span(t testing.TB, spans []receivedSpan, name string, kind tracepb.Span_SpanKind) receivedSpan {
	t.Helper()
	var names []string
	for _, s := range spans {
		if s.Name == name && s.Kind == kind {
			return s
		}
		names = append(names, s.Name)
	}
	t.Fatalf("no %s span %q among %q", kind, name, names)
	return receivedSpan{}
}

// A portal page that reads the catalogue from study is one trace: the
// portal's server span, its client span, study's server span, across the
// in-process transport of campus serve; and the page's log lines name it.
func TestTracesAcrossServices(t *testing.T) {
	t.Parallel()
	col := newCollector(t)
	dir := t.TempDir()
	campus := startCampus(t, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--log-format", "json",
		"--otel-endpoint", col.URL)
	res, err := tlsClient(t, filepath.Join(dir, "tls", "cert.pem")).Get(campus.url + "/programmes?q=secret-term")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /programmes: %d", res.StatusCode)
	}
	requestID := res.Header.Get("X-Request-Id")
	// Stopping flushes the spans.
	if err := campus.stop(); err != nil {
		t.Fatal(err)
	}

	spans := col.received()
	page := span(t, spans, "GET /programmes", tracepb.Span_SPAN_KIND_SERVER)
	api := span(t, spans, "GET /study/v1/programmes", tracepb.Span_SPAN_KIND_SERVER)
	var call *receivedSpan
	for _, s := range spans {
		if s.Kind == tracepb.Span_SPAN_KIND_CLIENT && string(s.ParentSpanId) == string(page.SpanId) && string(s.SpanId) == string(api.ParentSpanId) {
			call = &s
		}
	}
	if call == nil {
		t.Fatalf("no client span between the page (%x) and study's span (parent %x)", page.SpanId, api.ParentSpanId)
	}
	traceID := hex.EncodeToString(page.TraceId)
	if hex.EncodeToString(api.TraceId) != traceID || hex.EncodeToString(call.TraceId) != traceID {
		t.Errorf("trace ids: page %x, call %x, study %x; want one", page.TraceId, call.TraceId, api.TraceId)
	}
	if page.service != "campus" {
		t.Errorf("service.name %q, want campus", page.service)
	}
	for _, s := range spans {
		for _, a := range s.Attributes {
			if v := a.GetValue().String(); strings.Contains(v, "secret-term") || strings.Contains(v, "q=") {
				t.Errorf("span %q: %s = %s carries the query", s.Name, a.Key, v)
			}
		}
	}

	// The page's request line and study's, reached in the same process,
	// carry the page's request id and the trace.
	lines := map[string]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(campus.stderr.String()))
	for sc.Scan() {
		var l map[string]any
		if json.Unmarshal(sc.Bytes(), &l) == nil && l["msg"] == "request" && l["request_id"] == requestID {
			lines[l["service"].(string)] = l
		}
	}
	for _, service := range []string{"portal", "study"} {
		l := lines[service]
		if l == nil {
			t.Errorf("no request line of %s with request id %s in\n%s", service, requestID, campus.stderr)
			continue
		}
		if l["trace_id"] != traceID || l["span_id"] == "" {
			t.Errorf("%s's request line: trace_id %v span_id %v, want trace %s", service, l["trace_id"], l["span_id"], traceID)
		}
	}
	if lines["portal"] != nil && lines["portal"]["span_id"] != hex.EncodeToString(page.SpanId) {
		t.Errorf("portal's request line: span_id %v, want the page's %x", lines["portal"]["span_id"], page.SpanId)
	}
}
