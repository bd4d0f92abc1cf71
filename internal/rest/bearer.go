package rest

import (
	"errors"
	"net/http"
	"strings"

	"campus/internal/problem"
	"campus/internal/tokencheck"
)

// Realm is the protection space of every campus API: one sign-in serves
// both, so a client needs to know of one realm only.
const Realm = "campus"

// Error codes of the Bearer challenge (RFC 6750 section 3.1).
const (
	InvalidRequest    = "invalid_request"
	InvalidToken      = "invalid_token"
	InsufficientScope = "insufficient_scope"
	// InsufficientUserAuthentication: the token is valid, but the way its
	// person signed in is not enough for the request (RFC 9470 section 3).
	InsufficientUserAuthentication = "insufficient_user_authentication"
)

// Challenge is the WWW-Authenticate value for a Bearer failure (RFC 6750
// section 3): the realm, then error, error_description and scope when
// given. Without a code (a request that sent no credentials) it is the
// realm alone: no error information (section 3.1).
func Challenge(code, description, scope string) string {
	var b strings.Builder
	b.WriteString(`Bearer realm="` + Realm + `"`)
	if code == "" {
		return b.String()
	}
	b.WriteString(`, error="` + code + `"`)
	if d := quotable(description); d != "" {
		b.WriteString(`, error_description="` + d + `"`)
	}
	if scope != "" {
		b.WriteString(`, scope="` + quotable(scope) + `"`)
	}
	return b.String()
}

// StepUpChallenge is the WWW-Authenticate value of RFC 9470 section 3:
// error insufficient_user_authentication with description, and
// acr_values naming the authentication context class references a new
// token must satisfy (space-separated), which the client passes on as
// acr_values when it asks identity again (RFC 9470 section 4).
func StepUpChallenge(description, acrValues string) string {
	return Challenge(InsufficientUserAuthentication, description, "") + `, acr_values="` + quotable(acrValues) + `"`
}

// quotable keeps the characters RFC 6750 section 3 allows in
// error_description and scope (%x20-21 / %x23-5B / %x5D-7E): no quote, no
// backslash, nothing outside printable ASCII.
func quotable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
}

// Unauthorized answers 401 with the challenge: code "" when the request
// carried no token, else InvalidToken or InvalidRequest, with description
// as error_description (for programs) and detail as the problem's text
// (for people).
func Unauthorized(w http.ResponseWriter, code, description, detail string) {
	w.Header().Set("WWW-Authenticate", Challenge(code, description, ""))
	problem.Write(w, problem.Details{Status: http.StatusUnauthorized, Detail: detail})
}

// Refusals are a resource server's texts for the people reading its
// answers when credentials do not do (each server names itself, and adds
// their German to the phrasebook).
type Refusals struct {
	NoToken     string // no credentials sent
	Unavailable string // identity cannot be asked: the token may be valid
	TokenInURL  string // an access token in ?key=
	Invalid     string // expired, revoked, or not for this API
}

// Refuse answers a request whose credentials failed with err: 401 with
// the Bearer challenge (RFC 6750 section 3) naming what was wrong, or 503
// with Retry-After when identity could not be asked
// (tokencheck.ErrUnavailable), so that the client keeps its token.
func Refuse(w http.ResponseWriter, err error, t Refusals) {
	switch {
	case errors.Is(err, ErrNoToken):
		Unauthorized(w, "", "", t.NoToken)
	case errors.Is(err, tokencheck.ErrUnavailable):
		w.Header().Set("Retry-After", "5")
		problem.Write(w, problem.Details{Status: http.StatusServiceUnavailable, Detail: t.Unavailable})
	case errors.Is(err, ErrTokenInURL):
		Unauthorized(w, InvalidRequest, "access tokens go in the Authorization header", t.TokenInURL)
	default:
		Unauthorized(w, InvalidToken, "the token is not valid (expired, revoked or not for this API)", t.Invalid)
	}
}

// Forbidden answers 403 insufficient_scope naming the scope needed.
func Forbidden(w http.ResponseWriter, scope, detail string) {
	w.Header().Set("WWW-Authenticate", Challenge(InsufficientScope, "needs the scope "+scope, scope))
	problem.Write(w, problem.Details{Status: http.StatusForbidden, Title: "Insufficient scope", Detail: detail})
}

// ErrNoToken: the request carries no credentials.
var ErrNoToken = errors.New("no token")

// ErrTokenInURL refuses an access token (a JWT) given as ?key=, which is
// for API keys only: a URL ends up in server and proxy logs, browser
// histories and Referer headers, where a token that can change things must
// never be (RFC 6750 section 5.3). API keys are read-only and revocable,
// for the places where a header cannot be set.
var ErrTokenInURL = errors.New("access token in the URL")

// Credential reads the token of a request: the Authorization header's
// Bearer token (RFC 6750 section 2.1), else an API key in ?key=.
func Credential(r *http.Request) (string, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return "", errors.New("the Authorization header must be: Bearer TOKEN")
		}
		return strings.TrimSpace(token), nil
	}
	if k := r.URL.Query().Get("key"); k != "" {
		if LooksLikeJWT(k) {
			return "", ErrTokenInURL
		}
		return k, nil
	}
	return "", ErrNoToken
}

// LooksLikeJWT tells a JWT (three dot-separated parts, RFC 7519 section
// 3) from an opaque API key, which has no dots.
func LooksLikeJWT(token string) bool { return strings.Count(token, ".") == 2 }
