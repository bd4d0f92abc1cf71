package people

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"campus/internal/tokencheck"
)

// ErrUnavailable means identity could not be asked or gave no usable
// answer: who the people are is unknown for now.
var ErrUnavailable = errors.New("identity cannot be reached")

// ErrNotFound means identity knows no active account with the id.
var ErrNotFound = errors.New("no such person at identity")

// ErrRejected means identity refused the request itself (400 or 422):
// sending it again will not help.
var ErrRejected = errors.New("identity rejected the request")

// RateLimitedError means identity refuses more mails to the person for
// now; After is how long to wait.
type RateLimitedError struct{ After time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("identity mails this person no more for now (retry in %s)", e.After)
}

// Config is how to reach identity as the messages service.
type Config struct {
	// Issuer is identity's issuer URL; its API is under it.
	Issuer string
	// ClientID and ClientSecret are the messages service's client at
	// identity (client_credentials with people:read and mail:send).
	ClientID, ClientSecret string
	// HTTPClient reaches identity; nil: http.DefaultClient.
	HTTPClient *http.Client
}

// caller sends requests to identity's API with a token of one scope,
// replacing the token once when identity refuses it (revoked, or signed
// with a key identity retired).
type caller struct {
	cfg   Config
	scope string

	once   sync.Once
	newTS  func() oauth2.TokenSource
	mu     sync.Mutex
	tokens oauth2.TokenSource
}

func (c *caller) init() {
	c.once.Do(func() {
		c.newTS = tokencheck.ClientCredentials(c.cfg.Issuer, c.cfg.ClientID, c.cfg.ClientSecret, c.scope, c.cfg.HTTPClient)
		c.tokens = c.newTS()
	})
}

var errRefused = errors.New("token refused")

// call sends one request and decodes a 2xx JSON answer into out (if not
// nil). A refused token is replaced once; other failures are
// ErrUnavailable, 404 ErrNotFound, 429 *RateLimitedError.
func (c *caller) call(ctx context.Context, method, path string, body any, out any) error {
	c.init()
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return err
		}
	}
	err := c.send(ctx, method, path, raw, out)
	if errors.Is(err, errRefused) {
		c.mu.Lock()
		c.tokens = c.newTS()
		c.mu.Unlock()
		err = c.send(ctx, method, path, raw, out)
	}
	if errors.Is(err, errRefused) {
		err = fmt.Errorf("%w: identity refuses the messages service's token (%v); check that client %s may use client_credentials with scope %s",
			ErrUnavailable, err, c.cfg.ClientID, c.scope)
	}
	return err
}

func (c *caller) send(ctx context.Context, method, path string, raw []byte, out any) error {
	c.mu.Lock()
	ts := c.tokens
	c.mu.Unlock()
	tok, err := ts.Token()
	if err != nil {
		return fmt.Errorf("%w: token for %s: %v", ErrUnavailable, c.cfg.ClientID, err)
	}
	var r io.Reader
	if raw != nil {
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.cfg.Issuer, "/")+path, r)
	if err != nil {
		return err
	}
	tok.SetAuthHeader(req)
	req.Header.Set("Accept", "application/json")
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := c.cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	name, _, _ := strings.Cut(path, "?")
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: %s", errRefused, resp.Status)
	case resp.StatusCode == http.StatusNotFound:
		return ErrNotFound
	case resp.StatusCode == http.StatusTooManyRequests:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return &RateLimitedError{After: time.Duration(max(secs, 1)) * time.Second}
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnprocessableEntity:
		return fmt.Errorf("%w: %s %s answered %s", ErrRejected, method, name, resp.Status)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return fmt.Errorf("%w: %s %s answered %s", ErrUnavailable, method, name, resp.Status)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(out); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUnavailable, name, err)
	}
	return nil
}
