// Package tokencheck verifies identity's access tokens where they are used
// (the study API, identity's admin API): an ES256, RS256 or EdDSA JWT signed
// by a key in the issuer's JWKS, for this API's audience, within its
// lifetime. Keys are fetched once and again only when a token names a key
// not seen yet (a rotation), at most every few seconds. It does not check
// scopes (the caller knows what it needs) nor revocation (introspection
// does, where it matters).
package tokencheck

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Algorithms accepted; "none" and shared-secret algorithms never are.
var Algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA}

// Errors; a caller answers each with 401, except ErrUnavailable.
var (
	ErrMalformed  = errors.New("token is not a signed JWT")
	ErrUnknownKey = errors.New("token is signed with an unknown key")
	ErrInvalid    = errors.New("token is invalid")
	ErrRevoked    = errors.New("token was revoked")
	// ErrUnavailable means identity could not be asked (its keys, its
	// introspection): the token may well be valid. A caller answers 503,
	// never 401, so that clients keep their tokens and try again.
	ErrUnavailable = errors.New("identity cannot be reached")
)

// Claims are what an API learns from a valid token.
type Claims struct {
	Subject  string
	ClientID string
	ID       string
	Scopes   []string
	Roles    []string
	Audience []string
	Expiry   time.Time
	IssuedAt time.Time
	// AMR says how the person signed in (RFC 8176 values: pwd, otp, hwk,
	// swk, user, and mfa when two factors were used), ACR the class that
	// makes (urn:campus:acr:mfa or urn:campus:acr:1fa). Both are empty in
	// service (client-credentials) tokens and in tokens issued before
	// identity wrote them.
	AMR []string
	ACR string

	jtiHash, subHash string // how the revocation feed names them
}

// HasScope reports whether the token carries scope.
func (c *Claims) HasScope(scope string) bool { return slices.Contains(c.Scopes, scope) }

// HasAMR reports whether the token's amr names the method v, such as
// "mfa" (RFC 8176 section 2).
func (c *Claims) HasAMR(v string) bool { return slices.Contains(c.AMR, v) }

// Verifier checks tokens of one issuer for one audience.
type Verifier struct {
	issuer   string
	audience string
	client   *http.Client
	now      func() time.Time
	// RefreshEvery bounds how often an unknown key id makes the JWKS be
	// fetched again, so forged key ids cannot turn into a flood of fetches.
	RefreshEvery time.Duration

	mu      sync.RWMutex
	jwksURL string
	keys    map[string]jose.JSONWebKey
	fetched time.Time

	seen verified

	// Revocations, when set, is identity's revocation feed: tokens it
	// names are refused (ErrRevoked). Run it (Revocations.Run) beside.
	Revocations *Revocations
}

// verified remembers tokens whose signature and claims were checked, keyed
// by their SHA-256: a token is presented many times in its life, and the
// signature check is most of the cost (P-256 verification is ~150 us on a
// slow core). Expiry is checked again on every use. Two generations of
// maps bound the memory: when the young one is full it becomes the old one.
// Tokens past their end (and the 30 s of leeway) are dropped once a
// minute, so that what is kept is the tokens still alive, not the last
// 100,000 ever seen: memory follows the live tokens and is flat once the
// access-token lifetime has passed at a steady rate.
type verified struct {
	mu         sync.Mutex
	young, old map[[32]byte]*Claims
	swept      time.Time
}

const verifiedMax = 50000 // per generation: ~100 MB would need 10x more

func (c *verified) get(k [32]byte) *Claims {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.young[k]; ok {
		return v
	}
	if v, ok := c.old[k]; ok {
		c.putLocked(k, v)
		return v
	}
	return nil
}

func (c *verified) put(k [32]byte, v *Claims, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.swept) >= verifiedSweepEvery {
		c.swept = now
		for _, gen := range []map[[32]byte]*Claims{c.young, c.old} {
			for key, cl := range gen {
				if !now.Before(cl.Expiry.Add(expiryLeeway)) {
					delete(gen, key)
				}
			}
		}
	}
	c.putLocked(k, v)
}

// verifiedSweepEvery is how often expired tokens leave the memory of
// verified ones; expiryLeeway is how long after its exp a token is still
// taken (clock skew between identity and a resource server).
const (
	verifiedSweepEvery = time.Minute
	expiryLeeway       = 30 * time.Second
)

func (c *verified) putLocked(k [32]byte, v *Claims) {
	if c.young == nil || len(c.young) >= verifiedMax {
		c.old, c.young = c.young, make(map[[32]byte]*Claims)
	}
	c.young[k] = v
}

// New returns a verifier for tokens of issuer with aud containing audience.
func New(issuer, audience string, client *http.Client, now func() time.Time) *Verifier {
	return &Verifier{issuer: strings.TrimSuffix(issuer, "/"), audience: audience, client: client, now: now, RefreshEvery: 10 * time.Second}
}

// Verify checks raw and returns its claims. The claims are shared between
// calls with the same token: do not modify them.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	sum := sha256.Sum256([]byte(raw))
	c := v.seen.get(sum)
	if c != nil {
		if !v.now().Before(c.Expiry.Add(expiryLeeway)) {
			return nil, fmt.Errorf("%w: token is expired", ErrInvalid)
		}
	} else {
		var err error
		if c, err = v.verify(ctx, raw); err != nil {
			return nil, err
		}
		v.seen.put(sum, c, v.now())
	}
	if v.Revocations != nil && v.Revocations.Revoked(c) {
		return nil, ErrRevoked
	}
	return c, nil
}

// RevocationsUpTo reports whether the verifier knows every revocation made
// before t (always true without a feed), asking the feed at once if
// needed. A resource server calls it before a write with the time the
// request arrived, and refuses the write when it is false.
func (v *Verifier) RevocationsUpTo(ctx context.Context, t time.Time) bool {
	return v.Revocations == nil || v.Revocations.Ensure(ctx, t)
}

func (v *Verifier) verify(ctx context.Context, raw string) (*Claims, error) {
	tok, err := jwt.ParseSigned(raw, Algorithms)
	if err != nil || len(tok.Headers) != 1 {
		return nil, ErrMalformed
	}
	h := tok.Headers[0]
	key, err := v.key(ctx, h.KeyID)
	if err != nil {
		return nil, err
	}
	if key.Algorithm != "" && key.Algorithm != h.Algorithm {
		return nil, fmt.Errorf("%w: algorithm %s does not match the key", ErrInvalid, h.Algorithm)
	}
	var std jwt.Claims
	var extra struct {
		ClientID string   `json:"client_id"`
		Scope    string   `json:"scope"`
		Roles    []string `json:"roles"`
		// amr is a JSON array of strings (OpenID Connect Core 1.0
		// section 2; its values RFC 8176 section 2), acr a string: any
		// other shape makes the token invalid, as for the claims above.
		AMR methods `json:"amr"`
		ACR string  `json:"acr"`
	}
	if err := tok.Claims(key.Key, &std, &extra); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: v.issuer, AnyAudience: jwt.Audience{v.audience}, Time: v.now()}, expiryLeeway); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if std.Expiry == nil {
		return nil, fmt.Errorf("%w: no expiry", ErrInvalid)
	}
	c := &Claims{Subject: std.Subject, ClientID: extra.ClientID, ID: std.ID, Scopes: strings.Fields(extra.Scope),
		Roles: extra.Roles, Audience: std.Audience, Expiry: std.Expiry.Time(), AMR: []string(extra.AMR), ACR: extra.ACR, jtiHash: feedHash(std.ID), subHash: feedHash(std.Subject)}
	if std.IssuedAt != nil {
		c.IssuedAt = std.IssuedAt.Time()
	}
	return c, nil
}

// methods is the amr claim: a JSON array of strings or null, nothing
// else. A null element is refused, where []string would take it as "".
type methods []string

func (m *methods) UnmarshalJSON(b []byte) error {
	var raw []*string
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("amr: %w", err)
	}
	if raw == nil {
		*m = nil
		return nil
	}
	out := make(methods, len(raw))
	for i, s := range raw {
		if s == nil {
			return errors.New("amr: an element is null, not a string")
		}
		out[i] = *s
	}
	*m = out
	return nil
}

func (v *Verifier) key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	v.mu.RLock()
	k, ok := v.keys[kid]
	recent := v.now().Sub(v.fetched) < v.RefreshEvery
	v.mu.RUnlock()
	if ok {
		return k, nil
	}
	if recent {
		return k, ErrUnknownKey
	}
	if err := v.refresh(ctx); err != nil {
		return k, err
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	return k, ErrUnknownKey
}

// Refresh fetches the issuer's keys now (at start-up, to fail early).
func (v *Verifier) Refresh(ctx context.Context) error { return v.refresh(ctx) }

func (v *Verifier) refresh(ctx context.Context) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.jwksURL == "" {
		var disc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := v.getJSON(ctx, v.issuer+"/.well-known/openid-configuration", &disc); err != nil {
			return fmt.Errorf("discovery of %s: %w", v.issuer, err)
		}
		if disc.Issuer != v.issuer || disc.JWKSURI == "" {
			return fmt.Errorf("discovery of %s names issuer %q", v.issuer, disc.Issuer)
		}
		v.jwksURL = disc.JWKSURI
	}
	var set jose.JSONWebKeySet
	if err := v.getJSON(ctx, v.jwksURL, &set); err != nil {
		return fmt.Errorf("keys of %s: %w", v.issuer, err)
	}
	keys := make(map[string]jose.JSONWebKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.IsPublic() && (k.Use == "" || k.Use == "sig") {
			keys[k.KeyID] = k
		}
	}
	v.keys, v.fetched = keys, v.now()
	return nil
}

func (v *Verifier) getJSON(ctx context.Context, url string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("%w: GET %s: %s", ErrUnavailable, url, resp.Status)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return decodeObject(io.LimitReader(resp.Body, 1<<20), into)
}

// errNotObject refuses an answer from identity that is not one JSON
// object: null, or an object with more after it.
var errNotObject = errors.New("the answer is not one JSON object")

// decodeObject reads r, one JSON object and nothing more, into into.
// json.Decoder alone takes null (leaving into as it was: a silently empty
// answer) and stops after the first value.
func decodeObject(r io.Reader, into any) error {
	dec := json.NewDecoder(r)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	if raw[0] != '{' {
		return errNotObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return errNotObject
	}
	return json.Unmarshal(raw, into)
}
