package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"time"

	"campus/internal/db"
	"campus/internal/httpserver"
	"campus/internal/identity"
	"campus/internal/identity/password"
	identitystore "campus/internal/identity/store"
	identityweb "campus/internal/identity/web"
	"campus/internal/portal"
	"campus/internal/study/api"
)

// identityService builds identity's handler over its database and creates
// the first administrator on the very first start.
func identityService(ctx context.Context, p *process, d *db.DB, admin adminOptions, issuer string) (http.Handler, error) {
	st := identitystore.New(d, time.Now)
	first, err := identity.EnsureFirstAdmin(ctx, st, admin.Email, admin.Password,
		func(pw string) (string, error) { return password.Hash(pw, password.Default) }, password.Generate)
	if err != nil {
		return nil, err
	}
	if first != nil {
		// argon2id just used 19 MiB once; give it back instead of idling on it.
		debug.FreeOSMemory()
		announceAdmin(p.e.stdout, first)
		p.logger.Info("created the first administrator", "email", first.Account.Email, "sub", first.Account.ID)
	}
	return identityweb.NewServer(identityweb.Deps{
		Logger: p.logger,
		Issuer: issuer,
		Ready:  []httpserver.Check{dbCheck(d)},
	}), nil
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

func studyService(p *process, issuer string, ready []httpserver.Check) http.Handler {
	return api.NewServer(api.Deps{Logger: p.logger, Issuer: issuer, Ready: ready})
}

func portalService(p *process, base, identityURL, studyURL string, ready []httpserver.Check) (http.Handler, error) {
	return portal.NewServer(portal.Deps{
		Logger:      p.logger,
		Version:     version,
		Base:        base,
		IdentityURL: identityURL,
		StudyURL:    studyURL,
		Ready:       ready,
	})
}
