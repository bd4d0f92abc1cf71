package tracing

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Config says where spans go and what the process is called.
type Config struct {
	// Endpoint is an OTLP/HTTP collector's URL (--otel-endpoint), such as
	// http://otel-collector:4318; spans go to its /v1/traces, or to the
	// URL as given when it has a path. Empty: the exporter's standard
	// variables OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and
	// OTEL_EXPORTER_OTLP_ENDPOINT decide, and with neither tracing is off.
	Endpoint string
	// Service is the resource's service.name (campus, campus-identity,
	// ...) unless OTEL_SERVICE_NAME names another.
	Service string
	Version string
	// Getenv reads the environment; nil reads nothing. The SDK itself reads
	// the process's environment for the exporter's headers, TLS and
	// timeout, the sampler (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG)
	// and the resource (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES).
	Getenv func(string) string
}

// On reports whether c turns tracing on: an endpoint is configured and
// OTEL_SDK_DISABLED is not true.
func (c Config) On() bool {
	getenv := c.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	return c.Endpoint != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
}

// EndpointURL is the URL spans are sent to for an --otel-endpoint: the
// collector's /v1/traces when endpoint has no path (as with
// OTEL_EXPORTER_OTLP_ENDPOINT), else endpoint as given.
func EndpointURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("want the collector's http(s) URL, such as http://otel-collector:4318")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", errors.New("want a URL without user, query or fragment; give headers in OTEL_EXPORTER_OTLP_HEADERS")
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

// Tracing is a process's tracer provider and propagators. The nil
// *Tracing is tracing off: its methods return what they are given.
type Tracing struct {
	provider   *sdktrace.TracerProvider
	propagator propagation.TextMapPropagator
}

// Setup builds the process's tracing when c turns it on: an OTLP/HTTP
// exporter behind a batch span processor (it drops spans rather than
// block a request when the collector falls behind), the sampler the
// environment names (default: parent-based, every trace), W3C trace
// context and baggage. Tracing off is (nil, nil), and nothing is built.
// The exporter connects on its first export, not here.
func Setup(ctx context.Context, c Config) (*Tracing, error) {
	if !c.On() {
		return nil, nil
	}
	var opts []otlptracehttp.Option
	if c.Endpoint != "" {
		u, err := EndpointURL(c.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("--otel-endpoint %q: %w", c.Endpoint, err)
		}
		opts = append(opts, otlptracehttp.WithEndpointURL(u))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("traces: OTLP exporter: %w", err)
	}
	// Later detectors win: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
	// over campus's own names.
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", c.Service), attribute.String("service.version", c.Version)),
		resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithHost())
	if err != nil && res == nil {
		return nil, fmt.Errorf("traces: resource: %w", err)
	}
	return New(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// New is tracing through a provider made of opts; tests give it an
// in-memory exporter.
func New(opts ...sdktrace.TracerProviderOption) *Tracing {
	return &Tracing{
		provider:   sdktrace.NewTracerProvider(opts...),
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
}

// Shutdown exports the spans still buffered and ends the provider: call it
// once the server has stopped, with a deadline.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// ForceFlush exports the spans buffered so far.
func (t *Tracing) ForceFlush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.ForceFlush(ctx)
}

// Enabled reports whether t traces.
func (t *Tracing) Enabled() bool { return t != nil }

type trustKey struct{}

// TrustParent marks ctx as that of a request whose caller may continue its
// trace: a request of this process to itself (cmd/campus's in-process
// transport).
func TrustParent(ctx context.Context) context.Context {
	return context.WithValue(ctx, trustKey{}, true)
}

// Peers decides, before anything rewrites the client's address, whether a
// request's trace context (traceparent, baggage) is believed: from the
// trusted proxies, which campus already lets name the client (a load
// balancer, a portal running apart), it is; from anyone else the request
// starts a trace of its own that links to theirs, so that a client on the
// internet can neither join campus's spans to its trace nor choose their
// sampling.
func (t *Tracing) Peers(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if t == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ok := false
			if peer, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
				a := peer.Addr().Unmap()
				for _, p := range trusted {
					if p.Contains(a) {
						ok = true
						break
					}
				}
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), trustKey{}, ok)))
		})
	}
}

// route is what the spans of one service's requests are named with.
type route struct {
	prefix string // where the service is mounted: "/study" in campus serve
	public bool   // the caller's trace context was not believed
	name   string // the span's, once Routes knows the pattern
}

type routeKey struct{}

// Server gives each request of one service a server span, child of the
// caller's when Peers or TrustParent believed it. The span is named after
// the route pattern that served the request (see Routes) under prefix,
// never after the path, which carries ids. It records the method, path
// without query, status and sizes: no query, no headers, no cookies.
func (t *Tracing) Server(service, prefix string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if t == nil {
			return next
		}
		inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			span := trace.SpanFromContext(r.Context())
			// otelhttp took client.address from X-Forwarded-For as sent;
			// RemoteAddr is what campus believes (httpserver.RealIP).
			if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
				span.SetAttributes(attribute.String("client.address", host))
			}
			if rt, _ := r.Context().Value(routeKey{}).(*route); rt != nil && rt.public {
				r = r.WithContext(baggage.ContextWithoutBaggage(r.Context()))
			}
			next.ServeHTTP(w, r)
		})
		h := otelhttp.NewHandler(inner, service,
			otelhttp.WithTracerProvider(t.provider), otelhttp.WithPropagators(t.propagator),
			otelhttp.WithMeterProvider(noop.NewMeterProvider()),
			otelhttp.WithPublicEndpointFn(func(r *http.Request) bool {
				rt, _ := r.Context().Value(routeKey{}).(*route)
				return rt == nil || rt.public
			}),
			// otelhttp names the span again when the request it passed on
			// got a pattern: keep the name Routes gave.
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
				if rt, _ := r.Context().Value(routeKey{}).(*route); rt != nil && rt.name != "" {
					return rt.name
				}
				return method(r.Method)
			}),
			otelhttp.WithSpanOptions(trace.WithAttributes(attribute.String("campus.service", service))))
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			trusted, _ := r.Context().Value(trustKey{}).(bool)
			r = r.WithContext(context.WithValue(r.Context(), routeKey{}, &route{prefix: prefix, public: !trusted}))
			// The pattern of the mux that routed to this service ("/" in
			// campus serve) is not the request's route.
			r.Pattern = ""
			h.ServeHTTP(w, r)
		})
	}
}

// Routes names the span of a request that h served after h's route
// pattern: "GET /study/v1/programmes/{id}". h must be the ServeMux itself,
// or pass the very *http.Request it gets to one, since the mux notes the
// pattern there; a service whose middleware copies the request before
// routing wraps its mux with Routes inside. Outside a traced request it
// only calls h.
func Routes(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		rt, _ := r.Context().Value(routeKey{}).(*route)
		i := strings.IndexByte(r.Pattern, '/')
		if rt == nil || i < 0 {
			return
		}
		path := rt.prefix + r.Pattern[i:]
		rt.name = method(r.Method) + " " + path
		span := trace.SpanFromContext(r.Context())
		span.SetName(rt.name)
		span.SetAttributes(attribute.String("http.route", path))
	})
}

// method is the method in a span name: unknown ones are "HTTP", as in the
// semantic conventions, so a client cannot coin span names.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "HTTP"
}

// Transport gives each request through rt (nil: the default transport) a
// client span and sends its trace context along, so the server's span
// becomes the client span's child.
func (t *Tracing) Transport(rt http.RoundTripper) http.RoundTripper {
	if t == nil {
		return rt
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	return otelhttp.NewTransport(redactURL{rt},
		otelhttp.WithTracerProvider(t.provider), otelhttp.WithPropagators(t.propagator),
		otelhttp.WithMeterProvider(noop.NewMeterProvider()))
}

// Client is a copy of c whose transport traces (see Transport); c itself
// when tracing is off.
func (t *Tracing) Client(c *http.Client) *http.Client {
	if t == nil || c == nil {
		return c
	}
	cp := *c
	cp.Transport = t.Transport(c.Transport)
	return &cp
}

// redactURL replaces the url.full that otelhttp records of a request with
// the URL without user, query and fragment: queries carry codes, tokens
// and search terms.
type redactURL struct{ next http.RoundTripper }

func (r redactURL) RoundTrip(req *http.Request) (*http.Response, error) {
	if span := trace.SpanFromContext(req.Context()); span.IsRecording() {
		u := url.URL{Scheme: req.URL.Scheme, Host: req.URL.Host, Path: req.URL.Path, RawPath: req.URL.RawPath}
		span.SetAttributes(attribute.String("url.full", u.String()))
	}
	return r.next.RoundTrip(req)
}
