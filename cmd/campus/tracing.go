package main

import (
	"context"
	"fmt"
	"time"

	"campus/internal/config"
	"campus/internal/tracing"
)

// tracingOptions say where a serving process sends its traces.
type tracingOptions struct {
	Endpoint string
}

func (o *tracingOptions) register(s *config.Set) {
	s.String(&o.Endpoint, "otel.endpoint", "otel-endpoint", "CAMPUS_OTEL_ENDPOINT", "",
		"OpenTelemetry collector (OTLP/HTTP) to send traces to, e.g. http://otel-collector:4318 (empty: OTEL_EXPORTER_OTLP_ENDPOINT if set, else no traces)")
}

func (o *tracingOptions) validate() []error {
	if o.Endpoint == "" {
		return nil
	}
	if _, err := tracing.EndpointURL(o.Endpoint); err != nil {
		return []error{fmt.Errorf("--otel-endpoint %q: %v", o.Endpoint, err)}
	}
	return nil
}

// tracingFlush bounds the export of the last spans at shutdown: a
// collector that is down must not hold up a stop.
const tracingFlush = 5 * time.Second

// startTracing turns the process's traces on when an endpoint is
// configured; service is the name it reports (campus, campus-identity,
// ...). stop exports the spans still buffered: call it once the server has
// stopped. Off, it builds nothing and stop does nothing.
func (p *process) startTracing(ctx context.Context, service string) (stop func(), err error) {
	t, err := tracing.Setup(ctx, tracing.Config{Endpoint: p.opts.Tracing.Endpoint, Service: service, Version: version, Getenv: p.e.getenv})
	if err != nil {
		return nil, err
	}
	if t == nil {
		return func() {}, nil
	}
	p.tracing = t
	endpoint := p.opts.Tracing.Endpoint
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		if endpoint == "" {
			endpoint = p.e.getenv(k)
		}
	}
	p.logger.Info("sending traces", "service", service, "endpoint", endpoint)
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tracingFlush)
		defer cancel()
		if err := t.Shutdown(ctx); err != nil {
			p.logger.Warn("traces: the last spans were not sent", "err", err)
		}
	}, nil
}
