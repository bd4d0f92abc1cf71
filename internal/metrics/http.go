package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Unmatched is the route label of a request no pattern served (a 404 of
// the ServeMux itself, or a handler mounted without a pattern note): a
// fixed value, never the path, so that scanners cannot grow the series.
const Unmatched = "unmatched"

// HTTP are the request metrics of every service of the process.
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	streams  *prometheus.HistogramVec
	inFlight *prometheus.GaugeVec

	mu       sync.Mutex
	services map[string]*ServiceHTTP
}

// HTTP returns the request metrics, registered on first use.
func (r *Registry) HTTP() *HTTP {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.http != nil {
		return r.http
	}
	h := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: HTTPRequests,
			Help: "Requests answered, by service, route pattern (the ServeMux pattern, or \"unmatched\"), method and status code.",
		}, []string{"service", "route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    HTTPRequestDuration,
			Help:    "Time from a request reaching the service to its handler returning, by service, route pattern and method; event streams are in " + HTTPStreamDuration + " instead.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"service", "route", "method"}),
		streams: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    HTTPStreamDuration,
			Help:    "How long event streams (text/event-stream responses) stayed open, by service and route pattern.",
			Buckets: []float64{1, 10, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600},
		}, []string{"service", "route"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: HTTPInFlight,
			Help: "Requests being served now, open event streams included, by service.",
		}, []string{"service"}),
		services: map[string]*ServiceHTTP{},
	}
	r.register(h.requests, h.duration, h.streams, h.inFlight)
	r.http = h
	return h
}

// Service returns the request metrics of one service (a label value).
func (h *HTTP) Service(name string) *ServiceHTTP {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.services[name]; s != nil {
		return s
	}
	s := &ServiceHTTP{h: h, name: name, inFlight: h.inFlight.WithLabelValues(name)}
	h.services[name] = s
	return s
}

// ServiceHTTP are one service's request metrics. Observe resolves each
// label set once and keeps the series, so a request costs a map look-up
// and two atomic adds rather than hashing four labels.
type ServiceHTTP struct {
	h        *HTTP
	name     string
	inFlight prometheus.Gauge
	series   sync.Map // seriesKey -> *series
}

type seriesKey struct {
	route, method string
	code          int
}

type series struct {
	requests prometheus.Counter
	duration prometheus.Observer // of the request histogram, or of the streams one
}

// Started counts a request in flight; call Finished when it ends.
func (s *ServiceHTTP) Started() { s.inFlight.Inc() }

// Finished records a request that ended: route is the pattern that served
// it ("" when none), stream whether it was an event stream.
func (s *ServiceHTTP) Finished(route, method string, code int, took time.Duration, stream bool) {
	s.inFlight.Dec()
	if route == "" {
		route = Unmatched
	}
	k := seriesKey{route, knownMethod(method), code}
	if stream {
		k.code = -code // streams have series of their own
	}
	v, ok := s.series.Load(k)
	if !ok {
		v, _ = s.series.LoadOrStore(k, s.resolve(k, stream))
	}
	se := v.(*series)
	se.requests.Inc()
	se.duration.Observe(took.Seconds())
}

func (s *ServiceHTTP) resolve(k seriesKey, stream bool) *series {
	code := k.code
	if stream {
		code = -code
	}
	se := &series{requests: s.h.requests.WithLabelValues(s.name, k.route, k.method, strconv.Itoa(code))}
	if stream {
		se.duration = s.h.streams.WithLabelValues(s.name, k.route)
	} else {
		se.duration = s.h.duration.WithLabelValues(s.name, k.route, k.method)
	}
	return se
}

// knownMethod keeps the method label bounded: anything else a client
// makes up is "other".
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}
