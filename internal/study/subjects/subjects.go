package subjects

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"campus/internal/tokencheck"
)

// ErrUnavailable means identity could not be asked or gave no usable
// answer: whether the subjects exist is unknown, and must not be assumed.
var ErrUnavailable = errors.New("identity cannot be reached to check the subject")

// Scope is what the study service's client asks identity for: the people
// endpoint accepts grades:read (or users:read, which would also let the
// client read every account).
const Scope = "grades:read"

// batch is the most ids identity's people endpoint takes at once.
const batch = 200

// ValidID reports whether s has the form of identity's subject ids: a
// UUID in canonical lowercase form (identity makes them with UUIDv7).
func ValidID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

// Checker asks identity whether subject ids exist, remembering the ones
// that do for TTL. Unknown ids are asked again every time: an account
// made a moment ago is found at once.
type Checker struct {
	// Issuer is identity's issuer URL; its API is under it.
	Issuer string
	// ClientID and ClientSecret are the study service's client at
	// identity, allowed client_credentials and Scope.
	ClientID, ClientSecret string
	// Client reaches identity.
	Client *http.Client
	// TTL bounds how long a found id is remembered (default and at most
	// 5 minutes).
	TTL time.Duration
	Now func() time.Time

	once   sync.Once
	newTS  func() oauth2.TokenSource
	mu     sync.Mutex
	tokens oauth2.TokenSource   // replaced when identity refuses a token
	found  map[string]time.Time // id -> until
}

const maxTTL = 5 * time.Minute

func (c *Checker) init() {
	c.once.Do(func() {
		c.newTS = tokencheck.ClientCredentials(c.Issuer, c.ClientID, c.ClientSecret, Scope, c.Client)
		c.tokens = c.newTS()
		c.found = map[string]time.Time{}
	})
}

// Unknown returns those of ids that identity does not know, in the order
// given; ErrUnavailable (wrapped) when identity cannot answer. Ids must
// have passed ValidID.
func (c *Checker) Unknown(ctx context.Context, ids []string) ([]string, error) {
	c.init()
	now := c.Now()
	var ask []string
	c.mu.Lock()
	for _, id := range ids {
		if until, ok := c.found[id]; !ok || !now.Before(until) {
			ask = append(ask, id)
		}
	}
	c.mu.Unlock()
	exists := map[string]bool{}
	for start := 0; start < len(ask); start += batch {
		got, err := c.ask(ctx, ask[start:min(start+batch, len(ask))])
		if err != nil {
			return nil, err
		}
		for _, id := range got {
			exists[id] = true
		}
	}
	ttl := c.TTL
	if ttl <= 0 || ttl > maxTTL {
		ttl = maxTTL
	}
	var unknown []string
	c.mu.Lock()
	if len(c.found) > 100_000 {
		c.found = map[string]time.Time{}
	}
	for _, id := range ask {
		if exists[id] {
			c.found[id] = now.Add(ttl)
		} else {
			unknown = append(unknown, id)
		}
	}
	c.mu.Unlock()
	return unknown, nil
}

// ask returns the ids of those identity knows. A token identity refuses
// (revoked, or signed with a retired key) is replaced once.
func (c *Checker) ask(ctx context.Context, ids []string) ([]string, error) {
	got, err := c.askWith(ctx, ids)
	if errors.Is(err, errRefused) {
		c.mu.Lock()
		c.tokens = c.newTS()
		c.mu.Unlock()
		got, err = c.askWith(ctx, ids)
	}
	if errors.Is(err, errRefused) {
		err = fmt.Errorf("%w: identity refuses the study service's token (%v); check that client %s may use client_credentials with scope %s",
			ErrUnavailable, err, c.ClientID, Scope)
	}
	return got, err
}

var errRefused = errors.New("token refused")

func (c *Checker) askWith(ctx context.Context, ids []string) ([]string, error) {
	var body struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := c.call(ctx, http.MethodGet, "/api/v1/people?"+url.Values{"id": ids}.Encode(), nil, &body); err != nil {
		return nil, err
	}
	out := make([]string, len(body.Items))
	for i, p := range body.Items {
		out[i] = p.ID
	}
	return out, nil
}

// call sends one request to identity's API with the study service's own
// token and decodes the JSON answer into out. A refused token is
// errRefused (the caller gets a new token and tries once more); anything
// else that keeps identity from answering is ErrUnavailable.
func (c *Checker) call(ctx context.Context, method, path string, body []byte, out any) error {
	c.mu.Lock()
	ts := c.tokens
	c.mu.Unlock()
	tok, err := ts.Token()
	if err != nil {
		return fmt.Errorf("%w: token for %s: %v", ErrUnavailable, c.ClientID, err)
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Issuer+path, r)
	if err != nil {
		return err
	}
	tok.SetAuthHeader(req)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := c.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fmt.Errorf("%w: %s", errRefused, resp.Status)
	}
	name, _, _ := strings.Cut(path, "?")
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s %s%s answered %s", ErrUnavailable, method, c.Issuer, name, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUnavailable, name, err)
	}
	return nil
}
