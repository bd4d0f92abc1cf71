package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"campus/internal/identity"
	"campus/internal/identity/directory"
	"campus/internal/identity/mailer"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/password"
	identitystore "campus/internal/identity/store"
	identityweb "campus/internal/identity/web"
	"campus/internal/mail"
)

// mailboxDir is the developer mailbox's directory inside the data dir.
const mailboxDir = "mailbox"

// identityMail starts identity's mail: SMTP when configured; else, in
// all-in-one mode, the developer mailbox; else (a lone identity without
// SMTP) none, so that confirmation and reset are off.
func identityMail(ctx context.Context, p *process, st *identitystore.Store, o identityOptions, setup identitySetup) (identityweb.MailDeps, error) {
	var deps identityweb.MailDeps
	var sender mail.Sender
	switch {
	case o.mail.SMTPHost != "":
		s, err := mail.NewSMTP(o.mail.smtp())
		if err != nil {
			return deps, fmt.Errorf("smtp: %w", err)
		}
		sender = s
		p.logger.Info("mail goes out through SMTP", "host", o.mail.SMTPHost, "tls", o.mail.SMTPTLS)
	case setup.mailbox != "":
		mb, err := mail.NewMailbox(setup.mailbox)
		if err != nil {
			return deps, fmt.Errorf("developer mailbox: %w", err)
		}
		sender, deps.Mailbox = mb, mb
		p.logger.Warn("no SMTP server configured: mail is kept in the developer mailbox, not sent; set --smtp-host and --smtp-from before real people use this",
			"mailbox", setup.issuer+"/dev/mail", "dir", setup.mailbox)
	default:
		p.logger.Warn("no SMTP server configured: e-mail confirmation and password reset are off, new accounts count as confirmed")
		return deps, nil
	}
	c, err := mailer.NewComposer(o.mail.SiteName, setup.issuer, o.mail.ConfirmTTL, o.mail.ResetTTL)
	if err != nil {
		return deps, err
	}
	w := mailer.NewWorker(st, sender, time.Now, p.logger)
	w.Base, w.Poll = o.mail.RetryBase, min(w.Poll, o.mail.RetryBase)
	go w.Run(ctx)
	deps.Composer, deps.Notify, deps.UnconfirmedSignIn = c, w.Notify, o.mail.UnconfirmedSignIn
	return deps, nil
}

// identityDirectory starts the directory sync when a directory is
// configured; nil otherwise.
func identityDirectory(ctx context.Context, p *process, st *identitystore.Store, storage *oidcop.Storage, o identityOptions, setup identitySetup, c *mailer.Composer) (identityweb.Directory, error) {
	if o.ldap.URL == "" {
		return nil, nil
	}
	s, err := newSyncer(p, st, o, setup, c)
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
				p.logger.Error("end the sessions of an account the directory sync disabled", "account", id, "err", err)
			}
		}
	}
	go s.Run(ctx)
	return s, nil
}

// newSyncer builds the directory sync from the settings, for the server
// and `campus directory sync`.
func newSyncer(p *process, st *identitystore.Store, o identityOptions, setup identitySetup, c *mailer.Composer) (*directory.Syncer, error) {
	client, err := directory.New(o.ldap.directory())
	if err != nil {
		return nil, fmt.Errorf("ldap: %w", err)
	}
	opts := identitystore.DirectoryOptions{DisableMissing: o.ldap.DisableMissing, Role: o.ldap.Role}
	if o.ldap.NewAccounts == "password" {
		if c == nil {
			return nil, fmt.Errorf("--ldap-new-accounts password: mails the passwords, so it needs --smtp-host")
		}
		params := o.passwordParams()
		signIn := setup.home
		if signIn == "" {
			signIn = setup.issuer
		}
		opts.Welcome = func(a identity.Account) (string, identity.Mail, error) {
			pw := password.Generate()
			hash, err := password.Hash(pw, params)
			if err != nil {
				return "", identity.Mail{}, err
			}
			m, err := c.Welcome(a, pw, signIn, o.mail.Language)
			return hash, m, err
		}
	}
	return directory.NewSyncer(client, st, opts, o.ldap.SyncInterval, p.logger, time.Now), nil
}

func mailboxPath(dataDir string) string { return filepath.Join(dataDir, mailboxDir) }
