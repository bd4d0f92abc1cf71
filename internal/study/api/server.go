package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"campus/internal/problem"
	"campus/internal/study/store"
)

// server holds what every handler needs.
type server struct {
	store  *store.Store
	auth   *authenticator
	people People
	logger *slog.Logger
	now    func() time.Time
	trees  treeCache
	rev    revisionMemo
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, p *Principal)

// public serves anyone; a token, when sent, must be valid (a bad token is
// an error, never silently ignored).
func (s *server) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.auth.principal(r)
		if err != nil && !errors.Is(err, errNoToken) {
			unauthorized(w, err)
			return
		}
		h(w, r, p)
	})
}

// needs serves callers with a valid token and, unless scope is "", that
// scope.
func (s *server) needs(scope string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived := s.now()
		p, err := s.auth.principal(r)
		if err != nil {
			unauthorized(w, err)
			return
		}
		if !s.revocationsKnown(r, arrived) {
			w.Header().Set("Retry-After", "5")
			problem.Write(w, problem.Details{Status: http.StatusServiceUnavailable,
				Detail: "Changes are paused: the study service cannot reach identity to learn of revoked tokens. Try again in a few seconds."})
			return
		}
		if !safe(r) {
			// Again, against every revocation made before the request.
			if p, err = s.auth.principal(r); err != nil {
				unauthorized(w, err)
				return
			}
		}
		if scope != "" && !p.Has(scope) {
			forbidden(w, scope, p)
			return
		}
		h(w, r, p)
		if scope == "studies:write" {
			s.changed() // this replica reads its own catalogue changes at once
		}
	})
}

func safe(r *http.Request) bool { return r.Method == http.MethodGet || r.Method == http.MethodHead }

// revocationsKnown reports whether a request may go on as far as
// revocations go: a read always (the copy of identity's revocation feed is
// at most a poll interval old); a change only once the copy holds every
// revocation made before the request arrived, so that no write succeeds
// with a token identity had revoked.
func (s *server) revocationsKnown(r *http.Request, arrived time.Time) bool {
	if safe(r) {
		return true
	}
	c, ok := s.auth.jwt.(interface {
		RevocationsUpTo(context.Context, time.Time) bool
	})
	return !ok || c.RevocationsUpTo(r.Context(), arrived)
}

// person serves a person's own data: any valid token of a person (an API
// key included), never a service acting for itself.
func (s *server) person(h handlerFunc) http.Handler {
	return s.needs("", func(w http.ResponseWriter, r *http.Request, p *Principal) {
		if p.Subject == "" || p.Subject == p.ClientID {
			problem.Write(w, problem.Details{Status: http.StatusForbidden, Detail: "This is about a person's own data; a service token has none."})
			return
		}
		h(w, r, p)
	})
}

// writes refuses read-only API keys before any change.
func writes(w http.ResponseWriter, p *Principal) bool {
	if p.ReadOnly {
		problem.Write(w, problem.Details{Status: http.StatusForbidden, Detail: "API keys are read-only; sign in to make changes."})
		return false
	}
	return true
}

func unauthorized(w http.ResponseWriter, err error) {
	if errors.Is(err, errNoToken) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="campus"`)
		problem.Write(w, problem.Details{Status: http.StatusUnauthorized, Detail: "Sign in: send an access token as Authorization: Bearer TOKEN."})
		return
	}
	if errors.Is(err, errTokenInURL) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="campus", error="invalid_request"`)
		problem.Write(w, problem.Details{Status: http.StatusUnauthorized, Detail: "Access tokens go in the Authorization header, never in the URL; the key parameter takes API keys only."})
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="campus", error="invalid_token"`)
	problem.Write(w, problem.Details{Status: http.StatusUnauthorized, Detail: "The token is not valid (expired, revoked or not for this API). Sign in again."})
}

func forbidden(w http.ResponseWriter, scope string, p *Principal) {
	detail := "This needs the permission " + scope + "."
	switch {
	case p.ReadOnly:
		detail = "API keys are read-only; sign in to make changes."
	case scope == "studies:write":
		detail = "Changing the catalogue needs the study token: an administrator confirms the password (prompt=login) and gets studies:write for 15 minutes."
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="campus", error="insufficient_scope", scope="`+scope+`"`)
	problem.Write(w, problem.Details{Status: http.StatusForbidden, Detail: detail})
}

func page(r *http.Request) (store.Page, error) {
	p := store.Page{Cursor: r.URL.Query().Get("cursor")}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			return p, errors.New("limit must be a number from 1 to 200")
		}
		p.Limit = n
	}
	return p, nil
}

func badQuery(w http.ResponseWriter, field string, err error) {
	problem.Write(w, problem.Details{Status: http.StatusBadRequest, Detail: err.Error(),
		Errors: []problem.FieldError{{Field: field, Detail: err.Error()}}})
}
