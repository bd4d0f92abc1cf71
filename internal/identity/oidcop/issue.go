package oidcop

import (
	"context"
	"net/http"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
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
}

type ctxKey int

const (
	issueKey ctxKey = iota
	rawTokenKey
	sessionCookieKey
)

func issueFrom(ctx context.Context) *issue {
	i, _ := ctx.Value(issueKey).(*issue)
	return i
}

// interceptor prepares each protocol request's context: a fresh issue, the
// raw token of an introspection request (the library verifies it but passes
// on only its id), and the identity session cookie (for end_session).
func interceptor(cookieName string, keys *Storage) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := context.WithValue(r.Context(), issueKey, &issue{idTokenAlg: jose.RS256})
			if strings.HasSuffix(r.URL.Path, "/introspect") && r.Method == http.MethodPost {
				if err := r.ParseForm(); err == nil {
					raw := r.PostForm.Get("token")
					if keys != nil && isAPIKey(raw) { // opaque: not the library's
						keys.introspectAPIKey(w, r, raw)
						return
					}
					ctx = context.WithValue(ctx, rawTokenKey, raw)
				}
			}
			if c, err := r.Cookie(cookieName); err == nil {
				ctx = context.WithValue(ctx, sessionCookieKey, c.Value)
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
