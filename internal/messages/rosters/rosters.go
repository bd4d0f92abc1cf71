package rosters

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"campus/internal/messages"
	"campus/internal/messages/store"
	"campus/internal/tokencheck"
)

// Scope is what the messages service's client asks identity for to read
// the rosters.
const Scope = "rosters:read"

// Job is the name of the lease that makes one replica at a time poll.
const Job = "rosters"

// Store is what the poller needs of the messages store.
type Store interface {
	TakeLease(ctx context.Context, job, holder string, ttl time.Duration) (bool, error)
	SyncCourseGroups(ctx context.Context, groups []messages.CourseGroup) (changed int, err error)
}

var _ Store = (*store.Store)(nil)

// Poller brings the course groups in step with the study service's
// rosters every Interval.
type Poller struct {
	// StudyURL is the study service's base URL (the rosters are at
	// StudyURL/v1/rosters).
	StudyURL string
	// Tokens makes token sources of the messages service's own client with
	// Scope (see ClientCredentials); a new one is made when study refuses
	// a token.
	Tokens func() oauth2.TokenSource
	Client *http.Client
	Store  Store
	// Interval is how often study is asked (30 s when 0).
	Interval time.Duration
	Logger   *slog.Logger
	Now      func() time.Time
	// Holder names this replica in the lease (random when "").
	Holder string

	once   sync.Once
	mu     sync.Mutex
	tokens oauth2.TokenSource
	etag   string // of the rosters last synchronised; "" for none
}

// ClientCredentials makes token sources of the messages service's client
// at identity (RFC 6749 section 4.4) with Scope. A source outlives
// requests: it gets its own client with a timeout rather than a request's
// context.
func ClientCredentials(issuer, clientID, clientSecret string, client *http.Client) func() oauth2.TokenSource {
	return tokencheck.ClientCredentials(issuer, clientID, clientSecret, Scope, client)
}

func (p *Poller) init() {
	p.once.Do(func() {
		if p.Interval <= 0 {
			p.Interval = 30 * time.Second
		}
		if p.Client == nil {
			p.Client = http.DefaultClient
		}
		if p.Now == nil {
			p.Now = time.Now
		}
		if p.Logger == nil {
			p.Logger = slog.New(slog.DiscardHandler)
		}
		if p.Holder == "" {
			b := make([]byte, 8)
			rand.Read(b)
			p.Holder = "rosters-" + hex.EncodeToString(b)
		}
		p.tokens = p.Tokens()
	})
}

// lease is how long a replica holds the polling after its last poll: a
// replica that died hands over after it. Three intervals, so that a slow
// sync of a large university does not lose it, and at least two minutes.
func (p *Poller) lease() time.Duration { return max(3*p.Interval, 2*time.Minute) }

// firstPoll is how long Run waits before its first poll: a campus serve
// starts the messages service before it listens, and loads its demo data
// then; the course groups follow a second later, not an interval.
const firstPoll = time.Second

// Run polls every Interval until ctx ends, the first time a second after
// the start. A poll that failed (study not up yet, a network hiccup) is
// tried again after 1 s, then 2 s, 4 s..., up to Interval.
func (p *Poller) Run(ctx context.Context) {
	p.init()
	wait, retry := firstPoll, time.Second
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = p.Interval
		if _, err := p.Poll(ctx); err != nil && ctx.Err() == nil {
			p.Logger.Warn("course groups: rosters from study; trying again", "err", err, "in", min(retry, p.Interval))
			wait, retry = min(retry, p.Interval), min(2*retry, p.Interval)
		} else {
			retry = time.Second
		}
	}
}

// Result says what one poll did.
type Result struct {
	Held      bool // this replica holds the lease (else it did nothing)
	Unchanged bool // study answered 304
	Groups    int  // course groups synchronised
	Changed   int  // memberships changed
}

// Poll asks study once, if this replica holds the lease, and synchronises
// the course groups when the rosters changed.
func (p *Poller) Poll(ctx context.Context) (Result, error) {
	p.init()
	held, err := p.Store.TakeLease(ctx, Job, p.Holder, p.lease())
	if err != nil || !held {
		// Another replica polls; what this one synchronised may be
		// outdated when it takes over, so it starts afresh then.
		p.mu.Lock()
		p.etag = ""
		p.mu.Unlock()
		return Result{}, err
	}
	r := Result{Held: true}
	groups, etag, err := p.fetch(ctx)
	if errors.Is(err, errRefused) {
		p.mu.Lock()
		p.tokens = p.Tokens()
		p.mu.Unlock()
		groups, etag, err = p.fetch(ctx)
	}
	if err != nil {
		return r, err
	}
	if groups == nil {
		r.Unchanged = true
		return r, nil
	}
	t0 := p.Now()
	r.Groups = len(groups)
	if r.Changed, err = p.Store.SyncCourseGroups(ctx, groups); err != nil {
		return r, fmt.Errorf("synchronise %d course groups: %w", len(groups), err)
	}
	p.mu.Lock()
	p.etag = etag
	p.mu.Unlock()
	if r.Changed > 0 {
		p.Logger.Info("course groups synchronised with study's rosters", "groups", r.Groups, "memberships_changed", r.Changed,
			"revision", etag, "took", p.Now().Sub(t0).Round(time.Millisecond))
	}
	return r, nil
}

var errRefused = errors.New("study refused the token")

// rostersJSON is study's GET /v1/rosters (api/study.yaml, Rosters).
type rostersJSON struct {
	Revision int64 `json:"revision"`
	Groups   []struct {
		Kind     string   `json:"kind"`
		ID       string   `json:"id"`
		Code     string   `json:"code"`
		Title    string   `json:"title"`
		Students []string `json:"students"`
		Staff    []string `json:"staff"`
	} `json:"groups"`
}

// fetch reads the rosters; nil groups (and no error) when they are
// unchanged since the last synchronisation.
func (p *Poller) fetch(ctx context.Context) ([]messages.CourseGroup, string, error) {
	p.mu.Lock()
	ts, etag := p.tokens, p.etag
	p.mu.Unlock()
	tok, err := ts.Token()
	if err != nil {
		return nil, "", fmt.Errorf("token of the messages client (scope %s): %w", Scope, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.StudyURL+"/v1/rosters", nil)
	if err != nil {
		return nil, "", err
	}
	tok.SetAuthHeader(req)
	req.Header.Set("Accept", "application/json")
	if etag != "" {
		// RFC 9110 section 13.1.2: 304 while the rosters are unchanged.
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", req.URL, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		return nil, etag, nil
	case http.StatusUnauthorized:
		return nil, "", fmt.Errorf("%w: GET %s answered %s", errRefused, req.URL, resp.Status)
	default:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return nil, "", fmt.Errorf("GET %s answered %s: %s", req.URL, resp.Status, msg)
	}
	var body rostersJSON
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		// A body cut short (study failed midway) is never taken for a
		// roster: groups missing from it would lose their members.
		return nil, "", fmt.Errorf("GET %s: %w", req.URL, err)
	}
	groups := make([]messages.CourseGroup, 0, len(body.Groups))
	for _, g := range body.Groups {
		if (g.Kind != "programme" && g.Kind != "module") || g.ID == "" {
			p.Logger.Warn("course groups: a roster of an unknown kind is left out", "kind", g.Kind, "id", g.ID)
			continue
		}
		name := g.Title
		if g.Code != "" {
			name = g.Code + " " + g.Title
		}
		groups = append(groups, messages.CourseGroup{CourseKind: g.Kind, CourseID: g.ID, Name: name,
			Students: g.Students, Staff: g.Staff})
	}
	return groups, resp.Header.Get("ETag"), nil
}
