package httpserver

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// ContextLog makes each record logged with a request's context (the
// slog ...Context methods, LogAttrs) carry the request's id and, when the
// request is traced, its trace and span ids, so that a warning from deep
// in a handler leads to its request line and its trace. Keys a record
// already has are left alone.
func ContextLog(h slog.Handler) slog.Handler { return contextHandler{h} }

type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	id := RequestIDFrom(ctx)
	sc := trace.SpanContextFromContext(ctx)
	if id == "" && !sc.IsSampled() {
		return h.Handler.Handle(ctx, r)
	}
	var hasID, hasTrace bool
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "request_id":
			hasID = true
		case "trace_id":
			hasTrace = true
		}
		return true
	})
	if id != "" && !hasID {
		r.AddAttrs(slog.String("request_id", id))
	}
	if sc.IsSampled() && !hasTrace {
		r.AddAttrs(traceID(ctx), spanID(ctx))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// traceID is the trace_id of ctx's span when its trace is sampled (kept
// by a collector), else the empty attribute, which handlers leave out.
func traceID(ctx context.Context) slog.Attr {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsSampled() {
		return slog.Attr{}
	}
	return slog.String("trace_id", sc.TraceID().String())
}

// spanID is the span_id beside traceID.
func spanID(ctx context.Context) slog.Attr {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsSampled() {
		return slog.Attr{}
	}
	return slog.String("span_id", sc.SpanID().String())
}
