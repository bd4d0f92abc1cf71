package portal

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"campus/internal/httpserver"
	"campus/internal/portal/store"
	"campus/internal/problem"
	"campus/internal/tokencheck"
	"campus/internal/tracing"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps is what the portal needs.
type Deps struct {
	Logger  *slog.Logger
	Version string
	// Origin is the portal's public origin (https://host:port); Base its
	// path prefix ("" at the root of the origin).
	Origin, Base string
	// IdentityURL is identity's issuer URL; StudyURL the study API's base
	// URL (…/study); API reaches both (in-process in all-in-one mode).
	IdentityURL, StudyURL string
	// MessagesURL is the messages API's base URL (…/messages); "" leaves
	// messaging out of the portal.
	MessagesURL string
	// UnreadTTL is how long the top bar's unread count is remembered per
	// session (0: 5 s; negative: asked for every page).
	UnreadTTL time.Duration
	API       *http.Client
	Ready     []httpserver.Check
	Sessions  *store.Store
	OIDC      OIDC
	// Secret seals the tokens kept in sessions.
	Secret     []byte
	SessionTTL time.Duration
	Now        func() time.Time
	// Revocations is identity's revocation feed (running); nil: sessions
	// learn of revocations only when their access token expires.
	Revocations *tokencheck.Revocations
}

type server struct {
	d     Deps
	rp    *relyingParty
	keys  *keyChecker
	pages *pageSet
	csp   string
	// cspScripts is csp for a page that loads a script of its own
	// (page.Scripts).
	cspScripts string
	// study and identity are the APIs.
	study    studyClient
	identity identityClient
	messages messagesClient
	// batches is identity's API with a time limit long enough to make a
	// batch of event accounts (events.go).
	batches identityClient
	// unread remembers each session's unread total for the top bar.
	unread unreadCache
}

// NewServer returns the portal's handler; its pages are parsed on first
// use (pageSet).
func NewServer(d Deps) (http.Handler, error) {
	pages := newPageSet()
	if d.SessionTTL <= 0 {
		d.SessionTTL = 12 * time.Hour
	}
	rp, err := newRelyingParty(d.OIDC, d.Origin, d.Base, d.Sessions, d.Secret, d.SessionTTL, d.Now)
	if err != nil {
		return nil, err
	}
	rp.revocations = d.Revocations
	s := &server{d: d, rp: rp, keys: &keyChecker{rp: rp}, pages: pages, csp: contentSecurityPolicy(d.IdentityURL, d.MessagesURL != ""),
		cspScripts: policy(d.IdentityURL, true, d.MessagesURL != "")}
	s.study = studyClient{apiClient{base: d.StudyURL, down: errStudyDown, send: s.send}, rp.studyToken}
	s.identity = identityClient{apiClient{base: d.IdentityURL + "/api/v1", down: errIdentityDown, send: s.send}}
	s.messages = messagesClient{apiClient{base: d.MessagesURL, down: errMessagesDown, send: s.send}, rp.accessToken}
	slow := slowClient(d.API, batchTimeout)
	s.batches = identityClient{apiClient{base: d.IdentityURL + "/api/v1", down: errIdentityDown,
		send: func(ctx context.Context, sess *session, req *http.Request) (*http.Response, error) {
			if err := s.authorize(ctx, sess, req); err != nil {
				return nil, err
			}
			return slow.Do(req)
		}}}
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, rt.h)
	}
	// Browsers tell where a request comes from; a state-changing request
	// from another site is refused (Fetch Metadata, then Origin). Identity's
	// back-channel logout is a server's request and carries neither.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOrigin))
	// withPageLang copies the request: its span is named inside it.
	return cop.Handler(withPageLang(httpserver.RoutePattern(tracing.Routes(mux)))), nil
}

// crossOriginDetail is the gateway's answer to a cross-origin change.
const crossOriginDetail = "This request came from another website, so it was refused and nothing was changed. Changes through the portal's API come from the portal's own pages or from programs."

// crossOrigin answers a state-changing request from another site in the
// format of what was asked: the gateway's APIs with problem+json, pages
// with the message page in the person's language (not net/http's plain
// text). Both 403.
func (s *server) crossOrigin(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, s.d.Base+"/api/") {
		problem.Write(w, problem.Details{Status: http.StatusForbidden, Title: "Cross-origin request refused", Detail: crossOriginDetail})
		return
	}
	s.fail(w, r, http.StatusForbidden, T(langOf(r), "error.crossorigin"))
}

// contentSecurityPolicy allows the portal's own stylesheet and images and
// nothing else; forms go to the portal, and its sign-out form's redirect
// to identity is allowed too (browsers apply form-action to redirects).
// With messaging the one script is the portal's own static/messages.js,
// which reads the event stream and fragments from the portal itself: no
// inline script, no other origin. The events pages load their own script
// file too (static/events.js), with script-src 'self' for them alone.
func contentSecurityPolicy(identity string, scripts bool) string {
	return policy(identity, scripts, scripts)
}

// policy is the portal's CSP, allowing the portal's own script files
// (script) and requests from scripts to the portal (connect).
func policy(identity string, script, connect bool) string {
	formAction := "'self'"
	if u, err := url.Parse(identity); err == nil && u.Host != "" {
		formAction += " " + u.Scheme + "://" + u.Host
	}
	scripts := ""
	if script {
		scripts = "script-src 'self'; "
	}
	if connect {
		scripts += "connect-src 'self'; "
	}
	return "default-src 'none'; " + scripts + "style-src 'self'; img-src 'self'; form-action " + formAction + "; frame-ancestors 'none'; base-uri 'none'"
}

// pageNames are the portal's pages, each templates/NAME.html in the layout.
var pageNames = []string{"home", "catalogue", "programme", "message", "mystudy", "profile", "grading", "lecture", "admin", "users", "user", "roles", "adminprogrammes", "adminprogramme", "adminmodule", "adminlecture", "register", "registered", "apikeys", "role", "messages", "conversation", "adminmessaging", "audit", "events", "event", "eventaccounts"}

// pageSet parses each page's template on its first use rather than at
// start, where parsing them all cost a quarter of a start's CPU. The
// templates are built in and cannot change after the build;
// TestEveryPageParses parses every one, so a broken template fails the
// tests, not a request.
type pageSet struct {
	layout func() (*template.Template, error)
	pages  map[string]func() (*template.Template, error)
	mu     sync.Mutex // held while a page clones the layout
}

func newPageSet() *pageSet {
	ps := &pageSet{pages: map[string]func() (*template.Template, error){}}
	ps.layout = sync.OnceValues(func() (*template.Template, error) {
		t, err := template.New("layout.html").Funcs(template.FuncMap{"dict": dict, "has": slices.Contains[[]string], "list": func(v ...string) []string { return v }, "windowText": windowText, "when": when, "excerpt": excerpt, "size": fileSize}).ParseFS(templateFS, "templates/layout.html")
		if err != nil {
			return nil, fmt.Errorf("portal templates: %w", err)
		}
		return t, nil
	})
	for _, name := range pageNames {
		ps.pages[name] = sync.OnceValues(func() (*template.Template, error) {
			layout, err := ps.layout()
			if err != nil {
				return nil, err
			}
			ps.mu.Lock()
			t, err := layout.Clone()
			ps.mu.Unlock()
			if err == nil {
				t, err = t.ParseFS(templateFS, "templates/"+name+".html")
			}
			if err != nil {
				return nil, fmt.Errorf("portal template %s: %w", name, err)
			}
			return t, nil
		})
	}
	return ps
}

// get is the page's template, parsed on the first call.
func (ps *pageSet) get(name string) (*template.Template, error) {
	f, ok := ps.pages[name]
	if !ok {
		return nil, fmt.Errorf("portal: no page %q", name)
	}
	return f()
}

// parsePages parses every page now (for the tests).
func parsePages() (*pageSet, error) {
	ps := newPageSet()
	for _, name := range pageNames {
		if _, err := ps.get(name); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// page is what every template gets.
type page struct {
	Lang    Lang
	Title   string
	Base    string
	Version string
	Path    string
	User    *session
	Data    any
	// Messaging says the portal has the messages API and the signed-in
	// person may read messages; Unread is their total of unread messages
	// (-1: not known now).
	Messaging bool
	Unread    int
	// Scripts are the page's own scripts in static/, besides messaging's.
	Scripts []string
	// ctx is the context of the request the page answers, so that a
	// failure to render it is logged with the request's id. A page is
	// made for one request and dropped with it.
	ctx context.Context
}

// T translates for the page's language.
func (p page) T(key string, args ...any) string { return T(p.Lang, key, args...) }

// Has tells whether the signed-in person holds a role.
func (p page) Has(role string) bool { return p.User != nil && slices.Contains(p.User.Roles, role) }

// Can tells whether the signed-in person's token carries a scope.
func (p page) Can(scope string) bool { return p.User != nil && slices.Contains(p.User.Scopes, scope) }

func (s *server) page(r *http.Request, titleKey string, data any) page {
	lang := langOf(r)
	p := page{Lang: lang, Title: T(lang, titleKey), Base: s.d.Base, Version: s.d.Version, Path: r.URL.RequestURI(),
		User: s.rp.current(r), Data: data, Unread: -1, ctx: r.Context()}
	p.Messaging = s.messagingOn() && (p.User == nil || slices.Contains(p.User.Scopes, scopeMessagesRead))
	if p.User != nil && p.Messaging {
		p.Unread = s.unreadTotal(r, p.User)
	}
	return p
}

func (s *server) render(w http.ResponseWriter, status int, name string, p page) {
	var buf bytes.Buffer
	t, err := s.pages.get(name)
	if err == nil {
		err = t.ExecuteTemplate(&buf, "layout", p)
	}
	if err != nil {
		s.d.Logger.ErrorContext(p.ctx, "render page", "page", name, "err", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if len(p.Scripts) > 0 {
		h.Set("Content-Security-Policy", s.cspScripts)
	} else {
		h.Set("Content-Security-Policy", s.csp)
	}
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", string(p.Lang))
	h.Set("Vary", "Accept-Language, Cookie")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p := s.page(r, "error.title", map[string]string{"Message": msg})
	s.render(w, status, "message", p)
}

func (s *server) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "home", s.page(r, "home.title", nil))
}

func (s *server) switchLang(w http.ResponseWriter, r *http.Request) {
	to := Lang(r.URL.Query().Get("to"))
	if to != English && to != German {
		to = English
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(to), Path: s.d.Base + "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.rp.secure, SameSite: http.SameSiteLaxMode})
	s.rememberLang(r, to)
	http.Redirect(w, r, localPath(s.d.Base, r.URL.Query().Get("back")), http.StatusSeeOther)
}

// rememberLang tells identity the language a signed-in person switched
// to, which its mails then follow (the account's locale). It is best
// effort: when identity cannot be reached the switch still works for the
// pages, and the failure is logged. The switch is a link, so a switch
// started from another site (Sec-Fetch-Site) changes only the pages'
// cookie: another site must not choose the language of someone's mails.
func (s *server) rememberLang(r *http.Request, to Lang) {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return
	}
	sess := s.rp.current(r)
	if sess == nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.identity.SetLocale(ctx, sess, string(to)); err != nil {
		s.d.Logger.WarnContext(r.Context(), "language switch: identity did not store the language for mails", "lang", to, "err", err)
	}
}

// unavailable answers 503 with a page that says which service cannot be
// reached and when to try again, in the person's language.
func (s *server) unavailable(w http.ResponseWriter, r *http.Request, key string, data map[string]string) {
	if data == nil {
		data = map[string]string{}
	}
	lang := langOf(r)
	data["Message"] = T(lang, key)
	w.Header().Set("Retry-After", "30")
	s.render(w, http.StatusServiceUnavailable, "message", s.page(r, "error.down.title", data))
}

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	// The browser is sent to identity: first make sure it answers, so that
	// the person sees this page rather than the browser's error.
	if err := s.rp.reachable(r.Context()); err != nil {
		s.d.Logger.WarnContext(r.Context(), "start sign-in: identity cannot be reached", "err", err)
		s.unavailable(w, r, "error.down.signin", nil)
		return
	}
	if err := s.rp.startSignIn(w, r, r.URL.Query().Get("return")); err != nil {
		s.d.Logger.ErrorContext(r.Context(), "start sign-in", "err", err)
		s.unavailable(w, r, "error.down.signin", nil)
	}
}

func (s *server) callback(w http.ResponseWriter, r *http.Request) {
	to, err := s.rp.finishSignIn(w, r)
	if err != nil {
		var e errSignIn
		lang := langOf(r)
		if errors.As(err, &e) {
			msg := T(lang, "error.expired")
			if e.reason != "expired" {
				msg = T(lang, "error.signin", e.reason)
			}
			s.fail(w, r, http.StatusBadRequest, msg)
			return
		}
		s.d.Logger.ErrorContext(r.Context(), "finish sign-in", "err", err)
		s.unavailable(w, r, "error.down.signin", nil)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	to, err := s.rp.signOut(w, r)
	if err != nil {
		s.d.Logger.ErrorContext(r.Context(), "sign out", "err", err)
		to = s.d.Base + "/"
	}
	// The portal's session has ended either way. Identity's (single
	// sign-on) ends at its end_session page: when identity does not
	// answer, say so and offer that page to try again later, rather than
	// sending the browser to an error of its own.
	if strings.HasPrefix(to, "https://") || strings.HasPrefix(to, "http://") {
		if err := s.rp.reachable(r.Context()); err != nil {
			s.d.Logger.WarnContext(r.Context(), "sign out: identity cannot be reached", "err", err)
			s.unavailable(w, r, "error.down.signout", map[string]string{"Retry": to, "RetryLabel": T(langOf(r), "error.down.finish")})
			return
		}
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (s *server) backchannel(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	n, err := s.rp.backchannelLogout(r)
	if err != nil {
		s.d.Logger.WarnContext(r.Context(), "back-channel logout refused", "err", err)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": err.Error()})
		return
	}
	s.d.Logger.InfoContext(r.Context(), "back-channel logout", "sessions_ended", n)
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// dict builds a map from key, value pairs, for passing several values to a
// shared template such as a form field.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}
