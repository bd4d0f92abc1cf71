package tokencheck

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"time"

	"campus/internal/background"
)

// Revocations is a resource server's copy of identity's revocation feed
// ({issuer}/revocations): the access tokens (by jti) that died before they
// expire, and the subjects whose tokens issued before a time died (account
// disabled, password reset, roles changed). It polls the feed every Every
// and answers from memory, so a revocation reaches the resource server
// within Every plus one request, without asking identity per request.
//
// Writes do not wait for the next poll: Ensure polls at once (one poll
// shared by the writes that arrived before it), so a write never succeeds
// with a token revoked before it arrived; when the feed cannot be read,
// the write is refused (the resource server cannot vouch that the token is
// alive) and reads go on from the copy. Current tells whether the copy is
// younger than MaxStale.
type Revocations struct {
	URL    string // the feed, {issuer}/revocations
	Client *http.Client
	// Source, when set, reads the feed without HTTP: in all-in-one mode
	// identity's own store, in the same process (URL and Client are then
	// only named in messages). The same entries, the same guarantee; a
	// poll costs a query instead of a request through identity's handlers.
	Source   Source
	Every    time.Duration // default 2s
	MaxStale time.Duration // default 15s
	Now      func() time.Time
	Logger   *slog.Logger

	pollMu    sync.Mutex // one poll at a time
	version   int64      // the Source's version before the last read (pollMu)
	versioned bool       // version is set (pollMu)
	mu        sync.RWMutex
	jti       map[string]time.Time // hash → when the token expires
	sub       map[string]time.Time // hash → tokens issued before this are dead
	asOf      string               // since of the next poll
	lastOK    time.Time            // the last poll that succeeded
	started   time.Time            // the first poll of Run
	warned    bool                 // a lasting failure was logged
}

func (rv *Revocations) defaults() {
	if rv.Every <= 0 {
		rv.Every = 2 * time.Second
	}
	if rv.MaxStale <= 0 {
		rv.MaxStale = 15 * time.Second
	}
	if rv.Now == nil {
		rv.Now = time.Now
	}
	if rv.Logger == nil {
		rv.Logger = slog.Default()
	}
}

// feedHash is how the feed names a jti or sub: base64url(SHA-256(value)).
func feedHash(v string) string {
	h := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// Feed is shared when it is set (all-in-one mode: the process's one copy,
// which the process polls); otherwise a copy of identity's feed at
// {issuer}/revocations, polled over client in ctx's background work until
// ctx ends.
func Feed(ctx context.Context, shared *Revocations, issuer string, client *http.Client, logger *slog.Logger) *Revocations {
	if shared != nil {
		return shared
	}
	rv := &Revocations{URL: issuer + "/revocations", Client: client, Now: time.Now, Logger: logger}
	background.Go(ctx, func() { rv.Run(ctx) })
	return rv
}

// Run polls the feed until ctx ends.
func (rv *Revocations) Run(ctx context.Context) {
	rv.defaults()
	t := time.NewTicker(rv.Every)
	defer t.Stop()
	for {
		rv.poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (rv *Revocations) poll(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, max(rv.Every, 5*time.Second))
	defer cancel()
	err := rv.Poll(ctx)
	now := rv.Now()
	rv.mu.Lock()
	if rv.started.IsZero() {
		rv.started = now
	}
	since := rv.lastOK
	if since.IsZero() {
		since = rv.started
	}
	// A failure is told once it lasts longer than MaxStale: at start the
	// feed's server may not listen yet, and one lost poll changes nothing.
	warn := err != nil && !rv.warned && now.Sub(since) > rv.MaxStale && ctx.Err() == nil
	recovered := err == nil && rv.warned
	if warn {
		rv.warned = true
	}
	if recovered {
		rv.warned = false
	}
	rv.mu.Unlock()
	switch {
	case warn:
		rv.Logger.Warn("revocation feed unreachable: changes are refused until it answers", "url", rv.URL, "since", since, "err", err)
	case recovered:
		rv.Logger.Info("revocation feed reachable again", "url", rv.URL)
	}
}

// Poll reads what was revoked since the previous poll.
func (rv *Revocations) Poll(ctx context.Context) error {
	rv.defaults()
	rv.pollMu.Lock()
	defer rv.pollMu.Unlock()
	return rv.pollLocked(ctx)
}

// Ensure reports whether the copy holds every revocation made before
// since, polling once when it may not: writes call it with the time they
// arrived, so that no write succeeds with a token revoked before it, while
// reads rely on the periodic polls. Concurrent callers share a poll that
// was sent after they arrived.
func (rv *Revocations) Ensure(ctx context.Context, since time.Time) bool {
	rv.defaults()
	if rv.polledSince(since) {
		return true
	}
	rv.pollMu.Lock()
	defer rv.pollMu.Unlock()
	if rv.polledSince(since) { // another request polled meanwhile
		return true
	}
	// One yield first, not a wait: the writes running on the other
	// threads arrive meanwhile and share this check (they wait on pollMu
	// and find it sent after they arrived).
	runtime.Gosched()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if rv.unchanged(ctx) {
		return rv.polledSince(since)
	}
	return rv.pollLocked(ctx) == nil && rv.polledSince(since)
}

// unchanged reports whether the Source's version is still the one read
// before the last full read, which then holds everything revoked until
// now: the copy counts as polled now. pollMu is held. Run's periodic
// polls always read (they also forget what expired).
func (rv *Revocations) unchanged(ctx context.Context) bool {
	vs, ok := rv.Source.(VersionedSource)
	if !ok || !rv.versioned {
		return false
	}
	started := rv.Now()
	v, ok, err := vs.Version(ctx)
	if err != nil || !ok || v != rv.version {
		return false
	}
	rv.mu.Lock()
	rv.lastOK = started
	rv.mu.Unlock()
	return true
}

func (rv *Revocations) polledSince(t time.Time) bool {
	rv.mu.RLock()
	defer rv.mu.RUnlock()
	return !rv.lastOK.IsZero() && !rv.lastOK.Before(t)
}

// FeedEntry is one revocation as the feed names it: Kind "jti" or "sub",
// Hash is base64url(SHA-256(value)).
type FeedEntry struct {
	Kind    string    `json:"kind"`
	Hash    string    `json:"hash"`
	At      time.Time `json:"at"`
	Expires time.Time `json:"expires"`
}

// Source is the feed read without HTTP (all-in-one mode).
type Source interface {
	// Revocations reads the revocations made after since minus identity's
	// overlap (all for a zero since), and the as_of to pass as since next
	// time.
	Revocations(ctx context.Context, since time.Time) (entries []FeedEntry, asOf time.Time, err error)
}

// SourceFunc is a Source of a function.
type SourceFunc func(ctx context.Context, since time.Time) (entries []FeedEntry, asOf time.Time, err error)

// Revocations calls f.
func (f SourceFunc) Revocations(ctx context.Context, since time.Time) ([]FeedEntry, time.Time, error) {
	return f(ctx, since)
}

// VersionedSource is a Source that tells cheaply whether it may hold
// anything new: Version's number changes whenever something was written
// to where the revocations are kept (ok false: it cannot tell). A write's
// check (Ensure) then reads the number instead of the revocations while
// it stays as it was before the last read: on SQLite, one pragma instead
// of a query, on every write of every resource server of the process.
type VersionedSource interface {
	Source
	Version(ctx context.Context) (v int64, ok bool, err error)
}

// read asks the feed for what was revoked after since ("" for all).
func (rv *Revocations) read(ctx context.Context, since string) (entries []FeedEntry, asOf string, err error) {
	if rv.Source != nil {
		var from time.Time
		if since != "" {
			if from, err = time.Parse(time.RFC3339Nano, since); err != nil {
				return nil, "", err
			}
		}
		entries, at, err := rv.Source.Revocations(ctx, from)
		if err != nil {
			return nil, "", fmt.Errorf("read the revocations: %w", err)
		}
		return entries, at.UTC().Format(time.RFC3339Nano), nil
	}
	u := rv.URL
	if since != "" {
		u += "?since=" + url.QueryEscape(since)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := rv.Client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: %s", rv.URL, resp.Status)
	}
	var feed struct {
		AsOf        string      `json:"as_of"`
		Revocations []FeedEntry `json:"revocations"`
	}
	if err := decodeObject(io.LimitReader(resp.Body, 64<<20), &feed); err != nil {
		return nil, "", fmt.Errorf("read %s: %w", rv.URL, err)
	}
	return feed.Revocations, feed.AsOf, nil
}

func (rv *Revocations) pollLocked(ctx context.Context) error {
	rv.mu.RLock()
	since := rv.asOf
	rv.mu.RUnlock()
	started := rv.Now()
	// The version first: whatever is written after it, the number read
	// next time differs (see unchanged).
	rv.versioned = false
	var version int64
	if vs, ok := rv.Source.(VersionedSource); ok {
		v, ok, err := vs.Version(ctx)
		if err == nil && ok {
			version, rv.versioned = v, true
		}
	}
	entries, asOf, err := rv.read(ctx, since)
	if err != nil {
		rv.versioned = false
		return err
	}
	rv.version = version
	now := rv.Now()
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if rv.jti == nil {
		rv.jti, rv.sub = map[string]time.Time{}, map[string]time.Time{}
	}
	for _, e := range entries {
		switch e.Kind {
		case "jti":
			rv.jti[e.Hash] = e.Expires
		case "sub":
			if e.At.After(rv.sub[e.Hash]) {
				rv.sub[e.Hash] = e.At
			}
		}
	}
	// Forget what no token can need any more: a jti after its token's
	// expiry, a subject entry once tokens issued before it have expired
	// (identity's own keep time, told by its expiry in the next full poll;
	// a day is longer than any access token lives).
	for h, exp := range rv.jti {
		if now.After(exp.Add(time.Minute)) {
			delete(rv.jti, h)
		}
	}
	for h, at := range rv.sub {
		if now.Sub(at) > 25*time.Hour {
			delete(rv.sub, h)
		}
	}
	rv.asOf = asOf
	// The poll counts from when it was sent: anything revoked before that
	// is in what it read.
	rv.lastOK = started
	return nil
}

// Current reports whether the copy is recent: the last successful poll was
// sent within MaxStale.
func (rv *Revocations) Current() bool {
	rv.mu.RLock()
	defer rv.mu.RUnlock()
	return !rv.lastOK.IsZero() && rv.Now().Sub(rv.lastOK) <= rv.MaxStale
}

// Revoked reports whether the feed says the token is dead: its jti was
// revoked, or its subject's tokens issued before it.
func (rv *Revocations) Revoked(c *Claims) bool {
	rv.mu.RLock()
	defer rv.mu.RUnlock()
	if _, dead := rv.jti[c.jtiHash]; dead && c.ID != "" {
		return true
	}
	at, ok := rv.sub[c.subHash]
	// iat has whole seconds: a token issued in the second of the
	// revocation but after it must live. One issued before it in that same
	// second was recorded and is revoked by its jti.
	return ok && c.IssuedAt.Before(at.Truncate(time.Second))
}

// RevokedToken is Revoked for a token the caller has read itself (the
// portal reads its own access tokens).
func (rv *Revocations) RevokedToken(jti, subject string, issuedAt time.Time) bool {
	return rv.Revoked(&Claims{ID: jti, IssuedAt: issuedAt, jtiHash: feedHash(jti), subHash: feedHash(subject)})
}

// SubjectRevokedSince reports whether the subject's tokens were revoked
// after t: a cached introspection of an API key made before then is stale.
func (rv *Revocations) SubjectRevokedSince(subject string, t time.Time) bool {
	rv.mu.RLock()
	defer rv.mu.RUnlock()
	at, ok := rv.sub[feedHash(subject)]
	// A few seconds' margin for the clocks of identity and this server.
	return ok && !at.Before(t.Add(-5*time.Second))
}
