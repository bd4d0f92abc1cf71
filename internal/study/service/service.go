package service

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"campus/internal/background"
	"campus/internal/db"
	"campus/internal/httpserver"
	"campus/internal/metrics"
	"campus/internal/study/api"
	"campus/internal/study/notices"
	studystore "campus/internal/study/store"
	"campus/internal/study/subjects"
	"campus/internal/tokencheck"
)

// Config is the study service's configuration.
type Config struct {
	// MaxAttempts is how many attempts a person has per examination.
	MaxAttempts int
	// RequireMFA refuses changes to the catalogue and to grades (what needs
	// studies:write or grades:write) unless the person signed in with a
	// second factor (api.Deps.RequireMFA).
	RequireMFA bool

	// Where identity is, set by the command.

	Issuer string // identity's issuer URL
	// HTTPClient reaches identity: in-process in all-in-one mode.
	HTTPClient *http.Client
	// Revocations, in all-in-one mode, is the process's one copy of
	// identity's revocation feed, read from identity's store and polled
	// once for every service; nil: the service polls the feed over HTTP.
	Revocations *tokencheck.Revocations
	// ClientID and ClientSecret are the study service's own client at
	// identity, for introspecting API keys and checking that people exist;
	// empty: keys are refused, and so is enrolling others.
	ClientID, ClientSecret string
	// Ready are the readiness checks beside the database's (identity's).
	Ready []httpserver.Check
	// MessagesURL is the messages service's base URL, where notices go (a
	// grade published, a programme changed), sent with the client
	// credentials above; "" sends none and queues none.
	MessagesURL string
	// Metrics is the process's registry (nil: none): the notices outbox
	// is read from the database at each scrape.
	Metrics *metrics.Registry
}

// Validate reports the problems of the settings.
func (c *Config) Validate() []error {
	var errs []error
	if c.MaxAttempts < 1 || c.MaxAttempts > 10 {
		errs = append(errs, fmt.Errorf("--max-attempts %d: want 1 to 10", c.MaxAttempts))
	}
	if c.MessagesURL != "" {
		if u, err := url.Parse(c.MessagesURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--messages-url %q: want an absolute http(s) URL such as https://messages.example.edu", c.MessagesURL))
		}
	}
	return errs
}

// introspectionTTL is how long the study service trusts identity's answer
// about an API key: a revoked key stops working within it.
const introspectionTTL = 5 * time.Second

// New builds the study service's API over its database and starts polling
// identity's revocation feed until ctx is done.
func New(ctx context.Context, d *db.DB, cfg Config, logger *slog.Logger) (http.Handler, error) {
	st := NewStore(d, cfg)
	startNotices(ctx, st, cfg, logger)
	cfg.Metrics.Outboxes("study", func(ctx context.Context) ([]metrics.Outbox, error) {
		c, err := st.NoticeCounts(ctx)
		return []metrics.Outbox{{Name: c.Name, Pending: c.Pending, Retrying: c.Retrying, Failed: c.Failed, OldestPending: c.OldestPending}}, err
	})
	revocations := tokencheck.Feed(ctx, cfg.Revocations, cfg.Issuer, cfg.HTTPClient, logger)
	jwt := tokencheck.New(cfg.Issuer, "campus-study", cfg.HTTPClient, time.Now)
	jwt.Revocations = revocations
	var keys api.Introspector
	var people api.People
	if cfg.ClientID != "" && cfg.ClientSecret != "" {
		// A revoked key stops within the TTL; a disabled account's keys at
		// once, through the feed.
		keys = api.IdentityIntrospector{Introspector: &tokencheck.Introspector{URL: cfg.Issuer + "/oauth/introspect", ClientID: cfg.ClientID,
			ClientSecret: cfg.ClientSecret, Client: cfg.HTTPClient, TTL: introspectionTTL, Now: time.Now, Revocations: revocations}}
		people = &subjects.Checker{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			Client: cfg.HTTPClient, TTL: time.Minute, Now: time.Now}
	} else {
		logger.Warn("study: no client credentials at identity configured (CAMPUS_STUDY_CLIENT_ID, CAMPUS_STUDY_CLIENT_SECRET); " +
			"API keys are not accepted, and staff cannot enrol people (POST /v1/enrolments answers 503), as their subject ids cannot be checked")
	}
	return api.NewServer(api.Deps{
		Logger: logger,
		Issuer: cfg.Issuer,
		Ready:  append([]httpserver.Check{{Name: "database", Fn: d.Ping}}, cfg.Ready...),
		Store:  st,
		JWT:    jwt,
		Keys:   keys,
		People: people,
		Now:    time.Now,

		RequireMFA: cfg.RequireMFA,
	})
}

// NewStore is the study store over d with the rules of cfg (how many
// attempts a person has per examination), for the service and for those
// who write into its database beside it (the demo).
func NewStore(d *db.DB, cfg Config) *studystore.Store {
	st := studystore.New(d, time.Now)
	st.MaxAttempts = cfg.MaxAttempts
	st.Notices = cfg.MessagesURL != ""
	return st
}

// startNotices starts delivering the outbox's notices to the messages
// service, when there is one; the store queues them only then (NewStore).
// Delivery needs the study client's credentials: without them notices
// are queued, kept and sent once they are configured.
func startNotices(ctx context.Context, st *studystore.Store, cfg Config, logger *slog.Logger) {
	if cfg.MessagesURL == "" {
		return
	}
	background.AfterStart(ctx, func() {
		db.Housekeep(ctx, logger, "delivered study notices", func(ctx context.Context) (int64, error) {
			return st.PurgeNotices(ctx, time.Now().Add(-30*24*time.Hour))
		})
	})
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		logger.Warn("study: notices to messages are queued but not sent: no client credentials at identity configured " +
			"(CAMPUS_STUDY_CLIENT_ID, CAMPUS_STUDY_CLIENT_SECRET)")
		return
	}
	d := notices.NewDeliverer(st, strings.TrimSuffix(cfg.MessagesURL, "/"),
		notices.ClientCredentials(cfg.Issuer, cfg.ClientID, cfg.ClientSecret, cfg.HTTPClient), cfg.HTTPClient, time.Now, logger)
	background.AfterStart(ctx, func() { d.Run(ctx) })
}
