package main

import (
	"context"
	"net/http"
	"strings"

	"campus/internal/certs"
	"campus/internal/config"
	"campus/internal/db"
	"campus/internal/httpserver"
	studyservice "campus/internal/study/service"
	studystore "campus/internal/study/store"
)

// studyConfig is the configuration of `campus study`.
type studyConfig struct {
	server   serverOptions
	db       dbOption
	upstream upstreamOptions
	study    studyservice.Config
}

func newStudyConfig() (*studyConfig, *config.Set) {
	c := &studyConfig{db: dbOption{service: "study"}}
	s := config.NewSet("study", "Run the study service alone: the REST API for programmes, modules, lectures, enrolments and grades.")
	c.server.register(s)
	c.db.register(s, "db")
	c.upstream.register(s)
	s.String(&c.study.ClientID, "study.client_id", "client-id", "CAMPUS_STUDY_CLIENT_ID", "",
		"The study service's client at identity, to introspect API keys and check that people exist before enrolling them (register it with 'campus clients add --study', which prints this and the secret); without it, API keys and POST /v1/enrolments are refused")
	s.String(&c.study.ClientSecret, "study.client_secret", "", "CAMPUS_STUDY_CLIENT_SECRET", "", "Its secret", config.Secret(), config.EnvOnly())
	s.String(&c.study.MessagesURL, "study.messages_url", "messages-url", "CAMPUS_MESSAGES_URL", "",
		"Base URL of the messages service, where notices go when a grade is published or a programme changes, e.g. https://messages.example.edu (sent with the client credentials above, scope messages:notify; empty: no notices)")
	registerStudy(s, &c.study)
	registerStudyAccess(s, &c.study)
	return c, s
}

func (c *studyConfig) validate() []error {
	errs := append(c.server.validate(), c.db.validate()...)
	errs = append(errs, c.upstream.validate()...)
	return append(errs, c.study.Validate()...)
}

// runStudy runs the study service alone, finding identity at --issuer.
func runStudy(ctx context.Context, e env, args []string) error {
	c, s := newStudyConfig()
	if err := load(s, e, args, c.validate); err != nil {
		return err
	}
	return serveAlone(ctx, e, "study", &c.server, &c.db, studystore.Migrations,
		func(ctx context.Context, p *process, d *db.DB) (http.Handler, error) {
			client, err := certs.Client(c.upstream.CAFile)
			if err != nil {
				return nil, err
			}
			client = p.tracing.Client(client)
			cfg := c.study
			cfg.Issuer, cfg.HTTPClient = strings.TrimSuffix(c.upstream.Issuer, "/"), client
			cfg.MessagesURL = strings.TrimSuffix(cfg.MessagesURL, "/")
			cfg.Ready = []httpserver.Check{httpserver.URLCheck("identity", client, cfg.Issuer+"/healthz")}
			cfg.Metrics = p.metrics
			return studyservice.New(ctx, d, cfg, p.logger)
		})
}
