package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"campus/internal/identity"
	"campus/internal/identity/oidcop"
	"campus/internal/identity/password"
	"campus/internal/identity/store"
	"campus/internal/problem"
)

// APIAudience is the aud an access token must name for identity's API.
const APIAudience = "campus-identity"

// maxBody bounds every JSON request body.
const maxBody = 64 << 10

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
	pwLimiter *hourlyLimiter
	rc        *recovery
	dir       Directory
}

// Who may call a route.
const (
	needNothing = "" // public
	needPerson  = "person"
	needGrader  = "grader" // grades:read or users:read: names for grade lists
)

// newAPI builds the API and, as they share its store and limits, the
// registration and recovery pages.
func newAPI(d Deps, l *login, p *pages) *api {
	a := &api{store: d.Admin, storage: d.Storage, provider: d.Provider, login: l, params: d.Login.Password,
		logger: d.Logger, now: d.Now, pwLimiter: newHourlyLimiter(20, 5, d.Now), dir: d.Directory}
	a.reg = newRegistrar(d, l)
	a.rc = &recovery{store: d.Admin, login: l, pages: p, mail: d.Mail, api: a, home: d.Home, limiter: newHourlyLimiter(30, 10, d.Now)}
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
		ctx := op.ContextWithIssuer(r.Context(), a.provider.IssuerFromRequest(r))
		p, err := a.authenticate(ctx, r)
		if err != nil {
			// RFC 6750 section 3.1: no error code when no credentials came.
			challenge := `Bearer realm="campus-identity"`
			if !errors.Is(err, errNoBearer) {
				challenge += `, error="invalid_token", error_description=` + strconv.Quote(err.Error())
			}
			w.Header().Set("WWW-Authenticate", challenge)
			problem.Write(w, problem.Details{Status: http.StatusUnauthorized,
				Detail: "A valid access token is required (Authorization: Bearer ...): " + err.Error() + "."})
			return
		}
		switch {
		case need == needPerson && p.account == nil:
			problem.Write(w, problem.Details{Status: http.StatusForbidden,
				Detail: "This endpoint is for people signed in with their own account; a client-credentials token has none."})
			return
		case need == needPerson && !p.firstParty:
			problem.Write(w, problem.Details{Status: http.StatusForbidden,
				Detail: "Self-service is available only through campus's own applications, not through " + p.clientID + "."})
			return
		case need == needGrader && !p.has(string(identity.PermGradesRead)) && !p.has(string(identity.PermUsersRead)):
			w.Header().Set("WWW-Authenticate", `Bearer realm="campus-identity", error="insufficient_scope", scope="grades:read"`)
			problem.Write(w, problem.Details{Status: http.StatusForbidden, Title: "Insufficient scope",
				Detail: "This needs the scope grades:read or users:read, which your token does not carry or your roles no longer grant."})
			return
		case need != needPerson && need != needGrader && !p.has(need):
			w.Header().Set("WWW-Authenticate", `Bearer realm="campus-identity", error="insufficient_scope", scope="`+need+`"`)
			problem.Write(w, problem.Details{Status: http.StatusForbidden, Title: "Insufficient scope",
				Detail: "This needs the scope " + need + ", which your token does not carry or your roles no longer grant."})
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

// authenticate verifies a bearer access token with the provider's keys
// (signature, issuer, expiry), then that it is meant for this API, not
// revoked, and whose it is.
func (a *api) authenticate(ctx context.Context, r *http.Request) (*principal, error) {
	scheme, raw, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return nil, errNoBearer
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
		a.logger.Error("check token revocation", "err", err)
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
		a.logger.Error("read permissions", "err", err)
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		problem.Write(w, problem.Details{Status: http.StatusInternalServerError, Detail: "The answer could not be encoded."})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// invalid answers 422 with field errors.
func invalid(w http.ResponseWriter, errs []problem.FieldError) {
	problem.Write(w, problem.Details{Status: http.StatusUnprocessableEntity, Title: "Invalid input",
		Detail: "Some fields are not right; see errors.", Errors: errs})
}

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

// decode reads a JSON object body into dst, a pointer to a struct whose
// json tags name the fields allowed; other fields are refused with a
// reason (field-specific where readOnlyFields has one, or in notHere). It
// answers the request itself and returns false when the body is not
// acceptable.
func decode(w http.ResponseWriter, r *http.Request, dst any, notHere map[string]string) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" && ct != "application/merge-patch+json" {
		problem.Write(w, problem.Details{Status: http.StatusUnsupportedMediaType, Detail: "Send the body as application/json."})
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		problem.Write(w, problem.Details{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("The body may be at most %d KiB.", maxBody>>10)})
		return false
	}
	if err != nil {
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Detail: "The body could not be read."})
		return false
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		problem.Write(w, problem.Details{Status: http.StatusBadRequest, Title: "Malformed JSON", Detail: "The body must be one JSON object: " + jsonProblem(err)})
		return false
	}
	allowed := jsonFields(dst)
	var errs []problem.FieldError
	for _, name := range sortedKeys(fields) {
		if slices.Contains(allowed, name) {
			continue
		}
		reason, ok := notHere[name]
		if !ok {
			reason, ok = readOnlyFields[name]
		}
		if !ok {
			reason = "is not a field of this request; allowed: " + strings.Join(allowed, ", ")
		}
		errs = append(errs, problem.FieldError{Field: name, Detail: reason})
	}
	// Each field separately, so that every wrong type is reported at once.
	v := reflect.ValueOf(dst).Elem()
	for i := range v.NumField() {
		name := jsonName(v.Type().Field(i))
		raw, ok := fields[name]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, v.Field(i).Addr().Interface()); err != nil {
			errs = append(errs, problem.FieldError{Field: name, Detail: typeProblem(err)})
		}
	}
	if errs != nil {
		invalid(w, errs)
		return false
	}
	return true
}

func jsonProblem(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%v (at byte %d)", syn, syn.Offset)
	}
	if err == nil {
		return "got null"
	}
	return "it is not an object"
}

func typeProblem(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return "must be " + jsonKind(typ.Type) + ", not a JSON " + typ.Value
	}
	var fe fieldProblem
	if errors.As(err, &fe) {
		return string(fe)
	}
	return "has the wrong type"
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	}
	return "another type"
}

// fieldProblem is a reason a field's value was refused while decoding.
type fieldProblem string

func (f fieldProblem) Error() string { return string(f) }

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

func jsonFields(dst any) []string {
	t := reflect.TypeOf(dst).Elem()
	var out []string
	for i := range t.NumField() {
		if n := jsonName(t.Field(i)); n != "" && n != "-" {
			out = append(out, n)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
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
		problem.Write(w, problem.Details{Status: http.StatusConflict, Detail: "The " + taken.Error() + ".", Errors: errs})
	case errors.Is(err, store.ErrStale):
		problem.Write(w, problem.Details{Status: http.StatusPreconditionFailed,
			Detail: "It was changed since you read it. Read it again (GET), then send your change with its new ETag in If-Match."})
	case errors.Is(err, identity.ErrConflict):
		problem.Write(w, problem.Details{Status: http.StatusConflict, Detail: conflictText(err)})
	case errors.Is(err, identity.ErrNotFound):
		problem.Write(w, problem.Details{Status: http.StatusNotFound, Detail: "There is no such " + resourceName(r) + "."})
	default:
		a.logger.Error("admin API", "method", r.Method, "path", r.URL.Path, "err", err)
		problem.Write(w, problem.Details{Status: http.StatusInternalServerError, Detail: "Something went wrong on our side; nothing was changed."})
	}
}

// conflictText turns "...: conflict" into a sentence for people.
func conflictText(err error) string {
	s := strings.TrimSuffix(err.Error(), ": "+identity.ErrConflict.Error())
	s = strings.TrimPrefix(s, identity.ErrConflict.Error()+": ")
	if s == "" {
		return "It conflicts with the current state."
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func resourceName(r *http.Request) string {
	if strings.Contains(r.URL.Path, "/roles") && r.PathValue("name") != "" {
		return "role"
	}
	return "account"
}

func etag(version int) string { return `"v` + strconv.Itoa(version) + `"` }

// ifMatch reads the If-Match header (RFC 9110 section 13.1.1) for a change
// to a resource whose current version current returns: the version to
// change (0 for "*"), or false after answering 428 (missing) or 412 (no
// tag matches, or weak tags only, which If-Match never matches).
func ifMatch(w http.ResponseWriter, r *http.Request, current func() (int, error)) (int, bool) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		problem.Write(w, problem.Details{Status: http.StatusPreconditionRequired,
			Detail: "Send If-Match with the ETag you read (GET), so that a change made meanwhile is not overwritten."})
		return 0, false
	}
	if h == "*" {
		return 0, true
	}
	var versions []int
	for tag := range strings.SplitSeq(h, ",") {
		tag = strings.TrimSpace(tag)
		if v, ok := strings.CutPrefix(tag, `"v`); ok && strings.HasSuffix(v, `"`) {
			if n, err := strconv.Atoi(strings.TrimSuffix(v, `"`)); err == nil && n > 0 {
				versions = append(versions, n)
			}
		}
	}
	stale := func() (int, bool) {
		problem.Write(w, problem.Details{Status: http.StatusPreconditionFailed,
			Detail: "It was changed since you read it. Read it again (GET), then send your change with its new ETag in If-Match."})
		return 0, false
	}
	switch len(versions) {
	case 0:
		return stale()
	case 1:
		return versions[0], true
	}
	v, err := current()
	if err != nil || !slices.Contains(versions, v) {
		return stale()
	}
	return v, true
}

// audit records an event with the request's context.
func (a *api) audit(r *http.Request, p *principal, action, outcome, target, detail string) {
	e := identity.AuditEvent{Action: action, Outcome: outcome, Target: target, ClientIP: clientIP(r), Detail: detail}
	if p != nil {
		e.Actor, e.ClientID = p.subject, p.clientID
	}
	a.login.audit(r.Context(), e)
}
