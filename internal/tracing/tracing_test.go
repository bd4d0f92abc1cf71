package tracing

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// newTest is tracing into memory, every span sampled and exported as it
// ends.
func newTest(tb testing.TB) (*Tracing, *tracetest.InMemoryExporter) {
	tb.Helper()
	exp := tracetest.NewInMemoryExporter()
	tr := New(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	tb.Cleanup(func() { tr.Shutdown(context.Background()) })
	return tr, exp
}

// service is a handler as cmd/campus mounts one: Server outside, Routes
// directly around the service's mux, under prefix.
func service(tr *Tracing, name, prefix string, mux http.Handler) http.Handler {
	return http.StripPrefix(prefix, tr.Server(name, prefix)(Routes(mux)))
}

func byName(tb testing.TB, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	tb.Helper()
	for _, s := range spans {
		if s.Name == name {
			return s
		}
	}
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
	}
	tb.Fatalf("no span %q among %q", name, names)
	return tracetest.SpanStub{}
}

func attr(s tracetest.SpanStub, key string) string {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value.String()
		}
	}
	return ""
}

// noSecrets fails when any attribute of any span carries one of secrets.
func noSecrets(tb testing.TB, spans tracetest.SpanStubs, secrets ...string) {
	tb.Helper()
	for _, s := range spans {
		for _, a := range s.Attributes {
			for _, secret := range secrets {
				if strings.Contains(a.Value.String(), secret) {
					tb.Errorf("span %q: %s = %q carries %q", s.Name, a.Key, a.Value.String(), secret)
				}
			}
		}
		if strings.Contains(s.Status.Description, "secret") {
			tb.Errorf("span %q: status %q", s.Name, s.Status.Description)
		}
	}
}

func TestServerSpanIsNamedAfterTheRoute(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/programmes/{id}", func(w http.ResponseWriter, r *http.Request) {})
	// A service whose middleware copies the request before routing, as the
	// portal's does, wraps its mux with Routes itself.
	copying := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), copyKey{}, 1)))
		})
	}
	tests := []struct {
		name    string
		h       func(tr *Tracing) http.Handler
		path    string
		want    string
		wantURL string
	}{
		{"mounted under a prefix", func(tr *Tracing) http.Handler { return service(tr, "study", "/study", mux) },
			"/study/v1/programmes/42?code=secret", "GET /study/v1/programmes/{id}", "/study/v1/programmes/{id}"},
		{"at the root", func(tr *Tracing) http.Handler {
			root := http.NewServeMux() // the root's catch-all pattern is not the route
			root.Handle("/", service(tr, "portal", "", mux))
			return root
		}, "/v1/programmes/42?code=secret", "GET /v1/programmes/{id}", "/v1/programmes/{id}"},
		{"routed behind a copy", func(tr *Tracing) http.Handler { return service(tr, "portal", "", copying(Routes(mux))) },
			"/v1/programmes/42?code=secret", "GET /v1/programmes/{id}", "/v1/programmes/{id}"},
		{"no route", func(tr *Tracing) http.Handler { return service(tr, "study", "/study", mux) },
			"/study/v1/nothing/42?code=secret", "GET", ""},
		{"an invented method", func(tr *Tracing) http.Handler {
			m := http.NewServeMux()
			m.HandleFunc("/v1/x", func(w http.ResponseWriter, r *http.Request) {})
			return service(tr, "study", "/study", m)
		}, "/study/v1/x", "HTTP /study/v1/x", "/study/v1/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr, exp := newTest(t)
			method := "GET"
			if strings.HasPrefix(tt.want, "HTTP") {
				method = "BREW"
			}
			r := httptest.NewRequest(method, tt.path, nil)
			r.Header.Set("Authorization", "Bearer secret")
			r.Header.Set("Cookie", "session=secret")
			tt.h(tr).ServeHTTP(httptest.NewRecorder(), r)
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			s := spans[0]
			if s.Name != tt.want || s.SpanKind != trace.SpanKindServer {
				t.Errorf("span %q (%s), want %q (server)", s.Name, s.SpanKind, tt.want)
			}
			if got := attr(s, "http.route"); got != tt.wantURL {
				t.Errorf("http.route %q, want %q", got, tt.wantURL)
			}
			noSecrets(t, spans, "secret", "code=")
		})
	}
}

// A page of one service that calls another is one trace: server span,
// client span, the other's server span; the client span keeps no query.
func TestTraceContinuesThroughTheClient(t *testing.T) {
	t.Parallel()
	tr, exp := newTest(t)
	studyMux := http.NewServeMux()
	studyMux.HandleFunc("GET /v1/programmes", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "[]") })
	loopback := netip.MustParsePrefix("127.0.0.0/8")
	study := httptest.NewServer(tr.Peers([]netip.Prefix{loopback})(service(tr, "study", "/study", studyMux)))
	defer study.Close()
	client := tr.Client(study.Client())

	portalMux := http.NewServeMux()
	portalMux.HandleFunc("GET /programmes", func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", study.URL+"/study/v1/programmes?q=secret", nil)
		res, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		io.Copy(w, res.Body)
		res.Body.Close()
	})
	portal := tr.Peers(nil)(service(tr, "portal", "", portalMux))
	portal.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/programmes", nil))

	spans := exp.GetSpans()
	page := byName(t, spans, "GET /programmes")
	call := byName(t, spans, "HTTP GET")
	api := byName(t, spans, "GET /study/v1/programmes")
	if call.SpanKind != trace.SpanKindClient {
		t.Errorf("client span's kind %s", call.SpanKind)
	}
	if page.SpanContext.TraceID() != api.SpanContext.TraceID() || call.SpanContext.TraceID() != page.SpanContext.TraceID() {
		t.Errorf("trace ids %s, %s, %s: want one", page.SpanContext.TraceID(), call.SpanContext.TraceID(), api.SpanContext.TraceID())
	}
	if call.Parent.SpanID() != page.SpanContext.SpanID() || api.Parent.SpanID() != call.SpanContext.SpanID() {
		t.Errorf("parents: client's %s (want %s), study's %s (want %s)",
			call.Parent.SpanID(), page.SpanContext.SpanID(), api.Parent.SpanID(), call.SpanContext.SpanID())
	}
	if got, want := attr(call, "url.full"), study.URL+"/study/v1/programmes"; got != want {
		t.Errorf("url.full %q, want %q", got, want)
	}
	noSecrets(t, spans, "secret", "q=")
}

// A trace context from a caller campus does not trust starts a trace of its
// own, linked to the caller's; from a trusted proxy or this process it is
// continued.
func TestTrustInTheCallersTrace(t *testing.T) {
	t.Parallel()
	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
	remote := trace.SpanContextConfig{}
	remote.TraceID, _ = trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	remote.SpanID, _ = trace.SpanIDFromHex("b7ad6b7169203331")
	proxy := netip.MustParsePrefix("10.0.0.0/8")
	tests := []struct {
		name    string
		peer    string
		inProc  bool
		follows bool
	}{
		{"from the internet", "203.0.113.9:4711", false, false},
		{"from a trusted proxy", "10.1.2.3:4711", false, true},
		{"from this process", "127.0.0.1:0", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr, exp := newTest(t)
			var sawBaggage string
			mux := http.NewServeMux()
			mux.HandleFunc("GET /x", func(w http.ResponseWriter, r *http.Request) {
				sawBaggage = r.Header.Get("baggage")
				if tt.follows {
					return
				}
				// Baggage of an untrusted caller goes no further.
				req, _ := http.NewRequestWithContext(r.Context(), "GET", "http://example.invalid/", nil)
				tr.propagator.Inject(req.Context(), headerCarrier(req.Header))
				sawBaggage = req.Header.Get("baggage")
			})
			h := tr.Peers([]netip.Prefix{proxy})(service(tr, "portal", "", mux))
			r := httptest.NewRequest("GET", "/x", nil)
			r.RemoteAddr = tt.peer
			r.Header.Set("traceparent", parent)
			r.Header.Set("baggage", "user=mallory")
			if tt.inProc {
				h = service(tr, "portal", "", mux) // in-process requests skip Peers
				r = r.WithContext(TrustParent(r.Context()))
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			s := byName(t, exp.GetSpans(), "GET /x")
			if got := s.SpanContext.TraceID() == remote.TraceID; got != tt.follows {
				t.Errorf("continued the caller's trace: %v, want %v", got, tt.follows)
			}
			if !tt.follows {
				if len(s.Links) != 1 || s.Links[0].SpanContext.TraceID() != remote.TraceID {
					t.Errorf("links %v, want the caller's span", s.Links)
				}
				if !s.SpanContext.IsSampled() {
					t.Error("the caller's sampled=0 decided for campus")
				}
				if sawBaggage != "" {
					t.Errorf("baggage %q sent on", sawBaggage)
				}
			}
		})
	}
}

type copyKey struct{}

type headerCarrier http.Header

func (h headerCarrier) Get(k string) string { return http.Header(h).Get(k) }
func (h headerCarrier) Set(k, v string)     { http.Header(h).Set(k, v) }
func (h headerCarrier) Keys() []string {
	var ks []string
	for k := range h {
		ks = append(ks, k)
	}
	return ks
}

// Tracing off changes nothing: the very handler and transport come back.
func TestOffIsNothing(t *testing.T) {
	t.Parallel()
	var tr *Tracing
	h := &plain{}
	if got := tr.Server("study", "/study")(h); got != http.Handler(h) {
		t.Error("Server wrapped the handler")
	}
	if got := tr.Peers(nil)(h); got != http.Handler(h) {
		t.Error("Peers wrapped the handler")
	}
	rt := http.DefaultTransport
	if tr.Transport(rt) != rt {
		t.Error("Transport wrapped the transport")
	}
	c := &http.Client{}
	if tr.Client(c) != c {
		t.Error("Client copied the client")
	}
	if tr.Enabled() || tr.Shutdown(context.Background()) != nil {
		t.Error("nil tracing is on")
	}
}

type plain struct{}

func (*plain) ServeHTTP(http.ResponseWriter, *http.Request) {}

func TestOn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		endpoint string
		env      map[string]string
		want     bool
	}{
		{"nothing", "", nil, false},
		{"flag", "http://collector:4318", nil, true},
		{"standard variable", "", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{"traces variable", "", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{"disabled", "http://collector:4318", map[string]string{"OTEL_SDK_DISABLED": "true"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Config{Endpoint: tt.endpoint, Getenv: func(k string) string { return tt.env[k] }}
			if got := c.On(); got != tt.want {
				t.Errorf("On() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEndpointURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: "http://collector:4318", want: "http://collector:4318/v1/traces"},
		{in: "https://collector.example/", want: "https://collector.example/v1/traces"},
		{in: "https://gw.example/otlp/v1/traces", want: "https://gw.example/otlp/v1/traces"},
		{in: "collector:4318", bad: true},
		{in: "grpc://collector:4317", bad: true},
		{in: "http://collector:4318/?token=x", bad: true},
		{in: "http://user:pw@collector:4318", bad: true},
	}
	for _, tt := range tests {
		got, err := EndpointURL(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("EndpointURL(%q) = %q, %v; want %q (error: %v)", tt.in, got, err, tt.want, tt.bad)
		}
	}
}

// Setup with tracing off builds nothing.
func TestSetupOff(t *testing.T) {
	t.Parallel()
	tr, err := Setup(context.Background(), Config{Service: "campus", Getenv: func(string) string { return "" }})
	if tr != nil || err != nil {
		t.Errorf("Setup() = %v, %v; want nil, nil", tr, err)
	}
}
