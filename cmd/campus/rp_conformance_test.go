package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	zrp "github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/client/rs"
	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"
)

// tokenHeaders records the headers of every token endpoint answer.
type tokenHeaders struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []http.Header
}

func (h *tokenHeaders) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := h.next.RoundTrip(req)
	if err == nil && strings.HasSuffix(req.URL.Path, "/oauth/token") {
		h.mu.Lock()
		h.seen = append(h.seen, resp.Header.Clone())
		h.mu.Unlock()
	}
	return resp, err
}

// postResourceServer is an rs.ResourceServer that authenticates with
// client_secret_post (the library's own constructor knows only Basic).
type postResourceServer struct {
	introspect, token string
	client            *http.Client
	id, secret        string
}

func (p postResourceServer) IntrospectionURL() string { return p.introspect }
func (p postResourceServer) TokenEndpoint() string    { return p.token }
func (p postResourceServer) HttpClient() *http.Client { return p.client }
func (p postResourceServer) AuthFn() (any, error) {
	return httphelper.FormAuthorization(func(v url.Values) {
		v.Set("client_id", p.id)
		v.Set("client_secret", p.secret)
	}), nil
}

// TestRelyingPartyZitadelClient drives campus with a second, independent
// relying-party library (zitadel/oidc's rp and rs), once per client
// authentication method campus offers.
func TestRelyingPartyZitadelClient(t *testing.T) {
	t.Parallel()
	p := startIDP(t)
	for _, m := range []struct {
		name  string
		style oauth2.AuthStyle
	}{
		{"client_secret_basic", oauth2.AuthStyleInHeader},
		{"client_secret_post", oauth2.AuthStyleInParams},
	} {
		t.Run(m.name, func(t *testing.T) {
			id := strings.ReplaceAll(m.name, "_", "-")
			c := p.addClient(t, "--id", id, "--first-party", "--redirect-uri", "https://"+id+".uni.example/cb",
				"--post-logout-redirect-uri", "https://"+id+".uni.example/bye",
				"--grant-type", "authorization_code", "--grant-type", "refresh_token", "--grant-type", "client_credentials",
				"--scope", "openid", "--scope", "profile", "--scope", "email", "--scope", "offline_access", "--scope", "grades:read")
			rec := &tokenHeaders{next: p.http.Transport}
			hc := &http.Client{Transport: rec, Timeout: p.http.Timeout}
			ctx := context.Background()

			// Discovery.
			party, err := zrp.NewRelyingPartyOIDC(ctx, p.issuer, c.ID, c.Secret, c.RedirectURIs[0],
				[]string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess},
				zrp.WithHTTPClient(hc), zrp.WithAuthStyle(m.style), zrp.WithSigningAlgsFromDiscovery())
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}

			// Authorize with PKCE, sign in through the form.
			verifier := oauth2.GenerateVerifier()
			b := p.browser(t)
			pg := getPage(t, b, zrp.AuthURL("st-"+id, party, zrp.WithCodeChallenge(oidc.NewSHACodeChallenge(verifier))))
			code := codeFrom(t, submitLogin(t, p, b, pg, "admin", adminPassword), c.RedirectURIs[0], "st-"+id)

			// Code exchange; the library verifies the id_token against the JWKS.
			tokens, err := zrp.CodeExchange[*oidc.IDTokenClaims](ctx, code, party, zrp.WithCodeVerifier(verifier))
			if err != nil {
				t.Fatalf("code exchange: %v", err)
			}
			if tokens.IDTokenClaims.GetSubject() == "" || tokens.IDTokenClaims.Claims["sid"] == nil {
				t.Fatalf("id_token claims %+v", tokens.IDTokenClaims)
			}
			if _, err := zrp.VerifyIDToken[*oidc.IDTokenClaims](ctx, tokens.IDToken, party.IDTokenVerifier()); err != nil {
				t.Fatalf("id_token: %v", err)
			}

			// Userinfo.
			info, err := zrp.Userinfo[*oidc.UserInfo](ctx, tokens.AccessToken, oidc.BearerToken, tokens.IDTokenClaims.GetSubject(), party)
			if err != nil || info.Email != "admin@localhost" {
				t.Fatalf("userinfo = %+v, %v", info, err)
			}

			// Refresh, rotated.
			fresh, err := zrp.RefreshTokens[*oidc.IDTokenClaims](ctx, party, tokens.RefreshToken, "", "")
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if fresh.RefreshToken == "" || fresh.RefreshToken == tokens.RefreshToken || fresh.AccessToken == tokens.AccessToken {
				t.Fatal("refresh did not rotate")
			}
			// The spent token again at once is a retry of a lost answer: the
			// same successor (decision on the retry grace). Once the successor
			// is used, the spent token is a reuse and refused.
			retried, err := zrp.RefreshTokens[*oidc.IDTokenClaims](ctx, party, tokens.RefreshToken, "", "")
			if err != nil || retried.RefreshToken != fresh.RefreshToken {
				t.Fatalf("an immediate retry of the refresh: %v (same successor: %v)", err, err == nil && retried.RefreshToken == fresh.RefreshToken)
			}
			if _, err := zrp.RefreshTokens[*oidc.IDTokenClaims](ctx, party, fresh.RefreshToken, "", ""); err != nil {
				t.Fatalf("refresh with the successor: %v", err)
			}
			if _, err := zrp.RefreshTokens[*oidc.IDTokenClaims](ctx, party, tokens.RefreshToken, "", ""); err == nil {
				t.Fatal("the spent refresh token was accepted again after its successor was used")
			}
			// The reuse revoked the family: sign in again for the rest.
			pg = getPage(t, b, zrp.AuthURL("st2-"+id, party, zrp.WithCodeChallenge(oidc.NewSHACodeChallenge(verifier))))
			tokens, err = zrp.CodeExchange[*oidc.IDTokenClaims](ctx, codeFrom(t, pg, c.RedirectURIs[0], "st2-"+id), party, zrp.WithCodeVerifier(verifier))
			if err != nil {
				t.Fatalf("second code exchange: %v", err)
			}

			// Introspection with the same authentication method.
			var server rs.ResourceServer
			if m.style == oauth2.AuthStyleInHeader {
				server, err = rs.NewResourceServerClientCredentials(ctx, p.issuer, c.ID, c.Secret, rs.WithClient(hc))
				if err != nil {
					t.Fatal(err)
				}
			} else {
				server = postResourceServer{introspect: p.issuer + "/oauth/introspect", token: p.issuer + "/oauth/token", client: hc, id: c.ID, secret: c.Secret}
			}
			intro, err := rs.Introspect[*oidc.IntrospectionResponse](ctx, server, tokens.AccessToken)
			if err != nil || !intro.Active || intro.ClientID != c.ID {
				t.Fatalf("introspection = %+v, %v", intro, err)
			}

			// Client credentials.
			svc, err := zrp.ClientCredentials(ctx, party, nil)
			if err != nil || svc.AccessToken == "" {
				t.Fatalf("client credentials: %v", err)
			}
			if in, err := rs.Introspect[*oidc.IntrospectionResponse](ctx, server, svc.AccessToken); err != nil || !in.Active {
				t.Fatalf("introspection of the service token = %+v, %v", in, err)
			}

			// Revocation.
			if err := zrp.RevokeToken(ctx, party, svc.AccessToken, "access_token"); err != nil {
				t.Fatalf("revoke: %v", err)
			}
			if in, _ := rs.Introspect[*oidc.IntrospectionResponse](ctx, server, svc.AccessToken); in.Active {
				t.Fatal("revoked service token still active")
			}

			// RP-initiated logout with id_token_hint: no confirmation, back to the client.
			to, err := zrp.EndSession(ctx, party, tokens.IDToken, "https://"+id+".uni.example/bye", "bye-state", "", nil)
			if err != nil || to == nil || to.Host != id+".uni.example" || to.Query().Get("state") != "bye-state" {
				t.Fatalf("end session = %v, %v", to, err)
			}
			if in, _ := rs.Introspect[*oidc.IntrospectionResponse](ctx, server, tokens.AccessToken); in.Active {
				t.Fatal("access token active after logout")
			}
			if _, err := zrp.RefreshTokens[*oidc.IDTokenClaims](ctx, party, tokens.RefreshToken, "", ""); err == nil {
				t.Fatal("refresh token works after logout")
			}

			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.seen) < 5 {
				t.Fatalf("saw %d token responses", len(rec.seen))
			}
			for i, h := range rec.seen {
				if !noStoreOK(h) {
					t.Errorf("token response %d: Cache-Control %q, Pragma %q", i, h.Get("Cache-Control"), h.Get("Pragma"))
				}
			}
		})
	}
}
