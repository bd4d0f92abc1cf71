package main

import (
	"context"
	"net/http"
	"time"

	"campus/internal/db"
	"campus/internal/httpserver"
	"campus/internal/portal"
	portalstore "campus/internal/portal/store"
	"campus/internal/study/api"
	studystore "campus/internal/study/store"
	"campus/internal/study/subjects"
	"campus/internal/tokencheck"
)

// studySetup is where the study service finds identity.
type studySetup struct {
	issuer string
	// client reaches identity: in-process in all-in-one mode.
	client *http.Client
	// introspectID and introspectSecret are the study service's own client
	// at identity, for introspecting API keys and checking that people
	// exist; empty: keys are refused, and so is enrolling others.
	introspectID, introspectSecret string
	maxAttempts                    int
}

func studyService(ctx context.Context, p *process, d *db.DB, setup studySetup, ready []httpserver.Check) (http.Handler, error) {
	st := studystore.New(d, time.Now)
	st.MaxAttempts = setup.maxAttempts
	revocations := revocationFeed(ctx, p, setup.issuer, setup.client)
	jwt := tokencheck.New(setup.issuer, "campus-study", setup.client, time.Now)
	jwt.Revocations = revocations
	var keys api.Introspector
	var people api.People
	if setup.introspectID != "" && setup.introspectSecret != "" {
		// A revoked key stops within the TTL; a disabled account's keys at
		// once, through the feed.
		keys = api.IdentityIntrospector{Introspector: &tokencheck.Introspector{URL: setup.issuer + "/oauth/introspect", ClientID: setup.introspectID,
			ClientSecret: setup.introspectSecret, Client: setup.client, TTL: introspectionTTL, Now: time.Now, Revocations: revocations}}
		people = &subjects.Checker{Issuer: setup.issuer, ClientID: setup.introspectID, ClientSecret: setup.introspectSecret,
			Client: setup.client, TTL: time.Minute, Now: time.Now}
	} else {
		p.logger.Warn("study: no client credentials at identity configured (CAMPUS_STUDY_CLIENT_ID, CAMPUS_STUDY_CLIENT_SECRET); " +
			"API keys are not accepted, and staff cannot enrol people (POST /v1/enrolments answers 503), as their subject ids cannot be checked")
	}
	return api.NewServer(api.Deps{
		Logger: p.logger,
		Issuer: setup.issuer,
		Ready:  ready,
		Store:  st,
		JWT:    jwt,
		Keys:   keys,
		People: people,
		Now:    time.Now,
	})
}

// introspectionTTL is how long the study service trusts identity's answer
// about an API key: a revoked key stops working within it.
const introspectionTTL = 5 * time.Second

// revocationFeed starts polling identity's revocation feed, which every
// resource server of campus keeps in memory (see tokencheck.Revocations).
func revocationFeed(ctx context.Context, p *process, issuer string, client *http.Client) *tokencheck.Revocations {
	rv := &tokencheck.Revocations{URL: issuer + "/revocations", Client: client, Now: time.Now, Logger: p.logger}
	go rv.Run(ctx)
	return rv
}

// portalSetup is where the portal finds identity and study.
type portalSetup struct {
	origin, base     string
	issuer, studyURL string
	client           *http.Client // reaches identity and study
	clientID, secret string       // its client at identity
	sealKey          []byte       // seals the tokens in its sessions
	sessionTTL       time.Duration
}

// portalScopes are asked for at sign-in; identity grants those the
// person's roles allow.
var portalScopes = []string{"openid", "profile", "email", "offline_access", "users:read", "users:write", "roles:write", "grades:read", "grades:write"}

func portalService(ctx context.Context, p *process, d *db.DB, setup portalSetup, ready []httpserver.Check) (http.Handler, error) {
	return portal.NewServer(portal.Deps{
		Logger:      p.logger,
		Version:     version,
		Origin:      setup.origin,
		Base:        setup.base,
		IdentityURL: setup.issuer,
		StudyURL:    setup.studyURL,
		API:         setup.client,
		Ready:       ready,
		Sessions:    portalstore.New(d, time.Now),
		OIDC: portal.OIDC{Issuer: setup.issuer, ClientID: setup.clientID, ClientSecret: setup.secret,
			Client: setup.client, Scopes: portalScopes},
		Secret:      setup.sealKey,
		SessionTTL:  setup.sessionTTL,
		Now:         time.Now,
		Revocations: revocationFeed(ctx, p, setup.issuer, setup.client),
	})
}
