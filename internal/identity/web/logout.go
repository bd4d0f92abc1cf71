package web

import (
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// logoutView is the confirmation page of an RP-initiated logout.
type logoutView struct {
	chrome
	Title, Base, CSRF, Name                string
	ClientID, PostLogoutRedirectURI, State string
}

// handleLoggedOut is where a logout without post_logout_redirect_uri ends.
func (l *login) handleLoggedOut() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.message(w, r, http.StatusOK, "loggedout.title", "loggedout.message", false)
	})
}

// handleEndSession serves end_session (OpenID Connect RP-Initiated Logout
// 1.0), by GET or POST as section 2 asks. A valid id_token_hint whose sid
// is a live session ends that session and goes back to the relying party.
// Anything else ends nothing by itself: any page can send a browser here,
// so a browser that is signed in is asked first (section 2: the OP SHOULD
// ask whether to log out when the hint does not identify the session),
// and one that is not goes on to where the request asked.
func (l *login) handleEndSession() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		req, err := op.ParseEndSessionRequest(r, l.provider.Decoder())
		if err != nil {
			l.message(w, r, http.StatusBadRequest, "logout.failed", "logout.err.unreadable", true)
			return
		}
		session, err := op.ValidateEndSessionRequest(r.Context(), req, l.provider)
		if err != nil {
			l.logger.InfoContext(r.Context(), "end_session refused", "err", err)
			l.message(w, r, http.StatusBadRequest, "logout.err.invalid", "logout.err.invalid_msg", true)
			return
		}
		ended, err := l.storage.EndHintedSession(r.Context(), session)
		if err != nil {
			l.fail(w, r, err)
			return
		}
		sess := l.session(r)
		if ended || sess == nil {
			http.Redirect(w, r, session.RedirectURI, http.StatusFound)
			return
		}
		lang := langOf(r)
		v := logoutView{chrome: l.chrome(r, lang), Title: T(lang, "logout.title"), Base: l.base, CSRF: l.csrfToken(w, r), ClientID: session.ClientID, State: req.State}
		// Only a redirect the library accepted for the client is carried on.
		if session.ClientID != "" && req.PostLogoutRedirectURI != "" {
			v.PostLogoutRedirectURI = req.PostLogoutRedirectURI
		}
		if acc, err := l.store.Account(r.Context(), sess.AccountID); err == nil {
			v.Name = acc.DisplayName
			if v.Name == "" {
				v.Name = acc.Username
			}
		}
		l.pages.render(w, r, http.StatusOK, "logout", v)
	})
}

// handleLogout takes the confirmation: it ends the browser's session and
// goes on to the post_logout_redirect_uri, checked again against the
// client's registration (RP-Initiated Logout 1.0 section 3), or to the
// signed-out page.
func (l *login) handleLogout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil || !l.csrfOK(r) {
			l.message(w, r, http.StatusForbidden, "logout.failed", "logout.err.expired", true)
			return
		}
		session, err := op.ValidateEndSessionRequest(r.Context(), &oidc.EndSessionRequest{
			ClientID: r.PostForm.Get("client_id"), PostLogoutRedirectURI: r.PostForm.Get("post_logout_redirect_uri"),
			State: r.PostForm.Get("state")}, l.provider)
		if err != nil {
			session = &op.EndSessionRequest{RedirectURI: l.provider.DefaultLogoutRedirectURI()}
		}
		if sess := l.session(r); sess != nil {
			if err := l.storage.EndSession(r.Context(), *sess); err != nil {
				l.fail(w, r, err)
				return
			}
		}
		http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: l.base + "/", MaxAge: -1,
			HttpOnly: true, Secure: l.secure, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, session.RedirectURI, http.StatusSeeOther)
	})
}
