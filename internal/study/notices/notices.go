package notices

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"campus/internal/outbox"
	"campus/internal/study/store"
	"campus/internal/tokencheck"
)

// Scope is what the study client asks identity for: the messages API
// takes notices from client-credentials tokens with it.
const Scope = "messages:notify"

// Store is what delivery needs of the study store.
type Store interface {
	ClaimNotices(ctx context.Context, limit int, lease time.Duration) ([]store.OutboxNotice, error)
	RenewNotices(ctx context.Context, held time.Time, lease time.Duration, ids ...string) ([]string, time.Time, error)
	NoticeDelivered(ctx context.Context, id string) error
	NoticeFailed(ctx context.Context, id string, held time.Time, reason string, next time.Time) error
}

var _ Store = (*store.Store)(nil)

// Deliverer sends the outbox's notices to the messages service. Notices
// are claimed 20 at a time under a lease (Lease), renewed before each
// delivery for the rest of the batch; a notice whose lease was lost to
// another replica is skipped. Each notice is sent with Idempotency-Key
// set to its id, so a notice delivered but not recorded as such (the
// replica died in between) is sent again and stored once.
type Deliverer struct {
	outbox.Schedule
	// Lease is how long claimed notices stay this deliverer's without
	// renewal (outbox.DefaultLease when 0).
	Lease  time.Duration
	store  Store
	url    string
	client *http.Client
	now    func() time.Time
	logger *slog.Logger

	newTokens func() oauth2.TokenSource
	mu        sync.Mutex
	tokens    oauth2.TokenSource // replaced when messages refuses a token
}

// NewDeliverer returns a deliverer to the messages service at
// messagesURL (its base: the notices go to messagesURL/v1/notices),
// authenticated with tokens from newTokens (see ClientCredentials). It
// reads the outbox every 5 s, retries after 10 s doubling up to an hour,
// and gives up after three days.
func NewDeliverer(st Store, messagesURL string, newTokens func() oauth2.TokenSource, client *http.Client,
	now func() time.Time, logger *slog.Logger) *Deliverer {
	if client == nil {
		client = http.DefaultClient
	}
	return &Deliverer{Schedule: outbox.NewSchedule(5*time.Second, 10*time.Second, time.Hour, 72*time.Hour),
		store: st, url: messagesURL, client: client, now: now, logger: logger, newTokens: newTokens, tokens: newTokens()}
}

// ClientCredentials makes token sources of the study client at identity
// (RFC 6749 section 4.4) with Scope. The source outlives requests: it
// gets its own client with a timeout rather than a request's context.
func ClientCredentials(issuer, clientID, clientSecret string, client *http.Client) func() oauth2.TokenSource {
	return tokencheck.ClientCredentials(issuer, clientID, clientSecret, Scope, client)
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) {
	d.Loop(ctx, d.logger, "study notices to messages", func(ctx context.Context) error {
		_, err := d.DeliverDue(ctx)
		return err
	})
}

// DeliverDue sends every notice that is due and returns how many were
// delivered.
func (d *Deliverer) DeliverDue(ctx context.Context) (int, error) {
	return outbox.Drain(ctx, d.Lease, outbox.Work[store.OutboxNotice]{
		Claim:   d.store.ClaimNotices,
		Renew:   d.store.RenewNotices,
		Key:     func(n store.OutboxNotice) (string, time.Time) { return n.ID, n.NextAttemptAt },
		Send:    d.send,
		SendCap: 30 * time.Second,
		Failed: func(ctx context.Context, n store.OutboxNotice, held time.Time, err error) error {
			next := time.Time{}
			if !errors.Is(err, errRefused) {
				next = d.Retry(d.now(), n.CreatedAt, n.Attempts)
			}
			if next.IsZero() {
				// Visible: logged as an error, and kept in the outbox with
				// failed_at and the reason (store.NoticeQueue).
				d.logger.Error("study notice given up", "id", n.ID, "kind", n.Kind, "recipients", len(n.To),
					"attempts", n.Attempts+1, "queued", n.CreatedAt, "err", err)
			} else {
				d.logger.Warn("study notice not delivered", "id", n.ID, "kind", n.Kind, "attempt", n.Attempts+1,
					"retry_at", next, "err", err)
			}
			return d.store.NoticeFailed(ctx, n.ID, held, err.Error(), next)
		},
		Done: func(ctx context.Context, n store.OutboxNotice) error { return d.store.NoticeDelivered(ctx, n.ID) },
		Lost: func(n store.OutboxNotice) {
			d.logger.Warn("study notice skipped: its lease was lost to another replica", "id", n.ID)
		},
	})
}

// errRefused marks an answer that no retry can change: the messages
// service read the notice and refused it.
var errRefused = errors.New("refused")

type noticeJSON struct {
	To     []string `json:"to"`
	Kind   string   `json:"kind"`
	Text   string   `json:"text"`
	TextDE string   `json:"text_de"`
	Link   string   `json:"link,omitempty"`
}

// send posts one notice. A token the messages service refuses (401) is
// replaced for the next attempt.
func (d *Deliverer) send(ctx context.Context, n store.OutboxNotice) error {
	body, err := json.Marshal(noticeJSON{To: n.To, Kind: n.Kind, Text: n.Text, TextDE: n.TextDE, Link: n.Link})
	if err != nil {
		return err
	}
	d.mu.Lock()
	ts := d.tokens
	d.mu.Unlock()
	tok, err := ts.Token()
	if err != nil {
		return fmt.Errorf("token of the study client (scope %s): %w", Scope, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url+"/v1/notices", bytes.NewReader(body))
	if err != nil {
		return err
	}
	tok.SetAuthHeader(req)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Idempotency-Key", n.ID)
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2<<10))
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode == http.StatusUnauthorized:
		d.mu.Lock()
		d.tokens = d.newTokens()
		d.mu.Unlock()
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusRequestEntityTooLarge ||
		resp.StatusCode == http.StatusUnprocessableEntity:
		return fmt.Errorf("%w: %s answered %s: %s", errRefused, req.URL, resp.Status, bytes.TrimSpace(msg))
	}
	return fmt.Errorf("%s answered %s: %s", req.URL, resp.Status, bytes.TrimSpace(msg))
}
