// Package tracing gives campus's HTTP servers and clients OpenTelemetry
// traces, exported by OTLP/HTTP to a collector, so that a portal page that
// calls identity and study shows as one trace, in one process or across
// several.
//
// It is off unless a collector's endpoint is configured: then Setup builds
// nothing and every method of the nil *Tracing hands back what it was given,
// so a server without tracing pays nothing per request.
//
// It sets no OpenTelemetry globals: a process may run several servers (the
// tests do), each with its own provider. It is not for metrics (those are
// Prometheus's) and records no query strings, headers or cookies.
package tracing
