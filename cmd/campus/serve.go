package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"campus/internal/background"
	"campus/internal/certs"
	"campus/internal/config"
	"campus/internal/demo"
	"campus/internal/httpserver"
	identityservice "campus/internal/identity/service"
	identitystore "campus/internal/identity/store"
	messagesservice "campus/internal/messages/service"
	messagesstore "campus/internal/messages/store"
	portalservice "campus/internal/portal/service"
	portalstore "campus/internal/portal/store"
	studyservice "campus/internal/study/service"
	studystore "campus/internal/study/store"
	"campus/internal/tokencheck"
)

type serveConfig struct {
	server                        serverOptions
	identity                      identityservice.Config
	identityDB, studyDB, portalDB dbOption
	messagesDB                    dbOption
	study                         studyservice.Config
	messages                      messagesservice.Config
	backups                       backupSchedule
	demo                          bool
}

func newServeConfig() (*serveConfig, *config.Set) {
	c := &serveConfig{}
	c.identityDB, c.studyDB, c.portalDB, c.messagesDB = serviceDBs()
	s := config.NewSet("serve", "Run identity, study, messages and portal in one process on one HTTPS port: portal at /, identity at /idp/, the study API at /study/, the messages API at /messages/.")
	c.server.register(s)
	c.identityDB.register(s, "identity-db")
	c.studyDB.register(s, "study-db")
	c.portalDB.register(s, "portal-db")
	c.messagesDB.register(s, "messages-db")
	registerIdentity(s, &c.identity)
	registerStudy(s, &c.study)
	registerStudyAccess(s, &c.study)
	registerMessages(s, &c.messages)
	c.backups.register(s)
	s.String(&c.identity.CAFile, "ca_file", "ca-file", "CAMPUS_CA_FILE", "",
		"PEM file of CA certificates to trust when calling other hosts: back-channel logout deliveries to applications with a private CA (default: the system's)")
	s.Bool(&c.demo, "demo", "demo", "CAMPUS_DEMO", "false", "Load demo data (programmes, modules, lectures, demo students and staff) into an empty campus at start")
	return c, s
}

func (c *serveConfig) validate() []error {
	errs := c.server.validate()
	errs = append(errs, c.identityDB.validate()...)
	errs = append(errs, c.studyDB.validate()...)
	errs = append(errs, c.portalDB.validate()...)
	errs = append(errs, c.messagesDB.validate()...)
	errs = append(errs, c.study.Validate()...)
	errs = append(errs, c.messages.Validate()...)
	errs = append(errs, c.backups.validate()...)
	return append(errs, c.identity.Validate()...)
}

// runServe runs the whole system in one process: one origin, three
// services, each with its own database.
func runServe(ctx context.Context, e env, args []string) error {
	c, s := newServeConfig()
	if err := load(s, e, args, c.validate); err != nil {
		return err
	}
	needData := c.identityDB.isSQLite() || c.studyDB.isSQLite() || c.portalDB.isSQLite() || c.messagesDB.isSQLite()
	p, err := start(e, &c.server, needData)
	if err != nil {
		return err
	}
	defer p.close()
	stopObserving, err := p.observe(ctx, "campus")
	if err != nil {
		return err
	}
	defer stopObserving()
	existing := hadData(p, &c.identityDB)

	idb, err := openDB(ctx, p.logger, "identity", c.identityDB.resolve(p.dataDir), identitystore.Migrations)
	if err != nil {
		return err
	}
	defer idb.Close()
	sdb, err := openDB(ctx, p.logger, "study", c.studyDB.resolve(p.dataDir), studystore.Migrations)
	if err != nil {
		return err
	}
	defer sdb.Close()
	pdb, err := openDB(ctx, p.logger, "portal", c.portalDB.resolve(p.dataDir), portalstore.Migrations)
	if err != nil {
		return err
	}
	defer pdb.Close()
	mdb, err := openDB(ctx, p.logger, "messages", c.messagesDB.resolve(p.dataDir), messagesstore.Migrations)
	if err != nil {
		return err
	}
	defer mdb.Close()
	ctx, stopWork := workUntilClosed(ctx, p)
	defer stopWork()
	p.metrics.Database("identity", idb)
	p.metrics.Database("study", sdb)
	p.metrics.Database("portal", pdb)
	p.metrics.Database("messages", mdb)
	if c.identityDB.isSQLite() {
		p.metrics.Backups((&backupOptions{Dir: c.backups.Dir}).dir(p.dataDir))
	}

	base := p.basePath()
	origin := p.publicURL.String()
	issuer := origin + "/idp"
	identityCheck := httpserver.Check{Name: "identity", Fn: idb.Ping}

	// The services reach each other through the process itself: study reads
	// identity's keys, the portal signs in, identity delivers logout tokens
	// to the portal. Other hosts go over the network.
	network, err := certs.Client(c.identity.CAFile)
	if err != nil {
		return err
	}
	loop := &inProcess{host: p.publicURL.Host, next: network.Transport}
	loopClient := &http.Client{Transport: p.tracing.Transport(loop), Timeout: 15 * time.Second}
	icfg := c.identity
	icfg.Issuer, icfg.Base, icfg.DataDir, icfg.PortalOrigin = issuer, base+"/idp", p.dataDir, origin
	icfg.HTTPClient, icfg.Mailbox, icfg.Home, icfg.Out = loopClient, mailboxPath(p.dataDir), p.publicURL.String(), p.e.stdout
	icfg.Metrics = p.metrics
	identitySvc, err := identityservice.New(ctx, idb, icfg, p.logger)
	if err != nil {
		return err
	}
	// The resource servers read identity's revocations from its store, in
	// this process, rather than through its feed's handler.
	// One copy of the feed serves study, messages and the portal.
	revocations := &tokencheck.Revocations{URL: issuer + "/revocations", Source: identitySvc.RevocationSource(), Now: time.Now, Logger: p.logger}
	background.Go(ctx, func() { revocations.Run(ctx) })
	studyH, err := studyservice.New(ctx, sdb, studyservice.Config{MaxAttempts: c.study.MaxAttempts, RequireMFA: c.study.RequireMFA, Issuer: issuer, HTTPClient: loopClient,
		Revocations: revocations,
		ClientID:    identityservice.StudyClientID, ClientSecret: identitySvc.ClientSecret(identityservice.StudyClientID),
		MessagesURL: origin + "/messages", Metrics: p.metrics,
		Ready: []httpserver.Check{identityCheck}}, p.logger)
	if err != nil {
		return err
	}
	mcfg := c.messages
	mcfg.Issuer, mcfg.HTTPClient, mcfg.StudyURL, mcfg.Ready = issuer, loopClient, origin+"/study", []httpserver.Check{identityCheck}
	mcfg.Revocations = revocations
	mcfg.ClientID, mcfg.ClientSecret = identityservice.MessagesClientID, identitySvc.ClientSecret(identityservice.MessagesClientID)
	messagesH, err := messagesservice.New(ctx, mdb, mcfg, p.logger)
	if err != nil {
		return err
	}
	portalH, err := portalservice.New(ctx, pdb, portalservice.Config{ClientID: identityservice.PortalClientID,
		ClientSecret: identitySvc.ClientSecret(identityservice.PortalClientID), SessionKey: identitySvc.PortalSessionKey(),
		SessionTTL: c.identity.SessionTTL, Version: version, Origin: p.publicURL.Scheme + "://" + p.publicURL.Host, Base: base,
		Issuer: issuer, StudyURL: origin + "/study", MessagesURL: origin + "/messages", HTTPClient: loopClient, Revocations: revocations,
		Ready: []httpserver.Check{identityCheck}}, p.logger)
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mount(mux, p, base+"/idp", "identity", identitySvc)
	mount(mux, p, base+"/study", "study", studyH)
	mount(mux, p, base+"/messages", "messages", messagesH)
	// The process's own probes cover every service; they take the root's
	// /healthz and /readyz, where the portal's would otherwise be.
	probes := http.NewServeMux()
	probes.Handle("GET /healthz", httpserver.Healthz("campus"))
	probes.Handle("GET /readyz", httpserver.Readyz("campus", p.logger,
		httpserver.Check{Name: "identity", Fn: idb.Ping},
		httpserver.Check{Name: "study", Fn: sdb.Ping},
		httpserver.Check{Name: "portal", Fn: pdb.Ping},
		httpserver.Check{Name: "messages", Fn: mdb.Ping}))
	probeH := http.StripPrefix(base, httpserver.Chain(probes, httpserver.Log(p.logger, "campus"), httpserver.Recover(p.logger)))
	mux.Handle("GET "+base+"/healthz", probeH)
	mux.Handle("GET "+base+"/readyz", probeH)
	mount(mux, p, base, "portal", portalH)

	if c.demo {
		sst := studyservice.NewStore(sdb, c.study)
		if err := demo.Load(ctx, p.e.stdout, identitySvc.Store, sst, c.identity.PasswordParams()); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	loop.set(mux)
	// The backups end with the server: stop first, then wait for one in
	// progress (deferred calls run last first).
	ctx, stop := context.WithCancel(ctx)
	defer c.backups.start(ctx, p, existing, &c.identityDB, &c.studyDB, &c.portalDB, &c.messagesDB)()
	defer stop()
	return p.serve(ctx, mux)
}

// mailboxDir is the developer mailbox's directory inside the data dir.
const mailboxDir = "mailbox"

func mailboxPath(dataDir string) string { return filepath.Join(dataDir, mailboxDir) }
