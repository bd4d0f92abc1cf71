package tracing

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// discard is an exporter that drops what it gets: the cost measured is
// campus's and the SDK's, not a collector's.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// benchTracings are the cases of the benchmarks: off (what a server
// without --otel-endpoint runs), on with every trace sampled, on with none
// (OTEL_TRACES_SAMPLER_ARG=0).
func benchTracings(b *testing.B) []struct {
	name string
	tr   *Tracing
} {
	on := New(sdktrace.WithBatcher(discard{}), sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
	none := New(sdktrace.WithBatcher(discard{}), sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0))))
	b.Cleanup(func() {
		on.Shutdown(context.Background())
		none.Shutdown(context.Background())
	})
	return []struct {
		name string
		tr   *Tracing
	}{{"off", nil}, {"on", on}, {"on-unsampled", none}}
}

// BenchmarkServer is a request through the middleware as cmd/campus mounts
// it, to a handler that does nothing.
func BenchmarkServer(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/programmes/{id}", func(w http.ResponseWriter, r *http.Request) {})
	for _, c := range benchTracings(b) {
		b.Run(c.name, func(b *testing.B) {
			h := http.Handler(mux)
			if c.tr != nil {
				h = c.tr.Server("study", "/study")(Routes(mux))
			}
			h = http.StripPrefix("/study", c.tr.Peers(nil)(h))
			r := httptest.NewRequest("GET", "/study/v1/programmes/42", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
		})
	}
}

type nothing struct{}

func (nothing) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}

// BenchmarkTransport is a call through a traced transport to one that
// answers at once.
func BenchmarkTransport(b *testing.B) {
	for _, c := range benchTracings(b) {
		b.Run(c.name, func(b *testing.B) {
			client := &http.Client{Transport: c.tr.Transport(nothing{})}
			req, _ := http.NewRequest("GET", "https://study.example/v1/programmes?q=x", nil)
			b.ReportAllocs()
			for b.Loop() {
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		})
	}
}
