package web

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"campus/internal/httpserver"
	"campus/internal/identity/oidcop"
	"campus/internal/problem"
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
	Secure   bool
	Ready    []httpserver.Check
	Store    LoginStore
	Storage  *oidcop.Storage
	Provider *op.Provider
	Login    LoginConfig
	Now      func() time.Time
	// Admin is the store behind the admin REST API and registration.
	Admin AdminStore
	// RegistrationsPerIPHour bounds self-registrations per client address
	// (default 10).
	RegistrationsPerIPHour int
	// Mail sends confirmation and reset links; without a Composer, new
	// accounts count as confirmed and no link can be asked for.
	Mail MailDeps
	// Home is where people go after confirming or resetting (the portal),
	// "" when identity does not know it.
	Home string
	// Revocations is the revocation feed's store; nil serves no feed.
	Revocations RevocationStore
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
	static, _ := fs.Sub(staticFS, "static")
	issuerCtx := op.NewIssuerInterceptor(d.Provider.IssuerFromRequest)

	mux := http.NewServeMux()
	mux.Handle("GET /healthz", httpserver.Healthz("identity"))
	mux.Handle("GET /readyz", httpserver.Readyz("identity", d.Logger, d.Ready...))
	mux.Handle("GET /{$}", httpserver.JSON(map[string]string{
		"service":     "identity",
		"description": "campus identity: accounts, roles, sign-in and single sign-on (OpenID Provider)",
		"issuer":      d.Issuer,
		"discovery":   d.Issuer + "/.well-known/openid-configuration",
	}))
	mux.Handle("GET /static/", http.StripPrefix("/static/", httpserver.Files(static)))
	mux.Handle("GET /login", issuerCtx.Handler(l.handleShow()))
	mux.Handle("POST /login", issuerCtx.Handler(l.handleSubmit()))
	mux.Handle("POST /consent", issuerCtx.Handler(l.handleConsent()))
	mux.Handle("GET /logged-out", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.message(w, http.StatusOK, "Signed out", "You are signed out of every campus application.", false)
	}))
	// The OpenID Provider's endpoints, as the library routes them, except
	// end_session: campus asks before ending a session (logout.go).
	for _, e := range []*op.Endpoint{d.Provider.AuthorizationEndpoint(), d.Provider.TokenEndpoint(),
		d.Provider.IntrospectionEndpoint(), d.Provider.UserinfoEndpoint(), d.Provider.RevocationEndpoint(),
		d.Provider.KeysEndpoint()} {
		mux.Handle(e.Relative(), d.Provider)
	}
	endSession := d.Provider.EndSessionEndpoint().Relative()
	mux.Handle("GET "+endSession, issuerCtx.Handler(l.handleEndSession()))
	mux.Handle("POST "+endSession, issuerCtx.Handler(l.handleEndSession()))
	mux.Handle("POST /logout", issuerCtx.Handler(l.handleLogout()))
	mux.Handle("GET /.well-known/openid-configuration", issuerCtx.Handler(handleDiscovery(d.Provider)))
	mux.Handle(d.Provider.AuthorizationEndpoint().Relative()+"/callback", d.Provider)
	if d.Revocations != nil {
		mux.Handle("GET /revocations", httpserver.Quiet(handleRevocations(d.Revocations, d.Logger)))
	}
	registerAPI(mux, d, l, p)
	mux.Handle("/", problem.NotFound())
	return mux, nil
}

// handleDiscovery serves the library's discovery document, corrected to
// what campus offers: the code flow only (no implicit or hybrid), PKCE
// with S256 only, no device flow; clients authenticate with their secret
// (client_secret_basic or client_secret_post) at every endpoint, so no
// *_auth_signing_alg_values_supported (those are for private_key_jwt and
// client_secret_jwt, OpenID Connect Discovery 1.0 section 3).
func handleDiscovery(p *op.Provider) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cfg := op.CreateDiscoveryConfig(r.Context(), p, p.Storage())
		cfg.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
		cfg.ResponseModesSupported = []string{"query"}
		cfg.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials}
		cfg.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
		cfg.DeviceAuthorizationEndpoint = ""
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
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cache-Control", "public, max-age=300")
		op.Discover(w, cfg)
	})
}

// LoggedOutPath is where a logout without post_logout_redirect_uri ends,
// relative to the issuer.
const LoggedOutPath = "/logged-out"

func parsePages(logger *slog.Logger) (*pages, error) {
	layout, err := template.ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("identity templates: %w", err)
	}
	p := &pages{t: map[string]*template.Template{}, logger: logger}
	for _, name := range []string{"login", "message", "consent", "register", "register_done",
		"confirm", "resend", "forgot", "reset", "mailbox", "logout"} {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("identity template %s: %w", name, err)
		}
		p.t[name] = t
	}
	return p, nil
}
