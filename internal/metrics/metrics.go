package metrics

import (
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Every family campus exports (besides the go_ and process_ families of
// the runtime and process collectors); metrics_test.go checks that the
// list and the registry agree, and deploy's dashboard test that every
// panel asks for one of them.
const (
	BuildInfo = "campus_build_info"

	HTTPRequests        = "campus_http_requests_total"
	HTTPRequestDuration = "campus_http_request_duration_seconds"
	HTTPStreamDuration  = "campus_http_stream_duration_seconds"
	HTTPInFlight        = "campus_http_requests_in_flight"

	AuditEvents            = "campus_identity_audit_events_total"
	SignIns                = "campus_identity_sign_ins_total"
	Lockouts               = "campus_identity_lockouts_total"
	TokensIssued           = "campus_identity_tokens_issued_total"
	DirectorySyncs         = "campus_identity_directory_syncs_total"
	DirectorySyncDuration  = "campus_identity_directory_sync_duration_seconds"
	DirectorySyncLastOK    = "campus_identity_directory_sync_last_success_timestamp_seconds"
	OutboxEntries          = "campus_outbox_entries"
	OutboxOldestPendingAge = "campus_outbox_oldest_pending_age_seconds"
	OutboxAttempts         = "campus_outbox_attempts_total"

	DBConnections        = "campus_db_connections"
	DBMaxOpenConnections = "campus_db_connections_max_open"
	DBWaits              = "campus_db_waits_total"
	DBWaitSeconds        = "campus_db_wait_seconds_total"

	Backups               = "campus_backups"
	BackupNewestTimestamp = "campus_backup_newest_timestamp_seconds"
)

// Names are the families above, in that order.
var Names = []string{
	BuildInfo,
	HTTPRequests, HTTPRequestDuration, HTTPStreamDuration, HTTPInFlight,
	AuditEvents, SignIns, Lockouts, TokensIssued, DirectorySyncs, DirectorySyncDuration, DirectorySyncLastOK,
	OutboxEntries, OutboxOldestPendingAge, OutboxAttempts,
	DBConnections, DBMaxOpenConnections, DBWaits, DBWaitSeconds,
	Backups, BackupNewestTimestamp,
}

// scrapeTimeout bounds what a scrape reads from databases and disk: a
// slow database must not make every scrape hang (Prometheus's own default
// timeout is 10 s).
const scrapeTimeout = 3 * time.Second

// Registry is one process's metrics. Its parts are registered when first
// asked for, so that a process exports only the families of the services
// it runs.
type Registry struct {
	reg    *prometheus.Registry
	logger *slog.Logger

	mu       sync.Mutex
	http     *HTTP
	identity *Identity
}

// New returns a registry with the Go runtime and process collectors and
// campus_build_info.
func New(version string, logger *slog.Logger) *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        BuildInfo,
			Help:        "Always 1; the labels name the running campus version and the Go version it was built with.",
			ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
		}, func() float64 { return 1 }),
	)
	return &Registry{reg: reg, logger: logger}
}

// Handler serves the registry in the Prometheus text (or OpenMetrics)
// format. A collector that fails (a database that does not answer within
// scrapeTimeout) is logged and left out; the rest is still served.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(r.logger.Handler(), slog.LevelWarn),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             2 * scrapeTimeout,
		Registry:            r.reg, // promhttp_metric_handler_* of its own
	})
}

// Gatherer is the registry, for tests.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// register adds collectors; a name registered twice is a bug of campus's
// wiring, found by any test that starts the server.
func (r *Registry) register(cs ...prometheus.Collector) {
	r.reg.MustRegister(cs...)
}
