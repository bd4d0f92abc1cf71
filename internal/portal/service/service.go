package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"campus/internal/background"
	"campus/internal/db"
	"campus/internal/httpserver"
	"campus/internal/portal"
	portalstore "campus/internal/portal/store"
	"campus/internal/tokencheck"
)

// Config is the portal's configuration.
type Config struct {
	// ClientID and ClientSecret are the portal's client at identity.
	ClientID, ClientSecret string
	// SessionKey seals the tokens kept in sessions; the same on every replica.
	SessionKey []byte
	// SessionTTL is how long a portal session lasts.
	SessionTTL time.Duration

	// Where the portal runs and finds the others, set by the command.

	Version string
	// Origin is the portal's public origin (https://host:port); Base its
	// path prefix ("" at the root of the origin).
	Origin, Base string
	// Issuer is identity's issuer URL; StudyURL the study API's base URL.
	Issuer, StudyURL string
	// MessagesURL is the messages API's base URL; "" leaves messaging out
	// of the portal.
	MessagesURL string
	// HTTPClient reaches identity and study (in-process in all-in-one mode).
	HTTPClient *http.Client
	// Revocations, in all-in-one mode, is the process's one copy of
	// identity's revocation feed, read from identity's store and polled
	// once for every service; nil: the service polls the feed over HTTP.
	Revocations *tokencheck.Revocations
	// Ready are the readiness checks beside the database's.
	Ready []httpserver.Check
}

// Validate reports the problems of the settings (SessionKey is checked
// where it is decoded).
func (c *Config) Validate() []error {
	var errs []error
	if c.ClientSecret == "" {
		errs = append(errs, errors.New("CAMPUS_PORTAL_CLIENT_SECRET is required: the secret of the portal's client at identity"))
	}
	if c.SessionTTL <= 0 {
		errs = append(errs, fmt.Errorf("--session-ttl %s: must be positive", c.SessionTTL))
	}
	return errs
}

// Scopes are asked for at sign-in; identity grants those the person's
// roles allow. studies:write is left out on purpose: only a step-up (the
// password entered again) grants it, for minutes (the portal asks for it
// then). The portal may not import identity's catalogue (decision 1).
// messages:read and messages:write are for the messages API, whose pages
// the portal shows when it has its URL (every built-in role has both).
var Scopes = []string{"openid", "profile", "email", "offline_access", "users:read", "users:write", "roles:write", "grades:read", "grades:write",
	"messages:read", "messages:write", "events:write"}

// New builds the portal over its session database and starts polling
// identity's revocation feed until ctx is done.
func New(ctx context.Context, d *db.DB, cfg Config, logger *slog.Logger) (http.Handler, error) {
	revocations := tokencheck.Feed(ctx, cfg.Revocations, cfg.Issuer, cfg.HTTPClient, logger)
	sessions := portalstore.New(d, time.Now)
	background.AfterStart(ctx, func() { db.Housekeep(ctx, logger, "portal: expired sessions", sessions.DeleteExpired) })
	return portal.NewServer(portal.Deps{
		Logger:      logger,
		Version:     cfg.Version,
		Origin:      cfg.Origin,
		Base:        cfg.Base,
		IdentityURL: cfg.Issuer,
		StudyURL:    cfg.StudyURL,
		MessagesURL: cfg.MessagesURL,
		API:         cfg.HTTPClient,
		Ready:       append([]httpserver.Check{{Name: "database", Fn: d.Ping}}, cfg.Ready...),
		Sessions:    sessions,
		OIDC: portal.OIDC{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			Client: cfg.HTTPClient, Scopes: Scopes},
		Secret:      cfg.SessionKey,
		SessionTTL:  cfg.SessionTTL,
		Now:         time.Now,
		Revocations: revocations,
	})
}
