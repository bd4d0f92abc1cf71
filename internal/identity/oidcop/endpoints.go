package oidcop

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"campus/internal/db"
	"campus/internal/problem"
)

// endpoint names the library's endpoints by their (default) paths.
type endpoint int

const (
	otherEndpoint endpoint = iota
	authorizeEndpoint
	tokenEndpoint
	introspectionEndpoint
	revocationEndpoint
	userinfoEndpoint
	endSessionEndpoint
	deviceAuthorizationEndpoint
)

func endpointOf(path string) endpoint {
	switch {
	case strings.HasSuffix(path, "/oauth/token"):
		return tokenEndpoint
	case strings.HasSuffix(path, "/oauth/introspect"):
		return introspectionEndpoint
	case strings.HasSuffix(path, "/revoke"):
		return revocationEndpoint
	case strings.HasSuffix(path, "/userinfo"):
		return userinfoEndpoint
	case strings.HasSuffix(path, "/device_authorization"):
		return deviceAuthorizationEndpoint
	case strings.HasSuffix(path, "/end_session"):
		return endSessionEndpoint
	case strings.Contains(path, "/authorize"): // and its /callback
		return authorizeEndpoint
	}
	return otherEndpoint
}

// maxFormBytes bounds the form bodies the endpoints read: a token request
// is a few hundred bytes; the library would read 10 MB.
const maxFormBytes = 64 << 10

// realm is campus's one realm in WWW-Authenticate challenges, the same as
// the REST APIs' (internal/rest).
const realm = "campus"

// corsOptions allow scripts of any origin to call the endpoints a browser
// application needs (token, userinfo, introspection, revocation, JWKS),
// never with credentials: they are authorised by tokens and client
// secrets, not cookies, so Access-Control-Allow-Credentials is never sent
// (the library's default sends it to every origin). Authorize and
// end_session are navigations, not fetches: no CORS at all.
func corsOptions() *cors.Options {
	return &cors.Options{
		AllowCredentials: false,
		AllowedMethods:   []string{http.MethodGet, http.MethodHead, http.MethodPost},
		AllowedHeaders:   []string{"Accept", "Accept-Language", "Authorization", "Content-Type"},
		ExposedHeaders:   []string{"WWW-Authenticate"},
		AllowOriginVaryRequestFunc: func(r *http.Request, _ string) (bool, []string) {
			e := endpointOf(r.URL.Path)
			return e != authorizeEndpoint && e != endSessionEndpoint, nil
		},
	}
}

// noStore forbids caching a response that carries tokens or claims (RFC
// 6749 section 5.1, OIDC Core 3.1.3.3 and 5.3.2, RFC 7662 section 2.2).
func noStore(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// writeOAuthError answers an error as RFC 6749 section 5.2 asks: JSON, and
// for a failed client authentication 401 with a Basic challenge (the
// scheme campus's clients authenticate with).
func writeOAuthError(w http.ResponseWriter, e *oidc.Error) {
	status := http.StatusBadRequest
	switch e.ErrorType {
	case oidc.InvalidClient:
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
	case oidc.ServerError:
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	noStore(w.Header())
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": string(e.ErrorType), "error_description": e.Description})
}

// clientCredentials are the client_id and client_secret of a request, from
// the Authorization header (client_secret_basic, RFC 6749 section 2.3.1:
// form-urlencoded, then Basic) or the form body (client_secret_post).
// Using both, or a client assertion, is refused: a request uses one
// method (section 2.3).
func clientCredentials(r *http.Request) (id, secret string, basic bool, err *oidc.Error) {
	formID, formSecret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if r.PostForm.Get("client_assertion") != "" || r.PostForm.Get("client_assertion_type") != "" {
		return "", "", false, oidc.ErrInvalidClient().WithDescription("client assertions are not supported; use client_secret_basic or client_secret_post")
	}
	if u, p, ok := r.BasicAuth(); ok {
		if formSecret != "" {
			return "", "", true, oidc.ErrInvalidRequest().WithDescription("use one client authentication method")
		}
		id, err1 := url.QueryUnescape(u)
		secret, err2 := url.QueryUnescape(p)
		if err1 != nil || err2 != nil || (formID != "" && formID != id) {
			return "", "", true, oidc.ErrInvalidClient().WithDescription("invalid Authorization header")
		}
		return id, secret, true, nil
	}
	if r.Header.Get("Authorization") != "" {
		return "", "", true, oidc.ErrInvalidClient().WithDescription("client authentication failed")
	}
	if formID == "" || formSecret == "" {
		return "", "", false, oidc.ErrInvalidClient().WithDescription("client authentication required")
	}
	return formID, formSecret, false, nil
}

// prepareIntrospection authenticates the client of an introspection
// request (RFC 7662 section 2.1), whose form the interceptor has read, by any method the token endpoint accepts,
// answering failures itself. The library's introspection accepts only
// client_secret_basic (and private_key_jwt), so a client_secret_post
// request is passed on rewritten to Basic. ok is false once answered.
func (s *Storage) prepareIntrospection(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	id, secret, basic, oerr := clientCredentials(r)
	if oerr == nil {
		if _, err := s.confidentialClient(r.Context(), id, secret); err != nil {
			if e := new(oidc.Error); errors.As(err, &e) && e.ErrorType != oidc.ServerError {
				oerr = oidc.ErrInvalidClient().WithDescription("client authentication failed")
			} else {
				s.logger.ErrorContext(r.Context(), "introspection: client authentication", "err", err)
				oerr = oidc.ErrServerError()
			}
		}
	}
	if oerr != nil {
		writeOAuthError(w, oerr)
		return r, false
	}
	if !basic {
		r = r.Clone(r.Context())
		r.PostForm.Del("client_id")
		r.PostForm.Del("client_secret")
		r.Form.Del("client_id")
		r.Form.Del("client_secret")
		r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return r, true
}

// challengeWriter turns the library's userinfo refusals (401 or 403 as
// text/plain, no challenge) into RFC 6750 section 3 answers: 401, a
// Bearer challenge with error="invalid_token" (OIDC Core 5.3.3), JSON.
type challengeWriter struct {
	http.ResponseWriter
	answered bool
}

func (c *challengeWriter) WriteHeader(code int) {
	if c.answered {
		return
	}
	if code != http.StatusUnauthorized && code != http.StatusForbidden {
		c.ResponseWriter.WriteHeader(code)
		return
	}
	c.answered = true
	const desc = "the access token is invalid, expired or revoked"
	h := c.Header()
	h.Set("WWW-Authenticate", `Bearer realm="`+realm+`", error="invalid_token", error_description="`+desc+`"`)
	h.Set("Content-Type", "application/json")
	h.Del("Content-Length")
	c.ResponseWriter.WriteHeader(http.StatusUnauthorized)
	json.NewEncoder(c.ResponseWriter).Encode(map[string]string{"error": "invalid_token", "error_description": desc})
}

func (c *challengeWriter) Write(b []byte) (int, error) {
	if c.answered {
		return len(b), nil
	}
	return c.ResponseWriter.Write(b)
}

func (c *challengeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// bearerMissing answers a userinfo request without any access token: 401
// with a bare Bearer challenge, no error code and no body, as RFC 6750
// section 3.1 asks when a request had no credentials at all.
func bearerMissing(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`"`)
	w.WriteHeader(http.StatusUnauthorized)
}

// hasBearer reports whether a userinfo request carries an access token,
// in the header or the form (RFC 6750 sections 2.1 and 2.2).
func hasBearer(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	return r.ParseForm() == nil && r.Form.Get("access_token") != ""
}

// basicChallenger adds the Basic challenge to the library's 401 answers at
// the token and revocation endpoints (its invalid_client errors), which
// RFC 6749 section 5.2 requires.
type basicChallenger struct{ http.ResponseWriter }

func (b basicChallenger) WriteHeader(code int) {
	if code == http.StatusUnauthorized && b.Header().Get("WWW-Authenticate") == "" {
		b.Header().Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
	}
	b.ResponseWriter.WriteHeader(code)
}

func (b basicChallenger) Unwrap() http.ResponseWriter { return b.ResponseWriter }

// outageWriter turns the library's error answers into 503 with
// Retry-After when a database call of the request found the database
// unavailable: the request may well be fine, and the same request will
// work again. Not only 500: the library answers some storage errors as
// the client's fault (a code it could not look up is invalid_grant, a
// client it could not read invalid_client), which would make a client
// drop a valid code or credentials. The library's body would carry the
// database's error text as error_description; it is replaced. The error code stays server_error:
// RFC 6749 section 5.2 defines no temporarily_unavailable for the token
// endpoint (only section 4.1.2.1 does, for authorization responses), and
// section 5.2 lets the status be other than 400 for server errors.
// At the endpoints a browser navigates to (authorize, end_session) the
// answer is a short HTML page instead.
type outageWriter struct {
	http.ResponseWriter
	outage   *db.OutageNote
	html     bool
	answered bool
}

const outagePage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Temporarily unavailable</title></head>
<body><h1>Temporarily unavailable</h1>
<p>Signing in is not possible for a moment. Please try again in a few seconds.</p></body></html>
`

func (o *outageWriter) WriteHeader(code int) {
	if o.answered {
		return
	}
	if code < http.StatusBadRequest || !o.outage.Seen() {
		o.ResponseWriter.WriteHeader(code)
		return
	}
	o.answered = true
	h := o.Header()
	h.Del("Content-Length")
	h.Del("Location")
	h.Set("Retry-After", strconv.Itoa(problem.RetryAfter))
	noStore(h)
	if o.html {
		h.Set("Content-Type", "text/html; charset=utf-8")
		o.ResponseWriter.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(o.ResponseWriter, outagePage)
		return
	}
	h.Set("Content-Type", "application/json")
	o.ResponseWriter.WriteHeader(http.StatusServiceUnavailable)
	json.NewEncoder(o.ResponseWriter).Encode(map[string]string{"error": string(oidc.ServerError),
		"error_description": "the service is temporarily unavailable; try again in a few seconds"})
}

func (o *outageWriter) Write(b []byte) (int, error) {
	if o.answered {
		return len(b), nil
	}
	return o.ResponseWriter.Write(b)
}

func (o *outageWriter) Unwrap() http.ResponseWriter { return o.ResponseWriter }
