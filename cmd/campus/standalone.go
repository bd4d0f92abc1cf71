package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"campus/internal/certs"
	"campus/internal/config"
	"campus/internal/httpserver"
	identityservice "campus/internal/identity/service"
	identitystore "campus/internal/identity/store"
	portalservice "campus/internal/portal/service"
	portalstore "campus/internal/portal/store"
	studyservice "campus/internal/study/service"
	studystore "campus/internal/study/store"
)

// standaloneConfig is the configuration of one service running alone.
type standaloneConfig struct {
	server   serverOptions
	db       dbOption
	identity identityservice.Config // identity only
	upstream upstreamOptions        // study and portal
	studyURL string                 // portal only
	service  string
	// study only: its client at identity for introspecting API keys and
	// checking subjects before enrolment.
	introspectID, introspectSecret string
	maxAttempts                    int
	// portal only: its client at identity and the key sealing sessions.
	portalClientID, portalSecret, portalSealKey string
}

func newStandaloneConfig(service string) (*standaloneConfig, *config.Set) {
	summaries := map[string]string{
		"identity": "Run the identity service alone: accounts, sign-in and the OpenID Provider. Its issuer is --public-url.",
		"study":    "Run the study service alone: the REST API for programmes, modules, lectures, enrolments and grades.",
		"portal":   "Run the portal alone: the website, signing in through identity and joining identity and study.",
	}
	c := &standaloneConfig{service: service, db: dbOption{service: service}}
	s := config.NewSet(service, summaries[service])
	c.server.register(s)
	c.db.register(s, "db")
	switch service {
	case "identity":
		registerIdentity(s, &c.identity)
	case "study":
		c.upstream.register(s)
		s.String(&c.introspectID, "study.client_id", "client-id", "CAMPUS_STUDY_CLIENT_ID", "",
			"The study service's client at identity, to introspect API keys and check that people exist before enrolling them (campus clients add --id campus-study --grant-type client_credentials --scope grades:read); without it, API keys and POST /v1/enrolments are refused")
		s.String(&c.introspectSecret, "study.client_secret", "", "CAMPUS_STUDY_CLIENT_SECRET", "", "Its secret", config.Secret(), config.EnvOnly())
		registerMaxAttempts(s, &c.maxAttempts)
	case "portal":
		c.upstream.register(s)
		s.String(&c.studyURL, "study_url", "study-url", "CAMPUS_STUDY_URL", "", "Base URL of the study service, e.g. https://study.example.edu (required)")
		s.String(&c.portalClientID, "portal.client_id", "client-id", "CAMPUS_PORTAL_CLIENT_ID", "campus-portal", "The portal's client at identity (campus clients add --id campus-portal --first-party --redirect-uri https://PORTAL/auth/callback ...)")
		s.String(&c.portalSecret, "portal.client_secret", "", "CAMPUS_PORTAL_CLIENT_SECRET", "", "Its secret (required)", config.Secret(), config.EnvOnly())
		s.String(&c.portalSealKey, "portal.session_key", "", "CAMPUS_PORTAL_SESSION_KEY", "", "32 bytes, base64: seals the tokens kept in sessions; the same on every replica (required)", config.Secret(), config.EnvOnly())
	}
	return c, s
}

func (c *standaloneConfig) validate() []error {
	errs := append(c.server.validate(), c.db.validate()...)
	switch c.service {
	case "identity":
		errs = append(errs, c.identity.Validate()...)
	case "study":
		errs = append(errs, c.upstream.validate()...)
		errs = append(errs, validateMaxAttempts(c.maxAttempts)...)
	case "portal":
		errs = append(errs, c.upstream.validate()...)
		if c.portalSecret == "" {
			errs = append(errs, errors.New("CAMPUS_PORTAL_CLIENT_SECRET is required: the secret of the portal's client at identity"))
		}
		if _, err := identityservice.DecodeKey(c.portalSealKey); err != nil {
			errs = append(errs, fmt.Errorf("CAMPUS_PORTAL_SESSION_KEY: %v", err))
		}
		if c.studyURL == "" {
			errs = append(errs, errors.New("--study-url is required: the study service's base URL"))
		} else if err := checkServiceURL(c.studyURL); err != nil {
			errs = append(errs, fmt.Errorf("--study-url %q: %v", c.studyURL, err))
		}
	}
	return errs
}

func runIdentity(ctx context.Context, e env, args []string) error {
	return runStandalone(ctx, e, "identity", args)
}

func runStudy(ctx context.Context, e env, args []string) error {
	return runStandalone(ctx, e, "study", args)
}

func runPortal(ctx context.Context, e env, args []string) error {
	return runStandalone(ctx, e, "portal", args)
}

// runStandalone runs one service on its own address with its own database,
// as a replica behind a load balancer would. Its routes sit under the path
// of its public URL.
func runStandalone(ctx context.Context, e env, service string, args []string) error {
	c, s := newStandaloneConfig(service)
	if err := load(s, e, args, c.validate); err != nil {
		return err
	}
	p, err := start(e, &c.server, c.db.isSQLite())
	if err != nil {
		return err
	}
	defer p.ln.Close()

	var h http.Handler
	self := p.publicURL.String()
	switch service {
	case "identity":
		d, err := openDB(ctx, p.logger, service, c.db.resolve(p.dataDir), identitystore.Migrations)
		if err != nil {
			return err
		}
		defer d.Close()
		cfg := c.identity
		cfg.Issuer, cfg.Base, cfg.DataDir, cfg.Out = self, p.basePath(), p.dataDir, p.e.stdout
		svc, err := identityservice.New(ctx, d, cfg, p.logger)
		if err != nil {
			return err
		}
		h = svc
	case "study", "portal":
		client, err := certs.Client(c.upstream.CAFile)
		if err != nil {
			return err
		}
		issuer := strings.TrimSuffix(c.upstream.Issuer, "/")
		identityCheck := httpserver.URLCheck("identity", client, issuer+"/healthz")
		if service == "study" {
			d, err := openDB(ctx, p.logger, service, c.db.resolve(p.dataDir), studystore.Migrations)
			if err != nil {
				return err
			}
			defer d.Close()
			if h, err = studyservice.New(ctx, d, studyservice.Config{MaxAttempts: c.maxAttempts, Issuer: issuer, HTTPClient: client,
				ClientID: c.introspectID, ClientSecret: c.introspectSecret, Ready: []httpserver.Check{identityCheck}}, p.logger); err != nil {
				return err
			}
		} else {
			d, err := openDB(ctx, p.logger, service, c.db.resolve(p.dataDir), portalstore.Migrations)
			if err != nil {
				return err
			}
			defer d.Close()
			studyURL := strings.TrimSuffix(c.studyURL, "/")
			studyCheck := httpserver.URLCheck("study", client, studyURL+"/healthz")
			key, _ := identityservice.DecodeKey(c.portalSealKey)
			if h, err = portalservice.New(ctx, d, portalservice.Config{ClientID: c.portalClientID, ClientSecret: c.portalSecret,
				SessionKey: key, SessionTTL: 12 * time.Hour, Version: version, Origin: p.publicURL.Scheme + "://" + p.publicURL.Host,
				Base: p.basePath(), Issuer: issuer, StudyURL: studyURL, HTTPClient: client,
				Ready: []httpserver.Check{identityCheck, studyCheck}}, p.logger); err != nil {
				return err
			}
		}
	}
	mux := http.NewServeMux()
	mount(mux, p.logger, p.basePath(), service, h)
	return p.serve(ctx, mux)
}
