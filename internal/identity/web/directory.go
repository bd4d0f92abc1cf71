package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"campus/internal/identity"
	"campus/internal/identity/directory"
	"campus/internal/problem"
	"campus/internal/rest"
)

// Directory is the university directory as identity's pages and API use
// it: bind authentication and the sync.
type Directory interface {
	// Authenticate checks a directory account's password by an LDAP bind
	// and returns the DN of the entry that bound. Errors wrap
	// directory.ErrUnavailable or directory.ErrInvalidCredentials.
	Authenticate(ctx context.Context, username, password string) (dn string, err error)
	// Sync runs a sync now and reports it; directory.ErrSyncRunning when
	// one runs.
	Sync(ctx context.Context) (identity.DirectoryReport, error)
	// Status tells how the last sync went, on whichever replica it ran.
	Status(ctx context.Context) (identity.DirectoryStatus, error)
}

func (a *api) noDirectory(w http.ResponseWriter) bool {
	if a.dir != nil {
		return false
	}
	problem.Write(w, problem.Details{Status: http.StatusNotFound, Detail: "No directory is configured (CAMPUS_LDAP_URL)."})
	return true
}

func (a *api) handleDirectoryStatus(w http.ResponseWriter, r *http.Request, _ *principal) {
	if a.noDirectory(w) {
		return
	}
	st, err := a.dir.Status(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rest.Reply(w, http.StatusOK, 0, st)
}

// handleDirectorySync runs a sync and answers its report; a sync either
// applies whole or not at all.
func (a *api) handleDirectorySync(w http.ResponseWriter, r *http.Request, p *principal) {
	if a.noDirectory(w) {
		return
	}
	rep, err := a.dir.Sync(r.Context())
	switch {
	case errors.Is(err, directory.ErrSyncRunning):
		problem.Write(w, problem.Details{Status: http.StatusConflict, Detail: "A directory sync is running already; look at its result in a moment."})
		return
	case errors.Is(err, directory.ErrUnavailable):
		a.audit(r, p, "directory_sync", identity.OutcomeFailure, "", err.Error())
		problem.Write(w, problem.Details{Status: http.StatusBadGateway, Detail: fmt.Sprintf("The directory cannot be reached, so nothing was changed: %v", err)})
		return
	case err != nil:
		a.fail(w, r, err)
		return
	}
	a.audit(r, p, "directory_sync", identity.OutcomeSuccess, "", rep.String())
	rest.Reply(w, http.StatusOK, 0, rep)
}
