package service

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"campus/internal/background"
	"campus/internal/db"
	"campus/internal/httpserver"
	"campus/internal/messages"
	"campus/internal/messages/api"
	"campus/internal/messages/digest" // H-identity
	"campus/internal/messages/people" // H-identity
	"campus/internal/messages/realtime"
	"campus/internal/messages/rosters"
	msgstore "campus/internal/messages/store"
	"campus/internal/tokencheck"
)

// Audience is the messages API's audience in identity's access tokens.
const Audience = "campus-messages"

// Config is the messages service's configuration.
type Config struct {
	// Where identity is, set by the command.
	Issuer string
	// HTTPClient reaches identity and study: in-process in all-in-one mode.
	HTTPClient *http.Client
	// Revocations, in all-in-one mode, is the process's one copy of
	// identity's revocation feed, read from identity's store and polled
	// once for every service; nil: the service polls the feed over HTTP.
	Revocations *tokencheck.Revocations
	// ClientID and ClientSecret are the messages service's own client at
	// identity: to introspect API keys, look people up, mail digests and
	// read the study service's rosters; empty: all of that is off.
	ClientID, ClientSecret string
	// StudyURL is the study service's base URL, for the course groups;
	// "" leaves course groups as they are.
	StudyURL string
	// Ready are the readiness checks beside the database's (identity's).
	Ready []httpserver.Check
	// DigestAfter is how old an unread message must be before its reader
	// gets a digest mail (0: no digest mails).
	DigestAfter time.Duration
	// RosterInterval is how often the course groups are brought in step
	// with the study service's rosters.
	RosterInterval time.Duration
	// SendEvery and SendBurst limit how fast one person sends: SendBurst
	// messages at once, then one per SendEvery (0: no limit), counted in
	// the database for every replica alike.
	SendEvery time.Duration
	SendBurst int
}

// Validate reports the problems of the settings.
func (c *Config) Validate() []error {
	var errs []error
	if c.DigestAfter != 0 && (c.DigestAfter < time.Minute || c.DigestAfter > 30*24*time.Hour) {
		errs = append(errs, fmt.Errorf("--digest-after %s: want 0 (no digest mails) or 1m to 720h", c.DigestAfter))
	}
	if c.RosterInterval < time.Second || c.RosterInterval > time.Hour {
		errs = append(errs, fmt.Errorf("--roster-interval %s: want 1s to 1h", c.RosterInterval))
	}
	if c.SendEvery < 0 || c.SendEvery > time.Hour {
		errs = append(errs, fmt.Errorf("--send-every %s: want 0 (no limit) or up to 1h", c.SendEvery))
	}
	if c.SendBurst < 1 || c.SendBurst > 1_000_000 {
		errs = append(errs, fmt.Errorf("--send-burst %d: want 1 to 1000000", c.SendBurst))
	}
	return errs
}

// New builds the messages service over its database and starts its jobs
// until ctx is done.
func New(ctx context.Context, d *db.DB, cfg Config, logger *slog.Logger) (http.Handler, error) {
	st := msgstore.New(d, time.Now)
	st.SendLimit = messages.SendLimit{Every: cfg.SendEvery, Burst: cfg.SendBurst}
	hub := realtime.New(st, d, logger, time.Now)
	// H-api: message events carry the API's Message JSON, HTML included.
	hub.Enrich = api.Enrich(st)
	if d.Dialect() == db.SQLite {
		st.Published = hub.Deliver
	}
	background.AfterStart(ctx, func() { hub.Run(ctx) })
	// H-store: events older than messages.EventRetention (and old notice
	// keys) are deleted by every replica; a row goes once, whoever deletes it.
	background.AfterStart(ctx, func() { db.Housekeep(ctx, logger, "messages events", st.PurgeEvents) })
	background.AfterStart(ctx, func() { db.Housekeep(ctx, logger, "messages send limits", st.ForgetSendLimits) })
	// H-perf2: search words are indexed after the send, in batches, by
	// every replica (each queued message by one of them).
	background.AfterStart(ctx, func() { st.RunIndexer(ctx, logger) })
	// H-study: course groups kept in step with the study service's rosters,
	// polled by one replica at a time with the messages client's own token.
	if cfg.StudyURL != "" && cfg.ClientID != "" && cfg.ClientSecret != "" {
		p := &rosters.Poller{StudyURL: cfg.StudyURL, Tokens: rosters.ClientCredentials(cfg.Issuer, cfg.ClientID, cfg.ClientSecret, cfg.HTTPClient),
			Client: cfg.HTTPClient, Store: st, Interval: cfg.RosterInterval, Logger: logger, Now: time.Now}
		background.AfterStart(ctx, func() { p.Run(ctx) })
	} else if cfg.StudyURL != "" {
		logger.Warn("messages: course groups are not kept in step with study: no client credentials at identity configured " +
			"(CAMPUS_MESSAGES_CLIENT_ID, CAMPUS_MESSAGES_CLIENT_SECRET)")
	}
	rv := tokencheck.Feed(ctx, cfg.Revocations, cfg.Issuer, cfg.HTTPClient, logger)
	jwt := tokencheck.New(cfg.Issuer, Audience, cfg.HTTPClient, time.Now)
	jwt.Revocations = rv
	// H-identity: the messages service's own client at identity: API keys
	// (introspected, read-only), names and the reach rules' roles
	// (people:read), and digest mails (mail:send).
	var keys api.Introspector
	var dir api.People
	if cfg.ClientID != "" && cfg.ClientSecret != "" {
		// A revoked key stops within the TTL; a disabled account's keys at
		// once, through the feed.
		keys = &tokencheck.Introspector{URL: cfg.Issuer + "/oauth/introspect", ClientID: cfg.ClientID,
			ClientSecret: cfg.ClientSecret, Client: cfg.HTTPClient, TTL: introspectionTTL, Now: time.Now, Revocations: rv}
		idp := people.Config{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, HTTPClient: cfg.HTTPClient}
		dir = people.NewDirectory(idp, time.Now)
		if cfg.DigestAfter > 0 {
			job := &digest.Job{Store: st, Mailer: people.NewMailer(idp), After: cfg.DigestAfter, Now: time.Now, Logger: logger}
			background.AfterStart(ctx, func() { job.Run(ctx) })
		}
	} else {
		logger.Warn("messages: no client credentials at identity configured (CAMPUS_MESSAGES_CLIENT_ID, CAMPUS_MESSAGES_CLIENT_SECRET); " +
			"API keys are not accepted, names are not shown, people cannot be found by name and no digest mails go out")
	}
	return api.NewServer(api.Deps{
		Logger: logger,
		Issuer: cfg.Issuer,
		Ready:  append([]httpserver.Check{{Name: "database", Fn: d.Ping}}, cfg.Ready...),
		Store:  st,
		Hub:    hub,
		JWT:    jwt,
		Keys:   keys, // H-identity
		People: dir,  // H-identity
		Now:    time.Now,
		// Open event streams end within a second of a revocation.
		Revoked: rv.Revoked,
	})
}

// introspectionTTL is how long the messages service trusts identity's
// answer about an API key: a revoked key stops working within it.
// H-identity
const introspectionTTL = 5 * time.Second
