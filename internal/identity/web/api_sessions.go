package web

import (
	"errors"
	"net/http"
	"time"

	"campus/internal/identity"
	"campus/internal/problem"
	"campus/internal/rest"
)

// A person's sign-in sessions at identity (issue 15): administrators list
// and end them (users:read, users:write), everyone their own (/me). Ending
// one is what signing out does (oidcop.Storage.EndSession): the session
// ends, its tokens are revoked and every application that got tokens in
// it hears of it by back-channel logout.

// sessionJSON is a live session as the API shows it. id is the session's
// sid; the cookie's secret is never stored, let alone shown.
type sessionJSON struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	// ClientIP is the address the session was signed in from, as the
	// server trusts it (behind trusted proxies, the forwarded one).
	ClientIP string `json:"client_ip"`
	// UserAgent is what the browser said it is: untrusted text.
	UserAgent    string           `json:"user_agent"`
	Applications []sessionAppJSON `json:"applications"`
	// Current marks the session the calling token was issued in.
	Current bool `json:"current"`
}

type sessionAppJSON struct {
	ClientID string `json:"client_id"`
	Name     string `json:"name"`
}

// writeSessions answers the live sessions of account, marking the one
// the caller's token belongs to.
func (a *api) writeSessions(w http.ResponseWriter, r *http.Request, p *principal, account string) {
	list, err := a.store.LiveSessions(r.Context(), account)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	current := a.currentSession(r, p)
	out := struct {
		Items []sessionJSON `json:"items"`
	}{Items: []sessionJSON{}}
	for _, s := range list {
		v := sessionJSON{ID: s.ID, CreatedAt: s.CreatedAt.UTC(), LastUsedAt: s.LastUsedAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
			ClientIP: s.ClientIP, UserAgent: s.UserAgent, Applications: []sessionAppJSON{}, Current: s.ID == current}
		for _, app := range s.Apps {
			v.Applications = append(v.Applications, sessionAppJSON{ClientID: app.ClientID, Name: app.Name})
		}
		out.Items = append(out.Items, v)
	}
	rest.Reply(w, http.StatusOK, 0, out)
}

// currentSession is the session the caller's token was issued in, "" for
// none (or when it cannot be told, which is logged).
func (a *api) currentSession(r *http.Request, p *principal) string {
	sid, err := a.store.AccessTokenSession(r.Context(), p.jti)
	if err != nil && !errors.Is(err, identity.ErrNotFound) {
		a.logger.ErrorContext(r.Context(), "find the token's session", "err", err)
	}
	return sid
}

// handleListSessions lists an account's live sessions (users:read).
func (a *api) handleListSessions(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("id")
	if _, err := a.store.AccountRecord(r.Context(), id); err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeSessions(w, r, p, id)
}

// mayEndSessions applies the rule of every change to an account
// (authorizeChange) to ending its sessions: users:write does not reach the
// sessions of an account whose permissions the caller lacks. It answers
// the refusal (or a missing account) itself.
func (a *api) mayEndSessions(w http.ResponseWriter, r *http.Request, p *principal, id string) bool {
	return a.mayChange(w, r, p, id, accountChange{action: "session_ended"})
}

// handleEndSession ends one session of an account (users:write).
func (a *api) handleEndSession(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("id")
	if !a.mayEndSessions(w, r, p, id) {
		return
	}
	a.endOne(w, r, p, id, "by an administrator")
}

// handleEndAllSessions ends every session of an account (users:write).
func (a *api) handleEndAllSessions(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("id")
	if !a.mayEndSessions(w, r, p, id) {
		return
	}
	a.endAll(w, r, p, id, "", "every session, by an administrator")
}

func (a *api) handleListMySessions(w http.ResponseWriter, r *http.Request, p *principal) {
	a.writeSessions(w, r, p, p.account.ID)
}

// handleEndMySession ends one of the caller's own sessions, the current
// one too (that is signing out).
func (a *api) handleEndMySession(w http.ResponseWriter, r *http.Request, p *principal) {
	a.endOne(w, r, p, p.account.ID, "by the account holder")
}

// handleEndMySessions ends every session of the caller but the one their
// token was issued in ("sign out everywhere else"); a token from no
// session ends them all. Signing out of the current session is its own
// DELETE, or the application's sign-out.
func (a *api) handleEndMySessions(w http.ResponseWriter, r *http.Request, p *principal) {
	keep := a.currentSession(r, p)
	detail := "every other session, by the account holder"
	if keep == "" {
		detail = "every session, by the account holder"
	}
	a.endAll(w, r, p, p.account.ID, keep, detail)
}

// endOne ends the session named in the path if it is a live session of
// account; any other session, someone else's or none, is not found alike.
func (a *api) endOne(w http.ResponseWriter, r *http.Request, p *principal, account, by string) {
	sid := r.PathValue("sid")
	sess, err := a.store.SessionOf(r.Context(), account, sid)
	if errors.Is(err, identity.ErrNotFound) {
		problem.Write(w, problem.Details{Status: http.StatusNotFound, Detail: "There is no such session (or it has ended already)."})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.storage.EndSession(r.Context(), sess); err != nil {
		a.fail(w, r, err)
		return
	}
	a.audit(r, p, "session_ended", identity.OutcomeSuccess, account, "session "+sess.ID+", "+by)
	w.WriteHeader(http.StatusNoContent)
}

// endAll ends every live session of account but keep.
func (a *api) endAll(w http.ResponseWriter, r *http.Request, p *principal, account, keep, detail string) {
	if err := a.endSessions(r.Context(), account, keep); err != nil {
		a.logger.ErrorContext(r.Context(), "end sessions", "account", account, "err", err)
		a.audit(r, p, "sessions_ended", identity.OutcomeFailure, account, detail)
		problem.Write(w, problem.Details{Status: failureStatus(err),
			Detail: "Not every session could be ended; try again."})
		return
	}
	a.audit(r, p, "sessions_ended", identity.OutcomeSuccess, account, detail)
	w.WriteHeader(http.StatusNoContent)
}
