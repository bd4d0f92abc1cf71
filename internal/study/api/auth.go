package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"campus/internal/tokencheck"
)

// Principal is who calls: a person (or a service) with scopes.
type Principal struct {
	Subject  string
	ClientID string
	Scopes   []string
	Roles    []string
	// ReadOnly is set for API keys: they read the public catalogue and the
	// owner's own enrolments and grades, and change nothing.
	ReadOnly bool
}

// Has reports whether the principal may use scope.
func (p *Principal) Has(scope string) bool {
	return p != nil && !p.ReadOnly && slices.Contains(p.Scopes, scope)
}

// Staff reports whether the principal may see drafts: staff and
// administrators, or anyone holding the catalogue-write scope.
func (p *Principal) Staff() bool {
	if p == nil {
		return false
	}
	return slices.Contains(p.Roles, "admin") || slices.Contains(p.Roles, "staff") || slices.Contains(p.Scopes, "studies:write")
}

// JWTVerifier checks identity's access tokens.
type JWTVerifier interface {
	Verify(ctx context.Context, raw string) (*tokencheck.Claims, error)
}

// Introspector asks identity about opaque tokens (API keys), RFC 7662.
type Introspector interface {
	Introspect(ctx context.Context, token string) (*Principal, error)
}

var errNoToken = errors.New("no token")

// authenticator finds the caller of a request: a bearer JWT checked
// locally, or an opaque key (bearer or ?key=) checked by introspection.
type authenticator struct {
	jwt  JWTVerifier
	keys Introspector // nil: opaque tokens are refused
}

func (a *authenticator) principal(r *http.Request) (*Principal, error) {
	raw := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return nil, errors.New("the Authorization header must be: Bearer TOKEN")
		}
		raw = strings.TrimSpace(token)
	} else if k := r.URL.Query().Get("key"); k != "" {
		raw = k
	}
	if raw == "" {
		return nil, errNoToken
	}
	if strings.Count(raw, ".") == 2 {
		c, err := a.jwt.Verify(r.Context(), raw)
		if err != nil {
			return nil, err
		}
		return &Principal{Subject: c.Subject, ClientID: c.ClientID, Scopes: c.Scopes, Roles: c.Roles}, nil
	}
	if a.keys == nil {
		return nil, errors.New("unknown token")
	}
	p, err := a.keys.Introspect(r.Context(), raw)
	if err != nil {
		return nil, err
	}
	p.ReadOnly = true
	return p, nil
}

// IdentityIntrospector introspects opaque tokens at identity with the
// study service's own client credentials, remembering each answer for at
// most TTL (60 s: a revoked key stops working within a minute).
type IdentityIntrospector struct {
	URL, ClientID, ClientSecret string
	Client                      *http.Client
	TTL                         time.Duration
	Now                         func() time.Time

	mu    sync.Mutex
	cache map[[32]byte]introspected
}

type introspected struct {
	p       *Principal
	active  bool
	expires time.Time
}

// Introspect answers from memory or asks identity.
func (in *IdentityIntrospector) Introspect(ctx context.Context, token string) (*Principal, error) {
	key := sha256.Sum256([]byte(token))
	now := in.Now()
	in.mu.Lock()
	if e, ok := in.cache[key]; ok && now.Before(e.expires) {
		in.mu.Unlock()
		if !e.active {
			return nil, errors.New("token is not active")
		}
		cp := *e.p
		return &cp, nil
	}
	in.mu.Unlock()

	form := url.Values{"token": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(in.ClientID), url.QueryEscape(in.ClientSecret))
	resp, err := in.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("introspection: identity answered %s", resp.Status)
	}
	var body struct {
		Active   bool     `json:"active"`
		Sub      string   `json:"sub"`
		ClientID string   `json:"client_id"`
		Scope    string   `json:"scope"`
		Exp      int64    `json:"exp"`
		Roles    []string `json:"roles"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	ttl := in.TTL
	if ttl <= 0 || ttl > time.Minute {
		ttl = time.Minute
	}
	e := introspected{active: body.Active, expires: now.Add(ttl)}
	if body.Exp > 0 && time.Unix(body.Exp, 0).Before(e.expires) {
		e.expires = time.Unix(body.Exp, 0)
	}
	if body.Active {
		e.p = &Principal{Subject: body.Sub, ClientID: body.ClientID, Scopes: strings.Fields(body.Scope), Roles: body.Roles}
	}
	in.mu.Lock()
	if in.cache == nil || len(in.cache) > 100000 {
		in.cache = map[[32]byte]introspected{}
	}
	in.cache[key] = e
	in.mu.Unlock()
	if !e.active {
		return nil, errors.New("token is not active")
	}
	cp := *e.p
	return &cp, nil
}
