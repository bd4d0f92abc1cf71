// Package metrics is campus's Prometheus instrumentation: one registry per
// process (never the library's global one, so that tests and several
// servers in one process keep their counts apart), the Go runtime and
// process collectors, and campus's own metrics, all named campus_... with
// their unit in the name. Names lists every family campus exports.
//
// Counters and histograms count what this process did; what lives in a
// database (outbox depth) or on disk (backups) is read when Prometheus
// scrapes, so that every replica reports the same truth instead of a
// figure kept in its own memory.
//
// It is not a metrics pipeline: no push, no OpenTelemetry metrics, no
// per-person or per-path labels. Serving /metrics on its own listener is
// the command's job (cmd/campus); the HTTP middleware is in
// internal/httpserver.
package metrics
