package httpserver

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func TestContextLog(t *testing.T) {
	t.Parallel()
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x0a, 0xf7, 1},
		SpanID:     trace.SpanID{0xb7, 2},
		TraceFlags: trace.FlagsSampled,
	})
	traced := trace.ContextWithSpanContext(context.Background(), sc)
	unsampled := trace.ContextWithSpanContext(context.Background(), sc.WithTraceFlags(0))
	tests := []struct {
		name    string
		ctx     context.Context
		log     func(l *slog.Logger, ctx context.Context)
		want    []string
		notWant []string
	}{
		{"outside a request", context.Background(), func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "x") },
			nil, []string{"request_id", "trace_id"}},
		{"in a request", context.WithValue(context.Background(), requestIDKey, "r1"),
			func(l *slog.Logger, ctx context.Context) { l.WarnContext(ctx, "x", "a", 1) },
			[]string{"request_id=r1", "a=1"}, []string{"trace_id"}},
		{"traced", context.WithValue(traced, requestIDKey, "r1"),
			func(l *slog.Logger, ctx context.Context) { l.With("b", 2).ErrorContext(ctx, "x") },
			[]string{"request_id=r1", "trace_id=" + sc.TraceID().String(), "span_id=" + sc.SpanID().String(), "b=2"}, nil},
		{"not sampled", unsampled, func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "x") },
			nil, []string{"trace_id"}},
		{"already there", context.WithValue(traced, requestIDKey, "r1"),
			func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "x", "request_id", "r1") },
			[]string{"request_id=r1"}, nil},
		{"without a context", context.WithValue(context.Background(), requestIDKey, "r1"),
			func(l *slog.Logger, ctx context.Context) { l.Info("x") }, nil, []string{"request_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			tt.log(slog.New(ContextLog(slog.NewTextHandler(&buf, nil))), tt.ctx)
			line := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("%q lacks %q", line, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(line, w) {
					t.Errorf("%q has %q", line, w)
				}
			}
			if strings.Count(line, "request_id=") > 1 {
				t.Errorf("%q: request_id twice", line)
			}
		})
	}
}

// The request line names the trace of a traced request, once.
func TestLogNamesTheTrace(t *testing.T) {
	t.Parallel()
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled})
	var buf bytes.Buffer
	logger := slog.New(ContextLog(slog.NewTextHandler(&buf, nil)))
	h := Chain(http.NotFoundHandler(), RequestID, Log(logger, "study"))
	r := httptest.NewRequest("GET", "/v1/x", nil)
	h.ServeHTTP(httptest.NewRecorder(), r.WithContext(trace.ContextWithSpanContext(r.Context(), sc)))
	line := buf.String()
	if strings.Count(line, "trace_id="+sc.TraceID().String()) != 1 || strings.Count(line, "span_id=") != 1 || strings.Count(line, "request_id=") != 1 {
		t.Errorf("request line %q: want one request_id, trace_id and span_id", line)
	}
}
