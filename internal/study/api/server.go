package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"campus/internal/problem"
	"campus/internal/rest"
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
	// requireMFA: changes under secondFactorScopes need a token whose amr
	// has mfa.
	requireMFA bool
}

// secondFactorScopes are the scopes whose operations need a sign-in with
// a second factor under Deps.RequireMFA: changes to the catalogue, which
// everyone reads, and to others' enrolments and grades. A person's own
// enrolments (POST and PATCH /v1/me/enrolments) need no scope and stay
// open to a password sign-in: they change only the caller's own data,
// and a student who has not set up a second factor must still be able to
// enrol.
var secondFactorScopes = map[string]bool{"studies:write": true, "grades:write": true}

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
			forbidden(w, r, scope, p)
			return
		}
		if s.requireMFA && secondFactorScopes[scope] && !p.MFA {
			stepUp(w)
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

// unauthorized answers a request whose credentials failed (rest.Refuse).
func unauthorized(w http.ResponseWriter, err error) {
	rest.Refuse(w, err, rest.Refusals{
		NoToken:     "Sign in: send an access token as Authorization: Bearer TOKEN.",
		Unavailable: "The token cannot be checked right now: the study service cannot reach identity. Try again in a few seconds.",
		TokenInURL:  "Access tokens go in the Authorization header, never in the URL; the key parameter takes API keys only.",
		Invalid:     "The token is not valid (expired, revoked or not for this API). Sign in again.",
	})
}

// mfaACR is identity's authentication context class of a sign-in with
// two factors (or a passkey with user verification).
const mfaACR = "urn:campus:acr:mfa"

// stepUp answers a valid token whose sign-in lacked a second factor as
// RFC 9470 section 3 asks: 401 with error insufficient_user_authentication
// and acr_values naming the class a new token must have, so that a client
// can ask identity for one with acr_values (section 4); the problem
// document says the same to people.
func stepUp(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", rest.StepUpChallenge("this change needs a sign-in with a second factor", mfaACR))
	problem.Write(w, problem.Details{Status: http.StatusUnauthorized, Title: "Second factor needed",
		Detail: "This change needs a sign-in with a second factor (a passkey or an authenticator app). Sign in again with one, then repeat the change."})
}

// forbidden answers 403 for a caller without scope, saying what is
// missing in the caller's case: a change with an API key (keys are
// read-only), a read with an API key (keys carry the public catalogue and
// their owner's own data, never a staff permission), a catalogue change
// without the study token, or a permission the token lacks.
func forbidden(w http.ResponseWriter, r *http.Request, scope string, p *Principal) {
	detail := fmt.Sprintf("This needs the permission %s.", scope)
	switch {
	case p.ReadOnly && !safe(r):
		detail = "API keys are read-only; sign in to make changes."
	case p.ReadOnly:
		detail = fmt.Sprintf("This needs the permission %s, which API keys never carry: a key reads only the public catalogue and its owner's own enrolments and grades. Use an access token from signing in.", scope)
	case scope == "studies:write":
		detail = "Changing the catalogue needs the study token: an administrator enters the password again (prompt=login, or campus login --write) and gets studies:write for identity's --step-up-ttl (15 minutes by default)."
	}
	rest.Forbidden(w, scope, detail)
}

// page reads a list's limit (1 to 200; 0, the store's default, when
// absent) and cursor into q.
func page(q *rest.Query) store.Page {
	return store.Page{Limit: q.Limit(0, 200), Cursor: q.Cursor()}
}
