package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"campus/internal/config"
	"campus/internal/httpserver"
	"campus/internal/metrics"
)

// metricsOptions say where a serving process offers its Prometheus
// metrics.
type metricsOptions struct {
	Addr string
}

func (o *metricsOptions) register(s *config.Set) {
	s.String(&o.Addr, "metrics.addr", "metrics-addr", "CAMPUS_METRICS_ADDR", "",
		"Serve Prometheus metrics at http://HOST:PORT/metrics on a listener of their own, plain HTTP, e.g. 127.0.0.1:9090; keep it off the public network (empty: no metrics)")
}

func (o *metricsOptions) validate() []error {
	if o.Addr == "" {
		return nil
	}
	if _, _, err := splitAddr(o.Addr); err != nil {
		return []error{fmt.Errorf("--metrics-addr %q: %v", o.Addr, err)}
	}
	return nil
}

// observe starts the process's traces (named service) and its metrics
// listener, as configured; stop ends both, the metrics listener first.
func (p *process) observe(ctx context.Context, service string) (stop func(), err error) {
	stopTracing, err := p.startTracing(ctx, service)
	if err != nil {
		return nil, err
	}
	stopMetrics, err := p.startMetrics(ctx)
	if err != nil {
		stopTracing()
		return nil, err
	}
	return func() { stopMetrics(); stopTracing() }, nil
}

// startMetrics opens the metrics listener when --metrics-addr is set and
// keeps the process's registry in p.metrics, for the services and mount
// to fill. The listener is plain HTTP and answers GET /metrics only. stop
// closes it: call it when the server has stopped. Off, it builds nothing
// and every p.metrics method does nothing.
func (p *process) startMetrics(ctx context.Context) (stop func(), err error) {
	addr := p.opts.Metrics.Addr
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("--metrics-addr: cannot listen on %s: the port is already in use", addr)
		}
		return nil, fmt.Errorf("--metrics-addr: cannot listen on %s: %w", addr, err)
	}
	p.metrics = metrics.New(version, p.logger)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", p.metrics.Handler())
	srv := httpserver.New(mux, nil, p.logger)
	srv.WriteTimeout = 30 * time.Second
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- httpserver.Serve(ctx, srv, ln, time.Second, p.logger) }()
	p.logger.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() {
		cancel()
		if err := <-done; err != nil {
			p.logger.Warn("metrics listener", "err", err)
		}
	}, nil
}

// measure is the middleware that counts and times a service's requests
// for /metrics; without metrics it passes requests on untouched.
func (p *process) measure(service string) httpserver.Middleware {
	if p.metrics == nil {
		return func(h http.Handler) http.Handler { return h }
	}
	return httpserver.Metrics(p.metrics.HTTP().Service(service))
}
