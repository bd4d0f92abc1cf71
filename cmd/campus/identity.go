package main

import (
	"context"
	"net/http"

	"campus/internal/config"
	"campus/internal/db"
	identityservice "campus/internal/identity/service"
	identitystore "campus/internal/identity/store"
)

// identityConfig is the configuration of `campus identity`.
type identityConfig struct {
	server   serverOptions
	db       dbOption
	identity identityservice.Config
}

func newIdentityConfig() (*identityConfig, *config.Set) {
	c := &identityConfig{db: dbOption{service: "identity"}}
	s := config.NewSet("identity", "Run the identity service alone: accounts, sign-in and the OpenID Provider. Its issuer is --public-url.")
	c.server.register(s)
	c.db.register(s, "db")
	registerIdentity(s, &c.identity)
	s.String(&c.identity.CAFile, "ca_file", "ca-file", "CAMPUS_CA_FILE", "",
		"PEM file of CA certificates to trust when calling other services: back-channel logout deliveries to the portal and other applications (default: the system's)")
	return c, s
}

func (c *identityConfig) validate() []error {
	errs := append(c.server.validate(), c.db.validate()...)
	return append(errs, c.identity.Validate()...)
}

// runIdentity runs identity alone; its issuer is its public URL.
func runIdentity(ctx context.Context, e env, args []string) error {
	c, s := newIdentityConfig()
	if err := load(s, e, args, c.validate); err != nil {
		return err
	}
	return serveAlone(ctx, e, "identity", &c.server, &c.db, identitystore.Migrations,
		func(p *process, d *db.DB) (http.Handler, error) {
			cfg := c.identity
			cfg.Issuer, cfg.Base, cfg.DataDir, cfg.Out = p.publicURL.String(), p.basePath(), p.dataDir, p.e.stdout
			return identityservice.New(ctx, d, cfg, p.logger)
		})
}
