package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"campus/internal/certs"
	"campus/internal/db"
	"campus/internal/httpserver"
	"campus/internal/identity"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/password"
	"campus/internal/identity/policy"
	identitystore "campus/internal/identity/store"
	identityweb "campus/internal/identity/web"
	"campus/internal/portal"
	portalstore "campus/internal/portal/store"
	"campus/internal/study/api"
	studystore "campus/internal/study/store"
	"campus/internal/study/subjects"
	"campus/internal/tokencheck"
)

// API audiences: every access token names the APIs that accept it.
var apiAudiences = []string{"campus-study", "campus-identity"}

// identitySetup is what identityService needs to know about where it runs.
type identitySetup struct {
	issuer string // identity's issuer URL
	base   string // its path on the origin ("/idp" in all-in-one mode)
	// portalOrigin, when set, registers the portal's client for that origin
	// (all-in-one mode).
	portalOrigin string
	// client delivers back-channel logout tokens; nil: the system's roots.
	client *http.Client
	// mailbox, when set, is the developer mailbox's directory: mail goes
	// there when no SMTP server is configured (all-in-one mode).
	mailbox string
	// home is where people continue after confirming or resetting (the
	// portal), "" when identity runs alone.
	home string
}

// identityService builds identity's handler over its database: the first
// administrator on the very first start, the signing keys, the OpenID
// Provider and the sign-in pages.
func identityService(ctx context.Context, p *process, d *db.DB, o identityOptions, setup identitySetup) (http.Handler, error) {
	st := identitystore.New(d, time.Now)
	hashParams := o.passwordParams()
	first, err := identity.EnsureFirstAdmin(ctx, st, o.admin.Email, o.admin.Password,
		func(pw string) (string, error) { return password.Hash(pw, hashParams) }, password.Generate)
	if err != nil {
		return nil, err
	}
	if first != nil {
		// argon2id just used 19 MiB once; give it back instead of idling on it.
		debug.FreeOSMemory()
		announceAdmin(p.e.stdout, first)
		p.logger.Info("created the first administrator", "email", first.Account.Email, "sub", first.Account.ID)
	}

	secret, err := identitySecret(p, o)
	if err != nil {
		return nil, err
	}
	keys, err := oidcop.NewKeys(st, secret, time.Now)
	if err != nil {
		return nil, err
	}
	if o.SigningKeyFile != "" {
		id, alg, key, err := oidcop.LoadStaticKey(o.SigningKeyFile)
		if err != nil {
			return nil, err
		}
		keys.UseStatic(id, alg, key)
		p.logger.Info("signing with a key from a file", "path", o.SigningKeyFile, "alg", alg, "kid", id)
	}
	if err := keys.Ensure(ctx); err != nil {
		return nil, err
	}
	if err := syncConfigClients(ctx, p.e.stdout, st, o.Clients); err != nil {
		return nil, err
	}
	if setup.portalOrigin != "" {
		if err := st.PutClient(ctx, portalClient(setup.portalOrigin, secret)); err != nil {
			return nil, fmt.Errorf("register the portal's client: %w", err)
		}
		if err := st.PutClient(ctx, studyClient(secret)); err != nil {
			return nil, fmt.Errorf("register the study service's client: %w", err)
		}
	}

	httpClient := setup.client
	if httpClient == nil {
		if httpClient, err = certs.Client(""); err != nil {
			return nil, err
		}
	}
	deliverer := oidcop.NewDeliverer(st, keys, setup.issuer, oidcop.NoRedirects(httpClient), time.Now, p.logger)
	go deliverer.Run(ctx)

	mailDeps, err := identityMail(ctx, p, st, o, setup)
	if err != nil {
		return nil, err
	}
	storage := oidcop.NewStorage(st, keys, oidcop.Config{
		Issuer:          setup.issuer,
		AccessTokenTTL:  o.AccessTokenTTL,
		StepUpTTL:       o.StepUpTTL,
		IDTokenTTL:      o.IDTokenTTL,
		RefreshTokenTTL: o.RefreshTokenTTL,
		SessionCookie:   identityweb.SessionCookie,
		APIAudiences:    apiAudiences,
		Location:        location(o.TimeZone),
		ConfirmFirst:    mailDeps.Composer != nil && !mailDeps.UnconfirmedSignIn,
		SessionEnded: func(context.Context, string, string, []string) {
			deliverer.Notify()
		},
	}, setup.base+"/login", time.Now, p.logger)
	provider, err := oidcop.NewProvider(storage, secret, setup.base+identityweb.LoggedOutPath)
	if err != nil {
		return nil, fmt.Errorf("OpenID Provider: %w", err)
	}
	dir, err := identityDirectory(ctx, p, st, storage, o, setup, mailDeps.Composer)
	if err != nil {
		return nil, err
	}
	return identityweb.NewServer(identityweb.Deps{
		Mail:        mailDeps,
		Home:        setup.home,
		Directory:   dir,
		Logger:      p.logger,
		Issuer:      setup.issuer,
		Base:        setup.base,
		Secure:      strings.HasPrefix(setup.issuer, "https://"),
		Ready:       []httpserver.Check{dbCheck(d)},
		Store:       st,
		Storage:     storage,
		Provider:    provider,
		Admin:       st,
		Revocations: st,
		Now:         time.Now,
		Login: identityweb.LoginConfig{
			Welcome:        o.Welcome,
			SessionTTL:     o.SessionTTL,
			Password:       hashParams,
			Lockout:        policy.Lockout{MaxAttempts: o.MaxLoginAttempts, Duration: time.Duration(o.LockoutMinutes) * time.Minute},
			PerIPPerMinute: o.SignInsPerIPMinute,
			Location:       location(o.TimeZone),
			Policy:         policy.PasswordPolicy{MinLength: o.PasswordMinLength, MaxLength: 256, RefuseCommon: o.RefuseCommon},
		},
	})
}

// location is a validated time zone name's location.
func location(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// identitySecret is the key-encryption key: from configuration, or a file
// in the data directory made on the first start.
func identitySecret(p *process, o identityOptions) ([]byte, error) {
	if o.KeyEncryptionKey != "" {
		return decodeKey(o.KeyEncryptionKey)
	}
	path := filepath.Join(p.dataDir, "identity-secret.key")
	if b, err := os.ReadFile(path); err == nil {
		k, err := decodeKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if err := ensureDir(p.dataDir); err != nil {
		return nil, err
	}
	k := make([]byte, 32)
	rand.Read(k)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	p.logger.Info("created the key that encrypts identity's signing keys; back it up with the database", "path", path)
	return k, nil
}

// The clients of campus's own services at identity, in all-in-one mode.
const (
	PortalClientID = "campus-portal"
	StudyClientID  = "campus-study"
)

// derivedSecret derives a built-in client's secret from identity's secret,
// so that the parts of an all-in-one process agree without storing it.
func derivedSecret(secret []byte, clientID string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(clientID + " client secret"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// studyClient lets the study service introspect API keys and, with a
// client-credentials token of scope grades:read, ask identity's people
// endpoint whether a subject it is to enrol exists.
func studyClient(secret []byte) identity.Client {
	return identity.Client{ID: StudyClientID, Name: "campus study service", SecretHash: oidcop.HashToken(derivedSecret(secret, StudyClientID)),
		FirstParty: true, GrantTypes: []string{"client_credentials"}, Scopes: []string{subjects.Scope}, IDTokenAlg: "RS256", Source: "builtin"}
}

func portalClient(origin string, secret []byte) identity.Client {
	return identity.Client{
		ID:                     PortalClientID,
		Name:                   "campus portal",
		SecretHash:             oidcop.HashToken(derivedSecret(secret, PortalClientID)),
		FirstParty:             true,
		RedirectURIs:           []string{origin + "/auth/callback"},
		PostLogoutRedirectURIs: []string{origin + "/"},
		GrantTypes:             []string{"authorization_code", "refresh_token"},
		Scopes:                 []string{"users:read", "users:write", "roles:write", "studies:write", "grades:write", "grades:read"},
		BackchannelLogoutURI:   origin + "/auth/backchannel-logout",
		IDTokenAlg:             "RS256",
		Source:                 "builtin",
	}
}

// announceAdmin shows the first administrator's credentials on the
// terminal, once; they never go to the log.
func announceAdmin(w io.Writer, f *identity.FirstAdmin) {
	fmt.Fprintln(w, "")
	fmt.Fprintln(w, "  campus created the administrator account:")
	fmt.Fprintf(w, "    username: %s\n", f.Account.Username)
	fmt.Fprintf(w, "    e-mail:   %s\n", f.Account.Email)
	if f.Password != "" {
		fmt.Fprintf(w, "    password: %s\n", f.Password)
		fmt.Fprintln(w, "  This password is shown only this once. Sign in and change it.")
	} else {
		fmt.Fprintln(w, "    password: the one in CAMPUS_ADMIN_PASSWORD")
	}
	fmt.Fprintln(w, "")
}

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
