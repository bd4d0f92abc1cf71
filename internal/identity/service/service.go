package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"campus/internal/background"
	"campus/internal/certs"
	"campus/internal/db"
	"campus/internal/httpserver"
	"campus/internal/identity"
	"campus/internal/identity/events"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/password"
	"campus/internal/identity/policy"
	identitystore "campus/internal/identity/store"
	identityweb "campus/internal/identity/web"
	"campus/internal/tokencheck"
)

// APIAudiences are the APIs every access token names: those that accept it.
// A token's scopes still decide what each API lets it do.
var APIAudiences = []string{"campus-study", "campus-identity", "campus-messages"}

// Service is a running identity: its handler, and the secret campus's own
// services derive their client secrets from in all-in-one mode.
type Service struct {
	http.Handler
	Store  *identitystore.Store
	secret []byte
}

// ClientSecret is the secret of one of campus's own clients
// (PortalClientID, StudyClientID, MessagesClientID), derived from identity's secret so that
// the parts of an all-in-one process agree without storing it.
func (s *Service) ClientSecret(id string) string { return derivedSecret(s.secret, id) }

// RevocationSource is the revocation feed ({issuer}/revocations) read
// from identity's store without HTTP, for the resource servers of the
// same process (all-in-one mode): the entries the feed would send. On
// SQLite it is versioned by the database's data version, so a write of a
// resource server checks one number while identity's database is unchanged.
func (s *Service) RevocationSource() tokencheck.Source { return revocationSource{s} }

type revocationSource struct{ s *Service }

func (r revocationSource) Revocations(ctx context.Context, since time.Time) ([]tokencheck.FeedEntry, time.Time, error) {
	list, asOf, err := r.s.Store.Revocations(ctx, since)
	if err != nil {
		return nil, time.Time{}, err
	}
	out := make([]tokencheck.FeedEntry, len(list))
	for i, e := range list {
		out[i] = tokencheck.FeedEntry{Kind: e.Kind, Hash: identityweb.FeedHash(e.Value), At: e.At.UTC(), Expires: e.Expires.UTC()}
	}
	return out, asOf, nil
}

// Version changes with every commit to identity's database (any table,
// any process): more often than revocations, never less.
func (r revocationSource) Version(ctx context.Context) (int64, bool, error) {
	return r.s.Store.DataVersion(ctx)
}

// PortalSessionKey seals the portal's sessions in all-in-one mode, derived
// the same way.
func (s *Service) PortalSessionKey() []byte {
	return []byte(derivedSecret(s.secret, "portal sessions"))
}

// New builds identity over its database: the first administrator on the
// very first start, the signing keys, the applications of the config file
// (and, with PortalOrigin, those of the portal and the study service), the
// OpenID Provider and the sign-in pages. It starts the workers that
// deliver back-channel logout tokens, send mail and sync the directory;
// they stop with ctx.
func New(ctx context.Context, d *db.DB, cfg Config, logger *slog.Logger) (*Service, error) {
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	secret, err := Secret(cfg.DataDir, cfg.KeyEncryptionKey, logger)
	if err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, d, secret, logger)
	if err != nil {
		return nil, err
	}
	hashParams := cfg.PasswordParams()
	if cfg.Admin.Password != "" {
		done, err := st.FirstAdminCreated(ctx)
		if err != nil {
			return nil, err
		}
		if !done {
			if err := cfg.Admin.CheckPassword(cfg.PasswordPolicy()); err != nil {
				return nil, err
			}
		}
	}
	first, err := identity.EnsureFirstAdmin(ctx, st, cfg.Admin.Email, cfg.Admin.Password,
		func(pw string) (string, error) { return password.Hash(pw, hashParams) }, password.Generate)
	if err != nil {
		return nil, err
	}
	if first != nil {
		// argon2id just used 19 MiB once; give it back instead of idling on it.
		debug.FreeOSMemory()
		announceAdmin(out, first)
		logger.Info("created the first administrator", "sub", first.Account.ID)
	}

	keys, err := oidcop.NewKeys(st, secret, time.Now)
	if err != nil {
		return nil, err
	}
	if cfg.SigningKeyFile != "" {
		id, alg, key, err := oidcop.LoadStaticKey(cfg.SigningKeyFile)
		if err != nil {
			return nil, err
		}
		keys.UseStatic(id, alg, key)
		logger.Info("signing with a key from a file", "path", cfg.SigningKeyFile, "alg", alg, "kid", id)
	}
	if err := keys.Ensure(ctx); err != nil {
		return nil, err
	}
	if err := syncConfigClients(ctx, out, st, cfg.Clients); err != nil {
		return nil, err
	}
	if err := st.PutClient(ctx, CLIClient()); err != nil {
		return nil, fmt.Errorf("register the client of campus login: %w", err)
	}
	if cfg.PortalOrigin != "" {
		if err := st.PutClient(ctx, portalClient(cfg.PortalOrigin, secret)); err != nil {
			return nil, fmt.Errorf("register the portal's client: %w", err)
		}
		if err := st.PutClient(ctx, studyClient(secret)); err != nil {
			return nil, fmt.Errorf("register the study service's client: %w", err)
		}
		if err := st.PutClient(ctx, messagesClient(secret)); err != nil {
			return nil, fmt.Errorf("register the messages service's client: %w", err)
		}
	}

	httpClient := cfg.HTTPClient
	if httpClient == nil {
		if httpClient, err = certs.Client(cfg.CAFile); err != nil {
			return nil, err
		}
	}
	m := watch(cfg.Metrics, st)
	deliverer := oidcop.NewDeliverer(st, keys, cfg.Issuer, oidcop.NoRedirects(httpClient), time.Now, logger)
	if m != nil {
		deliverer.Attempted = func(err error) { m.Attempted("logout", err) }
	}
	deliverer.Lease = cfg.JobLease
	if cfg.LogoutRetryBase > 0 {
		deliverer.Base, deliverer.Poll = cfg.LogoutRetryBase, min(deliverer.Poll, cfg.LogoutRetryBase)
	}
	background.AfterStart(ctx, func() { deliverer.Run(ctx) })
	background.AfterStart(ctx, func() {
		db.Housekeep(ctx, logger, "identity: expired tokens, sessions, links and done outbox entries", func(ctx context.Context) (int64, error) {
			purged, err := st.Purge(ctx)
			return purged.Total(), err
		})
	})

	// An event's accounts end (deleted or disabled) once its last day is
	// over; until then its window already refuses them.
	background.AfterStart(ctx, func() {
		db.Housekeep(ctx, logger, "identity: events past their last day", func(ctx context.Context) (int64, error) {
			return events.EndDue(ctx, st, time.Now(), location(cfg.TimeZone))
		})
	})

	mailDeps, err := startMail(ctx, st, cfg, logger)
	if err != nil {
		return nil, err
	}
	storage := oidcop.NewStorage(st, keys, oidcop.Config{
		Issuer:             cfg.Issuer,
		AccessTokenTTL:     cfg.AccessTokenTTL,
		StepUpTTL:          cfg.StepUpTTL,
		DeviceCodeTTL:      cfg.DeviceCodeTTL,
		DevicePollInterval: cfg.DevicePollInterval,
		IDTokenTTL:         cfg.IDTokenTTL,
		RefreshTokenTTL:    cfg.RefreshTokenTTL,
		SessionCookie:      identityweb.SessionCookie,
		APIAudiences:       APIAudiences,
		Location:           location(cfg.TimeZone),
		MFARoles:           cfg.resolvedMFARoles(),
		ConfirmFirst:       mailDeps.Composer != nil && !mailDeps.UnconfirmedSignIn,
		SessionEnded: func(context.Context, string, string, []string) {
			deliverer.Notify()
		},
		TokenIssued: m.TokenIssued, // a no-op on nil
	}, cfg.Base+"/login", time.Now, logger)
	provider, err := oidcop.NewProvider(storage, secret, cfg.Base+identityweb.LoggedOutPath)
	if err != nil {
		return nil, fmt.Errorf("OpenID Provider: %w", err)
	}
	dir, err := startDirectory(ctx, st, storage, cfg, mailDeps.Composer, logger)
	if err != nil {
		return nil, err
	}
	h, err := identityweb.NewServer(identityweb.Deps{
		Mail:      mailDeps,
		Home:      cfg.Home,
		Directory: dir,
		Logger:    logger,
		Issuer:    cfg.Issuer,
		Base:      cfg.Base,
		Secure:    strings.HasPrefix(cfg.Issuer, "https://"),
		Ready:     []httpserver.Check{{Name: "database", Fn: d.Ping}},
		Store:     st,
		Storage:   storage,
		Provider:  provider,
		Now:       time.Now,
		Login: identityweb.LoginConfig{
			Welcome:        cfg.Welcome,
			WelcomeDE:      cfg.WelcomeDE,
			SessionTTL:     cfg.SessionTTL,
			Password:       hashParams,
			Lockout:        policy.Lockout{MaxAttempts: cfg.MaxLoginAttempts, Duration: time.Duration(cfg.LockoutMinutes) * time.Minute},
			PerIPPerMinute: cfg.SignInsPerIPMinute,
			Location:       location(cfg.TimeZone),
			Policy:         cfg.PasswordPolicy(),
			MFARoles:       cfg.mfaRoles(),
		},
	})
	if err != nil {
		return nil, err
	}
	return &Service{Handler: h, Store: st, secret: secret}, nil
}

// mfaRoles is the roles requiring a second factor: "none" is none, an
// unset list the default (admin).
func (c Config) mfaRoles() []string {
	if len(c.MFARoles) == 1 && c.MFARoles[0] == "none" {
		return []string{}
	}
	if len(c.MFARoles) == 0 {
		return nil
	}
	return c.MFARoles
}

// resolvedMFARoles is mfaRoles with the default filled in.
func (c Config) resolvedMFARoles() []string {
	if r := c.mfaRoles(); r != nil {
		return r
	}
	return identityweb.DefaultMFARoles
}

// location is a validated time zone name's location.
func location(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
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
