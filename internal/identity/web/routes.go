package web

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"campus/internal/httpserver"
	"campus/internal/identity"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/store"
	"campus/internal/problem"
	"campus/internal/rest"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps is what identity's HTTP surface needs.
type Deps struct {
	Logger *slog.Logger
	// Issuer is identity's issuer URL, {public URL}/idp in all-in-one mode;
	// Base is its path ("/idp", or "" at the root of an origin).
	Issuer, Base string
	// Secure is true when the issuer is https: cookies are then Secure.
	Secure bool
	Ready  []httpserver.Check
	// Store is identity's store: the admin REST API, registration and
	// recovery use most of it and take it whole; sign-in takes it as a
	// LoginStore.
	Store    *store.Store
	Storage  *oidcop.Storage
	Provider *op.Provider
	Login    LoginConfig
	Now      func() time.Time
	// RegistrationsPerIPHour bounds self-registrations per client address
	// (default 10).
	RegistrationsPerIPHour int
	// Mail sends confirmation and reset links; without a Composer, new
	// accounts count as confirmed and no link can be asked for.
	Mail MailDeps
	// Home is where people go after confirming or resetting (the portal),
	// "" when identity does not know it.
	Home string
	// Directory syncs and binds against the university directory; nil
	// when none is configured.
	Directory Directory
}

// NewServer returns identity's handler. Paths are relative to the issuer
// URL: the caller mounts it under the issuer's path. Templates are parsed
// here, so a broken one fails the start.
func NewServer(d Deps) (http.Handler, error) {
	p, err := parsePages(d.Logger)
	if err != nil {
		return nil, err
	}
	l, err := newLogin(d, p)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for _, rt := range routes(d, l, newAPI(d, l, p)) {
		mux.Handle(rt.pattern, rt.h)
	}
	return mux, nil
}

// route is one pattern of identity and its handler.
type route struct {
	pattern string
	h       http.Handler
}

// routes is every pattern identity serves: the service's own, the sign-in
// pages, the OpenID Provider's endpoints, the pages reached from mail, the
// revocation feed and the admin REST API (api.routes).
func routes(d Deps, l *login, a *api) []route {
	static, _ := fs.Sub(staticFS, "static")
	// The sign-in pages and campus's own OP endpoints need the issuer in
	// their context, as the library's handlers have it.
	issuer := op.NewIssuerInterceptor(d.Provider.IssuerFromRequest).Handler
	endSession := d.Provider.EndSessionEndpoint().Relative()
	rc, dev := a.rc, newDevice(d, l)
	rt := []route{
		// The service.
		{"GET /healthz", httpserver.Healthz("identity")},
		{"GET /readyz", httpserver.Readyz("identity", d.Logger, d.Ready...)},
		{"GET /{$}", httpserver.JSON(map[string]string{
			"service":     "identity",
			"description": "campus identity: accounts, roles, sign-in and single sign-on (OpenID Provider)",
			"issuer":      d.Issuer,
			"discovery":   d.Issuer + "/.well-known/openid-configuration",
		})},
		{"GET /static/", http.StripPrefix("/static/", httpserver.Files(static))},
		{"GET /favicon.ico", httpserver.Favicon(static)},

		// Signing in and out (login.go, logout.go).
		{"GET /login", issuer(l.handleShow())},
		{"POST /login", issuer(l.handleSubmit())},
		{"POST /consent", issuer(l.handleConsent())},
		// The second step of a sign-in and the passkey sign-in (mfa.go,
		// mfa_enrol.go); the person's own factors (security.go).
		{"GET /login/factor", l.handleFactorShow()},
		{"POST /login/factor", issuer(l.handleFactorSubmit())},
		{"POST /login/factor/webauthn", l.handleFactorWebAuthn()},
		{"GET /login/enrol", l.handleEnrolShow()},
		{"POST /login/enrol", issuer(l.handleEnrolSubmit())},
		{"GET /login/enrol/qr.png", l.handleEnrolQR()},
		{"POST /login/enrol/webauthn", l.handleEnrolWebAuthn()},
		{"POST /login/enrol/done", issuer(l.handleEnrolDone())},
		{"POST /login/passkey/options", l.handlePasskeyOptions()},
		{"POST /login/passkey", issuer(l.handlePasskeySubmit())},
		{"GET /security", l.handleSecurity()},
		{"GET /security/totp", l.handleSecurityTOTP()},
		{"GET /security/totp/qr.png", l.handleSecurityQR()},
		{"POST /security/webauthn", l.handleSecurityWebAuthn()},
		{"POST /security/add", l.handleSecurityAdd()},
		{"POST /security/recovery-codes", l.handleSecurityCodes()},
		{"POST /security/factors/{id}/remove", l.handleSecurityRemove()},
		{"GET " + oidcop.DevicePath, dev.handle()}, {"POST " + oidcop.DevicePath, dev.handle()}, // device.go
		{"GET " + LoggedOutPath, l.handleLoggedOut()},
		{"POST /logout", issuer(l.handleLogout())},
		// The language switch of identity's pages (i18n_pages.go).
		{"GET /lang", l.handleSwitchLang(d.Store, langCookiePath(d.Issuer, d.Base, d.Home))},

		// The OpenID Provider's endpoints, as the library routes them,
		// except end_session: campus asks before ending a session
		// (logout.go), and discovery, which campus corrects.
		{d.Provider.AuthorizationEndpoint().Relative(), d.Provider},
		{d.Provider.AuthorizationEndpoint().Relative() + "/callback", d.Provider},
		{d.Provider.TokenEndpoint().Relative(), d.Provider},
		{d.Provider.DeviceAuthorizationEndpoint().Relative(), d.Provider},
		{d.Provider.IntrospectionEndpoint().Relative(), d.Provider},
		{d.Provider.UserinfoEndpoint().Relative(), d.Provider},
		{d.Provider.RevocationEndpoint().Relative(), d.Provider},
		{d.Provider.KeysEndpoint().Relative(), d.Provider},
		{"GET " + endSession, issuer(l.handleEndSession())},
		{"POST " + endSession, issuer(l.handleEndSession())},
		{"GET /.well-known/openid-configuration", issuer(handleDiscovery(d.Provider))},

		// Registration and the pages reached from mail (register.go,
		// recovery.go); the latter answer 404 when no mail is configured.
		{"GET /register", handleRegisterForm(l)},
		{"POST /register", handleRegisterSubmit(l, a.reg)},
		{"GET /register/done", handleRegisterDone(l, a.reg)},
		{"GET /confirm", rc.mailed(rc.showConfirm)},
		{"POST /confirm", rc.mailed(rc.confirm)},
		{"GET /confirm/resend", rc.mailed(rc.showLinkForm(resendForm))},
		{"POST /confirm/resend", rc.mailed(rc.askLink(resendForm))},
		{"GET /password/forgot", rc.mailed(rc.showLinkForm(forgotForm))},
		{"POST /password/forgot", rc.mailed(rc.askLink(forgotForm))},
		{"GET /password/reset", rc.mailed(rc.showReset)},
		{"POST /password/reset", rc.mailed(rc.reset)},
		// The developer mailbox, only when mail goes there.
		{"GET /dev/mail", rc.handleMailbox()},
		{"GET /dev/mail/{id}", rc.handleMailboxMail()},

		// The revocation feed for resource servers (revocations.go).
		{"GET /revocations", httpserver.Quiet(handleRevocations(d.Store, d.Logger))},
	}
	rt = append(rt, a.routes()...)
	// A path served with other methods answers 405 with Allow.
	patterns := make([]string, len(rt))
	for i, r := range rt {
		patterns[i] = r.pattern
	}
	return append(rt,
		route{"/api/", rest.MethodNotAllowed(patterns, handleNoAPIEndpoint())},
		route{"/", rest.MethodNotAllowed(patterns, problem.NotFound())},
	)
}

// routes are the admin REST API, self-service and registration (api_*.go),
// each with who may call it (api.needs): a scope, a person, or anyone.
// Every route here is an operation of the OpenAPI document and the other
// way round (TestOpenAPIListsEveryRoute).
func (a *api) routes() []route {
	read, write, roles := string(identity.PermUsersRead), string(identity.PermUsersWrite), string(identity.PermRolesWrite)
	events := string(identity.PermEventsWrite)
	return []route{
		{"GET /api/v1/openapi.yaml", a.needs(needNothing, a.handleSpec)},
		{"GET /api/v1/users", a.needs(read, a.handleListUsers)},
		{"GET /api/v1/users/{id}", a.needs(read, a.handleGetUser)},
		{"PATCH /api/v1/users/{id}", a.needs(write, a.handlePatchUser)},
		{"POST /api/v1/users/{id}/disable", a.needs(write, a.handleSetStatus(identity.StatusDisabled))},
		{"POST /api/v1/users/{id}/enable", a.needs(write, a.handleSetStatus(identity.StatusActive))},
		{"POST /api/v1/users/{id}/unlock", a.needs(write, a.handleUnlock)},
		{"PUT /api/v1/users/{id}/roles", a.needs(write, a.handlePutRoles)},
		{"GET /api/v1/users/{id}/sessions", a.needs(read, a.handleListSessions)},
		{"DELETE /api/v1/users/{id}/sessions", a.needs(write, a.handleEndAllSessions)},
		{"DELETE /api/v1/users/{id}/sessions/{sid}", a.needs(write, a.handleEndSession)},
		{"GET /api/v1/users/{id}/factors", a.needs(read, a.handleListFactors)},
		{"DELETE /api/v1/users/{id}/factors", a.needs(write, a.handleResetFactors)},
		{"GET /api/v1/roles", a.needs(read, a.handleListRoles)},
		{"POST /api/v1/roles", a.needs(roles, a.handleCreateRole)},
		{"GET /api/v1/roles/{name}", a.needs(read, a.handleGetRole)},
		{"PATCH /api/v1/roles/{name}", a.needs(roles, a.handlePatchRole)},
		{"GET /api/v1/me", a.needs(needPerson, a.handleGetMe)},
		{"PATCH /api/v1/me", a.needs(needPerson, a.handlePatchMe)},
		{"POST /api/v1/me/password", a.needs(needPerson, a.handleChangePassword)},
		{"GET /api/v1/me/consents", a.needs(needPerson, a.handleListConsents)},
		{"DELETE /api/v1/me/consents/{client_id}", a.needs(needPerson, a.handleWithdrawConsent)},
		{"GET /api/v1/me/api-keys", a.needs(needPerson, a.handleListAPIKeys)},
		{"POST /api/v1/me/api-keys", a.needs(needPerson, a.handleCreateAPIKey)},
		{"DELETE /api/v1/me/api-keys/{id}", a.needs(needPerson, a.handleRevokeAPIKey)},
		{"GET /api/v1/me/sessions", a.needs(needPerson, a.handleListMySessions)},
		{"DELETE /api/v1/me/sessions", a.needs(needPerson, a.handleEndMySessions)},
		{"DELETE /api/v1/me/sessions/{sid}", a.needs(needPerson, a.handleEndMySession)},
		{"GET /api/v1/me/factors", a.needs(needPerson, a.handleListMyFactors)},
		{"GET /api/v1/people", a.needs(needGrader, a.handlePeople)},
		{"POST /api/v1/people/resolve", a.needs(needService, a.handleResolvePeople)},
		{"POST /api/v1/people/{id}/mail", a.needs(identity.ScopeMailSend, a.handleServiceMail)},
		{"GET /api/v1/clients", a.needs(read, a.handleListClients)},
		{"GET /api/v1/audit", a.needs(read, a.handleAudit)},
		{"GET /api/v1/logout-deliveries", a.needs(read, a.handleLogoutDeliveries)},
		{"GET /api/v1/mail", a.needs(read, a.handleMailQueue)},
		{"POST /api/v1/mail/{id}/retry", a.needs(write, a.handleMailRetry)},
		{"GET /api/v1/directory", a.needs(read, a.handleDirectoryStatus)},
		{"POST /api/v1/directory/sync", a.needs(write, a.handleDirectorySync)},
		{"POST /api/v1/registrations", a.needs(needNothing, a.handleRegister)},
		{"GET /api/v1/events", a.needs(events, a.handleListEvents)},
		{"POST /api/v1/events", a.needs(events, a.handleCreateEvent)},
		{"GET /api/v1/events/{id}", a.needs(events, a.handleGetEvent)},
		{"POST /api/v1/events/{id}/accounts", a.needs(events, a.handleGenerate)},
		{"POST /api/v1/events/{id}/end", a.needs(events, a.handleEndEvent)},
	}
}

// APIRoutes lists the API's routes as "METHOD /path" patterns, for
// checking them against its OpenAPI document.
func APIRoutes() []string {
	var out []string
	for _, rt := range (&api{}).routes() {
		out = append(out, rt.pattern)
	}
	return out
}

// handleDiscovery serves the library's discovery document, corrected to
// what campus offers: the code flow only (no implicit or hybrid), PKCE
// with S256 only, and the device authorization grant (RFC 8628, for
// campus login); clients authenticate with their secret
// (client_secret_basic or client_secret_post) at every endpoint, so no
// *_auth_signing_alg_values_supported (those are for private_key_jwt and
// client_secret_jwt, OpenID Connect Discovery 1.0 section 3).
func handleDiscovery(p *op.Provider) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cfg := op.CreateDiscoveryConfig(r.Context(), p, p.Storage())
		cfg.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
		cfg.ResponseModesSupported = []string{"query"}
		cfg.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials, oidc.GrantTypeDeviceCode}
		cfg.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
		cfg.CheckSessionIframe = ""
		cfg.RequestObjectSigningAlgValuesSupported = nil
		cfg.RequestParameterSupported = false
		secrets := []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost}
		cfg.IntrospectionEndpointAuthMethodsSupported = secrets
		// Public clients revoke their own tokens with client_id alone (RFC 7009 section 2.1).
		cfg.RevocationEndpointAuthMethodsSupported = append([]oidc.AuthMethod{oidc.AuthMethodNone}, secrets...)
		cfg.TokenEndpointAuthMethodsSupported = append([]oidc.AuthMethod{oidc.AuthMethodNone}, secrets...)
		cfg.TokenEndpointAuthSigningAlgValuesSupported = nil
		cfg.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
		cfg.RevocationEndpointAuthSigningAlgValuesSupported = nil
		cfg.ACRValuesSupported = []string{oidcop.ACROneFactor, oidcop.ACRMFA}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cache-Control", "public, max-age=300")
		op.Discover(w, cfg)
	})
}

// LoggedOutPath is where a logout without post_logout_redirect_uri ends,
// relative to the issuer.
const LoggedOutPath = "/logged-out"

// pageNames are identity's pages, each templates/NAME.html in the layout.
var pageNames = []string{"login", "message", "consent", "register", "register_done",
	"confirm", "resend", "forgot", "reset", "mailbox", "logout", "device", "factor", "enrol", "codes", "security"}

// pageParts are the templates a page uses besides the layout and its own.
var pageParts = map[string][]string{"enrol": {"enrol_forms"}, "security": {"enrol_forms"}}

// parsePages prepares the pages, each parsed on its first use rather than
// at start; the templates are built in, and TestEveryPageParses parses
// them all, so a broken one fails the tests, not a request.
func parsePages(logger *slog.Logger) (*pages, error) {
	layout := sync.OnceValues(func() (*template.Template, error) {
		t, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html")
		if err != nil {
			return nil, fmt.Errorf("identity templates: %w", err)
		}
		return t, nil
	})
	p := &pages{t: map[string]func() (*template.Template, error){}, logger: logger}
	var cloning sync.Mutex
	for _, name := range pageNames {
		p.t[name] = sync.OnceValues(func() (*template.Template, error) {
			l, err := layout()
			if err != nil {
				return nil, err
			}
			cloning.Lock()
			t, err := l.Clone()
			cloning.Unlock()
			if err == nil {
				files := []string{"templates/" + name + ".html"}
				for _, part := range pageParts[name] {
					files = append(files, "templates/"+part+".html")
				}
				t, err = t.ParseFS(templateFS, files...)
			}
			if err != nil {
				return nil, fmt.Errorf("identity template %s: %w", name, err)
			}
			return t, nil
		})
	}
	return p, nil
}

// parseForm parses a posted form and replaces invalid UTF-8 in every value
// but the passwords, which are echoed into the page that answers (a
// username, an address, a name): a browser never sends invalid UTF-8, and
// a page must not carry it back (found by FuzzSignInAndRegisterForms).
// readForm bounds a form post's body to limit bytes and parses it; when it
// cannot be read it answers with the page titled title ("form.unreadable")
// and reports false.
func (l *login) readForm(w http.ResponseWriter, r *http.Request, limit int64, title string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := parseForm(r); err != nil {
		l.message(w, r, http.StatusBadRequest, title, "form.unreadable", true)
		return false
	}
	return true
}

func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	for _, vs := range []url.Values{r.PostForm, r.Form} {
		for k, values := range vs {
			if strings.HasPrefix(k, "password") {
				continue
			}
			for i, v := range values {
				if !utf8.ValidString(v) {
					values[i] = strings.ToValidUTF8(v, "\uFFFD")
				}
			}
		}
	}
	return nil
}
