package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"campus/internal/certs"
	"campus/internal/config"
	"campus/internal/db"
	identityservice "campus/internal/identity/service"
	identitystore "campus/internal/identity/store"
)

// identityConfig is the configuration of `campus identity`.
type identityConfig struct {
	server    serverOptions
	db        dbOption
	identity  identityservice.Config
	portalURL string
}

func newIdentityConfig() (*identityConfig, *config.Set) {
	c := &identityConfig{db: dbOption{service: "identity"}}
	s := config.NewSet("identity", "Run the identity service alone: accounts, sign-in and the OpenID Provider. Its issuer is --public-url.")
	c.server.register(s)
	c.db.register(s, "db")
	registerIdentity(s, &c.identity)
	s.String(&c.identity.CAFile, "ca_file", "ca-file", "CAMPUS_CA_FILE", "",
		"PEM file of CA certificates to trust when calling other services: back-channel logout deliveries to the portal and other applications (default: the system's)")
	s.String(&c.portalURL, "portal_url", "portal-url", "CAMPUS_PORTAL_URL", "",
		"The portal's public URL, e.g. https://campus.uni.example: where people continue after confirming an address or resetting a password, and the base of links in mails that services send through identity (empty: identity's own pages, and such mails carry no link)")
	return c, s
}

func (c *identityConfig) validate() []error {
	errs := append(c.server.validate(), c.db.validate()...)
	if c.portalURL != "" {
		if err := checkBaseURL(c.portalURL); err != nil {
			errs = append(errs, fmt.Errorf("--portal-url %q: %v", c.portalURL, err))
		}
	}
	return append(errs, c.identity.Validate()...)
}

// runIdentity runs identity alone; its issuer is its public URL.
func runIdentity(ctx context.Context, e env, args []string) error {
	c, s := newIdentityConfig()
	if err := load(s, e, args, c.validate); err != nil {
		return err
	}
	return serveAlone(ctx, e, "identity", &c.server, &c.db, identitystore.Migrations,
		func(ctx context.Context, p *process, d *db.DB) (http.Handler, error) {
			cfg := c.identity
			cfg.Issuer, cfg.Base, cfg.DataDir, cfg.Out = p.publicURL.String(), p.basePath(), p.dataDir, p.e.stdout
			cfg.Metrics = p.metrics
			if c.portalURL != "" {
				cfg.Home = strings.TrimSuffix(c.portalURL, "/") + "/"
			}
			if p.tracing.Enabled() { // back-channel logout deliveries
				client, err := certs.Client(cfg.CAFile)
				if err != nil {
					return nil, err
				}
				cfg.HTTPClient = p.tracing.Client(client)
			}
			return identityservice.New(ctx, d, cfg, p.logger)
		})
}
