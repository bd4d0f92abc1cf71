package oidcop

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"campus/internal/identity"
	"campus/internal/outbox"
)

// OutboxStore is what logout delivery needs of the store.
type OutboxStore interface {
	ClaimLogoutDeliveries(ctx context.Context, limit int, lease time.Duration) ([]identity.LogoutDelivery, error)
	RenewLogoutDeliveries(ctx context.Context, held time.Time, lease time.Duration, ids ...string) ([]string, time.Time, error)
	LogoutDelivered(ctx context.Context, id string) error
	LogoutFailed(ctx context.Context, id string, held time.Time, reason string, next time.Time) error
	Client(ctx context.Context, id string) (identity.Client, error)
}

// Deliverer sends back-channel logout tokens from the outbox (OIDC
// Back-Channel Logout 1.0), retrying with exponential backoff so that a
// client that was down hears of the logout when it is back.
//
// Deliveries are claimed 20 at a time under a short lease (Lease), renewed
// before each delivery for the rest of the batch; each delivery is bounded
// by 10 s and by outbox.SendTimeout(Lease). A delivery whose lease was lost
// to another replica is skipped.
type Deliverer struct {
	outbox.Schedule
	// Lease is how long claimed deliveries stay this deliverer's without
	// renewal (outbox.DefaultLease when 0).
	Lease  time.Duration
	store  OutboxStore
	keys   *Keys
	issuer string
	client *http.Client
	now    func() time.Time
	logger *slog.Logger

	// Attempted, when set, hears of each delivery attempt: err nil when
	// the client took the logout token (for metrics).
	Attempted func(err error)
}

// NewDeliverer returns a deliverer; client should not follow redirects.
// It reads the outbox every 5 s, retries after 10 s doubling up to an hour,
// and gives up after three days.
func NewDeliverer(store OutboxStore, keys *Keys, issuer string, client *http.Client, now func() time.Time, logger *slog.Logger) *Deliverer {
	return &Deliverer{Schedule: outbox.NewSchedule(5*time.Second, 10*time.Second, time.Hour, 72*time.Hour),
		store: store, keys: keys, issuer: issuer, client: client, now: now, logger: logger}
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) {
	d.Loop(ctx, d.logger, "back-channel logout delivery", func(ctx context.Context) error {
		_, err := d.DeliverDue(ctx)
		return err
	})
}

// DeliverDue sends every delivery that is due and returns how many
// succeeded.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	return outbox.Drain(ctx, d.Lease, outbox.Work[identity.LogoutDelivery]{
		Claim:   d.store.ClaimLogoutDeliveries,
		Renew:   d.store.RenewLogoutDeliveries,
		Key:     func(del identity.LogoutDelivery) (string, time.Time) { return del.ID, del.NextAttemptAt },
		Send:    d.deliver,
		SendCap: 10 * time.Second,
		Failed: func(ctx context.Context, del identity.LogoutDelivery, held time.Time, err error) error {
			d.attempted(err)
			next := d.Retry(d.now(), del.CreatedAt, del.Attempts)
			d.logger.Warn("back-channel logout not delivered", "client", del.ClientID, "attempt", del.Attempts+1,
				"retry_at", next, "err", err)
			return d.store.LogoutFailed(ctx, del.ID, held, err.Error(), next)
		},
		Done: func(ctx context.Context, del identity.LogoutDelivery) error {
			d.attempted(nil)
			if err := d.store.LogoutDelivered(ctx, del.ID); err != nil {
				return err
			}
			d.logger.Info("back-channel logout delivered", "client", del.ClientID, "sid", del.SessionID, "attempt", del.Attempts+1)
			return nil
		},
		Lost: func(del identity.LogoutDelivery) {
			d.logger.Warn("back-channel logout skipped: its lease was lost to another replica", "client", del.ClientID, "id", del.ID)
		},
	})
}

func (d *Deliverer) attempted(err error) {
	if d.Attempted != nil {
		d.Attempted(err)
	}
}

// logoutClaims is the logout token (Back-Channel Logout 1.0 section 2.4):
// iss, aud, iat, exp, jti, sid, sub and the events member; never a nonce.
type logoutClaims struct {
	jwt.Claims
	SessionID string         `json:"sid"`
	Events    map[string]any `json:"events"`
}

const logoutEvent = "http://schemas.openid.net/event/backchannel-logout"

func (d *Deliverer) deliver(ctx context.Context, del identity.LogoutDelivery) error {
	c, err := d.store.Client(ctx, del.ClientID)
	if err != nil {
		return fmt.Errorf("client %s: %w", del.ClientID, err)
	}
	alg := jose.SignatureAlgorithm(c.IDTokenAlg)
	if alg == "" {
		alg = jose.RS256
	}
	key, err := d.keys.Signer(ctx, alg)
	if err != nil {
		return err
	}
	// Signed like the client's id_tokens, so it verifies with the keys the
	// client already uses; typed so that it cannot pass for an id_token.
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key.key, KeyID: key.id}},
		(&jose.SignerOptions{}).WithType("logout+jwt"))
	if err != nil {
		return err
	}
	now := d.now()
	token, err := jwt.Signed(signer).Claims(logoutClaims{
		Claims: jwt.Claims{Issuer: d.issuer, Subject: del.AccountID, Audience: jwt.Audience{del.ClientID},
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute)), ID: NewToken()},
		SessionID: del.SessionID,
		Events:    map[string]any{logoutEvent: map[string]any{}},
	}).Serialize()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, del.URI, strings.NewReader(url.Values{"logout_token": {token}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	// Section 2.8: the client answers 200 when it logged the session out.
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return fmt.Errorf("%s answered %s", del.URI, resp.Status)
}

// NoRedirects makes an HTTP client return redirects instead of following
// them: a logout token goes to the registered URI and nowhere else.
func NoRedirects(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}
