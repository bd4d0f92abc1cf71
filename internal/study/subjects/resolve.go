package subjects

import (
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
	body, err := json.Marshal(map[string][]string{"logins": logins})
	if err != nil {
		return nil, err
	}
	var answer struct {
		Items []struct {
			Login string `json:"login"`
			ID    string `json:"id"`
		} `json:"items"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/v1/people/resolve", body, &answer); err != nil {
		return nil, err
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
