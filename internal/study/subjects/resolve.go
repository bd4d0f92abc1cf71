package subjects

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Resolve asks identity for the subject ids of usernames and e-mail
// addresses (POST /api/v1/people/resolve, with the study service's own
// token: identity answers it for services with grades:read only, never
// for people's tokens). It returns a map from each login as given to its
// id; logins of nobody are absent. Found ids are remembered as existing,
// like those Unknown finds. ErrUnavailable (wrapped) when identity cannot
// answer.
func (c *Checker) Resolve(ctx context.Context, logins []string) (map[string]string, error) {
	c.init()
	out := map[string]string{}
	for start := 0; start < len(logins); start += batch {
		chunk := logins[start:min(start+batch, len(logins))]
		got, err := c.resolve(ctx, chunk)
		if errors.Is(err, errRefused) {
			c.mu.Lock()
			c.tokens = c.newTS()
			c.mu.Unlock()
			got, err = c.resolve(ctx, chunk)
		}
		if errors.Is(err, errRefused) {
			err = fmt.Errorf("%w: identity refuses the study service's token (%v); check that client %s may use client_credentials with scope %s",
				ErrUnavailable, err, c.ClientID, Scope)
		}
		if err != nil {
			return nil, err
		}
		for login, id := range got {
			out[login] = id
		}
	}
	ttl := c.TTL
	if ttl <= 0 || ttl > maxTTL {
		ttl = maxTTL
	}
	now := c.Now()
	c.mu.Lock()
	if len(c.found) > 100_000 {
		c.found = map[string]time.Time{}
	}
	for _, id := range out {
		c.found[id] = now.Add(ttl)
	}
	c.mu.Unlock()
	return out, nil
}

func (c *Checker) resolve(ctx context.Context, logins []string) (map[string]string, error) {
	c.mu.Lock()
	ts := c.tokens
	c.mu.Unlock()
	tok, err := ts.Token()
	if err != nil {
		return nil, fmt.Errorf("%w: token for %s: %v", ErrUnavailable, c.ClientID, err)
	}
	body, err := json.Marshal(map[string][]string{"logins": logins})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Issuer+"/api/v1/people/resolve", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	tok.SetAuthHeader(req)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	client := c.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return nil, fmt.Errorf("%w: %s", errRefused, resp.Status)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: POST %s/api/v1/people/resolve answered %s", ErrUnavailable, c.Issuer, resp.Status)
	}
	var answer struct {
		Items []struct {
			Login string `json:"login"`
			ID    string `json:"id"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return nil, fmt.Errorf("%w: people/resolve: %v", ErrUnavailable, err)
	}
	asked := map[string]bool{}
	for _, l := range logins {
		asked[l] = true
	}
	out := map[string]string{}
	for _, it := range answer.Items {
		// Only what was asked, and only ids of identity's form.
		if asked[it.Login] && ValidID(it.ID) {
			out[it.Login] = strings.TrimSpace(it.ID)
		}
	}
	return out, nil
}
