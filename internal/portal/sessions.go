package portal

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// A person's sign-in sessions at identity (issue 15): administrators
// holding users:write end them on the user page, everyone ends their own
// on the profile. Identity does the ending (the session's tokens are
// revoked, its applications told by back-channel logout); the portal
// shows the list and, when the person ends the session the portal itself
// signed in with, forgets its own session at once rather than waiting
// for the back-channel logout.

// idpSession is a live session as identity's API shows it.
type idpSession struct {
	ID           string    `json:"id"`
	CreatedAt    time.Time `json:"created_at"`
	LastUsedAt   time.Time `json:"last_used_at"`
	ClientIP     string    `json:"client_ip"`
	UserAgent    string    `json:"user_agent"`
	Applications []struct {
		ClientID string `json:"client_id"`
		Name     string `json:"name"`
	} `json:"applications"`
	Current bool `json:"current"`
}

// UserSessions lists an account's live sessions (users:read).
func (c identityClient) UserSessions(ctx context.Context, sess *session, id string) ([]idpSession, error) {
	var list listPage[idpSession]
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/users/" + esc(id) + "/sessions"}, &list)
	return list.Items, err
}

// EndUserSession ends one session of an account, or all of them when
// sid is "" (users:write).
func (c identityClient) EndUserSession(ctx context.Context, sess *session, id, sid string) error {
	path := "/users/" + esc(id) + "/sessions"
	if sid != "" {
		path += "/" + esc(sid)
	}
	return c.do(ctx, sess, call{method: http.MethodDelete, path: path}, nil)
}

// MySessions lists the person's own live sessions.
func (c identityClient) MySessions(ctx context.Context, sess *session) ([]idpSession, error) {
	var list listPage[idpSession]
	err := c.do(ctx, sess, call{method: http.MethodGet, path: "/me/sessions"}, &list)
	return list.Items, err
}

// EndMySession ends one of the person's sessions, or every one but the
// current when sid is "".
func (c identityClient) EndMySession(ctx context.Context, sess *session, sid string) error {
	path := "/me/sessions"
	if sid != "" {
		path += "/" + esc(sid)
	}
	return c.do(ctx, sess, call{method: http.MethodDelete, path: path}, nil)
}

// sessionRow is a session as a page lists it.
type sessionRow struct {
	ID                string
	Started, LastUsed time.Time
	Apps              string
	Address           string
	Device, UserAgent string // Device in words, UserAgent as the browser sent it
	Current           bool
}

// sessionRows are the sessions for a page in lang.
func sessionRows(lang Lang, list []idpSession) []sessionRow {
	rows := make([]sessionRow, 0, len(list))
	for _, s := range list {
		var apps []string
		for _, a := range s.Applications {
			apps = append(apps, cmp.Or(a.Name, a.ClientID))
		}
		rows = append(rows, sessionRow{ID: s.ID, Started: s.CreatedAt, LastUsed: s.LastUsedAt, Apps: strings.Join(apps, ", "),
			Address: s.ClientIP, Device: device(lang, s.UserAgent), UserAgent: s.UserAgent, Current: s.Current})
	}
	return rows
}

// device names a browser and its system in words ("Firefox on Linux")
// from a user agent, which is untrusted text: only known words are picked
// out of it; what is not recognised is shown cut short.
func device(lang Lang, ua string) string {
	if strings.TrimSpace(ua) == "" {
		return T(lang, "sessions.device.unknown")
	}
	has := func(s string) bool { return strings.Contains(ua, s) }
	browser := ""
	switch {
	case has("Edg/"):
		browser = "Edge"
	case has("OPR/"):
		browser = "Opera"
	case has("Firefox/"):
		browser = "Firefox"
	case has("Chrome/") || has("Chromium/"):
		browser = "Chrome"
	case has("Safari/") && has("Version/"):
		browser = "Safari"
	case strings.HasPrefix(ua, "curl/"):
		browser = "curl"
	case strings.HasPrefix(ua, "campus"):
		browser = "campus"
	}
	system := ""
	switch {
	case has("Android"):
		system = "Android"
	case has("iPhone") || has("iPad"):
		system = "iOS"
	case has("Windows"):
		system = "Windows"
	case has("Mac OS X") || has("Macintosh"):
		system = "macOS"
	case has("CrOS"):
		system = "ChromeOS"
	case has("Linux"):
		system = "Linux"
	}
	switch {
	case browser != "" && system != "":
		return T(lang, "sessions.device.on", browser, system)
	case browser != "":
		return browser
	case system != "":
		return system
	}
	if r := []rune(ua); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return ua
}

// forget ends the portal session (if any) here and now: the cookie goes,
// and the stored session; signing out, and ending from this very browser
// the identity session it stands on.
func (rp *relyingParty) forget(w http.ResponseWriter, r *http.Request, sess *session) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: rp.base + "/", MaxAge: -1, HttpOnly: true, Secure: rp.secure, SameSite: http.SameSiteLaxMode})
	if sess != nil {
		// Should this fail, the back-channel logout identity sends ends it.
		_ = rp.sessions.Delete(r.Context(), sess.idHash)
	}
}

// endUserSessions ends one session of the account on the user page
// (form field sid), or all of them (no sid). Only for users:write; the
// others see the list without buttons.
func (s *server) endUserSessions(w http.ResponseWriter, r *http.Request, sess *session, id string) {
	lang := langOf(r)
	if !slices.Contains(sess.Scopes, "users:write") {
		s.fail(w, r, http.StatusForbidden, T(lang, "sessions.forbidden"))
		return
	}
	sid := r.PostForm.Get("sid")
	err := s.identity.EndUserSession(r.Context(), sess, id, sid)
	done := "session_ended"
	if sid == "" {
		done = "sessions_ended"
	}
	switch st := statusOf(err); {
	case err == nil:
		if sid != "" && sid == sess.idpSID { // an administrator ended their own portal session
			s.rp.forget(w, r, sess)
			http.Redirect(w, r, s.d.Base+"/", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, s.d.Base+"/admin/users/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
	case errors.Is(err, errNotFound) && sid != "":
		s.userPage(w, r, sess, http.StatusNotFound, userView{Error: T(lang, "sessions.gone")})
	case st == http.StatusForbidden:
		s.userPage(w, r, sess, http.StatusForbidden, userView{Error: T(lang, "admin.refused", problemOf(err).Detail)})
	default:
		s.apiFailed(w, r, err)
	}
}

// endMySessions signs the person out of one of their sessions (form
// field sid) or of every one but this (no sid). Ending the session this
// very portal session stands on signs them out here too.
func (s *server) endMySessions(w http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, T(langOf(r), "error.badform"))
		return
	}
	sid := r.PostForm.Get("sid")
	err := s.identity.EndMySession(r.Context(), sess, sid)
	switch {
	case err == nil && sid != "" && sid == sess.idpSID:
		s.rp.forget(w, r, sess)
		http.Redirect(w, r, s.d.Base+"/", http.StatusSeeOther)
	case err == nil && sid != "":
		http.Redirect(w, r, s.d.Base+"/profile?done=session_ended", http.StatusSeeOther)
	case err == nil:
		http.Redirect(w, r, s.d.Base+"/profile?done=sessions_ended", http.StatusSeeOther)
	case errors.Is(err, errNotFound) && sid != "":
		http.Redirect(w, r, s.d.Base+"/profile?done=session_gone", http.StatusSeeOther)
	default:
		s.apiFailed(w, r, err)
	}
}
