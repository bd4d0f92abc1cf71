package tokencheck

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ErrInactive means identity said the token is not active (unknown,
// expired or revoked).
var ErrInactive = errors.New("token is not active")

// Introspection is what identity says of an active opaque token (an API
// key), RFC 7662. It has no amr: a key stands for no sign-in, so it never
// counts as one with a second factor.
type Introspection struct {
	Subject, ClientID string
	Scopes, Roles     []string
}

// Introspector asks identity's introspection endpoint about opaque tokens
// with a client's credentials, remembering each answer for at most TTL (a
// minute at most: a revoked key stops working within a minute).
type Introspector struct {
	URL, ClientID, ClientSecret string
	Client                      *http.Client
	TTL                         time.Duration
	Now                         func() time.Time
	// Revocations, when set, drops a remembered answer as soon as the feed
	// says the subject's tokens were revoked after it (account disabled,
	// password reset, roles changed).
	Revocations *Revocations

	mu    sync.Mutex
	cache map[[32]byte]introspected
}

type introspected struct {
	in      *Introspection
	at      time.Time // when identity was asked
	expires time.Time // nil in: inactive
}

// Introspect answers from memory or asks identity; an inactive token is
// ErrInactive.
func (in *Introspector) Introspect(ctx context.Context, token string) (*Introspection, error) {
	key := sha256.Sum256([]byte(token))
	now := in.Now()
	in.mu.Lock()
	if e, ok := in.cache[key]; ok && now.Before(e.expires) &&
		(e.in == nil || in.Revocations == nil || !in.Revocations.SubjectRevokedSince(e.in.Subject, e.at)) {
		in.mu.Unlock()
		return answer(e)
	}
	in.mu.Unlock()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.URL, strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(in.ClientID), url.QueryEscape(in.ClientSecret))
	resp, err := in.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("introspection: %w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 500 {
		return nil, fmt.Errorf("introspection: %w: identity answered %s", ErrUnavailable, resp.Status)
	}
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
	if err := decodeObject(resp.Body, &body); err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	ttl := in.TTL
	if ttl <= 0 || ttl > time.Minute {
		ttl = time.Minute
	}
	e := introspected{at: now, expires: now.Add(ttl)}
	if body.Exp > 0 && time.Unix(body.Exp, 0).Before(e.expires) {
		e.expires = time.Unix(body.Exp, 0)
	}
	if body.Active {
		e.in = &Introspection{Subject: body.Sub, ClientID: body.ClientID, Scopes: strings.Fields(body.Scope), Roles: body.Roles}
	}
	in.mu.Lock()
	if in.cache == nil || len(in.cache) > 100000 {
		in.cache = map[[32]byte]introspected{}
	}
	in.cache[key] = e
	in.mu.Unlock()
	return answer(e)
}

func answer(e introspected) (*Introspection, error) {
	if e.in == nil {
		return nil, ErrInactive
	}
	cp := *e.in
	return &cp, nil
}
