package httpserver

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"campus/internal/metrics"
)

// sample finds the metric of family name whose labels include want.
func sample(t testing.TB, reg *metrics.Registry, name string, want map[string]string) *dto.Metric {
	t.Helper()
	fams, err := reg.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue next
				}
			}
			return m
		}
	}
	return nil
}

// measured is a service as cmd/campus mounts it: its mux behind
// RoutePattern and middleware that copies the request, under a prefix.
func measured(reg *metrics.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.PathValue("id")) })
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush()
	})
	logger := slog.New(slog.DiscardHandler)
	h := Chain(RoutePattern(mux), Metrics(reg.HTTP().Service("identity")), Log(logger, "identity"), Recover(logger))
	outer := http.NewServeMux()
	outer.Handle("/idp/", http.StripPrefix("/idp", h))
	return outer
}

func TestMetricsLabelsByRoutePattern(t *testing.T) {
	t.Parallel()
	reg := metrics.New("test", slog.New(slog.DiscardHandler))
	h := measured(reg)
	for _, rq := range []struct{ method, path string }{
		{"GET", "/idp/api/v1/users/1"}, {"GET", "/idp/api/v1/users/2"}, {"GET", "/idp/api/v1/users/3"},
		{"POST", "/idp/login"},
		{"GET", "/idp/no/such/thing"}, {"GET", "/idp/another/unknown/path"},
		{"GET", "/idp/boom"},
		{"GET", "/idp/events"},
		{"BREW", "/idp/login"},
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(rq.method, rq.path, nil))
	}
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"pattern, not path", map[string]string{"route": "GET /api/v1/users/{id}", "method": "GET", "code": "200"}, 3},
		{"status of the handler", map[string]string{"route": "POST /login", "method": "POST", "code": "401"}, 1},
		{"404 under one fixed label", map[string]string{"route": metrics.Unmatched, "method": "GET", "code": "404"}, 2},
		{"a panic is the 500 it becomes", map[string]string{"route": "GET /boom", "code": "500"}, 1},
		{"event stream", map[string]string{"route": "GET /events", "code": "200"}, 1},
		{"made-up method", map[string]string{"route": metrics.Unmatched, "method": "other", "code": "405"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.labels["service"] = "identity"
			m := sample(t, reg, metrics.HTTPRequests, tt.labels)
			if m == nil || m.GetCounter().GetValue() != tt.want {
				t.Fatalf("%s%v = %v, want %v", metrics.HTTPRequests, tt.labels, m, tt.want)
			}
		})
	}
	if m := sample(t, reg, metrics.HTTPRequestDuration, map[string]string{"route": "GET /api/v1/users/{id}"}); m.GetHistogram().GetSampleCount() != 3 {
		t.Errorf("duration of GET /api/v1/users/{id}: %v, want 3 samples", m)
	}
	if m := sample(t, reg, metrics.HTTPRequestDuration, map[string]string{"route": "GET /events"}); m != nil {
		t.Errorf("an event stream is timed with the requests: %v", m)
	}
	if m := sample(t, reg, metrics.HTTPStreamDuration, map[string]string{"route": "GET /events"}); m.GetHistogram().GetSampleCount() != 1 {
		t.Errorf("stream duration: %v, want 1 sample", m)
	}
	if m := sample(t, reg, metrics.HTTPInFlight, map[string]string{"service": "identity"}); m.GetGauge().GetValue() != 0 {
		t.Errorf("in flight after all ended: %v", m)
	}
	fams, _ := reg.Gatherer().Gather()
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" && (l.GetValue() == "/no/such/thing" || l.GetValue() == "/api/v1/users/1") {
					t.Errorf("a raw path as a label: %v", m)
				}
			}
		}
	}
}

// The overhead Metrics adds to a request, label look-up included.
func BenchmarkMetrics(b *testing.B) {
	reg := metrics.New("bench", slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users/{id}", func(http.ResponseWriter, *http.Request) {})
	bare := http.StripPrefix("/idp", mux)
	with := http.StripPrefix("/idp", Chain(RoutePattern(mux), Metrics(reg.HTTP().Service("identity"))))
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"metrics", with}} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest("GET", "/idp/api/v1/users/42", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(w, r)
			}
		})
	}
}
