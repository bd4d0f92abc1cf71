package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"campus/internal/certs"
	"campus/internal/config"
	"campus/internal/db"
	"campus/internal/httpserver"
	identityservice "campus/internal/identity/service"
	portalservice "campus/internal/portal/service"
	portalstore "campus/internal/portal/store"
)

// portalConfig is the configuration of `campus portal`.
type portalConfig struct {
	server      serverOptions
	db          dbOption
	upstream    upstreamOptions
	studyURL    string
	messagesURL string
	portal      portalservice.Config
	sessionKey  string // base64 of portal.SessionKey
}

func newPortalConfig() (*portalConfig, *config.Set) {
	c := &portalConfig{db: dbOption{service: "portal"}}
	s := config.NewSet("portal", "Run the portal alone: the website, signing in through identity and joining identity and study.\n\n"+
		"First register its client at identity, on identity's database:\n"+
		"  campus clients add --portal PUBLIC-URL\n"+
		"It registers what sign-in, the admin pages, sign-out and back-channel logout need, and prints\n"+
		"CAMPUS_PORTAL_CLIENT_ID and CAMPUS_PORTAL_CLIENT_SECRET. --public-url must be that PUBLIC-URL.\n"+
		"If the portal's certificate comes from a private CA, run identity with --ca-file naming it,\n"+
		"so that identity's logout tokens reach the portal.")
	c.server.register(s)
	c.db.register(s, "db")
	c.upstream.register(s)
	s.String(&c.studyURL, "study_url", "study-url", "CAMPUS_STUDY_URL", "", "Base URL of the study service, e.g. https://study.example.edu (required)")
	s.String(&c.messagesURL, "messages_url", "messages-url", "CAMPUS_MESSAGES_URL", "", "Base URL of the messages service, e.g. https://messages.example.edu; empty: the portal shows no messaging")
	s.String(&c.portal.ClientID, "portal.client_id", "client-id", "CAMPUS_PORTAL_CLIENT_ID", "campus-portal", "The portal's client at identity: register it with 'campus clients add --portal PUBLIC-URL', which prints this and the secret")
	s.String(&c.portal.ClientSecret, "portal.client_secret", "", "CAMPUS_PORTAL_CLIENT_SECRET", "", "Its secret, printed by 'campus clients add --portal' (required)", config.Secret(), config.EnvOnly())
	s.Duration(&c.portal.SessionTTL, "portal.session_ttl", "session-ttl", "CAMPUS_PORTAL_SESSION_TTL", "12h", "Lifetime of a sign-in session at the portal")
	s.String(&c.sessionKey, "portal.session_key", "", "CAMPUS_PORTAL_SESSION_KEY", "", "32 bytes, base64: seals the tokens kept in sessions; the same on every replica (required)", config.Secret(), config.EnvOnly())
	return c, s
}

func (c *portalConfig) validate() []error {
	errs := append(c.server.validate(), c.db.validate()...)
	errs = append(errs, c.upstream.validate()...)
	errs = append(errs, c.portal.Validate()...)
	if _, err := identityservice.DecodeKey(c.sessionKey); err != nil {
		errs = append(errs, fmt.Errorf("CAMPUS_PORTAL_SESSION_KEY: %v", err))
	}
	if c.studyURL == "" {
		errs = append(errs, errors.New("--study-url is required: the study service's base URL"))
	} else if err := checkServiceURL(c.studyURL); err != nil {
		errs = append(errs, fmt.Errorf("--study-url %q: %v", c.studyURL, err))
	}
	if c.messagesURL != "" {
		if err := checkServiceURL(c.messagesURL); err != nil {
			errs = append(errs, fmt.Errorf("--messages-url %q: %v", c.messagesURL, err))
		}
	}
	return errs
}

// runPortal runs the portal alone, finding identity at --issuer and the
// study service at --study-url.
func runPortal(ctx context.Context, e env, args []string) error {
	c, s := newPortalConfig()
	if err := load(s, e, args, c.validate); err != nil {
		return err
	}
	return serveAlone(ctx, e, "portal", &c.server, &c.db, portalstore.Migrations,
		func(ctx context.Context, p *process, d *db.DB) (http.Handler, error) {
			client, err := certs.Client(c.upstream.CAFile)
			if err != nil {
				return nil, err
			}
			client = p.tracing.Client(client)
			cfg := c.portal
			cfg.Issuer, cfg.StudyURL, cfg.HTTPClient = strings.TrimSuffix(c.upstream.Issuer, "/"), strings.TrimSuffix(c.studyURL, "/"), client
			cfg.MessagesURL = strings.TrimSuffix(c.messagesURL, "/")
			cfg.SessionKey, _ = identityservice.DecodeKey(c.sessionKey) // validated with the settings
			cfg.Version, cfg.Origin, cfg.Base = version, p.publicURL.Scheme+"://"+p.publicURL.Host, p.basePath()
			cfg.Ready = []httpserver.Check{httpserver.URLCheck("identity", client, cfg.Issuer+"/healthz"),
				httpserver.URLCheck("study", client, cfg.StudyURL+"/healthz")}
			// Messaging is not among them: without it the portal's other
			// pages work, and its messaging pages say it cannot be reached.
			return portalservice.New(ctx, d, cfg, p.logger)
		})
}
