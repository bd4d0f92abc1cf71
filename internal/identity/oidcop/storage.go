package oidcop

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"campus/internal/db"
	"campus/internal/identity"
	"campus/internal/identity/policy"
)

// Store is what the OpenID Provider needs of identity's store.
type Store interface {
	KeyStore
	Client(ctx context.Context, id string) (identity.Client, error)
	Account(ctx context.Context, id string) (identity.Account, error)
	Permissions(ctx context.Context, accountID string) ([]identity.Permission, error)
	SignInRules(ctx context.Context, accountID string) (policy.Rules, error)
	CreateAuthRequest(ctx context.Context, a identity.AuthRequest) error
	AuthRequest(ctx context.Context, id string) (identity.AuthRequest, error)
	SaveCode(ctx context.Context, id, codeHash string, expires time.Time) error
	RedeemCode(ctx context.Context, codeHash string) (identity.AuthRequest, error)
	AddSessionClient(ctx context.Context, sessionID, clientID string) error
	Session(ctx context.Context, id string) (identity.Session, error)
	SessionByToken(ctx context.Context, tokenHash string) (identity.Session, error)
	EndSession(ctx context.Context, sessionID string) ([]string, error)
	CreateTokens(ctx context.Context, at identity.AccessToken, rt *identity.RefreshToken, rtHash string) error
	RefreshToken(ctx context.Context, hash string) (identity.RefreshToken, error)
	RotateRefreshToken(ctx context.Context, oldHash string, next identity.RefreshToken, nextHash, nextSealed string,
		at identity.AccessToken, grace time.Duration) (string, error)
	RevokeRefreshFamily(ctx context.Context, hash, clientID string) error
	RevokeAccessToken(ctx context.Context, jti, clientID string, expires time.Time) error
	AccessTokenRevoked(ctx context.Context, jti string) (bool, error)
	AccessTokenScopes(ctx context.Context, jti string) ([]string, bool, error)
	UseAPIKey(ctx context.Context, secret string) (identity.APIKey, error)
	CreateDeviceAuthorization(ctx context.Context, d identity.DeviceAuthorization, deviceCodeHash, userCodeHash string) error
	PollDeviceAuthorization(ctx context.Context, deviceCodeHash, clientID string) (identity.DevicePoll, error)
	Ping(ctx context.Context) error
}

// Config are the provider's lifetimes and audiences.
type Config struct {
	Issuer         string
	AccessTokenTTL time.Duration // default 10m
	// StepUpTTL is the lifetime of access tokens carrying studies:write
	// (the study token), exactly, whatever AccessTokenTTL is: the one
	// setting the docs and the study API's answers refer to; default 15m.
	StepUpTTL       time.Duration
	IDTokenTTL      time.Duration // default 1h
	RefreshTokenTTL time.Duration // default 14 days
	// RefreshRetryGrace is how long after a refresh token is spent the
	// same client may present it again and get the same successor (its
	// answer was lost); default 10s. See decision 47.
	RefreshRetryGrace time.Duration
	AuthRequestTTL    time.Duration // default 30m
	CodeTTL           time.Duration // default 1m
	// DeviceCodeTTL is how long a device authorization request (RFC 8628)
	// waits for the person's approval; default 10m. DevicePollInterval is
	// the interval its device must keep between polls; default 5s.
	DeviceCodeTTL      time.Duration
	DevicePollInterval time.Duration
	SessionCookie      string // the identity session cookie's name
	// APIAudiences are the aud of every access token: the APIs that accept
	// them (the study API, identity's admin API).
	APIAudiences []string
	// Location is the time zone of login windows (nil: UTC).
	Location *time.Location
	// MFARoles are the roles that require a second factor: a refresh of
	// a grant whose sign-in had none stops for their members (a role
	// given later, or the policy turned on).
	MFARoles []string
	// ConfirmFirst refuses local accounts whose address is not confirmed,
	// at sign-in and at every refresh.
	ConfirmFirst bool
	// SessionEnded is told which clients to notify when a session ends
	// (back-channel logout); nil to tell nobody.
	SessionEnded func(ctx context.Context, sessionID, accountID string, clients []string)
	// TokenIssued, when set, hears of each access token issued, by grant
	// (authorization_code, refresh_token, client_credentials,
	// device_code): for metrics.
	TokenIssued func(grant string)
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.AccessTokenTTL, 10*time.Minute)
	def(&c.StepUpTTL, 15*time.Minute)
	def(&c.IDTokenTTL, time.Hour)
	def(&c.RefreshTokenTTL, 14*24*time.Hour)
	def(&c.RefreshRetryGrace, 10*time.Second)
	def(&c.AuthRequestTTL, 30*time.Minute)
	def(&c.CodeTTL, time.Minute)
	def(&c.DeviceCodeTTL, 10*time.Minute)
	def(&c.DevicePollInterval, 5*time.Second)
}

// Authentication context classes (OpenID Connect Core 1.0 section 2,
// acr): a sign-in with one factor, and one with two (a password and a
// second factor, or a passkey with user verification). Discovery lists
// them (acr_values_supported).
const (
	ACROneFactor = "urn:campus:acr:1fa"
	ACRMFA       = "urn:campus:acr:mfa"
)

// ACR is the class of a sign-in proved by amr (RFC 8176 values).
func ACR(amr []string) string {
	if len(amr) == 0 {
		return ""
	}
	if slices.Contains(amr, "mfa") {
		return ACRMFA
	}
	return ACROneFactor
}

// StepUpScope is the scope only a fresh password entry grants.
const StepUpScope = string(identity.PermStudiesWrite)

// Storage implements op.Storage over identity's store.
type Storage struct {
	store  Store
	keys   *Keys
	cfg    Config
	now    func() time.Time
	logger *slog.Logger
	// loginPath is the login page's path, to which authorization requests
	// are sent with ?authRequestID=.
	loginPath string
	clients   clientCache
}

// clientTTL bounds how long a client registration is served from memory: a
// token request reads its client three times, and at thousands of requests
// a second the reads were a third of the endpoint's cost. A removed or
// changed client takes effect within this time, on every replica.
const clientTTL = 2 * time.Second

// clientCache holds registrations that exist (never misses, so unknown ids
// cannot fill it).
type clientCache struct {
	mu sync.RWMutex
	m  map[string]cachedClient
}

type cachedClient struct {
	c       identity.Client
	expires time.Time
}

func (cc *clientCache) get(id string, now time.Time) (identity.Client, bool) {
	cc.mu.RLock()
	defer cc.mu.RUnlock()
	e, ok := cc.m[id]
	return e.c, ok && now.Before(e.expires)
}

func (cc *clientCache) put(c identity.Client, now time.Time) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.m == nil || len(cc.m) > 10000 {
		cc.m = map[string]cachedClient{}
	}
	cc.m[c.ID] = cachedClient{c: c, expires: now.Add(clientTTL)}
}

var (
	_ op.Storage                        = (*Storage)(nil)
	_ op.ClientCredentialsStorage       = (*Storage)(nil)
	_ op.CanTerminateSessionFromRequest = (*Storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*Storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*Storage)(nil)
	_ op.DeviceAuthorizationStorage     = (*Storage)(nil)
)

// NewStorage returns the provider's storage.
func NewStorage(store Store, keys *Keys, cfg Config, loginPath string, now func() time.Time, logger *slog.Logger) *Storage {
	cfg.defaults()
	return &Storage{store: store, keys: keys, cfg: cfg, now: now, logger: logger, loginPath: loginPath}
}

// HashToken is how codes, refresh tokens and session cookies are stored.
// They are 256-bit random values, so a fast hash is enough.
func HashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// NewToken returns a 256-bit random token.
func NewToken() string { return randomID(32) }

// ---- clients

func (s *Storage) client(ctx context.Context, id string) (*client, error) {
	now := s.now()
	c, ok := s.clients.get(id, now)
	if !ok {
		var err error
		c, err = s.store.Client(ctx, id)
		if errors.Is(err, identity.ErrNotFound) {
			return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
		}
		if err != nil {
			return nil, err
		}
		s.clients.put(c, now)
	}
	return &client{Client: c, loginURL: s.loginPath + "?authRequestID=", idTokenTTL: s.cfg.IDTokenTTL}, nil
}

// GetClientByClientID also notes the client's id_token algorithm for the
// token being issued in this request.
func (s *Storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.client(ctx, id)
	if err != nil {
		return nil, err
	}
	if i := issueFrom(ctx); i != nil && c.IDTokenAlg != "" {
		i.idTokenAlg = jose.SignatureAlgorithm(c.IDTokenAlg)
	}
	return c, nil
}

// AuthorizeClientIDSecret checks a confidential client's secret in
// constant time.
func (s *Storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	_, err := s.confidentialClient(ctx, id, secret)
	return err
}

func (s *Storage) confidentialClient(ctx context.Context, id, secret string) (*client, error) {
	c, err := s.client(ctx, id)
	if err != nil {
		return nil, err
	}
	want := c.SecretHash
	if c.Public || want == "" {
		want = strings.Repeat("0", 64) // compare anyway: no timing difference
	}
	if subtle.ConstantTimeCompare([]byte(HashToken(secret)), []byte(want)) != 1 || c.Public {
		return nil, oidc.ErrInvalidClient().WithDescription("client authentication failed")
	}
	return c, nil
}

// ClientCredentials authenticates a service (RFC 6749 section 4.4).
func (s *Storage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	c, err := s.confidentialClient(ctx, id, secret)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.Client.GrantTypes, string(oidc.GrantTypeClientCredentials)) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("client may not use client_credentials")
	}
	return c, nil
}

// ClientCredentialsTokenRequest grants a service the requested scopes its
// registration allows, and no others.
func (s *Storage) ClientCredentialsTokenRequest(ctx context.Context, id string, scopes []string) (op.TokenRequest, error) {
	c, err := s.client(ctx, id)
	if err != nil {
		return nil, err
	}
	var granted []string
	for _, sc := range scopes {
		if slices.Contains(c.Client.Scopes, sc) && sc != StepUpScope {
			granted = append(granted, sc)
		}
	}
	return &serviceRequest{clientID: id, scopes: granted, apiAudiences: s.cfg.APIAudiences}, nil
}

// ---- authorization requests

// temporarilyUnavailable is RFC 6749 section 4.1.2.1's error code for an
// authorization server that cannot handle the request for now; the
// library has no constant for it.
const temporarilyUnavailable = "temporarily_unavailable"

// CreateAuthRequest stores a validated authorization request. PKCE with
// S256 is required of public clients (RFC 9700 section 2.1.1; RFC 7636).
// hintSubject is the sub of a valid id_token_hint, which the person who
// signs in must be (OIDC Core 3.1.2.1).
func (s *Storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, hintSubject string) (op.AuthRequest, error) {
	c, err := s.client(ctx, req.ClientID)
	if err != nil {
		return nil, err
	}
	if c.Public && (req.CodeChallenge == "" || req.CodeChallengeMethod != oidc.CodeChallengeMethodS256) {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with code_challenge_method=S256 is required for this client")
	}
	if req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("only code_challenge_method=S256 is supported")
	}
	now := s.now().UTC()
	a := identity.AuthRequest{
		ID:                  NewToken(),
		ClientID:            req.ClientID,
		RedirectURI:         req.RedirectURI,
		State:               req.State,
		Nonce:               req.Nonce,
		Scopes:              req.Scopes,
		ResponseType:        string(req.ResponseType),
		ResponseMode:        string(req.ResponseMode),
		CodeChallenge:       req.CodeChallenge,
		CodeChallengeMethod: string(req.CodeChallengeMethod),
		Prompt:              req.Prompt,
		LoginHint:           req.LoginHint,
		HintSubject:         hintSubject,
		UILocales:           uiLocales(req.UILocales),
		ACRValues:           req.ACRValues,
		CreatedAt:           now,
		ExpiresAt:           now.Add(s.cfg.AuthRequestTTL),
	}
	if req.MaxAge != nil {
		v := int(*req.MaxAge)
		a.MaxAge = &v
	}
	if err := s.store.CreateAuthRequest(ctx, a); err != nil {
		if db.Unavailable(err) {
			// The client and its redirect URI are known (from the cache):
			// tell the client to try later (RFC 6749 section 4.1.2.1).
			s.logger.WarnContext(ctx, "authorization request: database unavailable", "client", req.ClientID, "err", err)
			return nil, &oidc.Error{ErrorType: temporarilyUnavailable,
				Description: "the service is temporarily unavailable; try again in a few seconds"}
		}
		return nil, err
	}
	return s.wrap(ctx, a), nil
}

func (s *Storage) wrap(ctx context.Context, a identity.AuthRequest) *authRequest {
	return &authRequest{AuthRequest: a, apiAudiences: s.cfg.APIAudiences, issue: issueFrom(ctx)}
}

// AuthRequestByID returns a pending request.
func (s *Storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	a, err := s.store.AuthRequest(ctx, id)
	if err != nil {
		if errors.Is(err, identity.ErrNotFound) {
			return nil, oidc.ErrInvalidRequest().WithDescription("unknown or expired authorization request")
		}
		return nil, err
	}
	return s.wrap(ctx, a), nil
}

// AuthRequestByCode redeems a code, once: a second redemption revokes what
// the first issued (RFC 6749 section 4.1.2).
func (s *Storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	a, err := s.store.RedeemCode(ctx, HashToken(code))
	switch {
	case errors.Is(err, identity.ErrTokenReused):
		s.logger.WarnContext(ctx, "authorization code used twice; revoked the tokens issued from it", "client", a.ClientID, "sub", a.AccountID)
		return nil, oidc.ErrInvalidGrant().WithDescription("code already used")
	case errors.Is(err, identity.ErrNotFound):
		return nil, oidc.ErrInvalidGrant().WithDescription("invalid or expired code")
	case err != nil:
		return nil, err
	}
	return s.wrap(ctx, a), nil
}

// SaveAuthCode stores the hash of the code issued for a request.
func (s *Storage) SaveAuthCode(ctx context.Context, id, code string) error {
	return s.store.SaveCode(ctx, id, HashToken(code), s.now().Add(s.cfg.CodeTTL))
}

// DeleteAuthRequest keeps the request: a redeemed request must stay until
// it expires so that a second use of its code is recognised.
func (s *Storage) DeleteAuthRequest(context.Context, string) error { return nil }

// ---- tokens

func (s *Storage) accessTTL(scopes []string) time.Duration {
	if slices.Contains(scopes, StepUpScope) {
		return s.cfg.StepUpTTL
	}
	return s.cfg.AccessTokenTTL
}

// CreateAccessToken issues an access token without a refresh token.
func (s *Storage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	if i := issueFrom(ctx); i != nil {
		i.accessPending = true
	}
	id := NewToken()
	exp := s.now().Add(s.accessTTL(req.GetScopes()))
	switch r := req.(type) {
	case *authRequest:
		at := identity.AccessToken{ID: id, AuthRequestID: r.ID, SessionID: r.SessionID, ClientID: r.ClientID,
			AccountID: r.AccountID, Scopes: r.Scopes, ExpiresAt: exp}
		if err := s.store.CreateTokens(ctx, at, nil, ""); err != nil {
			return "", time.Time{}, err
		}
		s.noteSessionClient(ctx, r.SessionID, r.ClientID)
	case *op.DeviceAuthorizationState:
		sid := deviceSession(ctx)
		at := identity.AccessToken{ID: id, SessionID: sid, ClientID: r.ClientID, AccountID: r.Subject, Scopes: r.Scopes, ExpiresAt: exp}
		if err := s.store.CreateTokens(ctx, at, nil, ""); err != nil {
			return "", time.Time{}, err
		}
		s.noteSessionClient(ctx, sid, r.ClientID)
	case *serviceRequest:
		// Not recorded: services get many short tokens; revoking one lists it.
	default:
		return "", time.Time{}, fmt.Errorf("unexpected token request %T", req)
	}
	s.issued(req)
	return id, exp, nil
}

// issued tells TokenIssued of an access token issued for req.
func (s *Storage) issued(req op.TokenRequest) {
	if s.cfg.TokenIssued == nil {
		return
	}
	grant := "other"
	switch req.(type) {
	case *authRequest:
		grant = "authorization_code"
	case *refreshRequest:
		grant = "refresh_token"
	case *serviceRequest:
		grant = "client_credentials"
	case *op.DeviceAuthorizationState:
		grant = "device_code"
	}
	s.cfg.TokenIssued(grant)
}

// CreateAccessAndRefreshTokens issues an access token and a refresh token:
// a new family after a code exchange, the next link of the family on a
// refresh (the presented token is spent; presenting it again revokes the
// family, unless it is a retry within RefreshRetryGrace, which gets the
// same next link).
func (s *Storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	if i := issueFrom(ctx); i != nil {
		i.accessPending = true
	}
	now := s.now().UTC()
	accessID, refresh := NewToken(), NewToken()
	exp := now.Add(s.accessTTL(req.GetScopes()))
	// The step-up scope is never renewed by a refresh token.
	refreshScopes := slices.DeleteFunc(slices.Clone(req.GetScopes()), func(sc string) bool { return sc == StepUpScope })
	switch r := req.(type) {
	case *authRequest:
		family := NewToken()
		rt := identity.RefreshToken{ID: NewToken(), FamilyID: family, AuthRequestID: r.ID, ClientID: r.ClientID,
			AccountID: r.AccountID, SessionID: r.SessionID, Scopes: refreshScopes, AMR: r.AMR, AuthTime: r.AuthTime,
			CreatedAt: now, ExpiresAt: now.Add(s.cfg.RefreshTokenTTL)}
		at := identity.AccessToken{ID: accessID, FamilyID: family, AuthRequestID: r.ID, SessionID: r.SessionID,
			ClientID: r.ClientID, AccountID: r.AccountID, Scopes: r.Scopes, ExpiresAt: exp}
		if err := s.store.CreateTokens(ctx, at, &rt, HashToken(refresh)); err != nil {
			return "", "", time.Time{}, err
		}
		s.noteSessionClient(ctx, r.SessionID, r.ClientID)
	case *op.DeviceAuthorizationState:
		// A device grant (RFC 8628) starts a family like a code exchange,
		// bound to the session the approval signed in (device.go).
		family, sid := NewToken(), deviceSession(ctx)
		rt := identity.RefreshToken{ID: NewToken(), FamilyID: family, ClientID: r.ClientID, AccountID: r.Subject, SessionID: sid,
			Scopes: refreshScopes, AMR: r.AMR, AuthTime: r.AuthTime, CreatedAt: now, ExpiresAt: now.Add(s.cfg.RefreshTokenTTL)}
		at := identity.AccessToken{ID: accessID, FamilyID: family, SessionID: sid, ClientID: r.ClientID, AccountID: r.Subject,
			Scopes: r.Scopes, ExpiresAt: exp}
		if err := s.store.CreateTokens(ctx, at, &rt, HashToken(refresh)); err != nil {
			return "", "", time.Time{}, err
		}
		s.noteSessionClient(ctx, sid, r.ClientID)
	case *refreshRequest:
		next := r.RefreshToken
		next.ID, next.Scopes, next.CreatedAt, next.UsedAt, next.RevokedAt = NewToken(), refreshScopes, now, nil, nil
		next.ExpiresAt = now.Add(s.cfg.RefreshTokenTTL)
		at := identity.AccessToken{ID: accessID, FamilyID: r.FamilyID, AuthRequestID: r.AuthRequestID, SessionID: r.SessionID,
			ClientID: r.ClientID, AccountID: r.AccountID, Scopes: r.Scopes, ExpiresAt: exp}
		sealed, err := sealSuccessor(r.token, refresh)
		if err != nil {
			return "", "", time.Time{}, err
		}
		retried, err := s.store.RotateRefreshToken(ctx, HashToken(r.token), next, HashToken(refresh), sealed, at, s.cfg.RefreshRetryGrace)
		if errors.Is(err, identity.ErrTokenReused) {
			s.logger.WarnContext(ctx, "refresh token reused; revoked its family", "client", r.ClientID, "sub", r.AccountID)
		}
		if errors.Is(err, identity.ErrTokenReused) || errors.Is(err, identity.ErrNotFound) {
			return "", "", time.Time{}, op.ErrInvalidRefreshToken
		}
		if err != nil {
			return "", "", time.Time{}, err
		}
		if retried != "" {
			// A retry within the grace period: the successor the first
			// use issued, with a new access token.
			if refresh, err = openSuccessor(r.token, retried); err != nil {
				return "", "", time.Time{}, err
			}
		}
	default:
		return "", "", time.Time{}, fmt.Errorf("unexpected token request %T", req)
	}
	s.issued(req)
	return accessID, refresh, exp, nil
}

func (s *Storage) noteSessionClient(ctx context.Context, sessionID, clientID string) {
	if sessionID == "" {
		return
	}
	if err := s.store.AddSessionClient(ctx, sessionID, clientID); err != nil {
		s.logger.ErrorContext(ctx, "record session client", "err", err)
	}
}

// TokenRequestByRefreshToken validates a presented refresh token. A spent
// or revoked one is a reuse: its family is revoked (the legitimate holder
// and the thief both lose it, which is the point). A token spent within
// RefreshRetryGrace goes on to CreateAccessAndRefreshTokens, where the
// store tells a retry from a reuse in one transaction.
func (s *Storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	rt, err := s.store.RefreshToken(ctx, HashToken(token))
	if errors.Is(err, identity.ErrNotFound) {
		return nil, op.ErrInvalidRefreshToken
	}
	if err != nil {
		return nil, err
	}
	retry := rt.UsedAt != nil && rt.RevokedAt == nil && !s.now().After(rt.UsedAt.Add(s.cfg.RefreshRetryGrace))
	if (rt.UsedAt != nil && !retry) || rt.RevokedAt != nil {
		if rt.RevokedAt == nil {
			s.logger.WarnContext(ctx, "refresh token reused; revoking its family", "client", rt.ClientID, "sub", rt.AccountID)
			if err := s.store.RevokeRefreshFamily(ctx, HashToken(token), rt.ClientID); err != nil {
				return nil, err
			}
		}
		return nil, op.ErrInvalidRefreshToken
	}
	if !s.now().Before(rt.ExpiresAt) {
		return nil, op.ErrInvalidRefreshToken
	}
	if rt.Scopes, err = s.allowedNow(ctx, rt); err != nil {
		return nil, err
	}
	return &refreshRequest{RefreshToken: rt, token: token, apiAudiences: s.cfg.APIAudiences, issue: issueFrom(ctx)}, nil
}

// A spent refresh token's successor is kept sealed with a key derived
// from the spent token (AES-256-GCM), so that a retry gets the same
// successor back while the database never holds a usable refresh token:
// only whoever presents the spent token can open it.
func successorKey(spent string) (cipher.AEAD, error) {
	key := sha256.Sum256([]byte("campus refresh successor\x00" + spent))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func sealSuccessor(spent, successor string) (string, error) {
	aead, err := successorKey(spent)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(successor), nil)), nil
}

func openSuccessor(spent, sealed string) (string, error) {
	aead, err := successorKey(spent)
	if err != nil {
		return "", err
	}
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < aead.NonceSize() {
		return "", errors.New("open a refresh token's successor: malformed")
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], nil)
	if err != nil {
		return "", fmt.Errorf("open a refresh token's successor: %w", err)
	}
	return string(plain), nil
}

// allowedNow applies the sign-in rules again, as they are now, to the
// person a refresh token stands for, and returns the scopes its grant may
// still carry: those of the original grant that the person's current roles
// allow. Authority follows the account: a role taken away, an account
// disabled, a login window closed or an application no longer allowed stops
// the next refresh, whatever was true at sign-in.
func (s *Storage) allowedNow(ctx context.Context, rt identity.RefreshToken) ([]string, error) {
	acc, err := s.store.Account(ctx, rt.AccountID)
	if errors.Is(err, identity.ErrNotFound) {
		return nil, op.ErrInvalidRefreshToken
	}
	if err != nil {
		return nil, err
	}
	refuse := func(why string) ([]string, error) {
		s.logger.InfoContext(ctx, "refresh refused", "sub", acc.ID, "client", rt.ClientID, "reason", why)
		return nil, oidc.ErrInvalidGrant().WithDescription("%s", why)
	}
	if acc.Status != identity.StatusActive {
		return refuse("the account is disabled")
	}
	if s.cfg.ConfirmFirst && !acc.EmailVerified && acc.DirectoryDN == "" {
		return refuse("the e-mail address is not confirmed")
	}
	c, err := s.client(ctx, rt.ClientID)
	if err != nil {
		return nil, err
	}
	rules, err := s.store.SignInRules(ctx, acc.ID)
	if err != nil {
		return nil, err
	}
	if err := rules.Refusal(acc.Roles, c.ID, c.Name, s.now(), s.cfg.Location); err != nil {
		return refuse(err.Error())
	}
	if !slices.Contains(rt.AMR, "mfa") && slices.ContainsFunc(acc.Roles, func(r string) bool { return slices.Contains(s.cfg.MFARoles, r) }) {
		return refuse("a role of the person requires a second factor: sign in again")
	}
	perms, err := s.store.Permissions(ctx, acc.ID)
	if err != nil {
		return nil, err
	}
	return GrantScopes(rt.Scopes, perms, false), nil
}

// GrantScopes keeps the requested scopes the person may have: OpenID's
// own, and each permission scope their roles grant; studies:write only right
// after the password was entered for this request (the step-up).
func GrantScopes(requested []string, perms []identity.Permission, stepUp bool) []string {
	var out []string
	for _, sc := range requested {
		switch sc {
		case oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess:
			out = append(out, sc)
		case StepUpScope:
			if stepUp && slices.Contains(perms, identity.Permission(sc)) {
				out = append(out, sc)
			}
		default:
			if slices.Contains(perms, identity.Permission(sc)) {
				out = append(out, sc)
			}
		}
	}
	return out
}

// GetRefreshTokenInfo tells the revocation endpoint whether token is a
// refresh token of clientID.
func (s *Storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	rt, err := s.store.RefreshToken(ctx, HashToken(token))
	if err != nil || rt.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	// The "token id" handed back to RevokeToken is the token itself, so
	// that it can be found by hash.
	return rt.AccountID, "rt:" + token, nil
}

// RevokeToken revokes a refresh token (and its family) or an access token
// (by its id), if it was issued to the requesting client: RFC 7009 section
// 2.1 has the server verify that, and the library passes on only the
// token's id. Tokens of other clients and unknown tokens are ignored with
// 200, as section 2.2 allows.
func (s *Storage) RevokeToken(ctx context.Context, tokenOrID, _ string, clientID string) *oidc.Error {
	if t, ok := strings.CutPrefix(tokenOrID, "rt:"); ok {
		if err := s.store.RevokeRefreshFamily(ctx, HashToken(t), clientID); err != nil {
			return oidc.ErrServerError().WithParent(err)
		}
		return nil
	}
	// The library hands over the jti of an access token it verified, or the
	// presented string itself.
	claims, err := verifiedAccessClaims(ctx, tokenOrID)
	if err != nil {
		// No access token of ours: a refresh token sent with
		// token_type_hint=access_token? The server must look beyond a
		// wrong hint (section 2.1); RevokeRefreshFamily checks the client.
		raw, _ := ctx.Value(rawTokenKey).(string)
		if raw == "" {
			return nil
		}
		if err := s.store.RevokeRefreshFamily(ctx, HashToken(raw), clientID); err != nil {
			return oidc.ErrServerError().WithParent(err)
		}
		return nil
	}
	if claims.ClientID != clientID {
		s.logger.WarnContext(ctx, "a client asked to revoke another client's access token; ignored", "client", clientID, "token_client", claims.ClientID)
		return nil
	}
	if err := s.store.RevokeAccessToken(ctx, tokenOrID, clientID, s.now().Add(s.cfg.AccessTokenTTL)); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

// ---- sessions

// TerminateSession ends the sessions of a user at a client; campus ends
// sessions through TerminateSessionFromRequest.
func (s *Storage) TerminateSession(ctx context.Context, userID, clientID string) error {
	return nil
}

// TerminateSessionFromRequest ends the identity session named by a valid
// id_token_hint's sid and nothing else: a logout without such a hint is
// confirmed by the person first (identity's end_session page, which
// serves the endpoint; see EndHintedSession).
func (s *Storage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	if _, err := s.EndHintedSession(ctx, req); err != nil {
		return "", err
	}
	return req.RedirectURI, nil
}

// EndSession ends a session and tells its clients.
func (s *Storage) EndSession(ctx context.Context, sess identity.Session) error {
	clients, err := s.store.EndSession(ctx, sess.ID)
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	if s.cfg.SessionEnded != nil {
		s.cfg.SessionEnded(ctx, sess.ID, sess.AccountID, clients)
	}
	return nil
}

// ---- claims

// SetUserinfoFromScopes is not used: SetUserinfoFromRequest fills the
// id_token, which needs the session id too.
func (s *Storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the id_token's claims: the standard ones
// for the granted scopes, the roles, and sid (for back-channel logout).
func (s *Storage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.fillUserinfo(ctx, ui, req.GetSubject(), scopes); err != nil {
		return err
	}
	switch r := req.(type) {
	case *authRequest:
		if r.SessionID != "" {
			ui.AppendClaims("sid", r.SessionID)
		}
	case *refreshRequest:
		if r.SessionID != "" {
			ui.AppendClaims("sid", r.SessionID)
		}
	case *op.DeviceAuthorizationState:
		if sid := deviceSession(ctx); sid != "" {
			ui.AppendClaims("sid", sid)
		}
	}
	return nil
}

func (s *Storage) fillUserinfo(ctx context.Context, ui *oidc.UserInfo, subject string, scopes []string) error {
	acc, err := s.store.Account(ctx, subject)
	if err != nil {
		return fmt.Errorf("userinfo for %s: %w", subject, err)
	}
	ui.Subject = acc.ID
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeProfile:
			ui.Name = acc.DisplayName
			ui.GivenName, ui.FamilyName = acc.GivenName, acc.FamilyName
			ui.PreferredUsername = acc.Username
			ui.UpdatedAt = oidc.FromTime(acc.UpdatedAt)
		case oidc.ScopeEmail:
			ui.Email, ui.EmailVerified = acc.Email, oidc.Bool(acc.EmailVerified)
		}
	}
	roles := acc.Roles
	if roles == nil {
		roles = []string{}
	}
	ui.AppendClaims("roles", roles)
	return nil
}

// SetUserinfoFromToken answers the userinfo endpoint for an access token,
// by the scopes it was issued with; a revoked token gets nothing.
func (s *Storage) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, _ string) error {
	scopes, ok, err := s.store.AccessTokenScopes(ctx, tokenID)
	if err != nil {
		return err
	}
	if !ok {
		return oidc.ErrAccessDenied().WithDescription("token is not active")
	}
	return s.fillUserinfo(ctx, ui, subject, scopes)
}

// SetIntrospectionFromToken answers RFC 7662 for an access token the
// library has verified (signature, expiry, issuer). A revoked token stays
// inactive.
func (s *Storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, _ string) error {
	revoked, err := s.store.AccessTokenRevoked(ctx, tokenID)
	if err != nil {
		return err
	}
	if revoked {
		return errors.New("token revoked")
	}
	claims, err := verifiedAccessClaims(ctx, tokenID)
	if err != nil {
		return err
	}
	resp.Scope = strings.Fields(claims.Scope)
	resp.ClientID = claims.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = claims.Expiration
	resp.IssuedAt = claims.IssuedAt
	resp.NotBefore = claims.NotBefore
	resp.Subject = subject
	resp.Audience = claims.Audience
	resp.Issuer = claims.Issuer
	resp.JWTID = claims.JWTID
	if claims.Roles != nil {
		resp.Claims = map[string]any{"roles": claims.Roles}
	}
	return nil
}

// accessClaims are what campus puts in an access token.
type accessClaims struct {
	oidc.TokenClaims
	Scope string   `json:"scope"`
	Roles []string `json:"roles"`
}

// verifiedAccessClaims reads the claims of the raw token of this
// introspection or revocation request (see interceptor), once the library
// has verified it (signature, expiry, issuer) and handed over its id:
// tokenID equals the jti only then.
func verifiedAccessClaims(ctx context.Context, tokenID string) (accessClaims, error) {
	var claims accessClaims
	raw, _ := ctx.Value(rawTokenKey).(string)
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{AccessTokenAlg})
	if err != nil {
		return claims, err
	}
	if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil || claims.JWTID == "" || claims.JWTID != tokenID {
		return claims, errors.New("token does not match")
	}
	return claims, nil
}

// GetPrivateClaimsFromScopes is not used: GetPrivateClaimsFromRequest is.
func (s *Storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest adds to access tokens the scope (which the
// library leaves out) and, for people, their roles.
func (s *Storage) GetPrivateClaimsFromRequest(ctx context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	claims := map[string]any{"scope": strings.Join(req.GetScopes(), " ")}
	if _, service := req.(*serviceRequest); service {
		return claims, nil
	}
	acc, err := s.store.Account(ctx, req.GetSubject())
	if err != nil {
		return nil, err
	}
	roles := acc.Roles
	if roles == nil {
		roles = []string{}
	}
	claims["roles"] = roles
	// How the person signed in, for resource servers that require more
	// than a password (RFC 9068 section 2.2.1: acr, amr and auth_time
	// describe the authentication; the study API may require mfa).
	if r, ok := req.(interface{ GetAMR() []string }); ok && len(r.GetAMR()) > 0 {
		claims["amr"] = r.GetAMR()
		claims["acr"] = ACR(r.GetAMR())
	}
	return claims, nil
}

// GetKeyByIDAndClientID is for the JWT profile grant, which campus does
// not offer.
func (s *Storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}

// ValidateJWTProfileScopes: see GetKeyByIDAndClientID.
func (s *Storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}

// ---- keys

// SigningKey returns the access token key right after an access token was
// created in this request, else the client's id_token key (see issue).
func (s *Storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	alg := jose.RS256
	if i := issueFrom(ctx); i != nil {
		if i.accessPending {
			i.accessPending = false
			alg = AccessTokenAlg
		} else if i.idTokenAlg != "" {
			alg = i.idTokenAlg
		}
	}
	return s.keys.Signer(ctx, alg)
}

// SignatureAlgorithms lists the id_token algorithms (discovery).
func (s *Storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return Algorithms, nil
}

// KeySet publishes every key in use or about to be (JWKS).
func (s *Storage) KeySet(ctx context.Context) ([]op.Key, error) {
	pub, err := s.keys.Public(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]op.Key, len(pub))
	for i, k := range pub {
		out[i] = k
	}
	return out, nil
}

// Health reports whether the store answers.
func (s *Storage) Health(ctx context.Context) error { return s.store.Ping(ctx) }

// uiLocales keeps the languages of a request's ui_locales (OIDC Core
// 3.1.2.1) that the sign-in pages may speak, space-separated in the
// request's order; the pages pick the first they speak.
func uiLocales(l oidc.Locales) string {
	var out []string
	for _, t := range l {
		if len(out) == 8 { // a request names a few; more say nothing new
			break
		}
		out = append(out, t.String())
	}
	return strings.Join(out, " ")
}
