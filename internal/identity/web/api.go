package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"campus/internal/db"
	"campus/internal/identity"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/password"
	"campus/internal/identity/policy"
	"campus/internal/identity/store"
	"campus/internal/problem"
	"campus/internal/rest"
)

// APIAudience is the aud an access token must name for identity's API.
const APIAudience = "campus-identity"

// api serves /api/v1: the admin REST API, self-service and registration.
type api struct {
	store    *store.Store
	storage  *oidcop.Storage
	provider *op.Provider
	login    *login
	reg      *registrar
	params   password.Params
	logger   *slog.Logger
	now      func() time.Time
	// pwLimiter bounds attempts at the current password per account, so
	// that a stolen access token cannot be used to guess it.
	pwLimiter *policy.SharedLimiter
	rc        *recovery
	dir       Directory
	// serviceMails bounds the mails services send one person.
	serviceMails *policy.SharedLimiter
	// signIn is where event accounts are told to sign in: the portal
	// (Home) or, without one, identity's issuer.
	signIn string
}

// Who may call a route.
const (
	needNothing = "" // public
	needPerson  = "person"
	// needGrader is grades:read or users:read (names for grade lists), or
	// a service's people:read (names and roles for the messages service).
	needGrader = "grader"
	// needService is a service with grades:read acting for itself (client
	// credentials), never a person's token: it may turn usernames and
	// e-mail addresses into subject ids.
	needService = "service"
)

// newAPI builds the API and, as they share its store and limits, the
// registration and recovery pages.
func newAPI(d Deps, l *login, p *pages) *api {
	a := &api{store: d.Store, storage: d.Storage, provider: d.Provider, login: l, params: d.Login.Password,
		logger: d.Logger, now: d.Now, pwLimiter: policy.NewSharedLimiter("password-change/account", d.Store, 20, time.Hour, 5, d.Now), dir: d.Directory}
	a.serviceMails = newServiceMailLimiter(d.Store, d.Now)
	a.signIn = d.Home
	if a.signIn == "" {
		a.signIn = d.Issuer
	}
	a.reg = newRegistrar(d, l)
	a.rc = &recovery{store: d.Store, login: l, pages: p, mail: d.Mail, api: a, home: d.Home, limiter: policy.NewSharedLimiter("mailed-link/address", d.Store, 30, time.Hour, 10, d.Now)}
	return a
}

// handleNoAPIEndpoint answers paths under /api/ that are no route.
func handleNoAPIEndpoint() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, problem.Details{Status: http.StatusNotFound, Detail: "There is no such API endpoint; see /api/v1/openapi.yaml."})
	})
}

var errNoBearer = errors.New("no bearer token")

// needs authenticates the caller and checks what the route needs (a
// scope, a person, or nothing) before handle runs.
func (a *api) needs(need string, handle func(w http.ResponseWriter, r *http.Request, p *principal)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if need == needNothing {
			handle(w, r, nil)
			return
		}
		ctx, outage := db.WithOutageNote(op.ContextWithIssuer(r.Context(), a.provider.IssuerFromRequest(r)))
		p, err := a.authenticate(ctx, r)
		if err != nil && outage.Seen() {
			// The token could not be checked, which says nothing of it.
			a.logger.WarnContext(ctx, "admin API: database unavailable", "path", r.URL.Path, "err", err)
			problem.Unavailable(w)
			return
		}
		if err != nil {
			code := rest.InvalidToken
			if errors.Is(err, errNoBearer) {
				code = "" // RFC 6750 section 3.1: no error code when no credentials came
			}
			rest.Unauthorized(w, code, err.Error(), tokenDetail(err))
			return
		}
		switch {
		case need == needPerson && p.account == nil:
			problem.Write(w, problem.Details{Status: http.StatusForbidden,
				Detail: "This endpoint is for people signed in with their own account; a client-credentials token has none."})
			return
		case need == needPerson && !p.firstParty:
			problem.Write(w, problem.Details{Status: http.StatusForbidden,
				Detail: fmt.Sprintf("Self-service is available only through campus's own applications, not through %s.", p.clientID)})
			return
		case need == needGrader && !p.has(string(identity.PermGradesRead)) && !p.has(string(identity.PermUsersRead)) && !p.has(identity.ScopePeopleRead):
			rest.Forbidden(w, string(identity.PermGradesRead),
				"This needs the scope grades:read, users:read or people:read, which your token does not carry or your roles no longer grant.")
			return
		case need == needService && (p.account != nil || !p.has(string(identity.PermGradesRead))):
			rest.Forbidden(w, string(identity.PermGradesRead),
				"This is for services with a client-credentials token carrying grades:read, not for people's tokens.")
			return
		case need != needPerson && need != needGrader && need != needService && !p.has(need):
			rest.Forbidden(w, need, fmt.Sprintf("This needs the scope %s, which your token does not carry or your roles no longer grant.", need))
			return
		}
		handle(w, r.WithContext(ctx), p)
	})
}

// principal is who calls: a person (account set) or a service acting for
// itself with client credentials (account nil).
type principal struct {
	subject    string
	clientID   string
	jti        string
	account    *store.AccountRecord
	firstParty bool
	// scopes are the token's scopes that the caller still holds: for a
	// person those their roles grant now, so that a role taken away takes
	// effect before the token expires.
	scopes []string
	// perms are what the caller may hand on to others: a person's role
	// permissions, a service's scopes.
	perms []identity.Permission
}

func (p *principal) has(scope string) bool { return slices.Contains(p.scopes, scope) }

// isSelf reports whether the principal is the person with this account id.
func (p *principal) isSelf(id string) bool { return p.account != nil && p.account.ID == id }

// errAPIKey refuses a personal API key: keys read the study API only (the
// public catalogue and their owner's own enrolments and grades), never
// identity's accounts.
var errAPIKey = errors.New("API keys read the study API only; this API needs an access token from signing in")

// authenticate verifies a bearer access token with the provider's keys
// (signature, issuer, expiry), then that it is meant for this API, not
// revoked, and whose it is.
func (a *api) authenticate(ctx context.Context, r *http.Request) (*principal, error) {
	scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return nil, errNoBearer
	}
	if strings.HasPrefix(strings.TrimSpace(raw), "campus_") && !strings.Contains(raw, ".") {
		// A personal API key: valid or not, it is not for this API.
		return nil, errAPIKey
	}
	claims, err := op.VerifyAccessToken[*oidc.AccessTokenClaims](ctx, strings.TrimSpace(raw), a.provider.AccessTokenVerifier(ctx))
	if err != nil {
		return nil, errors.New("the token is not valid or has expired")
	}
	if !slices.Contains(claims.Audience, APIAudience) {
		return nil, errors.New("the token is not meant for this API")
	}
	if claims.JWTID == "" {
		return nil, errors.New("the token has no id")
	}
	revoked, err := a.store.AccessTokenRevoked(ctx, claims.JWTID)
	if err != nil {
		a.logger.ErrorContext(ctx, "check token revocation", "err", err)
		return nil, errors.New("the token could not be checked")
	}
	if revoked {
		return nil, errors.New("the token was revoked")
	}
	p := &principal{subject: claims.Subject, clientID: claims.ClientID, jti: claims.JWTID}
	client, err := a.store.Client(ctx, claims.ClientID)
	if err != nil {
		return nil, errors.New("the token's application is no longer registered")
	}
	p.firstParty = client.FirstParty
	// Tokens issued to people carry their roles; a client's own token does not.
	if _, person := claims.Claims["roles"]; !person {
		if claims.Subject != claims.ClientID {
			return nil, errors.New("the token names no account")
		}
		p.scopes = claims.Scopes
		for _, s := range claims.Scopes {
			p.perms = append(p.perms, identity.Permission(s))
		}
		return p, nil
	}
	acc, err := a.store.AccountRecord(ctx, claims.Subject)
	if err != nil {
		return nil, errors.New("the token's account does not exist")
	}
	if acc.Status != identity.StatusActive {
		return nil, errors.New("the token's account is disabled")
	}
	p.account = &acc
	if p.perms, err = a.store.Permissions(ctx, acc.ID); err != nil {
		a.logger.ErrorContext(ctx, "read permissions", "err", err)
		return nil, errors.New("the token could not be checked")
	}
	for _, s := range claims.Scopes {
		if slices.Contains(p.perms, identity.Permission(s)) {
			p.scopes = append(p.scopes, s)
		}
	}
	return p, nil
}

// ---- requests and responses

// readOnlyFields are fields a body may not set, with what to do instead.
var readOnlyFields = map[string]string{
	"id":              "is assigned by campus and cannot change",
	"roles":           "change roles with PUT /api/v1/users/{id}/roles",
	"status":          "use POST /api/v1/users/{id}/disable or /enable",
	"email_verified":  "is set when the person confirms the address",
	"created_at":      "is read-only",
	"updated_at":      "is read-only",
	"last_login_at":   "is read-only",
	"locked":          "use POST /api/v1/users/{id}/unlock",
	"locked_until":    "use POST /api/v1/users/{id}/unlock",
	"failed_sign_ins": "use POST /api/v1/users/{id}/unlock",
	"version":         "is read-only; send it as If-Match",
	"password":        "is changed by its holder with POST /api/v1/me/password",
}

// decode reads a JSON object body into dst with rest.Decode; fields a
// body may not set are refused with the reason readOnlyFields or notHere
// gives.
func decode(w http.ResponseWriter, r *http.Request, dst any, notHere map[string]string) bool {
	refused := maps.Clone(readOnlyFields)
	maps.Copy(refused, notHere)
	return rest.Decode(w, r, dst, refused)
}

// optional is a field of a JSON merge patch (RFC 7396): Set when the body
// names it, Null when it names it as null (remove).
type optional[T any] struct {
	Set, Null bool
	Value     T
}

func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// ---- errors, ETags, If-Match

// fail maps a store error to its answer; anything unexpected is logged and
// answered 500 without detail.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	var taken *store.TakenError
	var refused *refusal
	switch {
	case errors.As(err, &refused):
		problem.Write(w, problem.Details{Status: http.StatusForbidden, Detail: refused.detail})
	case errors.As(err, &taken):
		var errs []problem.FieldError
		if taken.Username {
			errs = append(errs, problem.FieldError{Field: "username", Detail: "is taken; choose another"})
		}
		if taken.Email {
			errs = append(errs, problem.FieldError{Field: "email", Detail: "belongs to another account"})
		}
		problem.Write(w, problem.Details{Status: http.StatusConflict, Detail: takenText(taken), Errors: errs})
	case errors.Is(err, store.ErrStale):
		problem.Write(w, problem.Details{Status: http.StatusPreconditionFailed,
			Detail: "It was changed since you read it. Read it again (GET), then send your change with its new ETag in If-Match."})
	case errors.Is(err, identity.ErrConflict):
		problem.Write(w, problem.Details{Status: http.StatusConflict, Detail: conflictText(err)})
	case errors.Is(err, identity.ErrNotFound):
		problem.Write(w, problem.Details{Status: http.StatusNotFound, Detail: notFoundText(r)})
	case errors.Is(err, password.ErrBusy):
		w.Header().Set("Retry-After", "2")
		problem.Write(w, problem.Details{Status: http.StatusServiceUnavailable, Detail: "Too many passwords are being checked at once. Try again in a few seconds; nothing was changed."})
	case db.Unavailable(err):
		a.logger.WarnContext(r.Context(), "admin API: database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		problem.Unavailable(w)
	default:
		a.logger.ErrorContext(r.Context(), "admin API", "method", r.Method, "path", r.URL.Path, "err", err)
		problem.Write(w, problem.Details{Status: http.StatusInternalServerError, Detail: "Something went wrong on our side; nothing was changed."})
	}
}

// failureStatus is the status of an answer to an error no table entry
// covers: 503 when the database was unavailable (problem.Write adds
// Retry-After), else 500.
func failureStatus(err error) int {
	if db.Unavailable(err) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// conflictText turns a conflict from the store into a sentence for
// people. The store's conflicts that reach the API each have their own
// sentence, so that they can be translated.
func conflictText(err error) string {
	var role string
	switch {
	case errors.Is(err, store.ErrLastAdmin):
		return "This is the last active administrator; give another account the admin role first."
	case strings.Contains(err.Error(), "username or e-mail already taken"):
		return "Username or e-mail already taken."
	}
	if _, scanErr := fmt.Sscanf(err.Error(), "a role named %q exists already", &role); scanErr == nil {
		return fmt.Sprintf("A role named %q exists already.", role)
	}
	return "It conflicts with the current state."
}

// notFoundText says which resource of the request is not there.
func notFoundText(r *http.Request) string {
	if strings.Contains(r.URL.Path, "/roles") && r.PathValue("name") != "" {
		return "There is no such role."
	}
	return "There is no such account."
}

// takenText is the detail of a change refused because an identifier
// belongs to another account.
func takenText(taken *store.TakenError) string {
	switch {
	case taken.Username && taken.Email:
		return "The username and e-mail address are taken."
	case taken.Username:
		return "The username is taken."
	case taken.Email:
		return "The e-mail address is taken."
	}
	return "The username or e-mail address is taken."
}

// tokenDetail is the problem detail of a request whose access token
// failed the check in err; each is one sentence, so that it can be
// translated. The WWW-Authenticate challenge keeps err's plain English
// (RFC 6750 section 3: error_description is for developers).
func tokenDetail(err error) string {
	switch err.Error() {
	case errNoBearer.Error():
		return "A valid access token is required (Authorization: Bearer ...): no bearer token."
	case "the token is not valid or has expired":
		return "A valid access token is required (Authorization: Bearer ...): the token is not valid or has expired."
	case "the token is not meant for this API":
		return "A valid access token is required (Authorization: Bearer ...): the token is not meant for this API."
	case "the token has no id":
		return "A valid access token is required (Authorization: Bearer ...): the token has no id."
	case "the token was revoked":
		return "A valid access token is required (Authorization: Bearer ...): the token was revoked."
	case "the token's application is no longer registered":
		return "A valid access token is required (Authorization: Bearer ...): the token's application is no longer registered."
	case "the token names no account":
		return "A valid access token is required (Authorization: Bearer ...): the token names no account."
	case "the token's account does not exist":
		return "A valid access token is required (Authorization: Bearer ...): the token's account does not exist."
	case "the token's account is disabled":
		return "A valid access token is required (Authorization: Bearer ...): the token's account is disabled."
	case "the token could not be checked":
		return "A valid access token is required (Authorization: Bearer ...): the token could not be checked."
	case errAPIKey.Error():
		return "A valid access token is required (Authorization: Bearer ...): API keys read the study API only; this API needs an access token from signing in."
	}
	// A reason without a sentence of its own: German but for the reason.
	return fmt.Sprintf("A valid access token is required (Authorization: Bearer ...): %v.", err)
}

// ifMatch reads the If-Match header for a change to a resource whose
// current version current returns: see rest.IfMatch; required on every
// change.
func ifMatch(w http.ResponseWriter, r *http.Request, current func() (int, error)) (int, bool) {
	return rest.IfMatch(w, r, rest.Match{Required: true, Current: current, Alias: formerETag})
}

// formerETag reads the ETags identity handed out until both APIs shared one
// format ("v3", now "3"), so that a client holding one is not refused
// after an upgrade. Still a strong comparison: W/"v3" matches nothing.
func formerETag(tag string) (int, bool) {
	if v, ok := strings.CutPrefix(tag, `"v`); ok {
		return rest.ParseETag(`"` + v)
	}
	return 0, false
}

// audit records an event with the request's context.
func (a *api) audit(r *http.Request, p *principal, action, outcome, target, detail string) {
	e := identity.AuditEvent{Action: action, Outcome: outcome, Target: target, ClientIP: clientIP(r), Detail: detail}
	if p != nil {
		e.Actor, e.ClientID = p.subject, p.clientID
	}
	a.login.audit(r.Context(), e)
}
