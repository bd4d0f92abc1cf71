package service

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"campus/internal/db"
	"campus/internal/httpserver"
	"campus/internal/messages/api"
	"campus/internal/messages/realtime"
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
	// ClientID and ClientSecret are the messages service's own client at
	// identity: to introspect API keys, look people up, mail digests and
	// read the study service's rosters; empty: all of that is off.
	ClientID, ClientSecret string
	// StudyURL is the study service's base URL, for the course groups;
	// "" leaves course groups as they are.
	StudyURL string
	// Ready are the readiness checks beside the database's (identity's).
	Ready []httpserver.Check
}

// Validate reports the problems of the settings.
func (c *Config) Validate() []error { return nil }

// New builds the messages service over its database and starts its jobs
// until ctx is done.
func New(ctx context.Context, d *db.DB, cfg Config, logger *slog.Logger) (http.Handler, error) {
	st := msgstore.New(d, time.Now)
	hub := realtime.New(st, d, logger, time.Now)
	if d.Dialect() == db.SQLite {
		st.Published = hub.Deliver
	}
	go hub.Run(ctx)
	rv := &tokencheck.Revocations{URL: cfg.Issuer + "/revocations", Client: cfg.HTTPClient, Now: time.Now, Logger: logger}
	go rv.Run(ctx)
	jwt := tokencheck.New(cfg.Issuer, Audience, cfg.HTTPClient, time.Now)
	jwt.Revocations = rv
	return api.NewServer(api.Deps{
		Logger: logger,
		Issuer: cfg.Issuer,
		Ready:  append([]httpserver.Check{{Name: "database", Fn: d.Ping}}, cfg.Ready...),
		Store:  st,
		Hub:    hub,
		JWT:    jwt,
		Now:    time.Now,
	})
}
