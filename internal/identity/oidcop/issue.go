package oidcop

import (
	"context"
	"net/http"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"campus/internal/db"
	"campus/internal/identity"
)

// issue follows one token response through the op library, which asks the
// storage for "the" signing key and "the" audience without saying which
// token it is building. Its order is fixed (op.CreateTokenResponse): the
// storage creates the access token, CreateJWT reads the audience and the
// signing key, then CreateIDToken reads them again. createAccessToken arms
// the issue; the first SigningKey call after that takes the access token key
// and disarms it, so the id_token gets its own audience and algorithm.
// TestTokenAlgorithmsAndAudiences pins this down.
type issue struct {
	accessPending bool
	idTokenAlg    jose.SignatureAlgorithm
	// device is the approved device authorization whose code this token
	// request spent (device.go): its session binds the tokens.
	device *identity.DevicePoll
}

type ctxKey int

const (
	issueKey ctxKey = iota
	rawTokenKey
)

func issueFrom(ctx context.Context) *issue {
	i, _ := ctx.Value(issueKey).(*issue)
	return i
}

// interceptor prepares each protocol request: a fresh issue in its
// context; the raw token of an introspection or revocation request (the
// library verifies it but passes on only its id). It also applies what the library leaves out: bounded form
// bodies, no caching of token responses, client_secret_post and RFC 6749
// errors at introspection, RFC 6750 challenges at userinfo, and 503 for
// the library's 500 when the database was unavailable (see endpoints.go).
func interceptor(s *Storage) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, outage := db.WithOutageNote(r.Context())
			ctx = context.WithValue(ctx, issueKey, &issue{idTokenAlg: jose.RS256})
			r = r.WithContext(ctx)
			e := endpointOf(r.URL.Path)
			w = &outageWriter{ResponseWriter: w, outage: outage, html: e == authorizeEndpoint || e == endSessionEndpoint}
			switch e {
			case tokenEndpoint, introspectionEndpoint, revocationEndpoint, userinfoEndpoint, deviceAuthorizationEndpoint:
				noStore(w.Header())
				r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
				if r.Method == http.MethodPost && r.ParseForm() != nil {
					writeOAuthError(w, oidc.ErrInvalidRequest().WithDescription("the form could not be read (at most 64 KiB)"))
					return
				}
			}
			switch {
			case e == tokenEndpoint || e == revocationEndpoint:
				w = basicChallenger{w}
			case e == userinfoEndpoint:
				if !hasBearer(r) {
					bearerMissing(w)
					return
				}
				w = &challengeWriter{ResponseWriter: w}
			case e == introspectionEndpoint && r.Method == http.MethodPost:
				var ok bool
				if r, ok = s.prepareIntrospection(w, r); !ok {
					return
				}
				raw := r.PostForm.Get("token")
				if isAPIKey(raw) { // opaque: not the library's
					s.introspectAPIKey(w, r, raw)
					return
				}
				ctx = context.WithValue(ctx, rawTokenKey, raw)
			}
			if e == revocationEndpoint && r.Method == http.MethodPost {
				ctx = context.WithValue(ctx, rawTokenKey, r.PostForm.Get("token"))
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
