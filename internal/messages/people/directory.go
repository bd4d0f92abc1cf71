package people

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"campus/internal/messages"
	"campus/internal/messages/api"
)

// Scopes the messages service's client asks identity for.
const (
	ScopePeopleRead = "people:read"
	ScopeMailSend   = "mail:send"
)

// Bounds of identity's people endpoint.
const (
	batch     = 200 // ids per lookup
	maxSearch = 50
	// TTL is how long a name is remembered: a renamed person shows under
	// the new name within a minute.
	TTL = time.Minute
	// maxCached bounds the memory of names; past it the cache starts over.
	maxCached = 100_000
)

// Directory names and finds people at identity, for the messages API
// (api.People).
type Directory struct {
	c   caller
	now func() time.Time

	mu    sync.Mutex
	known map[string]cached
}

type cached struct {
	p     messages.Person
	until time.Time
}

var _ api.People = (*Directory)(nil)

// NewDirectory returns a directory over identity as cfg reaches it; now
// is the clock of the cache.
func NewDirectory(cfg Config, now func() time.Time) *Directory {
	return &Directory{c: caller{cfg: cfg, scope: ScopePeopleRead}, now: now, known: map[string]cached{}}
}

type personJSON struct {
	ID          string   `json:"id"`
	Username    string   `json:"username"`
	DisplayName string   `json:"display_name"`
	Roles       []string `json:"roles"`
}

func (p personJSON) person() messages.Person {
	return messages.Person{ID: p.ID, Username: p.Username, DisplayName: p.DisplayName, Roles: p.Roles}
}

// Lookup returns the people of ids that identity knows, from the cache
// where it has them; ErrUnavailable (wrapped) when identity cannot answer
// for the others.
func (d *Directory) Lookup(ctx context.Context, ids []string) (map[string]messages.Person, error) {
	out := make(map[string]messages.Person, len(ids))
	now := d.now()
	var ask []string
	d.mu.Lock()
	for _, id := range ids {
		if _, dup := out[id]; dup {
			continue
		}
		if c, ok := d.known[id]; ok && now.Before(c.until) {
			out[id] = c.p
		} else if !slices.Contains(ask, id) {
			ask = append(ask, id)
		}
	}
	d.mu.Unlock()
	for start := 0; start < len(ask); start += batch {
		var body struct {
			Items []personJSON `json:"items"`
		}
		part := ask[start:min(start+batch, len(ask))]
		if err := d.c.call(ctx, "GET", "/api/v1/people?"+url.Values{"id": part}.Encode(), nil, &body); err != nil {
			return nil, err
		}
		d.remember(body.Items, now)
		for _, p := range body.Items {
			out[p.ID] = p.person()
		}
	}
	return out, nil
}

// Search finds the active people whose names or username begin with the
// words of q, at most limit (at most 50). q must have at least two
// characters; a shorter one finds nobody.
func (d *Directory) Search(ctx context.Context, q string, limit int) ([]messages.Person, error) {
	q = strings.TrimSpace(q)
	if len([]rune(q)) < 2 || limit < 1 {
		return []messages.Person{}, nil
	}
	if r := []rune(q); len(r) > 100 {
		q = string(r[:100])
	}
	var body struct {
		Items []personJSON `json:"items"`
	}
	v := url.Values{"q": {q}, "limit": {strconv.Itoa(min(limit, maxSearch))}}
	if err := d.c.call(ctx, "GET", "/api/v1/people?"+v.Encode(), nil, &body); err != nil {
		return nil, err
	}
	d.remember(body.Items, d.now())
	out := make([]messages.Person, len(body.Items))
	for i, p := range body.Items {
		out[i] = p.person()
	}
	return out, nil
}

func (d *Directory) remember(items []personJSON, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.known)+len(items) > maxCached {
		d.known = map[string]cached{}
	}
	for _, p := range items {
		d.known[p.ID] = cached{p: p.person(), until: now.Add(TTL)}
	}
}
