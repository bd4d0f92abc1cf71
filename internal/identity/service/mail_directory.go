package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"campus/internal/background"
	"campus/internal/identity"
	"campus/internal/identity/directory"
	"campus/internal/identity/mailer"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/password"
	identitystore "campus/internal/identity/store"
	identityweb "campus/internal/identity/web"
	"campus/internal/mail"
)

// startMail starts identity's mail: SMTP when configured; else, in
// all-in-one mode, the developer mailbox; else (a lone identity without
// SMTP) none, so that confirmation and reset are off.
func startMail(ctx context.Context, st *identitystore.Store, cfg Config, logger *slog.Logger) (identityweb.MailDeps, error) {
	var deps identityweb.MailDeps
	var sender mail.Sender
	switch {
	case cfg.Mail.SMTP.Host != "":
		s, err := mail.NewSMTP(cfg.Mail.SMTP)
		if err != nil {
			return deps, fmt.Errorf("smtp: %w", err)
		}
		sender = s
		logger.Info("mail goes out through SMTP", "host", cfg.Mail.SMTP.Host, "tls", cfg.Mail.SMTP.TLS)
	case cfg.Mailbox != "":
		mb, err := mail.NewMailbox(cfg.Mailbox)
		if err != nil {
			return deps, fmt.Errorf("developer mailbox: %w", err)
		}
		sender, deps.Mailbox = mb, mb
		logger.Warn("no SMTP server configured: mail is kept in the developer mailbox, not sent; set --smtp-host and --smtp-from before real people use this",
			"mailbox", cfg.Issuer+"/dev/mail", "dir", cfg.Mailbox)
	default:
		logger.Warn("no SMTP server configured: e-mail confirmation and password reset are off, new accounts count as confirmed")
		return deps, nil
	}
	c, err := mailer.NewComposer(cfg.Mail.SiteName, cfg.Issuer, cfg.Mail.ConfirmTTL, cfg.Mail.ResetTTL)
	if err != nil {
		return deps, err
	}
	c.Default = cfg.Mail.Language
	w := mailer.NewWorker(st, sender, time.Now, logger)
	w.Lease = cfg.JobLease
	w.Base, w.Poll = cfg.Mail.RetryBase, min(w.Poll, cfg.Mail.RetryBase)
	if m := cfg.Metrics.Identity(); m != nil {
		w.Attempted = func(err error) { m.Attempted("mail", err) }
	}
	background.AfterStart(ctx, func() { w.Run(ctx) })
	deps.Composer, deps.Notify, deps.UnconfirmedSignIn = c, w.Notify, cfg.Mail.UnconfirmedSignIn
	return deps, nil
}

// startDirectory starts the directory sync when a directory is
// configured; nil otherwise.
func startDirectory(ctx context.Context, st *identitystore.Store, storage *oidcop.Storage, cfg Config, c *mailer.Composer, logger *slog.Logger) (identityweb.Directory, error) {
	if cfg.Directory.LDAP.URL == "" {
		return nil, nil
	}
	s, err := newSyncer(st, cfg, c, logger)
	if err != nil {
		return nil, err
	}
	// Those who left the group are signed out everywhere (their
	// applications hear it by back-channel logout).
	s.Disabled = func(ctx context.Context, ids []string) {
		for _, id := range ids {
			sids, err := st.SessionsOf(ctx, id)
			for _, sid := range sids {
				err = errors.Join(err, storage.EndSession(ctx, identity.Session{ID: sid, AccountID: id}))
			}
			if err != nil {
				logger.Error("end the sessions of an account the directory sync disabled", "account", id, "err", err)
			}
		}
	}
	if m := cfg.Metrics.Identity(); m != nil {
		s.Finished = m.DirectorySynced
	}
	background.AfterStart(ctx, func() { s.Run(ctx) })
	return s, nil
}

// NewDirectorySync builds the directory sync for `campus directory sync`,
// beside the server: welcome mails of new accounts (with
// Directory.NewAccounts "password") wait in the outbox, which the server
// sends. site is the URL people reach campus at.
func NewDirectorySync(st *identitystore.Store, cfg Config, site string, logger *slog.Logger) (*directory.Syncer, error) {
	base := strings.TrimSuffix(site, "/")
	cfg.Issuer, cfg.Home = base+"/idp", base+"/"
	var c *mailer.Composer
	if cfg.Directory.NewAccounts == "password" {
		var err error
		if c, err = mailer.NewComposer(cfg.Mail.SiteName, cfg.Issuer, cfg.Mail.ConfirmTTL, cfg.Mail.ResetTTL); err != nil {
			return nil, err
		}
		c.Default = cfg.Mail.Language
	}
	if cfg.Argon2MemoryKiB == 0 {
		cfg.Argon2MemoryKiB, cfg.Argon2Time, cfg.Argon2Threads = int(password.Default.Memory), int(password.Default.Time), int(password.Default.Threads)
	}
	return newSyncer(st, cfg, c, logger)
}

// newSyncer builds the directory sync from the settings, for the server
// and `campus directory sync`.
func newSyncer(st *identitystore.Store, cfg Config, c *mailer.Composer, logger *slog.Logger) (*directory.Syncer, error) {
	client, err := directory.New(cfg.Directory.LDAP)
	if err != nil {
		return nil, fmt.Errorf("ldap: %w", err)
	}
	opts := identitystore.DirectoryOptions{DisableMissing: cfg.Directory.DisableMissing, Role: cfg.Directory.Role}
	if cfg.Directory.NewAccounts == "password" {
		if c == nil {
			return nil, fmt.Errorf("--ldap-new-accounts password: mails the passwords, so it needs --smtp-host")
		}
		params := cfg.PasswordParams()
		signIn := cfg.Home
		if signIn == "" {
			signIn = cfg.Issuer
		}
		opts.Welcome = func(a identity.Account) (string, identity.Mail, error) {
			pw := password.Generate()
			hash, err := password.Hash(pw, params)
			if err != nil {
				return "", identity.Mail{}, err
			}
			// No request asks: the person's choice, else --mail-language.
			m, err := c.Welcome(a, pw, signIn, "")
			return hash, m, err
		}
	}
	s := directory.NewSyncer(client, st, opts, cfg.Directory.SyncInterval, logger, time.Now)
	s.LeaseTTL = cfg.JobLease
	return s, nil
}
