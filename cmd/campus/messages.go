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
	messagesservice "campus/internal/messages/service"
	messagesstore "campus/internal/messages/store"
)

// messagesConfig is the configuration of `campus messages`.
type messagesConfig struct {
	server   serverOptions
	db       dbOption
	upstream upstreamOptions
	messages messagesservice.Config
}

func newMessagesConfig() (*messagesConfig, *config.Set) {
	c := &messagesConfig{db: dbOption{service: "messages"}}
	s := config.NewSet("messages", "Run the messages service alone: the REST API and event stream for conversations, groups, course groups and notices.")
	c.server.register(s)
	c.db.register(s, "db")
	c.upstream.register(s)
	s.String(&c.messages.ClientID, "messages.client_id", "client-id", "CAMPUS_MESSAGES_CLIENT_ID", "",
		"The messages service's client at identity, to introspect API keys, look people up, mail digests and read the study service's rosters (register it with 'campus clients add --messages', which prints this and the secret)")
	s.String(&c.messages.ClientSecret, "messages.client_secret", "", "CAMPUS_MESSAGES_CLIENT_SECRET", "", "Its secret", config.Secret(), config.EnvOnly())
	s.String(&c.messages.StudyURL, "messages.study_url", "study-url", "CAMPUS_STUDY_URL", "",
		"Base URL of the study service, whose rosters make the course groups, e.g. https://study.example.edu (empty: course groups stay as they are)")
	registerMessages(s, &c.messages)
	return c, s
}

func (c *messagesConfig) validate() []error {
	errs := append(c.server.validate(), c.db.validate()...)
	errs = append(errs, c.upstream.validate()...)
	if c.messages.StudyURL != "" {
		if err := checkServiceURL(c.messages.StudyURL); err != nil {
			errs = append(errs, fmt.Errorf("--study-url %q: %v", c.messages.StudyURL, err))
		}
	}
	if (c.messages.ClientID == "") != (c.messages.ClientSecret == "") {
		errs = append(errs, errors.New("--client-id and CAMPUS_MESSAGES_CLIENT_SECRET go together"))
	}
	return append(errs, c.messages.Validate()...)
}

// runMessages runs the messages service alone, finding identity at
// --issuer and the study service at --study-url.
func runMessages(ctx context.Context, e env, args []string) error {
	c, s := newMessagesConfig()
	if err := load(s, e, args, c.validate); err != nil {
		return err
	}
	return serveAlone(ctx, e, "messages", &c.server, &c.db, messagesstore.Migrations,
		func(ctx context.Context, p *process, d *db.DB) (http.Handler, error) {
			client, err := certs.Client(c.upstream.CAFile)
			if err != nil {
				return nil, err
			}
			client = p.tracing.Client(client)
			cfg := c.messages
			cfg.Issuer, cfg.HTTPClient = strings.TrimSuffix(c.upstream.Issuer, "/"), client
			cfg.StudyURL = strings.TrimSuffix(cfg.StudyURL, "/")
			cfg.Ready = []httpserver.Check{httpserver.URLCheck("identity", client, cfg.Issuer+"/healthz")}
			return messagesservice.New(ctx, d, cfg, p.logger)
		})
}
