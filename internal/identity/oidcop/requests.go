package oidcop

import (
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"campus/internal/identity"
)

// authRequest adapts identity.AuthRequest to op.AuthRequest.
type authRequest struct {
	identity.AuthRequest
	apiAudiences []string
	issue        *issue
}

var _ op.AuthRequest = (*authRequest)(nil)

func (a *authRequest) GetID() string          { return a.ID }
func (a *authRequest) GetACR() string         { return ACR(a.AMR) }
func (a *authRequest) GetAMR() []string       { return a.AMR }
func (a *authRequest) GetAuthTime() time.Time { return a.AuthTime }
func (a *authRequest) GetClientID() string    { return a.ClientID }
func (a *authRequest) GetNonce() string       { return a.Nonce }
func (a *authRequest) GetRedirectURI() string {
	return a.RedirectURI
}
func (a *authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(a.ResponseType) }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(a.ResponseMode) }
func (a *authRequest) GetScopes() []string                { return a.Scopes }
func (a *authRequest) GetState() string                   { return a.State }
func (a *authRequest) GetSubject() string                 { return a.AccountID }
func (a *authRequest) Done() bool                         { return a.AuthRequest.Done }

// GetAudience is the APIs while the access token is built, the client
// alone for the id_token (OIDC Core 3.1.3.7: relying parties may refuse
// audiences they do not trust).
func (a *authRequest) GetAudience() []string {
	return audience(a.issue, a.apiAudiences, a.ClientID)
}

func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.CodeChallenge, Method: oidc.CodeChallengeMethod(a.CodeChallengeMethod)}
}

func audience(i *issue, apis []string, clientID string) []string {
	if i != nil && i.accessPending {
		return apis
	}
	return []string{clientID}
}

// refreshRequest adapts a refresh token to op.RefreshTokenRequest.
type refreshRequest struct {
	identity.RefreshToken
	token        string // the presented value, rotated on use
	apiAudiences []string
	issue        *issue
}

var _ op.RefreshTokenRequest = (*refreshRequest)(nil)

func (r *refreshRequest) GetAMR() []string                 { return r.AMR }
func (r *refreshRequest) GetAuthTime() time.Time           { return r.AuthTime }
func (r *refreshRequest) GetClientID() string              { return r.ClientID }
func (r *refreshRequest) GetScopes() []string              { return r.Scopes }
func (r *refreshRequest) GetSubject() string               { return r.AccountID }
func (r *refreshRequest) GetAudience() []string            { return audience(r.issue, r.apiAudiences, r.ClientID) }
func (r *refreshRequest) SetCurrentScopes(scopes []string) { r.Scopes = narrow(r.Scopes, scopes) }

// narrow keeps the requested scopes that were granted: a refresh may ask
// for fewer scopes, never more (RFC 6749 section 6).
func narrow(granted, requested []string) []string {
	var out []string
	for _, s := range requested {
		if slices.Contains(granted, s) {
			out = append(out, s)
		}
	}
	return out
}

// serviceRequest is a client acting for itself (client credentials).
type serviceRequest struct {
	clientID     string
	scopes       []string
	apiAudiences []string
}

var _ op.TokenRequest = (*serviceRequest)(nil)

func (s *serviceRequest) GetSubject() string    { return s.clientID }
func (s *serviceRequest) GetAudience() []string { return s.apiAudiences }
func (s *serviceRequest) GetScopes() []string   { return s.scopes }
